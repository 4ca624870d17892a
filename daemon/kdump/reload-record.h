/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged's record of the crash image it loaded (memranged(8), FILES).
 *
 * The kernel cannot say which dump ranges a loaded crash image holds, so a
 * memranged that restarts (after a crash, or SIGKILL in the middle of a
 * storm) cannot tell by itself whether the image is current. Before every
 * load it writes a record marked "pending" with the dump ranges it is about
 * to load, and after the load succeeded the same record marked "done"
 * (each written to a temporary file and renamed over the record, so that a
 * reader sees the old or the new one, never half of one). At startup:
 *   - a done record of this boot: the image holds the recorded ranges;
 *   - a pending record of this boot: a load was interrupted, the image is
 *     unknown and gets reloaded;
 *   - no record, or one of another boot (boot_id differs): memranged never
 *     loaded in this boot; the image is taken to be the one kdump-tools
 *     loaded at boot.
 *
 * The file is text, one "key=value" a line, written and read only by
 * memranged:
 *   state=done            (or pending)
 *   boot_id=<proc/sys/kernel/random/boot_id>
 *   generation=<the generation it loaded, in the numbering of that run>
 *   policy=kexec-tools-x86
 *   arch=x86_64
 *   range=0x1000-0x9fbff backup    (one per dump range, end inclusive)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange.h"

/* Next to the socket: the runtime directory (/run/memranged). */
#define RELOAD_RECORD_NAME "kdump-loaded"
/* Longest record read: 32768 ranges (kexec-tools' limit) of ~45 bytes. */
#define RELOAD_RECORD_MAX (2u * 1024 * 1024)
#define RELOAD_RECORD_BOOT_ID_MAX 64u

struct reload_record {
        bool done;                                 /* false: pending */
        char boot_id[RELOAD_RECORD_BOOT_ID_MAX];   /* "" when unknown */
        uint64_t generation;
        struct memrange_dump_ranges *ranges;       /* owned */
};
void reload_record_clear(struct reload_record *rec);

/* Writes @rec to @path (through @path.tmp and a rename). -errno. */
int reload_record_write(const char *path, const struct reload_record *rec);

/* Reads @path into *ret (which the caller clears). -ENOENT when there is
 * none; -EBADMSG for a malformed record (logged naming path:line); other
 * -errno from reading. */
int reload_record_read(const char *path, struct reload_record *ret);

/* The record's path for a daemon whose socket is @socket_path (NULL: the
 * default socket): RELOAD_RECORD_NAME in the socket's directory. Caller
 * frees; NULL on ENOMEM. */
char *reload_record_path(const char *socket_path, const char *default_socket);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Debian's kdump-tools settings (/etc/default/kdump-tools), read the way
 * kdump-config sources them, without running a shell.
 *
 * The file is a shell fragment of KEY=VALUE assignments ("export KEY=..."
 * too), '#' comments, values in single quotes (literal), double quotes
 * (\" \\ \$ \` escapes, $NAME and ${NAME} of earlier assignments) or bare
 * words (backslash escapes). Anything a shell would run instead of assign
 * (commands, `...`, $(...), ${X:-y}, ';', '|') is an error naming
 * file:line and the line is ignored; an unterminated quote ends the file,
 * as it would make the shell reject the whole file.
 *
 * kdump-config (kdump-tools 1.8) uses USE_KDUMP, KDUMP_KERNEL,
 * KDUMP_INITRD, KDUMP_KEXEC_ARGS, KDUMP_CMDLINE and KDUMP_CMDLINE_APPEND
 * to load the crash kernel; the other keys (KDUMP_COREDIR, MAKEDUMP_ARGS,
 * NFS, SSH...) only matter inside the capture kernel. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "memrange.h"
#include "strv.h"

/* Relative to the sysroot, so that tests point it at a scratch tree. */
#define KDUMP_SETTINGS_PATH "etc/default/kdump-tools"
#define KDUMP_SETTINGS_FILE_MAX (64u * 1024u)
/* kdump-config's KDUMP_CMDLINE_APPEND when the file leaves it unset or
 * empty (Debian 12, kdump-tools 1.8, amd64). */
#define KDUMP_DEFAULT_CMDLINE_APPEND "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb"

struct kdump_settings {
        bool use_kdump;       /* USE_KDUMP set and not "0" (kdump-config's test) */
        char *kernel;         /* KDUMP_KERNEL; NULL when unset or empty, as for all */
        char *initrd;         /* KDUMP_INITRD */
        char *kexec_args;     /* KDUMP_KEXEC_ARGS */
        char *cmdline;        /* KDUMP_CMDLINE: replaces /proc/cmdline */
        char *cmdline_append; /* KDUMP_CMDLINE_APPEND */
};

/* Frees the strings and zeroes @s. */
void kdump_settings_done(struct kdump_settings *s);

/* Parses @text (@name names it in messages) into *ret, which the caller
 * later kdump_settings_done()s, also after errors. Returns the number of
 * errors (each logged as "name:line: ..."), or -ENOMEM. */
int kdump_settings_parse(const char *name, const char *text, struct kdump_settings *ret);

/* Reads @path under the sysroot of @ctx (at most KDUMP_SETTINGS_FILE_MAX
 * bytes). -ENOENT, not logged, when the file does not exist; other read
 * failures are logged and returned; otherwise as kdump_settings_parse(). */
int kdump_settings_read(struct memrange_ctx *ctx, const char *path, struct kdump_settings *ret);

/* Splits @text into words as a shell splits an unquoted variable that
 * eval re-reads (kdump-config's KDUMP_KEXEC_ARGS): whitespace separates,
 * quotes and backslashes group, '$' is literal. *ret_words is
 * NULL-terminated (free with strv_free()); -EINVAL for an unterminated
 * quote, -ENOMEM. */
int shell_split_words(const char *text, char ***ret_words, size_t *ret_n);


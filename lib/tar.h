/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A POSIX ustar (pax interchange "ustar" format, no extensions) writer:
 * regular files, directories and symbolic links, streamed through a
 * write callback in 512-byte blocks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "memrange-private.h"

#define MR_TAR_BLOCK 512u
/* The name field, the prefix field: a longer path is split at a '/'. */
#define MR_TAR_NAME_MAX 100u
#define MR_TAR_PREFIX_MAX 155u
#define MR_TAR_LINKNAME_MAX 100u
/* The size field holds 11 octal digits. */
#define MR_TAR_SIZE_MAX ((UINT64_C(1) << 33) - 1)

enum {
        MR_TAR_REGULAR = '0',
        MR_TAR_SYMLINK = '2',
        MR_TAR_DIRECTORY = '5',
};

/* The writer: @write gets every byte of the archive, in order; the first
 * failure it returns (-errno) is kept and ends the archive. @ctx (borrowed)
 * records errors naming the entry. */
struct mr_tar {
        struct memrange_ctx *ctx;
        memrange_write_fn write;
        void *userdata;
        int64_t mtime;   /* every entry's modification time */
        uint64_t offset; /* bytes written so far */
};

/* Fills @block with the header of one entry: @path (relative, no trailing
 * '/'; a directory gets one), @type one of MR_TAR_*, @size the data size of
 * a regular file, @link the target of a symlink (else NULL). -ENAMETOOLONG
 * when @path fits neither the name field nor a prefix/name split, or @link
 * exceeds the linkname field; -EFBIG beyond MR_TAR_SIZE_MAX. Writes no
 * error: the caller names the entry. */
int mr_tar_header(uint8_t block[MR_TAR_BLOCK], const char *path, char type, uint64_t size, const char *link,
                  int64_t mtime);

/* Appends one entry. Errors are recorded in the context naming @path. */
int mr_tar_add_file(struct mr_tar *t, const char *path, const void *data, size_t size);
int mr_tar_add_directory(struct mr_tar *t, const char *path);
int mr_tar_add_symlink(struct mr_tar *t, const char *path, const char *target);
/* The end-of-archive marker: two zero blocks. */
int mr_tar_finish(struct mr_tar *t);

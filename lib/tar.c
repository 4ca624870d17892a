/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* POSIX ustar writer (tar.h): header blocks with octal fields and their
 * checksum, data padded to whole blocks, two zero blocks at the end. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tar.h"

/* Field offsets and sizes of the ustar header (POSIX.1-2001, pax). */
#define OFF_NAME 0
#define OFF_MODE 100
#define OFF_UID 108
#define OFF_GID 116
#define OFF_SIZE 124
#define OFF_MTIME 136
#define OFF_CHKSUM 148
#define OFF_TYPEFLAG 156
#define OFF_LINKNAME 157
#define OFF_MAGIC 257
#define OFF_VERSION 263
#define OFF_UNAME 265
#define OFF_GNAME 297
#define OFF_PREFIX 345

#define LEN_MODE 8
#define LEN_ID 8
#define LEN_SIZE 12
#define LEN_MTIME 12
#define LEN_CHKSUM 8
#define LEN_UNAME 32

/* Writes @value as zero-padded octal digits filling @len - 1 bytes and a
 * NUL, the form every ustar reader accepts. False when it does not fit. */
static bool put_octal(uint8_t *field, size_t len, uint64_t value) {
        char digits[24];
        int n = snprintf(digits, sizeof(digits), "%0*" PRIo64, (int) (len - 1), value);

        if (n < 0 || (size_t) n != len - 1)
                return false;
        memcpy(field, digits, len - 1);
        field[len - 1] = '\0';
        return true;
}

/* Copies @s (at most @len bytes, NUL-terminated only when shorter). */
static void put_string(uint8_t *field, size_t len, const char *s, size_t n) {
        memcpy(field, s, n < len ? n : len);
}

/* Where @path (@len bytes) splits into prefix and name: the index of a
 * '/' leaving at most MR_TAR_PREFIX_MAX bytes before and 1 to
 * MR_TAR_NAME_MAX bytes after it; the rightmost such '/' leaves the
 * shortest name, so if it does not fit none does. -1 when none. */
static ssize_t split_point(const char *path, size_t len) {
        size_t last = len - 1 < MR_TAR_PREFIX_MAX ? len - 1 : MR_TAR_PREFIX_MAX;

        for (size_t i = last + 1; i-- > 0;)
                if (path[i] == '/' && i + 1 < len)
                        return len - i - 1 <= MR_TAR_NAME_MAX ? (ssize_t) i : -1;
        return -1;
}

static int put_path(uint8_t *block, const char *path) {
        size_t len = strlen(path);
        ssize_t split;

        if (len == 0)
                return -EINVAL;
        if (len <= MR_TAR_NAME_MAX) {
                put_string(block + OFF_NAME, MR_TAR_NAME_MAX, path, len);
                return 0;
        }
        split = split_point(path, len);
        if (split < 0)
                return -ENAMETOOLONG;
        put_string(block + OFF_PREFIX, MR_TAR_PREFIX_MAX, path, (size_t) split);
        put_string(block + OFF_NAME, MR_TAR_NAME_MAX, path + split + 1, len - (size_t) split - 1);
        return 0;
}

static uint32_t mode_of(char type) {
        return type == MR_TAR_DIRECTORY ? 0755 : type == MR_TAR_SYMLINK ? 0777 : 0644;
}

int mr_tar_header(uint8_t block[MR_TAR_BLOCK], const char *path, char type, uint64_t size, const char *link,
                  int64_t mtime) {
        unsigned sum = 0;
        int r;

        memset(block, 0, MR_TAR_BLOCK);
        r = put_path(block, path);
        if (r < 0)
                return r;
        if (link) {
                size_t n = strlen(link);

                if (n > MR_TAR_LINKNAME_MAX)
                        return -ENAMETOOLONG;
                put_string(block + OFF_LINKNAME, MR_TAR_LINKNAME_MAX, link, n);
        }
        if (size > MR_TAR_SIZE_MAX)
                return -EFBIG;
        /* Entries belong to root: the archive describes the kernel's files. */
        put_octal(block + OFF_MODE, LEN_MODE, mode_of(type));
        put_octal(block + OFF_UID, LEN_ID, 0);
        put_octal(block + OFF_GID, LEN_ID, 0);
        put_octal(block + OFF_SIZE, LEN_SIZE, size);
        put_octal(block + OFF_MTIME, LEN_MTIME, mtime > 0 ? (uint64_t) mtime : 0);
        block[OFF_TYPEFLAG] = (uint8_t) type;
        put_string(block + OFF_MAGIC, 6, "ustar", 6); /* with its NUL */
        put_string(block + OFF_VERSION, 2, "00", 2);
        put_string(block + OFF_UNAME, LEN_UNAME, "root", 4);
        put_string(block + OFF_GNAME, LEN_UNAME, "root", 4);

        /* The checksum is taken with its own field as spaces, then written
         * as six octal digits, a NUL and a space. */
        memset(block + OFF_CHKSUM, ' ', LEN_CHKSUM);
        for (size_t i = 0; i < MR_TAR_BLOCK; i++)
                sum += block[i];
        put_octal(block + OFF_CHKSUM, 7, sum);
        block[OFF_CHKSUM + 7] = ' ';
        return 0;
}

static int emit(struct mr_tar *t, const void *buf, size_t size) {
        int r;

        if (size == 0)
                return 0;
        r = t->write(t->userdata, buf, size);
        if (r < 0)
                return r;
        t->offset += size;
        return 0;
}

static int add_entry(struct mr_tar *t, const char *path, char type, const void *data, size_t size,
                     const char *link) {
        static const uint8_t zeros[MR_TAR_BLOCK];
        uint8_t block[MR_TAR_BLOCK];
        size_t pad = (MR_TAR_BLOCK - size % MR_TAR_BLOCK) % MR_TAR_BLOCK;
        int r;

        r = mr_tar_header(block, path, type, size, link, t->mtime);
        if (r == -ENAMETOOLONG)
                return mr_error_at(t->ctx, r, path, 0,
                                   link ? "symlink target longer than the %u bytes of a ustar link name"
                                        : "path too long for a ustar archive (prefix %u + name %u bytes)",
                                   link ? MR_TAR_LINKNAME_MAX : MR_TAR_PREFIX_MAX, MR_TAR_NAME_MAX);
        if (r < 0)
                return mr_error_at(t->ctx, r, path, 0, "cannot be stored in a ustar archive: %s", strerror(-r));
        r = emit(t, block, sizeof(block));
        if (r >= 0)
                r = emit(t, data, size);
        if (r >= 0)
                r = emit(t, zeros, pad);
        if (r < 0)
                return mr_error_at(t->ctx, r, NULL, 0, "cannot write the archive: %s", strerror(-r));
        return 0;
}

int mr_tar_add_file(struct mr_tar *t, const char *path, const void *data, size_t size) {
        return add_entry(t, path, MR_TAR_REGULAR, data, size, NULL);
}

int mr_tar_add_directory(struct mr_tar *t, const char *path) {
        char slashed[MR_TAR_PREFIX_MAX + MR_TAR_NAME_MAX + 2];
        int n = snprintf(slashed, sizeof(slashed), "%s/", path);

        /* Too long for the buffer is too long for the archive. */
        if (n < 0 || (size_t) n >= sizeof(slashed))
                return mr_error_at(t->ctx, ENAMETOOLONG, path, 0,
                                   "path too long for a ustar archive (prefix %u + name %u bytes)",
                                   MR_TAR_PREFIX_MAX, MR_TAR_NAME_MAX);
        return add_entry(t, slashed, MR_TAR_DIRECTORY, NULL, 0, NULL);
}

int mr_tar_add_symlink(struct mr_tar *t, const char *path, const char *target) {
        return add_entry(t, path, MR_TAR_SYMLINK, NULL, 0, target);
}

int mr_tar_finish(struct mr_tar *t) {
        static const uint8_t zeros[2 * MR_TAR_BLOCK];
        int r = emit(t, zeros, sizeof(zeros));

        return r < 0 ? mr_error_at(t->ctx, r, NULL, 0, "cannot write the archive: %s", strerror(-r)) : 0;
}

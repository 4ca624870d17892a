/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every file access of the library: relative to the sysroot directory fd,
 * with bounded reads, so that every reader runs against fixture trees; and
 * the small sysfs helpers the readers share (one-line attributes, numbered
 * entries). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "memrange-private.h"

int mr_open(struct memrange_ctx *ctx, const char *path, int flags) {
        int fd = openat(mr_sysroot_fd(ctx), path_in_root(path), flags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? negative_errno() : fd;
}

int mr_read_file(struct memrange_ctx *ctx, const char *path, size_t max, char **ret_buf,
                 size_t *ret_len) {
        _cleanup_(closep) int fd = mr_open(ctx, path, O_RDONLY);

        if (fd < 0)
                return fd;
        return read_full_fd(fd, max, ret_buf, ret_len);
}

int mr_read_attr(struct memrange_ctx *ctx, const char *path, char **ret_value) {
        return read_line_file_at(mr_sysroot_fd(ctx), path, MR_ATTR_MAX, ret_value);
}

int mr_opendir(struct memrange_ctx *ctx, const char *path, DIR **ret_dir) {
        DIR *d;
        int fd;

        fd = mr_open(ctx, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret_dir = d;
        return 0;
}

bool mr_exists(struct memrange_ctx *ctx, const char *path) {
        struct stat st;
        return mr_lstat(ctx, path, &st) == 0;
}

int mr_lstat(struct memrange_ctx *ctx, const char *path, struct stat *ret_st) {
        struct stat st;

        if (fstatat(mr_sysroot_fd(ctx), path_in_root(path), &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        *ret_st = st;
        return 0;
}

ssize_t mr_readlink(struct memrange_ctx *ctx, const char *path, char *buf, size_t size) {
        ssize_t n;

        if (size == 0)
                return -ENAMETOOLONG;
        n = readlinkat(mr_sysroot_fd(ctx), path_in_root(path), buf, size - 1);
        if (n < 0)
                return negative_errno();
        /* readlinkat() truncates silently: a full buffer may be a cut target. */
        if ((size_t) n == size - 1)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return n;
}

/* ---- sysfs helpers shared by the readers ---- */

/* Reads a sysfs attribute from @fd into @buf (@size bytes, one kept for
 * the NUL) with a single read(): the kernel produces an attribute whole
 * (one show() call, at most a page) and hands all of it to a read that asks
 * for more, as a regular file of a copied tree does; asking for one byte
 * more than MR_ATTR_MAX tells a larger file, -EFBIG. Thousands of blocks
 * make the read to EOF that would confirm it worth saving. */
static int read_small(int fd, char *buf, size_t size, size_t *ret_len) {
        ssize_t n;

        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if ((size_t) n > MR_ATTR_MAX)
                return -EFBIG;
        buf[n] = '\0';
        *ret_len = (size_t) n;
        return 0;
}

/* "@dir/@name", or @name without @dir, for messages. */
static const char *attr_path(const char *dir, const char *name, char *buf, size_t size) {
        if (!dir)
                return name;
        snprintf(buf, size, "%s/%s", dir, name);
        return buf;
}

int mr_read_attr_line_at(struct memrange_ctx *ctx, int dir_fd, const char *dir, const char *name, char **ret_value) {
        _cleanup_(closep) int fd = -1;
        char buf[MR_ATTR_MAX + 2], path[PATH_MAX];
        size_t len;
        int r;

        fd = openat(dir_fd, path_in_root(name), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        r = fd < 0 ? negative_errno() : read_small(fd, buf, sizeof(buf), &len);
        if (r == -ENOENT)
                return r;
        /* Messages name the file as the sysroot sees it. */
        if (r == -EFBIG)
                return mr_error_at(ctx, r, attr_path(dir, name, path, sizeof(path)), 0, "larger than %u bytes",
                                   MR_ATTR_MAX);
        if (r < 0)
                return mr_error_at(ctx, r, attr_path(dir, name, path, sizeof(path)), 0, "cannot read: %s",
                                   strerror(-r));
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        /* A NUL would silently cut the value short; a newline means a second
         * line; anything else below 0x20 is binary junk. */
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) buf[i];
                if (c < 0x20 || c == 0x7f)
                        return mr_error_at(ctx, EBADMSG, attr_path(dir, name, path, sizeof(path)), 0,
                                           "control character 0x%02x at byte %zu", c, i + 1);
        }
        /* Exactly the value's size: the blocks reader keeps thousands. */
        *ret_value = strndup(buf, len);
        return *ret_value ? 0 : -ENOMEM;
}

int mr_read_attr_line(struct memrange_ctx *ctx, const char *path, char **ret_value) {
        return mr_read_attr_line_at(ctx, mr_sysroot_fd(ctx), NULL, path, ret_value);
}

int mr_parse_index_name(const char *name, const char *prefix, uint64_t *ret) {
        size_t plen = strlen(prefix), n;
        const char *digits;

        if (strncmp(name, prefix, plen) != 0)
                return -EINVAL;
        digits = name + plen;
        n = strspn(digits, "0123456789");
        /* Only the kernel's spelling: no sign, no leading zero, nothing after. */
        if (n == 0 || digits[n] != '\0' || (digits[0] == '0' && n > 1))
                return -EINVAL;
        return mr_parse_dec_u64(digits, ret);
}

bool mr_dir_vanished(struct memrange_ctx *ctx, const char *path) {
        int fd = mr_open(ctx, path, O_RDONLY | O_DIRECTORY);

        if (fd < 0)
                return fd == -ENOENT;
        close(fd);
        return false;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* Appends @index to the growing array *@indices. */
static int push_index(uint64_t **indices, size_t *n, size_t *cap, uint64_t index) {
        if (*n == *cap) {
                size_t bigger = *cap ? *cap * 2 : 32;
                uint64_t *p = realloc(*indices, bigger * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                *indices = p;
                *cap = bigger;
        }
        (*indices)[(*n)++] = index;
        return 0;
}

int mr_list_indexed_fd(struct memrange_ctx *ctx, int fd, const char *path, const char *prefix, size_t max,
                       uint64_t **ret_indices, size_t *ret_n) {
        _cleanup_(closep) int dir_fd = fd;
        _cleanup_(freep) uint64_t *indices = NULL;
        size_t n = 0, cap = 0;
        /* getdents64() itself rather than readdir(): fdopendir() costs an
         * fstat() and two fcntl() per directory, and the blocks reader lists
         * one directory per memory block. */
        _Alignas(struct dirent64) char buf[8192];

        for (;;) {
                ssize_t got = getdents64(dir_fd, buf, sizeof(buf));

                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        return mr_error_at(ctx, errno, path, 0, "cannot list directory: %s", strerror(errno));
                }
                if (got == 0)
                        break;
                for (ssize_t off = 0; off < got;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + off);
                        uint64_t index;

                        off += de->d_reclen;
                        if (mr_parse_index_name(de->d_name, prefix, &index) < 0)
                                continue;
                        if (n == max)
                                return mr_error_at(ctx, EFBIG, path, 0, "more than %zu %sN entries", max,
                                                   prefix);
                        if (push_index(&indices, &n, &cap, index) < 0)
                                return -ENOMEM;
                }
        }
        if (n > 0)
                qsort(indices, n, sizeof(*indices), cmp_u64);
        *ret_indices = TAKE_PTR(indices);
        *ret_n = n;
        return 0;
}

int mr_list_indexed(struct memrange_ctx *ctx, const char *path, const char *prefix, size_t max,
                    uint64_t **ret_indices, size_t *ret_n) {
        int fd = mr_open(ctx, path, O_RDONLY | O_DIRECTORY);

        if (fd == -ENOENT)
                return fd;
        if (fd < 0)
                return mr_error_at(ctx, fd, path, 0, "cannot open directory: %s", strerror(-fd));
        return mr_list_indexed_fd(ctx, fd, path, prefix, max, ret_indices, ret_n);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every file access of the library: relative to the sysroot directory fd,
 * with bounded reads, so that every reader runs against fixture trees. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memrange-private.h"

static const char *relative(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

int mr_open(struct memrange_ctx *ctx, const char *path, int flags) {
        int fd = openat(mr_sysroot_fd(ctx), relative(path), flags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? negative_errno() : fd;
}

int mr_read_file(struct memrange_ctx *ctx, const char *path, size_t max, char **ret_buf,
                 size_t *ret_len) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 4096;

        fd = mr_open(ctx, path, O_RDONLY);
        if (fd < 0)
                return fd;

        /* procfs and sysfs report size 0 or a page: read until EOF instead. */
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *bigger;

                        if (cap > max)
                                return -EFBIG;
                        cap *= 2;
                        bigger = realloc(buf, cap + 1);
                        if (!bigger)
                                return -ENOMEM;
                        buf = bigger;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret_buf = TAKE_PTR(buf);
        return 0;
}

int mr_read_attr(struct memrange_ctx *ctx, const char *path, char **ret_value) {
        char *buf;
        size_t len;
        int r;

        r = mr_read_file(ctx, path, MR_ATTR_MAX, &buf, &len);
        if (r < 0)
                return r;
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        *ret_value = buf;
        return 0;
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
        return fstatat(mr_sysroot_fd(ctx), relative(path), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every file access of the library: relative to the sysroot directory fd,
 * with bounded reads, so that every reader runs against fixture trees; and
 * the small sysfs helpers the readers share (one-line attributes, numbered
 * entries). */
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

/* ---- sysfs helpers shared by the readers ---- */

int mr_read_attr_line(struct memrange_ctx *ctx, const char *path, char **ret_value) {
        _cleanup_(freep) char *buf = NULL;
        size_t len;
        int r;

        r = mr_read_file(ctx, path, MR_ATTR_MAX, &buf, &len);
        if (r == -ENOENT)
                return r;
        if (r == -EFBIG)
                return mr_error_at(ctx, r, path, 0, "larger than %u bytes", MR_ATTR_MAX);
        if (r < 0)
                return mr_error_at(ctx, r, path, 0, "cannot read: %s", strerror(-r));
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        /* A NUL would silently cut the value short; a newline means a second
         * line; anything else below 0x20 is binary junk. */
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) buf[i];
                if (c < 0x20 || c == 0x7f)
                        return mr_error_at(ctx, EBADMSG, path, 0, "control character 0x%02x at byte %zu",
                                           c, i + 1);
        }
        *ret_value = TAKE_PTR(buf);
        return 0;
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

int mr_list_indexed(struct memrange_ctx *ctx, const char *path, const char *prefix, size_t max,
                    uint64_t **ret_indices, size_t *ret_n) {
        _cleanup_(closedirp) DIR *dir = NULL;
        _cleanup_(freep) uint64_t *indices = NULL;
        size_t n = 0, cap = 0;
        int r;

        r = mr_opendir(ctx, path, &dir);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return mr_error_at(ctx, r, path, 0, "cannot open directory: %s", strerror(-r));
        for (;;) {
                struct dirent *de;
                uint64_t index;

                errno = 0;
                de = readdir(dir);
                if (!de) {
                        if (errno != 0)
                                return mr_error_at(ctx, errno, path, 0, "cannot list directory: %s",
                                                   strerror(errno));
                        break;
                }
                if (mr_parse_index_name(de->d_name, prefix, &index) < 0)
                        continue;
                if (n == max)
                        return mr_error_at(ctx, EFBIG, path, 0, "more than %zu %sN entries", max, prefix);
                if (n == cap) {
                        size_t bigger = cap ? cap * 2 : 32;
                        uint64_t *p = realloc(indices, bigger * sizeof(*p));
                        if (!p)
                                return -ENOMEM;
                        indices = p;
                        cap = bigger;
                }
                indices[n++] = index;
        }
        if (n > 0)
                qsort(indices, n, sizeof(*indices), cmp_u64);
        *ret_indices = TAKE_PTR(indices);
        *ret_n = n;
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int read_full_fd(int fd, size_t max, char **ret_buf, size_t *ret_len) {
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 4096;

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

const char *path_in_root(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

static const char *at_path(int dir_fd, const char *path) {
        return dir_fd == AT_FDCWD ? path : path_in_root(path);
}

int read_full_file_at(int dir_fd, const char *path, size_t max, char **ret_buf, size_t *ret_len) {
        _cleanup_(closep) int fd = openat(dir_fd, at_path(dir_fd, path), O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, max, ret_buf, ret_len);
}

int read_line_file_at(int dir_fd, const char *path, size_t max, char **ret_line) {
        char *text;
        size_t len;
        int r;

        r = read_full_file_at(dir_fd, path, max, &text, &len);
        if (r < 0)
                return r;
        if (len > 0 && text[len - 1] == '\n')
                text[len - 1] = '\0';
        *ret_line = text;
        return 0;
}

bool file_exists_at(int dir_fd, const char *path) {
        struct stat st;

        return fstatat(dir_fd, at_path(dir_fd, path), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode) {
        const char *p = data;
        char tmp[PATH_MAX], path[PATH_MAX];
        int fd, r = 0, n;

        n = snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (n < 0 || (size_t) n >= sizeof(path) ||
            snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                r = -errno;
        while (r == 0 && len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        r = -errno;
                else {
                        p += k;
                        len -= (size_t) k;
                }
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

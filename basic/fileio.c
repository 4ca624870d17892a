/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

int read_full_file_at(int dir_fd, const char *path, size_t max, char **ret_buf, size_t *ret_len) {
        _cleanup_(closep) int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, max, ret_buf, ret_len);
}

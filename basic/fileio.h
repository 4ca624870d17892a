/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded whole-file reads. */
#pragma once

#include <stddef.h>

/* Reads @fd to EOF (procfs and sysfs report a size of 0 or one page, so
 * the size is never trusted) into a NUL-terminated buffer the caller
 * frees. -EFBIG when the file holds more than @max bytes, -ENOMEM, or
 * -errno of read(). *ret_buf and *ret_len (may be NULL) are untouched on
 * failure. Does not close @fd. */
int read_full_fd(int fd, size_t max, char **ret_buf, size_t *ret_len);

/* read_full_fd() of @path, relative to @dir_fd (AT_FDCWD: the working
 * directory); -errno of openat(). */
int read_full_file_at(int dir_fd, const char *path, size_t max, char **ret_buf, size_t *ret_len);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded whole-file reads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Enough for any one-line sysfs or procfs attribute (a page). */
#define LINE_FILE_MAX 4096u

/* Reads @fd to EOF (procfs and sysfs report a size of 0 or one page, so
 * the size is never trusted) into a NUL-terminated buffer the caller
 * frees. -EFBIG when the file holds more than @max bytes, -ENOMEM, or
 * -errno of read(). *ret_buf and *ret_len (may be NULL) are untouched on
 * failure. Does not close @fd. */
int read_full_fd(int fd, size_t max, char **ret_buf, size_t *ret_len);

/* @path without its leading slashes ("." for "/"): a path as the running
 * system names it, made relative to a sysroot directory fd. */
const char *path_in_root(const char *path);

/* read_full_fd() of @path, relative to @dir_fd (AT_FDCWD: the working
 * directory; otherwise leading slashes of @path are skipped, see
 * path_in_root()); -errno of openat(). */
int read_full_file_at(int dir_fd, const char *path, size_t max, char **ret_buf, size_t *ret_len);

/* A small file of one line (a sysfs or procfs attribute) without its
 * trailing newline; as read_full_file_at() with at most @max bytes. */
int read_line_file_at(int dir_fd, const char *path, size_t max, char **ret_line);

/* Whether @path exists relative to @dir_fd (as read_full_file_at()); a
 * dangling symbolic link exists. */
bool file_exists_at(int dir_fd, const char *path);

/* Replaces the file @name in the directory @dir with the @len bytes at
 * @data, mode @mode (the umask does not apply), so that a reader sees the
 * old file or the new one, never a part: the bytes go to a temporary
 * ".NAME.XXXXXX" beside it (mkostemp()), renamed over @name when
 * complete; nothing is left behind on failure. No fsync(): callers whose
 * file must survive a power loss need more. -errno. */
int write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

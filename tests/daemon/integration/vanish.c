/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for test-faults-scan.py: a memory block vanishes between
 * the readdir that listed it and the read of its files, as a hot-remove
 * racing with a scan does on a real machine.
 *
 * On the first openat() of a path ending in "memoryN/state" (N from
 * $MEMRANGED_VANISH_BLOCK), before the real openat() runs, the shim
 *   - removes, recursively, each path of $MEMRANGED_VANISH_REMOVE
 *     (':'-separated, relative to $MEMRANGED_VANISH_ROOT; default: the
 *     block's own directory sys/devices/system/memory/memoryN),
 *   - renames each "FROM>TO" pair of $MEMRANGED_VANISH_RENAME (same
 *     rules; e.g. a prepared proc/iomem without the removed RAM),
 *   - creates $MEMRANGED_VANISH_MARK (if set) so that the test knows it
 *     fired,
 * then lets the real openat() fail with ENOENT as the kernel's would. It
 * fires once per process. Under AddressSanitizer the daemon needs
 * ASAN_OPTIONS=verify_asan_link_order=0 (this library comes first). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Both openat and openat64 are defined here: no redirection of one to the
 * other. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*openat_fn)(int, const char *, int, ...);

static int fired;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) type;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* Runs @fn on each ':'-separated item of environment variable @name. */
static void for_each_item(const char *name, const char *fallback, void (*fn)(const char *root, char *item)) {
        const char *root = getenv("MEMRANGED_VANISH_ROOT"), *value = getenv(name);
        char *copy, *save = NULL;

        if (!root || !(value = value ?: fallback) || !(copy = strdup(value)))
                return;
        for (char *item = strtok_r(copy, ":", &save); item; item = strtok_r(NULL, ":", &save))
                fn(root, item);
        free(copy);
}

static void remove_item(const char *root, char *item) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", root, item);
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "vanish: cannot remove %s: %m\n", path);
}

static void rename_item(const char *root, char *item) {
        char from[PATH_MAX], to[PATH_MAX], *arrow = strchr(item, '>');

        if (!arrow)
                return;
        *arrow = '\0';
        snprintf(from, sizeof(from), "%s/%s", root, item);
        snprintf(to, sizeof(to), "%s/%s", root, arrow + 1);
        if (rename(from, to) < 0)
                fprintf(stderr, "vanish: cannot rename %s to %s: %m\n", from, to);
}

/* The whole path openat() opens: @path under the directory of @dirfd (the
 * reader may open memoryN first and its files relative to that). */
static void full_path(int dirfd, const char *path, char *buf, size_t size) {
        char link[64];
        ssize_t n;

        if (path[0] == '/' || dirfd == AT_FDCWD) {
                snprintf(buf, size, "%s", path);
                return;
        }
        snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
        n = readlink(link, buf, size - 1);
        if (n < 0)
                n = 0;
        buf[n] = '\0';
        snprintf(buf + n, size - (size_t) n, "/%s", path);
}

static void maybe_vanish(int dirfd, const char *path) {
        const char *block = getenv("MEMRANGED_VANISH_BLOCK"), *mark = getenv("MEMRANGED_VANISH_MARK");
        char suffix[64], fallback[96], whole[PATH_MAX];
        size_t len, n;
        int fd;

        if (fired || !block)
                return;
        n = (size_t) snprintf(suffix, sizeof(suffix), "/memory%s/state", block);
        full_path(dirfd, path, whole, sizeof(whole));
        len = strlen(whole);
        if (len < n || strcmp(whole + len - n, suffix) != 0)
                return;
        fired = 1;
        snprintf(fallback, sizeof(fallback), "sys/devices/system/memory/memory%s", block);
        for_each_item("MEMRANGED_VANISH_REMOVE", fallback, remove_item);
        for_each_item("MEMRANGED_VANISH_RENAME", NULL, rename_item);
        fprintf(stderr, "vanish: memory%s removed before its state was opened\n", block);
        if (mark && (fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
                close(fd);
}

static int call_real(const char *name, int dirfd, const char *path, int flags, mode_t mode) {
        openat_fn real = (openat_fn) dlsym(RTLD_NEXT, name);

        if (!real) {
                errno = ENOSYS;
                return -1;
        }
        maybe_vanish(dirfd, path);
        return real(dirfd, path, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t) va_arg(ap, int) : 0;
}

int openat(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = mode_arg(flags, ap);
        va_end(ap);
        return call_real("openat", dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = mode_arg(flags, ap);
        va_end(ap);
        return call_real("openat64", dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's checked entry points (glibc declares them only for
 * gcc: clang's -Wmissing-prototypes wants these). */
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __openat_2(int dirfd, const char *path, int flags) {
        return call_real("openat", dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags) {
        return call_real("openat64", dirfd, path, flags, 0);
}

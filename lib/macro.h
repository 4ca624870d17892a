/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the library, the tools and the tests. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _public_ __attribute__((visibility("default")))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _taken_ = (p); \
                (p) = NULL;                  \
                _taken_;                     \
        })
#define TAKE_FD(fd)                  \
        ({                           \
                int _taken_fd_ = (fd); \
                (fd) = -1;           \
                _taken_fd_;          \
        })

/* Defines name##p(type **) calling func(*p) when *p is non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)       \
        static inline void func##p(type *p) {         \
                if (*p)                               \
                        func(*p);                     \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

/* Returns -errno, or -EIO when errno is unexpectedly 0. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline int mr_streq(const char *a, const char *b) {
        return a && b && __builtin_strcmp(a, b) == 0;
}

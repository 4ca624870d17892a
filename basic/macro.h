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

/* States for the clang static analyzer (clang-tidy's clang-analyzer-*) a
 * fact that the code guarantees but the analyzer cannot work out, such as
 * the sign of -errno or what a variadic function returns. Nothing in a
 * real build. */
#ifdef __clang_analyzer__
#define ANALYZER_ASSUME(x) __builtin_assume(x)
#else
#define ANALYZER_ASSUME(x) ((void) 0)
#endif

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership out of a _cleanup_ variable. */
#ifdef __CPPCHECK__
/* For cppcheck 2.10, which cannot parse these statement expressions inside
 * an initializer and, not knowing _cleanup_, takes the reset for a dead
 * store: the same effect through the variable's address. */
static inline void *take_ptr_for_cppcheck(void *p) {
        void *v = *(void **) p;
        *(void **) p = NULL;
        return v;
}
static inline int take_fd_for_cppcheck(int *fd) {
        int v = *fd;
        *fd = -1;
        return v;
}
#define TAKE_PTR(p) take_ptr_for_cppcheck(&(p))
#define TAKE_FD(fd) take_fd_for_cppcheck(&(fd))
#else
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
#endif

/* Defines name##p(type **) calling func(*p) when *p is non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                               \
        /* NOLINTNEXTLINE(bugprone-macro-parentheses): type is a type name */ \
        static inline void func##p(type *p) {                                 \
                if (*p)                                                       \
                        func(*p);                                             \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void closep(const int *fd) {
        if (*fd >= 0)
                close(*fd);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

/* Returns -errno, or -EIO when errno is unexpectedly 0. */
static inline int negative_errno(void) {
        int r = errno > 0 ? -errno : -EIO;

        ANALYZER_ASSUME(r < 0);
        return r;
}

static inline int mr_streq(const char *a, const char *b) {
        return a && b && __builtin_strcmp(a, b) == 0;
}

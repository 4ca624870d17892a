/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared helpers of the unit tests: fixture paths, contexts over fixture
 * sysroots and over scratch trees written by the test itself. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "memrange-private.h"

#ifdef __clang_analyzer__
/* cmocka 1.1's skip() leaves the test with a longjmp() but is not declared
 * noreturn: tell the static analyzer, which otherwise follows the test on
 * past it. */
#undef skip
#define skip()                                  \
        do {                                    \
                _skip(__FILE__, __LINE__);      \
                __builtin_unreachable();        \
        } while (0)
#endif

/* Absolute path of a fixture sysroot, e.g. fixture_path("x86_64-6.1-dimm/boot").
 * Returns a static buffer (overwritten by the next call). */
const char *fixture_path(const char *relative);

/* A context over a fixture sysroot; fails the test if it cannot be made.
 * Library errors are printed to stderr so test logs show them. */
struct memrange_ctx *fixture_ctx(const char *relative);

/* Scratch sysroot: a fresh temporary directory, removed by scratch_free(). */
struct scratch {
        char path[256];
};
void scratch_init(struct scratch *s);
/* Writes @len bytes (len == (size_t)-1: strlen) to @relpath, creating
 * parent directories. */
void scratch_write(struct scratch *s, const char *relpath, const void *data, size_t len);
void scratch_mkdir(struct scratch *s, const char *relpath);
void scratch_symlink(struct scratch *s, const char *target, const char *relpath);
struct memrange_ctx *scratch_ctx(struct scratch *s);
void scratch_free(struct scratch *s);

/* Every fixture sysroot under FIXTURES_DIR (boot/, hotplug/, offline/ and
 * kdump-cases' root/), relative names, NULL-terminated static array. */
extern const char *const all_fixtures[];

/* stderr capture, for what a daemon or library logs ("file:line: ..."):
 * everything written to stderr between begin and end is returned by end
 * (caller frees). */
struct stderr_capture {
        FILE *file;
        int saved;
};
void stderr_capture_begin(struct stderr_capture *c);
char *stderr_capture_end(struct stderr_capture *c);

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
/* cmocka 1.1 leaves a failed or skipped test with a longjmp() but declares
 * none of it noreturn: tell the static analyzer, which otherwise follows a
 * test on past a failed assertion (to the NULL it has just rejected). */
void _fail(const char *const file, const int line) __attribute__((noreturn));
void _skip(const char *const file, const int line) __attribute__((noreturn));
#undef assert_true
#undef assert_false
#undef assert_non_null
#undef assert_null
#undef assert_int_equal
#define assert_true(c) ((c) ? (void) 0 : _fail(__FILE__, __LINE__))
#define assert_false(c) assert_true(!(c))
#define assert_non_null(c) assert_true((c) != NULL)
#define assert_null(c) assert_true((c) == NULL)
#define assert_int_equal(a, b) assert_true(cast_to_largest_integral_type(a) == cast_to_largest_integral_type(b))
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

/* @a and @b hold the same ranges, each with the same type, flags, node and
 * sources. */
void assert_same_ranges(const struct memrange_table *a, const struct memrange_table *b);

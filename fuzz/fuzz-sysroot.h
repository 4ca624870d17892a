/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A scratch sysroot for the fuzz targets of the multi-file readers: the
 * input describes a small tree of files, which is written into a
 * per-process directory on /dev/shm (tmpfs) before the reader runs.
 *
 * Input format (fuzz/README.md): records separated by the five bytes
 * "\n====\n" (newline, four '=', newline); each record is a relative
 * path, a newline, and the file's content (everything up to the next
 * separator or the end of the input, so a sysfs value keeps its own
 * trailing newline before the separator's). A path ending in '/' makes a
 * directory. Paths with an empty, ".", ".." or overlong component, more
 * than 12 components, or a character outside [A-Za-z0-9_.,@#+-], are
 * skipped, as is anything past FUZZ_SYSROOT_MAX_FILES records. Symbolic links of a live system are
 * written as plain files, as the fixtures store them: the readers only
 * look at their names. fuzz/pack-sysroot.py makes such an input from the
 * files of a fixture. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "memrange.h"

#define FUZZ_SYSROOT_SEPARATOR "\n====\n"
#define FUZZ_SYSROOT_MAX_FILES 256u
#define FUZZ_SYSROOT_MAX_PATH 200u

/* Replaces the tree of the previous input with the one @data describes
 * and returns the context over it (owned by this module: one per
 * process, its last error cleared). Aborts when the scratch directory
 * cannot be made: the run would test nothing. */
struct memrange_ctx *fuzz_sysroot_load(const uint8_t *data, size_t size);

/* Checks the contract of a failed read: every failure but absence
 * (-ENOENT) and lack of memory records an error that names a file of the
 * tree ("sys/...: ..." or "proc/...: ..."); aborts otherwise. */
void fuzz_check_failure(struct memrange_ctx *ctx, int r);

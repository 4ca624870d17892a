/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the dump-range policies (crash.c, crash-ppc64.c,
 * their vectors in crash-vector.c), the finding about them
 * (crash-findings.c), the ELF core header (elfcore.c) and the iomem
 * rendering (render.c). Calls go one way: crash-findings.c -> crash.c ->
 * crash-ppc64.c -> crash-vector.c, and the policies -> views.h. Everything
 * here is hidden. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "views.h"

/* ---- vectors of dump ranges (crash-vector.c) ---- */

/* Records "POLICY: message" as the context's error when @ctx is not NULL;
 * returns -abs(err) either way. */
int mr_dump_error(struct memrange_ctx *ctx, int err, enum memrange_dump_policy policy, const char *format, ...)
        _printf_(4, 5);

/* Appends [start, end) (nothing when empty) to the array *v of *n ranges,
 * which grows only through this function. -ENOMEM. */
int mr_dump_push(struct memrange_dump_range **v, size_t *n, uint64_t start, uint64_t end, uint32_t flags);
/* Appends [start, end) minus @cut (sorted by start) to *v. *cursor (0 at
 * first) skips cuts below earlier pieces: call with ascending pieces and
 * the walk stays linear. */
int mr_dump_push_minus(struct memrange_dump_range **v, size_t *n, uint64_t start, uint64_t end,
                       const struct memrange_dump_range *cut, size_t n_cut, size_t *cursor);
/* Sorts by start address and joins overlapping ranges (touching ones stay
 * apart: two reservations side by side are two). */
void mr_dump_sort_merge(struct memrange_dump_range *v, size_t *n);

/* Appends the runs of contiguous regions of @table that carry
 * MEMRANGE_F_CRASHKERNEL (the crash reservations) to *v. */
int mr_dump_crash_runs(const struct memrange_table *table, struct memrange_dump_range **ret, size_t *ret_n);

/* ---- the policies (crash.c) ---- */

/* Whether a header built from @crash holds the note of @cpu's crash_notes
 * entry: when cpu/possible is known, only possible CPUs have one. */
bool mr_crash_note_in_header(const struct memrange_crash *crash, unsigned cpu);

/* Calls @emit for each maximal run of contiguous RAM regions of @table of
 * one kind (plain or driver-managed), in address order: the "System RAM"
 * lines of /proc/iomem. Stops at and returns the first negative return. */
int mr_dump_foreach_line(const struct memrange_table *table,
                         int (*emit)(void *userdata, uint64_t start, uint64_t end, bool driver_managed),
                         void *userdata);

/* ---- kexec-tools on ppc64 (crash-ppc64.c) ---- */

/* kexec-tools on ppc64 (crash-ppc64.c): fills @out->ranges and ->excluded
 * from the device tree and drmem of @sources, minus the crash reservations
 * of @table and the device tree's /chosen crash region. @ctx (may be NULL)
 * gets the error message. */
int mr_dump_compute_ppc64(struct memrange_ctx *ctx, const struct memrange_table *table,
                          const struct memrange_sources *sources, struct memrange_dump_ranges *out);

/* ---- kcore (elfcore.c) ---- */

/* The ELF and program headers at the start of proc/kcore (elfcore.c),
 * never the memory behind them; 0 and *ret NULL when kcore is absent or
 * unreadable, -EBADMSG (message in @ctx) when malformed. */
int mr_kcore_read_header(struct memrange_ctx *ctx, struct memrange_elfcore **ret);

/* ---- findings (crash-findings.c) ---- */

/* The finding "dump-memory-limit": ppc64's /chosen/linux,memory-limit of
 * @sources when not 0, a warning while RAM of @table lies above it (with
 * whether memranged's view reads it as 0), added to @findings, which is
 * sorted again. Needs no dump ranges: kexec-tools-ppc64 applies the limit
 * whatever else it dumps. -ENOMEM. */
int mr_find_dump_memory_limit(const struct memrange_table *table, const struct memrange_sources *sources,
                              struct memrange_findings *findings);

/* The finding "dump-drops-driver-managed-ram" (crash-findings.c): one per
 * stretch of driver-managed RAM of @table that @ranges (computed from
 * @table) leave out by rule, added to @findings, which is sorted again.
 * -ENOMEM. */
int mr_find_dump_drops(const struct memrange_table *table, const struct memrange_dump_ranges *ranges,
                       struct memrange_findings *findings);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the reconciler's files: reconcile.c (building the
 * table), reconcile-annotate.c (what the other sources add to it),
 * reconcile-findings.c (where the sources disagree) and findings.c (the
 * findings container, which crash-findings.c fills too). The views they
 * share with the dump policies are in views.h. Everything here is
 * hidden. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "views.h"

/* Every type bit: for annotations that apply whatever iomem called a range. */
#define RC_ANY_TYPE (~0u)
#define RC_TYPE_BIT(t) (1u << (t))

/* ---- annotations (reconcile-annotate.c) ---- */

/* Adds @sources and @flags to, and sets @nid (unless MEMRANGE_NID_NONE) on,
 * the parts of [start, end) covered by regions whose type is in @type_mask. */
int rc_annotate(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t type_mask,
                uint32_t sources, uint32_t flags, int32_t nid);
/* Every source but iomem's own entries annotates the table. */
int rc_annotate_all(struct memrange_table *table, const struct memrange_sources *sources);

/* ---- findings (findings.c, reconcile-findings.c) ---- */

/* Appends one finding; the message is formatted. -ENOMEM on failure. */
int rc_findings_add(struct memrange_findings *findings, enum memrange_severity severity,
                    uint32_t sources, uint64_t start, uint64_t end, const char *code,
                    const char *format, ...) _printf_(7, 8);
/* Errors first, then by address, then by code: a stable order for output. */
void rc_findings_sort(struct memrange_findings *findings);

/* Computes every finding about @sources against @table (the table built by
 * memrange_reconcile, before which @built_from names the source the table
 * came from when iomem was not usable, 0 when it came from iomem). */
int rc_find_disagreements(const struct memrange_table *table, const struct memrange_sources *sources,
                          uint32_t built_from, struct memrange_findings *findings);
/* ---- the reconciler (reconcile.c) ---- */

/* The table built from @sources and the findings where they disagree,
 * sorted: memrange_reconcile() without the finding about crash dumps
 * (reconcile-dump.c adds it). @ctx may be NULL. Caller owns both. */
int mr_reconcile_sources(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                         struct memrange_table **ret_table, struct memrange_findings **ret_findings);

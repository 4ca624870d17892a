/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the reconciler's files: reconcile.c (building the
 * table), reconcile-annotate.c (what the other sources add to it),
 * reconcile-findings.c (where the sources disagree) and findings.c (the
 * findings container). Everything here is hidden. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange-private.h"

/* Every type bit: for annotations that apply whatever iomem called a range. */
#define RC_ANY_TYPE (~0u)
#define RC_TYPE_BIT(t) (1u << (t))

/* ---- sources (reconcile.c) ---- */

/* True when @sources carries a real /proc/iomem: present and not zeroed. */
bool rc_iomem_usable(const struct memrange_sources *sources);
/* True when @e is a Crash kernel entry of /proc/iomem. */
bool rc_is_crash_entry(const struct memrange_iomem_entry *e);

/* ---- plain tables (reconcile.c) ----
 * A "plain" table holds address coverage only: every region has the same
 * attributes, so touching pieces merge and a table of pieces is a set. */
int rc_plain_add(struct memrange_table *table, uint64_t start, uint64_t end);
/* Device tree memory after the linux,usable-memory limits: the nodes'
 * usable-memory where a node has one, else their reg, clipped to
 * /chosen/linux,usable-memory-range when present. Caller owns the table. */
int rc_devicetree_memory(const struct memrange_devicetree *dt, struct memrange_table **ret_table);
/* The memory the firmware describes on powerpc (and device tree machines):
 * calls @fn with each piece of the device tree's memory (rc_devicetree_memory,
 * @source MEMRANGE_SRC_DEVICETREE), then each drmem LMB that is memory
 * (MEMRANGE_SRC_DRMEM). Stops at and returns the first negative return. */
int rc_foreach_firmware_memory(const struct memrange_sources *s,
                               int (*fn)(void *userdata, uint64_t start, uint64_t end, uint32_t source),
                               void *userdata);

/* ---- walking a table over an address window (reconcile.c) ---- */
enum rc_cover {
        RC_COVER_GAP = 1u << 0,   /* no region of the table */
        RC_COVER_RAM = 1u << 1,   /* a region of type RAM */
        RC_COVER_OTHER = 1u << 2, /* a region of any other type */
};
/* Adds to the plain table @out every piece of [start, end) whose coverage in
 * @table is one of @kinds. O(k log n) for k regions in the window. */
int rc_collect(const struct memrange_table *table, uint64_t start, uint64_t end, unsigned kinds,
               struct memrange_table *out);

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
/* The finding "dump-drops-driver-managed-ram" (crash-findings.c): RAM the
 * machine's automatic dump policy leaves out by rule. */
int rc_find_dump_drops(const struct memrange_table *table, const struct memrange_sources *sources,
                       struct memrange_findings *findings);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Views of the sources shared by the reconciler (reconcile*.c) and the
 * dump policies (crash*.c), in views.c; they call neither. Everything here
 * is hidden. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange-private.h"

/* ---- plain tables ----
 * A "plain" table holds address coverage only: every region has the same
 * attributes, so touching pieces merge and a table of pieces is a set. */
int mr_plain_add(struct memrange_table *table, uint64_t start, uint64_t end);
/* Device tree memory after the linux,usable-memory limits: the nodes'
 * usable-memory where a node has one, else their reg, clipped to
 * /chosen/linux,usable-memory-range when present. Caller owns the table. */
int mr_devicetree_memory(const struct memrange_devicetree *dt, struct memrange_table **ret_table);
/* The memory the firmware describes on powerpc (and device tree machines):
 * calls @fn with each piece of the device tree's memory (mr_devicetree_memory,
 * @source MEMRANGE_SRC_DEVICETREE), then each drmem LMB that is memory
 * (MEMRANGE_SRC_DRMEM). Stops at and returns the first negative return. */
int mr_foreach_firmware_memory(const struct memrange_sources *s,
                               int (*fn)(void *userdata, uint64_t start, uint64_t end, uint32_t source),
                               void *userdata);

/* ---- sources ---- */

/* True when @sources carries a real /proc/iomem: present and not zeroed. */
bool mr_iomem_usable(const struct memrange_sources *sources);
/* True when @e is a Crash kernel entry of /proc/iomem. */
bool mr_is_crash_entry(const struct memrange_iomem_entry *e);

/* ---- walking a table over an address window ---- */
enum mr_cover {
        MR_COVER_GAP = 1u << 0,   /* no region of the table */
        MR_COVER_RAM = 1u << 1,   /* a region of type RAM */
        MR_COVER_OTHER = 1u << 2, /* a region of any other type */
};
/* Adds to the plain table @out every piece of [start, end) whose coverage in
 * @table is one of @kinds. O(k log n) for k regions in the window. */
int mr_collect(const struct memrange_table *table, uint64_t start, uint64_t end, unsigned kinds,
               struct memrange_table *out);

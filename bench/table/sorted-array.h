/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The comparison for figure 7: a range table kept as one sorted array, the
 * way the kernel's memblock keeps its regions (mm/memblock.c): adding
 * inserts each uncovered gap with a memmove of the tail and then merges
 * equal touching neighbours; removing splits the regions crossing the ends
 * and closes the hole with one memmove. The rules are those of
 * memrange_table (memrange.h): regions merge when they touch and have equal
 * type, flags, nid and sources; an add fills only the gaps; a range is
 * clipped at UINT64_MAX; start > end is -EINVAL, an empty range a no-op.
 *
 * Faster than memblock itself where it costs nothing: the first affected
 * region is found by binary search (memblock walks from index 0), a merge
 * or a removal compacts the window with one memmove (memblock moves the
 * tail once per region). Every insertion still moves the tail: that is the
 * approach being measured.
 */
#pragma once

#include <stddef.h>

#include "memrange.h"

struct sorted_array {
        struct memrange *regions; /* n ascending, non-overlapping, merged */
        size_t n, size;
};

/* Both return 0, -EINVAL (inverted range, bad attributes) or -ENOMEM. */
int sorted_array_add(struct sorted_array *a, const struct memrange *r);
int sorted_array_remove(struct sorted_array *a, uint64_t start, uint64_t end);
/* Frees the regions; the array is empty and usable again. */
void sorted_array_clear(struct sorted_array *a);
uint64_t sorted_array_total(const struct sorted_array *a);

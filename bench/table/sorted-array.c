/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A memblock-style sorted array of regions (see sorted-array.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sorted-array.h"

#define INITIAL_SIZE 128u

static bool attrs_valid(const struct memrange *r) {
        return r->type < _MEMRANGE_TYPE_MAX && !(r->flags & ~(uint32_t) _MEMRANGE_F_ALL) &&
               r->nid >= MEMRANGE_NID_NONE && !(r->sources & ~(uint32_t) _MEMRANGE_SRC_ALL);
}

static bool attrs_equal(const struct memrange *a, const struct memrange *b) {
        return a->type == b->type && a->flags == b->flags && a->nid == b->nid && a->sources == b->sources;
}

/* Index of the first region ending above @addr (a->n when none). */
static size_t first_ending_after(const struct sorted_array *a, uint64_t addr) {
        size_t lo = 0, hi = a->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (a->regions[mid].end > addr)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}

/* Room for @more regions, doubling like memblock_double_array(). */
static int reserve(struct sorted_array *a, size_t more) {
        size_t size = a->size ? a->size : INITIAL_SIZE;
        struct memrange *p;

        if (a->n + more <= a->size)
                return 0;
        while (size < a->n + more)
                size *= 2;
        p = reallocarray(a->regions, size, sizeof(*p));
        if (!p)
                return -ENOMEM;
        a->regions = p;
        a->size = size;
        return 0;
}

/* Opens a slot at @i by moving the tail up one: memblock_insert_region(). */
static struct memrange *open_slot(struct sorted_array *a, size_t i) {
        memmove(&a->regions[i + 1], &a->regions[i], (a->n - i) * sizeof(*a->regions));
        a->n++;
        return &a->regions[i];
}

/* Walks the uncovered gaps of [start, end) from region @i (the first
 * ending above start); with @fill, inserts each with @fill's attributes.
 * Returns the number of gaps. */
static size_t cover_gaps(struct sorted_array *a, size_t i, uint64_t start, uint64_t end,
                         const struct memrange *fill) {
        uint64_t pos = start;
        size_t gaps = 0;

        while (pos < end) {
                bool inside = i < a->n && a->regions[i].start < end;
                uint64_t gap_end = inside ? a->regions[i].start : end;

                if (gap_end > pos) {
                        gaps++;
                        if (fill) {
                                struct memrange *slot = open_slot(a, i++);

                                *slot = *fill;
                                slot->start = pos;
                                slot->end = gap_end;
                        }
                }
                if (!inside)
                        break;
                pos = a->regions[i++].end;
        }
        return gaps;
}

/* Merges equal touching neighbours among the regions from @lo that start
 * at or below @end, then closes the gap left with one memmove. */
static void merge_window(struct sorted_array *a, size_t lo, uint64_t end) {
        size_t out = lo, in = lo + 1;

        if (lo >= a->n)
                return;
        for (; in < a->n && a->regions[in].start <= end; in++) {
                struct memrange *last = &a->regions[out];

                if (last->end == a->regions[in].start && attrs_equal(last, &a->regions[in]))
                        last->end = a->regions[in].end;
                else
                        a->regions[++out] = a->regions[in];
        }
        memmove(&a->regions[out + 1], &a->regions[in], (a->n - in) * sizeof(*a->regions));
        a->n -= in - (out + 1);
}

int sorted_array_add(struct sorted_array *a, const struct memrange *r) {
        size_t i, gaps;
        int k;

        if (!attrs_valid(r) || r->start > r->end)
                return -EINVAL;
        if (r->start == r->end)
                return 0;
        i = first_ending_after(a, r->start);
        gaps = cover_gaps(a, i, r->start, r->end, NULL);
        if (gaps == 0)
                return 0;
        k = reserve(a, gaps);
        if (k < 0)
                return k;
        cover_gaps(a, i, r->start, r->end, r);
        /* The region before the first gap may touch it. */
        merge_window(a, i > 0 ? i - 1 : 0, r->end);
        return 0;
}

/* Cuts region @i at @at (strictly inside it) into two with equal
 * attributes. */
static void split_at(struct sorted_array *a, size_t i, uint64_t at) {
        struct memrange *lower = open_slot(a, i);

        lower[1] = lower[0];
        lower[0].end = at;
        lower[1].start = at;
}

int sorted_array_remove(struct sorted_array *a, uint64_t start, uint64_t end) {
        size_t i, j;
        int k;

        if (start > end)
                return -EINVAL;
        if (start == end)
                return 0;
        i = first_ending_after(a, start);
        if (i == a->n || a->regions[i].start >= end)
                return 0;
        /* memblock_isolate_range(): at most two splits. */
        k = reserve(a, 2);
        if (k < 0)
                return k;
        if (a->regions[i].start < start)
                split_at(a, i++, start);
        j = first_ending_after(a, end);
        if (j < a->n && a->regions[j].start < end)
                split_at(a, j++, end);
        /* [i, j) now lies inside [start, end): what is around it was
         * merged before, so nothing merges after. */
        memmove(&a->regions[i], &a->regions[j], (a->n - j) * sizeof(*a->regions));
        a->n -= j - i;
        return 0;
}

void sorted_array_clear(struct sorted_array *a) {
        free(a->regions);
        *a = (struct sorted_array) {};
}

uint64_t sorted_array_total(const struct sorted_array *a) {
        uint64_t total = 0;

        for (size_t i = 0; i < a->n; i++)
                total += a->regions[i].end - a->regions[i].start;
        return total;
}

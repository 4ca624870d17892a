/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Set operations on range tables, and memblock's free-range iteration
 * (memory minus reserved). Built on the public table interface only: each
 * walks the two sorted sequences side by side.
 */
#include <errno.h>

#include "memrange-private.h"

static uint64_t max_u64(uint64_t a, uint64_t b) {
        return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* Adds [start, end) with @attrs' attributes. */
static int add_piece(struct memrange_table *t, const struct memrange *attrs, uint64_t start, uint64_t end) {
        struct memrange piece = *attrs;

        piece.start = start;
        piece.end = end;
        return memrange_table_add(t, &piece);
}

/* Checks the arguments and makes the empty result, with @a's limit. */
static int new_result(const struct memrange_table *a, const struct memrange_table *b,
                      struct memrange_table **ret_table, struct memrange_table **ret_result) {
        int r;

        if (!a || !b || !ret_table)
                return -EINVAL;
        r = memrange_table_new(ret_result);
        if (r < 0)
                return r;
        memrange_table_set_max_addr(*ret_result, memrange_table_get_max_addr(a));
        return 0;
}

_public_ int memrange_table_intersect(const struct memrange_table *a, const struct memrange_table *b,
                                      struct memrange_table **ret_table) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;
        const struct memrange *x, *y;
        int r;

        r = new_result(a, b, ret_table, &t);
        if (r < 0)
                return r;
        x = memrange_table_first(a);
        y = memrange_table_first(b);
        while (x && y) {
                uint64_t lo = max_u64(x->start, y->start), hi = min_u64(x->end, y->end);

                if (lo < hi) {
                        r = add_piece(t, x, lo, hi);
                        if (r < 0)
                                return r;
                }
                /* Advance whichever ends first; the other may reach further. */
                if (x->end <= y->end)
                        x = memrange_table_next(a, x);
                else
                        y = memrange_table_next(b, y);
        }
        *ret_table = TAKE_PTR(t);
        return 0;
}

/* Adds the parts of @x not covered by @b, starting the walk of @b at
 * *cursor (the first region of @b that may still overlap @x or later
 * regions of @a), and moves the cursor on. */
static int add_uncovered(struct memrange_table *t, const struct memrange *x, const struct memrange_table *b,
                         const struct memrange **cursor) {
        const struct memrange *y = *cursor;
        uint64_t pos = x->start;
        int r;

        while (y && y->end <= x->start)
                y = memrange_table_next(b, y);
        *cursor = y;
        for (; y && y->start < x->end; y = memrange_table_next(b, y)) {
                if (y->start > pos) {
                        r = add_piece(t, x, pos, y->start);
                        if (r < 0)
                                return r;
                }
                pos = max_u64(pos, y->end);
                if (pos >= x->end)
                        return 0;
        }
        return pos < x->end ? add_piece(t, x, pos, x->end) : 0;
}

_public_ int memrange_table_subtract(const struct memrange_table *a, const struct memrange_table *b,
                                     struct memrange_table **ret_table) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;
        const struct memrange *cursor;
        int r;

        r = new_result(a, b, ret_table, &t);
        if (r < 0)
                return r;
        cursor = memrange_table_first(b);
        memrange_table_foreach(x, a) {
                r = add_uncovered(t, x, b, &cursor);
                if (r < 0)
                        return r;
        }
        *ret_table = TAKE_PTR(t);
        return 0;
}

/* @a's regions go in first, so add() gives @b's attributes only to the
 * gaps that @a leaves. The result accepts addresses below either limit. */
_public_ int memrange_table_union(const struct memrange_table *a, const struct memrange_table *b,
                                  struct memrange_table **ret_table) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;
        int r;

        if (!a || !b || !ret_table)
                return -EINVAL;
        r = memrange_table_dup(a, &t);
        if (r < 0)
                return r;
        memrange_table_set_max_addr(t, max_u64(memrange_table_get_max_addr(a),
                                               memrange_table_get_max_addr(b)));
        memrange_table_foreach(y, b) {
                r = memrange_table_add(t, y);
                if (r < 0)
                        return r;
        }
        *ret_table = TAKE_PTR(t);
        return 0;
}

static bool memory_wanted(const struct memrange *m, int32_t nid, uint32_t skip_flags) {
        if (m->flags & skip_flags)
                return false;
        return nid == MEMRANGE_NID_NONE || m->nid == nid;
}

/* The first free piece of @m at or above @pos: [*ret_lo, *ret_hi) between
 * reserved regions. False when the rest of @m is all reserved. */
static bool first_free_in(const struct memrange *m, const struct memrange_table *reserved, uint64_t pos,
                          uint64_t *ret_lo, uint64_t *ret_hi) {
        uint64_t lo = max_u64(pos, m->start);

        while (lo < m->end) {
                const struct memrange *r = reserved ? memrange_table_lower_bound(reserved, lo) : NULL;

                if (!r || r->start >= m->end) {
                        *ret_lo = lo;
                        *ret_hi = m->end;
                        return true;
                }
                if (r->start > lo) {
                        *ret_lo = lo;
                        *ret_hi = r->start;
                        return true;
                }
                lo = r->end; /* r covers lo: skip past it */
        }
        return false;
}

/* Like memblock's __next_mem_range(): one free range per call, in address
 * order, each within one memory region and carrying its attributes. The
 * cursor remembers the address where the next search starts. */
_public_ int memrange_free_next(const struct memrange_table *memory, const struct memrange_table *reserved,
                                int32_t nid, uint32_t skip_flags, struct memrange_free_iter *iter,
                                struct memrange *ret_range) {
        if (!memory || !iter || !ret_range || nid < MEMRANGE_NID_NONE)
                return -EINVAL;
        if (iter->done)
                return 0;
        for (const struct memrange *m = memrange_table_lower_bound(memory, iter->pos); m;
             m = memrange_table_next(memory, m)) {
                uint64_t lo, hi;

                if (!memory_wanted(m, nid, skip_flags) || !first_free_in(m, reserved, iter->pos, &lo, &hi))
                        continue;
                *ret_range = *m;
                ret_range->start = lo;
                ret_range->end = hi;
                iter->pos = hi;
                return 1;
        }
        iter->done = true;
        return 0;
}

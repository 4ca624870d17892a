/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The range table: sorted, non-overlapping regions with memblock's rules
 * (DOMAIN.md section 4), kept in an AVL tree keyed by start address
 * (table-tree.h).
 *
 * Invariant kept after every public call: no two neighbours touch with
 * equal attributes (the table is fully merged), count and total are exact,
 * and every region lies below max_addr.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "memrange-private.h"
#include "table-tree.h"

/* Unused nodes kept for reuse between operations; more are allocated on
 * demand, and an operation reserves all it needs before changing anything
 * so that -ENOMEM never leaves a half-done update. */
#define SPARE_KEEP 64

struct memrange_table {
        struct node *root;
        size_t count;
        uint64_t total;
        uint64_t max_addr;
        struct node *spare; /* linked through ->parent */
        size_t n_spare;
};

static struct node *node_of(const struct memrange *r) {
        return (struct node *) ((char *) r - offsetof(struct node, range));
}

static uint64_t range_size(const struct memrange *r) {
        return r->end - r->start;
}

/* Tree updates with the table's count and total kept in step. */
static void insert_node(struct memrange_table *t, struct node *n) {
        tree_insert(&t->root, n);
        t->count++;
        t->total += range_size(&n->range);
}

static void erase_node(struct memrange_table *t, struct node *n) {
        tree_erase(&t->root, n);
        t->count--;
        t->total -= range_size(&n->range);
}

static struct node *lower_bound(const struct memrange_table *t, uint64_t addr) {
        return tree_lower_bound(t->root, addr);
}

/* ---- spare nodes ---- */

static int reserve_nodes(struct memrange_table *t, size_t n) {
        while (t->n_spare < n) {
                struct node *x = malloc(sizeof(*x));

                if (!x)
                        return -ENOMEM;
                x->parent = t->spare;
                t->spare = x;
                t->n_spare++;
        }
        return 0;
}

static struct node *take_node(struct memrange_table *t) {
        struct node *x = t->spare;

        assert(x);
        t->spare = x->parent;
        t->n_spare--;
        return x;
}

static void drop_node(struct memrange_table *t, struct node *x) {
        if (t->n_spare >= SPARE_KEEP) {
                free(x);
                return;
        }
        x->parent = t->spare;
        t->spare = x;
        t->n_spare++;
}

static void erase_and_drop(struct memrange_table *t, struct node *x) {
        erase_node(t, x);
        drop_node(t, x);
}

/* ---- region operations ---- */

static bool attrs_equal(const struct memrange *a, const struct memrange *b) {
        return a->type == b->type && a->flags == b->flags && a->nid == b->nid &&
               a->sources == b->sources;
}

static bool attrs_valid(uint32_t type, uint32_t flags, int32_t nid, uint32_t sources) {
        return type < _MEMRANGE_TYPE_MAX && !(flags & ~(uint32_t) _MEMRANGE_F_ALL) &&
               nid >= MEMRANGE_NID_NONE && !(sources & ~(uint32_t) _MEMRANGE_SRC_ALL);
}

/* Rejects inverted ranges and clips at the table's limit. Returns 1 when
 * something is left to do, 0 for a no-op, -EINVAL when start > end. */
static int clip_span(const struct memrange_table *t, uint64_t start, uint64_t *end) {
        if (start > *end)
                return -EINVAL;
        if (*end > t->max_addr)
                *end = t->max_addr;
        return start < *end;
}

/* Inserts a region with @attrs' attributes over [start, end) from a
 * reserved node. */
static void insert_span(struct memrange_table *t, const struct memrange *attrs, uint64_t start,
                        uint64_t end) {
        struct node *n = take_node(t);

        n->range = *attrs;
        n->range.start = start;
        n->range.end = end;
        insert_node(t, n);
}

/* Counts the uncovered gaps of [start, end); with @fill, also inserts each
 * gap with @fill's attributes (the nodes must have been reserved). */
static size_t cover_gaps(struct memrange_table *t, uint64_t start, uint64_t end,
                         const struct memrange *fill) {
        struct node *x = lower_bound(t, start);
        uint64_t pos = start;
        size_t n = 0;

        while (pos < end) {
                bool inside = x && x->range.start < end;
                uint64_t gap_end = inside ? x->range.start : end;

                if (gap_end > pos) {
                        n++;
                        if (fill)
                                insert_span(t, fill, pos, gap_end);
                }
                if (!inside)
                        break;
                pos = x->range.end;
                x = tree_step(x, 1);
        }
        return n;
}

/* Merges equal touching neighbours among the regions that overlap or
 * touch [start, end]. */
static void merge_window(struct memrange_table *t, uint64_t start, uint64_t end) {
        struct node *x = lower_bound(t, start), *y;

        if (!x)
                return;
        y = tree_step(x, 0);
        if (y)
                x = y;
        while ((y = tree_step(x, 1)) && y->range.start <= end) {
                if (x->range.end == y->range.start && attrs_equal(&x->range, &y->range)) {
                        x->range.end = y->range.end;
                        /* x grew by what y held: the total is unchanged. */
                        t->total += range_size(&y->range);
                        erase_and_drop(t, y);
                } else
                        x = y;
        }
}

/* Cuts @x at @at (strictly inside it) into two regions with equal
 * attributes, from a reserved node. */
static void split_at(struct memrange_table *t, struct node *x, uint64_t at) {
        struct node *upper = take_node(t);

        upper->range = x->range;
        upper->range.start = at;
        t->total -= x->range.end - at;
        x->range.end = at;
        insert_node(t, upper);
}

/* Validates and clips [start, *end), then splits the regions crossing its
 * ends so that it is made of whole regions (at most two new nodes).
 * Returns 1 when regions lie inside, 0 when there is nothing to do. */
static int isolate(struct memrange_table *t, uint64_t start, uint64_t *end) {
        struct node *x;
        int r;

        if (!t)
                return -EINVAL;
        r = clip_span(t, start, end);
        if (r <= 0)
                return r;
        if (!memrange_table_overlaps(t, start, *end))
                return 0;
        r = reserve_nodes(t, 2);
        if (r < 0)
                return r;
        x = lower_bound(t, start);
        if (x && x->range.start < start)
                split_at(t, x, start);
        x = lower_bound(t, *end);
        if (x && x->range.start < *end)
                split_at(t, x, *end);
        return 1;
}

_public_ int memrange_table_new(struct memrange_table **ret_table) {
        struct memrange_table *t;

        if (!ret_table)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->max_addr = UINT64_MAX;
        *ret_table = t;
        return 0;
}

_public_ void memrange_table_clear(struct memrange_table *table) {
        if (!table)
                return;
        tree_free_all(table->root);
        table->root = NULL;
        table->count = 0;
        table->total = 0;
}

_public_ struct memrange_table *memrange_table_free(struct memrange_table *table) {
        if (!table)
                return NULL;
        memrange_table_clear(table);
        while (table->spare)
                free(take_node(table));
        free(table);
        return NULL;
}

/* Copies the subtree shape as is: O(n), and the copy stays balanced. */
/* NOLINTNEXTLINE(misc-no-recursion): as deep as the AVL tree, O(log n). */
static int copy_subtree(const struct node *src, struct node *parent, struct node **ret) {
        struct node *n;

        if (!src) {
                *ret = NULL;
                return 0;
        }
        n = malloc(sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = (struct node) { .range = src->range, .parent = parent, .height = src->height };
        for (unsigned i = 0; i < 2; i++) {
                int r = copy_subtree(src->child[i], n, &n->child[i]);
                if (r < 0) {
                        tree_free_all(n);
                        return r;
                }
        }
        *ret = n;
        return 0;
}

_public_ int memrange_table_dup(const struct memrange_table *table, struct memrange_table **ret_table) {
        _cleanup_(memrange_table_freep) struct memrange_table *copy = NULL;
        int r;

        if (!table || !ret_table)
                return -EINVAL;
        r = memrange_table_new(&copy);
        if (r < 0)
                return r;
        r = copy_subtree(table->root, NULL, &copy->root);
        if (r < 0)
                return r;
        copy->count = table->count;
        copy->total = table->total;
        copy->max_addr = table->max_addr;
        *ret_table = TAKE_PTR(copy);
        return 0;
}

/* Lowering the limit drops what lies above it: truncation at the top never
 * needs a new node, so this cannot fail. */
_public_ void memrange_table_set_max_addr(struct memrange_table *table, uint64_t max_addr) {
        struct node *x;

        if (!table)
                return;
        table->max_addr = max_addr;
        while ((x = tree_extreme(table->root, 1)) && x->range.start >= max_addr)
                erase_and_drop(table, x);
        if (x && x->range.end > max_addr) {
                table->total -= x->range.end - max_addr;
                x->range.end = max_addr;
        }
}

_public_ uint64_t memrange_table_get_max_addr(const struct memrange_table *table) {
        return table ? table->max_addr : 0;
}

_public_ int memrange_table_add(struct memrange_table *table, const struct memrange *r) {
        uint64_t end;
        size_t gaps;
        int k;

        if (!table || !r)
                return -EINVAL;
        if (!attrs_valid(r->type, r->flags, r->nid, r->sources))
                return -EINVAL;
        end = r->end;
        k = clip_span(table, r->start, &end);
        if (k <= 0)
                return k;
        gaps = cover_gaps(table, r->start, end, NULL);
        if (gaps == 0)
                return 0;
        k = reserve_nodes(table, gaps);
        if (k < 0)
                return k;
        cover_gaps(table, r->start, end, r);
        merge_window(table, r->start, end);
        return 0;
}

_public_ int memrange_table_remove(struct memrange_table *table, uint64_t start, uint64_t end) {
        struct node *x;
        int r;

        r = isolate(table, start, &end);
        if (r <= 0)
                return r;
        /* What remains around the hole was merged before: nothing to re-merge. */
        x = lower_bound(table, start);
        while (x && x->range.start < end) {
                struct node *next = tree_step(x, 1);
                erase_and_drop(table, x);
                x = next;
        }
        return 0;
}

enum change_kind {
        CHANGE_SET_FLAGS,
        CHANGE_CLEAR_FLAGS,
        CHANGE_SET_NID,
        CHANGE_SET_TYPE,
        CHANGE_ADD_SOURCES,
};

static void apply_change(struct memrange *r, enum change_kind kind, int64_t value) {
        switch (kind) {
        case CHANGE_SET_FLAGS:
                r->flags |= (uint32_t) value;
                break;
        case CHANGE_CLEAR_FLAGS:
                r->flags &= ~(uint32_t) value;
                break;
        case CHANGE_SET_NID:
                r->nid = (int32_t) value;
                break;
        case CHANGE_SET_TYPE:
                r->type = (uint32_t) value;
                break;
        case CHANGE_ADD_SOURCES:
                r->sources |= (uint32_t) value;
                break;
        }
}

/* Isolates [start, end), changes the regions inside, re-merges around. */
static int change_span(struct memrange_table *t, uint64_t start, uint64_t end,
                       enum change_kind kind, int64_t value) {
        int r;

        r = isolate(t, start, &end);
        if (r <= 0)
                return r;
        for (struct node *x = lower_bound(t, start); x && x->range.start < end; x = tree_step(x, 1))
                apply_change(&x->range, kind, value);
        merge_window(t, start, end);
        return 0;
}

_public_ int memrange_table_set_flags(struct memrange_table *table, uint64_t start, uint64_t end,
                                      uint32_t flags) {
        if (!attrs_valid(0, flags, MEMRANGE_NID_NONE, 0))
                return -EINVAL;
        return change_span(table, start, end, CHANGE_SET_FLAGS, flags);
}

_public_ int memrange_table_clear_flags(struct memrange_table *table, uint64_t start, uint64_t end,
                                        uint32_t flags) {
        if (!attrs_valid(0, flags, MEMRANGE_NID_NONE, 0))
                return -EINVAL;
        return change_span(table, start, end, CHANGE_CLEAR_FLAGS, flags);
}

_public_ int memrange_table_set_nid(struct memrange_table *table, uint64_t start, uint64_t end,
                                    int32_t nid) {
        if (!attrs_valid(0, 0, nid, 0))
                return -EINVAL;
        return change_span(table, start, end, CHANGE_SET_NID, nid);
}

_public_ int memrange_table_set_type(struct memrange_table *table, uint64_t start, uint64_t end,
                                     uint32_t type) {
        if (!attrs_valid(type, 0, MEMRANGE_NID_NONE, 0))
                return -EINVAL;
        return change_span(table, start, end, CHANGE_SET_TYPE, type);
}

_public_ int memrange_table_add_sources(struct memrange_table *table, uint64_t start, uint64_t end,
                                        uint32_t sources) {
        if (!attrs_valid(0, 0, MEMRANGE_NID_NONE, sources))
                return -EINVAL;
        return change_span(table, start, end, CHANGE_ADD_SOURCES, sources);
}

/* Shrinking regions keeps their order, so keys change in place. Touching
 * neighbours were unequal before and are either still unequal or now apart:
 * no merge is needed. */
_public_ int memrange_table_trim(struct memrange_table *table, uint64_t align) {
        uint64_t mask = align - 1;
        struct node *x;

        if (!table || align == 0 || (align & mask))
                return -EINVAL;
        x = tree_extreme(table->root, 0);
        while (x) {
                struct node *next = tree_step(x, 1);
                uint64_t start = x->range.start, end = x->range.end & ~mask;
                bool empty = start > UINT64_MAX - mask; /* rounding up would wrap */

                if (!empty)
                        start = (start + mask) & ~mask;
                if (empty || start >= end)
                        erase_and_drop(table, x);
                else {
                        table->total -= range_size(&x->range) - (end - start);
                        x->range.start = start;
                        x->range.end = end;
                }
                x = next;
        }
        return 0;
}

_public_ size_t memrange_table_count(const struct memrange_table *table) {
        return table ? table->count : 0;
}

_public_ uint64_t memrange_table_total(const struct memrange_table *table) {
        return table ? table->total : 0;
}

_public_ const struct memrange *memrange_table_find(const struct memrange_table *table, uint64_t addr) {
        struct node *x;

        if (!table)
                return NULL;
        x = lower_bound(table, addr);
        return x && x->range.start <= addr ? &x->range : NULL;
}

_public_ bool memrange_table_overlaps(const struct memrange_table *table, uint64_t start, uint64_t end) {
        struct node *x;

        if (!table || start >= end)
                return false;
        x = lower_bound(table, start);
        return x && x->range.start < end;
}

_public_ uint64_t memrange_table_covered(const struct memrange_table *table, uint64_t start,
                                         uint64_t end) {
        uint64_t sum = 0;

        if (!table || start >= end)
                return 0;
        for (struct node *x = lower_bound(table, start); x && x->range.start < end; x = tree_step(x, 1)) {
                uint64_t lo = x->range.start > start ? x->range.start : start;
                uint64_t hi = x->range.end < end ? x->range.end : end;
                sum += hi - lo;
        }
        return sum;
}

_public_ const struct memrange *memrange_table_first(const struct memrange_table *table) {
        struct node *x = table ? tree_extreme(table->root, 0) : NULL;
        return x ? &x->range : NULL;
}

_public_ const struct memrange *memrange_table_last(const struct memrange_table *table) {
        struct node *x = table ? tree_extreme(table->root, 1) : NULL;
        return x ? &x->range : NULL;
}

_public_ const struct memrange *memrange_table_next(const struct memrange_table *table,
                                                   const struct memrange *cur) {
        struct node *x = table && cur ? tree_step(node_of(cur), 1) : NULL;
        return x ? &x->range : NULL;
}

_public_ const struct memrange *memrange_table_prev(const struct memrange_table *table,
                                                   const struct memrange *cur) {
        struct node *x = table && cur ? tree_step(node_of(cur), 0) : NULL;
        return x ? &x->range : NULL;
}

_public_ const struct memrange *memrange_table_lower_bound(const struct memrange_table *table,
                                                          uint64_t addr) {
        struct node *x = table ? lower_bound(table, addr) : NULL;
        return x ? &x->range : NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the range table tests: building tables from literal regions,
 * comparing a whole table against the expected regions, and a byte-map
 * reference model for the randomized tests. */
#pragma once

#include <inttypes.h>
#include <string.h>

#include "test-util.h"

#define SZ_4K   0x1000ull
#define SZ_64K  0x10000ull
#define SZ_1M   0x100000ull
#define SZ_2M   0x200000ull
#define SZ_4M   0x400000ull
#define SZ_16M  0x1000000ull
#define SZ_64M  0x4000000ull
#define SZ_128M 0x8000000ull
#define SZ_256M 0x10000000ull
#define SZ_1G   0x40000000ull

#define NONE MEMRANGE_NID_NONE

#define REGION(s, e, ty, fl, n, src) \
        ((struct memrange) { .start = (s), .end = (e), .type = (ty), .flags = (fl), .nid = (n), .sources = (src) })
#define RAM(s, e) REGION(s, e, MEMRANGE_TYPE_RAM, 0, NONE, 0)
#define RAM_F(s, e, fl) REGION(s, e, MEMRANGE_TYPE_RAM, fl, NONE, 0)
#define RAM_N(s, e, n) REGION(s, e, MEMRANGE_TYPE_RAM, 0, n, 0)
#define RSV(s, e) REGION(s, e, MEMRANGE_TYPE_RESERVED, 0, NONE, 0)
#define RSV_N(s, e, n) REGION(s, e, MEMRANGE_TYPE_RESERVED, 0, n, 0)

static inline void print_region(const char *prefix, const struct memrange *r) {
        print_message("%s[%#" PRIx64 ", %#" PRIx64 ") type=%" PRIu32 " flags=%#" PRIx32
                      " nid=%" PRId32 " sources=%#" PRIx32 "\n",
                      prefix, r->start, r->end, r->type, r->flags, r->nid, r->sources);
}

static inline bool region_equal(const struct memrange *a, const struct memrange *b) {
        return a->start == b->start && a->end == b->end && a->type == b->type &&
               a->flags == b->flags && a->nid == b->nid && a->sources == b->sources;
}

/* Asserts that @t holds exactly @want[0..n) in order, that count() is @n
 * and total() is @total (a number worked out by hand, not summed here). */
static inline void check_table(const struct memrange_table *t, uint64_t total, size_t n,
                               const struct memrange *want) {
        const struct memrange *got = memrange_table_first(t);
        bool ok = memrange_table_count(t) == n && memrange_table_total(t) == total;

        for (size_t i = 0; i < n && ok; i++, got = memrange_table_next(t, got))
                ok = got && region_equal(got, &want[i]);
        ok = ok && got == NULL;
        if (ok)
                return;
        print_message("expected %zu regions, total %#" PRIx64 ":\n", n, total);
        for (size_t i = 0; i < n; i++)
                print_region("  ", &want[i]);
        print_message("table has %zu regions, total %#" PRIx64 ":\n", memrange_table_count(t),
                      memrange_table_total(t));
        memrange_table_foreach(r, t)
                print_region("  ", r);
        fail_msg("table differs from the expected regions");
}

#define EXPECT_TABLE(t, total, ...)                                     \
        do {                                                            \
                const struct memrange _want[] = { __VA_ARGS__ };        \
                check_table((t), (total), ELEMENTSOF(_want), _want);    \
        } while (0)
#define EXPECT_EMPTY(t) check_table((t), 0, 0, NULL)

/* A new table holding @regions added in order (each add must succeed). */
static inline struct memrange_table *make_table(size_t n, const struct memrange *regions) {
        struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_new(&t), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(memrange_table_add(t, &regions[i]), 0);
        return t;
}
#define TABLE(...)                                                                      \
        make_table(ELEMENTSOF(((const struct memrange[]) { __VA_ARGS__ })),             \
                   (const struct memrange[]) { __VA_ARGS__ })
#define EMPTY_TABLE() make_table(0, NULL)

/* xorshift64: fixed seeds make the randomized tests reproducible. */
static inline uint64_t test_rand(uint64_t *state) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return *state = x;
}

static inline uint64_t test_rand_below(uint64_t *state, uint64_t n) {
        return test_rand(state) % n;
}

/* Reference model: one cell per address of a small address space. */
#define MODEL_SPACE 256
struct model {
        bool present[MODEL_SPACE];
        struct memrange attrs[MODEL_SPACE]; /* start/end unused */
};

static inline bool attrs_same(const struct memrange *a, const struct memrange *b) {
        return a->type == b->type && a->flags == b->flags && a->nid == b->nid && a->sources == b->sources;
}

/* The merged regions the model describes: maximal runs of equal cells. */
static inline size_t model_regions(const struct model *m, struct memrange *out, uint64_t *ret_total) {
        size_t n = 0;
        uint64_t total = 0;

        for (unsigned a = 0; a < MODEL_SPACE; a++) {
                if (!m->present[a])
                        continue;
                total++;
                if (n > 0 && out[n - 1].end == a && attrs_same(&out[n - 1], &m->attrs[a])) {
                        out[n - 1].end++;
                        continue;
                }
                out[n] = m->attrs[a];
                out[n].start = a;
                out[n].end = a + 1;
                n++;
        }
        *ret_total = total;
        return n;
}

/* Asserts the table equals the model, region by region, and that find()
 * agrees with the model at every address. */
static inline void check_against_model(const struct memrange_table *t, const struct model *m) {
        struct memrange want[MODEL_SPACE];
        uint64_t total;
        size_t n = model_regions(m, want, &total);

        check_table(t, total, n, want);
        for (unsigned a = 0; a < MODEL_SPACE; a++) {
                const struct memrange *r = memrange_table_find(t, a);
                assert_int_equal(r != NULL, m->present[a]);
                if (r)
                        assert_true(attrs_same(r, &m->attrs[a]));
        }
}

static inline void model_from_table(struct model *m, const struct memrange_table *t) {
        memset(m, 0, sizeof(*m));
        memrange_table_foreach(r, t)
                for (uint64_t a = r->start; a < r->end && a < MODEL_SPACE; a++) {
                        m->present[a] = true;
                        m->attrs[a] = *r;
                }
}

/* Attributes from small sets, so that equal neighbours (and merges) are
 * common. */
static inline struct memrange random_attrs(uint64_t *seed) {
        static const uint32_t types[] = { MEMRANGE_TYPE_RAM, MEMRANGE_TYPE_RESERVED };
        static const uint32_t flags[] = { 0, MEMRANGE_F_HOTPLUG, MEMRANGE_F_NOMAP };
        static const int32_t nids[] = { NONE, 0, 1 };
        static const uint32_t sources[] = { 0, MEMRANGE_SRC_IOMEM, MEMRANGE_SRC_MEMBLOCK };

        return REGION(0, 0, types[test_rand_below(seed, ELEMENTSOF(types))],
                      flags[test_rand_below(seed, ELEMENTSOF(flags))],
                      nids[test_rand_below(seed, ELEMENTSOF(nids))],
                      sources[test_rand_below(seed, ELEMENTSOF(sources))]);
}

/* memblock's own memory and reserved tables, read from a fixture through
 * the memblock reader. The source bits are dropped: memblock has none, and
 * the allocator's reservations must merge with these by memblock's rules. */
static inline void memblock_fixture_tables(const char *fixture, struct memrange_table **ret_memory,
                                           struct memrange_table **ret_reserved) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(fixture);
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;
        const struct memrange_list *lists[2];
        struct memrange_table **tables[2] = { ret_memory, ret_reserved };

        assert_int_equal(memrange_memblock_read(ctx, &mb), 0);
        lists[0] = &mb->memory;
        lists[1] = &mb->reserved;
        for (unsigned k = 0; k < 2; k++) {
                *tables[k] = EMPTY_TABLE();
                for (size_t i = 0; i < lists[k]->n; i++) {
                        struct memrange r = lists[k]->ranges[i];
                        r.sources = 0;
                        assert_int_equal(memrange_table_add(*tables[k], &r), 0);
                }
        }
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Intersect, subtract and union of range tables, and memblock's free-range
 * iteration (memory minus reserved). */
#include "table-check.h"

#define T_RAM MEMRANGE_TYPE_RAM

/* ---- intersect ---- */

static void intersect_keeps_attributes_of_the_first_table(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a =
                TABLE(REGION(0x1000, 0x5000, T_RAM, MEMRANGE_F_HOTPLUG, 0, MEMRANGE_SRC_IOMEM));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RSV_N(0x3000, 0x8000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_intersect(a, b, &t), 0);
        EXPECT_TABLE(t, 0x2000, REGION(0x3000, 0x5000, T_RAM, MEMRANGE_F_HOTPLUG, 0, MEMRANGE_SRC_IOMEM));
}

static void intersect_of_touching_tables_is_empty(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000), RAM(0x5000, 0x6000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RAM(0x2000, 0x5000));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_intersect(a, b, &t), 0);
        EXPECT_EMPTY(t);
}

static void intersect_with_region_spanning_several_of_the_other(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x0, 0x10000));
        _cleanup_(memrange_table_freep) struct memrange_table *b =
                TABLE(RSV(0x1000, 0x2000), RSV_N(0x2000, 0x3000, 1), RSV(0x8000, 0x9000));
        _cleanup_(memrange_table_freep) struct memrange_table *ab = NULL, *ba = NULL;

        /* The two pieces cut from a's one region touch and are equal: merged. */
        assert_int_equal(memrange_table_intersect(a, b, &ab), 0);
        EXPECT_TABLE(ab, 0x3000, RAM(0x1000, 0x3000), RAM(0x8000, 0x9000));
        assert_int_equal(memrange_table_intersect(b, a, &ba), 0);
        EXPECT_TABLE(ba, 0x3000, RSV(0x1000, 0x2000), RSV_N(0x2000, 0x3000, 1), RSV(0x8000, 0x9000));
}

static void intersect_with_an_empty_table_is_empty(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000));
        _cleanup_(memrange_table_freep) struct memrange_table *e = EMPTY_TABLE();
        _cleanup_(memrange_table_freep) struct memrange_table *t1 = NULL, *t2 = NULL;

        assert_int_equal(memrange_table_intersect(a, e, &t1), 0);
        EXPECT_EMPTY(t1);
        assert_int_equal(memrange_table_intersect(e, a, &t2), 0);
        EXPECT_EMPTY(t2);
}

/* ---- subtract ---- */

static void subtract_punches_holes_keeping_attributes(void **state) {
        const uint32_t mi = MEMRANGE_F_MIRROR, mb = MEMRANGE_SRC_MEMBLOCK;
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(REGION(0x10000, 0x20000, T_RAM, mi, 2, mb));
        _cleanup_(memrange_table_freep) struct memrange_table *b =
                TABLE(RSV(0x12000, 0x13000), RSV(0x18000, 0x19000));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_subtract(a, b, &t), 0);
        EXPECT_TABLE(t, 0xe000, REGION(0x10000, 0x12000, T_RAM, mi, 2, mb),
                     REGION(0x13000, 0x18000, T_RAM, mi, 2, mb), REGION(0x19000, 0x20000, T_RAM, mi, 2, mb));
}

static void subtract_region_spanning_several_of_the_first(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a =
                TABLE(RAM(0x1000, 0x2000), RAM_N(0x3000, 0x4000, 1), RAM(0x5000, 0x6000), RAM(0x7000, 0x8000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RSV(0x1800, 0x5800));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_subtract(a, b, &t), 0);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x1800), RAM(0x5800, 0x6000), RAM(0x7000, 0x8000));
}

static void subtract_of_a_disjoint_table_copies_the_first(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000), RSV(0x4000, 0x5000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RAM(0x2000, 0x4000), RAM(0x5000, 0x9000));
        _cleanup_(memrange_table_freep) struct memrange_table *e = EMPTY_TABLE();
        _cleanup_(memrange_table_freep) struct memrange_table *t1 = NULL, *t2 = NULL;

        assert_int_equal(memrange_table_subtract(a, b, &t1), 0);
        EXPECT_TABLE(t1, 0x2000, RAM(0x1000, 0x2000), RSV(0x4000, 0x5000));
        assert_int_equal(memrange_table_subtract(a, e, &t2), 0);
        EXPECT_TABLE(t2, 0x2000, RAM(0x1000, 0x2000), RSV(0x4000, 0x5000));
}

static void subtract_of_everything_is_empty_and_keeps_the_limit(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000), RSV(0x4000, 0x5000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RAM(0, UINT64_MAX));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        memrange_table_set_max_addr(a, SZ_1M);
        assert_int_equal(memrange_table_subtract(a, b, &t), 0);
        EXPECT_EMPTY(t);
        assert_int_equal(memrange_table_get_max_addr(t), SZ_1M);
}

/* ---- union ---- */

static void union_fills_gaps_with_the_second_tables_attributes(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x3000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RSV(0x2000, 0x5000));
        _cleanup_(memrange_table_freep) struct memrange_table *ab = NULL, *ba = NULL;

        assert_int_equal(memrange_table_union(a, b, &ab), 0);
        EXPECT_TABLE(ab, 0x4000, RAM(0x1000, 0x3000), RSV(0x3000, 0x5000));
        assert_int_equal(memrange_table_union(b, a, &ba), 0);
        EXPECT_TABLE(ba, 0x4000, RAM(0x1000, 0x2000), RSV(0x2000, 0x5000));
}

static void union_merges_touching_equal_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000), RAM(0x3000, 0x4000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RAM(0x2000, 0x3000));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_union(a, b, &t), 0);
        EXPECT_TABLE(t, 0x3000, RAM(0x1000, 0x4000));
}

static void union_accepts_addresses_below_either_limit(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000));
        _cleanup_(memrange_table_freep) struct memrange_table *b = TABLE(RSV(0x200000, 0x300000));
        _cleanup_(memrange_table_freep) struct memrange_table *t = NULL;

        memrange_table_set_max_addr(a, SZ_1M);
        memrange_table_set_max_addr(b, 0x400000);
        assert_int_equal(memrange_table_union(a, b, &t), 0);
        EXPECT_TABLE(t, 0x101000, RAM(0x1000, 0x2000), RSV(0x200000, 0x300000));
        assert_int_equal(memrange_table_get_max_addr(t), 0x400000);
}

static void set_operations_reject_null_arguments(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *a = TABLE(RAM(0x1000, 0x2000));
        struct memrange_table *t = NULL;

        assert_int_equal(memrange_table_intersect(a, NULL, &t), -EINVAL);
        assert_int_equal(memrange_table_subtract(NULL, a, &t), -EINVAL);
        assert_int_equal(memrange_table_union(a, a, NULL), -EINVAL);
        assert_null(t);
}

/* 300 pairs of random tables over 256 addresses: each operation must equal
 * the cell-by-cell result on byte maps. */
static void set_operations_match_a_byte_map_model(void **state) {
        static struct model ma, mb, want;
        uint64_t seed = 0x2545f4914f6cdd1dull;

        for (unsigned round = 0; round < 300; round++) {
                _cleanup_(memrange_table_freep) struct memrange_table *a = EMPTY_TABLE(), *b = EMPTY_TABLE();
                struct memrange_table *ops[3] = { NULL, NULL, NULL };

                for (unsigned i = 0; i < 12; i++) {
                        struct memrange r = random_attrs(&seed);

                        r.start = test_rand_below(&seed, MODEL_SPACE);
                        r.end = r.start + 1 + test_rand_below(&seed, MODEL_SPACE - r.start);
                        assert_int_equal(memrange_table_add(i % 2 ? a : b, &r), 0);
                        if (test_rand_below(&seed, 3) == 0)
                                assert_int_equal(memrange_table_remove(i % 2 ? b : a, r.start,
                                                                       r.start + (r.end - r.start) / 2), 0);
                }
                model_from_table(&ma, a);
                model_from_table(&mb, b);
                assert_int_equal(memrange_table_intersect(a, b, &ops[0]), 0);
                assert_int_equal(memrange_table_subtract(a, b, &ops[1]), 0);
                assert_int_equal(memrange_table_union(a, b, &ops[2]), 0);
                for (unsigned k = 0; k < 3; k++) {
                        for (unsigned x = 0; x < MODEL_SPACE; x++) {
                                bool in_a = ma.present[x], in_b = mb.present[x];
                                want.present[x] = k == 0 ? in_a && in_b : k == 1 ? in_a && !in_b : in_a || in_b;
                                want.attrs[x] = in_a ? ma.attrs[x] : mb.attrs[x];
                        }
                        check_against_model(ops[k], &want);
                        memrange_table_free(ops[k]);
                }
        }
}

/* ---- free ranges: memory minus reserved ---- */

/* Collects every free range into @out (at most @max). */
static size_t collect_free(const struct memrange_table *memory, const struct memrange_table *reserved,
                           int32_t nid, uint32_t skip, struct memrange *out, size_t max) {
        struct memrange_free_iter iter = {};
        size_t n = 0;
        int r;

        while ((r = memrange_free_next(memory, reserved, nid, skip, &iter, &out[n])) > 0) {
                n++;
                assert_true(n < max);
        }
        assert_int_equal(r, 0);
        /* A finished iterator stays finished. */
        assert_int_equal(memrange_free_next(memory, reserved, nid, skip, &iter, &out[n]), 0);
        return n;
}

static void expect_ranges(const struct memrange *got, size_t n, const struct memrange *want, size_t n_want) {
        for (size_t i = 0; i < n && i < n_want; i++)
                if (!region_equal(&got[i], &want[i])) {
                        print_region("got  ", &got[i]);
                        print_region("want ", &want[i]);
                        fail_msg("free range %zu differs", i);
                }
        assert_int_equal(n, n_want);
}
#define EXPECT_FREE(got, n, ...)                                                \
        do {                                                                    \
                const struct memrange _want[] = { __VA_ARGS__ };                \
                expect_ranges((got), (n), _want, ELEMENTSOF(_want));            \
        } while (0)

static void free_ranges_are_memory_minus_reserved(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM_N(0x1000, 0x10000, 0));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv =
                TABLE(RSV(0x2000, 0x3000), RSV(0x5000, 0x8000), RSV(0xf000, 0x11000));
        struct memrange got[8];
        size_t n = collect_free(mem, rsv, NONE, MEMRANGE_F_NOMAP, got, ELEMENTSOF(got));

        EXPECT_FREE(got, n, RAM_N(0x1000, 0x2000, 0), RAM_N(0x3000, 0x5000, 0), RAM_N(0x8000, 0xf000, 0));
}

static void free_ranges_skip_memory_carrying_skip_flags(void **state) {
        const uint32_t dm = MEMRANGE_F_DRIVER_MANAGED, hp = MEMRANGE_F_HOTPLUG;
        _cleanup_(memrange_table_freep) struct memrange_table *mem =
                TABLE(RAM(0x1000, 0x2000), RAM_F(0x2000, 0x3000, MEMRANGE_F_NOMAP), RAM_F(0x3000, 0x4000, dm),
                      RAM_F(0x4000, 0x5000, hp));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();
        struct memrange got[8];
        size_t n;

        n = collect_free(mem, rsv, NONE, MEMRANGE_F_NOMAP, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM(0x1000, 0x2000), RAM_F(0x3000, 0x4000, dm), RAM_F(0x4000, 0x5000, hp));
        n = collect_free(mem, rsv, NONE, MEMRANGE_F_NOMAP | dm | hp, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM(0x1000, 0x2000));
}

static void free_ranges_are_restricted_to_the_node(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem =
                TABLE(RAM_N(0x10000, 0x20000, 0), RAM_N(0x20000, 0x30000, 1), RAM_N(0x30000, 0x40000, 0));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x1f000, 0x21000));
        struct memrange got[8];
        size_t n;

        n = collect_free(mem, rsv, 0, 0, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM_N(0x10000, 0x1f000, 0), RAM_N(0x30000, 0x40000, 0));
        n = collect_free(mem, rsv, 1, 0, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM_N(0x21000, 0x30000, 1));
        n = collect_free(mem, rsv, 2, 0, got, ELEMENTSOF(got));
        assert_int_equal(n, 0);
        n = collect_free(mem, rsv, NONE, 0, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM_N(0x10000, 0x1f000, 0), RAM_N(0x21000, 0x30000, 1), RAM_N(0x30000, 0x40000, 0));
}

static void fully_reserved_memory_has_no_free_ranges(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x1000, 0x3000), RAM_N(0x5000, 0x6000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x1000, 0x2000), RSV_N(0x2000, 0x6000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *none = EMPTY_TABLE();
        struct memrange got[4];

        assert_int_equal(collect_free(mem, rsv, NONE, MEMRANGE_F_NOMAP, got, ELEMENTSOF(got)), 0);
        assert_int_equal(collect_free(none, rsv, NONE, MEMRANGE_F_NOMAP, got, ELEMENTSOF(got)), 0);
}

static void free_ranges_without_reserved_table_are_the_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x1000, 0x3000), RAM_N(0x5000, 0x6000, 1));
        struct memrange got[4];
        size_t n = collect_free(mem, NULL, NONE, 0, got, ELEMENTSOF(got));

        EXPECT_FREE(got, n, RAM(0x1000, 0x3000), RAM_N(0x5000, 0x6000, 1));
}

static void free_ranges_split_at_memory_region_boundaries(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem =
                TABLE(RAM_N(0x1000, 0x2000, 0), RAM_N(0x2000, 0x3000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x2800, 0x2900));
        struct memrange got[4];
        size_t n = collect_free(mem, rsv, NONE, 0, got, ELEMENTSOF(got));

        EXPECT_FREE(got, n, RAM_N(0x1000, 0x2000, 0), RAM_N(0x2000, 0x2800, 1), RAM_N(0x2900, 0x3000, 1));
}

static void free_next_rejects_bad_arguments(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x1000, 0x3000));
        struct memrange_free_iter iter = {};
        struct memrange r;

        assert_int_equal(memrange_free_next(NULL, NULL, NONE, 0, &iter, &r), -EINVAL);
        assert_int_equal(memrange_free_next(mem, NULL, NONE, 0, NULL, &r), -EINVAL);
        assert_int_equal(memrange_free_next(mem, NULL, -7, 0, &iter, &r), -EINVAL);
}

/* arm64-6.12-virt/boot: memblock debugfs lists one memory region
 * 0x40000000..0xbfffffff on node 0 and 21 reservations; the gaps between
 * them, worked out from the file, are these 21 free ranges. */
static void free_ranges_of_the_arm64_fixture_memblock(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = NULL, *rsv = NULL;
        struct memrange got[32];
        size_t n;

        memblock_fixture_tables("arm64-6.12-virt/boot", &mem, &rsv);
        EXPECT_TABLE(mem, 0x80000000, RAM_N(0x40000000, 0xc0000000, 0));
        assert_int_equal(memrange_table_count(rsv), 21);
        n = collect_free(mem, rsv, 0, MEMRANGE_F_NOMAP, got, ELEMENTSOF(got));
        EXPECT_FREE(got, n, RAM_N(0x40000000, 0x40200000, 0), RAM_N(0x41f00000, 0x42870000, 0),
                    RAM_N(0x42d30000, 0x48200000, 0), RAM_N(0x48300000, 0xa9600000, 0),
                    RAM_N(0xbfa00000, 0xbfa8c000, 0), RAM_N(0xbfa92000, 0xbfa927c0, 0),
                    RAM_N(0xbfb92bc8, 0xbfb92c00, 0), RAM_N(0xbfbd7000, 0xbfbd9000, 0),
                    RAM_N(0xbfbdb020, 0xbfbdb040, 0), RAM_N(0xbfbdb208, 0xbfbdb240, 0),
                    RAM_N(0xbfbdb2a0, 0xbfbdb2c0, 0), RAM_N(0xbfbdb448, 0xbfbdb480, 0),
                    RAM_N(0xbfbdb6c8, 0xbfbdb700, 0), RAM_N(0xbfbdb830, 0xbfbdb840, 0),
                    RAM_N(0xbfbdb850, 0xbfbdb880, 0), RAM_N(0xbfbdb888, 0xbfbdb8c0, 0),
                    RAM_N(0xbfbdb8c8, 0xbfbdb900, 0), RAM_N(0xbfbdb942, 0xbfbdb980, 0),
                    RAM_N(0xbfbdb9c2, 0xbfbdba00, 0), RAM_N(0xbfc00548, 0xbfc00570, 0),
                    RAM_N(0xbfc0affc, 0xbfc0b000, 0));
        /* The free bytes and the reserved bytes add up to the memory. */
        assert_int_equal(memrange_table_total(rsv), 0x80000000 - 0x673cea38);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(intersect_keeps_attributes_of_the_first_table),
                cmocka_unit_test(intersect_of_touching_tables_is_empty),
                cmocka_unit_test(intersect_with_region_spanning_several_of_the_other),
                cmocka_unit_test(intersect_with_an_empty_table_is_empty),
                cmocka_unit_test(subtract_punches_holes_keeping_attributes),
                cmocka_unit_test(subtract_region_spanning_several_of_the_first),
                cmocka_unit_test(subtract_of_a_disjoint_table_copies_the_first),
                cmocka_unit_test(subtract_of_everything_is_empty_and_keeps_the_limit),
                cmocka_unit_test(union_fills_gaps_with_the_second_tables_attributes),
                cmocka_unit_test(union_merges_touching_equal_regions),
                cmocka_unit_test(union_accepts_addresses_below_either_limit),
                cmocka_unit_test(set_operations_reject_null_arguments),
                cmocka_unit_test(set_operations_match_a_byte_map_model),
                cmocka_unit_test(free_ranges_are_memory_minus_reserved),
                cmocka_unit_test(free_ranges_skip_memory_carrying_skip_flags),
                cmocka_unit_test(free_ranges_are_restricted_to_the_node),
                cmocka_unit_test(fully_reserved_memory_has_no_free_ranges),
                cmocka_unit_test(free_ranges_without_reserved_table_are_the_memory),
                cmocka_unit_test(free_ranges_split_at_memory_region_boundaries),
                cmocka_unit_test(free_next_rejects_bad_arguments),
                cmocka_unit_test(free_ranges_of_the_arm64_fixture_memblock),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

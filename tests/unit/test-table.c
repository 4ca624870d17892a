/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The range table's memblock rules: add, remove, trim, setters, queries,
 * limits and a randomized comparison with a byte-map model. */
#include "table-check.h"

#define T_RAM MEMRANGE_TYPE_RAM
#define T_RSV MEMRANGE_TYPE_RESERVED
#define T_ACPI MEMRANGE_TYPE_ACPI
#define T_NVS MEMRANGE_TYPE_ACPI_NVS

/* ---- add (memblock_add / memblock_reserve) ---- */

static void add_simple_region_to_empty_table(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        assert_int_equal(memrange_table_add(t, &RAM(SZ_1G, SZ_1G + SZ_4M)), 0);
        EXPECT_TABLE(t, SZ_4M, RAM(SZ_1G, SZ_1G + SZ_4M));
}

static void add_keeps_every_attribute(void **state) {
        const struct memrange r = REGION(0x1000, 0x3000, T_ACPI, MEMRANGE_F_HOTPLUG | MEMRANGE_F_MIRROR, 1,
                                         MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_FIRMWARE_MEMMAP);
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        assert_int_equal(memrange_table_add(t, &r), 0);
        EXPECT_TABLE(t, 0x2000, r);
}

static void add_disjoint_regions_are_kept_sorted(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x80000000, 0x80800000), RAM(0x40000000, 0x40400000));

        EXPECT_TABLE(t, 0xc00000, RAM(0x40000000, 0x40400000), RAM(0x80000000, 0x80800000));
}

static void add_overlapping_start_of_region_extends_it_down(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_add(t, &RAM(0x10000000, 0x28000000)), 0);
        EXPECT_TABLE(t, 0x20000000, RAM(0x10000000, 0x30000000));
}

static void add_overlapping_end_of_region_extends_it_up(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_add(t, &RAM(0x28000000, 0x40000000)), 0);
        EXPECT_TABLE(t, 0x20000000, RAM(0x20000000, 0x40000000));
}

static void add_overlap_with_other_type_fills_only_the_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_add(t, &RSV(0x28000000, 0x40000000)), 0);
        EXPECT_TABLE(t, 0x20000000, RAM(0x20000000, 0x30000000), RSV(0x30000000, 0x40000000));
}

static void add_overlap_with_other_nid_keeps_existing_nid(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM_N(0x20000000, 0x30000000, 1));

        assert_int_equal(memrange_table_add(t, &RAM_N(0x10000000, 0x28000000, 0)), 0);
        EXPECT_TABLE(t, 0x20000000, RAM_N(0x10000000, 0x20000000, 0), RAM_N(0x20000000, 0x30000000, 1));
}

static void add_within_existing_region_changes_nothing(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_add(t, &RSV(0x24000000, 0x28000000)), 0);
        EXPECT_TABLE(t, 0x10000000, RAM(0x20000000, 0x30000000));
}

static void add_same_region_twice_keeps_one(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        assert_int_equal(memrange_table_add(t, &RAM(SZ_1G, SZ_1G + SZ_16M)), 0);
        assert_int_equal(memrange_table_add(t, &RAM(SZ_1G, SZ_1G + SZ_16M)), 0);
        EXPECT_TABLE(t, SZ_16M, RAM(SZ_1G, SZ_1G + SZ_16M));
}

static void add_between_two_regions_merges_three_into_one(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000000, 0x20000000), RAM(0x30000000, 0x40000000));

        assert_int_equal(memrange_table_add(t, &RAM(0x20000000, 0x30000000)), 0);
        EXPECT_TABLE(t, 0x30000000, RAM(0x10000000, 0x40000000));
}

static void add_overlapping_both_neighbours_merges_them(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000000, 0x20000000), RAM(0x30000000, 0x40000000));

        assert_int_equal(memrange_table_add(t, &RAM(0x18000000, 0x38000000)), 0);
        EXPECT_TABLE(t, 0x30000000, RAM(0x10000000, 0x40000000));
}

static void add_between_regions_with_other_flags_does_not_merge(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000000, 0x20000000), RAM(0x30000000, 0x40000000));

        assert_int_equal(memrange_table_add(t, &RAM_F(0x20000000, 0x30000000, MEMRANGE_F_HOTPLUG)), 0);
        EXPECT_TABLE(t, 0x30000000, RAM(0x10000000, 0x20000000),
                     RAM_F(0x20000000, 0x30000000, MEMRANGE_F_HOTPLUG), RAM(0x30000000, 0x40000000));
}

static void add_spanning_regions_of_other_types_fills_every_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(REGION(0x1000, 0x2000, T_ACPI, 0, NONE, 0), RSV(0x4000, 0x5000),
                      REGION(0x7000, 0x8000, T_NVS, 0, NONE, 0));

        assert_int_equal(memrange_table_add(t, &RAM(0x0, 0x9000)), 0);
        EXPECT_TABLE(t, 0x9000, RAM(0x0, 0x1000), REGION(0x1000, 0x2000, T_ACPI, 0, NONE, 0),
                     RAM(0x2000, 0x4000), RSV(0x4000, 0x5000), RAM(0x5000, 0x7000),
                     REGION(0x7000, 0x8000, T_NVS, 0, NONE, 0), RAM(0x8000, 0x9000));
}

static void add_touching_equal_regions_merge(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x2000, 0x3000));

        assert_int_equal(memrange_table_add(t, &RAM(0x1000, 0x2000)), 0);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x3000));
}

static void merge_is_blocked_by_different_flags(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RAM_F(0x2000, 0x3000, MEMRANGE_F_HOTPLUG));

        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x2000), RAM_F(0x2000, 0x3000, MEMRANGE_F_HOTPLUG));
}

static void merge_is_blocked_by_different_nid(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM_N(0x1000, 0x2000, 0), RAM_N(0x2000, 0x3000, 1), RAM(0x3000, 0x4000));

        EXPECT_TABLE(t, 0x3000, RAM_N(0x1000, 0x2000, 0), RAM_N(0x2000, 0x3000, 1), RAM(0x3000, 0x4000));
}

static void merge_is_blocked_by_different_sources_or_type(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(REGION(0x1000, 0x2000, T_RAM, 0, NONE, MEMRANGE_SRC_IOMEM),
                      REGION(0x2000, 0x3000, T_RAM, 0, NONE, MEMRANGE_SRC_MEMBLOCK), RSV(0x3000, 0x4000));

        EXPECT_TABLE(t, 0x3000, REGION(0x1000, 0x2000, T_RAM, 0, NONE, MEMRANGE_SRC_IOMEM),
                     REGION(0x2000, 0x3000, T_RAM, 0, NONE, MEMRANGE_SRC_MEMBLOCK), RSV(0x3000, 0x4000));
}

static void add_past_max_addr_is_clipped(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        memrange_table_set_max_addr(t, SZ_1M);
        assert_int_equal(memrange_table_get_max_addr(t), SZ_1M);
        assert_int_equal(memrange_table_add(t, &RAM(0xf0000, 0x200000)), 0);
        EXPECT_TABLE(t, 0x10000, RAM(0xf0000, SZ_1M));
}

static void add_at_or_above_max_addr_is_a_noop(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        memrange_table_set_max_addr(t, SZ_1M);
        assert_int_equal(memrange_table_add(t, &RAM(SZ_1M, SZ_2M)), 0);
        assert_int_equal(memrange_table_add(t, &RAM(SZ_4M, UINT64_MAX)), 0);
        EXPECT_EMPTY(t);
}

static void add_reaches_the_top_of_the_address_space(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        assert_int_equal(memrange_table_get_max_addr(t), UINT64_MAX);
        assert_int_equal(memrange_table_add(t, &RAM(0xffffffff00000000ull, UINT64_MAX)), 0);
        EXPECT_TABLE(t, 0xffffffffull, RAM(0xffffffff00000000ull, UINT64_MAX));
        assert_non_null(memrange_table_find(t, UINT64_MAX - 1));
        assert_null(memrange_table_find(t, UINT64_MAX));
}

static void add_empty_range_is_a_noop_and_inverted_is_einval(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x2000));

        assert_int_equal(memrange_table_add(t, &RAM(0x4000, 0x4000)), 0);
        assert_int_equal(memrange_table_add(t, &RAM(0x5000, 0x4000)), -EINVAL);
        EXPECT_TABLE(t, 0x1000, RAM(0x1000, 0x2000));
}

static void add_rejects_invalid_attributes(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        assert_int_equal(memrange_table_add(t, &REGION(0, 0x1000, _MEMRANGE_TYPE_MAX, 0, NONE, 0)), -EINVAL);
        assert_int_equal(memrange_table_add(t, &REGION(0, 0x1000, T_RAM, 1u << 20, NONE, 0)), -EINVAL);
        assert_int_equal(memrange_table_add(t, &REGION(0, 0x1000, T_RAM, 0, -2, 0)), -EINVAL);
        assert_int_equal(memrange_table_add(t, &REGION(0, 0x1000, T_RAM, 0, NONE, 1u << 9)), -EINVAL);
        assert_int_equal(memrange_table_add(NULL, &RAM(0, 0x1000)), -EINVAL);
        assert_int_equal(memrange_table_add(t, NULL), -EINVAL);
        EXPECT_EMPTY(t);
}

/* 12,000 regions with 4 KiB holes, then one add covering them all fills
 * every hole and leaves a single region. */
static void add_grows_past_initial_capacity_and_merges_all(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();
        const uint64_t n = 12000;
        uint64_t i = 0;

        /* Insert in a scrambled order (7919 is prime and coprime with n). */
        for (uint64_t k = 0; k < n; k++) {
                uint64_t idx = (k * 7919) % n;
                assert_int_equal(memrange_table_add(t, &RAM(idx * 0x3000, idx * 0x3000 + 0x2000)), 0);
        }
        assert_int_equal(memrange_table_count(t), n);
        assert_int_equal(memrange_table_total(t), n * 0x2000);
        memrange_table_foreach(r, t) {
                assert_int_equal(r->start, i * 0x3000);
                assert_int_equal(r->end, i * 0x3000 + 0x2000);
                i++;
        }
        assert_int_equal(i, n);
        assert_int_equal(memrange_table_find(t, 5000 * 0x3000 + 0x1fff)->start, 5000 * 0x3000);
        assert_null(memrange_table_find(t, 5000 * 0x3000 + 0x2000));

        assert_int_equal(memrange_table_add(t, &RAM(0, n * 0x3000)), 0);
        EXPECT_TABLE(t, n * 0x3000, RAM(0, n * 0x3000));
}

/* Touching regions with alternating flags never merge; clearing the flag
 * everywhere merges 10,000 regions into one. */
static void alternating_flags_block_merges_until_cleared(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();
        const uint64_t n = 10000;

        for (uint64_t i = 0; i < n; i++)
                assert_int_equal(memrange_table_add(t, &RAM_F(i * SZ_4K, (i + 1) * SZ_4K,
                                                              i % 2 ? MEMRANGE_F_MIRROR : 0)), 0);
        assert_int_equal(memrange_table_count(t), n);
        assert_int_equal(memrange_table_total(t), n * SZ_4K);
        assert_int_equal(memrange_table_find(t, 3 * SZ_4K)->flags, MEMRANGE_F_MIRROR);
        assert_int_equal(memrange_table_find(t, 4 * SZ_4K)->flags, 0);

        assert_int_equal(memrange_table_clear_flags(t, 0, n * SZ_4K, MEMRANGE_F_MIRROR), 0);
        EXPECT_TABLE(t, n * SZ_4K, RAM(0, n * SZ_4K));
}

/* ---- remove (memblock_remove / memblock_free) ---- */

static void remove_whole_region(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x20000000, 0x30000000), RAM(0x40000000, 0x50000000));

        assert_int_equal(memrange_table_remove(t, 0x20000000, 0x30000000), 0);
        EXPECT_TABLE(t, 0x10000000, RAM(0x40000000, 0x50000000));
}

static void remove_absent_or_touching_range_changes_nothing(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_remove(t, 0x40000000, 0x50000000), 0);
        assert_int_equal(memrange_table_remove(t, 0x30000000, 0x40000000), 0);
        assert_int_equal(memrange_table_remove(t, 0x10000000, 0x20000000), 0);
        EXPECT_TABLE(t, 0x10000000, RAM(0x20000000, 0x30000000));
}

static void remove_overlapping_start_of_region(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_remove(t, 0x10000000, 0x28000000), 0);
        EXPECT_TABLE(t, 0x8000000, RAM(0x28000000, 0x30000000));
}

static void remove_overlapping_end_of_region(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x20000000, 0x30000000));

        assert_int_equal(memrange_table_remove(t, 0x28000000, 0x40000000), 0);
        EXPECT_TABLE(t, 0x8000000, RAM(0x20000000, 0x28000000));
}

static void remove_within_region_splits_it_keeping_attributes(void **state) {
        const uint32_t hp = MEMRANGE_F_HOTPLUG;
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(REGION(0x20000000, 0x30000000, T_RAM, hp, 2, MEMRANGE_SRC_IOMEM));

        assert_int_equal(memrange_table_remove(t, 0x24000000, 0x28000000), 0);
        EXPECT_TABLE(t, 0xc000000, REGION(0x20000000, 0x24000000, T_RAM, hp, 2, MEMRANGE_SRC_IOMEM),
                     REGION(0x28000000, 0x30000000, T_RAM, hp, 2, MEMRANGE_SRC_IOMEM));
}

static void remove_only_region_leaves_a_usable_empty_table(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(SZ_1G, 2 * SZ_1G));

        assert_int_equal(memrange_table_remove(t, SZ_1G, 2 * SZ_1G), 0);
        EXPECT_EMPTY(t);
        assert_null(memrange_table_first(t));
        assert_int_equal(memrange_table_add(t, &RAM(SZ_4K, 2 * SZ_4K)), 0);
        EXPECT_TABLE(t, SZ_4K, RAM(SZ_4K, 2 * SZ_4K));
}

static void remove_past_max_addr_is_clipped(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        memrange_table_set_max_addr(t, SZ_1M);
        assert_int_equal(memrange_table_add(t, &RAM(0x80000, SZ_1M)), 0);
        assert_int_equal(memrange_table_remove(t, 0xc0000, UINT64_MAX), 0);
        EXPECT_TABLE(t, 0x40000, RAM(0x80000, 0xc0000));
}

static void remove_spanning_two_regions_trims_both(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000000, 0x20000000), REGION(0x28000000, 0x30000000, T_ACPI, 0, NONE, 0),
                      RAM(0x40000000, 0x50000000));

        assert_int_equal(memrange_table_remove(t, 0x18000000, 0x2c000000), 0);
        EXPECT_TABLE(t, 0x1c000000, RAM(0x10000000, 0x18000000),
                     REGION(0x2c000000, 0x30000000, T_ACPI, 0, NONE, 0), RAM(0x40000000, 0x50000000));
}

static void remove_covering_many_regions_deletes_them_all(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();

        for (uint64_t i = 0; i < 100; i++)
                assert_int_equal(memrange_table_add(t, &RAM(i * 0x2000, i * 0x2000 + 0x1000)), 0);
        assert_int_equal(memrange_table_remove(t, 0x800, 99 * 0x2000), 0);
        EXPECT_TABLE(t, 0x1800, RAM(0x0, 0x800), RAM(99 * 0x2000, 99 * 0x2000 + 0x1000));
}

static void remove_empty_range_is_a_noop_and_inverted_is_einval(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x3000));

        assert_int_equal(memrange_table_remove(t, 0x2000, 0x2000), 0);
        assert_int_equal(memrange_table_remove(t, 0x2800, 0x2000), -EINVAL);
        assert_int_equal(memrange_table_remove(NULL, 0x1000, 0x2000), -EINVAL);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x3000));
}

/* ---- trim (memblock_trim_memory) ---- */

static void trim_rounds_start_up_and_end_down(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM_N(0x1001, 0x5fff, 3), RAM(0x8000, 0xa800));

        assert_int_equal(memrange_table_trim(t, SZ_4K), 0);
        EXPECT_TABLE(t, 0x5000, RAM_N(0x2000, 0x5000, 3), RAM(0x8000, 0xa000));
}

static void trim_drops_regions_smaller_than_the_alignment(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x1800), RAM(0x2100, 0x2f00), RAM(0x4000, 0x6000), RAM(0x7800, 0x8800));

        assert_int_equal(memrange_table_trim(t, SZ_4K), 0);
        EXPECT_TABLE(t, 0x2000, RAM(0x4000, 0x6000));
}

static void trim_keeps_aligned_regions_unchanged(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000, 0x30000), RSV(0x30000, 0x40000));

        assert_int_equal(memrange_table_trim(t, SZ_64K), 0);
        assert_int_equal(memrange_table_trim(t, 1), 0);
        EXPECT_TABLE(t, 0x30000, RAM(0x10000, 0x30000), RSV(0x30000, 0x40000));
}

static void trim_rejects_alignment_that_is_not_a_power_of_two(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1001, 0x5fff));

        assert_int_equal(memrange_table_trim(t, 0), -EINVAL);
        assert_int_equal(memrange_table_trim(t, 3), -EINVAL);
        assert_int_equal(memrange_table_trim(t, 0x3000), -EINVAL);
        assert_int_equal(memrange_table_trim(NULL, SZ_4K), -EINVAL);
        EXPECT_TABLE(t, 0x4ffe, RAM(0x1001, 0x5fff));
}

static void trim_at_top_of_address_space_does_not_wrap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0xffffffff00000000ull, 0xffffffff00001800ull),
                      RSV(0xfffffffffffff001ull, UINT64_MAX));

        assert_int_equal(memrange_table_trim(t, SZ_4K), 0);
        EXPECT_TABLE(t, SZ_4K, RAM(0xffffffff00000000ull, 0xffffffff00001000ull));
}

static void trim_separates_touching_unequal_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x2800), RSV(0x2800, 0x4000));

        assert_int_equal(memrange_table_trim(t, SZ_4K), 0);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x2000), RSV(0x3000, 0x4000));
}

/* ---- queries ---- */

static void overlaps_treats_touching_as_not_overlapping(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x2000, 0x4000));

        assert_false(memrange_table_overlaps(t, 0x1000, 0x2000));
        assert_false(memrange_table_overlaps(t, 0x4000, 0x5000));
        assert_true(memrange_table_overlaps(t, 0x1000, 0x2001));
        assert_true(memrange_table_overlaps(t, 0x3fff, 0x5000));
        assert_true(memrange_table_overlaps(t, 0x2800, 0x3000));
        assert_true(memrange_table_overlaps(t, 0, UINT64_MAX));
        assert_false(memrange_table_overlaps(t, 0x3000, 0x3000));
        assert_false(memrange_table_overlaps(NULL, 0, UINT64_MAX));
}

static void overlaps_is_false_inside_a_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RAM(0x8000, 0x9000));

        assert_false(memrange_table_overlaps(t, 0x2000, 0x8000));
        assert_true(memrange_table_overlaps(t, 0x2000, 0x8001));
        assert_true(memrange_table_overlaps(t, 0x1fff, 0x8000));
}

static void find_returns_containing_region_or_null(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RSV(0x2000, 0x3000), RAM(0x8000, 0x9000));

        assert_null(memrange_table_find(t, 0xfff));
        assert_int_equal(memrange_table_find(t, 0x1000)->start, 0x1000);
        assert_int_equal(memrange_table_find(t, 0x1fff)->type, T_RAM);
        assert_int_equal(memrange_table_find(t, 0x2000)->type, T_RSV);
        assert_null(memrange_table_find(t, 0x3000));
        assert_null(memrange_table_find(t, 0x7fff));
        assert_int_equal(memrange_table_find(t, 0x8fff)->start, 0x8000);
        assert_null(memrange_table_find(t, 0x9000));
}

static void lower_bound_returns_first_region_ending_above(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RAM(0x8000, 0x9000));

        assert_int_equal(memrange_table_lower_bound(t, 0)->start, 0x1000);
        assert_int_equal(memrange_table_lower_bound(t, 0x1fff)->start, 0x1000);
        assert_int_equal(memrange_table_lower_bound(t, 0x2000)->start, 0x8000);
        assert_int_equal(memrange_table_lower_bound(t, 0x8fff)->start, 0x8000);
        assert_null(memrange_table_lower_bound(t, 0x9000));
}

static void covered_counts_only_bytes_inside_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RSV(0x2000, 0x3000), RAM(0x8000, 0x9000));

        assert_int_equal(memrange_table_covered(t, 0, UINT64_MAX), 0x3000);
        assert_int_equal(memrange_table_covered(t, 0x1800, 0x8800), 0x2000);
        assert_int_equal(memrange_table_covered(t, 0x3000, 0x8000), 0);
        assert_int_equal(memrange_table_covered(t, 0x8100, 0x8200), 0x100);
        assert_int_equal(memrange_table_covered(t, 0x8200, 0x8100), 0);
}

static void iteration_walks_forward_and_backward(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x5000, 0x6000), RAM(0x1000, 0x2000), RSV(0x3000, 0x4000));
        _cleanup_(memrange_table_freep) struct memrange_table *empty = EMPTY_TABLE();
        const struct memrange *r;

        r = memrange_table_last(t);
        assert_int_equal(r->start, 0x5000);
        r = memrange_table_prev(t, r);
        assert_int_equal(r->start, 0x3000);
        r = memrange_table_prev(t, r);
        assert_int_equal(r->start, 0x1000);
        assert_ptr_equal(r, memrange_table_first(t));
        assert_null(memrange_table_prev(t, r));
        assert_null(memrange_table_next(t, memrange_table_last(t)));
        assert_null(memrange_table_first(empty));
        assert_null(memrange_table_last(empty));
}

/* ---- setters ---- */

static void set_nid_across_a_boundary_splits_both_regions(void **state) {
        const uint32_t hp = MEMRANGE_F_HOTPLUG;
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000000, 0x20000000), RAM_F(0x20000000, 0x30000000, hp));

        assert_int_equal(memrange_table_set_nid(t, 0x18000000, 0x28000000, 1), 0);
        EXPECT_TABLE(t, 0x20000000, RAM(0x10000000, 0x18000000), RAM_N(0x18000000, 0x20000000, 1),
                     REGION(0x20000000, 0x28000000, T_RAM, hp, 1, 0), RAM_F(0x28000000, 0x30000000, hp));
}

static void set_nid_over_whole_regions_merges_them(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM_N(0x10000000, 0x20000000, 0), RAM_N(0x20000000, 0x30000000, 1),
                      RAM_N(0x30000000, 0x40000000, 0));

        assert_int_equal(memrange_table_set_nid(t, 0x20000000, 0x30000000, 0), 0);
        EXPECT_TABLE(t, 0x30000000, RAM_N(0x10000000, 0x40000000, 0));
}

static void set_nid_over_a_gap_changes_only_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RAM(0x3000, 0x4000));

        assert_int_equal(memrange_table_set_nid(t, 0, 0x10000, 2), 0);
        EXPECT_TABLE(t, 0x2000, RAM_N(0x1000, 0x2000, 2), RAM_N(0x3000, 0x4000, 2));
}

static void set_flags_in_the_middle_splits_into_three(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x10000, 0x40000));

        assert_int_equal(memrange_table_set_flags(t, 0x20000, 0x30000, MEMRANGE_F_NOMAP), 0);
        EXPECT_TABLE(t, 0x30000, RAM(0x10000, 0x20000), RAM_F(0x20000, 0x30000, MEMRANGE_F_NOMAP),
                     RAM(0x30000, 0x40000));
}

static void set_flags_adds_bits_to_existing_ones(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM_F(0x10000, 0x20000, MEMRANGE_F_HOTPLUG));

        assert_int_equal(memrange_table_set_flags(t, 0x10000, 0x20000, MEMRANGE_F_OFFLINE), 0);
        EXPECT_TABLE(t, 0x10000, RAM_F(0x10000, 0x20000, MEMRANGE_F_HOTPLUG | MEMRANGE_F_OFFLINE));
}

static void clear_flags_merges_back_with_neighbours(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x10000, 0x20000), RAM_F(0x20000, 0x30000, MEMRANGE_F_NOMAP | MEMRANGE_F_MIRROR),
                      RAM(0x30000, 0x40000));

        assert_int_equal(memrange_table_clear_flags(t, 0x20000, 0x30000, MEMRANGE_F_NOMAP), 0);
        EXPECT_TABLE(t, 0x30000, RAM(0x10000, 0x20000), RAM_F(0x20000, 0x30000, MEMRANGE_F_MIRROR),
                     RAM(0x30000, 0x40000));
        assert_int_equal(memrange_table_clear_flags(t, 0, UINT64_MAX, MEMRANGE_F_MIRROR), 0);
        EXPECT_TABLE(t, 0x30000, RAM(0x10000, 0x40000));
}

static void set_type_changes_only_existing_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x3000), RAM(0x5000, 0x6000));

        assert_int_equal(memrange_table_set_type(t, 0x2000, 0x5800, MEMRANGE_TYPE_CRASHKERNEL), 0);
        EXPECT_TABLE(t, 0x3000, RAM(0x1000, 0x2000), REGION(0x2000, 0x3000, MEMRANGE_TYPE_CRASHKERNEL, 0, NONE, 0),
                     REGION(0x5000, 0x5800, MEMRANGE_TYPE_CRASHKERNEL, 0, NONE, 0), RAM(0x5800, 0x6000));
}

static void add_sources_ors_bits_and_merges_equal_neighbours(void **state) {
        const uint32_t io = MEMRANGE_SRC_IOMEM, mm = MEMRANGE_SRC_FIRMWARE_MEMMAP;
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(REGION(0x1000, 0x3000, T_RAM, 0, NONE, io), REGION(0x3000, 0x5000, T_RAM, 0, NONE, io | mm));

        assert_int_equal(memrange_table_add_sources(t, 0x1000, 0x3000, mm), 0);
        EXPECT_TABLE(t, 0x4000, REGION(0x1000, 0x5000, T_RAM, 0, NONE, io | mm));
}

static void setters_reject_invalid_values_and_inverted_ranges(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x3000));

        assert_int_equal(memrange_table_set_flags(t, 0x1000, 0x2000, 1u << 20), -EINVAL);
        assert_int_equal(memrange_table_clear_flags(t, 0x1000, 0x2000, 1u << 20), -EINVAL);
        assert_int_equal(memrange_table_set_nid(t, 0x1000, 0x2000, -5), -EINVAL);
        assert_int_equal(memrange_table_set_type(t, 0x1000, 0x2000, _MEMRANGE_TYPE_MAX), -EINVAL);
        assert_int_equal(memrange_table_add_sources(t, 0x1000, 0x2000, 1u << 8), -EINVAL);
        assert_int_equal(memrange_table_set_nid(t, 0x2000, 0x1000, 1), -EINVAL);
        assert_int_equal(memrange_table_set_flags(NULL, 0x1000, 0x2000, MEMRANGE_F_NOMAP), -EINVAL);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x3000));
}

static void setters_on_empty_or_uncovered_ranges_change_nothing(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x3000));

        assert_int_equal(memrange_table_set_nid(t, 0x2000, 0x2000, 1), 0);
        assert_int_equal(memrange_table_set_flags(t, 0x3000, 0x9000, MEMRANGE_F_NOMAP), 0);
        assert_int_equal(memrange_table_set_type(t, 0, 0x1000, T_RSV), 0);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x3000));
}

/* ---- whole-table operations ---- */

static void dup_is_an_independent_deep_copy(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RSV(0x2000, 0x3000), RAM_N(0x8000, 0x9000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *copy = NULL;

        memrange_table_set_max_addr(t, 0x100000);
        assert_int_equal(memrange_table_dup(t, &copy), 0);
        assert_int_equal(memrange_table_get_max_addr(copy), 0x100000);
        assert_int_equal(memrange_table_remove(copy, 0x1000, 0x3000), 0);
        assert_int_equal(memrange_table_add(copy, &RAM_N(0x9000, 0xa000, 1)), 0);
        EXPECT_TABLE(copy, 0x2000, RAM_N(0x8000, 0xa000, 1));
        EXPECT_TABLE(t, 0x3000, RAM(0x1000, 0x2000), RSV(0x2000, 0x3000), RAM_N(0x8000, 0x9000, 1));
        assert_int_equal(memrange_table_dup(NULL, &copy), -EINVAL);
}

static void clear_empties_the_table_and_keeps_the_limit(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = TABLE(RAM(0x1000, 0x2000), RSV(0x3000, 0x4000));

        memrange_table_set_max_addr(t, SZ_1M);
        memrange_table_clear(t);
        EXPECT_EMPTY(t);
        assert_int_equal(memrange_table_get_max_addr(t), SZ_1M);
        assert_int_equal(memrange_table_add(t, &RAM(0xff000, SZ_2M)), 0);
        EXPECT_TABLE(t, 0x1000, RAM(0xff000, SZ_1M));
}

static void lowering_max_addr_drops_and_truncates_regions_above(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t =
                TABLE(RAM(0x1000, 0x2000), RSV(0x3000, 0x6000), RAM(0x8000, 0x9000), RAM(0xa000, 0xb000));

        memrange_table_set_max_addr(t, 0x4000);
        EXPECT_TABLE(t, 0x2000, RAM(0x1000, 0x2000), RSV(0x3000, 0x4000));
        memrange_table_set_max_addr(t, 0x3000);
        EXPECT_TABLE(t, 0x1000, RAM(0x1000, 0x2000));
}

static void null_table_is_tolerated_by_accessors(void **state) {
        assert_null(memrange_table_free(NULL));
        memrange_table_clear(NULL);
        assert_int_equal(memrange_table_count(NULL), 0);
        assert_int_equal(memrange_table_total(NULL), 0);
        assert_null(memrange_table_first(NULL));
        assert_null(memrange_table_find(NULL, 0));
        assert_null(memrange_table_lower_bound(NULL, 0));
        assert_int_equal(memrange_table_covered(NULL, 0, 10), 0);
        assert_int_equal(memrange_table_new(NULL), -EINVAL);
}

/* ---- randomized comparison with a byte map ---- */

static void model_apply(struct model *m, unsigned op, uint64_t start, uint64_t end, const struct memrange *a) {
        for (uint64_t x = start; x < end && x < MODEL_SPACE; x++) {
                struct memrange *c = &m->attrs[x];

                if (op == 0 && !m->present[x]) {
                        m->present[x] = true;
                        *c = *a;
                }
                if (!m->present[x])
                        continue;
                switch (op) {
                case 1: m->present[x] = false; break;
                case 2: c->flags |= a->flags; break;
                case 3: c->flags &= ~a->flags; break;
                case 4: c->nid = a->nid; break;
                case 5: c->type = a->type; break;
                case 6: c->sources |= a->sources; break;
                }
        }
}

static int table_apply(struct memrange_table *t, unsigned op, uint64_t start, uint64_t end,
                       const struct memrange *a) {
        struct memrange r = *a;

        r.start = start;
        r.end = end;
        switch (op) {
        case 0: return memrange_table_add(t, &r);
        case 1: return memrange_table_remove(t, start, end);
        case 2: return memrange_table_set_flags(t, start, end, a->flags);
        case 3: return memrange_table_clear_flags(t, start, end, a->flags);
        case 4: return memrange_table_set_nid(t, start, end, a->nid);
        case 5: return memrange_table_set_type(t, start, end, a->type);
        default: return memrange_table_add_sources(t, start, end, a->sources);
        }
}

/* 5,000 random operations over 256 addresses; the table's limit (240)
 * makes some of them clip. After each step the table must equal the
 * merged runs of the byte map exactly. */
static void random_operations_match_a_byte_map_model(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *t = EMPTY_TABLE();
        static struct model m;
        uint64_t seed = 0x9e3779b97f4a7c15ull;
        const uint64_t limit = 240;

        memset(&m, 0, sizeof(m));
        memrange_table_set_max_addr(t, limit);
        for (unsigned step = 0; step < 5000; step++) {
                /* add and remove twice as likely as each setter */
                static const unsigned ops[] = { 0, 0, 0, 1, 1, 2, 3, 4, 5, 6 };
                unsigned op = ops[test_rand_below(&seed, ELEMENTSOF(ops))];
                uint64_t start = test_rand_below(&seed, MODEL_SPACE + 1);
                uint64_t end = start + test_rand_below(&seed, 48);
                struct memrange a = random_attrs(&seed);

                assert_int_equal(table_apply(t, op, start, end, &a), 0);
                model_apply(&m, op, start, end < limit ? end : limit, &a);
                check_against_model(t, &m);
                if (step % 1000 == 999) {
                        memrange_table_clear(t);
                        memset(&m, 0, sizeof(m));
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(add_simple_region_to_empty_table),
                cmocka_unit_test(add_keeps_every_attribute),
                cmocka_unit_test(add_disjoint_regions_are_kept_sorted),
                cmocka_unit_test(add_overlapping_start_of_region_extends_it_down),
                cmocka_unit_test(add_overlapping_end_of_region_extends_it_up),
                cmocka_unit_test(add_overlap_with_other_type_fills_only_the_gap),
                cmocka_unit_test(add_overlap_with_other_nid_keeps_existing_nid),
                cmocka_unit_test(add_within_existing_region_changes_nothing),
                cmocka_unit_test(add_same_region_twice_keeps_one),
                cmocka_unit_test(add_between_two_regions_merges_three_into_one),
                cmocka_unit_test(add_overlapping_both_neighbours_merges_them),
                cmocka_unit_test(add_between_regions_with_other_flags_does_not_merge),
                cmocka_unit_test(add_spanning_regions_of_other_types_fills_every_gap),
                cmocka_unit_test(add_touching_equal_regions_merge),
                cmocka_unit_test(merge_is_blocked_by_different_flags),
                cmocka_unit_test(merge_is_blocked_by_different_nid),
                cmocka_unit_test(merge_is_blocked_by_different_sources_or_type),
                cmocka_unit_test(add_past_max_addr_is_clipped),
                cmocka_unit_test(add_at_or_above_max_addr_is_a_noop),
                cmocka_unit_test(add_reaches_the_top_of_the_address_space),
                cmocka_unit_test(add_empty_range_is_a_noop_and_inverted_is_einval),
                cmocka_unit_test(add_rejects_invalid_attributes),
                cmocka_unit_test(add_grows_past_initial_capacity_and_merges_all),
                cmocka_unit_test(alternating_flags_block_merges_until_cleared),
                cmocka_unit_test(remove_whole_region),
                cmocka_unit_test(remove_absent_or_touching_range_changes_nothing),
                cmocka_unit_test(remove_overlapping_start_of_region),
                cmocka_unit_test(remove_overlapping_end_of_region),
                cmocka_unit_test(remove_within_region_splits_it_keeping_attributes),
                cmocka_unit_test(remove_only_region_leaves_a_usable_empty_table),
                cmocka_unit_test(remove_past_max_addr_is_clipped),
                cmocka_unit_test(remove_spanning_two_regions_trims_both),
                cmocka_unit_test(remove_covering_many_regions_deletes_them_all),
                cmocka_unit_test(remove_empty_range_is_a_noop_and_inverted_is_einval),
                cmocka_unit_test(trim_rounds_start_up_and_end_down),
                cmocka_unit_test(trim_drops_regions_smaller_than_the_alignment),
                cmocka_unit_test(trim_keeps_aligned_regions_unchanged),
                cmocka_unit_test(trim_rejects_alignment_that_is_not_a_power_of_two),
                cmocka_unit_test(trim_at_top_of_address_space_does_not_wrap),
                cmocka_unit_test(trim_separates_touching_unequal_regions),
                cmocka_unit_test(overlaps_treats_touching_as_not_overlapping),
                cmocka_unit_test(overlaps_is_false_inside_a_gap),
                cmocka_unit_test(find_returns_containing_region_or_null),
                cmocka_unit_test(lower_bound_returns_first_region_ending_above),
                cmocka_unit_test(covered_counts_only_bytes_inside_regions),
                cmocka_unit_test(iteration_walks_forward_and_backward),
                cmocka_unit_test(set_nid_across_a_boundary_splits_both_regions),
                cmocka_unit_test(set_nid_over_whole_regions_merges_them),
                cmocka_unit_test(set_nid_over_a_gap_changes_only_regions),
                cmocka_unit_test(set_flags_in_the_middle_splits_into_three),
                cmocka_unit_test(set_flags_adds_bits_to_existing_ones),
                cmocka_unit_test(clear_flags_merges_back_with_neighbours),
                cmocka_unit_test(set_type_changes_only_existing_regions),
                cmocka_unit_test(add_sources_ors_bits_and_merges_equal_neighbours),
                cmocka_unit_test(setters_reject_invalid_values_and_inverted_ranges),
                cmocka_unit_test(setters_on_empty_or_uncovered_ranges_change_nothing),
                cmocka_unit_test(dup_is_an_independent_deep_copy),
                cmocka_unit_test(clear_empties_the_table_and_keeps_the_limit),
                cmocka_unit_test(lowering_max_addr_drops_and_truncates_regions_above),
                cmocka_unit_test(null_table_is_tolerated_by_accessors),
                cmocka_unit_test(random_operations_match_a_byte_map_model),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrange_alloc(): memblock_alloc_range_nid() semantics, top-down and
 * bottom-up, limits, the first page, NUMA fallback. */
#include "table-check.h"

#define ANY MEMRANGE_ALLOC_ANYWHERE
#define TD 0u
#define BU MEMRANGE_ALLOC_BOTTOM_UP
#define EXACT MEMRANGE_ALLOC_EXACT_NID

/* One 256 MiB bank at 1 GiB, as memblock's simulator uses. */
#define MEM_START SZ_1G
#define MEM_END (SZ_1G + SZ_256M)

static uint64_t alloc_ok(const struct memrange_table *mem, struct memrange_table *rsv, uint64_t size,
                         uint64_t align, uint64_t min, uint64_t max, int32_t nid, uint32_t flags) {
        uint64_t addr = 0xdead;

        assert_int_equal(memrange_alloc(mem, rsv, size, align, min, max, nid, flags, &addr), 0);
        return addr;
}

/* Asserts -ENOMEM, with the output and the reserved table untouched. */
static void alloc_fails(const struct memrange_table *mem, struct memrange_table *rsv, uint64_t size,
                        uint64_t align, uint64_t min, uint64_t max, int32_t nid, uint32_t flags) {
        size_t count = memrange_table_count(rsv);
        uint64_t total = memrange_table_total(rsv), addr = 0xdead;

        assert_int_equal(memrange_alloc(mem, rsv, size, align, min, max, nid, flags, &addr), -ENOMEM);
        assert_int_equal(addr, 0xdead);
        assert_int_equal(memrange_table_count(rsv), count);
        assert_int_equal(memrange_table_total(rsv), total);
}

/* ---- top-down ---- */

static void top_down_simple_takes_the_top_of_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, 0x800, SZ_4K, 0, ANY, NONE, TD), 0x4ffff000);
        EXPECT_TABLE(rsv, 0x800, RSV(0x4ffff000, 0x4ffff800));
        EXPECT_TABLE(mem, SZ_256M, RAM(MEM_START, MEM_END));
}

static void top_down_next_to_misaligned_reservation_leaves_a_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x4ffff810, MEM_END));

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x4fffe000);
        EXPECT_TABLE(rsv, 0x17f0, RSV(0x4fffe000, 0x4ffff000), RSV(0x4ffff810, MEM_END));
}

static void top_down_first_fit_merges_with_reservation_above(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x4ffff000, MEM_END));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, TD), 0x4fffd000);
        EXPECT_TABLE(rsv, 0x3000, RSV(0x4fffd000, MEM_END));
}

static void top_down_second_fit_merges_below_the_small_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv =
                TABLE(RSV(0x4fff0000, 0x4fffe000), RSV(0x4ffff000, MEM_END));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, TD), 0x4ffee000);
        EXPECT_TABLE(rsv, 0x11000, RSV(0x4ffee000, 0x4fffe000), RSV(0x4ffff000, MEM_END));
}

static void top_down_exact_fit_between_reservations_merges_three(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv =
                TABLE(RSV(0x4fff0000, 0x4fffd000), RSV(0x4ffff000, MEM_END));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, TD), 0x4fffd000);
        EXPECT_TABLE(rsv, 0x10000, RSV(0x4fff0000, MEM_END));
}

/* Four 4 KiB holes between reservations: an 8 KiB block fits nowhere. */
static struct memrange_table *small_gaps_reserved(void) {
        return TABLE(RSV(0x101000, 0x102000), RSV(0x103000, 0x104000), RSV(0x105000, 0x106000),
                     RSV(0x107000, 0x108000));
}

static void top_down_fails_when_every_gap_is_too_small(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x108000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = small_gaps_reserved();

        alloc_fails(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, TD);
        assert_int_equal(alloc_ok(mem, rsv, 0x1000, SZ_4K, 0, ANY, NONE, TD), 0x106000);
        EXPECT_TABLE(rsv, 0x5000, RSV(0x101000, 0x102000), RSV(0x103000, 0x104000), RSV(0x105000, 0x108000));
}

static void top_down_fails_when_everything_is_reserved(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x200000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x100000, 0x200000));

        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD);
        alloc_fails(mem, rsv, 1, 1, 0, ANY, NONE, BU);
}

static void alloc_fails_without_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = EMPTY_TABLE();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, BU);
        EXPECT_EMPTY(rsv);
}

static void alloc_larger_than_memory_fails(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x200000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, 0x100001, 1, 0, ANY, NONE, TD);
        alloc_fails(mem, rsv, 0x100001, 1, 0, ANY, NONE, BU);
        EXPECT_EMPTY(rsv);
}

static void alloc_of_exactly_all_memory_succeeds(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x200000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_1M, SZ_1M, 0, ANY, NONE, TD), 0x100000);
        EXPECT_TABLE(rsv, SZ_1M, RSV(0x100000, 0x200000));
        alloc_fails(mem, rsv, 1, 1, 0, ANY, NONE, BU);
}

static void top_down_honours_min_and_max(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4M, SZ_4K, SZ_1G + SZ_64M, SZ_1G + SZ_128M, NONE, TD), 0x47c00000);
        EXPECT_TABLE(rsv, SZ_4M, RSV(0x47c00000, 0x48000000));
}

static void top_down_below_reservation_inside_the_limits(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(0x47000000, 0x49000000));

        assert_int_equal(alloc_ok(mem, rsv, SZ_4M, SZ_4K, SZ_1G + SZ_64M, SZ_1G + SZ_128M, NONE, TD), 0x46c00000);
        EXPECT_TABLE(rsv, 0x2400000, RSV(0x46c00000, 0x49000000));
}

static void top_down_with_misaligned_max_aligns_only_the_start(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, 0x48000123, NONE, TD), 0x47fff000);
        EXPECT_TABLE(rsv, SZ_4K, RSV(0x47fff000, 0x48000000));
}

static void top_down_with_misaligned_min_may_still_fit(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        /* [0x44000123, 0x44002000) holds one aligned page at 0x44001000. */
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0x44000123, 0x44002000, NONE, TD), 0x44001000);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0x44000123, 0x44001fff, NONE, TD);
        EXPECT_TABLE(rsv, SZ_4K, RSV(0x44001000, 0x44002000));
}

static void limits_outside_memory_or_inverted_fail(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, SZ_4K, SZ_4K, MEM_END, ANY, NONE, TD);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, MEM_START, NONE, TD);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0x48000000, 0x44000000, NONE, BU);
        alloc_fails(mem, rsv, 0x2000, SZ_4K, 0x44000000, 0x44001000, NONE, BU);
        EXPECT_EMPTY(rsv);
}

static void alloc_never_returns_the_first_page(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0, 0x3000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, 0x3000, 1, 0, ANY, NONE, TD);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, BU), 0x1000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x2000);
        alloc_fails(mem, rsv, 1, 1, 0, ANY, NONE, TD);
        alloc_fails(mem, rsv, 1, 1, 0, ANY, NONE, BU);
        EXPECT_TABLE(rsv, 0x2000, RSV(0x1000, 0x3000));
}

static void alloc_rejects_bad_arguments(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();
        uint64_t addr = 0xdead;

        assert_int_equal(memrange_alloc(mem, rsv, 0, SZ_4K, 0, ANY, NONE, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, rsv, SZ_4K, 3, 0, ANY, NONE, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, rsv, SZ_4K, 0x3000, 0, ANY, NONE, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, rsv, SZ_4K, SZ_4K, 0, ANY, -2, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, 1u << 7, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(NULL, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, NULL, SZ_4K, SZ_4K, 0, ANY, NONE, TD, &addr), -EINVAL);
        assert_int_equal(memrange_alloc(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD, NULL), -EINVAL);
        assert_int_equal(addr, 0xdead);
        EXPECT_EMPTY(rsv);
}

static void align_zero_means_any_byte(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x100123));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, 0x10, 0, 0, ANY, NONE, TD), 0x100113);
        EXPECT_TABLE(rsv, 0x10, RSV(0x100113, 0x100123));
}

static void alloc_skips_nomap_and_driver_managed_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem =
                TABLE(RAM(0x100000, 0x200000), RAM_F(0x200000, 0x300000, MEMRANGE_F_NOMAP),
                      RAM_F(0x300000, 0x400000, MEMRANGE_F_DRIVER_MANAGED));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x1ff000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0x180000, ANY, NONE, BU), 0x180000);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0x200000, ANY, NONE, BU);
        EXPECT_TABLE(rsv, 0x2000, RSV(0x180000, 0x181000), RSV(0x1ff000, 0x200000));
}

/* Free ranges are cut per memory region (memblock walks regions), so a
 * block never straddles two regions with different nodes. */
static void block_never_spans_two_memory_regions(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem =
                TABLE(RAM_N(0x100000, 0x200000, 0), RAM_N(0x200000, 0x300000, 1));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, 0x180000, SZ_4K, 0, ANY, NONE, TD);
        alloc_fails(mem, rsv, 0x180000, SZ_4K, 0, ANY, NONE, BU);
}

static void repeated_allocations_fill_memory_then_fail(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x104000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x103000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x102000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, BU), 0x100000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, TD), 0x101000);
        alloc_fails(mem, rsv, 1, 1, 0, ANY, NONE, TD);
        EXPECT_TABLE(rsv, 0x4000, RSV(0x100000, 0x104000));
}

/* ---- bottom-up ---- */

static void bottom_up_simple_takes_the_bottom_of_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, 0x800, SZ_4K, 0, ANY, NONE, BU), MEM_START);
        EXPECT_TABLE(rsv, 0x800, RSV(MEM_START, MEM_START + 0x800));
}

static void bottom_up_next_to_misaligned_reservation_leaves_a_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(MEM_START, 0x400007f0));

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, NONE, BU), 0x40001000);
        EXPECT_TABLE(rsv, 0x17f0, RSV(MEM_START, 0x400007f0), RSV(0x40001000, 0x40002000));
}

static void bottom_up_first_fit_merges_with_reservation_below(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV(MEM_START, 0x40001000));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, BU), 0x40001000);
        EXPECT_TABLE(rsv, 0x3000, RSV(MEM_START, 0x40003000));
}

static void bottom_up_second_fit_merges_above_the_small_gap(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv =
                TABLE(RSV(MEM_START, 0x40001000), RSV(0x40002000, 0x40010000));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, BU), 0x40010000);
        EXPECT_TABLE(rsv, 0x11000, RSV(MEM_START, 0x40001000), RSV(0x40002000, 0x40012000));
}

static void bottom_up_exact_fit_between_reservations_merges_three(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv =
                TABLE(RSV(MEM_START, 0x40001000), RSV(0x40003000, 0x40010000));

        assert_int_equal(alloc_ok(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, BU), 0x40001000);
        EXPECT_TABLE(rsv, 0x10000, RSV(MEM_START, 0x40010000));
}

static void bottom_up_fails_when_every_gap_is_too_small(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x108000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = small_gaps_reserved();

        alloc_fails(mem, rsv, 0x2000, SZ_4K, 0, ANY, NONE, BU);
        assert_int_equal(alloc_ok(mem, rsv, 0x1000, SZ_4K, 0, ANY, NONE, BU), 0x100000);
        EXPECT_TABLE(rsv, 0x5000, RSV(0x100000, 0x102000), RSV(0x103000, 0x104000), RSV(0x105000, 0x106000),
                     RSV(0x107000, 0x108000));
}

static void bottom_up_honours_min_and_max(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4M, SZ_4K, SZ_1G + SZ_64M, SZ_1G + SZ_128M, NONE, BU), 0x44000000);
        EXPECT_TABLE(rsv, SZ_4M, RSV(0x44000000, 0x44400000));
}

static void bottom_up_with_misaligned_min_rounds_the_start_up(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(MEM_START, MEM_END));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0x44000123, ANY, NONE, BU), 0x44001000);
        EXPECT_TABLE(rsv, SZ_4K, RSV(0x44001000, 0x44002000));
}

static void bottom_up_large_alignment_skips_to_the_next_boundary(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = TABLE(RAM(0x100000, 0x800000));
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_1M, SZ_4M, 0, ANY, NONE, BU), 0x400000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_1M, SZ_2M, 0, ANY, NONE, TD), 0x600000);
        alloc_fails(mem, rsv, SZ_1M, SZ_4M, 0, ANY, NONE, BU);
        EXPECT_TABLE(rsv, SZ_2M, RSV(0x400000, 0x500000), RSV(0x600000, 0x700000));
}

/* ---- NUMA: four nodes, node 3 holding 1 GiB ---- */

static struct memrange_table *numa_memory(void) {
        return TABLE(RAM_N(0x10000000, 0x20000000, 0), RAM_N(0x20000000, 0x30000000, 1),
                     RAM_N(0x30000000, 0x40000000, 2), RAM_N(0x40000000, 0x80000000, 3));
}

static void numa_top_down_takes_the_top_of_the_requested_node(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 1, TD), 0x2ffff000);
        EXPECT_TABLE(rsv, SZ_4K, RSV_N(0x2ffff000, 0x30000000, 1));
}

static void numa_bottom_up_takes_the_bottom_of_the_requested_node(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 2, BU | EXACT), 0x30000000);
        EXPECT_TABLE(rsv, SZ_4K, RSV_N(0x30000000, 0x30001000, 2));
}

static void numa_full_node_falls_back_to_highest_free_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV_N(0x20000000, 0x30000000, 1));

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 1, TD), 0x7ffff000);
        EXPECT_TABLE(rsv, SZ_256M + SZ_4K, RSV_N(0x20000000, 0x30000000, 1), RSV_N(0x7ffff000, 0x80000000, 3));
}

static void numa_full_node_bottom_up_falls_back_to_lowest_free_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV_N(0x20000000, 0x30000000, 1));

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 1, BU), 0x10000000);
        EXPECT_TABLE(rsv, SZ_256M + SZ_4K, RSV_N(0x10000000, 0x10001000, 0), RSV_N(0x20000000, 0x30000000, 1));
}

static void numa_exact_node_fails_when_the_node_is_full(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = TABLE(RSV_N(0x20000000, 0x30000000, 1));

        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 1, TD | EXACT);
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 1, BU | EXACT);
        EXPECT_TABLE(rsv, SZ_256M, RSV_N(0x20000000, 0x30000000, 1));
}

static void numa_request_larger_than_node_falls_back_unless_exact(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, 0x20000000, SZ_4K, 0, ANY, 0, TD | EXACT);
        assert_int_equal(alloc_ok(mem, rsv, 0x20000000, SZ_4K, 0, ANY, 0, TD), 0x60000000);
        EXPECT_TABLE(rsv, 0x20000000, RSV_N(0x60000000, 0x80000000, 3));
}

static void numa_node_without_memory_falls_back_unless_exact(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 5, TD | EXACT);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 5, TD), 0x7ffff000);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 5, BU), 0x10000000);
        EXPECT_TABLE(rsv, 0x2000, RSV_N(0x10000000, 0x10001000, 0), RSV_N(0x7ffff000, 0x80000000, 3));
}

static void numa_limits_apply_within_the_node_and_to_the_fallback(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, 0x38000000, 2, TD), 0x37fff000);
        /* Node 2 has nothing above 0x50000000: exact fails, fallback finds node 3. */
        alloc_fails(mem, rsv, SZ_4K, SZ_4K, 0x50000000, ANY, 2, BU | EXACT);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0x50000000, ANY, 2, BU), 0x50000000);
        EXPECT_TABLE(rsv, 0x2000, RSV_N(0x37fff000, 0x38000000, 2), RSV_N(0x50000000, 0x50001000, 3));
}

static void numa_any_node_takes_the_highest_memory(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = numa_memory();
        _cleanup_(memrange_table_freep) struct memrange_table *rsv = EMPTY_TABLE();

        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, 0x40000000, NONE, TD), 0x3ffff000);
        EXPECT_TABLE(rsv, SZ_4K, RSV_N(0x3ffff000, 0x40000000, 2));
}

/* ---- real memblock state ---- */

/* arm64-6.12-virt/boot: the highest free hole that holds an aligned page
 * is 0xbfbd7000..0xbfbd8fff, right below the reservation starting at
 * 0xbfbd9000, which the new block joins. */
static void top_down_in_arm64_fixture_joins_the_reservation_above(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = NULL, *rsv = NULL;
        const struct memrange *r;

        memblock_fixture_tables("arm64-6.12-virt/boot", &mem, &rsv);
        assert_int_equal(alloc_ok(mem, rsv, SZ_4K, SZ_4K, 0, ANY, 0, TD | EXACT), 0xbfbd8000);
        assert_int_equal(memrange_table_count(rsv), 21);
        assert_int_equal(memrange_table_total(rsv), 0x18c315c8 + SZ_4K);
        r = memrange_table_find(rsv, 0xbfbd8000);
        assert_true(region_equal(r, &RSV_N(0xbfbd8000, 0xbfbdb020, 0)));
}

/* The lowest 2 MiB of the same machine are free and fill the hole below
 * the kernel's first reservation exactly. */
static void bottom_up_in_arm64_fixture_fills_the_first_hole(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *mem = NULL, *rsv = NULL;

        memblock_fixture_tables("arm64-6.12-virt/boot", &mem, &rsv);
        assert_int_equal(alloc_ok(mem, rsv, SZ_2M, SZ_2M, 0, ANY, 0, BU), 0x40000000);
        assert_int_equal(memrange_table_count(rsv), 21);
        assert_true(region_equal(memrange_table_first(rsv), &RSV_N(0x40000000, 0x41f00000, 0)));
        /* Next: the hole 0x41f00000..0x4286ffff, from its first 2 MiB boundary. */
        assert_int_equal(alloc_ok(mem, rsv, SZ_2M, SZ_2M, 0, ANY, 0, BU), 0x42000000);
        assert_int_equal(memrange_table_count(rsv), 22);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(top_down_simple_takes_the_top_of_memory),
                cmocka_unit_test(top_down_next_to_misaligned_reservation_leaves_a_gap),
                cmocka_unit_test(top_down_first_fit_merges_with_reservation_above),
                cmocka_unit_test(top_down_second_fit_merges_below_the_small_gap),
                cmocka_unit_test(top_down_exact_fit_between_reservations_merges_three),
                cmocka_unit_test(top_down_fails_when_every_gap_is_too_small),
                cmocka_unit_test(top_down_fails_when_everything_is_reserved),
                cmocka_unit_test(alloc_fails_without_memory),
                cmocka_unit_test(alloc_larger_than_memory_fails),
                cmocka_unit_test(alloc_of_exactly_all_memory_succeeds),
                cmocka_unit_test(top_down_honours_min_and_max),
                cmocka_unit_test(top_down_below_reservation_inside_the_limits),
                cmocka_unit_test(top_down_with_misaligned_max_aligns_only_the_start),
                cmocka_unit_test(top_down_with_misaligned_min_may_still_fit),
                cmocka_unit_test(limits_outside_memory_or_inverted_fail),
                cmocka_unit_test(alloc_never_returns_the_first_page),
                cmocka_unit_test(alloc_rejects_bad_arguments),
                cmocka_unit_test(align_zero_means_any_byte),
                cmocka_unit_test(alloc_skips_nomap_and_driver_managed_memory),
                cmocka_unit_test(block_never_spans_two_memory_regions),
                cmocka_unit_test(repeated_allocations_fill_memory_then_fail),
                cmocka_unit_test(bottom_up_simple_takes_the_bottom_of_memory),
                cmocka_unit_test(bottom_up_next_to_misaligned_reservation_leaves_a_gap),
                cmocka_unit_test(bottom_up_first_fit_merges_with_reservation_below),
                cmocka_unit_test(bottom_up_second_fit_merges_above_the_small_gap),
                cmocka_unit_test(bottom_up_exact_fit_between_reservations_merges_three),
                cmocka_unit_test(bottom_up_fails_when_every_gap_is_too_small),
                cmocka_unit_test(bottom_up_honours_min_and_max),
                cmocka_unit_test(bottom_up_with_misaligned_min_rounds_the_start_up),
                cmocka_unit_test(bottom_up_large_alignment_skips_to_the_next_boundary),
                cmocka_unit_test(numa_top_down_takes_the_top_of_the_requested_node),
                cmocka_unit_test(numa_bottom_up_takes_the_bottom_of_the_requested_node),
                cmocka_unit_test(numa_full_node_falls_back_to_highest_free_memory),
                cmocka_unit_test(numa_full_node_bottom_up_falls_back_to_lowest_free_memory),
                cmocka_unit_test(numa_exact_node_fails_when_the_node_is_full),
                cmocka_unit_test(numa_request_larger_than_node_falls_back_unless_exact),
                cmocka_unit_test(numa_node_without_memory_falls_back_unless_exact),
                cmocka_unit_test(numa_limits_apply_within_the_node_and_to_the_fallback),
                cmocka_unit_test(numa_any_node_takes_the_highest_memory),
                cmocka_unit_test(top_down_in_arm64_fixture_joins_the_reservation_above),
                cmocka_unit_test(bottom_up_in_arm64_fixture_fills_the_first_hole),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

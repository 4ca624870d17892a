/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* powerpc drmem reader: the v2 LMB sets of the pseries fixtures (decoded by
 * hand from the property bytes), v1, and malformed properties. */
#include <string.h>

#include "test-util.h"

#define DRCONF "proc/device-tree/ibm,dynamic-reconfiguration-memory"
#define LMB_SIZE DRCONF "/ibm,lmb-size"
#define V1 DRCONF "/ibm,dynamic-memory"
#define V2 DRCONF "/ibm,dynamic-memory-v2"

static void assert_lmb(const struct memrange_lmb *lmb, uint64_t base, uint32_t drc_index,
                       uint32_t aa_index, uint32_t flags) {
        assert_int_equal(lmb->base, base);
        assert_int_equal(lmb->drc_index, drc_index);
        assert_int_equal(lmb->aa_index, aa_index);
        assert_int_equal(lmb->flags, flags);
}

static size_t count_memory(const struct memrange_drmem *drmem) {
        size_t n = 0;

        for (size_t i = 0; i < drmem->n; i++)
                n += memrange_lmb_is_memory(&drmem->lmbs[i]);
        return n;
}

/* boot: set 0 = 8 LMBs from 0, drc 0, aa -1, flags 0xa0 (reserved: the boot
 * memory of memory@0); set 1 = 24 LMBs from 2 GiB, drc 0x80000008, aa -1,
 * flags 0 (empty slots up to maxmem 8 GiB). */
static void ppc64_boot_has_two_sets_and_no_assigned_lmb(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("ppc64le-6.1-pseries/boot");
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;

        assert_int_equal(memrange_drmem_read(ctx, &drmem), 0);
        assert_int_equal(drmem->version, 2);
        assert_int_equal(drmem->lmb_size, 0x10000000);
        assert_int_equal(drmem->n_sets, 2);
        assert_int_equal(drmem->n, 32);
        assert_lmb(&drmem->lmbs[0], 0, 0, 0xffffffff, 0xa0);
        assert_lmb(&drmem->lmbs[7], 0x70000000, 7, 0xffffffff, 0xa0);
        assert_lmb(&drmem->lmbs[8], 0x80000000, 0x80000008, 0xffffffff, 0);
        assert_lmb(&drmem->lmbs[31], 0x1f0000000, 0x8000001f, 0xffffffff, 0);
        assert_int_equal(count_memory(drmem), 0);
}

/* hotplug: the 24-LMB set split in three; its first 4 LMBs (1 GiB at 2 GiB)
 * are now assigned with aa_index 0. */
static void ppc64_hotplug_assigns_four_lmbs_at_2g(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("ppc64le-6.1-pseries/hotplug");
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;

        assert_int_equal(memrange_drmem_read(ctx, &drmem), 0);
        assert_int_equal(drmem->version, 2);
        assert_int_equal(drmem->lmb_size, 0x10000000);
        assert_int_equal(drmem->n_sets, 3);
        assert_int_equal(drmem->n, 32);
        assert_lmb(&drmem->lmbs[0], 0, 0, 0xffffffff, 0xa0);
        for (uint32_t i = 0; i < 4; i++) {
                assert_lmb(&drmem->lmbs[8 + i], 0x80000000 + i * 0x10000000ull, 0x80000008 + i, 0,
                           MEMRANGE_DRMEM_ASSIGNED);
                assert_true(memrange_lmb_is_memory(&drmem->lmbs[8 + i]));
        }
        assert_lmb(&drmem->lmbs[12], 0xc0000000, 0x8000000c, 0xffffffff, 0);
        assert_lmb(&drmem->lmbs[31], 0x1f0000000, 0x8000001f, 0xffffffff, 0);
        assert_int_equal(count_memory(drmem), 4);
}

static void fixtures_without_drmem_are_enoent(void **state) {
        for (const char *const *f = all_fixtures; *f; f++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(*f);
                struct memrange_drmem *drmem = NULL;
                int r = memrange_drmem_read(ctx, &drmem);

                assert_int_equal(r, strstr(*f, "ppc64le") ? 0 : -ENOENT);
                memrange_drmem_free(drmem);
        }
}

static void lmb_is_memory_when_assigned_and_not_reserved(void **state) {
        struct memrange_lmb lmb = { .flags = MEMRANGE_DRMEM_ASSIGNED };

        assert_true(memrange_lmb_is_memory(&lmb));
        lmb.flags = MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_HOTREMOVABLE | MEMRANGE_DRMEM_AI_INVALID;
        assert_true(memrange_lmb_is_memory(&lmb));
        lmb.flags = MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_RESERVED;
        assert_false(memrange_lmb_is_memory(&lmb));
        lmb.flags = 0;
        assert_false(memrange_lmb_is_memory(&lmb));
        assert_false(memrange_lmb_is_memory(NULL));
}

/* ---- scratch trees ---- */

static void put_cells(struct scratch *s, const char *path, size_t n, const uint32_t *cells) {
        uint8_t buf[512];

        assert_true(n * 4 <= sizeof(buf));
        for (size_t i = 0; i < n; i++) {
                buf[i * 4] = (uint8_t) (cells[i] >> 24);
                buf[i * 4 + 1] = (uint8_t) (cells[i] >> 16);
                buf[i * 4 + 2] = (uint8_t) (cells[i] >> 8);
                buf[i * 4 + 3] = (uint8_t) cells[i];
        }
        scratch_write(s, path, buf, n * 4);
}
#define PUT_CELLS(s, path, ...)                                      \
        do {                                                         \
                const uint32_t _c_[] = { __VA_ARGS__ };              \
                put_cells(s, path, ELEMENTSOF(_c_), _c_);            \
        } while (0)

/* Root cells 2/2 and 256 MiB LMBs. */
static void base_tree(struct scratch *s) {
        scratch_init(s);
        PUT_CELLS(s, "proc/device-tree/#address-cells", 2);
        PUT_CELLS(s, "proc/device-tree/#size-cells", 2);
        PUT_CELLS(s, LMB_SIZE, 0, 0x10000000);
}

static int read_tree(struct scratch *s, struct memrange_ctx **ret_ctx, struct memrange_drmem **ret_drmem) {
        int r;

        *ret_ctx = scratch_ctx(s);
        r = memrange_drmem_read(*ret_ctx, ret_drmem);
        scratch_free(s);
        return r;
}

static void expect_failure(struct scratch *s, int err, const char *where) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_drmem *drmem = NULL;
        const char *msg;

        assert_int_equal(read_tree(s, &ctx, &drmem), -err);
        assert_null(drmem);
        msg = memrange_ctx_get_error(ctx);
        assert_non_null(msg);
        if (!strstr(msg, where))
                fail_msg("error '%s' does not name '%s'", msg, where);
}

static void v1_entries_are_read_field_by_field(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        struct scratch s;

        base_tree(&s);
        /* count; base hi, base lo, drc_index, reserved, aa_index, flags */
        PUT_CELLS(&s, V1, 3,
                  0, 0x00000000, 0x80000000, 0xdead, 0, 0x88,
                  0, 0x10000000, 0x80000001, 0xbeef, 1, 0x08,
                  1, 0x00000000, 0x80000002, 0, 0, 0x108);

        assert_int_equal(read_tree(&s, &ctx, &drmem), 0);
        assert_int_equal(drmem->version, 1);
        assert_int_equal(drmem->n_sets, 0);
        assert_int_equal(drmem->n, 3);
        assert_lmb(&drmem->lmbs[0], 0, 0x80000000, 0, 0x88);
        assert_lmb(&drmem->lmbs[1], 0x10000000, 0x80000001, 1, 0x08);
        assert_lmb(&drmem->lmbs[2], 0x100000000, 0x80000002, 0, 0x108);
        assert_int_equal(count_memory(drmem), 2);
}

static void v1_with_one_address_cell(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        struct scratch s;

        scratch_init(&s);
        PUT_CELLS(&s, "proc/device-tree/#address-cells", 1);
        PUT_CELLS(&s, "proc/device-tree/#size-cells", 1);
        PUT_CELLS(&s, LMB_SIZE, 0x1000000);
        PUT_CELLS(&s, V1, 2, 0x1000000, 5, 0, 2, 0x8, 0x2000000, 6, 0, 3, 0x0);

        assert_int_equal(read_tree(&s, &ctx, &drmem), 0);
        assert_int_equal(drmem->lmb_size, 0x1000000);
        assert_int_equal(drmem->n, 2);
        assert_lmb(&drmem->lmbs[0], 0x1000000, 5, 2, 0x8);
        assert_lmb(&drmem->lmbs[1], 0x2000000, 6, 3, 0);
}

static void v2_is_preferred_and_expanded_consecutively(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, V1, 1, 0, 0, 1, 0, 0, 0x8);
        /* sets; n, base hi, base lo, drc_index, aa_index, flags; an empty
         * set in the middle expands to nothing. */
        PUT_CELLS(&s, V2, 3,
                  2, 0x1, 0x00000000, 0x100, 7, 0x8,
                  0, 0x2, 0x00000000, 0x200, 0, 0,
                  1, 0x0, 0xf0000000, 0x300, 9, 0x80);

        assert_int_equal(read_tree(&s, &ctx, &drmem), 0);
        assert_int_equal(drmem->version, 2);
        assert_int_equal(drmem->n_sets, 3);
        assert_int_equal(drmem->n, 3);
        assert_lmb(&drmem->lmbs[0], 0x100000000, 0x100, 7, 0x8);
        assert_lmb(&drmem->lmbs[1], 0x110000000, 0x101, 7, 0x8);
        assert_lmb(&drmem->lmbs[2], 0xf0000000, 0x300, 9, 0x80);
}

static void truncated_or_padded_properties_are_rejected(void **state) {
        struct scratch s;

        /* The count says 5 sets, the data holds 4. */
        base_tree(&s);
        PUT_CELLS(&s, V2, 5,
                  1, 0, 0x00000000, 0, 0, 0, 1, 0, 0x10000000, 1, 0, 0,
                  1, 0, 0x20000000, 2, 0, 0, 1, 0, 0x30000000, 3, 0, 0);
        expect_failure(&s, EBADMSG, V2 ": 5 sets need 124 bytes, property has 100");

        /* One set and 4 bytes of trailing junk. */
        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 1, 0, 0, 0, 0, 0, 0xffffffff);
        expect_failure(&s, EBADMSG, V2 ": 1 sets need 28 bytes, property has 32");

        /* v1 cut in the middle of its second entry. */
        base_tree(&s);
        PUT_CELLS(&s, V1, 2, 0, 0, 1, 0, 0, 8, 0, 0x10000000);
        expect_failure(&s, EBADMSG, V1 ": 2 LMBs need 52 bytes, property has 36");

        base_tree(&s);
        scratch_write(&s, V2, "", 0);
        expect_failure(&s, EBADMSG, V2 ": 0 bytes, too short for a count");

        /* Binary junk: its first cell as a count matches no length. */
        base_tree(&s);
        scratch_write(&s, V2, "\x7f" "ELF\x02\x01\x01\x00\xff", 9);
        expect_failure(&s, EBADMSG, V2 ": 2135247942 sets need");
}

static void bad_lmb_size_is_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, LMB_SIZE, 0, 0);
        PUT_CELLS(&s, V2, 0);
        expect_failure(&s, EBADMSG, LMB_SIZE ": LMB size 0x0 is not a power of two");

        base_tree(&s);
        PUT_CELLS(&s, LMB_SIZE, 0, 0x30000000);
        PUT_CELLS(&s, V2, 0);
        expect_failure(&s, EBADMSG, LMB_SIZE ": LMB size 0x30000000 is not a power of two");

        /* Root #size-cells is 2: a one-cell lmb-size is malformed. */
        base_tree(&s);
        PUT_CELLS(&s, LMB_SIZE, 0x10000000);
        PUT_CELLS(&s, V2, 0);
        expect_failure(&s, EBADMSG, LMB_SIZE ": expected 8 bytes (root #size-cells 2), got 4");

        scratch_init(&s);
        PUT_CELLS(&s, V2, 0);
        expect_failure(&s, EBADMSG, LMB_SIZE ": missing");
}

static void expansion_overflow_is_rejected(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        struct scratch s;

        /* The last LMB below the top of the address space is fine... */
        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 1, 0xffffffff, 0xe0000000, 0, 0, 0x8);
        assert_int_equal(read_tree(&s, &ctx, &drmem), 0);
        assert_int_equal(drmem->n, 1);
        assert_lmb(&drmem->lmbs[0], 0xffffffffe0000000, 0, 0, 0x8);

        /* ...one ending at the very last byte has an exclusive end of 2^64,
         * which users (base + lmb_size) cannot hold: found by fuzz-drmem,
         * the table could not be built. */
        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 1, 0xffffffff, 0xf0000000, 0, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V2 ": set 0: 1 LMBs from 0xfffffffff0000000 reach the end");
        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 2, 0xffffffff, 0xe0000000, 0, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V2 ": set 0: 2 LMBs from 0xffffffffe0000000 reach the end");
        base_tree(&s);
        PUT_CELLS(&s, V1, 1, 0xffffffff, 0xf0000000, 0, 0, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V1 ": LMB 0 at 0xfffffffff0000000 reaches the end");

        base_tree(&s);
        PUT_CELLS(&s, V2, 2, 1, 0, 0, 0, 0, 0, 0x10000, 0xffffffff, 0xf8000000, 0, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V2 ": set 1: 65536 LMBs from 0xfffffffff8000000");

        base_tree(&s);
        PUT_CELLS(&s, V1, 1, 0xffffffff, 0xf8000000, 0, 0, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V1 ": LMB 0 at 0xfffffffff8000000 reaches the end");

        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 2, 0, 0, 0xffffffff, 0, 0x8);
        expect_failure(&s, EOVERFLOW, V2 ": set 0: drc_index 0xffffffff + 2 overflows");
}

static void too_many_lmbs_are_rejected(void **state) {
        struct scratch s;

        /* 2^22 + 1 LMBs of 256 MiB fit in 64 bits but exceed the bound,
         * also when split over several sets. */
        base_tree(&s);
        PUT_CELLS(&s, V2, 1, 0x400001, 0, 0, 0, 0, 0);
        expect_failure(&s, ERANGE, V2 ": more than 4194304 LMBs");
        base_tree(&s);
        PUT_CELLS(&s, V2, 2, 0x400000, 0, 0, 0, 0, 0, 1, 0x4, 0, 0x400000, 0, 0);
        expect_failure(&s, ERANGE, V2 ": more than 4194304 LMBs");
}

static void bad_root_cells_are_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, "proc/device-tree/#address-cells", 3);
        PUT_CELLS(&s, V2, 0);
        expect_failure(&s, EBADMSG, "proc/device-tree/#address-cells: 3 cells not supported");
}

static void missing_properties_are_reported(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_drmem *drmem = NULL;
        struct scratch s;

        base_tree(&s);
        expect_failure(&s, EBADMSG, DRCONF ": neither ibm,dynamic-memory-v2 nor ibm,dynamic-memory");

        /* A device tree without the drconf node is not a drmem machine. */
        scratch_init(&s);
        PUT_CELLS(&s, "proc/device-tree/#address-cells", 2);
        assert_int_equal(read_tree(&s, &ctx, &drmem), -ENOENT);
        assert_null(drmem);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(ppc64_boot_has_two_sets_and_no_assigned_lmb),
                cmocka_unit_test(ppc64_hotplug_assigns_four_lmbs_at_2g),
                cmocka_unit_test(fixtures_without_drmem_are_enoent),
                cmocka_unit_test(lmb_is_memory_when_assigned_and_not_reserved),
                cmocka_unit_test(v1_entries_are_read_field_by_field),
                cmocka_unit_test(v1_with_one_address_cell),
                cmocka_unit_test(v2_is_preferred_and_expanded_consecutively),
                cmocka_unit_test(truncated_or_padded_properties_are_rejected),
                cmocka_unit_test(bad_lmb_size_is_rejected),
                cmocka_unit_test(expansion_overflow_is_rejected),
                cmocka_unit_test(too_many_lmbs_are_rejected),
                cmocka_unit_test(bad_root_cells_are_rejected),
                cmocka_unit_test(missing_properties_are_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device tree reader: memory nodes of the arm64 and ppc64 fixtures, and
 * scratch trees for reserved-memory, /chosen and every malformed property. */
#include <string.h>

#include "test-util.h"

#define DT "proc/device-tree"

static void assert_range(const struct memrange *r, uint64_t start, uint64_t end, uint32_t type,
                         uint32_t flags) {
        assert_int_equal(r->start, start);
        assert_int_equal(r->end, end);
        assert_int_equal(r->type, type);
        assert_int_equal(r->flags, flags);
        assert_int_equal(r->nid, MEMRANGE_NID_NONE);
        assert_int_equal(r->sources, MEMRANGE_SRC_DEVICETREE);
}

static void be_cells_reads_one_and_two_cells(void **state) {
        static const uint8_t bytes[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };

        assert_int_equal(mr_be_cells(bytes, 1), 0x12345678);
        assert_int_equal(mr_be_cells(bytes + 4, 1), 0x9abcdef0);
        assert_int_equal(mr_be_cells(bytes, 2), 0x123456789abcdef0);
}

static void arm64_memory_node_has_2g_at_1g(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("arm64-6.12-virt/boot");
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;

        assert_int_equal(memrange_devicetree_read(ctx, &dt), 0);
        assert_int_equal(dt->address_cells, 2);
        assert_int_equal(dt->size_cells, 2);
        assert_int_equal(dt->memory.n, 1);
        assert_range(&dt->memory.ranges[0], 0x40000000, 0xc0000000, MEMRANGE_TYPE_RAM, 0);
        assert_string_equal(dt->memory.names[0], "memory@40000000");
        assert_int_equal(dt->usable_memory.n, 0);
        assert_int_equal(dt->reserved_memory.n, 0);
        assert_int_equal(dt->usable_memory_range.n, 0);
        assert_false(dt->has_elfcorehdr);
        /* crashkernel=256M is in iomem here; /chosen has no crash region. */
        assert_false(dt->has_crashkernel);
}

/* pseries describes boot memory in memory@0; hot-added LMBs live only in
 * drmem, so both captures show the same 2 GiB. */
static void ppc64_memory_node_has_boot_memory_only(void **state) {
        static const char *const fixtures[] = { "ppc64le-6.1-pseries/boot", "ppc64le-6.1-pseries/hotplug" };

        for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(fixtures[i]);
                _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;

                assert_int_equal(memrange_devicetree_read(ctx, &dt), 0);
                assert_int_equal(dt->address_cells, 2);
                assert_int_equal(dt->size_cells, 2);
                assert_int_equal(dt->memory.n, 1);
                assert_range(&dt->memory.ranges[0], 0, 0x80000000, MEMRANGE_TYPE_RAM, 0);
                assert_string_equal(dt->memory.names[0], "memory@0");
                assert_int_equal(dt->reserved_memory.n, 0);
                assert_false(dt->has_elfcorehdr);
                /* /chosen/linux,crashkernel-base 00000000 20000000 and
                 * -size 00000000 10000000 (crashkernel=256M). */
                assert_true(dt->has_crashkernel);
                assert_range(&dt->crashkernel, 0x20000000, 0x30000000, MEMRANGE_TYPE_CRASHKERNEL, 0);
        }
}

static void fixtures_without_device_tree_are_enoent(void **state) {
        size_t with = 0;

        for (const char *const *f = all_fixtures; *f; f++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(*f);
                struct memrange_devicetree *dt = NULL;
                int r = memrange_devicetree_read(ctx, &dt);

                if (strstr(*f, "x86_64"))
                        assert_int_equal(r, -ENOENT);
                else {
                        assert_int_equal(r, 0);
                        assert_int_equal(dt->memory.n, 1);
                        with++;
                }
                memrange_devicetree_free(dt);
        }
        assert_int_equal(with, 3);
}

/* ---- scratch trees ---- */

/* Writes @n big-endian 32-bit cells to @path. */
static void put_cells(struct scratch *s, const char *path, size_t n, const uint32_t *cells) {
        uint8_t buf[256];

        assert_true(n * 4 <= sizeof(buf));
        for (size_t i = 0; i < n; i++) {
                buf[i * 4] = (uint8_t) (cells[i] >> 24);
                buf[i * 4 + 1] = (uint8_t) (cells[i] >> 16);
                buf[i * 4 + 2] = (uint8_t) (cells[i] >> 8);
                buf[i * 4 + 3] = (uint8_t) cells[i];
        }
        scratch_write(s, path, buf, n * 4);
}
#define PUT_CELLS(s, path, ...)                                                              \
        do {                                                                                 \
                const uint32_t _c_[] = { __VA_ARGS__ };                                      \
                put_cells(s, path, ELEMENTSOF(_c_), _c_);                                    \
        } while (0)

static void put_string(struct scratch *s, const char *path, const char *value) {
        scratch_write(s, path, value, strlen(value) + 1);
}

/* A tree with 2/2 root cells and one memory node at 1 GiB of 1 GiB. */
static void base_tree(struct scratch *s) {
        scratch_init(s);
        PUT_CELLS(s, DT "/#address-cells", 2);
        PUT_CELLS(s, DT "/#size-cells", 2);
        put_string(s, DT "/memory@40000000/device_type", "memory");
        PUT_CELLS(s, DT "/memory@40000000/reg", 0, 0x40000000, 0, 0x40000000);
}

static int read_tree(struct scratch *s, struct memrange_ctx **ret_ctx, struct memrange_devicetree **ret_dt) {
        int r;

        *ret_ctx = scratch_ctx(s);
        r = memrange_devicetree_read(*ret_ctx, ret_dt);
        scratch_free(s);
        return r;
}

static void expect_failure(struct scratch *s, int err, const char *where) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_devicetree *dt = NULL;
        const char *msg;

        assert_int_equal(read_tree(s, &ctx, &dt), -err);
        assert_null(dt);
        msg = memrange_ctx_get_error(ctx);
        assert_non_null(msg);
        if (!strstr(msg, where))
                fail_msg("error '%s' does not name '%s'", msg, where);
}

static void memory_nodes_are_found_by_device_type_not_name(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        /* Named like memory but another device type: not memory. */
        put_string(&s, DT "/memory@0/device_type", "cpu");
        PUT_CELLS(&s, DT "/memory@0/reg", 0, 0, 0, 0x1000);
        /* Named memory, no device_type at all: not memory either. */
        PUT_CELLS(&s, DT "/memory@1000/reg", 0, 0x1000, 0, 0x1000);
        /* device_type without its terminating NUL is not the string "memory". */
        scratch_write(&s, DT "/memory@2000/device_type", "memory", 6);
        PUT_CELLS(&s, DT "/memory@2000/reg", 0, 0x2000, 0, 0x1000);
        /* A disabled memory node is ignored, as by the kernel. */
        put_string(&s, DT "/memory@3000/device_type", "memory");
        put_string(&s, DT "/memory@3000/status", "disabled");
        PUT_CELLS(&s, DT "/memory@3000/reg", 0, 0x3000, 0, 0x1000);
        /* Another name with the right type: memory, two tuples, the empty
         * one skipped; status "okay" is available. */
        put_string(&s, DT "/ram/device_type", "memory");
        put_string(&s, DT "/ram/status", "okay");
        PUT_CELLS(&s, DT "/ram/reg", 1, 0, 0, 0x80000000, 2, 0, 0, 0, 2, 0x1000, 0, 0x2000);
        PUT_CELLS(&s, DT "/ram/linux,usable-memory", 1, 0, 0, 0x10000000);

        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->memory.n, 3);
        assert_range(&dt->memory.ranges[0], 0x40000000, 0x80000000, MEMRANGE_TYPE_RAM, 0);
        assert_string_equal(dt->memory.names[0], "memory@40000000");
        assert_range(&dt->memory.ranges[1], 0x100000000, 0x180000000, MEMRANGE_TYPE_RAM, 0);
        assert_string_equal(dt->memory.names[1], "ram");
        assert_range(&dt->memory.ranges[2], 0x200001000, 0x200003000, MEMRANGE_TYPE_RAM, 0);
        assert_int_equal(dt->usable_memory.n, 1);
        assert_range(&dt->usable_memory.ranges[0], 0x100000000, 0x110000000, MEMRANGE_TYPE_RAM, 0);
        assert_string_equal(dt->usable_memory.names[0], "ram");
}

static void absent_root_cells_default_to_one_and_one(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        scratch_init(&s);
        put_string(&s, DT "/memory/device_type", "memory");
        PUT_CELLS(&s, DT "/memory/reg", 0x80000000, 0x20000000, 0xc0000000, 0x1000);

        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->address_cells, 1);
        assert_int_equal(dt->size_cells, 1);
        assert_int_equal(dt->memory.n, 2);
        assert_range(&dt->memory.ranges[0], 0x80000000, 0xa0000000, MEMRANGE_TYPE_RAM, 0);
        assert_range(&dt->memory.ranges[1], 0xc0000000, 0xc0001000, MEMRANGE_TYPE_RAM, 0);
}

static void reserved_memory_uses_its_own_cells_and_no_map(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/reserved-memory/#address-cells", 1);
        PUT_CELLS(&s, DT "/reserved-memory/#size-cells", 1);
        scratch_write(&s, DT "/reserved-memory/ranges", "", 0);
        PUT_CELLS(&s, DT "/reserved-memory/secmon@50000000/reg", 0x50000000, 0x200000);
        scratch_write(&s, DT "/reserved-memory/secmon@50000000/no-map", "", 0);
        PUT_CELLS(&s, DT "/reserved-memory/framebuffer@60000000/reg", 0x60000000, 0x800000);
        /* Dynamically placed: no reg, nothing to report. */
        PUT_CELLS(&s, DT "/reserved-memory/linux,cma/size", 0, 0x4000000);
        scratch_write(&s, DT "/reserved-memory/linux,cma/reusable", "", 0);

        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->reserved_memory.n, 2);
        /* Sorted by node name: framebuffer before secmon. */
        assert_range(&dt->reserved_memory.ranges[0], 0x60000000, 0x60800000, MEMRANGE_TYPE_RESERVED, 0);
        assert_string_equal(dt->reserved_memory.names[0], "framebuffer@60000000");
        assert_range(&dt->reserved_memory.ranges[1], 0x50000000, 0x50200000, MEMRANGE_TYPE_RESERVED,
                     MEMRANGE_F_NOMAP);
        assert_string_equal(dt->reserved_memory.names[1], "secmon@50000000");
        /* reserved-memory has no device_type: not a memory node. */
        assert_int_equal(dt->memory.n, 1);
}

static void reserved_memory_inherits_root_cells(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/reserved-memory/tz@1/reg", 0x1, 0x0, 0x0, 0x100000);

        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->reserved_memory.n, 1);
        assert_range(&dt->reserved_memory.ranges[0], 0x100000000, 0x100100000, MEMRANGE_TYPE_RESERVED, 0);
}

static void chosen_kdump_properties_are_read(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,usable-memory-range", 0, 0x69000000, 0, 0x10000000, 0, 0x3ff00000,
                  0, 0x100000);
        PUT_CELLS(&s, DT "/chosen/linux,elfcorehdr", 0, 0x78e00000, 0, 0x10000);

        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->usable_memory_range.n, 2);
        assert_range(&dt->usable_memory_range.ranges[0], 0x69000000, 0x79000000, MEMRANGE_TYPE_RAM, 0);
        assert_range(&dt->usable_memory_range.ranges[1], 0x3ff00000, 0x40000000, MEMRANGE_TYPE_RAM, 0);
        assert_true(dt->has_elfcorehdr);
        assert_range(&dt->elfcorehdr, 0x78e00000, 0x78e10000, MEMRANGE_TYPE_RESERVED, 0);
}

/* The powerpc kernel writes an unsigned long whatever the root's cells:
 * 8 bytes on ppc64, 4 on a 32-bit kernel. */
static void chosen_crash_region_takes_one_or_two_cells(void **state) {
        for (int cells = 1; cells <= 2; cells++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
                _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
                struct scratch s;

                base_tree(&s);
                if (cells == 1) {
                        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0x08000000);
                        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0x10000000);
                } else {
                        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0, 0x08000000);
                        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0x10000000);
                }
                assert_int_equal(read_tree(&s, &ctx, &dt), 0);
                assert_true(dt->has_crashkernel);
                assert_range(&dt->crashkernel, 0x08000000, 0x18000000, MEMRANGE_TYPE_CRASHKERNEL, 0);
        }
}

static void chosen_crash_region_of_size_zero_is_none(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0, 0x08000000);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0);
        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_false(dt->has_crashkernel);
}

static void malformed_chosen_crash_region_is_rejected(void **state) {
        static const uint8_t three[3] = { 0, 0x08, 0 };
        struct scratch s;

        base_tree(&s);
        scratch_write(&s, DT "/chosen/linux,crashkernel-base", three, sizeof(three));
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0x10000000);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,crashkernel-base: expected 4 or 8 bytes, got 3");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0, 0x08000000);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0, 0x10000000);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,crashkernel-size: expected 4 or 8 bytes, got 12");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0, 0x08000000);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,crashkernel-base: present without linux,crashkernel-size");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0x10000000);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,crashkernel-size: present without linux,crashkernel-base");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-base", 0xffffffff, 0xf0000000);
        PUT_CELLS(&s, DT "/chosen/linux,crashkernel-size", 0, 0x10000000);
        expect_failure(&s, EBADMSG,
                       DT "/chosen/linux,crashkernel-size: crash region 0xfffffffff0000000+0x10000000 passes "
                          "the end of memory");
}

static void wrong_cell_counts_are_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/#address-cells", 3);
        expect_failure(&s, EBADMSG, DT "/#address-cells: 3 cells not supported");

        base_tree(&s);
        PUT_CELLS(&s, DT "/#size-cells", 0);
        expect_failure(&s, EBADMSG, DT "/#size-cells: 0 cells not supported");

        base_tree(&s);
        scratch_write(&s, DT "/#size-cells", "\0\0\0\2\0", 5);
        expect_failure(&s, EBADMSG, DT "/#size-cells: expected one 4-byte cell, got 5 bytes");

        base_tree(&s);
        scratch_write(&s, DT "/#address-cells", "", 0);
        expect_failure(&s, EBADMSG, DT "/#address-cells: expected one 4-byte cell, got 0 bytes");

        base_tree(&s);
        PUT_CELLS(&s, DT "/reserved-memory/#address-cells", 3);
        PUT_CELLS(&s, DT "/reserved-memory/a@0/reg", 0, 0, 0, 0, 0x1000);
        expect_failure(&s, EBADMSG, DT "/reserved-memory/#address-cells: 3 cells not supported");
}

static void reg_not_a_multiple_of_the_tuple_is_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/memory@40000000/reg", 0, 0x40000000, 0, 0x40000000, 1);
        expect_failure(&s, EBADMSG, DT "/memory@40000000/reg: length 20 is not a multiple of 16");

        /* Binary junk of odd length. */
        base_tree(&s);
        scratch_write(&s, DT "/memory@40000000/reg", "\xff\x00\x13junk\x01\x02\x03\x04\x05", 12);
        expect_failure(&s, EBADMSG, DT "/memory@40000000/reg: length 12 is not a multiple of 16");

        base_tree(&s);
        PUT_CELLS(&s, DT "/memory@40000000/linux,usable-memory", 0, 0x40000000, 0);
        expect_failure(&s, EBADMSG, DT "/memory@40000000/linux,usable-memory: length 12");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,usable-memory-range", 0, 1, 2);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,usable-memory-range: length 12");
}

static void overflowing_tuple_is_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/memory@40000000/reg", 0xffffffff, 0x00000000, 0x1, 0x0);
        expect_failure(&s, EOVERFLOW, DT "/memory@40000000/reg: tuple 0: 0xffffffff00000000 + 0x100000000 overflows");

        base_tree(&s);
        PUT_CELLS(&s, DT "/reserved-memory/x@0/reg", 0, 0, 0, 0x1000, 0xffffffff, 0xfffff000, 0, 0x1001);
        expect_failure(&s, EOVERFLOW, DT "/reserved-memory/x@0/reg: tuple 1:");
}

static void malformed_elfcorehdr_is_rejected(void **state) {
        struct scratch s;

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,elfcorehdr", 0, 0x78e00000, 0, 0x10000, 0, 0, 0, 0x10);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,elfcorehdr: expected one 16-byte tuple, got 32 bytes");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,elfcorehdr", 0, 0x78e00000, 0);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,elfcorehdr: expected one 16-byte tuple, got 12 bytes");

        base_tree(&s);
        PUT_CELLS(&s, DT "/chosen/linux,elfcorehdr", 0, 0x78e00000, 0, 0);
        expect_failure(&s, EBADMSG, DT "/chosen/linux,elfcorehdr: zero size");
}

static void empty_reg_describes_nothing(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        struct scratch s;

        base_tree(&s);
        scratch_write(&s, DT "/memory@40000000/reg", "", 0);
        assert_int_equal(read_tree(&s, &ctx, &dt), 0);
        assert_int_equal(dt->memory.n, 0);
}

static void missing_device_tree_is_enoent(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_devicetree *dt = NULL;
        struct scratch s;

        scratch_init(&s);
        scratch_mkdir(&s, "proc");
        assert_int_equal(read_tree(&s, &ctx, &dt), -ENOENT);
        assert_null(dt);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(be_cells_reads_one_and_two_cells),
                cmocka_unit_test(arm64_memory_node_has_2g_at_1g),
                cmocka_unit_test(ppc64_memory_node_has_boot_memory_only),
                cmocka_unit_test(fixtures_without_device_tree_are_enoent),
                cmocka_unit_test(memory_nodes_are_found_by_device_type_not_name),
                cmocka_unit_test(absent_root_cells_default_to_one_and_one),
                cmocka_unit_test(reserved_memory_uses_its_own_cells_and_no_map),
                cmocka_unit_test(reserved_memory_inherits_root_cells),
                cmocka_unit_test(chosen_kdump_properties_are_read),
                cmocka_unit_test(wrong_cell_counts_are_rejected),
                cmocka_unit_test(reg_not_a_multiple_of_the_tuple_is_rejected),
                cmocka_unit_test(overflowing_tuple_is_rejected),
                cmocka_unit_test(malformed_elfcorehdr_is_rejected),
                cmocka_unit_test(chosen_crash_region_takes_one_or_two_cells),
                cmocka_unit_test(chosen_crash_region_of_size_zero_is_none),
                cmocka_unit_test(malformed_chosen_crash_region_is_rejected),
                cmocka_unit_test(empty_reg_describes_nothing),
                cmocka_unit_test(missing_device_tree_is_enoent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memblock debugfs reader: both line formats against the real arm64 (6.12)
 * and ppc64 (6.1) fixtures, and every way a file can be malformed. */
#include <string.h>

#include "test-util.h"

#define MEMORY "sys/kernel/debug/memblock/memory"
#define RESERVED "sys/kernel/debug/memblock/reserved"

static void assert_range(const struct memrange *r, uint64_t start, uint64_t end, uint32_t type,
                         uint32_t flags, int32_t nid) {
        assert_int_equal(r->start, start);
        assert_int_equal(r->end, end);
        assert_int_equal(r->type, type);
        assert_int_equal(r->flags, flags);
        assert_int_equal(r->nid, nid);
        assert_int_equal(r->sources, MEMRANGE_SRC_MEMBLOCK);
}

static void arm64_new_format_has_node_and_none_flags(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("arm64-6.12-virt/boot");
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;

        assert_int_equal(memrange_memblock_read(ctx, &mb), 0);
        assert_true(mb->has_node_column);
        assert_int_equal(mb->memory.n, 1);
        assert_range(&mb->memory.ranges[0], 0x40000000, 0xc0000000, MEMRANGE_TYPE_RAM, 0, 0);

        assert_int_equal(mb->reserved.n, 21);
        assert_range(&mb->reserved.ranges[0], 0x40200000, 0x41f00000, MEMRANGE_TYPE_RESERVED, 0, 0);
        assert_range(&mb->reserved.ranges[5], 0xbfa927c0, 0xbfb92bc8, MEMRANGE_TYPE_RESERVED, 0, 0);
        assert_range(&mb->reserved.ranges[16], 0xbfbdb900, 0xbfbdb942, MEMRANGE_TYPE_RESERVED, 0, 0);
        assert_range(&mb->reserved.ranges[20], 0xbfc0b000, 0xc0000000, MEMRANGE_TYPE_RESERVED, 0, 0);
        for (size_t i = 0; i < mb->reserved.n; i++) {
                assert_int_equal(mb->reserved.ranges[i].nid, 0);
                assert_int_equal(mb->reserved.ranges[i].flags, 0);
        }
}

static void ppc64_old_format_has_no_node(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("ppc64le-6.1-pseries/boot");
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;

        assert_int_equal(memrange_memblock_read(ctx, &mb), 0);
        assert_false(mb->has_node_column);
        assert_int_equal(mb->memory.n, 1);
        assert_range(&mb->memory.ranges[0], 0, 0x80000000, MEMRANGE_TYPE_RAM, 0, MEMRANGE_NID_NONE);

        assert_int_equal(mb->reserved.n, 25);
        assert_range(&mb->reserved.ranges[0], 0, 0x2880d00, MEMRANGE_TYPE_RESERVED, 0,
                     MEMRANGE_NID_NONE);
        assert_range(&mb->reserved.ranges[3], 0x20000000, 0x30000000, MEMRANGE_TYPE_RESERVED, 0,
                     MEMRANGE_NID_NONE);
        assert_range(&mb->reserved.ranges[22], 0x7ffff200, 0x7ffff243, MEMRANGE_TYPE_RESERVED, 0,
                     MEMRANGE_NID_NONE);
        assert_range(&mb->reserved.ranges[24], 0x7ffff300, 0x80000000, MEMRANGE_TYPE_RESERVED, 0,
                     MEMRANGE_NID_NONE);
}

static void ppc64_hotplug_memory_grows_to_3g(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("ppc64le-6.1-pseries/hotplug");
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;

        assert_int_equal(memrange_memblock_read(ctx, &mb), 0);
        assert_false(mb->has_node_column);
        assert_int_equal(mb->memory.n, 1);
        assert_range(&mb->memory.ranges[0], 0, 0xc0000000, MEMRANGE_TYPE_RAM, 0, MEMRANGE_NID_NONE);
        assert_int_equal(mb->reserved.n, 25);
        assert_range(&mb->reserved.ranges[24], 0x7ffff300, 0x80000000, MEMRANGE_TYPE_RESERVED, 0,
                     MEMRANGE_NID_NONE);
}

/* x86 does not keep memblock after boot: every x86 fixture lacks it. */
static void fixtures_without_memblock_are_enoent(void **state) {
        size_t with = 0;

        for (const char *const *f = all_fixtures; *f; f++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(*f);
                struct memrange_memblock *mb = NULL;
                int r = memrange_memblock_read(ctx, &mb);

                if (strstr(*f, "x86_64"))
                        assert_int_equal(r, -ENOENT);
                else {
                        assert_int_equal(r, 0);
                        with++;
                }
                if (r < 0)
                        assert_null(mb);
                memrange_memblock_free(mb);
        }
        assert_int_equal(with, 3);
}

/* ---- scratch sysroots ---- */

static const char *const good_memory = "   0: 0x0000000040000000..0x00000000bfffffff    0 NONE\n";

static int read_scratch(const char *memory, const char *reserved, struct memrange_ctx **ret_ctx,
                        struct memrange_memblock **ret_mb) {
        struct scratch s;
        int r;

        scratch_init(&s);
        if (memory)
                scratch_write(&s, MEMORY, memory, (size_t) -1);
        if (reserved)
                scratch_write(&s, RESERVED, reserved, (size_t) -1);
        *ret_ctx = scratch_ctx(&s);
        r = memrange_memblock_read(*ret_ctx, ret_mb);
        scratch_free(&s);
        return r;
}

/* Reads a scratch tree and expects failure @err with @where in the error. */
static void expect_failure(const char *memory, const char *reserved, int err, const char *where) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_memblock *mb = NULL;
        const char *msg;

        assert_int_equal(read_scratch(memory, reserved, &ctx, &mb), -err);
        assert_null(mb);
        msg = memrange_ctx_get_error(ctx);
        assert_non_null(msg);
        if (!strstr(msg, where))
                fail_msg("error '%s' does not name '%s'", msg, where);
}

static void every_flag_name_maps_to_its_flag(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;
        static const char reserved[] =
                "   0: 0x0000000000001000..0x0000000000001fff    x HOTPLUG\n"
                "   1: 0x0000000000002000..0x0000000000002fff    1 MIRROR\n"
                "   2: 0x0000000000003000..0x0000000000003fff    2 NOMAP\n"
                "   3: 0x0000000000004000..0x0000000000004fff   17 DRV_MNG\n"
                "   4: 0x0000000000005000..0x0000000000005fff    0 RSV_NIT\n"
                "   5: 0x0000000000006000..0x0000000000006fff    0 RSV_KERN\n"
                "   6: 0x0000000000007000..0x0000000000007fff 1023 KHO_SCRATCH\n"
                "   7: 0x0000000000008000..0x0000000000008fff    x NONE\n";
        static const uint32_t flags[] = {
                MEMRANGE_F_HOTPLUG, MEMRANGE_F_MIRROR,  MEMRANGE_F_NOMAP,       MEMRANGE_F_DRIVER_MANAGED,
                MEMRANGE_F_RSV_NIT, MEMRANGE_F_RSV_KERN, MEMRANGE_F_KHO_SCRATCH, 0,
        };
        static const int32_t nids[] = { MEMRANGE_NID_NONE, 1, 2, 17, 0, 0, 1023, MEMRANGE_NID_NONE };

        assert_int_equal(read_scratch(good_memory, reserved, &ctx, &mb), 0);
        assert_int_equal(mb->reserved.n, 8);
        for (size_t i = 0; i < 8; i++)
                assert_range(&mb->reserved.ranges[i], 0x1000 * (i + 1), 0x1000 * (i + 2),
                             MEMRANGE_TYPE_RESERVED, flags[i], nids[i]);
}

static void last_byte_of_address_space_is_clipped(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;

        assert_int_equal(read_scratch("   0: 0xffffffff00000000..0xffffffffffffffff\n",
                                      "   0: 0x0000000000000000..0x0000000000000fff\n", &ctx, &mb),
                         0);
        assert_range(&mb->memory.ranges[0], 0xffffffff00000000, UINT64_MAX, MEMRANGE_TYPE_RAM, 0,
                     MEMRANGE_NID_NONE);
}

static void region_of_only_the_last_byte_is_rejected(void **state) {
        expect_failure("   0: 0xffffffffffffffff..0xffffffffffffffff\n", NULL, EBADMSG,
                       MEMORY ":1: range '0xffffffffffffffff..0xffffffffffffffff' is empty once clipped");
}

static void unknown_flag_name_is_rejected(void **state) {
        expect_failure(good_memory,
                       "   0: 0x0000000040000000..0x0000000040000fff    0 NONE\n"
                       "   1: 0x0000000040001000..0x0000000040001fff    0 BOGUS\n",
                       EBADMSG, RESERVED ":2: unknown memblock flag 'BOGUS'");
        /* Flag names are case-sensitive, as the kernel prints them. */
        expect_failure("   0: 0x0000000040000000..0x00000000bfffffff    0 none\n", NULL, EBADMSG,
                       MEMORY ":1:");
}

static void mixed_formats_in_one_file_are_rejected(void **state) {
        expect_failure("   0: 0x0000000040000000..0x000000007fffffff    0 NONE\n"
                       "   1: 0x0000000080000000..0x00000000bfffffff\n",
                       NULL, EBADMSG, MEMORY ":2: mixed formats");
        expect_failure("   0: 0x0000000040000000..0x000000007fffffff\n"
                       "   1: 0x0000000080000000..0x00000000bfffffff    0 NONE\n",
                       NULL, EBADMSG, MEMORY ":2: mixed formats");
}

static void formats_must_agree_between_files(void **state) {
        expect_failure(good_memory, "   0: 0x0000000040000000..0x0000000040000fff\n", EBADMSG,
                       RESERVED ":1: mixed formats");
}

static void index_gap_or_repeat_is_rejected(void **state) {
        expect_failure("   0: 0x0000000040000000..0x000000007fffffff\n"
                       "   2: 0x0000000080000000..0x00000000bfffffff\n",
                       NULL, EBADMSG, MEMORY ":2: index 2 where 1 was expected");
        expect_failure("   0: 0x0000000040000000..0x000000007fffffff\n"
                       "   0: 0x0000000080000000..0x00000000bfffffff\n",
                       NULL, EBADMSG, MEMORY ":2: index 0 where 1 was expected");
        expect_failure("   1: 0x0000000040000000..0x000000007fffffff\n", NULL, EBADMSG,
                       MEMORY ":1: index 1 where 0 was expected");
        expect_failure("   a: 0x0000000040000000..0x000000007fffffff\n", NULL, EBADMSG,
                       MEMORY ":1: bad index 'a'");
        expect_failure("   0 0x0000000040000000..0x000000007fffffff\n", NULL, EBADMSG,
                       MEMORY ":1: expected 'N:' index");
}

static void truncated_lines_are_rejected(void **state) {
        expect_failure("   0: 0x0000000040000000..\n", NULL, EBADMSG, MEMORY ":1: bad range");
        expect_failure("   0: 0x0000000040000000\n", NULL, EBADMSG, MEMORY ":1: bad range");
        expect_failure("   0:\n", NULL, EBADMSG, MEMORY ":1: expected 2 or 4 fields, got 1");
        expect_failure(good_memory, "   0: 0x0000000040000000..0x0000000040000fff    0\n", EBADMSG,
                       RESERVED ":1: expected 2 or 4 fields, got 3");
}

static void garbage_hex_and_overflow_are_rejected(void **state) {
        expect_failure("   0: 0xzz..0x0000000000000fff\n", NULL, EBADMSG, MEMORY ":1: bad range");
        expect_failure("   0: 0x0000000000000000..0x0000000000000fffg\n", NULL, EBADMSG,
                       MEMORY ":1: bad range");
        /* 17 hex digits do not fit in 64 bits. */
        expect_failure("   0: 0x0..0x10000000000000000\n", NULL, EBADMSG, MEMORY ":1: bad range");
        expect_failure("   0: 0x0000000000002000..0x0000000000000fff\n", NULL, EBADMSG,
                       MEMORY ":1: range end below its start");
}

static void bad_node_and_extra_fields_are_rejected(void **state) {
        expect_failure("   0: 0x0000000040000000..0x00000000bfffffff   -1 NONE\n", NULL, EBADMSG,
                       MEMORY ":1: bad node '-1'");
        expect_failure("   0: 0x0000000040000000..0x00000000bfffffff    y NONE\n", NULL, EBADMSG,
                       MEMORY ":1: bad node 'y'");
        expect_failure("   0: 0x0000000040000000..0x00000000bfffffff    0 NONE extra\n", NULL,
                       EBADMSG, MEMORY ":1: expected 2 or 4 fields, got more than 4");
}

static void empty_and_binary_files_are_rejected(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_memblock *mb = NULL;
        static const char junk[] = "   0: 0x0\0\x01\xff\x7f..0x1\n";
        struct scratch s;

        expect_failure("", "", EBADMSG, MEMORY ": no regions");
        expect_failure(good_memory, "", EBADMSG, RESERVED ": no regions");

        scratch_init(&s);
        scratch_write(&s, MEMORY, junk, sizeof(junk) - 1);
        scratch_write(&s, RESERVED, good_memory, (size_t) -1);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_memblock_read(ctx, &mb), -EBADMSG);
        assert_null(mb);
        assert_non_null(strstr(memrange_ctx_get_error(ctx), MEMORY ": binary data"));
        scratch_free(&s);
}

static void missing_files_are_enoent(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_memblock *mb = NULL;
        struct scratch s;

        /* No directory at all: the architecture does not keep memblock. */
        scratch_init(&s);
        scratch_mkdir(&s, "sys/kernel/debug");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_memblock_read(ctx, &mb), -ENOENT);
        assert_null(mb);
        scratch_free(&s);

        /* The directory without one of its files is named in the error. */
        expect_failure(good_memory, NULL, ENOENT, RESERVED ": cannot read");
        expect_failure(NULL, good_memory, ENOENT, MEMORY ": cannot read");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(arm64_new_format_has_node_and_none_flags),
                cmocka_unit_test(ppc64_old_format_has_no_node),
                cmocka_unit_test(ppc64_hotplug_memory_grows_to_3g),
                cmocka_unit_test(fixtures_without_memblock_are_enoent),
                cmocka_unit_test(every_flag_name_maps_to_its_flag),
                cmocka_unit_test(last_byte_of_address_space_is_clipped),
                cmocka_unit_test(region_of_only_the_last_byte_is_rejected),
                cmocka_unit_test(unknown_flag_name_is_rejected),
                cmocka_unit_test(mixed_formats_in_one_file_are_rejected),
                cmocka_unit_test(formats_must_agree_between_files),
                cmocka_unit_test(index_gap_or_repeat_is_rejected),
                cmocka_unit_test(truncated_lines_are_rejected),
                cmocka_unit_test(garbage_hex_and_overflow_are_rejected),
                cmocka_unit_test(bad_node_and_extra_fields_are_rejected),
                cmocka_unit_test(empty_and_binary_files_are_rejected),
                cmocka_unit_test(missing_files_are_enoent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

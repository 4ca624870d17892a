/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/firmware/memmap reader: fixture maps, hot-added entries, malformed
 * entries. */
#include <stdio.h>
#include <string.h>

#include "test-util.h"

static void assert_range(const struct memrange_list *list, size_t i, uint64_t start, uint64_t end,
                         uint32_t type, uint32_t flags, const char *name) {
        assert_true(i < list->n);
        assert_int_equal(list->ranges[i].start, start);
        assert_int_equal(list->ranges[i].end, end);
        assert_int_equal(list->ranges[i].type, type);
        assert_int_equal(list->ranges[i].flags, flags);
        assert_int_equal(list->ranges[i].nid, MEMRANGE_NID_NONE);
        assert_int_equal(list->ranges[i].sources, MEMRANGE_SRC_FIRMWARE_MEMMAP);
        assert_non_null(list->names);
        assert_string_equal(list->names[i], name);
}

static struct memrange_list *read_fixture(const char *fixture) {
        struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_list *list = NULL;

        assert_int_equal(memrange_memmap_read(ctx, &list), 0);
        assert_non_null(list);
        memrange_ctx_unref(ctx);
        return list;
}

/* The e820 map of the 1 GiB QEMU guest, in address order. */
static void assert_dimm_boot_map(const struct memrange_list *list, bool skip_hot_added) {
        size_t i = 0;

        assert_range(list, i++, 0x0, 0x9fc00, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, i++, 0x9fc00, 0xa0000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, i++, 0xf0000, 0x100000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, i++, 0x100000, 0x3ffe0000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, i++, 0x3ffe0000, 0x40000000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, i++, 0xfffc0000, 0x100000000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        if (skip_hot_added)
                i++;
        assert_range(list, i++, 0xfd00000000, 0x10000000000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
}

static void dimm_hotplug_entry_7_is_hot_added(void **state) {
        struct memrange_list *list = read_fixture("x86_64-6.1-dimm/hotplug");

        assert_int_equal(list->n, 8);
        assert_dimm_boot_map(list, true);
        /* Entry 7 sorts before entry 6 (0xfd00000000): appended after boot. */
        assert_range(list, 6, 0x100000000, 0x140000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_HOTPLUG,
                     "System RAM");
        memrange_list_free(list);
}

static void dimm_boot_has_no_hot_added_entry(void **state) {
        struct memrange_list *list = read_fixture("x86_64-6.1-dimm/boot");

        assert_int_equal(list->n, 7);
        assert_dimm_boot_map(list, false);
        memrange_list_free(list);
}

/* Driver-managed RAM never enters the firmware map. */
static void virtiomem_ram_is_not_in_the_firmware_map(void **state) {
        struct memrange_list *list = read_fixture("x86_64-6.12-virtiomem/hotplug");

        assert_int_equal(list->n, 7);
        assert_dimm_boot_map(list, false);
        memrange_list_free(list);
}

static void microvm_map_has_high_ram_from_boot(void **state) {
        struct memrange_list *list = read_fixture("x86_64-6.18-microvm/boot");

        assert_int_equal(list->n, 5);
        assert_range(list, 0, 0x0, 0x9fc00, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, 1, 0x9fc00, 0x100000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, 2, 0x100000, 0xc0000000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, 3, 0xeec00000, 0xfec00000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, 4, 0x100000000, 0x640000000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        memrange_list_free(list);
}

/* Per fixture: entries (0 = no firmware map: -ENOENT), RAM bytes, and how
 * many entries are hot-added; by hand from the files. */
static const struct {
        const char *fixture;
        size_t n;
        uint64_t ram_bytes;
        unsigned n_hotplug;
} memmap_summaries[] = {
        { "x86_64-6.1-dimm/boot", 7, 0x3ff7fc00, 0 },
        { "x86_64-6.1-dimm/hotplug", 8, 0x7ff7fc00, 1 },
        { "x86_64-6.1-dimm/offline", 8, 0x7ff7fc00, 1 },
        { "x86_64-6.12-virtiomem/boot", 7, 0x3ff7fc00, 0 },
        { "x86_64-6.12-virtiomem/hotplug", 7, 0x3ff7fc00, 0 },
        { "arm64-6.12-virt/boot", 0, 0, 0 },
        { "ppc64le-6.1-pseries/boot", 0, 0, 0 },
        { "ppc64le-6.1-pseries/hotplug", 0, 0, 0 },
        { "x86_64-6.18-microvm/boot", 5, 0x5fff9fc00, 0 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 8, 0x7ff7fc00, 1 },
        { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 8, 0x7ff7fc00, 1 },
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 8, 0x7ff7fc00, 1 },
};

static void every_fixture_matches_its_summary(void **state) {
        size_t n_fixtures = 0;

        while (all_fixtures[n_fixtures])
                n_fixtures++;
        assert_int_equal(n_fixtures, ELEMENTSOF(memmap_summaries));

        for (size_t f = 0; f < ELEMENTSOF(memmap_summaries); f++) {
                struct memrange_ctx *ctx = fixture_ctx(all_fixtures[f]);
                struct memrange_list *list = NULL;
                uint64_t ram = 0;
                unsigned hot = 0;
                int r;

                assert_string_equal(all_fixtures[f], memmap_summaries[f].fixture);
                r = memrange_memmap_read(ctx, &list);
                if (memmap_summaries[f].n == 0) {
                        assert_int_equal(r, -ENOENT);
                        assert_null(list);
                        memrange_ctx_unref(ctx);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_int_equal(list->n, memmap_summaries[f].n);
                for (size_t i = 0; i < list->n; i++) {
                        if (i > 0)
                                assert_true(list->ranges[i - 1].start <= list->ranges[i].start);
                        if (list->ranges[i].type == MEMRANGE_TYPE_RAM)
                                ram += list->ranges[i].end - list->ranges[i].start;
                        if (list->ranges[i].flags & MEMRANGE_F_HOTPLUG) {
                                hot++;
                                assert_int_equal(list->ranges[i].start, 0x100000000);
                        }
                }
                assert_int_equal(ram, memmap_summaries[f].ram_bytes);
                assert_int_equal(hot, memmap_summaries[f].n_hotplug);
                memrange_list_free(list);
                memrange_ctx_unref(ctx);
        }
}

/* Scratch firmware maps. */
static void write_entry(struct scratch *s, const char *n, const char *start, const char *end,
                        const char *type) {
        char path[128];

        if (start) {
                snprintf(path, sizeof(path), "sys/firmware/memmap/%s/start", n);
                scratch_write(s, path, start, (size_t) -1);
        }
        if (end) {
                snprintf(path, sizeof(path), "sys/firmware/memmap/%s/end", n);
                scratch_write(s, path, end, (size_t) -1);
        }
        if (type) {
                snprintf(path, sizeof(path), "sys/firmware/memmap/%s/type", n);
                scratch_write(s, path, type, (size_t) -1);
        }
}

static struct memrange_ctx *quiet_ctx(struct scratch *s) {
        struct memrange_ctx *ctx = scratch_ctx(s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        return ctx;
}

static void types_compare_case_insensitively_and_keep_raw_text(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        struct memrange_list *list = NULL;

        scratch_init(&s);
        write_entry(&s, "0", "0x0\n", "0x9fbff\n", "System RAM\n");
        write_entry(&s, "1", "0x9fc00\n", "0x9ffff\n", "reserved\n");
        write_entry(&s, "2", "0xa0000\n", "0xa0fff\n", "ACPI Tables\n");
        write_entry(&s, "3", "0xa1000\n", "0xa1fff\n", "acpi non-volatile storage\n");
        write_entry(&s, "4", "0xa2000\n", "0xa2fff\n", "Persistent Memory\n");
        write_entry(&s, "5", "0xa3000\n", "0xa3fff\n", "Persistent Memory (legacy)\n");
        write_entry(&s, "6", "0xa4000\n", "0xa4fff\n", "Soft Reserved\n");
        write_entry(&s, "7", "0xa5000\n", "0xa5fff\n", "Unusable memory\n");
        write_entry(&s, "8", "0xa6000\n", "0xa6fff\n", "Unknown E820 type\n");
        write_entry(&s, "9", "0xa7000\n", "0xa7fff\n", "SYSTEM RAM\n");
        /* Not entries: the kernel names them by decimal number only. */
        write_entry(&s, "07", "0x1\n", "0x0\n", "junk\n");
        write_entry(&s, "x1", "0x1\n", "0x0\n", "junk\n");
        scratch_write(&s, "sys/firmware/memmap/README", "junk", (size_t) -1);

        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_memmap_read(ctx, &list), 0);
        assert_int_equal(list->n, 10);
        assert_range(list, 0, 0x0, 0x9fc00, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, 1, 0x9fc00, 0xa0000, MEMRANGE_TYPE_RESERVED, 0, "reserved");
        assert_range(list, 2, 0xa0000, 0xa1000, MEMRANGE_TYPE_ACPI, 0, "ACPI Tables");
        assert_range(list, 3, 0xa1000, 0xa2000, MEMRANGE_TYPE_ACPI_NVS, 0, "acpi non-volatile storage");
        assert_range(list, 4, 0xa2000, 0xa3000, MEMRANGE_TYPE_PMEM, 0, "Persistent Memory");
        assert_range(list, 5, 0xa3000, 0xa4000, MEMRANGE_TYPE_PMEM_LEGACY, 0, "Persistent Memory (legacy)");
        assert_range(list, 6, 0xa4000, 0xa5000, MEMRANGE_TYPE_SOFT_RESERVED, 0, "Soft Reserved");
        assert_range(list, 7, 0xa5000, 0xa6000, MEMRANGE_TYPE_UNUSABLE, 0, "Unusable memory");
        assert_range(list, 8, 0xa6000, 0xa7000, MEMRANGE_TYPE_UNKNOWN, 0, "Unknown E820 type");
        assert_range(list, 9, 0xa7000, 0xa8000, MEMRANGE_TYPE_RAM, 0, "SYSTEM RAM");
        memrange_list_free(list);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* Hot-added entries are those whose N exceeds the N of some entry at a
 * higher address; gaps in N (removed entries) and overlaps are kept. */
static void out_of_order_entries_are_hot_added(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        struct memrange_list *list = NULL;

        scratch_init(&s);
        write_entry(&s, "0", "0x0\n", "0xfffff\n", "System RAM\n");
        write_entry(&s, "1", "0x200000000\n", "0x23fffffff\n", "System RAM\n");
        write_entry(&s, "3", "0x300000000\n", "0x33fffffff\n", "Reserved\n");
        write_entry(&s, "4", "0x100000000\n", "0x13fffffff\n", "System RAM\n");
        write_entry(&s, "6", "0x180000000\n", "0x1bfffffff\n", "System RAM\n");
        /* Two at the same start: neither is above the other. */
        write_entry(&s, "8", "0x400000000\n", "0x43fffffff\n", "System RAM\n");
        write_entry(&s, "9", "0x400000000\n", "0x40fffffff\n", "Reserved\n");
        /* Overlapping the first entry: kept for the reconciler to judge. */
        write_entry(&s, "10", "0x80000\n", "0x8ffff\n", "Reserved\n");

        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_memmap_read(ctx, &list), 0);
        assert_int_equal(list->n, 8);
        assert_range(list, 0, 0x0, 0x100000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, 1, 0x80000, 0x90000, MEMRANGE_TYPE_RESERVED, MEMRANGE_F_HOTPLUG, "Reserved");
        assert_range(list, 2, 0x100000000, 0x140000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_HOTPLUG, "System RAM");
        assert_range(list, 3, 0x180000000, 0x1c0000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_HOTPLUG, "System RAM");
        assert_range(list, 4, 0x200000000, 0x240000000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        assert_range(list, 5, 0x300000000, 0x340000000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, 6, 0x400000000, 0x410000000, MEMRANGE_TYPE_RESERVED, 0, "Reserved");
        assert_range(list, 7, 0x400000000, 0x440000000, MEMRANGE_TYPE_RAM, 0, "System RAM");
        memrange_list_free(list);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void vanished_entry_is_skipped(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        struct memrange_list *list = NULL;

        scratch_init(&s);
        write_entry(&s, "0", "0x0\n", "0x9fbff\n", "System RAM\n");
        /* Listed, but gone when read: what a hot-remove race looks like. */
        scratch_symlink(&s, "../../gone/7", "sys/firmware/memmap/7");

        ctx = quiet_ctx(&s);
        assert_int_equal(memrange_memmap_read(ctx, &list), 0);
        assert_int_equal(list->n, 1);
        assert_range(list, 0, 0x0, 0x9fc00, MEMRANGE_TYPE_RAM, 0, "System RAM");
        memrange_list_free(list);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* Entry 3 is written with @start/@end/@type (NULL: missing file) next to a
 * valid entry 0; the read must fail with -@err and an error that starts with
 * @prefix and contains @words. */
static void assert_rejected(const char *start, const char *end, const char *type, int err,
                            const char *prefix, const char *words) {
        struct memrange_list *sentinel = (struct memrange_list *) 0x1, *list = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;
        const char *msg;
        int r;

        scratch_init(&s);
        write_entry(&s, "0", "0x0\n", "0x9fbff\n", "System RAM\n");
        scratch_mkdir(&s, "sys/firmware/memmap/3");
        write_entry(&s, "3", start, end, type);
        ctx = quiet_ctx(&s);
        r = memrange_memmap_read(ctx, &list);
        msg = memrange_ctx_get_error(ctx) ?: "";
        if (r != -err || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, words))
                fail_msg("got %d '%s', expected %d '%s...%s'", r, msg, -err, prefix, words);
        assert_ptr_equal(list, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void malformed_addresses_are_rejected(void **state) {
        assert_rejected("100000\n", "0x3ffdffff\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/start: ", "expected 0x");
        assert_rejected("0x10zz00\n", "0x3ffdffff\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/start: ", "bad hex number '0x10zz00'");
        assert_rejected("0x100000\n", "0x\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/end: ", "bad hex number");
        assert_rejected("", "0x3ffdffff\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/start: ", "expected 0x");
        assert_rejected("0x100000\n0x200000\n", "0x3ffdffff\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/start: ", "control character 0x0a");
}

static void overflowing_ranges_are_rejected(void **state) {
        assert_rejected("0x10000000000000000\n", "0x3ffdffff\n", "System RAM\n", ERANGE,
                        "sys/firmware/memmap/3/start: ", "does not fit in 64 bits");
        assert_rejected("0xfffffffff0000000\n", "0xffffffffffffffff\n", "Reserved\n", EOVERFLOW,
                        "sys/firmware/memmap/3/end: ", "exclusive end");
        assert_rejected("0x3ffdffff\n", "0x100000\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/end: ", "end 0x100000 is below start 0x3ffdffff");
}

static void missing_or_bad_files_are_rejected(void **state) {
        assert_rejected(NULL, "0x3ffdffff\n", "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/start: ", "missing");
        assert_rejected("0x100000\n", NULL, "System RAM\n", EBADMSG,
                        "sys/firmware/memmap/3/end: ", "missing");
        assert_rejected("0x100000\n", "0x3ffdffff\n", NULL, EBADMSG,
                        "sys/firmware/memmap/3/type: ", "missing");
        assert_rejected("0x100000\n", "0x3ffdffff\n", "\n", EBADMSG,
                        "sys/firmware/memmap/3/type: ", "empty type");
}

static void binary_junk_is_rejected(void **state) {
        struct memrange_list *sentinel = (struct memrange_list *) 0x1, *list = sentinel;
        static const char junk[] = "Sys\0tem RAM\x01\n";
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        write_entry(&s, "3", "0x100000\n", "0x3ffdffff\n", NULL);
        scratch_write(&s, "sys/firmware/memmap/3/type", junk, sizeof(junk) - 1);
        ctx = quiet_ctx(&s);
        assert_int_equal(memrange_memmap_read(ctx, &list), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx),
                            "sys/firmware/memmap/3/type: control character 0x00 at byte 4");
        assert_ptr_equal(list, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void missing_or_empty_directory_is_enoent(void **state) {
        struct memrange_list *sentinel = (struct memrange_list *) 0x1, *list = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_mkdir(&s, "sys/firmware");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_memmap_read(ctx, &list), -ENOENT);
        assert_ptr_equal(list, sentinel);
        scratch_mkdir(&s, "sys/firmware/memmap/not-a-number");
        assert_int_equal(memrange_memmap_read(ctx, &list), -ENOENT);
        assert_ptr_equal(list, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(dimm_hotplug_entry_7_is_hot_added),
                cmocka_unit_test(dimm_boot_has_no_hot_added_entry),
                cmocka_unit_test(virtiomem_ram_is_not_in_the_firmware_map),
                cmocka_unit_test(microvm_map_has_high_ram_from_boot),
                cmocka_unit_test(every_fixture_matches_its_summary),
                cmocka_unit_test(types_compare_case_insensitively_and_keep_raw_text),
                cmocka_unit_test(out_of_order_entries_are_hot_added),
                cmocka_unit_test(vanished_entry_is_skipped),
                cmocka_unit_test(malformed_addresses_are_rejected),
                cmocka_unit_test(overflowing_ranges_are_rejected),
                cmocka_unit_test(missing_or_bad_files_are_rejected),
                cmocka_unit_test(binary_junk_is_rejected),
                cmocka_unit_test(missing_or_empty_directory_is_enoent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

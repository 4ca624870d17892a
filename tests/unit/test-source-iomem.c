/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/iomem reader: real fixture layouts and malformed files. */
#include <string.h>

#include "test-util.h"

static struct memrange_iomem *read_fixture(const char *fixture) {
        struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_iomem *iomem = NULL;

        assert_int_equal(memrange_iomem_read(ctx, &iomem), 0);
        assert_non_null(iomem);
        memrange_ctx_unref(ctx);
        return iomem;
}

/* Index of the entry named @name starting at @start; fails when absent. */
static size_t find_entry(const struct memrange_iomem *iomem, const char *name, uint64_t start) {
        for (size_t i = 0; i < iomem->n; i++)
                if (iomem->entries[i].range.start == start && strcmp(iomem->entries[i].name, name) == 0)
                        return i;
        fail_msg("no iomem entry '%s' at 0x%llx", name, (unsigned long long) start);
        return 0;
}

static void assert_entry(const struct memrange_iomem *iomem, size_t i, uint64_t start, uint64_t end,
                         uint32_t type, uint32_t flags, unsigned depth, ssize_t parent) {
        const struct memrange_iomem_entry *e = &iomem->entries[i];

        assert_true(i < iomem->n);
        assert_int_equal(e->range.start, start);
        assert_int_equal(e->range.end, end);
        assert_int_equal(e->range.type, type);
        assert_int_equal(e->range.flags, flags);
        assert_int_equal(e->range.nid, MEMRANGE_NID_NONE);
        assert_int_equal(e->range.sources, MEMRANGE_SRC_IOMEM);
        assert_int_equal(e->depth, depth);
        assert_int_equal(e->parent, parent);
}

static unsigned count_type(const struct memrange_iomem *iomem, uint32_t type, uint64_t *ret_bytes) {
        unsigned n = 0;
        uint64_t bytes = 0;

        for (size_t i = 0; i < iomem->n; i++)
                if (iomem->entries[i].range.type == type) {
                        n++;
                        bytes += iomem->entries[i].range.end - iomem->entries[i].range.start;
                }
        if (ret_bytes)
                *ret_bytes = bytes;
        return n;
}

static void dimm_hotplug_keeps_crash_kernel_nested_in_boot_ram(void **state) {
        struct memrange_iomem *iomem = read_fixture("x86_64-6.1-dimm/hotplug");
        size_t low, ram, crash, rom, dimm;

        assert_int_equal(iomem->n, 29);
        assert_entry(iomem, 0, 0x0, 0x1000, MEMRANGE_TYPE_RESERVED, 0, 0, -1);
        assert_string_equal(iomem->entries[0].name, "Reserved");

        low = find_entry(iomem, "System RAM", 0x1000);
        assert_int_equal(low, 1);
        assert_entry(iomem, low, 0x1000, 0x9fc00, MEMRANGE_TYPE_RAM, 0, 0, -1);

        rom = find_entry(iomem, "System ROM", 0xf0000);
        assert_entry(iomem, rom, 0xf0000, 0x100000, MEMRANGE_TYPE_UNKNOWN, 0, 1, 7);
        assert_string_equal(iomem->entries[7].name, "Reserved");

        ram = find_entry(iomem, "System RAM", 0x100000);
        assert_int_equal(ram, 9);
        assert_entry(iomem, ram, 0x100000, 0x3ffe0000, MEMRANGE_TYPE_RAM, 0, 0, -1);
        crash = find_entry(iomem, "Crash kernel", 0x1e000000);
        assert_int_equal(crash, 10);
        assert_entry(iomem, crash, 0x1e000000, 0x2e000000, MEMRANGE_TYPE_CRASHKERNEL, 0, 1,
                     (ssize_t) ram);
        assert_entry(iomem, 11, 0x2e000000, 0x2ee01d32, MEMRANGE_TYPE_KERNEL, 0, 1, (ssize_t) ram);
        assert_entry(iomem, 14, 0x30310000, 0x31400000, MEMRANGE_TYPE_KERNEL, 0, 1, (ssize_t) ram);
        assert_string_equal(iomem->entries[14].name, "Kernel bss");

        /* HPET's child has exactly its parent's range. */
        assert_entry(iomem, find_entry(iomem, "PNP0103:00", 0xfed00000), 0xfed00000, 0xfed00400,
                     MEMRANGE_TYPE_UNKNOWN, 0, 1, (ssize_t) find_entry(iomem, "HPET 0", 0xfed00000));

        dimm = find_entry(iomem, "System RAM", 0x100000000);
        assert_int_equal(dimm, 26);
        assert_entry(iomem, dimm, 0x100000000, 0x140000000, MEMRANGE_TYPE_RAM, 0, 0, -1);
        assert_entry(iomem, 28, 0xfd00000000, 0x10000000000, MEMRANGE_TYPE_RESERVED, 0, 0, -1);
        memrange_iomem_free(iomem);
}

static void dimm_boot_lacks_hot_added_ram(void **state) {
        struct memrange_iomem *iomem = read_fixture("x86_64-6.1-dimm/boot");
        uint64_t bytes;

        assert_int_equal(iomem->n, 28);
        assert_int_equal(count_type(iomem, MEMRANGE_TYPE_RAM, &bytes), 2);
        assert_int_equal(bytes, 0x3ff7ec00);
        for (size_t i = 0; i < iomem->n; i++)
                assert_false(iomem->entries[i].range.start == 0x100000000);
        memrange_iomem_free(iomem);
}

/* Offlining memory33 does not touch /proc/iomem. */
static void dimm_offline_iomem_equals_hotplug(void **state) {
        struct memrange_iomem *a = read_fixture("x86_64-6.1-dimm/hotplug");
        struct memrange_iomem *b = read_fixture("x86_64-6.1-dimm/offline");

        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                assert_memory_equal(&a->entries[i].range, &b->entries[i].range, sizeof(struct memrange));
                assert_string_equal(a->entries[i].name, b->entries[i].name);
                assert_int_equal(a->entries[i].depth, b->entries[i].depth);
                assert_int_equal(a->entries[i].parent, b->entries[i].parent);
        }
        memrange_iomem_free(a);
        memrange_iomem_free(b);
}

static void virtiomem_ram_is_driver_managed_under_virtio0(void **state) {
        struct memrange_iomem *iomem = read_fixture("x86_64-6.12-virtiomem/hotplug");
        size_t dev, ram, pci, modern;

        assert_int_equal(iomem->n, 31);
        dev = find_entry(iomem, "virtio0", 0x100000000);
        assert_entry(iomem, dev, 0x100000000, 0x180000000, MEMRANGE_TYPE_UNKNOWN, 0, 0, -1);
        ram = find_entry(iomem, "System RAM (virtio_mem)", 0x100000000);
        assert_int_equal(ram, dev + 1);
        assert_entry(iomem, ram, 0x100000000, 0x140000000, MEMRANGE_TYPE_RAM,
                     MEMRANGE_F_DRIVER_MANAGED, 1, (ssize_t) dev);
        /* Only that one line is driver-managed. */
        for (size_t i = 0; i < iomem->n; i++)
                if (i != ram)
                        assert_int_equal(iomem->entries[i].range.flags, 0);

        /* Three levels: PCI Bus > 0000:00:04.0 > virtio-pci-modern. */
        pci = find_entry(iomem, "PCI Bus 0000:00", 0x40000000);
        modern = find_entry(iomem, "virtio-pci-modern", 0xfe000000);
        assert_entry(iomem, modern, 0xfe000000, 0xfe004000, MEMRANGE_TYPE_UNKNOWN, 0, 2,
                     (ssize_t) find_entry(iomem, "0000:00:04.0", 0xfe000000));
        assert_int_equal(iomem->entries[modern - 1].parent, (ssize_t) pci);
        assert_entry(iomem, find_entry(iomem, "0000:00:03.0", 0xfeb80000), 0xfeb80000, 0xfebc0000,
                     MEMRANGE_TYPE_UNKNOWN, 0, 1, (ssize_t) pci);
        assert_entry(iomem, find_entry(iomem, "Crash kernel", 0x25000000), 0x25000000, 0x35000000,
                     MEMRANGE_TYPE_CRASHKERNEL, 0, 1, 9);
        memrange_iomem_free(iomem);
}

static void virtiomem_boot_has_half_the_device_plugged(void **state) {
        struct memrange_iomem *iomem = read_fixture("x86_64-6.12-virtiomem/boot");
        size_t ram = find_entry(iomem, "System RAM (virtio_mem)", 0x100000000);

        assert_entry(iomem, ram, 0x100000000, 0x120000000, MEMRANGE_TYPE_RAM,
                     MEMRANGE_F_DRIVER_MANAGED, 1, (ssize_t) find_entry(iomem, "virtio0", 0x100000000));
        memrange_iomem_free(iomem);
}

static void arm64_nested_lowercase_reserved_are_reserved(void **state) {
        struct memrange_iomem *iomem = read_fixture("arm64-6.12-virt/boot");
        size_t ram = find_entry(iomem, "System RAM", 0x40000000);
        unsigned nested_reserved = 0;

        assert_int_equal(iomem->n, 29);
        assert_entry(iomem, ram, 0x40000000, 0xc0000000, MEMRANGE_TYPE_RAM, 0, 0, -1);
        for (size_t i = 0; i < iomem->n; i++)
                if (strcmp(iomem->entries[i].name, "reserved") == 0) {
                        assert_int_equal(iomem->entries[i].range.type, MEMRANGE_TYPE_RESERVED);
                        assert_int_equal(iomem->entries[i].depth, 1);
                        assert_int_equal(iomem->entries[i].parent, (ssize_t) ram);
                        nested_reserved++;
                }
        assert_int_equal(nested_reserved, 12);
        assert_entry(iomem, find_entry(iomem, "reserved", 0xbfc0b000), 0xbfc0b000, 0xc0000000,
                     MEMRANGE_TYPE_RESERVED, 0, 1, (ssize_t) ram);
        assert_entry(iomem, find_entry(iomem, "Crash kernel", 0xa9a00000), 0xa9a00000, 0xb9a00000,
                     MEMRANGE_TYPE_CRASHKERNEL, 0, 1, (ssize_t) ram);
        assert_entry(iomem, find_entry(iomem, "pcie@10000000", 0x8000000000), 0x8000000000,
                     0x10000000000, MEMRANGE_TYPE_UNKNOWN, 0, 0, -1);
        assert_int_equal(iomem->entries[iomem->n - 1].depth, 2);
        memrange_iomem_free(iomem);
}

static void ppc64le_hotplug_adds_four_ram_lines(void **state) {
        struct memrange_iomem *boot = read_fixture("ppc64le-6.1-pseries/boot");
        struct memrange_iomem *hot = read_fixture("ppc64le-6.1-pseries/hotplug");
        uint64_t bytes;

        assert_int_equal(boot->n, 7);
        assert_int_equal(count_type(boot, MEMRANGE_TYPE_RAM, &bytes), 1);
        assert_int_equal(bytes, 0x80000000);
        assert_entry(boot, 1, 0x200080000000, 0x200100000000, MEMRANGE_TYPE_UNKNOWN, 0, 0, -1);
        assert_entry(boot, 2, 0x200080000000, 0x200081000000, MEMRANGE_TYPE_UNKNOWN, 0, 1, 1);

        assert_int_equal(hot->n, 11);
        assert_int_equal(count_type(hot, MEMRANGE_TYPE_RAM, &bytes), 5);
        assert_int_equal(bytes, 0xc0000000);
        for (size_t i = 1; i <= 4; i++)
                assert_entry(hot, i, 0x80000000 + (i - 1) * 0x10000000, 0x90000000 + (i - 1) * 0x10000000,
                             MEMRANGE_TYPE_RAM, 0, 0, -1);
        memrange_iomem_free(boot);
        memrange_iomem_free(hot);
}

static void microvm_reads_three_levels(void **state) {
        struct memrange_iomem *iomem = read_fixture("x86_64-6.18-microvm/boot");
        uint64_t bytes;
        size_t ecam;

        assert_int_equal(iomem->n, 27);
        assert_int_equal(count_type(iomem, MEMRANGE_TYPE_RAM, &bytes), 3);
        assert_int_equal(bytes, 0x5fff9ec00);
        assert_int_equal(count_type(iomem, MEMRANGE_TYPE_CRASHKERNEL, NULL), 0);
        assert_entry(iomem, find_entry(iomem, "System RAM", 0x100000000), 0x100000000, 0x640000000,
                     MEMRANGE_TYPE_RAM, 0, 0, -1);
        ecam = find_entry(iomem, "PCI ECAM 0000 [bus 00-00]", 0xeec00000);
        assert_entry(iomem, ecam, 0xeec00000, 0xeed00000, MEMRANGE_TYPE_UNKNOWN, 0, 1,
                     (ssize_t) find_entry(iomem, "Reserved", 0xeec00000));
        assert_entry(iomem, ecam + 1, 0xeec00000, 0xeed00000, MEMRANGE_TYPE_UNKNOWN, 0, 2, (ssize_t) ecam);
        memrange_iomem_free(iomem);
}

/* Per fixture: entries, RAM lines and bytes (driver-managed included), and
 * the crash reservation (0/0 when none), computed by hand from the files. */
static const struct {
        const char *fixture;
        size_t n;
        unsigned n_top, n_ram, n_driver_managed;
        uint64_t ram_bytes, crash_start, crash_end;
} iomem_summaries[] = {
        { "x86_64-6.1-dimm/boot", 28, 17, 2, 0, 0x3ff7ec00, 0x1e000000, 0x2e000000 },
        { "x86_64-6.1-dimm/hotplug", 29, 18, 3, 0, 0x7ff7ec00, 0x1e000000, 0x2e000000 },
        { "x86_64-6.1-dimm/offline", 29, 18, 3, 0, 0x7ff7ec00, 0x1e000000, 0x2e000000 },
        { "x86_64-6.12-virtiomem/boot", 31, 17, 3, 1, 0x5ff7ec00, 0x25000000, 0x35000000 },
        { "x86_64-6.12-virtiomem/hotplug", 31, 17, 3, 1, 0x7ff7ec00, 0x25000000, 0x35000000 },
        { "arm64-6.12-virt/boot", 29, 7, 1, 0, 0x80000000, 0xa9a00000, 0xb9a00000 },
        { "ppc64le-6.1-pseries/boot", 7, 3, 1, 0, 0x80000000, 0, 0 },
        { "ppc64le-6.1-pseries/hotplug", 11, 7, 5, 0, 0xc0000000, 0, 0 },
        { "x86_64-6.18-microvm/boot", 27, 9, 3, 0, 0x5fff9ec00, 0, 0 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 29, 18, 3, 0, 0x7ff7ec00, 0x29000000, 0x39000000 },
        { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 29, 18, 3, 0, 0x7ff7ec00, 0x2f000000, 0x3f000000 },
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 28, 17, 3, 0, 0x7ff7ec00, 0x26000000, 0x36000000 },
};

static void every_fixture_matches_its_summary(void **state) {
        size_t n_fixtures = 0;

        while (all_fixtures[n_fixtures])
                n_fixtures++;
        assert_int_equal(n_fixtures, ELEMENTSOF(iomem_summaries));

        for (size_t f = 0; f < ELEMENTSOF(iomem_summaries); f++) {
                struct memrange_iomem *iomem;
                unsigned n_top = 0, n_dm = 0, n_crash;
                uint64_t ram_bytes, crash_bytes;

                assert_string_equal(all_fixtures[f], iomem_summaries[f].fixture);
                iomem = read_fixture(all_fixtures[f]);
                assert_int_equal(iomem->n, iomem_summaries[f].n);
                for (size_t i = 0; i < iomem->n; i++) {
                        const struct memrange_iomem_entry *e = &iomem->entries[i];
                        if (e->depth == 0)
                                n_top++;
                        if (e->range.flags & MEMRANGE_F_DRIVER_MANAGED)
                                n_dm++;
                        /* The tree: a child lies inside its parent, one level down. */
                        if (e->parent >= 0) {
                                const struct memrange_iomem_entry *p = &iomem->entries[e->parent];
                                assert_true((size_t) e->parent < i);
                                assert_int_equal(p->depth + 1, e->depth);
                                assert_true(p->range.start <= e->range.start);
                                assert_true(e->range.end <= p->range.end);
                        } else
                                assert_int_equal(e->depth, 0);
                }
                assert_int_equal(n_top, iomem_summaries[f].n_top);
                assert_int_equal(n_dm, iomem_summaries[f].n_driver_managed);
                assert_int_equal(count_type(iomem, MEMRANGE_TYPE_RAM, &ram_bytes), iomem_summaries[f].n_ram);
                assert_int_equal(ram_bytes, iomem_summaries[f].ram_bytes);
                n_crash = count_type(iomem, MEMRANGE_TYPE_CRASHKERNEL, &crash_bytes);
                if (iomem_summaries[f].crash_end == 0)
                        assert_int_equal(n_crash, 0);
                else {
                        size_t c = find_entry(iomem, "Crash kernel", iomem_summaries[f].crash_start);
                        assert_int_equal(n_crash, 1);
                        assert_int_equal(iomem->entries[c].range.end, iomem_summaries[f].crash_end);
                        assert_int_equal(iomem->entries[c].depth, 1);
                        assert_int_equal(iomem->entries[iomem->entries[c].parent].range.type,
                                         MEMRANGE_TYPE_RAM);
                }
                memrange_iomem_free(iomem);
        }
}

static void names_classify_to_types(void **state) {
        static const struct {
                const char *name;
                uint32_t type, flags;
        } cases[] = {
                { "System RAM", MEMRANGE_TYPE_RAM, 0 },
                { "System RAM (kmem)", MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED },
                { "System RAM (virtio_mem)", MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED },
                { "System RAM ()", MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED },
                { "System RAM (", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "System RAMS", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "Crash kernel", MEMRANGE_TYPE_CRASHKERNEL, 0 },
                { "Kernel code", MEMRANGE_TYPE_KERNEL, 0 },
                { "Kernel rodata", MEMRANGE_TYPE_KERNEL, 0 },
                { "Kernel data", MEMRANGE_TYPE_KERNEL, 0 },
                { "Kernel bss", MEMRANGE_TYPE_KERNEL, 0 },
                { "Reserved", MEMRANGE_TYPE_RESERVED, 0 },
                { "reserved", MEMRANGE_TYPE_RESERVED, 0 },
                { "RESERVED", MEMRANGE_TYPE_RESERVED, 0 },
                { "ACPI Tables", MEMRANGE_TYPE_ACPI, 0 },
                { "ACPI Non-volatile Storage", MEMRANGE_TYPE_ACPI_NVS, 0 },
                { "Persistent Memory", MEMRANGE_TYPE_PMEM, 0 },
                { "Persistent Memory (legacy)", MEMRANGE_TYPE_PMEM_LEGACY, 0 },
                { "Soft Reserved", MEMRANGE_TYPE_SOFT_RESERVED, 0 },
                { "Unusable memory", MEMRANGE_TYPE_UNUSABLE, 0 },
                { "Unknown E820 type", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "RAM buffer", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "PCI Bus 0000:00", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "Video ROM", MEMRANGE_TYPE_UNKNOWN, 0 },
                { "dax0.0", MEMRANGE_TYPE_UNKNOWN, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t flags = 0xdead;
                assert_int_equal(mr_kernel_name_to_type(cases[i].name, &flags), cases[i].type);
                assert_int_equal(flags, cases[i].flags);
        }
}

/* The same names as they come out of a file, with kmem RAM under dax. */
static void scratch_file_classifies_every_memory_name(void **state) {
        static const char text[] =
                "00000000-00000fff : Reserved\n"
                "00001000-0009ffff : System RAM\n"
                "00100000-7fffffff : System RAM\n"
                "  01000000-01ffffff : Kernel code\n"
                "80000000-800fffff : ACPI Tables\n"
                "80100000-801fffff : ACPI Non-volatile Storage\n"
                "80200000-802fffff : Unusable memory\n"
                "100000000-13fffffff : Persistent Memory\n"
                "  100000000-13fffffff : namespace0.0\n"
                "140000000-17fffffff : Persistent Memory (legacy)\n"
                "180000000-1bfffffff : Soft Reserved\n"
                "  180000000-1bfffffff : dax0.0\n"
                "    180000000-1bfffffff : System RAM (kmem)\n";
        struct scratch s;
        struct memrange_ctx *ctx;
        struct memrange_iomem *iomem = NULL;

        scratch_init(&s);
        scratch_write(&s, "proc/iomem", text, (size_t) -1);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_iomem_read(ctx, &iomem), 0);
        assert_int_equal(iomem->n, 13);
        assert_entry(iomem, 3, 0x1000000, 0x2000000, MEMRANGE_TYPE_KERNEL, 0, 1, 2);
        assert_entry(iomem, 4, 0x80000000, 0x80100000, MEMRANGE_TYPE_ACPI, 0, 0, -1);
        assert_entry(iomem, 5, 0x80100000, 0x80200000, MEMRANGE_TYPE_ACPI_NVS, 0, 0, -1);
        assert_entry(iomem, 6, 0x80200000, 0x80300000, MEMRANGE_TYPE_UNUSABLE, 0, 0, -1);
        assert_entry(iomem, 7, 0x100000000, 0x140000000, MEMRANGE_TYPE_PMEM, 0, 0, -1);
        assert_entry(iomem, 8, 0x100000000, 0x140000000, MEMRANGE_TYPE_UNKNOWN, 0, 1, 7);
        assert_entry(iomem, 9, 0x140000000, 0x180000000, MEMRANGE_TYPE_PMEM_LEGACY, 0, 0, -1);
        assert_entry(iomem, 10, 0x180000000, 0x1c0000000, MEMRANGE_TYPE_SOFT_RESERVED, 0, 0, -1);
        assert_entry(iomem, 12, 0x180000000, 0x1c0000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED, 2, 11);
        memrange_iomem_free(iomem);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* Reads @len bytes of @text as proc/iomem; returns the result code and
 * leaves the error message in @msg. */
static int read_text(const char *text, size_t len, struct memrange_iomem **ret, char *msg, size_t msgsize) {
        struct scratch s;
        struct memrange_ctx *ctx;
        int r;

        scratch_init(&s);
        scratch_write(&s, "proc/iomem", text, len);
        ctx = scratch_ctx(&s);
        /* The tests expect errors: keep their logs quiet. */
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        r = memrange_iomem_read(ctx, ret);
        snprintf(msg, msgsize, "%s", memrange_ctx_get_error(ctx) ?: "");
        memrange_ctx_unref(ctx);
        scratch_free(&s);
        return r;
}

/* The read fails with -@err, leaves the output untouched, and the error
 * message starts with @prefix ("proc/iomem:3: ") and contains @words. */
static void assert_rejected(const char *text, size_t len, int err, const char *prefix, const char *words) {
        struct memrange_iomem *sentinel = (struct memrange_iomem *) 0x1, *iomem = sentinel;
        char msg[512];
        int r;

        r = read_text(text, len, &iomem, msg, sizeof(msg));
        if (r != -err || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, words))
                fail_msg("got %d '%s', expected %d '%s...%s'", r, msg, -err, prefix, words);
        assert_ptr_equal(iomem, sentinel);
}

#define REJECT(text, err, prefix, words) assert_rejected(text, sizeof(text) - 1, err, prefix, words)

static void truncated_lines_are_rejected(void **state) {
        REJECT("00000000-00000fff : Reserved\n00100000-3ffd\n", EBADMSG, "proc/iomem:2: ",
               "fewer than 8 hex digits");
        REJECT("00000000-00000fff : Reserved\n00100000-\n", EBADMSG, "proc/iomem:2: ",
               "expected a hex end address");
        REJECT("00000000-00000fff : Reserved\n00100000-3ffdffff\n", EBADMSG, "proc/iomem:2: ",
               "expected ' : '");
        REJECT("00000000-00000fff : Reserved\n00100000-3ffdffff : \n", EBADMSG, "proc/iomem:2: ",
               "empty resource name");
        /* Cut in the middle of a name: only the missing newline shows it. */
        REJECT("00000000-00000fff : Reserved\n00100000-3ffdffff : System R", EBADMSG,
               "proc/iomem:2: ", "not terminated by a newline");
}

static void garbage_hex_is_rejected(void **state) {
        REJECT("0010zz00-3ffdffff : System RAM\n", EBADMSG, "proc/iomem:1: ", "fewer than 8 hex digits");
        REJECT("00000000-00000fff : Reserved\n0x100000-3ffdffff : System RAM\n", EBADMSG,
               "proc/iomem:2: ", "fewer than 8 hex digits");
        REJECT("00000000-00000fff : Reserved\nqwertyui-3ffdffff : System RAM\n", EBADMSG,
               "proc/iomem:2: ", "expected a hex start address");
        REJECT("00100000-03ffdfffg : System RAM\n", EBADMSG, "proc/iomem:1: ", "expected ' : '");
        REJECT("00100000+3ffdffff : System RAM\n", EBADMSG, "proc/iomem:1: ", "expected '-'");
        REJECT("-00100000-3ffdffff : System RAM\n", EBADMSG, "proc/iomem:1: ", "expected a hex start");
}

static void missing_separator_is_rejected(void **state) {
        REJECT("00001000-0009fbff System RAM\n", EBADMSG, "proc/iomem:1: ", "expected ' : '");
        REJECT("00001000-0009fbff: System RAM\n", EBADMSG, "proc/iomem:1: ", "expected ' : '");
        REJECT("00001000-0009fbff :System RAM\n", EBADMSG, "proc/iomem:1: ", "expected ' : '");
}

static void overflowing_ranges_are_rejected(void **state) {
        REJECT("00000000-00000fff : Reserved\n100000000000000000-100000000000000fff : x\n", ERANGE,
               "proc/iomem:2: ", "more than 16 hex digits");
        REJECT("00000000-00000fff : Reserved\n00000000-00000000000000fff : x\n", ERANGE,
               "proc/iomem:2: ", "end address");
        REJECT("00000000-00000fff : Reserved\nfffffffff0000000-ffffffffffffffff : PCI Bus\n", EOVERFLOW,
               "proc/iomem:2: ", "exclusive end");
}

static void sixteen_digit_addresses_are_read(void **state) {
        static const char text[] = "00000000-00000fff : Reserved\n"
                                   "fffffffff0000000-fffffffffffffffe : PCI Bus\n"
                                   "  fffffffff0000000-fffffffff0000fff : dev\n";
        struct memrange_iomem *iomem = NULL;
        char msg[512];

        assert_int_equal(read_text(text, sizeof(text) - 1, &iomem, msg, sizeof(msg)), 0);
        assert_int_equal(iomem->n, 3);
        assert_entry(iomem, 1, 0xfffffffff0000000, UINT64_MAX, MEMRANGE_TYPE_UNKNOWN, 0, 0, -1);
        assert_entry(iomem, 2, 0xfffffffff0000000, 0xfffffffff0001000, MEMRANGE_TYPE_UNKNOWN, 0, 1, 1);
        memrange_iomem_free(iomem);
}

static void start_above_end_is_rejected(void **state) {
        REJECT("00000000-00000fff : Reserved\n3ffdffff-00100000 : System RAM\n", EBADMSG,
               "proc/iomem:2: ", "start 0x3ffdffff is above end 0x100000");
}

static void bad_indentation_is_rejected(void **state) {
        REJECT("00100000-3ffdffff : System RAM\n   1e000000-2dffffff : Crash kernel\n", EBADMSG,
               "proc/iomem:2: ", "not a multiple of two");
        REJECT("00100000-3ffdffff : System RAM\n    1e000000-2dffffff : Crash kernel\n", EBADMSG,
               "proc/iomem:2: ", "nested 2 levels deep below an entry at level 0");
        REJECT("  00100000-3ffdffff : System RAM\n", EBADMSG, "proc/iomem:1: ", "first entry is indented");
        REJECT("00100000-3ffdffff : System RAM\n\t1e000000-2dffffff : Crash kernel\n", EBADMSG,
               "proc/iomem:2: ", "control character 0x09");
        /* A child must lie inside its parent. */
        REJECT("00000000-00000fff : Reserved\n00100000-3ffdffff : System RAM\n"
               "  1e000000-2dffffff : Crash kernel\n  3e000000-4dffffff : Crash kernel\n",
               EBADMSG, "proc/iomem:4: ", "outside its parent 'System RAM'");
        REJECT("00100000-3ffdffff : System RAM\n  000f0000-2dffffff : Crash kernel\n",
               EBADMSG, "proc/iomem:2: ", "outside its parent");
        /* Going back up picks the right ancestor: d is checked against c, not a. */
        REJECT("00100000-3ffdffff : System RAM\n  20000000-2fffffff : a\n    20000000-20000fff : b\n"
               "  1e000000-1effffff : c\n    40000000-40000fff : d\n",
               EBADMSG, "proc/iomem:5: ", "outside its parent 'c'");
}

static void binary_junk_is_rejected(void **state) {
        REJECT("00000000-00000fff : Reserved\n00001000-0009fbff : Sys\0tem RAM\n", EBADMSG,
               "proc/iomem:2: ", "NUL byte");
        REJECT("\0\0\0\0\0\0\0\0\0\0\0\0\n", EBADMSG, "proc/iomem:1: ", "NUL byte");
        REJECT("00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\x01\x7f\n", EBADMSG,
               "proc/iomem:2: ", "control character 0x01 at column 31");
        REJECT("\x7f" "ELF\x02\x01\x01\n", EBADMSG, "proc/iomem:1: ", "control character 0x7f");
}

static void empty_files_are_rejected(void **state) {
        REJECT("", EBADMSG, "proc/iomem: ", "no entries");
        REJECT("\n", EBADMSG, "proc/iomem: ", "no entries");
        REJECT("00000000-00000fff : Reserved\n\n00001000-0009fbff : System RAM\n", EBADMSG,
               "proc/iomem:2: ", "empty line");
        REJECT("\n\n", EBADMSG, "proc/iomem:1: ", "empty line");
}

static void one_trailing_empty_line_is_ignored(void **state) {
        static const char text[] = "00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\n\n";
        struct memrange_iomem *iomem = NULL;
        char msg[512];

        assert_int_equal(read_text(text, sizeof(text) - 1, &iomem, msg, sizeof(msg)), 0);
        assert_int_equal(iomem->n, 2);
        assert_entry(iomem, 1, 0x1000, 0x9fc00, MEMRANGE_TYPE_RAM, 0, 0, -1);
        memrange_iomem_free(iomem);
}

static void all_zero_addresses_mean_no_privilege(void **state) {
        REJECT("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
               "  00000000-00000000 : Crash kernel\n00000000-00000000 : PCI Bus 0000:00\n",
               EACCES, "proc/iomem: all addresses read as zero (the reader lacked CAP_SYS_ADMIN)", "");
}

/* One real address among zeros is a real (if odd) layout, not hiding. */
static void one_nonzero_address_is_not_hiding(void **state) {
        static const char text[] = "00000000-00000000 : Reserved\n00000000-00000fff : System RAM\n";
        struct memrange_iomem *iomem = NULL;
        char msg[512];

        assert_int_equal(read_text(text, sizeof(text) - 1, &iomem, msg, sizeof(msg)), 0);
        assert_int_equal(iomem->n, 2);
        assert_entry(iomem, 0, 0, 1, MEMRANGE_TYPE_RESERVED, 0, 0, -1);
        memrange_iomem_free(iomem);
}

static void missing_file_is_enoent(void **state) {
        struct memrange_iomem *sentinel = (struct memrange_iomem *) 0x1, *iomem = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_mkdir(&s, "proc");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_iomem_read(ctx, &iomem), -ENOENT);
        assert_ptr_equal(iomem, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void oversized_file_is_rejected(void **state) {
        static const char line[] = "00000000-00000fff : Reserved...\n";
        size_t line_len = sizeof(line) - 1, lines = (16u * 1024 * 1024) / line_len + 2;
        char *text = malloc(lines * line_len);

        assert_non_null(text);
        for (size_t i = 0; i < lines; i++)
                memcpy(text + i * line_len, line, line_len);
        assert_rejected(text, lines * line_len, EFBIG, "proc/iomem: ", "larger than");
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(dimm_hotplug_keeps_crash_kernel_nested_in_boot_ram),
                cmocka_unit_test(dimm_boot_lacks_hot_added_ram),
                cmocka_unit_test(dimm_offline_iomem_equals_hotplug),
                cmocka_unit_test(virtiomem_ram_is_driver_managed_under_virtio0),
                cmocka_unit_test(virtiomem_boot_has_half_the_device_plugged),
                cmocka_unit_test(arm64_nested_lowercase_reserved_are_reserved),
                cmocka_unit_test(ppc64le_hotplug_adds_four_ram_lines),
                cmocka_unit_test(microvm_reads_three_levels),
                cmocka_unit_test(every_fixture_matches_its_summary),
                cmocka_unit_test(names_classify_to_types),
                cmocka_unit_test(scratch_file_classifies_every_memory_name),
                cmocka_unit_test(truncated_lines_are_rejected),
                cmocka_unit_test(garbage_hex_is_rejected),
                cmocka_unit_test(missing_separator_is_rejected),
                cmocka_unit_test(overflowing_ranges_are_rejected),
                cmocka_unit_test(sixteen_digit_addresses_are_read),
                cmocka_unit_test(start_above_end_is_rejected),
                cmocka_unit_test(bad_indentation_is_rejected),
                cmocka_unit_test(binary_junk_is_rejected),
                cmocka_unit_test(empty_files_are_rejected),
                cmocka_unit_test(one_trailing_empty_line_is_ignored),
                cmocka_unit_test(all_zero_addresses_mean_no_privilege),
                cmocka_unit_test(one_nonzero_address_is_not_hiding),
                cmocka_unit_test(missing_file_is_enoent),
                cmocka_unit_test(oversized_file_is_rejected),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

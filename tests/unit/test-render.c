/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/iomem rendering of a table: what kexec-tools reads from it must
 * be what it reads from the real file (RAM lines, Crash kernel, Kernel
 * code) so that the dump ranges are the same. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash-check.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static char *render(const struct machine *m, bool with_iomem) {
        char *text = NULL;
        size_t len = 0;

        assert_int_equal(memrange_render_iomem(m->table, with_iomem ? m->sources->iomem : NULL, &text, &len), 0);
        assert_int_equal(strlen(text), len);
        return text;
}

/* A machine whose only source is @text as proc/iomem. */
static void load_rendered(struct machine *m, struct scratch *s, const char *text) {
        scratch_init(s);
        scratch_write(s, "proc/iomem", text, (size_t) -1);
        machine_load_ctx(m, scratch_ctx(s));
}

/* The entries kexec-tools uses: RAM at any depth, Crash kernel and the
 * kernel image, as "start-end name" strings in file order. */
static size_t kexec_lines(const struct memrange_iomem *io, char lines[][96], size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < io->n; i++) {
                const struct memrange_iomem_entry *e = &io->entries[i];

                if (e->range.type != MEMRANGE_TYPE_RAM && e->range.type != MEMRANGE_TYPE_CRASHKERNEL &&
                    e->range.type != MEMRANGE_TYPE_KERNEL)
                        continue;
                assert_true(n < max);
                snprintf(lines[n++], 96, "%" PRIx64 "-%" PRIx64 " %s", e->range.start, e->range.end - 1, e->name);
        }
        return n;
}

static bool is_x86(const char *fixture) {
        return strncmp(fixture, "x86_64", 6) == 0 || strncmp(fixture, "kdump-cases/x86_64", 18) == 0;
}

/* Every x86 fixture: the rendering read back has the same RAM, Crash
 * kernel and Kernel lines as the real file, the top-level System RAM
 * lines at the top level, and gives the same dump ranges. */
static void rendered_x86_iomem_gives_kexec_tools_the_same_lines_and_ranges(void **state) {
        static const enum memrange_dump_policy x86_policies[] = { MEMRANGE_DUMP_KEXEC_TOOLS_X86, MEMRANGE_DUMP_KERNEL };

        for (size_t f = 0; all_fixtures[f]; f++) {
                static char want[64][96], got[64][96];
                struct machine real = {}, back = {};
                struct scratch s;
                size_t n_want, n_got;
                char *text;

                if (!is_x86(all_fixtures[f]))
                        continue;
                machine_load(&real, all_fixtures[f]);
                text = render(&real, true);
                load_rendered(&back, &s, text);

                n_want = kexec_lines(real.sources->iomem, want, ELEMENTSOF(want));
                n_got = kexec_lines(back.sources->iomem, got, ELEMENTSOF(got));
                assert_int_equal(n_got, n_want);
                for (size_t i = 0; i < n_want; i++)
                        assert_string_equal(got[i], want[i]);
                /* Plain System RAM stays at the top level. */
                for (size_t i = 0; i < real.sources->iomem->n; i++) {
                        const struct memrange_iomem_entry *e = &real.sources->iomem->entries[i];
                        bool found = false;

                        if (e->depth != 0 || strcmp(e->name, "System RAM") != 0)
                                continue;
                        for (size_t j = 0; j < back.sources->iomem->n; j++) {
                                const struct memrange_iomem_entry *b = &back.sources->iomem->entries[j];

                                found |= b->depth == 0 && b->range.start == e->range.start &&
                                         b->range.end == e->range.end && strcmp(b->name, e->name) == 0;
                        }
                        assert_true(found);
                }

                for (size_t p = 0; p < ELEMENTSOF(x86_policies); p++) {
                        struct memrange_dump_ranges *a = machine_dump(&real, x86_policies[p]);
                        struct memrange_dump_ranges *b = machine_dump(&back, x86_policies[p]);

                        assert_true(memrange_dump_ranges_equal(a, b));
                        memrange_dump_ranges_free(a);
                        memrange_dump_ranges_free(b);
                }
                free(text);
                machine_done(&back);
                machine_done(&real);
                scratch_free(&s);
        }
}

/* The exact text after the DIMM hot-add and offlining memory33: memory
 * lines only (no PCI, no ROMs); 0x100000-0x3ffdffff as one line although
 * the table splits it at the crash kernel, the hot-added DIMM as one line
 * although memory33 in the middle of it is offline. */
static void offline_dimm_renders_like_the_kernel_prints_it(void **state) {
        static const char want[] = "00000000-00000fff : Reserved\n"
                                   "00001000-0009fbff : System RAM\n"
                                   "0009fc00-0009ffff : Reserved\n"
                                   "000f0000-000fffff : Reserved\n"
                                   "00100000-3ffdffff : System RAM\n"
                                   "  1e000000-2dffffff : Crash kernel\n"
                                   "  2e000000-2ee01d31 : Kernel code\n"
                                   "  2f000000-2f8eafff : Kernel rodata\n"
                                   "  2fa00000-2fc4897f : Kernel data\n"
                                   "  30310000-313fffff : Kernel bss\n"
                                   "3ffe0000-3fffffff : Reserved\n"
                                   "fffc0000-ffffffff : Reserved\n"
                                   "100000000-13fffffff : System RAM\n"
                                   "fd00000000-ffffffffff : Reserved\n";
        struct machine m = {};
        char *text;

        machine_load(&m, "x86_64-6.1-dimm/offline");
        text = render(&m, true);
        assert_string_equal(text, want);
        free(text);
        machine_done(&m);
}

static void virtio_mem_keeps_its_driver_name(void **state) {
        struct machine m = {};
        char *text;

        machine_load(&m, "x86_64-6.12-virtiomem/hotplug");
        text = render(&m, true);
        assert_non_null(strstr(text, "\n100000000-13fffffff : System RAM (virtio_mem)\n"));
        free(text);
        /* Without iomem the driver is unknown. */
        text = render(&m, false);
        assert_non_null(strstr(text, "\n100000000-13fffffff : System RAM (driver)\n"));
        /* and no kernel image lines */
        assert_null(strstr(text, "Kernel code"));
        assert_non_null(strstr(text, "\n  25000000-34ffffff : Crash kernel\n"));
        free(text);
        machine_done(&m);
}

/* arm64: the nested memblock "reserved" lines are not memory types and are
 * not copied; Kernel code and data are (kexec-tools arm64 reads them). */
static void arm64_rendering_gives_the_same_arm64_dump(void **state) {
        static const char want[] = "40000000-bfffffff : System RAM\n"
                                   "  40200000-41efffff : Kernel code\n"
                                   "  42870000-42d2ffff : Kernel data\n"
                                   "  a9a00000-b99fffff : Crash kernel\n";
        struct machine real = {}, back = {};
        struct memrange_dump_ranges *a, *b = NULL;
        struct scratch s;
        char *text;

        machine_load(&real, "arm64-6.12-virt/boot");
        text = render(&real, true);
        assert_string_equal(text, want);
        load_rendered(&back, &s, text);
        a = machine_dump(&real, MEMRANGE_DUMP_KEXEC_TOOLS_ARM64);
        assert_int_equal(memrange_dump_ranges_compute(back.ctx, back.table, back.sources, MEMRANGE_DUMP_AUTO,
                                                      MEMRANGE_ARCH_ARM64, &b),
                         0);
        assert_int_equal(b->policy, MEMRANGE_DUMP_KEXEC_TOOLS_ARM64);
        assert_true(memrange_dump_ranges_equal(a, b));
        memrange_dump_ranges_free(a);
        memrange_dump_ranges_free(b);
        free(text);
        machine_done(&back);
        machine_done(&real);
        scratch_free(&s);
}

static void a_table_alone_renders_with_kernel_names(void **state) {
        static const struct memrange regions[] = {
                { 0x0, 0x1000, MEMRANGE_TYPE_RESERVED, 0, MEMRANGE_NID_NONE, 0 },
                { 0x1000, 0x9fc00, MEMRANGE_TYPE_RAM, 0, 0, 0 },
                { 0x100000, 0x20000000, MEMRANGE_TYPE_RAM, 0, 0, 0 },
                /* split only by flags and node: one line */
                { 0x20000000, 0x30000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_CRASHKERNEL | MEMRANGE_F_CRASH_LOW, 0, 0 },
                { 0x30000000, 0x38000000, MEMRANGE_TYPE_RAM, MEMRANGE_F_OFFLINE, 1, 0 },
                { 0x38000000, 0x3f000000, MEMRANGE_TYPE_ACPI, 0, MEMRANGE_NID_NONE, 0 },
                { 0x3f000000, 0x40000000, MEMRANGE_TYPE_ACPI_NVS, 0, MEMRANGE_NID_NONE, 0 },
                { GiB, GiB + 0x1000, MEMRANGE_TYPE_UNKNOWN, 0, MEMRANGE_NID_NONE, 0 },
                /* plain RAM, then driver-managed right after: two lines */
                { 4 * GiB, 5 * GiB, MEMRANGE_TYPE_RAM, MEMRANGE_F_HOTPLUG, 0, 0 },
                { 5 * GiB, 6 * GiB, MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED, 0, 0 },
                { 6 * GiB, 7 * GiB, MEMRANGE_TYPE_RAM, MEMRANGE_F_DRIVER_MANAGED | MEMRANGE_F_OFFLINE, 0, 0 },
                { 7 * GiB, 8 * GiB, MEMRANGE_TYPE_PMEM, 0, MEMRANGE_NID_NONE, 0 },
                { 8 * GiB, 9 * GiB, MEMRANGE_TYPE_PMEM_LEGACY, 0, MEMRANGE_NID_NONE, 0 },
                { 9 * GiB, 10 * GiB, MEMRANGE_TYPE_SOFT_RESERVED, 0, MEMRANGE_NID_NONE, 0 },
                { 10 * GiB, 11 * GiB, MEMRANGE_TYPE_UNUSABLE, 0, MEMRANGE_NID_NONE, 0 },
                /* reserved split by nomap: one line */
                { 11 * GiB, 11 * GiB + MiB, MEMRANGE_TYPE_RESERVED, MEMRANGE_F_NOMAP, MEMRANGE_NID_NONE, 0 },
                { 11 * GiB + MiB, 11 * GiB + 2 * MiB, MEMRANGE_TYPE_RESERVED, 0, MEMRANGE_NID_NONE, 0 },
        };
        static const char want[] = "00000000-00000fff : Reserved\n"
                                   "00001000-0009fbff : System RAM\n"
                                   "00100000-37ffffff : System RAM\n"
                                   "  20000000-2fffffff : Crash kernel\n"
                                   "38000000-3effffff : ACPI Tables\n"
                                   "3f000000-3fffffff : ACPI Non-volatile Storage\n"
                                   "40000000-40000fff : Unknown E820 type\n"
                                   "100000000-13fffffff : System RAM\n"
                                   "140000000-1bfffffff : System RAM (driver)\n"
                                   "1c0000000-1ffffffff : Persistent Memory\n"
                                   "200000000-23fffffff : Persistent Memory (legacy)\n"
                                   "240000000-27fffffff : Soft Reserved\n"
                                   "280000000-2bfffffff : Unusable memory\n"
                                   "2c0000000-2c01fffff : Reserved\n";
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(freep) char *text = NULL;

        assert_int_equal(memrange_table_new(&table), 0);
        for (size_t i = 0; i < ELEMENTSOF(regions); i++)
                assert_int_equal(memrange_table_add(table, &regions[i]), 0);
        assert_int_equal(memrange_render_iomem(table, NULL, &text, NULL), 0);
        assert_string_equal(text, want);
}

/* The top-level name the kernel used is kept when the range matches. */
static void kernel_spelling_of_top_level_names_is_kept(void **state) {
        static const char real[] = "00000000-00000fff : reserved\n"
                                   "00001000-3fffffff : System RAM\n"
                                   "40000000-40ffffff : ACPI Tables\n";
        struct machine m = {};
        struct scratch s;
        char *text;

        load_rendered(&m, &s, real);
        text = render(&m, true);
        assert_string_equal(text, real);
        free(text);
        text = render(&m, false);
        assert_string_equal(text, "00000000-00000fff : Reserved\n"
                                  "00001000-3fffffff : System RAM\n"
                                  "40000000-40ffffff : ACPI Tables\n");
        free(text);
        machine_done(&m);
        scratch_free(&s);
}

static void empty_table_renders_empty_text(void **state) {
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t len = 1;

        assert_int_equal(memrange_table_new(&table), 0);
        assert_int_equal(memrange_render_iomem(table, NULL, &text, &len), 0);
        assert_string_equal(text, "");
        assert_int_equal(len, 0);
        assert_int_equal(memrange_render_iomem(NULL, NULL, &text, &len), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(rendered_x86_iomem_gives_kexec_tools_the_same_lines_and_ranges),
                cmocka_unit_test(offline_dimm_renders_like_the_kernel_prints_it),
                cmocka_unit_test(virtio_mem_keeps_its_driver_name),
                cmocka_unit_test(arm64_rendering_gives_the_same_arm64_dump),
                cmocka_unit_test(a_table_alone_renders_with_kernel_names),
                cmocka_unit_test(kernel_spelling_of_top_level_names_is_kept),
                cmocka_unit_test(empty_table_renders_empty_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine where memranged's loads see a view of their own (arm64
 * driver-managed RAM as plain System RAM, ppc64's boot-RAM memory limit
 * read as 0): an image another loader built from the kernel's files is
 * judged by what that loader dumps, and a dump that leaves RAM out is never
 * called up to date. */
#include "kdump-views.h"
#include "reload-test-util.h"

#define GiB (UINT64_C(1) << 30)

/* The virtio-mem machine (1 GiB of driver-managed RAM at 4 GiB) under
 * @policy, as arm64 kexec-tools would dump it. */
static struct memrange_dump_ranges *virtio_mem_ranges(enum memrange_dump_policy policy) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.12-virtiomem/hotplug");
        struct memrange_sources *s = NULL;
        struct memrange_table *t = NULL;
        struct memrange_findings *f = NULL;
        struct memrange_dump_ranges *d = NULL;

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        assert_int_equal(memrange_reconcile(ctx, s, &t, &f), 0);
        assert_int_equal(memrange_dump_ranges_compute(ctx, t, s, policy, MEMRANGE_ARCH_ARM64, &d), 0);
        memrange_table_free(t);
        memrange_findings_free(f);
        memrange_sources_free(s);
        memrange_ctx_unref(ctx);
        return d;
}

/* kdump-tools loaded at boot from the kernel's /proc/iomem, which drops
 * the virtio-mem GiB: memranged reloads with its view, after which the
 * dump holds it and is up to date. Without the foreign ranges the engine
 * would take the boot image as holding it and call it up to date. */
static void image_loaded_by_others_lacks_driver_managed_ram_and_is_reloaded(void **state) {
        struct memrange_dump_ranges *view = virtio_mem_ranges(MEMRANGE_DUMP_MEMRANGED_ARM64);
        struct memrange_dump_ranges *foreign = virtio_mem_ranges(MEMRANGE_DUMP_KEXEC_TOOLS_ARM64);
        struct reload_engine e;

        assert_int_equal(foreign->n + 1, view->n);
        assert_int_equal(view->ranges[view->n - 1].start, 4 * GiB);
        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_foreign(&e, foreign, false);
        assert_int_equal(reload_engine_observe(&e, 1, view, 1, 0, T0), RELOAD_DECISION_NEEDED);
        assert_int_equal(e.image.origin, IMAGE_BEFORE_START);
        assert_int_equal(e.image.ranges->n, e.ranges->n - 1);
        assert_string_equal(reload_engine_state(&e), "stale");

        run_attempt(&e, T0 + SEC, true);
        assert_int_equal(e.image.origin, IMAGE_MEMRANGED);
        assert_true(memrange_dump_ranges_equal(e.image.ranges, e.ranges));
        assert_string_equal(reload_engine_state(&e), "up to date");
        reload_engine_done(&e);
}

/* Reloading off (or Command= that memranged does not run): the image is as
 * current as kexec-tools can make it, yet it lacks the GiB. */
static void dump_that_drops_ram_is_incomplete_not_up_to_date(void **state) {
        static const struct reload_engine_settings off = { .mode = RELOAD_MODE_OFF };
        struct reload_engine e;

        reload_engine_init(&e, &off);
        reload_engine_set_foreign(&e, NULL, true);
        assert_int_equal(reload_engine_observe(&e, 1, virtio_mem_ranges(MEMRANGE_DUMP_KEXEC_TOOLS_ARM64), 1, 0, T0),
                         RELOAD_DECISION_UNCHANGED);
        assert_string_equal(reload_engine_state(&e), "incomplete");
        reload_engine_set_foreign(&e, NULL, false);
        assert_int_equal(reload_engine_observe(&e, 2, virtio_mem_ranges(MEMRANGE_DUMP_KEXEC_TOOLS_ARM64), 1, 0,
                                               T0 + SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_string_equal(reload_engine_state(&e), "up to date");
        reload_engine_done(&e);
}

static void view_policies_apply_only_to_memranged_loads_on_arm64_and_ppc64(void **state) {
        static const struct {
                enum memrange_dump_policy plan;
                enum memrange_arch arch;
                bool loads;
                enum memrange_dump_policy want;
        } cases[] = {
                { MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_ARM64, true, MEMRANGE_DUMP_MEMRANGED_ARM64 },
                { MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_PPC64, true, MEMRANGE_DUMP_MEMRANGED_PPC64 },
                { MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_X86_64, true, MEMRANGE_DUMP_AUTO },
                { MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_ARM64, false, MEMRANGE_DUMP_AUTO },
                { MEMRANGE_DUMP_KERNEL, MEMRANGE_ARCH_ARM64, true, MEMRANGE_DUMP_KERNEL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_int_equal(kdump_view_policy(cases[i].plan, cases[i].arch, cases[i].loads), cases[i].want);
}

/* ppc64: a boot-RAM limit becomes an 8-byte zero over the property; x86
 * and a machine without the limit get nothing. */
static void ppc64_boot_ram_limit_gives_a_zero_memory_limit_view(void **state) {
        static const uint8_t limit_2g[8] = { 0, 0, 0, 0, 0x80, 0, 0, 0 };
        static const uint8_t zero[8] = {};
        struct scratch s;
        char cmd[768];
        struct memrange_ctx *ctx;
        struct memrange_sources *src = NULL;
        struct kdump_views v = {};

        scratch_init(&s);
        snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s/'", fixture_path("ppc64le-6.1-pseries/hotplug"), s.path);
        assert_int_equal(system(cmd), 0);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_sources_read(ctx, &src), 0);
        assert_int_equal(kdump_views_render(ctx, src, MEMRANGE_ARCH_PPC64, &v), 0);
        assert_int_equal(v.n, 0); /* the 6.1 fixture reads 0 */
        memrange_sources_free(src);

        scratch_write(&s, "proc/device-tree/chosen/linux,memory-limit", limit_2g, 8);
        assert_int_equal(memrange_sources_read(ctx, &src), 0);
        assert_int_equal(kdump_views_render(ctx, src, MEMRANGE_ARCH_X86_64, &v), 0);
        assert_int_equal(v.n, 0);
        assert_int_equal(kdump_views_render(ctx, src, MEMRANGE_ARCH_PPC64, &v), 0);
        assert_int_equal(v.n, 1);
        assert_string_equal(v.views[0].target, "/proc/device-tree/chosen/linux,memory-limit");
        assert_int_equal(v.views[0].len, 8);
        assert_memory_equal(v.views[0].text, zero, 8);
        kdump_views_done(&v);
        memrange_sources_free(src);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* arm64 without _text in kallsyms: another loader's header cannot be read
 * (x86_64 is never asked). Once per process: one arm64 machine here. */
static void arm64_kallsyms_without_text_makes_foreign_images_unreadable(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_write(&s, "proc/kallsyms", "ffff800008010000 T _stext\n", (size_t) -1);
        ctx = scratch_ctx(&s);
        assert_false(kdump_foreign_images_unreadable(ctx, NULL, MEMRANGE_ARCH_X86_64));
        assert_true(kdump_foreign_images_unreadable(ctx, NULL, MEMRANGE_ARCH_ARM64));
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* verify's "dump-drops-driver-managed-ram" judges an image built from the
 * kernel's files: it goes for the image memranged loaded with its view
 * (which dumps the GiB), and stays for the same ranges loaded by others,
 * for an image of memranged's that predates the GiB, and for other codes. */
static void dump_drops_finding_stays_only_for_images_that_drop_the_ram(void **state) {
        struct memrange_dump_ranges *view = virtio_mem_ranges(MEMRANGE_DUMP_MEMRANGED_ARM64);
        struct memrange_dump_ranges *foreign = virtio_mem_ranges(MEMRANGE_DUMP_KEXEC_TOOLS_ARM64);
        struct memrange_finding items[] = {
                { .severity = MEMRANGE_SEVERITY_WARNING, .start = 4 * GiB, .end = 5 * GiB,
                  .code = (char *) "dump-drops-driver-managed-ram", .message = (char *) "dropped" },
                { .severity = MEMRANGE_SEVERITY_WARNING, .start = 4 * GiB, .end = 5 * GiB,
                  .code = (char *) "iomem-ram-without-block", .message = (char *) "other" },
        };
        const struct memrange_findings all = { .n = ELEMENTSOF(items), .items = items };
        struct {
                enum image_origin origin;
                struct memrange_dump_ranges *ranges;
                size_t n;
        } cases[] = {
                { IMAGE_MEMRANGED, view, 1 },
                { IMAGE_RECORDED, view, 1 },
                { IMAGE_BEFORE_START, view, 2 },  /* ranges assumed, not known */
                { IMAGE_OTHER, view, 2 },
                { IMAGE_MEMRANGED, foreign, 2 },  /* loaded before the GiB came */
                { IMAGE_NONE, NULL, 2 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct reload_image image = { .origin = cases[i].origin, .ranges = cases[i].ranges };
                struct memrange_findings got = { .n = 99 };

                assert_int_equal(reload_image_findings(&image, &all, &got), 0);
                assert_int_equal(got.n, cases[i].n);
                assert_string_equal(got.items[got.n - 1].code, "iomem-ram-without-block");
                free(got.items);
        }
        memrange_dump_ranges_free(view);
        memrange_dump_ranges_free(foreign);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(image_loaded_by_others_lacks_driver_managed_ram_and_is_reloaded),
                cmocka_unit_test(dump_that_drops_ram_is_incomplete_not_up_to_date),
                cmocka_unit_test(view_policies_apply_only_to_memranged_loads_on_arm64_and_ppc64),
                cmocka_unit_test(ppc64_boot_ram_limit_gives_a_zero_memory_limit_view),
                cmocka_unit_test(arm64_kallsyms_without_text_makes_foreign_images_unreadable),
                cmocka_unit_test(dump_drops_finding_stays_only_for_images_that_drop_the_ram),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

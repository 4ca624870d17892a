/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dump-range policies: the kdump cases pin each policy against what the
 * capture kernel really exposed; every fixture is checked for sanity under
 * every policy that applies to it; scratch sysroots pin the limits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash-check.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define X86 MEMRANGE_DUMP_KEXEC_TOOLS_X86
#define ARM64 MEMRANGE_DUMP_KEXEC_TOOLS_ARM64
#define PPC64 MEMRANGE_DUMP_KEXEC_TOOLS_PPC64
#define KERNEL MEMRANGE_DUMP_KERNEL
#define AUTO MEMRANGE_DUMP_AUTO

#define SPAN(s, e) ((struct memrange_dump_range) { .start = (s), .end = (e) })

static void policy_and_arch_names_round_trip(void **state) {
        static const char *const policies[] = { "kexec-tools-x86", "kexec-tools-arm64", "kexec-tools-ppc64",
                                                "kernel", "auto", "memranged-arm64", "memranged-ppc64" };

        for (int p = 0; p < _MEMRANGE_DUMP_POLICY_MAX; p++) {
                assert_string_equal(memrange_dump_policy_to_name(p), policies[p]);
                assert_int_equal(memrange_dump_policy_from_name(policies[p]), p);
        }
        assert_null(memrange_dump_policy_to_name(_MEMRANGE_DUMP_POLICY_MAX));
        assert_int_equal(memrange_dump_policy_from_name("kexec-tools"), -EINVAL);
        assert_int_equal(memrange_dump_policy_from_name(NULL), -EINVAL);

        assert_string_equal(memrange_arch_to_name(MEMRANGE_ARCH_X86_64), "x86_64");
        assert_string_equal(memrange_arch_to_name(MEMRANGE_ARCH_ARM64), "arm64");
        assert_string_equal(memrange_arch_to_name(MEMRANGE_ARCH_PPC64), "ppc64");
        assert_null(memrange_arch_to_name(MEMRANGE_ARCH_UNKNOWN));
        assert_int_equal(memrange_arch_from_name("aarch64"), MEMRANGE_ARCH_ARM64);
        assert_int_equal(memrange_arch_from_name("ppc64le"), MEMRANGE_ARCH_PPC64);
        assert_int_equal(memrange_arch_from_name("x86_64"), MEMRANGE_ARCH_X86_64);
        assert_int_equal(memrange_arch_from_name("i386"), -EINVAL);
}

/* ---------------------------------------------------------------------------
 * Ground truth: the kdump cases
 */

/* Computes @policy on the case's root/ and compares with the capture
 * kernel's RAM PT_LOADs; returns the computed ranges. */
static struct memrange_dump_ranges *case_ranges(struct machine *m, const char *name, enum memrange_dump_policy policy) {
        char root[256];

        snprintf(root, sizeof(root), "kdump-cases/%s/root", name);
        machine_load(m, root);
        return machine_dump(m, policy);
}

static void kexec_load_reload_case_matches_the_capture_kernel(void **state) {
        _cleanup_(freep) struct memrange_dump_range *want = NULL;
        struct machine m = {};
        struct memrange_dump_ranges *d = case_ranges(&m, "x86_64-6.1-kexec_load-reload", X86);
        size_t n_want = vmcore_ram_loads("x86_64-6.1-kexec_load-reload", &want);

        assert_int_equal(n_want, 4);
        assert_ranges_equal(d->ranges, d->n, want, n_want);
        /* The range below 640 KiB is the one kexec-tools backs up. */
        assert_int_equal(d->ranges[0].start, 0x1000);
        assert_int_equal(d->ranges[0].flags, MEMRANGE_DUMP_F_BACKUP);
        for (size_t i = 1; i < d->n; i++)
                assert_int_equal(d->ranges[i].flags, 0);
        memrange_dump_ranges_free(d);
        machine_done(&m);
}

static void kexec_file_case_matches_the_capture_kernel(void **state) {
        _cleanup_(freep) struct memrange_dump_range *want = NULL;
        struct machine m = {};
        struct memrange_dump_ranges *d = case_ranges(&m, "x86_64-6.12-kexec_file-noreload", KERNEL);
        size_t n_want = vmcore_ram_loads("x86_64-6.12-kexec_file-noreload", &want);

        assert_int_equal(n_want, 3);
        assert_ranges_equal(d->ranges, d->n, want, n_want);
        /* The kernel leaves out the first MiB: no 0x1000 range, no backup. */
        assert_int_equal(d->ranges[0].start, MiB);
        for (size_t i = 0; i < d->n; i++)
                assert_int_equal(d->ranges[i].flags, 0);
        memrange_dump_ranges_free(d);
        machine_done(&m);
}

/* The bug memranged exists to fix: loaded before the hot-add and never
 * reloaded, the dump lacks exactly the hot-added DIMM, which the ranges
 * computed from the machine as it is now include. */
static void kexec_load_noreload_dump_lacks_only_the_hot_added_dimm(void **state) {
        _cleanup_(freep) struct memrange_dump_range *want = NULL;
        struct machine m = {};
        struct memrange_dump_ranges *d = case_ranges(&m, "x86_64-6.1-kexec_load-noreload", X86);
        size_t n_want = vmcore_ram_loads("x86_64-6.1-kexec_load-noreload", &want);

        assert_int_equal(n_want, 3);
        assert_int_equal(d->n, n_want + 1);
        assert_ranges_equal(d->ranges, n_want, want, n_want);
        assert_int_equal(d->ranges[n_want].start, 4 * GiB);
        assert_int_equal(d->ranges[n_want].end, 5 * GiB);
        memrange_dump_ranges_free(d);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * Which policy auto picks
 */

static const struct {
        const char *fixture;
        enum memrange_arch arch;
        enum memrange_dump_policy policy;
} auto_cases[] = {
        /* no crash_hotplug file (6.1), kdump loaded by kexec -p */
        { "x86_64-6.1-dimm/hotplug", MEMRANGE_ARCH_X86_64, X86 },
        /* crash_hotplug 0: kexec_load without --hotplug */
        { "x86_64-6.12-virtiomem/hotplug", MEMRANGE_ARCH_X86_64, X86 },
        /* nothing loaded: what kexec-tools would load */
        { "x86_64-6.18-microvm/boot", MEMRANGE_ARCH_X86_64, X86 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", MEMRANGE_ARCH_X86_64, X86 },
        /* crash_hotplug 1: kexec_file_load, the kernel keeps it current */
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", MEMRANGE_ARCH_X86_64, KERNEL },
        { "arm64-6.12-virt/boot", MEMRANGE_ARCH_ARM64, ARM64 },
        { "ppc64le-6.1-pseries/boot", MEMRANGE_ARCH_PPC64, PPC64 },
        { "ppc64le-6.1-pseries/hotplug", MEMRANGE_ARCH_PPC64, PPC64 },
};

static void auto_policy_follows_architecture_and_crash_hotplug(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(auto_cases); i++) {
                struct machine m = {};
                struct memrange_dump_ranges *d;

                machine_load(&m, auto_cases[i].fixture);
                assert_int_equal(memrange_arch_detect(m.sources), auto_cases[i].arch);
                assert_int_equal(memrange_dump_policy_resolve(m.sources, MEMRANGE_ARCH_UNKNOWN, AUTO),
                                 auto_cases[i].policy);
                d = machine_dump(&m, AUTO);
                assert_int_equal(d->policy, auto_cases[i].policy);
                assert_int_equal(d->arch, auto_cases[i].arch);
                memrange_dump_ranges_free(d);
                machine_done(&m);
        }
}

static void explicit_arch_overrides_detection(void **state) {
        struct machine m = {};

        machine_load(&m, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(memrange_dump_policy_resolve(m.sources, MEMRANGE_ARCH_ARM64, AUTO), ARM64);
        assert_int_equal(memrange_dump_policy_resolve(m.sources, MEMRANGE_ARCH_PPC64, AUTO), PPC64);
        /* A named policy is never changed. */
        assert_int_equal(memrange_dump_policy_resolve(m.sources, MEMRANGE_ARCH_ARM64, KERNEL), KERNEL);
        assert_int_equal(memrange_dump_policy_resolve(NULL, MEMRANGE_ARCH_UNKNOWN, AUTO), X86);
        assert_int_equal(memrange_dump_policy_resolve(m.sources, MEMRANGE_ARCH_UNKNOWN, _MEMRANGE_DUMP_POLICY_MAX),
                         -EINVAL);
        assert_int_equal(memrange_dump_policy_resolve(m.sources, _MEMRANGE_ARCH_MAX, AUTO), -EINVAL);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * Every fixture, every policy that applies
 */

/* True when [start, end) is wholly RAM of @table. */
static bool all_ram(const struct memrange_table *table, uint64_t start, uint64_t end) {
        uint64_t pos = start;

        for (const struct memrange *r = memrange_table_lower_bound(table, start); r && pos < end;
             r = memrange_table_next(table, r)) {
                if (r->start > pos || r->type != MEMRANGE_TYPE_RAM)
                        return false;
                pos = r->end;
        }
        return pos >= end;
}

static void check_sane(const struct machine *m, const struct memrange_dump_ranges *d, const char *fixture) {
        const struct memrange_list *rsv = m->sources->crash ? &m->sources->crash->reservations : NULL;

        assert_true(d->n > 0);
        for (size_t i = 0; i < d->n; i++) {
                const struct memrange_dump_range *r = &d->ranges[i];

                if (r->start >= r->end || (i > 0 && d->ranges[i - 1].end > r->start))
                        fail_msg("%s %s: range %zu empty, unsorted or overlapping", fixture,
                                 memrange_dump_policy_to_name(d->policy), i);
                if (!all_ram(m->table, r->start, r->end))
                        fail_msg("%s %s: 0x%" PRIx64 "-0x%" PRIx64 " is not all RAM", fixture,
                                 memrange_dump_policy_to_name(d->policy), r->start, r->end - 1);
                for (size_t k = 0; rsv && k < rsv->n; k++)
                        if (r->start < rsv->ranges[k].end && rsv->ranges[k].start < r->end)
                                fail_msg("%s %s: 0x%" PRIx64 " overlaps a crash reservation", fixture,
                                         memrange_dump_policy_to_name(d->policy), r->start);
        }
}

static void every_fixture_dumps_only_ram_outside_crash_reservations(void **state) {
        for (size_t i = 0; all_fixtures[i]; i++) {
                struct machine m = {};
                enum memrange_arch arch;
                enum memrange_dump_policy native;

                machine_load(&m, all_fixtures[i]);
                arch = memrange_arch_detect(m.sources);
                native = arch == MEMRANGE_ARCH_ARM64 ? ARM64 : arch == MEMRANGE_ARCH_PPC64 ? PPC64 : X86;
                for (int p = 0; p < _MEMRANGE_DUMP_POLICY_MAX; p++) {
                        struct memrange_dump_ranges *d;

                        /* The kernel policy applies everywhere; the kexec-tools
                         * ones on their own architecture. */
                        if (p != (int) native && p != KERNEL && p != AUTO)
                                continue;
                        d = machine_dump(&m, p);
                        check_sane(&m, d, all_fixtures[i]);
                        memrange_dump_ranges_free(d);
                }
                machine_done(&m);
        }
}

static void arm64_kexec_tools_dumps_system_ram_minus_the_crash_kernel(void **state) {
        /* proc/iomem: 40000000-bfffffff System RAM, a9a00000-b99fffff Crash kernel. */
        static const struct memrange_dump_range want[] = {
                SPAN(0x40000000, 0xa9a00000),
                SPAN(0xb9a00000, 0xc0000000),
        };
        struct machine m = {};
        struct memrange_dump_ranges *d;

        machine_load(&m, "arm64-6.12-virt/boot");
        d = machine_dump(&m, ARM64);
        assert_ranges_equal(d->ranges, d->n, want, ELEMENTSOF(want));
        assert_int_equal(d->n_excluded, 1);
        assert_int_equal(d->excluded[0].start, 0xa9a00000);
        assert_int_equal(d->excluded[0].end, 0xb9a00000);
        for (size_t i = 0; i < d->n; i++)
                assert_int_equal(d->ranges[i].flags, 0);
        memrange_dump_ranges_free(d);
        machine_done(&m);
}

/* "System RAM (virtio_mem)" 100000000-13fffffff, nested under virtio0. */
static void virtio_mem_ram_is_dumped_on_x86_but_dropped_by_the_arm64_rule(void **state) {
        struct machine m = {};
        struct memrange_list *dropped = NULL;
        struct memrange_dump_ranges *x86, *kernel, *arm64;

        machine_load(&m, "x86_64-6.12-virtiomem/hotplug");
        x86 = machine_dump(&m, X86);
        kernel = machine_dump(&m, KERNEL);
        arm64 = machine_dump(&m, ARM64);

        assert_int_equal(x86->ranges[x86->n - 1].start, 4 * GiB);
        assert_int_equal(x86->ranges[x86->n - 1].end, 5 * GiB);
        assert_int_equal(kernel->ranges[kernel->n - 1].start, 4 * GiB);
        assert_int_equal(kernel->ranges[kernel->n - 1].end, 5 * GiB);
        assert_int_equal(arm64->n, x86->n - 1);
        assert_true(arm64->ranges[arm64->n - 1].end <= 4 * GiB);

        /* Only the arm64 rule loses memory, and dropped() says which. */
        assert_int_equal(memrange_dump_ranges_dropped(m.table, x86, &dropped), 0);
        assert_int_equal(dropped->n, 0);
        memrange_list_free(dropped);
        assert_int_equal(memrange_dump_ranges_dropped(m.table, kernel, &dropped), 0);
        assert_int_equal(dropped->n, 0); /* the first MiB is excluded on purpose */
        memrange_list_free(dropped);
        assert_int_equal(memrange_dump_ranges_dropped(m.table, arm64, &dropped), 0);
        assert_int_equal(dropped->n, 1);
        assert_int_equal(dropped->ranges[0].start, 4 * GiB);
        assert_int_equal(dropped->ranges[0].end, 5 * GiB);
        assert_true(dropped->ranges[0].flags & MEMRANGE_F_DRIVER_MANAGED);
        memrange_list_free(dropped);

        memrange_dump_ranges_free(x86);
        memrange_dump_ranges_free(kernel);
        memrange_dump_ranges_free(arm64);
        machine_done(&m);
}

/* memory@0 reg 0-7fffffff; drmem LMBs 80000000..b0000000 assigned after the
 * hot-add (flags 0x8), the boot ones reserved (0xa0); /chosen crash region
 * base 0x20000000 size 0x10000000 (not in proc/iomem). */
static void ppc64_dumps_devicetree_and_drmem_memory_minus_the_chosen_crash_region(void **state) {
        static const struct memrange_dump_range hotplug[] = {
                SPAN(0, 64 * KiB),
                SPAN(64 * KiB, 0x20000000),
                SPAN(0x30000000, 0xc0000000),
        };
        static const struct memrange_dump_range kernel[] = {
                SPAN(1 * MiB, 0x20000000),
                SPAN(0x30000000, 0xc0000000),
        };
        struct machine m = {};
        struct memrange_dump_ranges *d;

        machine_load(&m, "ppc64le-6.1-pseries/hotplug");
        d = machine_dump(&m, PPC64);
        assert_ranges_equal(d->ranges, d->n, hotplug, ELEMENTSOF(hotplug));
        assert_int_equal(d->ranges[0].flags, MEMRANGE_DUMP_F_BACKUP);
        assert_int_equal(d->ranges[1].flags, 0);
        assert_int_equal(d->n_excluded, 1);
        assert_int_equal(d->excluded[0].start, 0x20000000);
        assert_int_equal(d->excluded[0].end, 0x30000000);
        memrange_dump_ranges_free(d);
        machine_done(&m);

        /* The table carries the /chosen region too (iomem has no "Crash
         * kernel" line), so the kernel's own header leaves it out. */
        machine_load(&m, "ppc64le-6.1-pseries/hotplug");
        d = machine_dump(&m, KERNEL);
        assert_ranges_equal(d->ranges, d->n, kernel, ELEMENTSOF(kernel));
        assert_int_equal(d->n_excluded, 2);
        assert_int_equal(d->excluded[1].start, 0x20000000);
        assert_int_equal(d->excluded[1].end, 0x30000000);
        memrange_dump_ranges_free(d);
        machine_done(&m);

        /* Before the hot-add: the dump ends at 2 GiB. */
        machine_load(&m, "ppc64le-6.1-pseries/boot");
        d = machine_dump(&m, PPC64);
        assert_int_equal(d->n, 3);
        assert_int_equal(d->ranges[2].start, 0x30000000);
        assert_int_equal(d->ranges[2].end, 0x80000000);
        memrange_dump_ranges_free(d);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * Comparing generations
 */

static void offlining_a_block_leaves_the_dump_ranges_unchanged(void **state) {
        struct machine boot = {}, hotplug = {}, offline = {};

        machine_load(&boot, "x86_64-6.1-dimm/boot");
        machine_load(&hotplug, "x86_64-6.1-dimm/hotplug");
        machine_load(&offline, "x86_64-6.1-dimm/offline");
        for (int p = 0; p < _MEMRANGE_DUMP_POLICY_MAX; p++) {
                struct memrange_dump_ranges *b, *h, *o;

                if (p == PPC64 || p == MEMRANGE_DUMP_MEMRANGED_PPC64)
                        continue;
                b = machine_dump(&boot, p);
                h = machine_dump(&hotplug, p);
                o = machine_dump(&offline, p);
                /* memory33 offline: still in every dump. */
                assert_true(memrange_dump_ranges_equal(h, o));
                /* the hot-add: one more range, a reload is needed. */
                assert_false(memrange_dump_ranges_equal(b, h));
                assert_int_equal(h->n, b->n + 1);
                memrange_dump_ranges_free(b);
                memrange_dump_ranges_free(h);
                memrange_dump_ranges_free(o);
        }
        assert_true(memrange_dump_ranges_equal(NULL, NULL));
        machine_done(&boot);
        machine_done(&hotplug);
        machine_done(&offline);
}

static char *cpus_text(const struct memrange_dump_ranges *d) {
        char *text = NULL;

        assert_int_equal(memrange_idset_to_string(&d->cpus, &text), 0);
        return text;
}

static void assert_cpus(struct machine *m, enum memrange_dump_policy policy, const char *want) {
        struct memrange_dump_ranges *d = machine_dump(m, policy);
        char *text = cpus_text(d);

        if (strcmp(text, want) != 0)
                fail_msg("policy %s: CPUs '%s', want '%s'", memrange_dump_policy_to_name(policy), text, want);
        free(text);
        memrange_dump_ranges_free(d);
}

/* Which CPUs get a register note: kexec-tools, on every architecture,
 * those with a crash_notes file when it loads; the kernel, every possible
 * one. A CPU hot-added after a kexec-tools load is what the image lacks. */
static void cpu_notes_follow_the_policy(void **state) {
        static const char *const fixtures[] = { "x86_64-6.1-dimm/boot", "arm64-6.12-virt/boot",
                                                "ppc64le-6.1-pseries/boot", "x86_64-6.12-virtiomem/boot" };
        struct machine m = {};

        for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
                machine_load(&m, fixtures[i]);
                /* Each fixture has cpu0 and cpu1, both possible, both with notes. */
                for (int p = 0; p < MEMRANGE_DUMP_AUTO; p++)
                        if (p != PPC64 || strstr(fixtures[i], "ppc64"))
                                assert_cpus(&m, p, "0-1");
                machine_done(&m);
        }

        machine_load(&m, "x86_64-6.1-dimm/boot");
        /* Booted with 2 of 4 possible CPUs: the kernel's header has all 4. */
        memrange_idset_clear(&m.sources->crash->possible);
        assert_int_equal(memrange_idset_parse("0-3", &m.sources->crash->possible), 0);
        assert_cpus(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, "0-1");
        assert_cpus(&m, MEMRANGE_DUMP_KERNEL, "0-3");
        /* Only cpu0 possible: cpu1's notes file is not used. */
        memrange_idset_clear(&m.sources->crash->possible);
        assert_int_equal(memrange_idset_parse("0", &m.sources->crash->possible), 0);
        assert_cpus(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, "0");
        assert_cpus(&m, MEMRANGE_DUMP_KERNEL, "0");
        /* cpu/possible unknown: the notes there are, for both. */
        memrange_idset_clear(&m.sources->crash->possible);
        m.sources->crash->n_notes = 1;
        assert_cpus(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, "0");
        assert_cpus(&m, MEMRANGE_DUMP_KERNEL, "0");
        m.sources->crash->n_notes = 2;
        machine_done(&m);
}

/* A CPU the image lacks is missing; one it has that is gone is harmless;
 * an unknown (empty) set is never compared. */
static void missing_cpus_are_those_the_image_lacks(void **state) {
        struct memrange_dump_ranges image = {}, wanted = {};
        struct memrange_idset missing = {};
        char *text;

        assert_int_equal(memrange_idset_parse("0", &image.cpus), 0);
        assert_int_equal(memrange_idset_parse("0-3", &wanted.cpus), 0);
        assert_int_equal(memrange_dump_cpus_missing(&image, &wanted, &missing), 0);
        assert_int_equal(memrange_idset_to_string(&missing, &text), 0);
        assert_string_equal(text, "1-3");
        free(text);
        memrange_idset_clear(&missing);
        /* The other way round: CPUs 1-3 removed, nothing missing. */
        assert_int_equal(memrange_dump_cpus_missing(&wanted, &image, &missing), 0);
        assert_int_equal(missing.n, 0);
        memrange_idset_clear(&image.cpus);
        assert_int_equal(memrange_dump_cpus_missing(&image, &wanted, &missing), 0);
        assert_int_equal(missing.n, 0);
        assert_int_equal(memrange_dump_cpus_missing(NULL, &wanted, &missing), -EINVAL);
        memrange_idset_clear(&wanted.cpus);
}

static void ranges_equal_compares_backup_flags(void **state) {
        struct memrange_dump_range ra[] = { SPAN(0x1000, 0x9fc00), SPAN(MiB, GiB) };
        struct memrange_dump_range rb[] = { SPAN(0x1000, 0x9fc00), SPAN(MiB, GiB) };
        struct memrange_dump_ranges a = { .n = 2, .ranges = ra }, b = { .n = 2, .ranges = rb };

        assert_true(memrange_dump_ranges_equal(&a, &b));
        rb[0].flags = MEMRANGE_DUMP_F_BACKUP;
        assert_false(memrange_dump_ranges_equal(&a, &b));
        /* cppcheck-suppress redundantAssignment ; b.ranges is rb */
        rb[0].flags = 0;
        /* cppcheck-suppress unreadVariable ; b.ranges is rb */
        rb[1].end = 2 * GiB;
        assert_false(memrange_dump_ranges_equal(&a, &b));
        b.n = 1;
        assert_false(memrange_dump_ranges_equal(&a, &b));
        assert_false(memrange_dump_ranges_equal(&a, NULL));
}

/* ---------------------------------------------------------------------------
 * Limits and malformed input, on scratch sysroots
 */

/* An x86-looking machine whose iomem is @iomem. */
static void load_scratch(struct machine *m, struct scratch *s, const char *iomem) {
        scratch_init(s);
        scratch_write(s, "proc/iomem", iomem, (size_t) -1);
        machine_load_ctx(m, scratch_ctx(s));
}

/* System RAM 0-(n*2 MiB) with @n_crash 1 MiB Crash kernel lines nested. */
static char *iomem_with_crash_lines(unsigned n_crash) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        fprintf(f, "00000000-%08" PRIx64 " : System RAM\n", (uint64_t) n_crash * 2 * MiB + 2 * MiB - 1);
        for (unsigned i = 0; i < n_crash; i++)
                fprintf(f, "  %08" PRIx64 "-%08" PRIx64 " : Crash kernel\n", (uint64_t) (2 * i + 1) * MiB,
                        (uint64_t) (2 * i + 2) * MiB - 1);
        assert_int_equal(fclose(f), 0);
        return text;
}

static int dump_errno(struct machine *m, enum memrange_dump_policy policy) {
        struct memrange_dump_ranges *d = NULL;
        int r = memrange_dump_ranges_compute(m->ctx, m->table, m->sources, policy, MEMRANGE_ARCH_UNKNOWN, &d);

        memrange_dump_ranges_free(d);
        return r;
}

static void too_many_crash_reservations_are_rejected(void **state) {
        struct scratch s;
        struct machine m = {};
        char *text;

        text = iomem_with_crash_lines(8);
        load_scratch(&m, &s, text);
        assert_int_equal(dump_errno(&m, X86), 0);
        assert_int_equal(dump_errno(&m, KERNEL), 0);
        assert_int_equal(dump_errno(&m, ARM64), -E2BIG);
        assert_string_equal(memrange_ctx_get_error(m.ctx),
                            "kexec-tools-arm64: 8 crash kernel reservations, more than the loader handles (2)");
        machine_done(&m);
        scratch_free(&s);
        free(text);

        text = iomem_with_crash_lines(9);
        load_scratch(&m, &s, text);
        assert_int_equal(dump_errno(&m, X86), -E2BIG);
        assert_string_equal(memrange_ctx_get_error(m.ctx),
                            "kexec-tools-x86: 9 crash kernel reservations, more than the loader handles (8)");
        assert_int_equal(dump_errno(&m, KERNEL), 0);
        machine_done(&m);
        scratch_free(&s);
        free(text);
}

/* @n System RAM lines of 4 KiB, each followed by a 4 KiB Reserved gap. */
static char *iomem_with_ram_lines(unsigned n) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        for (unsigned i = 0; i < n; i++) {
                uint64_t base = (uint64_t) i * 8 * KiB + MiB;

                fprintf(f, "%08" PRIx64 "-%08" PRIx64 " : System RAM\n", base, base + 4 * KiB - 1);
                fprintf(f, "%08" PRIx64 "-%08" PRIx64 " : Reserved\n", base + 4 * KiB, base + 8 * KiB - 1);
        }
        assert_int_equal(fclose(f), 0);
        return text;
}

static void more_than_32768_x86_ranges_are_rejected(void **state) {
        struct scratch s;
        struct machine m = {};
        struct memrange_dump_ranges *d;
        char *text;

        text = iomem_with_ram_lines(32768);
        load_scratch(&m, &s, text);
        d = machine_dump(&m, X86);
        assert_int_equal(d->n, 32768);
        memrange_dump_ranges_free(d);
        machine_done(&m);
        scratch_free(&s);
        free(text);

        text = iomem_with_ram_lines(32769);
        load_scratch(&m, &s, text);
        assert_int_equal(dump_errno(&m, X86), -E2BIG);
        assert_string_equal(memrange_ctx_get_error(m.ctx),
                            "kexec-tools-x86: 32769 RAM ranges, more than kexec-tools handles (32768)");
        /* The kernel has no such limit. */
        assert_int_equal(dump_errno(&m, KERNEL), 0);
        machine_done(&m);
        scratch_free(&s);
        free(text);
}

static const char cells_2[] = { 0, 0, 0, 2 };
static const char memory_node_type[] = "memory";

/* A device tree with one memory node 1 GiB at 0, and @chosen_base as
 * /chosen/linux,crashkernel-base (@base_len bytes). */
static void write_devicetree(struct scratch *s, const void *chosen_base, size_t base_len) {
        static const unsigned char reg[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0 };
        static const unsigned char size[8] = { 0, 0, 0, 0, 0x10, 0, 0, 0 };

        scratch_write(s, "proc/device-tree/#address-cells", cells_2, sizeof(cells_2));
        scratch_write(s, "proc/device-tree/#size-cells", cells_2, sizeof(cells_2));
        scratch_write(s, "proc/device-tree/memory@0/device_type", memory_node_type, sizeof(memory_node_type));
        scratch_write(s, "proc/device-tree/memory@0/reg", reg, sizeof(reg));
        if (chosen_base) {
                scratch_write(s, "proc/device-tree/chosen/linux,crashkernel-base", chosen_base, base_len);
                scratch_write(s, "proc/device-tree/chosen/linux,crashkernel-size", size, sizeof(size));
        }
}

/* The /chosen crash region comes from the device tree reader, which takes
 * one or two cells and refuses anything else (the device tree is then
 * unreadable, and this policy has nothing to compute from). */
static void ppc64_leaves_out_the_devicetree_crash_region(void **state) {
        static const unsigned char base8[8] = { 0, 0, 0, 0, 0x08, 0, 0, 0 };
        static const unsigned char base4[4] = { 0x08, 0, 0, 0 };
        static const unsigned char base3[3] = { 0, 0x08, 0 };
        struct scratch s;
        struct machine m = {};
        struct memrange_dump_ranges *d;

        /* 8-byte and 4-byte cells give the same region. */
        for (int pass = 0; pass < 2; pass++) {
                scratch_init(&s);
                write_devicetree(&s, pass ? (const void *) base4 : (const void *) base8, pass ? 4 : 8);
                scratch_write(&s, "proc/iomem", "00000000-3fffffff : System RAM\n", (size_t) -1);
                machine_load_ctx(&m, scratch_ctx(&s));
                d = machine_dump(&m, PPC64);
                assert_int_equal(d->n, 3);
                assert_int_equal(d->ranges[1].end, 0x08000000);
                assert_int_equal(d->ranges[2].start, 0x18000000);
                assert_int_equal(d->ranges[2].end, GiB);
                assert_int_equal(d->n_excluded, 1);
                assert_int_equal(d->excluded[0].start, 0x08000000);
                assert_int_equal(d->excluded[0].end, 0x18000000);
                memrange_dump_ranges_free(d);
                machine_done(&m);
                scratch_free(&s);
        }

        scratch_init(&s);
        write_devicetree(&s, base3, sizeof(base3));
        machine_load_ctx(&m, scratch_ctx(&s));
        assert_int_equal(m.sources->status[4], MEMRANGE_SOURCE_ERROR);
        assert_string_equal(m.sources->error[4],
                            "proc/device-tree/chosen/linux,crashkernel-base: expected 4 or 8 bytes, got 3");
        assert_int_equal(dump_errno(&m, PPC64), -ENODATA);
        machine_done(&m);
        scratch_free(&s);

        /* Without a device tree there is nothing to compute from. */
        load_scratch(&m, &s, "00000000-3fffffff : System RAM\n");
        assert_int_equal(dump_errno(&m, PPC64), -ENODATA);
        assert_non_null(strstr(memrange_ctx_get_error(m.ctx), "kexec-tools-ppc64: needs the device tree"));
        machine_done(&m);
        scratch_free(&s);
}

/* ---------------------------------------------------------------------------
 * The verify finding
 */

static const char kmem_iomem[] = "40000000-7fffffff : System RAM\n"
                                 "  48000000-48ffffff : Crash kernel\n"
                                 "80000000-bfffffff : Soft Reserved\n"
                                 "  80000000-bfffffff : dax0.0\n"
                                 "    80000000-bfffffff : System RAM (kmem)\n";

static size_t count_code(const struct memrange_findings *f, const char *code, const struct memrange_finding **ret) {
        size_t n = 0;

        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->items[i].code, code) == 0) {
                        *ret = &f->items[i];
                        n++;
                }
        return n;
}

static void reconcile_warns_when_the_arm64_dump_drops_kmem_ram(void **state) {
        static const char *const code = "dump-drops-driver-managed-ram";
        struct scratch s;
        struct machine m = {};
        const struct memrange_finding *hit = NULL;

        /* arm64: a device tree without drmem. */
        scratch_init(&s);
        write_devicetree(&s, NULL, 0);
        scratch_write(&s, "proc/iomem", kmem_iomem, (size_t) -1);
        machine_load_ctx(&m, scratch_ctx(&s));
        assert_int_equal(count_code(m.findings, code, &hit), 1);
        assert_int_equal(hit->severity, MEMRANGE_SEVERITY_WARNING);
        assert_int_equal(hit->start, 0x80000000);
        assert_int_equal(hit->end, 0xc0000000);
        assert_true(hit->sources & MEMRANGE_SRC_IOMEM);
        assert_string_equal(hit->message, "Driver-managed RAM 0x80000000-0xbfffffff is not dumped under the "
                                          "kexec-tools-arm64 policy this machine uses: a crash dump would "
                                          "silently lack it.");
        machine_done(&m);
        scratch_free(&s);

        /* x86 kexec-tools dumps it: no finding. */
        load_scratch(&m, &s, kmem_iomem);
        assert_int_equal(count_code(m.findings, code, &hit), 0);
        machine_done(&m);
        scratch_free(&s);
}

static void assert_same_dump_ranges(const struct memrange_dump_ranges *a, const struct memrange_dump_ranges *b) {
        assert_true(memrange_dump_ranges_equal(a, b));
        assert_int_equal(a->policy, b->policy);
        assert_int_equal(a->arch, b->arch);
        assert_int_equal(a->n_excluded, b->n_excluded);
        for (size_t i = 0; i < a->n_excluded; i++) {
                assert_int_equal(a->excluded[i].start, b->excluded[i].start);
                assert_int_equal(a->excluded[i].end, b->excluded[i].end);
        }
        assert_int_equal(a->cpus.n, b->cpus.n);
        for (size_t i = 0; i < a->cpus.n; i++)
                assert_int_equal(a->cpus.ids[i], b->cpus.ids[i]);
}

/* One computation per table: the ranges memrange_reconcile_dump() hands
 * back are those of the automatic policy, its findings memrange_reconcile()'s. */
static void reconcile_hands_back_the_dump_ranges_of_its_finding(void **state) {
        for (const char *const *f = all_fixtures; *f; f++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(*f);
                _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
                _cleanup_(memrange_table_freep) struct memrange_table *table = NULL, *again = NULL;
                _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL, *plain = NULL;
                _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *held = NULL, *computed = NULL,
                                                                                   *copy = NULL;

                print_message("%s\n", *f);
                assert_int_equal(memrange_sources_read(ctx, &sources), 0);
                assert_int_equal(memrange_reconcile_dump(ctx, sources, &table, &findings, &held), 0);
                assert_int_equal(memrange_reconcile(ctx, sources, &again, &plain), 0);
                assert_int_equal(findings->n, plain->n);
                for (size_t i = 0; i < findings->n; i++)
                        assert_string_equal(findings->items[i].code, plain->items[i].code);
                if (memrange_dump_ranges_compute(ctx, table, sources, MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_UNKNOWN,
                                                 &computed) < 0) {
                        assert_null(held);
                        continue;
                }
                assert_non_null(held);
                assert_same_dump_ranges(held, computed);
                assert_int_equal(memrange_dump_ranges_dup(held, &copy), 0);
                assert_ptr_not_equal(copy->ranges, held->ranges);
                assert_same_dump_ranges(copy, held);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(policy_and_arch_names_round_trip),
                cmocka_unit_test(kexec_load_reload_case_matches_the_capture_kernel),
                cmocka_unit_test(kexec_file_case_matches_the_capture_kernel),
                cmocka_unit_test(kexec_load_noreload_dump_lacks_only_the_hot_added_dimm),
                cmocka_unit_test(auto_policy_follows_architecture_and_crash_hotplug),
                cmocka_unit_test(explicit_arch_overrides_detection),
                cmocka_unit_test(every_fixture_dumps_only_ram_outside_crash_reservations),
                cmocka_unit_test(arm64_kexec_tools_dumps_system_ram_minus_the_crash_kernel),
                cmocka_unit_test(virtio_mem_ram_is_dumped_on_x86_but_dropped_by_the_arm64_rule),
                cmocka_unit_test(ppc64_dumps_devicetree_and_drmem_memory_minus_the_chosen_crash_region),
                cmocka_unit_test(cpu_notes_follow_the_policy),
                cmocka_unit_test(missing_cpus_are_those_the_image_lacks),
                cmocka_unit_test(offlining_a_block_leaves_the_dump_ranges_unchanged),
                cmocka_unit_test(ranges_equal_compares_backup_flags),
                cmocka_unit_test(too_many_crash_reservations_are_rejected),
                cmocka_unit_test(more_than_32768_x86_ranges_are_rejected),
                cmocka_unit_test(ppc64_leaves_out_the_devicetree_crash_region),
                cmocka_unit_test(reconcile_warns_when_the_arm64_dump_drops_kmem_ram),
                cmocka_unit_test(reconcile_hands_back_the_dump_ranges_of_its_finding),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

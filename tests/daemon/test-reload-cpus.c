/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine and CPUs: a kexec-tools image has a register note for
 * the CPUs there were when it was loaded; the kernel's header has one for
 * every possible CPU. */
#include "reload-test-util.h"

/* @d with the CPU notes @cpus ("0-1"), returned for chaining. */
static struct memrange_dump_ranges *with_cpus(struct memrange_dump_ranges *d, const char *cpus) {
        memrange_idset_clear(&d->cpus);
        assert_int_equal(memrange_idset_parse(cpus, &d->cpus), 0);
        return d;
}

static void image_cpus_are(const struct reload_engine *e, const char *want) {
        char *text = NULL;

        assert_int_equal(memrange_idset_to_string(&e->image.ranges->cpus, &text), 0);
        assert_string_equal(text, want);
        free(text);
}

static void cpu_hot_add_makes_the_image_stale_until_one_reload(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, with_cpus(ranges_to(512 * MiB), "0"), 0);
        /* A CPU event: the table is the same generation, its notes are not. */
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-1"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_NEEDED);
        assert_string_equal(reload_engine_state(&e), "stale");
        assert_int_equal(e.stale_since, T0 + SEC);
        run_attempt(&e, T0 + SEC, true);
        assert_int_equal(e.decision, RELOAD_DECISION_UNCHANGED);
        image_cpus_are(&e, "0-1");
        assert_string_equal(reload_engine_state(&e), "up to date");
        assert_int_equal(e.stale_since, 0);
        assert_int_equal(next(&e, T0 + 2 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.reloads, 1);
        reload_engine_done(&e);
}

static void removed_cpu_or_unknown_cpus_need_no_reload(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, with_cpus(ranges_to(512 * MiB), "0-3"), 0);
        /* cpu2 and cpu3 removed: their notes stay in the image, unused. */
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-1"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_UNCHANGED);
        /* No crash notes readable now: CPUs are not compared. */
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), 1, 0, T0 + 2 * SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(next(&e, T0 + 2 * SEC, NULL), RELOAD_ACTION_IDLE);
        reload_engine_done(&e);

        /* Nor when the image's CPUs are unknown (a record without them). */
        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-3"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_UNCHANGED);
        reload_engine_done(&e);
}

/* The kernel's own header has a note per possible CPU, and crash_hotplug
 * = 1 means the kernel rewrites it: neither needs a reload for a CPU. */
static void kernel_headers_need_no_reload_for_cpus(void **state) {
        struct reload_engine e;
        struct memrange_dump_ranges *possible = with_cpus(ranges_to(512 * MiB), "0-3");

        possible->policy = MEMRANGE_DUMP_KERNEL;
        start_with_loaded(&e, &kexec_settings, possible, 0);
        possible = with_cpus(ranges_to(512 * MiB), "0-3");
        possible->policy = MEMRANGE_DUMP_KERNEL;
        assert_int_equal(reload_engine_observe(&e, 1, possible, 1, 0, T0 + SEC), RELOAD_DECISION_UNCHANGED);
        reload_engine_done(&e);

        start_with_loaded(&e, &kexec_settings, with_cpus(ranges_to(512 * MiB), "0"), 1);
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-1"), 1, 1, T0 + SEC),
                         RELOAD_DECISION_KERNEL_CURRENT);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_IDLE);
        reload_engine_done(&e);
}

/* Three vCPUs one after another, then memory while the reload runs: one
 * reload for the CPUs, one follow-up for what came during it. */
static void cpu_and_memory_changes_coalesce(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, with_cpus(ranges_to(512 * MiB), "0"), 0);
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-1"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_NEEDED);
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-2"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_NEEDED);
        assert_int_equal(reload_engine_observe(&e, 1, with_cpus(ranges_to(512 * MiB), "0-3"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_NEEDED);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_START);
        assert_int_equal(reload_engine_started(&e, T0 + SEC), 0);
        /* A DIMM during the load: generation 2. */
        (void) reload_engine_observe(&e, 2, with_cpus(ranges_to(1024 * MiB), "0-3"), 1, 0, T0 + SEC + 10 * MS);
        assert_true(e.follow_up);
        reload_engine_finished(&e, &(struct reload_attempt) { .success = true, .exit_status = 0 }, T0 + 2 * SEC);
        image_cpus_are(&e, "0-3");
        assert_int_equal(e.decision, RELOAD_DECISION_NEEDED);
        run_attempt(&e, T0 + 2 * SEC, true);
        assert_int_equal(e.decision, RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.image.generation, 2);
        assert_int_equal(e.stats.attempts, 2);
        assert_int_equal(e.stats.follow_ups, 1);
        reload_engine_done(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cpu_hot_add_makes_the_image_stale_until_one_reload),
                cmocka_unit_test(removed_cpu_or_unknown_cpus_need_no_reload),
                cmocka_unit_test(kernel_headers_need_no_reload_for_cpus),
                cmocka_unit_test(cpu_and_memory_changes_coalesce),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine's decisions, driven by hand with a fake clock: with
 * the dump ranges of the real DIMM hot-add (x86_64-6.1-dimm boot, hotplug
 * and offline), crash_hotplug, a storm of block events through the
 * coalescer and the state, failures and their backoff, changes during an
 * attempt, requests, and who is thought to have loaded what. */
#include <errno.h>
#include <string.h>

#include "reload-test-util.h"
#include "state.h"

/* ---- dump ranges ---- */

static struct memrange_sources *read_sources(const char *fixture) {
        struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_sources *s;

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        memrange_ctx_unref(ctx);
        return s;
}

/* kexec-tools' x86 ranges (what kexec -p loads) of @table. */
static struct memrange_dump_ranges *ranges_of_table(const struct memrange_table *table,
                                                    const struct memrange_sources *sources) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct memrange_dump_ranges *d;

        assert_int_equal(memrange_dump_ranges_compute(ctx, table, sources, MEMRANGE_DUMP_KEXEC_TOOLS_X86,
                                                      MEMRANGE_ARCH_X86_64, &d),
                         0);
        memrange_ctx_unref(ctx);
        return d;
}

static struct memrange_dump_ranges *fixture_ranges(const char *fixture) {
        struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_sources *s = read_sources(fixture);
        struct memrange_table *t;
        struct memrange_findings *f;
        struct memrange_dump_ranges *d;

        assert_int_equal(memrange_reconcile(ctx, s, &t, &f), 0);
        d = ranges_of_table(t, s);
        memrange_table_free(t);
        memrange_findings_free(f);
        memrange_sources_free(s);
        memrange_ctx_unref(ctx);
        return d;
}

/* ---------------------------------------------------------------------------
 * The DIMM hot-add
 */

static void image_loaded_at_startup_is_taken_as_generation_1(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, fixture_ranges("x86_64-6.1-dimm/boot"), 0);
        assert_string_equal(reload_engine_state(&e), "up to date");
        assert_string_equal(image_origin_to_string(e.image.origin), "before memranged started");
        assert_int_equal(e.image.loaded_usec, 0);
        assert_int_equal(e.stats.skipped, 0); /* startup is not a change */
        assert_int_equal(e.stats.attempts, 0);
        reload_engine_done(&e);
}

static void hot_add_gives_exactly_one_reload_of_the_new_generation(void **state) {
        struct memrange_dump_ranges *boot = fixture_ranges("x86_64-6.1-dimm/boot");
        struct memrange_dump_ranges *hotplug = fixture_ranges("x86_64-6.1-dimm/hotplug");
        struct reload_engine e;

        /* RAM 0x1000-0x9fbff (backup), 0x100000-0x3ffdffff minus the crash
         * kernel 0x1e000000-0x2dffffff; the DIMM adds 0x100000000-0x13fffffff. */
        assert_int_equal(boot->n, 3);
        assert_int_equal(hotplug->n, 4);
        assert_int_equal(hotplug->ranges[3].start, UINT64_C(0x100000000));
        assert_int_equal(hotplug->ranges[3].end, UINT64_C(0x140000000));
        start_with_loaded(&e, &kexec_settings, boot, 0);

        assert_int_equal(reload_engine_observe(&e, 2, hotplug, 1, 0, T0 + SEC), RELOAD_DECISION_NEEDED);
        assert_string_equal(reload_engine_state(&e), "stale");
        assert_int_equal(e.stale_since, T0 + SEC);
        run_attempt(&e, T0 + SEC, true);
        assert_int_equal(e.image.origin, IMAGE_MEMRANGED);
        assert_int_equal(e.image.generation, 2);
        assert_int_equal(e.image.method, LOAD_METHOD_KEXEC_LOAD);
        assert_true(memrange_dump_ranges_equal(e.image.ranges, e.ranges));
        assert_int_equal(e.decision, RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.stale_since, 0);
        assert_string_equal(reload_engine_state(&e), "up to date");
        assert_int_equal(next(&e, T0 + 2 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 1);
        assert_int_equal(e.stats.reloads, 1);
        assert_int_equal(e.last.generation, 2);
        assert_true(e.last.success);
        reload_engine_done(&e);
}

static void offline_online_cycle_keeps_the_dump_ranges_and_never_reloads(void **state) {
        struct reload_engine e;

        /* The image holds the hot-added DIMM; memory33 goes offline, then
         * online again: offline memory stays in every dump. */
        start_with_loaded(&e, &kexec_settings, fixture_ranges("x86_64-6.1-dimm/hotplug"), 0);
        assert_int_equal(reload_engine_observe(&e, 2, fixture_ranges("x86_64-6.1-dimm/offline"), 1, 0, T0 + SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(reload_engine_observe(&e, 3, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0 + 2 * SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(next(&e, T0 + 2 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 0);
        assert_int_equal(e.stats.skipped, 2);
        assert_int_equal(e.image.generation, 1);
        assert_string_equal(reload_engine_state(&e), "up to date");
        reload_engine_done(&e);
}

static void crash_hotplug_1_never_reloads_and_the_image_follows(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, fixture_ranges("x86_64-6.1-dimm/boot"), 1);
        assert_int_equal(reload_engine_observe(&e, 2, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 1, T0 + SEC),
                         RELOAD_DECISION_KERNEL_CURRENT);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 0);
        assert_int_equal(e.stats.skipped, 1);
        assert_int_equal(e.image.generation, 2);
        assert_int_equal(e.stale_since, 0);
        assert_string_equal(reload_engine_state(&e), "kernel keeps it current");

        /* crash_hotplug back to 0 (another loader without --hotplug): its
         * image read the kernel's view of this generation. */
        assert_int_equal(reload_engine_observe(&e, 2, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0 + 2 * SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.image.origin, IMAGE_OTHER);
        assert_int_equal(e.image.loaded_usec, T0 + 2 * SEC);
        reload_engine_done(&e);
}

static void storm_of_500_block_events_gives_one_rebuild_and_one_reload(void **state) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct state *st;
        struct coalescer c;
        struct reload_engine e;
        unsigned rebuilds = 0, starts = 0;

        assert_int_equal(state_new(ctx, &st), 0);
        assert_int_equal(state_apply_sources(st, read_sources("x86_64-6.1-dimm/boot"), CHANGE_STARTUP, T0), 1);
        start_with_loaded(&e, &kexec_settings, ranges_of_table(st->table, st->sources), 0);
        assert_int_equal(coalescer_init(&c, SCHEDULER_QUIET_DEFAULT, SCHEDULER_MAX_DELAY_DEFAULT), 0);

        /* 500 add/online events of memory32..39, one per millisecond, while
         * the clock runs for 5 s: one rebuild, to the hotplug tree. */
        for (usec_t t = T0; t < T0 + 5 * SEC; t += MS) {
                unsigned i = (unsigned) ((t - T0) / MS);
                struct rebuild_work work;

                if (i < 500) {
                        struct uevent ev = {
                                .action = i < 8 ? UEVENT_ACTION_ADD : UEVENT_ACTION_ONLINE,
                                .devpath = "/devices/system/memory/memoryN",
                                .subsystem = UEVENT_SUBSYSTEM_MEMORY,
                                .subsystem_text = "memory",
                                .index = 32 + i % 8,
                        };
                        (void) coalescer_hint_event(&c, &ev, t);
                }
                if (coalescer_take_due(&c, t, &work) == 1) {
                        rebuilds++;
                        rebuild_work_clear(&work);
                        assert_int_equal(state_apply_sources(st, read_sources("x86_64-6.1-dimm/hotplug"),
                                                             CHANGE_UEVENT, t),
                                         1);
                        (void) reload_engine_observe(&e, st->generation, ranges_of_table(st->table, st->sources), 1,
                                                     0, t);
                }
                if (next(&e, t, NULL) == RELOAD_ACTION_START) {
                        starts++;
                        assert_int_equal(reload_engine_started(&e, t), 0);
                        reload_engine_finished(&e, &(struct reload_attempt) { .success = true }, t);
                }
        }
        assert_int_equal(rebuilds, 1);
        assert_int_equal(starts, 1);
        assert_int_equal(st->generation, 2);
        assert_int_equal(e.image.generation, 2);
        assert_int_equal(e.stats.reloads, 1);
        coalescer_done(&c);
        reload_engine_done(&e);
        state_free(st);
        memrange_ctx_unref(ctx);
}

/* ---------------------------------------------------------------------------
 * Attempts: failures, follow-ups, requests
 */

static void failure_backs_off_doubling_up_to_the_cap_then_success_reloads(void **state) {
        static const usec_t delays[] = { SEC, 2 * SEC, 4 * SEC, 4 * SEC };
        struct reload_engine e;
        usec_t now = T0 + SEC, deadline;

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 1, 0, now), RELOAD_DECISION_NEEDED);
        for (size_t i = 0; i < ELEMENTSOF(delays); i++) {
                run_attempt(&e, now, false);
                now += 50 * MS; /* when it ended */
                assert_int_equal(e.retry_at, now + delays[i]);
                assert_int_equal(next(&e, now + delays[i] - 1, &deadline), RELOAD_ACTION_WAIT);
                assert_int_equal(deadline, now + delays[i]);
                now += delays[i];
                assert_string_equal(reload_engine_state(&e), "stale");
        }
        assert_int_equal(e.stats.failures, 4);
        assert_int_equal(e.consecutive_failures, 4);
        assert_string_equal(e.last.error, "exit status 1");
        run_attempt(&e, now, true);
        assert_int_equal(e.retry_at, 0);
        assert_int_equal(e.consecutive_failures, 0);
        assert_int_equal(e.image.generation, 2);
        assert_int_equal(next(&e, now + 10 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 5);
        assert_int_equal(e.stats.reloads, 1);
        reload_engine_done(&e);

        assert_int_equal(reload_engine_backoff(&(struct reload_engine_settings) { .backoff_min = SEC,
                                                                                   .backoff_max = 300 * SEC },
                                               9),
                         256 * SEC);
        assert_int_equal(reload_engine_backoff(&(struct reload_engine_settings) { .backoff_min = SEC,
                                                                                   .backoff_max = 300 * SEC },
                                               1000),
                         300 * SEC);
}

static void changes_during_an_attempt_give_exactly_one_follow_up(void **state) {
        struct reload_attempt ok = { .success = true };
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(768 * MiB), 1, 0, T0 + SEC), RELOAD_DECISION_NEEDED);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_START);
        assert_int_equal(reload_engine_started(&e, T0 + SEC), 0);
        /* Three generations arrive while kexec runs: nothing starts. */
        for (uint64_t g = 3; g <= 5; g++) {
                (void) reload_engine_observe(&e, g, ranges_to((512 + 256 * g) * MiB), 1, 0, T0 + SEC + g * MS);
                assert_int_equal(next(&e, T0 + SEC + g * MS, NULL), RELOAD_ACTION_IDLE);
                assert_string_equal(reload_engine_state(&e), "reloading");
        }
        reload_engine_finished(&e, &ok, T0 + 2 * SEC);
        assert_int_equal(e.image.generation, 2);
        /* One follow-up, for the newest generation only. */
        run_attempt(&e, T0 + 2 * SEC, true);
        assert_int_equal(e.image.generation, 5);
        assert_int_equal(next(&e, T0 + 3 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 2);
        assert_int_equal(e.stats.follow_ups, 1);
        reload_engine_done(&e);
}

static void change_during_an_attempt_back_to_its_ranges_needs_no_follow_up(void **state) {
        struct reload_attempt ok = { .success = true };
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        (void) reload_engine_observe(&e, 2, ranges_to(768 * MiB), 1, 0, T0 + SEC);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_START);
        assert_int_equal(reload_engine_started(&e, T0 + SEC), 0);
        (void) reload_engine_observe(&e, 3, ranges_to(1024 * MiB), 1, 0, T0 + SEC + MS);
        (void) reload_engine_observe(&e, 4, ranges_to(768 * MiB), 1, 0, T0 + SEC + 2 * MS);
        reload_engine_finished(&e, &ok, T0 + 2 * SEC);
        assert_int_equal(e.decision, RELOAD_DECISION_UNCHANGED);
        assert_int_equal(next(&e, T0 + 2 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 1);
        assert_int_equal(e.stats.follow_ups, 0);
        reload_engine_done(&e);
}

static void forced_request_reloads_unchanged_ranges_and_requests_skip_the_backoff(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        /* Nothing changed: an unforced request ends at once. */
        reload_engine_request(&e, false);
        assert_int_equal(next(&e, T0, NULL), RELOAD_ACTION_IDLE);
        assert_false(e.requested);
        /* Forced: one attempt for the current generation. */
        reload_engine_request(&e, true);
        run_attempt(&e, T0, true);
        assert_true(e.last.forced);
        assert_int_equal(e.image.origin, IMAGE_MEMRANGED);
        assert_int_equal(e.image.generation, 1);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_IDLE);

        /* A failure arms the backoff; a request does not wait for it. */
        (void) reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 1, 0, T0 + SEC);
        run_attempt(&e, T0 + SEC, false);
        assert_int_equal(next(&e, T0 + SEC + 100 * MS, NULL), RELOAD_ACTION_WAIT);
        reload_engine_request(&e, false);
        run_attempt(&e, T0 + SEC + 100 * MS, true);
        assert_false(e.last.forced);
        assert_int_equal(e.image.generation, 2);
        reload_engine_done(&e);
}

/* ---------------------------------------------------------------------------
 * Who loaded what, and when memranged does nothing
 */

static void nothing_loaded_waits_for_kdump_tools_unless_memranged_owns_loading(void **state) {
        struct reload_engine_settings owner = kexec_settings;
        struct reload_engine e;

        reload_engine_init(&e, &kexec_settings);
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), 0, 0, T0), RELOAD_DECISION_NOT_LOADED);
        assert_int_equal(next(&e, T0, NULL), RELOAD_ACTION_IDLE);
        assert_string_equal(reload_engine_state(&e), "not loaded");
        /* kdump-tools loads it: a rescan learns of it, no reload. */
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), 1, 0, T0 + SEC), RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.image.origin, IMAGE_OTHER);
        assert_int_equal(e.image.loaded_usec, T0 + SEC);
        /* ... and someone unloads it again. */
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), 0, 0, T0 + 2 * SEC),
                         RELOAD_DECISION_NOT_LOADED);
        assert_int_equal(e.image.origin, IMAGE_NONE);
        reload_engine_done(&e);

        owner.owns_loading = true;
        reload_engine_init(&e, &owner);
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), 0, 0, T0), RELOAD_DECISION_NEEDED);
        run_attempt(&e, T0, true);
        assert_int_equal(e.crash_loaded, 1);
        assert_string_equal(reload_engine_state(&e), "up to date");
        reload_engine_done(&e);
}

static void reloading_off_tracks_and_reports_the_stale_image(void **state) {
        struct reload_engine_settings off = { .mode = RELOAD_MODE_OFF, .backoff_min = SEC, .backoff_max = SEC };
        struct reload_engine e;

        start_with_loaded(&e, &off, fixture_ranges("x86_64-6.1-dimm/boot"), 0);
        assert_int_equal(reload_engine_observe(&e, 2, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0 + 3 * SEC),
                         RELOAD_DECISION_TRACK_ONLY);
        assert_string_equal(reload_engine_state(&e), "stale");
        assert_int_equal(e.stale_since, T0 + 3 * SEC);
        reload_engine_request(&e, true);
        assert_int_equal(next(&e, T0 + 4 * SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 0);
        /* The stale time stays the first one. */
        (void) reload_engine_observe(&e, 3, fixture_ranges("x86_64-6.1-dimm/offline"), 1, 0, T0 + 5 * SEC);
        assert_int_equal(e.stale_since, T0 + 3 * SEC);
        reload_engine_done(&e);
}

static void no_crash_support_or_unknown_ranges_decide_nothing(void **state) {
        struct reload_engine e;

        reload_engine_init(&e, &kexec_settings);
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(512 * MiB), -1, -1, T0), RELOAD_DECISION_UNAVAILABLE);
        assert_string_equal(reload_engine_state(&e), "unavailable");
        assert_int_equal(next(&e, T0, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(reload_engine_observe(&e, 2, NULL, 1, 0, T0 + SEC), RELOAD_DECISION_RANGES_UNKNOWN);
        assert_int_equal(next(&e, T0 + SEC, NULL), RELOAD_ACTION_IDLE);
        assert_int_equal(e.stats.attempts, 0);
        reload_engine_done(&e);
}

/* ---------------------------------------------------------------------------
 * The attempt history and the record of a restarted daemon
 */

static void history_keeps_the_last_8_attempts_oldest_first(void **state) {
        struct reload_engine e;
        usec_t now = T0 + SEC, starts[10];

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 1, 0, now), RELOAD_DECISION_NEEDED);
        for (size_t i = 0; i < 10; i++) {
                starts[i] = now;
                run_attempt(&e, now, i == 9);
                now = e.retry_at ? e.retry_at : now + SEC;
                if (i < 2)
                        assert_int_equal(e.n_history, i + 1);
        }
        assert_int_equal(e.stats.attempts, 10);
        assert_int_equal(e.n_history, RELOAD_HISTORY_MAX);
        for (size_t i = 0; i < RELOAD_HISTORY_MAX; i++) {
                const struct reload_attempt *a = &e.history[i];

                assert_int_equal(a->started, starts[i + 2]);
                assert_int_equal(a->generation, 2);
                assert_int_equal(a->success, i == RELOAD_HISTORY_MAX - 1);
                if (a->success)
                        assert_null(a->error);
                else
                        assert_string_equal(a->error, "exit status 1");
        }
        /* The last of the history is a copy of last, not the same strings. */
        assert_int_equal(e.history[RELOAD_HISTORY_MAX - 1].started, e.last.started);
        assert_true(e.history[0].error != e.last.error);
        reload_engine_done(&e);
}

static void record_of_a_finished_load_decides_whether_a_restart_reloads(void **state) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *boot = fixture_ranges("x86_64-6.1-dimm/boot");
        struct reload_engine e;

        /* Killed after loading the boot ranges; the table now has the DIMM. */
        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_startup_image(&e, false, fixture_ranges("x86_64-6.1-dimm/boot"));
        assert_int_equal(reload_engine_observe(&e, 1, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0),
                         RELOAD_DECISION_NEEDED);
        assert_int_equal(e.image.origin, IMAGE_RECORDED);
        assert_int_equal(e.image.generation, 0);
        assert_true(memrange_dump_ranges_equal(e.image.ranges, boot));
        assert_string_equal(reload_engine_state(&e), "stale");
        assert_string_equal(image_ranges_to_string(e.image.origin), "recorded");
        run_attempt(&e, T0, true);
        assert_int_equal(e.image.origin, IMAGE_MEMRANGED);
        assert_int_equal(e.stats.attempts, 1);
        reload_engine_done(&e);

        /* Killed after its last load: the recorded ranges are generation 1's. */
        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_startup_image(&e, false, fixture_ranges("x86_64-6.1-dimm/hotplug"));
        assert_int_equal(reload_engine_observe(&e, 1, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.image.generation, 1);
        assert_string_equal(image_origin_to_string(e.image.origin), "memranged, before it restarted");
        assert_int_equal(next(&e, T0, NULL), RELOAD_ACTION_IDLE);
        reload_engine_done(&e);
}

static void interrupted_load_is_unknown_and_reloaded(void **state) {
        struct reload_engine e;

        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_startup_image(&e, true, fixture_ranges("x86_64-6.1-dimm/hotplug"));
        assert_null(e.startup_ranges);
        assert_int_equal(reload_engine_observe(&e, 1, fixture_ranges("x86_64-6.1-dimm/hotplug"), 1, 0, T0),
                         RELOAD_DECISION_NEEDED);
        assert_int_equal(e.image.origin, IMAGE_INTERRUPTED);
        assert_null(e.image.ranges);
        assert_string_equal(image_ranges_to_string(e.image.origin), "unknown");
        run_attempt(&e, T0, true);
        assert_int_equal(e.image.generation, 1);
        reload_engine_done(&e);
}

static void record_counts_only_when_an_image_is_loaded_and_not_kept_current(void **state) {
        struct reload_engine e;

        /* Nothing loaded now (unloaded since): the record says nothing. */
        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_startup_image(&e, false, ranges_to(512 * MiB));
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(1024 * MiB), 0, 0, T0), RELOAD_DECISION_NOT_LOADED);
        assert_int_equal(e.image.origin, IMAGE_NONE);
        /* Loaded later by another program: assumed current, not the record. */
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(1024 * MiB), 1, 0, T0 + SEC),
                         RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e.image.origin, IMAGE_OTHER);
        assert_null(e.startup_ranges);
        reload_engine_done(&e);

        /* crash_hotplug = 1: the kernel keeps whatever is loaded current. */
        reload_engine_init(&e, &kexec_settings);
        reload_engine_set_startup_image(&e, true, NULL);
        assert_int_equal(reload_engine_observe(&e, 1, ranges_to(1024 * MiB), 1, 1, T0),
                         RELOAD_DECISION_KERNEL_CURRENT);
        assert_int_equal(e.image.origin, IMAGE_BEFORE_START);
        reload_engine_done(&e);
}

/* kdump-tools loaded the image; memranged's reload failed inside the load
 * system call, which had already freed the old image: nothing is loaded
 * now, and memranged keeps trying (it is not waiting for kdump-tools). A
 * load that works ends it; after that, an unload is someone's choice. */
static void own_failed_load_that_left_nothing_loaded_is_retried(void **state) {
        struct reload_engine e;

        start_with_loaded(&e, &kexec_settings, ranges_to(512 * MiB), 0);
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 1, 0, T0 + SEC), RELOAD_DECISION_NEEDED);
        run_attempt(&e, T0 + SEC, false);
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 0, 0, T0 + 2 * SEC),
                         RELOAD_DECISION_NEEDED);
        assert_string_equal(reload_engine_state(&e), "not loaded");
        reload_engine_retry_now(&e);
        run_attempt(&e, T0 + 2 * SEC, true);
        assert_int_equal(e.decision, RELOAD_DECISION_UNCHANGED);
        /* Unloaded by someone else later: kdump-tools' job again. */
        assert_int_equal(reload_engine_observe(&e, 2, ranges_to(1024 * MiB), 0, 0, T0 + 3 * SEC),
                         RELOAD_DECISION_NOT_LOADED);
        reload_engine_done(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(image_loaded_at_startup_is_taken_as_generation_1),
                cmocka_unit_test(hot_add_gives_exactly_one_reload_of_the_new_generation),
                cmocka_unit_test(offline_online_cycle_keeps_the_dump_ranges_and_never_reloads),
                cmocka_unit_test(crash_hotplug_1_never_reloads_and_the_image_follows),
                cmocka_unit_test(storm_of_500_block_events_gives_one_rebuild_and_one_reload),
                cmocka_unit_test(failure_backs_off_doubling_up_to_the_cap_then_success_reloads),
                cmocka_unit_test(changes_during_an_attempt_give_exactly_one_follow_up),
                cmocka_unit_test(change_during_an_attempt_back_to_its_ranges_needs_no_follow_up),
                cmocka_unit_test(forced_request_reloads_unchanged_ranges_and_requests_skip_the_backoff),
                cmocka_unit_test(nothing_loaded_waits_for_kdump_tools_unless_memranged_owns_loading),
                cmocka_unit_test(reloading_off_tracks_and_reports_the_stale_image),
                cmocka_unit_test(no_crash_support_or_unknown_ranges_decide_nothing),
                cmocka_unit_test(history_keeps_the_last_8_attempts_oldest_first),
                cmocka_unit_test(record_of_a_finished_load_decides_whether_a_restart_reloads),
                cmocka_unit_test(interrupted_load_is_unknown_and_reloaded),
                cmocka_unit_test(record_counts_only_when_an_image_is_loaded_and_not_kept_current),
                cmocka_unit_test(own_failed_load_that_left_nothing_loaded_is_retried),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

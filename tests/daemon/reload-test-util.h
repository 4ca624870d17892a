/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driving the reload engine by hand with a fake clock, shared by its unit
 * tests (test-reload.c, test-reload-cpus.c, test-kexec-run.c). */
#pragma once

#include <errno.h>
#include <string.h>

#include "reload.h"
#include "test-util.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define T0 (1000 * SEC)
#define MiB (UINT64_C(1) << 20)

_unused_ static const struct reload_engine_settings kexec_settings = {
        .mode = RELOAD_MODE_KEXEC,
        .can_load = true,
        .owns_loading = false,
        .method = LOAD_METHOD_KEXEC_LOAD,
        .backoff_min = SEC,
        .backoff_max = 4 * SEC,
};

/* One RAM range [1 MiB, @end): hand-made generations. */
static inline struct memrange_dump_ranges *ranges_to(uint64_t end) {
        struct memrange_dump_ranges *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        d->ranges = calloc(1, sizeof(*d->ranges));
        assert_non_null(d->ranges);
        d->n = 1;
        d->ranges[0] = (struct memrange_dump_range) { .start = MiB, .end = end };
        d->policy = MEMRANGE_DUMP_KEXEC_TOOLS_X86;
        d->arch = MEMRANGE_ARCH_X86_64;
        return d;
}

/* ---- driving the engine ---- */

static inline enum reload_action next(struct reload_engine *e, usec_t now, usec_t *deadline) {
        usec_t d = 0;
        enum reload_action a = reload_engine_next(e, now, &d);

        if (deadline)
                *deadline = d;
        return a;
}

/* Starts the attempt the engine asks for at @now and ends it. */
static inline void run_attempt(struct reload_engine *e, usec_t now, bool success) {
        struct reload_attempt a = { .success = success, .exit_status = success ? 0 : 1, .duration = 50 * MS };

        assert_int_equal(next(e, now, NULL), RELOAD_ACTION_START);
        assert_int_equal(reload_engine_started(e, now), 0);
        assert_true(e->in_flight);
        if (!success)
                a.error = strdup("exit status 1");
        reload_engine_finished(e, &a, now + 50 * MS);
        assert_false(e->in_flight);
}

/* An engine at generation 1 with an image loaded before it started. */
static inline void start_with_loaded(struct reload_engine *e, const struct reload_engine_settings *s,
                              struct memrange_dump_ranges *gen1, int crash_hotplug) {
        reload_engine_init(e, s);
        assert_int_equal(reload_engine_observe(e, 1, gen1, 1, crash_hotplug, T0),
                         crash_hotplug == 1 ? RELOAD_DECISION_KERNEL_CURRENT : RELOAD_DECISION_UNCHANGED);
        assert_int_equal(e->image.origin, IMAGE_BEFORE_START);
        assert_int_equal(e->image.generation, 1);
        assert_int_equal(next(e, T0, NULL), RELOAD_ACTION_IDLE);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Coalescing of rebuild hints: the pure core, then its sd-event timer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event-util.h"
#include "log.h"
#include "scheduler.h"

/* sd-event's default accuracy (0 = 250 ms) would stretch the quiet window
 * by up to its own length. */
#define SCHEDULER_TIMER_ACCURACY USEC_PER_MSEC

void rebuild_work_clear(struct rebuild_work *work) {
        free(work->blocks);
        *work = (struct rebuild_work) {};
}

/* ---- pure core ---- */

static bool timing_is_valid(usec_t quiet, usec_t max_delay) {
        return quiet <= SCHEDULER_TIMING_MAX && max_delay <= SCHEDULER_TIMING_MAX;
}

int coalescer_init(struct coalescer *c, usec_t quiet, usec_t max_delay) {
        if (!timing_is_valid(quiet, max_delay))
                return -ERANGE;
        *c = (struct coalescer) {
                .quiet = quiet,
                .max_delay = max_delay,
                .deadline = USEC_INFINITY,
        };
        return 0;
}

void coalescer_done(struct coalescer *c) {
        rebuild_work_clear(&c->work);
        c->pending = false;
        c->deadline = USEC_INFINITY;
}

int coalescer_set_timing(struct coalescer *c, usec_t quiet, usec_t max_delay) {
        if (!timing_is_valid(quiet, max_delay))
                return -ERANGE;
        c->quiet = quiet;
        c->max_delay = max_delay;
        return 0;
}

/* Saturates below USEC_INFINITY, which means "nothing armed". */
static usec_t usec_add(usec_t a, usec_t b) {
        return a >= USEC_INFINITY - 1 - b ? USEC_INFINITY - 1 : a + b;
}

/* Every hint: begin a cycle if none is pending, then move the deadline to
 * now + quiet, capped at first hint + max_delay. */
static usec_t coalescer_touch(struct coalescer *c, usec_t now) {
        usec_t quiet_end, cap;

        if (!c->pending) {
                c->pending = true;
                c->work.first_hint = now;
        }
        c->work.n_hints++;
        quiet_end = usec_add(now, c->quiet);
        cap = usec_add(c->work.first_hint, c->max_delay);
        c->deadline = quiet_end < cap ? quiet_end : cap;
        return c->deadline;
}

/* A full rescan re-reads every block, so the set is dropped. */
static void work_escalate(struct rebuild_work *w) {
        w->full_rescan = true;
        free(w->blocks);
        w->blocks = NULL;
        w->n_blocks = w->blocks_allocated = 0;
}

static bool work_grow_blocks(struct rebuild_work *w) {
        size_t n = w->blocks_allocated ? w->blocks_allocated * 2 : 16;
        uint64_t *b;

        b = reallocarray(w->blocks, n, sizeof(*b));
        if (!b)
                return false;
        w->blocks = b;
        w->blocks_allocated = n;
        return true;
}

/* Inserts @index into the sorted set unless present; beyond
 * SCHEDULER_BLOCKS_MAX distinct blocks, or without memory, escalates. */
static void work_add_block(struct rebuild_work *w, uint64_t index) {
        size_t lo = 0, hi = w->n_blocks;

        if (w->full_rescan)
                return;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (w->blocks[mid] < index)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < w->n_blocks && w->blocks[lo] == index)
                return;
        if (w->n_blocks >= SCHEDULER_BLOCKS_MAX ||
            (w->n_blocks == w->blocks_allocated && !work_grow_blocks(w))) {
                work_escalate(w);
                return;
        }
        memmove(w->blocks + lo + 1, w->blocks + lo, (w->n_blocks - lo) * sizeof(*w->blocks));
        w->blocks[lo] = index;
        w->n_blocks++;
}

/* Online/offline leave /proc/iomem as it is (DOMAIN.md 2), so re-reading
 * the block is enough. Add/remove change the layout (iomem, memmap, node
 * links) but name their block: the rebuild re-reads every other source
 * and only the named blocks. Any other action on a block (a synthetic
 * "change") is a hint to re-read it; an event naming no block is a full
 * rescan. */
static void work_add_memory_event(struct rebuild_work *w, const struct uevent *ev) {
        w->n_memory_events++;
        if (ev->action == UEVENT_ACTION_ADD || ev->action == UEVENT_ACTION_REMOVE)
                w->memory_layout_changed = true;
        if (ev->index == UEVENT_INDEX_NONE)
                work_escalate(w);
        else
                work_add_block(w, ev->index);
}

usec_t coalescer_hint_event(struct coalescer *c, const struct uevent *ev, usec_t now) {
        struct rebuild_work *w = &c->work;

        switch (ev->subsystem) {
        case UEVENT_SUBSYSTEM_MEMORY:
                work_add_memory_event(w, ev);
                break;
        case UEVENT_SUBSYSTEM_CPU:
                w->n_cpu_events++;
                w->cpus_changed = true;
                break;
        case UEVENT_SUBSYSTEM_NODE:
                /* A node appears or goes with memory that moves between
                 * nodes: links everywhere change. */
                w->n_node_events++;
                w->nodes_changed = true;
                work_escalate(w);
                break;
        default:
                return coalescer_deadline(c);
        }
        if (ev->synthetic)
                w->n_synthetic_events++;
        return coalescer_touch(c, now);
}

usec_t coalescer_hint_lost(struct coalescer *c, usec_t now) {
        c->work.n_lost++;
        work_escalate(&c->work);
        return coalescer_touch(c, now);
}

usec_t coalescer_request_full(struct coalescer *c, usec_t now) {
        c->work.n_requests++;
        work_escalate(&c->work);
        return coalescer_touch(c, now);
}

bool coalescer_pending(const struct coalescer *c) {
        return c->pending;
}

usec_t coalescer_deadline(const struct coalescer *c) {
        return c->pending ? c->deadline : USEC_INFINITY;
}

int coalescer_take_due(struct coalescer *c, usec_t now, struct rebuild_work *ret_work) {
        if (!c->pending || now < c->deadline)
                return 0;
        *ret_work = c->work;
        c->work = (struct rebuild_work) {};
        c->pending = false;
        c->deadline = USEC_INFINITY;
        return 1;
}

/* ---- sd-event wrapper ---- */

struct scheduler {
        sd_event *event;
        sd_event_source *timer; /* created on the first hint, oneshot */
        struct coalescer core;
        scheduler_rebuild_fn rebuild;
        void *userdata;
        uint64_t n_rebuilds;
};

static int scheduler_arm(struct scheduler *s, usec_t deadline);

static int scheduler_on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct scheduler *s = userdata;
        struct rebuild_work work;
        usec_t now;

        if (sd_event_now(s->event, CLOCK_MONOTONIC, &now) < 0)
                now = usec;
        if (coalescer_take_due(&s->core, now, &work) == 0) {
                (void) scheduler_arm(s, coalescer_deadline(&s->core));
                return 0;
        }
        s->n_rebuilds++;
        /* The owner may hint (or even free @s) from the callback: nothing
         * of @s is touched after it. */
        s->rebuild(s, &work, s->userdata);
        rebuild_work_clear(&work);
        return 0;
}

static int scheduler_arm(struct scheduler *s, usec_t deadline) {
        int r;

        if (deadline == USEC_INFINITY)
                return 0;
        if (!s->timer) {
                r = sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, deadline,
                                      SCHEDULER_TIMER_ACCURACY, scheduler_on_timer, s);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the rebuild timer: %m");
                (void) sd_event_source_set_description(s->timer, "rebuild-timer");
                return 0;
        }
        r = sd_event_source_set_time(s->timer, deadline);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the rebuild timer: %m");
        return 0;
}

int scheduler_new(sd_event *event, usec_t quiet, usec_t max_delay, scheduler_rebuild_fn rebuild,
                  void *userdata, struct scheduler **ret_scheduler) {
        struct scheduler *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = coalescer_init(&s->core, quiet, max_delay);
        if (r < 0) {
                free(s);
                return r;
        }
        s->event = sd_event_ref(event);
        s->rebuild = rebuild;
        s->userdata = userdata;
        *ret_scheduler = s;
        return 0;
}

struct scheduler *scheduler_free(struct scheduler *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->timer);
        sd_event_unref(s->event);
        coalescer_done(&s->core);
        free(s);
        return NULL;
}

int scheduler_set_timing(struct scheduler *s, usec_t quiet, usec_t max_delay) {
        return coalescer_set_timing(&s->core, quiet, max_delay);
}

int scheduler_hint_event(struct scheduler *s, const struct uevent *ev) {
        return scheduler_arm(s, coalescer_hint_event(&s->core, ev, event_now(s->event)));
}

int scheduler_hint_lost(struct scheduler *s) {
        return scheduler_arm(s, coalescer_hint_lost(&s->core, event_now(s->event)));
}

int scheduler_request_full(struct scheduler *s) {
        return scheduler_arm(s, coalescer_request_full(&s->core, event_now(s->event)));
}

bool scheduler_is_pending(const struct scheduler *s) {
        return coalescer_pending(&s->core);
}

usec_t scheduler_get_deadline(const struct scheduler *s) {
        return coalescer_deadline(&s->core);
}

uint64_t scheduler_get_n_rebuilds(const struct scheduler *s) {
        return s->n_rebuilds;
}

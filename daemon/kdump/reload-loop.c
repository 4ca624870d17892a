/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine driven by the event loop: attempts as children,
 * the backoff timer, the log of every attempt and the parties waiting for
 * an attempt's outcome. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event-util.h"
#include "log.h"
#include "memrange-cleanup.h"
#include "reload-loop.h"

/* One party waiting for an attempt's outcome. It sits in one of the loop's
 * lists, or in the batch being answered: @prevp points at whatever points
 * at it, so it can leave any of them. */
struct reload_wait {
        struct reload_wait *next, **prevp;
        reload_loop_done_fn done;
        void *userdata;
};

struct reload_loop {
        sd_event *event;
        struct kexec_plan plan;
        struct reload_engine engine;
        struct reload_loop_ops ops;
        void *userdata;
        struct kexec_job *job;
        sd_event_source *retry_timer;
        struct reload_wait *pending;   /* waiting for the next attempt (or decision) */
        struct reload_wait *in_flight; /* waiting for the running attempt */
        struct reload_wait *answering; /* being told an outcome */
        char *proc_iomem;
        char *record_path;        /* reload-record.h, or NULL */
        char boot_id[RELOAD_RECORD_BOOT_ID_MAX];
        bool logged;
        uint64_t logged_generation;
        enum reload_decision logged_decision;
};

static void pump(struct reload_loop *l);

static void engine_settings(const struct kexec_plan *plan, struct reload_engine_settings *ret) {
        kexec_plan_engine_settings(plan, ret);
}

/* ---------------------------------------------------------------------------
 * Waiters
 */

static void wait_unlink(struct reload_wait *w) {
        *w->prevp = w->next;
        if (w->next)
                w->next->prevp = w->prevp;
        w->next = NULL;
        w->prevp = NULL;
}

/* Appends the list @from to the end of @to: waiters are answered in the
 * order they came. */
static void waiters_append(struct reload_wait **to, struct reload_wait **from) {
        struct reload_wait **tail = to;

        if (!*from)
                return;
        while (*tail)
                tail = &(*tail)->next;
        *tail = *from;
        (*from)->prevp = tail;
        *from = NULL;
}

/* Tells every waiter of @list the outcome (NULL: the loop is going away)
 * and forgets it. */
static void waiters_answer(struct reload_loop *l, struct reload_wait **list, const struct reload_outcome *outcome) {
        struct reload_wait *w;

        /* Take the list first: a callback may add waiters for the next
         * attempt, or cancel others of this batch. */
        waiters_append(&l->answering, list);
        while ((w = l->answering)) {
                wait_unlink(w);
                w->done(outcome, w->userdata);
                free(w);
        }
}

/* ---------------------------------------------------------------------------
 * Logging
 */

static void log_decision(struct reload_loop *l, enum reload_decision d) {
        const struct reload_engine *e = &l->engine;
        uint64_t g = e->generation;

        if (l->logged && l->logged_generation == g && l->logged_decision == d)
                return;
        l->logged = true;
        l->logged_generation = g;
        l->logged_decision = d;
        switch (d) {
        case RELOAD_DECISION_UNAVAILABLE:
                log_debug("Generation %" PRIu64 ": this kernel has no kexec crash support", g);
                break;
        case RELOAD_DECISION_RANGES_UNKNOWN:
                log_warning("Generation %" PRIu64 ": its dump ranges cannot be computed, no kdump decision", g);
                break;
        case RELOAD_DECISION_KERNEL_CURRENT:
                log_info("Generation %" PRIu64 ": the kernel keeps the crash image current (crash_hotplug), "
                         "no kdump reload",
                         g);
                break;
        case RELOAD_DECISION_UNCHANGED:
                log_info("Generation %" PRIu64 ": dump ranges unchanged, no kdump reload", g);
                break;
        case RELOAD_DECISION_TRACK_ONLY:
                if (e->image.origin != IMAGE_NONE)
                        log_notice("Generation %" PRIu64 ": the loaded crash image lacks this generation's dump ranges "
                                   "and reloading is off (%s)",
                                   g, l->plan.error ?: l->plan.origin ?: "Mode=off");
                break;
        case RELOAD_DECISION_NOT_LOADED:
                log_info("Generation %" PRIu64 ": no crash kernel loaded (loading it is kdump-tools' job)", g);
                break;
        case RELOAD_DECISION_NEEDED:
                log_info("Generation %" PRIu64 ": %s", g,
                         e->image.origin == IMAGE_NONE ? "no crash kernel loaded, loading one"
                                                       : "dump ranges changed, reloading kdump");
                break;
        default:
                break;
        }
}

static void log_output(int priority, const char *program, const char *output) {
        const char *line = output;

        while (line && *line) {
                const char *nl = strchr(line, '\n');
                int len = nl ? (int) (nl - line) : (int) strlen(line);

                log_full_errno(priority, 0, "  %s: %.*s", program, len, line);
                line = nl ? nl + 1 : NULL;
        }
}

static void log_attempt(const struct reload_loop *l, const struct reload_attempt *a) {
        const char *program = l->plan.argv ? l->plan.argv[0] : "?";
        char retry[64] = "";

        if (!a->success)
                snprintf(retry, sizeof(retry), "; retrying in %.3g s",
                         (double) (l->engine.retry_at - event_now(l->event)) / (double) USEC_PER_SEC);
        log_full_errno(a->success ? LOG_INFO : LOG_WARNING, 0,
                       "kdump reload of generation %" PRIu64 "%s %s in %.3f s (%s%s)%s", a->generation,
                       a->forced ? " (forced)" : "", a->success ? "succeeded" : "failed",
                       (double) a->duration / (double) USEC_PER_SEC,
                       a->error ?: "exit status 0",
                       a->namespace_used ? ", with the table's /proc/iomem" : "", retry);
        if (a->namespace_error)
                log_warning("kdump reload ran without the table's /proc/iomem: %s", a->namespace_error);
        log_output(a->success ? LOG_DEBUG : LOG_WARNING, program, a->output);
}

/* ---------------------------------------------------------------------------
 * Attempts
 */

/* Records that generation @e->in_flight_generation's ranges are being
 * loaded (@done false) or were loaded. A failure to write costs a reload
 * after a restart, never a load now: it is only logged. */
static void write_record(struct reload_loop *l, bool done) {
        const struct reload_engine *e = &l->engine;
        const struct memrange_dump_ranges *ranges = done ? e->image.ranges : e->in_flight_ranges;
        struct reload_record rec = {
                .done = done,
                .generation = e->in_flight_generation,
                .ranges = (struct memrange_dump_ranges *) ranges,
        };
        int r;

        if (!l->record_path || !ranges)
                return;
        strcpy(rec.boot_id, l->boot_id);
        r = reload_record_write(l->record_path, &rec);
        if (r < 0)
                log_warning_errno(r, "Cannot write %s (a restart will reload kdump to be sure): %m", l->record_path);
}

static void finish_attempt(struct reload_loop *l, struct reload_attempt *attempt) {
        struct reload_outcome outcome = { .attempted = true };
        bool success = attempt->success;

        reload_engine_finished(&l->engine, attempt, event_now(l->event));
        /* A failed attempt leaves the record pending: what is loaded now
         * (the old image, or none after Command= unloaded) is unknown. */
        if (success)
                write_record(l, true);
        log_attempt(l, &l->engine.last);
        outcome.attempt = &l->engine.last;
        waiters_answer(l, &l->in_flight, &outcome);
        if (l->ops.ended)
                l->ops.ended(l->userdata);
}

static char *failure_text(const struct reload_loop *l, const struct kexec_job_result *r) {
        char *text = NULL;
        int k;

        if (r->spawn_error)
                k = asprintf(&text, "cannot run %s: %s", l->plan.argv[0], strerror(-r->spawn_error));
        else if (r->timed_out)
                k = asprintf(&text, "killed after %.3g s (TimeoutSec=)", (double) l->plan.timeout / (double) USEC_PER_SEC);
        else if (r->signal)
                k = asprintf(&text, "killed by signal %s", strsignal(r->signal));
        else if (r->exit_status != 0)
                k = asprintf(&text, "exit status %d", r->exit_status);
        else
                return NULL;
        return k < 0 ? NULL : text;
}

/* The way of loading that just failed has a next one (LoadMethod=auto):
 * take it and try again at once, without the backoff. A failed load may
 * have left no crash kernel at all (the kernel frees the old image before
 * it loads the new one), so waiting would only widen that window. The
 * dump ranges follow the new way (the kernel's header or kexec-tools'). */
static void fall_back(struct reload_loop *l, const struct reload_attempt *a) {
        struct reload_engine_settings s;
        int r;

        r = kexec_plan_fall_back(&l->plan, a->error ?: "failed");
        if (r <= 0) {
                if (r < 0)
                        log_error_errno(r, "Cannot change the kdump load method: %m");
                return;
        }
        log_warning("kdump: %s; trying %s%s now", l->plan.fallback_reason, load_method_to_string(l->plan.method),
                    l->plan.hotplug ? " --hotplug" : "");
        engine_settings(&l->plan, &s);
        reload_engine_set_settings(&l->engine, &s);
        reload_engine_retry_now(&l->engine);
        if (l->ops.replan)
                l->ops.replan(l->userdata);
}

static void on_job_done(struct kexec_job *job, struct kexec_job_result *r, void *userdata) {
        struct reload_loop *l = userdata;
        struct reload_attempt a = {
                .duration = r->duration,
                .success = !r->spawn_error && !r->timed_out && !r->signal && r->exit_status == 0,
                .exit_status = r->exit_status,
                .signal = r->signal,
                .timed_out = r->timed_out,
                .namespace_used = r->namespace_used,
                .namespace_error = TAKE_PTR(r->namespace_error),
                .output = TAKE_PTR(r->output),
        };

        a.error = failure_text(l, r);
        if (!a.success && !a.error)
                a.error = strdup("failed");
        l->job = kexec_job_free(job);
        finish_attempt(l, &a);
        if (!l->engine.last.success)
                fall_back(l, &l->engine.last);
        pump(l);
        if (!l->job && l->ops.idle)
                l->ops.idle(l->userdata);
}

/* Fails the attempt just started without running anything. */
static void fail_start(struct reload_loop *l, const char *what, int error) {
        struct reload_attempt a = { .exit_status = -1 };

        if (asprintf(&a.error, "%s: %s", what, strerror(abs(error))) < 0)
                a.error = NULL;
        finish_attempt(l, &a);
}

/* Starts the attempt the engine asked for. Returns true when the engine
 * must be asked again (the attempt ended at once). */
static bool start_attempt(struct reload_loop *l) {
        _cleanup_(freep) char *iomem = NULL, *generation = NULL;
        _cleanup_(kdump_views_done) struct kdump_views views = {};
        char *env[2] = {};
        size_t len = 0;
        int r, rendered;

        rendered = l->ops.render(l->userdata, &iomem, &len);
        if (rendered >= 0 && l->ops.views)
                rendered = l->ops.views(l->userdata, &views);
        r = reload_engine_started(&l->engine, event_now(l->event));
        if (r < 0) {
                log_error_errno(r, "Cannot start a kdump reload: %m");
                return false;
        }
        waiters_append(&l->in_flight, &l->pending);
        if (rendered < 0) {
                fail_start(l, "cannot render /proc/iomem", rendered);
                return true;
        }
        if (asprintf(&generation, KEXEC_ENV_GENERATION "=%" PRIu64, l->engine.in_flight_generation) < 0) {
                fail_start(l, "cannot start", ENOMEM);
                return true;
        }
        env[0] = generation;
        write_record(l, false);
        r = kexec_job_start(l->event,
                            &(const struct kexec_job_spec) {
                                    .argv = l->plan.argv,
                                    .env = env,
                                    .iomem = iomem,
                                    .iomem_len = len,
                                    .timeout = l->plan.timeout,
                                    .proc_iomem = l->proc_iomem,
                                    .views = views.views,
                                    .n_views = views.n,
                            },
                            on_job_done, l, &l->job);
        if (r < 0) {
                fail_start(l, "cannot start", r);
                return true;
        }
        log_debug("kdump reload of generation %" PRIu64 " started: %s ...", l->engine.in_flight_generation,
                  l->plan.argv[0]);
        return false;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        pump(userdata);
        return 0;
}

static void arm_retry(struct reload_loop *l, usec_t deadline) {
        int r;

        if (!l->retry_timer) {
                r = sd_event_add_time(l->event, &l->retry_timer, CLOCK_MONOTONIC, deadline, 0, on_retry, l);
                if (r >= 0)
                        (void) sd_event_source_set_description(l->retry_timer, "reload-retry");
        } else {
                r = sd_event_source_set_time(l->retry_timer, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(l->retry_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_error_errno(r, "Cannot arm the kdump reload retry timer: %m");
}

/* Does what the engine asks until it has nothing more to do now. */
static void pump(struct reload_loop *l) {
        for (;;) {
                struct reload_outcome outcome = {};
                usec_t deadline = 0;

                switch (reload_engine_next(&l->engine, event_now(l->event), &deadline)) {
                case RELOAD_ACTION_START:
                        if (start_attempt(l))
                                continue;
                        return;
                case RELOAD_ACTION_WAIT:
                        arm_retry(l, deadline);
                        return;
                default:
                        if (l->retry_timer)
                                (void) sd_event_source_set_enabled(l->retry_timer, SD_EVENT_OFF);
                        if (l->engine.in_flight)
                                return;
                        outcome.decision = l->engine.decision;
                        outcome.attempt = l->engine.has_last ? &l->engine.last : NULL;
                        waiters_answer(l, &l->pending, &outcome);
                        return;
                }
        }
}

/* ---------------------------------------------------------------------------
 * Interface
 */

int reload_loop_new(sd_event *event, struct kexec_plan *plan, const struct reload_loop_ops *ops, void *userdata,
                    struct reload_loop **ret_loop) {
        struct reload_engine_settings settings;
        struct reload_loop *l;

        l = calloc(1, sizeof(*l));
        if (!l) {
                kexec_plan_done(plan);
                return -ENOMEM;
        }
        l->event = sd_event_ref(event);
        l->plan = *plan;
        *plan = (struct kexec_plan) {};
        l->ops = *ops;
        l->userdata = userdata;
        engine_settings(&l->plan, &settings);
        reload_engine_init(&l->engine, &settings);
        *ret_loop = l;
        return 0;
}

struct reload_loop *reload_loop_free(struct reload_loop *l) {
        if (!l)
                return NULL;
        l->job = kexec_job_free(l->job);
        sd_event_source_disable_unref(l->retry_timer);
        waiters_answer(l, &l->in_flight, NULL);
        waiters_answer(l, &l->pending, NULL);
        reload_engine_done(&l->engine);
        kexec_plan_done(&l->plan);
        free(l->proc_iomem);
        free(l->record_path);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

void reload_loop_set_plan(struct reload_loop *l, struct kexec_plan *plan) {
        struct reload_engine_settings settings;

        kexec_plan_done(&l->plan);
        l->plan = *plan;
        *plan = (struct kexec_plan) {};
        engine_settings(&l->plan, &settings);
        reload_engine_set_settings(&l->engine, &settings);
        l->logged = false;
        pump(l);
}

enum reload_decision reload_loop_observe(struct reload_loop *l, uint64_t generation, struct memrange_dump_ranges *ranges,
                                         int crash_loaded, int crash_hotplug) {
        enum reload_decision d;

        d = reload_engine_observe(&l->engine, generation, ranges, crash_loaded, crash_hotplug, event_now(l->event));
        log_decision(l, d);
        pump(l);
        return d;
}

int reload_loop_request(struct reload_loop *l, bool force, reload_loop_done_fn done, void *userdata,
                        struct reload_wait **ret_wait) {
        struct reload_wait *w, *list;

        if (!done || !ret_wait)
                return -EINVAL;
        if (l->plan.mode == RELOAD_MODE_OFF || !l->plan.argv)
                return -EOPNOTSUPP;
        w = malloc(sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (struct reload_wait) { .done = done, .userdata = userdata };
        list = w;
        waiters_append(&l->pending, &list);
        /* pump() may answer at once: the caller learns the handle first. */
        *ret_wait = w;
        reload_engine_request(&l->engine, force);
        pump(l);
        return 0;
}

struct reload_wait *reload_wait_cancel(struct reload_wait *w) {
        if (!w)
                return NULL;
        wait_unlink(w);
        free(w);
        return NULL;
}

bool reload_loop_busy(const struct reload_loop *l) {
        return l->engine.in_flight;
}

void reload_loop_set_foreign(struct reload_loop *l, struct memrange_dump_ranges *foreign, bool ranges_drop_ram) {
        reload_engine_set_foreign(&l->engine, foreign, ranges_drop_ram);
}

const struct reload_engine *reload_loop_engine(const struct reload_loop *l) {
        return &l->engine;
}

const struct kexec_plan *reload_loop_plan(const struct reload_loop *l) {
        return &l->plan;
}

void reload_loop_set_proc_iomem(struct reload_loop *l, const char *path) {
        free(l->proc_iomem);
        l->proc_iomem = path ? strdup(path) : NULL;
}

void reload_loop_set_record(struct reload_loop *l, const char *path, const char *boot_id) {
        free(l->record_path);
        l->record_path = path ? strdup(path) : NULL;
        snprintf(l->boot_id, sizeof(l->boot_id), "%s", boot_id ?: "");
}

void reload_loop_set_startup_image(struct reload_loop *l, bool interrupted, struct memrange_dump_ranges *ranges) {
        reload_engine_set_startup_image(&l->engine, interrupted, ranges);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's metrics: gathering them and keeping node_exporter's file
 * current (see metrics.h for when it is written and why that way). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "version.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"

/* CLOCK_MONOTONIC @usec as CLOCK_REALTIME: node_exporter's readers compare
 * it with time(), and a textfile holds no "seconds ago" that stays true. */
static usec_t monotonic_to_realtime(usec_t usec) {
        usec_t mono = now_usec(CLOCK_MONOTONIC), real = now_usec(CLOCK_REALTIME);

        if (usec > mono || mono - usec > real)
                return real;
        return real - (mono - usec);
}

static usec_t stale_since_realtime(struct metrics_file *f, usec_t monotonic) {
        if (monotonic == 0)
                return 0;
        if (monotonic != f->stale_since_monotonic) {
                f->stale_since_monotonic = monotonic;
                f->stale_since_realtime = monotonic_to_realtime(monotonic);
        }
        return f->stale_since_realtime;
}

static void collect_kdump(struct manager *m, struct memranged_metrics *x) {
        const struct reload_engine *e = m->reload ? reload_loop_engine(m->reload) : NULL;

        if (!e)
                return;
        x->has_kdump = true;
        x->kdump_loaded = e->crash_loaded;
        x->kdump_up_to_date = manager_kdump_up_to_date(m);
        x->kdump_stale_since_usec = stale_since_realtime(&m->metrics, e->stale_since);
        x->reloads_succeeded = e->stats.reloads;
        x->reloads_failed = e->stats.failures;
        x->has_last_reload = e->has_last;
        x->last_reload_duration_usec = e->has_last ? e->last.duration : 0;
}

int manager_metrics_collect(struct manager *m, struct memranged_metrics *ret) {
        const struct state *s = m->state;
        const struct state_stats *st = &s->stats;
        struct memranged_metrics x = {
                .has_daemon = true,
                .version = PROJECT_VERSION,
                .generation = s->generation,
                .rebuild_failures = st->failures,
                .kdump_loaded = -1,
        };
        struct memrange_findings findings;
        struct uevent_stats u;
        int r;

        /* The findings as GetStatus counts them. */
        r = manager_findings(m, &findings);
        if (r < 0)
                return r;
        memranged_metrics_set_table(&x, s->table, &findings);
        free(findings.items);
        x.rescans[METRICS_RESCAN_STARTUP] = st->by_reason[CHANGE_STARTUP];
        x.rescans[METRICS_RESCAN_UEVENT] = st->by_reason[CHANGE_UEVENT];
        x.rescans[METRICS_RESCAN_REQUESTED] = st->by_reason[CHANGE_RESCAN];
        x.rescans[METRICS_RESCAN_LOST_EVENTS] = st->by_reason[CHANGE_LOST_EVENTS];
        manager_uevent_stats(m, &u);
        x.uevents[METRICS_UEVENT_DELIVERED] = u.delivered;
        x.uevents[METRICS_UEVENT_IGNORED] = u.ignored;
        x.uevents[METRICS_UEVENT_MALFORMED] = u.malformed;
        x.uevents[METRICS_UEVENT_LOST] = u.lost_enobufs + u.truncated;
        collect_kdump(m, &x);
        *ret = x;
        return 0;
}

int manager_metrics_render(struct manager *m, char **ret_text, size_t *ret_len) {
        struct memranged_metrics x;
        int r;

        r = manager_metrics_collect(m, &x);
        if (r < 0)
                return r;
        return memranged_metrics_render(&x, ret_text, ret_len);
}

/* ---------------------------------------------------------------------------
 * The file
 */

static void remove_written(struct metrics_file *f) {
        char path[4096];

        if (!f->written_dir)
                return;
        if (snprintf(path, sizeof(path), "%s/%s", f->written_dir, METRICS_FILE_NAME) < (int) sizeof(path) &&
            unlink(path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove %s: %m", path);
        free(f->written_dir);
        f->written_dir = NULL;
}

/* Logs a failure once per distinct error, and the recovery. */
static void note_result(struct metrics_file *f, const char *dir, int r) {
        if (r < 0 && r != f->last_error)
                log_warning_errno(r, "Cannot write the metrics file %s/%s: %m (logged once until it changes)",
                                  dir, METRICS_FILE_NAME);
        else if (r >= 0 && f->last_error < 0)
                log_info("Metrics file %s/%s written again", dir, METRICS_FILE_NAME);
        f->last_error = r < 0 ? r : 0;
}

static int write_now(struct manager *m) {
        struct metrics_file *f = &m->metrics;
        const char *dir = m->config.metrics_directory;
        _cleanup_(freep) char *text = NULL;
        usec_t started, took;
        size_t len;
        int r;

        if (f->written_dir && (!dir || strcmp(dir, f->written_dir) != 0))
                remove_written(f);
        if (!dir)
                return 0;
        r = manager_metrics_render(m, &text, &len);
        if (r < 0) {
                note_result(f, dir, r);
                return r;
        }
        started = now_usec(CLOCK_MONOTONIC);
        r = write_file_atomic(dir, METRICS_FILE_NAME, text, len, METRICS_FILE_MODE);
        took = now_usec(CLOCK_MONOTONIC) - started;
        note_result(f, dir, r);
        if (took > METRICS_SLOW_USEC && !f->slow_logged) {
                log_warning("Writing the metrics file into %s took %" PRIu64 " ms (logged once)", dir,
                            took / USEC_PER_MSEC);
                f->slow_logged = true;
        }
        if (r >= 0 && !f->written_dir) {
                f->written_dir = strdup(dir);
                if (!f->written_dir)
                        log_warning("Out of memory: %s/%s will stay behind at exit", dir, METRICS_FILE_NAME);
        }
        return r;
}

static int on_write(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;

        m->metrics.pending = sd_event_source_disable_unref(m->metrics.pending);
        (void) write_now(m);
        return 0;
}

void manager_metrics_schedule(struct manager *m) {
        struct metrics_file *f = &m->metrics;
        int r;

        if (f->pending || (!m->config.metrics_directory && !f->written_dir))
                return;
        r = sd_event_add_defer(m->event, &f->pending, on_write, m);
        if (r >= 0)
                r = sd_event_source_set_priority(f->pending, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                (void) sd_event_source_set_description(f->pending, "metrics-file");
        if (r < 0) {
                f->pending = sd_event_source_disable_unref(f->pending);
                log_warning_errno(r, "Cannot schedule the metrics file's update: %m");
        }
}

void manager_metrics_done(struct manager *m) {
        m->metrics.pending = sd_event_source_disable_unref(m->metrics.pending);
        remove_written(&m->metrics);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's metrics (memranged(8), METRICS): gathered from the state,
 * the uevent receivers and the reload engine, rendered by
 * varlink/memranged-metrics.c for the GetMetrics method and for the file
 * node_exporter's textfile collector reads ([Metrics] Directory=).
 *
 * The file is rewritten after every change the manager announces
 * (manager_notify_status(): a rebuild, the reload engine going idle, a
 * configuration reload) and after every reload attempt (the reload loop's
 * "ended" hook), never from the path that made the change: a
 * deferred event source of idle priority coalesces the announcements of
 * one loop iteration into one write, after the clients were served. A
 * write that fails is logged once per distinct error, and one slower than
 * METRICS_SLOW_USEC once, never at every change. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "memranged-metrics.h"
#include "time-util.h"

struct manager;

/* The file in [Metrics] Directory=: node_exporter reads "*.prom". */
#define METRICS_FILE_NAME "memranged.prom"
#define METRICS_FILE_MODE 0644
#define METRICS_SLOW_USEC (1 * USEC_PER_SEC)

struct metrics_file {
        sd_event_source *pending; /* the deferred write, while one is due */
        char *written_dir;        /* where the file was last written (removed at exit), or NULL */
        int last_error;           /* -errno of the last failed write, 0 after a success */
        bool slow_logged;
        /* The reload engine's stale_since (CLOCK_MONOTONIC) as last seen
         * and as CLOCK_REALTIME: converted once, so that every rendering
         * says the same time. */
        usec_t stale_since_monotonic, stale_since_realtime;
};

/* The metrics of @m now, the findings counted as GetStatus counts them
 * (manager_findings()). Borrows strings from @m. -ENOMEM. */
int manager_metrics_collect(struct manager *m, struct memranged_metrics *ret);
/* Their text (caller frees *ret_text). -ENOMEM. */
int manager_metrics_render(struct manager *m, char **ret_text, size_t *ret_len);

/* Something changed: the file is rewritten once the loop is idle. No-op
 * without [Metrics] Directory= (a file written before is then removed). */
void manager_metrics_schedule(struct manager *m);
/* At exit: drops a pending write and removes the file, whose values would
 * otherwise outlive the daemon in node_exporter's scrapes. */
void manager_metrics_done(struct manager *m);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged's metrics in Prometheus' text exposition format (0.0.4): the
 * one renderer behind the file memranged writes for node_exporter's
 * textfile collector, the GetMetrics method and `memrangectl metrics`
 * (online: memranged's text; offline: the families that need no daemon).
 *
 * The caller fills a struct memranged_metrics with plain values; the
 * renderer knows the names, types and help texts of every family and
 * writes each family's HELP and TYPE once, before its samples. No
 * physical address is ever a value or a label. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange.h"

/* The label values of memranged_rescans_total{reason}. */
enum metrics_rescan_reason {
        METRICS_RESCAN_STARTUP = 0, /* the first scan */
        METRICS_RESCAN_UEVENT,      /* kernel events */
        METRICS_RESCAN_REQUESTED,   /* the Rescan method */
        METRICS_RESCAN_LOST_EVENTS, /* events were lost */
        _METRICS_RESCAN_MAX,
};

/* The label values of memranged_uevents_total{outcome}. */
enum metrics_uevent_outcome {
        METRICS_UEVENT_DELIVERED = 0, /* memory, cpu and node events: a rebuild hint */
        METRICS_UEVENT_IGNORED,       /* other subsystems, udev, senders other than the kernel */
        METRICS_UEVENT_MALFORMED,
        METRICS_UEVENT_LOST,          /* overflows and truncated messages */
        _METRICS_UEVENT_MAX,
};

struct memranged_metrics {
        /* The table: the daemon's current generation, or what memrangectl
         * read offline. */
        bool has_table;
        uint64_t ranges;
        uint64_t ram_online, ram_offline;                  /* bytes of RAM ranges */
        uint64_t findings[MEMRANGE_SEVERITY_ERROR + 1];    /* by enum memrange_severity */

        /* The running daemon; absent offline. */
        bool has_daemon;
        const char *version;                               /* borrowed */
        uint64_t generation;
        uint64_t rescans[_METRICS_RESCAN_MAX];
        uint64_t rebuild_failures;
        uint64_t uevents[_METRICS_UEVENT_MAX];

        /* The crash kernel as the reload engine sees it (daemon only). */
        bool has_kdump;
        int kdump_loaded;                     /* kexec_crash_loaded: 0/1, -1 unknown (no sample) */
        bool kdump_up_to_date;
        uint64_t kdump_stale_since_usec;      /* CLOCK_REALTIME; 0: not stale */
        uint64_t reloads_succeeded, reloads_failed;
        bool has_last_reload;
        uint64_t last_reload_duration_usec;
};

/* Renders @m into a new NUL-terminated text (the caller frees
 * *ret_text); *ret_len is its length. -ENOMEM, or -errno of the memory
 * stream. */
int memranged_metrics_render(const struct memranged_metrics *m, char **ret_text, size_t *ret_len);

/* The table part of @m from a table and its findings (either may be
 * NULL: counted as empty); sets has_table. */
void memranged_metrics_set_table(struct memranged_metrics *m, const struct memrange_table *table,
                                 const struct memrange_findings *findings);

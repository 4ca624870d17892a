/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged's metrics as Prometheus text: every family declared once in
 * a table below (name, type, label, help), written with its samples in
 * one place, so HELP and TYPE come exactly once and before the samples. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "memranged-metrics.h"

struct family {
        const char *name;
        const char *type;  /* "gauge" or "counter" */
        const char *label; /* the one label's name, or NULL */
        bool usec;         /* values are microseconds, written as seconds */
        const char *help;
};

enum {
        F_INFO,
        F_GENERATION,
        F_RANGES,
        F_MEMORY,
        F_FINDINGS,
        F_RESCANS,
        F_REBUILD_FAILURES,
        F_UEVENTS,
        F_KDUMP_LOADED,
        F_KDUMP_UP_TO_DATE,
        F_KDUMP_STALE_SINCE,
        F_RELOADS,
        F_RELOAD_DURATION,
        _F_MAX,
};

static const struct family families[_F_MAX] = {
        [F_INFO] = { "memranged_info", "gauge", "version", false, "memranged's version; always 1." },
        [F_GENERATION] = { "memranged_generation", "gauge", NULL, false,
                           "Generation of the range table: it grows by one at every change." },
        [F_RANGES] = { "memranged_ranges", "gauge", NULL, false, "Ranges in the table." },
        [F_MEMORY] = { "memranged_memory_bytes", "gauge", "state", false,
                       "Bytes of RAM in the table, online or offline." },
        [F_FINDINGS] = { "memranged_findings", "gauge", "severity", false,
                         "Disagreements between kernel sources in the current table, by severity." },
        [F_RESCANS] = { "memranged_rescans_total", "counter", "reason", false,
                        "Rebuilds of the table (failed ones included), by what caused them." },
        [F_REBUILD_FAILURES] = { "memranged_rebuild_failures_total", "counter", NULL, false,
                                 "Rebuilds that failed and left the table as it was." },
        [F_UEVENTS] = { "memranged_uevents_total", "counter", "outcome", false,
                        "Kernel uevents: delivered as rebuild hints, ignored, malformed, or lost (each loss "
                        "forces a full rescan)." },
        [F_KDUMP_LOADED] = { "memranged_kdump_loaded", "gauge", NULL, false,
                             "1 when a crash kernel is loaded (kexec_crash_loaded)." },
        [F_KDUMP_UP_TO_DATE] = { "memranged_kdump_up_to_date", "gauge", NULL, false,
                                 "1 when the loaded crash kernel holds the dump ranges of the current table." },
        [F_KDUMP_STALE_SINCE] = { "memranged_kdump_stale_since_timestamp_seconds", "gauge", NULL, true,
                                  "Unix time since which the crash kernel lacks dump ranges of the table; 0 "
                                  "when it does not." },
        [F_RELOADS] = { "memranged_reloads_total", "counter", "result", false,
                        "Crash kernel reload attempts, by result." },
        [F_RELOAD_DURATION] = { "memranged_reload_duration_seconds", "gauge", NULL, true,
                                "How long the last crash kernel reload attempt took." },
};

static const char *const rescan_reasons[_METRICS_RESCAN_MAX] = {
        [METRICS_RESCAN_STARTUP] = "startup",
        [METRICS_RESCAN_UEVENT] = "uevent",
        [METRICS_RESCAN_REQUESTED] = "rescan",
        [METRICS_RESCAN_LOST_EVENTS] = "lost-events",
};

static const char *const uevent_outcomes[_METRICS_UEVENT_MAX] = {
        [METRICS_UEVENT_DELIVERED] = "delivered",
        [METRICS_UEVENT_IGNORED] = "ignored",
        [METRICS_UEVENT_MALFORMED] = "malformed",
        [METRICS_UEVENT_LOST] = "lost",
};

static const char *const severities[MEMRANGE_SEVERITY_ERROR + 1] = {
        [MEMRANGE_SEVERITY_INFO] = "info",
        [MEMRANGE_SEVERITY_WARNING] = "warning",
        [MEMRANGE_SEVERITY_ERROR] = "error",
};

/* The text format's escapes: a label value escapes backslash, double
 * quote and newline; a HELP text backslash and newline. */
static void put_escaped(FILE *f, const char *s, bool quote) {
        for (; *s; s++)
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '"' && quote)
                        fputs("\\\"", f);
                else
                        fputc(*s, f);
}

static void put_value(FILE *f, const struct family *fam, uint64_t v) {
        if (fam->usec)
                fprintf(f, "%" PRIu64 ".%06" PRIu64 "\n", v / 1000000u, v % 1000000u);
        else
                fprintf(f, "%" PRIu64 "\n", v);
}

/* One family: HELP, TYPE, then a sample per value; @label_values[i]
 * labels values[i] (NULL when the family has no label). */
static void write_family(FILE *f, unsigned id, const char *const *label_values, const uint64_t *values, size_t n) {
        const struct family *fam = &families[id];

        fprintf(f, "# HELP %s ", fam->name);
        put_escaped(f, fam->help, false);
        fprintf(f, "\n# TYPE %s %s\n", fam->name, fam->type);
        for (size_t i = 0; i < n; i++) {
                fputs(fam->name, f);
                if (fam->label && label_values) {
                        fprintf(f, "{%s=\"", fam->label);
                        put_escaped(f, label_values[i], true);
                        fputs("\"}", f);
                }
                fputc(' ', f);
                put_value(f, fam, values[i]);
        }
}

static void write_one(FILE *f, unsigned id, uint64_t value) {
        write_family(f, id, NULL, &value, 1);
}

static void write_table(FILE *f, const struct memranged_metrics *m) {
        static const char *const states[] = { "online", "offline" };
        uint64_t memory[] = { m->ram_online, m->ram_offline };

        write_one(f, F_RANGES, m->ranges);
        write_family(f, F_MEMORY, states, memory, ELEMENTSOF(memory));
        write_family(f, F_FINDINGS, severities, m->findings, ELEMENTSOF(m->findings));
}

static void write_daemon(FILE *f, const struct memranged_metrics *m) {
        write_family(f, F_INFO, &m->version, &(uint64_t) { 1 }, 1);
        write_one(f, F_GENERATION, m->generation);
        write_family(f, F_RESCANS, rescan_reasons, m->rescans, ELEMENTSOF(m->rescans));
        write_one(f, F_REBUILD_FAILURES, m->rebuild_failures);
        write_family(f, F_UEVENTS, uevent_outcomes, m->uevents, ELEMENTSOF(m->uevents));
}

static void write_kdump(FILE *f, const struct memranged_metrics *m) {
        static const char *const results[] = { "success", "failure" };
        uint64_t reloads[] = { m->reloads_succeeded, m->reloads_failed };

        if (m->kdump_loaded >= 0)
                write_one(f, F_KDUMP_LOADED, (uint64_t) m->kdump_loaded);
        write_one(f, F_KDUMP_UP_TO_DATE, m->kdump_up_to_date);
        write_one(f, F_KDUMP_STALE_SINCE, m->kdump_stale_since_usec);
        write_family(f, F_RELOADS, results, reloads, ELEMENTSOF(reloads));
        if (m->has_last_reload)
                write_one(f, F_RELOAD_DURATION, m->last_reload_duration_usec);
}

int memranged_metrics_render(const struct memranged_metrics *m, char **ret_text, size_t *ret_len) {
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&text, &len);
        if (!f)
                return -errno;
        if (m->has_daemon)
                write_daemon(f, m);
        if (m->has_table)
                write_table(f, m);
        if (m->has_kdump)
                write_kdump(f, m);
        if (ferror(f)) {
                fclose(f);
                free(text);
                return -ENOMEM;
        }
        if (fclose(f) != 0) {
                free(text);
                return -errno;
        }
        *ret_text = text;
        *ret_len = len;
        return 0;
}

void memranged_metrics_set_table(struct memranged_metrics *m, const struct memrange_table *table,
                                 const struct memrange_findings *findings) {
        m->has_table = true;
        m->ranges = 0;
        m->ram_online = m->ram_offline = 0;
        if (table)
                memrange_table_foreach(x, table) {
                        m->ranges++;
                        if (x->type != MEMRANGE_TYPE_RAM)
                                continue;
                        if (x->flags & MEMRANGE_F_OFFLINE)
                                m->ram_offline += x->end - x->start;
                        else
                                m->ram_online += x->end - x->start;
                }
        for (size_t i = 0; i < ELEMENTSOF(m->findings); i++)
                m->findings[i] = 0;
        for (size_t i = 0; findings && i < findings->n; i++)
                if (findings->items[i].severity < ELEMENTSOF(m->findings))
                        m->findings[findings->items[i].severity]++;
}

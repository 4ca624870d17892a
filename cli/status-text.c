/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status, the text form (status.h): the sections both modes
 * share, the sysroot's crash kernel files offline, and online memranged's
 * own state (generation, uevent counters, pending rebuild, kdump). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "time-util.h"

/* ---- both modes ---- */

/* "  label                    value"; a negative @value (its kernel file is
 * missing) prints n/a. */
static void print_optional(const char *label, int64_t value) {
        if (value < 0)
                printf("  %-24s n/a\n", label);
        else
                printf("  %-24s %" PRIi64 "\n", label, value);
}

static void print_sources(const struct memrange_sources *s) {
        puts("Sources:");
        for (size_t i = 0; i < STATUS_N_SOURCES; i++) {
                printf("  %-24s %s", memrange_source_to_name(1u << i), status_source_status_name(s->status[i]));
                if (s->status[i] == MEMRANGE_SOURCE_ERROR && s->error[i])
                        printf(": %s", s->error[i]);
                putchar('\n');
        }
}

static void print_table_totals(const struct status *st, bool in_bytes) {
        char size[32];

        if (!st->d->table) {
                printf("Table: %zu ranges (addresses hidden: memranged shows them only to root and members of "
                       "group memrange)\n",
                       st->n_ranges);
                return;
        }
        printf("Table: %zu ranges, %s\n", st->n_ranges, out_format_size(st->total_bytes, in_bytes, size, sizeof(size)));
        for (size_t t = 0; t < _MEMRANGE_TYPE_MAX; t++) {
                if (st->by_type[t].ranges == 0)
                        continue;
                printf("  %-24s %zu %s, %s\n", memrange_type_to_name(t), st->by_type[t].ranges,
                       st->by_type[t].ranges == 1 ? "range" : "ranges",
                       out_format_size(st->by_type[t].bytes, in_bytes, size, sizeof(size)));
        }
}

/* One "reservation" line per crash kernel reservation ("none" when there
 * is none, "hidden" when addresses were refused). */
static void print_reservations(const struct status *st, bool in_bytes) {
        const struct memrange_list *list = &st->reservations;
        char buf[256], size[32];

        if (!st->d->table) {
                printf("  %-24s hidden\n", "reservation");
                return;
        }
        if (list->n == 0)
                printf("  %-24s none\n", "reservation");
        for (size_t i = 0; i < list->n; i++) {
                const struct memrange *r = &list->ranges[i];

                printf("  %-24s %s (%s)%s\n", "reservation", out_format_range(r->start, r->end, buf, sizeof(buf)),
                       out_format_size(r->end - r->start, in_bytes, size, sizeof(size)),
                       r->flags & MEMRANGE_F_CRASH_LOW ? " low" : "");
        }
}

/* ppc64's linux,memory-limit (memranged(8), "Per architecture"). */
static void print_memory_limit(const struct status *st) {
        char address[32] = "hidden";

        if (!st->has_memory_limit)
                return;
        if (st->memory_limit != 0)
                snprintf(address, sizeof(address), "0x%016" PRIx64, st->memory_limit);
        printf("  %-24s %s (%s)\n", "memory limit", address,
               st->memory_limit_boot_only ? "only boot RAM: memranged's loads read it as 0"
                                          : "asked for: kexec-tools dumps nothing above it");
}

static void print_crash(const struct status *st, const struct memrange_crash *c, bool in_bytes) {
        _cleanup_(freep) char *possible = NULL, *online = NULL;

        puts("Crash kernel:");
        print_reservations(st, in_bytes);
        print_optional("kexec_loaded", c->kexec_loaded);
        print_optional("kexec_crash_loaded", c->kexec_crash_loaded);
        print_optional("kexec_crash_size", c->kexec_crash_size);
        print_optional("crash_hotplug (memory)", c->crash_hotplug_memory);
        print_optional("crash_hotplug (cpu)", c->crash_hotplug_cpu);
        print_memory_limit(st);
        print_optional("crash_elfcorehdr_size", c->crash_elfcorehdr_size);
        printf("  %-24s %s\n", "CPUs possible",
               memrange_idset_to_string(&c->possible, &possible) < 0 ? "(out of memory)" : possible);
        printf("  %-24s %s\n", "CPUs online",
               memrange_idset_to_string(&c->online, &online) < 0 ? "(out of memory)" : online);
}

/* ---- memranged's own state ---- */

static const char *yes_no(bool value) {
        return value ? "yes" : "no";
}

static void print_u64(const char *label, uint64_t value) {
        printf("  %-24s %" PRIu64 "\n", label, value);
}

/* How long ago @usec of CLOCK_MONOTONIC was, into @buf; "" when in the
 * future (another boot's clock cannot be compared). */
static const char *ago(uint64_t usec, char *buf, size_t size) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        buf[0] = '\0';
        if (now == 0)
                return buf;
        if (usec <= now)
                snprintf(buf, size, "%.1f s ago", (double) (now - usec) / 1e6);
        return buf;
}

static void print_daemon(const struct cli_daemon_status *s) {
        char buf[64];

        printf("Daemon: memranged %s at %s\n", s->version, s->socket);
        print_u64("generation", s->generation);
        if (*ago(s->changed_usec, buf, sizeof(buf)))
                printf("  %-24s %s\n", "table changed", buf);
        print_u64("uevents received", s->uevents_received);
        print_u64("uevents ignored", s->uevents_ignored);
        print_u64("uevents lost", s->uevents_lost);
        print_u64("rebuilds", s->rebuilds);
        print_u64("full rescans", s->full_rescans);
        printf("  %-24s %s\n", "rebuild pending", yes_no(s->rebuild_pending));
        if (s->last_error)
                printf("  %-24s %s\n", "last rebuild failed", s->last_error);
}

static void print_online_ram(const struct cli_daemon_status *s, bool in_bytes) {
        char total[32], online[32], offline[32];

        printf("  %-24s %s (%s online, %s offline)\n", "RAM", out_format_size(s->total_ram, in_bytes, total, sizeof(total)),
               out_format_size(s->online_ram, in_bytes, online, sizeof(online)),
               out_format_size(s->offline_ram, in_bytes, offline, sizeof(offline)));
}

static const char *crash_hotplug_name(int value) {
        return value < 0 ? "n/a" : value ? "1" : "0";
}

/* ---- the reload engine (members of "kdump" a daemon may not send) ---- */

static const char *get_string(struct json_object *o, const char *key) {
        const char *v = NULL;

        (void) mj_get_string(o, key, false, &v, NULL);
        return v;
}

static bool get_u64(struct json_object *o, const char *key, uint64_t *ret) {
        return o && mj_get_u64(o, key, false, ret, NULL) > 0;
}

/* "in 1.5 s" for a CLOCK_MONOTONIC time ahead, "now" when passed. */
static const char *in(uint64_t usec, char *buf, size_t size) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (usec > now)
                snprintf(buf, size, "in %.1f s", (double) (usec - now) / 1e6);
        else
                snprintf(buf, size, "now");
        return buf;
}

static void print_image(const struct cli_daemon_status *s, struct json_object *k) {
        const char *by = get_string(k, "loaded_by"), *method = get_string(k, "method");
        uint64_t generation, usec;
        char buf[64];

        if (by)
                printf("  %-24s %s%s%s%s\n", "loaded by", by, method ? " (" : "", method ?: "", method ? ")" : "");
        if (get_string(k, "image_ranges"))
                printf("  %-24s %s\n", "image ranges", get_string(k, "image_ranges"));
        if (get_u64(k, "loaded_generation", &generation))
                printf("  %-24s %" PRIu64 " (current %" PRIu64 ")\n", "loaded generation", generation, s->generation);
        if (get_string(k, "image_cpus")) {
                const char *missing = get_string(k, "image_cpus_missing");

                printf("  %-24s %s%s%s%s\n", "image CPUs", get_string(k, "image_cpus"),
                       missing && *missing ? " (lacks " : "", missing && *missing ? missing : "",
                       missing && *missing ? ")" : "");
        }
        if (get_u64(k, "stale_since_usec", &usec) && *ago(usec, buf, sizeof(buf)))
                printf("  %-24s %s\n", "stale since", buf);
}

/* The failure's own message: the last lines kexec (or Command=) printed,
 * joined into one line ("Cannot open /proc/kallsyms ...; Can't find kernel
 * text map area from kcore; Cannot load ...": the cause is rarely the very
 * last line). The output reaches privileged callers only. */
#define FAILURE_LINES 3
#define FAILURE_TEXT_MAX 320

static void print_failure(const char *error, const char *output) {
        const char *lines[FAILURE_LINES] = {}, *end = output ? output + strlen(output) : NULL;
        size_t lens[FAILURE_LINES] = {}, n = 0, used = 0;

        printf("  %-24s %s", "last reload error", error);
        /* Walk back over the output, keeping the last non-blank lines. */
        while (end && end > output && n < FAILURE_LINES) {
                const char *start = end;
                size_t len;

                while (start > output && start[-1] != '\n')
                        start--;
                len = (size_t) (end - start);
                while (len > 0 && strchr(" \t\r\n", start[len - 1]))
                        len--;
                if (len > 0) {
                        lines[n] = start;
                        lens[n++] = len;
                }
                end = start > output ? start - 1 : start;
        }
        for (size_t i = n; i-- > 0;) {
                size_t len = lens[i];

                if (used + len > FAILURE_TEXT_MAX) {
                        printf("%s%.*s...", i + 1 == n ? ": " : "; ", (int) (FAILURE_TEXT_MAX - used), lines[i]);
                        break;
                }
                printf("%s%.*s", i + 1 == n ? ": " : "; ", (int) len, lines[i]);
                used += len;
        }
        putchar('\n');
}

static void print_last_reload(struct json_object *k) {
        struct json_object *last = NULL;
        uint64_t generation = 0, duration = 0, started = 0;
        const char *result, *error, *ns_error;
        bool in_namespace = true;
        char buf[64];

        if (mj_get_object(k, "last_reload", false, &last, NULL) <= 0)
                return;
        result = get_string(last, "result");
        error = get_string(last, "error");
        ns_error = get_string(last, "namespace_error");
        (void) get_u64(last, "generation", &generation);
        (void) get_u64(last, "duration_usec", &duration);
        (void) mj_get_bool(last, "namespace", false, &in_namespace, NULL);
        buf[0] = '\0';
        if (get_u64(last, "started_usec", &started))
                (void) ago(started, buf, sizeof(buf));
        printf("  %-24s generation %" PRIu64 ": %s in %.3f s%s%s\n", "last reload", generation, result ?: "?",
               (double) duration / 1e6, buf[0] ? ", " : "", buf);
        if (error)
                print_failure(error, get_string(last, "output"));
        if (!in_namespace)
                printf("  %-24s no: %s\n", "with the table's iomem", ns_error ?: "not asked for");
}

/* One line per attempt of "history" when it holds more than the last. */
static void print_history(struct json_object *k) {
        struct json_object *history = NULL;
        size_t n;

        if (mj_get_array(k, "history", false, &history, NULL) <= 0 || (n = json_object_array_length(history)) < 2)
                return;
        for (size_t i = 0; i < n; i++) {
                struct json_object *a = json_object_array_get_idx(history, i);
                uint64_t generation = 0, duration = 0, started = 0;
                const char *error = get_string(a, "error");
                char buf[64] = "";

                (void) get_u64(a, "generation", &generation);
                (void) get_u64(a, "duration_usec", &duration);
                if (get_u64(a, "started_usec", &started))
                        (void) ago(started, buf, sizeof(buf));
                printf("  %-24s generation %" PRIu64 ": %s in %.3f s%s%s%s%s%s\n", i == 0 ? "recent reloads" : "",
                       generation, get_string(a, "result") ?: "?", (double) duration / 1e6, buf[0] ? ", " : "", buf,
                       error ? " (" : "", error ?: "", error ? ")" : "");
        }
}

static void print_reload(const struct cli_daemon_status *s) {
        struct json_object *k = s->kdump;
        uint64_t attempts = 0, reloads = 0, failures = 0, skipped = 0, follow_ups = 0, retry;
        const char *mode = get_string(k, "mode"), *reason = get_string(k, "mode_reason");
        const char *problem = get_string(k, "mode_error");
        bool reloading = false;
        char buf[64];

        if (!mode) /* an older daemon */
                return;
        printf("  %-24s %s%s%s%s\n", "reload mode", mode, reason ? " (" : "", reason ?: "", reason ? ")" : "");
        if (problem)
                printf("  %-24s %s\n", "reload problem", problem);
        if (get_string(k, "load_method"))
                printf("  %-24s %s (%s)\n", "load method", get_string(k, "load_method"),
                       get_string(k, "load_method_reason") ?: "?");
        if (get_string(k, "load_method_fallback"))
                printf("  %-24s %s\n", "load method fallback", get_string(k, "load_method_fallback"));
        print_image(s, k);
        if (mj_get_bool(k, "reloading", false, &reloading, NULL) > 0 && reloading)
                printf("  %-24s yes\n", "reloading");
        if (get_u64(k, "retry_usec", &retry))
                printf("  %-24s %s\n", "next attempt", in(retry, buf, sizeof(buf)));
        (void) get_u64(k, "attempts", &attempts);
        (void) get_u64(k, "reloads", &reloads);
        (void) get_u64(k, "failures", &failures);
        (void) get_u64(k, "skipped", &skipped);
        (void) get_u64(k, "follow_ups", &follow_ups);
        printf("  %-24s %" PRIu64 " of %" PRIu64 " attempts (%" PRIu64 " failed, %" PRIu64 " follow-ups), %" PRIu64
               " skipped\n",
               "reloads", reloads, attempts, failures, follow_ups, skipped);
        print_last_reload(k);
        print_history(k);
}

static void print_online_crash(const struct status *st, bool in_bytes) {
        const struct cli_daemon_status *s = st->d->daemon;

        puts("Crash kernel:");
        print_reservations(st, in_bytes);
        printf("  %-24s %s\n", "kdump loaded", yes_no(s->kdump_loaded));
        printf("  %-24s %s\n", "crash_hotplug", crash_hotplug_name(s->kdump_crash_hotplug));
        print_memory_limit(st);
        printf("  %-24s %s\n", "kdump state", s->kdump_state);
        print_reload(s);
}

/* ---- the whole form ---- */

void status_print_text(const struct status *st, bool in_bytes) {
        const struct cli_data *d = st->d;

        if (d->daemon)
                print_daemon(d->daemon);
        else
                printf("Sysroot: %s\n", d->sysroot);
        print_sources(d->sources);
        if (cli_iomem_hidden(d))
                printf("  %s\n", CLI_HIDDEN_EXPLANATION);
        print_table_totals(st, in_bytes);
        if (d->daemon)
                print_online_ram(d->daemon, in_bytes);
        if (d->daemon)
                print_online_crash(st, in_bytes);
        else if (d->sources->crash)
                print_crash(st, d->sources->crash, in_bytes);
        else
                puts("Crash kernel: n/a");
        printf("Findings: %" PRIu64 " errors, %" PRIu64 " warnings, %" PRIu64 " info\n",
               st->findings[MEMRANGE_SEVERITY_ERROR],
               st->findings[MEMRANGE_SEVERITY_WARNING], st->findings[MEMRANGE_SEVERITY_INFO]);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status, online: memranged's own state (generation, uevent
 * counters, pending rebuild, kdump) around the sections both modes share. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "time-util.h"

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

void status_print_daemon(const struct cli_daemon_status *s) {
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

void status_print_online_ram(const struct cli_daemon_status *s, bool in_bytes) {
        char total[32], online[32], offline[32];

        printf("  %-24s %s (%s online, %s offline)\n", "RAM", out_format_size(s->total_ram, in_bytes, total, sizeof(total)),
               out_format_size(s->online_ram, in_bytes, online, sizeof(online)),
               out_format_size(s->offline_ram, in_bytes, offline, sizeof(offline)));
}

void status_build_online_ram(struct mj_builder *table, const struct cli_daemon_status *s) {
        mj_build_u64(table, "total_ram", s->total_ram);
        mj_build_u64(table, "online_ram", s->online_ram);
        mj_build_u64(table, "offline_ram", s->offline_ram);
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

void status_print_online_crash(const struct cli_data *d, bool in_bytes) {
        const struct cli_daemon_status *s = d->daemon;

        puts("Crash kernel:");
        status_print_reservations(d->table, in_bytes);
        printf("  %-24s %s\n", "kdump loaded", yes_no(s->kdump_loaded));
        printf("  %-24s %s\n", "crash_hotplug", crash_hotplug_name(s->kdump_crash_hotplug));
        printf("  %-24s %s\n", "kdump state", s->kdump_state);
        print_reload(s);
}

void status_build_online_crash(struct mj_builder *b, const char *key, const struct cli_data *d) {
        const struct cli_daemon_status *s = d->daemon;
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        status_build_reservations(&obj, "reservations", d->table);
        mj_build_bool(&obj, "kdump_loaded", s->kdump_loaded);
        if (s->kdump_crash_hotplug < 0)
                mj_build_null(&obj, "crash_hotplug");
        else
                mj_build_bool(&obj, "crash_hotplug", s->kdump_crash_hotplug);
        mj_build_string(&obj, "kdump_state", s->kdump_state);
        /* The reload engine's state as the daemon reports it. */
        if (s->kdump)
                mj_build(&obj, "kdump", json_object_get(s->kdump));
        else
                mj_build_null(&obj, "kdump");
        mj_build_object(b, key, &obj);
}

void status_build_daemon(struct mj_builder *b, const char *key, const struct cli_daemon_status *s) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());
        struct mj_builder uevents = mj_builder_on(json_object_new_object());

        mj_build_u64(&uevents, "received", s->uevents_received);
        mj_build_u64(&uevents, "ignored", s->uevents_ignored);
        mj_build_u64(&uevents, "lost", s->uevents_lost);
        mj_build_u64(&uevents, "rebuilds", s->rebuilds);
        mj_build_u64(&uevents, "full_rescans", s->full_rescans);
        mj_build_bool(&uevents, "pending", s->rebuild_pending);

        mj_build_string(&obj, "socket", s->socket);
        mj_build_string(&obj, "version", s->version);
        mj_build_u64(&obj, "generation", s->generation);
        mj_build_u64(&obj, "changed_usec", s->changed_usec);
        mj_build_bool(&obj, "addresses_hidden", s->addresses_hidden);
        if (s->last_error)
                mj_build_string(&obj, "last_error", s->last_error);
        else
                mj_build_null(&obj, "last_error");
        mj_build_object(&obj, "uevents", &uevents);
        mj_build_object(b, key, &obj);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: filling struct cli_data from memranged's replies (online
 * mode), converted by the library's JSON layer into the same records that
 * offline mode reads, so that both print through the same code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "online.h"

void cli_daemon_status_free(struct cli_daemon_status *s) {
        if (!s)
                return;
        free(s->version);
        free(s->kdump_state);
        json_object_put(s->kdump);
        free(s->last_error);
        free(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cli_daemon_status *, cli_daemon_status_free)

/* Records "@object.@key" and @reason; returns -EBADMSG. */
static int fail(struct memrange_json_error *error, const char *object, const char *key, const char *reason) {
        snprintf(error->path, sizeof(error->path), "%s%s%s", object, *object ? "." : "", key);
        snprintf(error->reason, sizeof(error->reason), "%s", reason);
        return -EBADMSG;
}

/* Required members of GetStatus: 0, or -EBADMSG naming the member. */
static int need_u64(struct json_object *o, const char *object, const char *key, uint64_t *ret,
                    struct memrange_json_error *error) {
        int r = varlink_json_get_uint64(o, key, ret);

        return r > 0 ? 0 : fail(error, object, key, r == 0 ? "missing" : "expected an unsigned integer");
}

static int need_bool(struct json_object *o, const char *object, const char *key, bool *ret,
                     struct memrange_json_error *error) {
        int r = varlink_json_get_bool(o, key, ret);

        return r > 0 ? 0 : fail(error, object, key, r == 0 ? "missing" : "expected a boolean");
}

static int need_string(struct json_object *o, const char *object, const char *key, char **ret,
                       struct memrange_json_error *error) {
        const char *s;
        int r = varlink_json_get_string(o, key, &s);

        if (r <= 0)
                return fail(error, object, key, r == 0 ? "missing" : "expected a string");
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int optional_string(struct json_object *o, const char *key, char **ret, struct memrange_json_error *error) {
        const char *s;
        int r = varlink_json_get_string(o, key, &s);

        if (r < 0)
                return fail(error, "", key, "expected a string");
        if (r == 0)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int need_object(struct json_object *o, const char *key, struct json_object **ret,
                       struct memrange_json_error *error) {
        int r = varlink_json_get_object(o, key, ret);

        return r > 0 ? 0 : fail(error, "", key, r == 0 ? "missing" : "expected an object");
}

static int parse_counters(struct json_object *params, struct cli_daemon_status *s,
                          struct memrange_json_error *error) {
        struct json_object *f, *u;
        int r;

        if ((r = need_object(params, "findings", &f, error)) < 0 ||
            (r = need_u64(f, "findings", "errors", &s->findings[MEMRANGE_SEVERITY_ERROR], error)) < 0 ||
            (r = need_u64(f, "findings", "warnings", &s->findings[MEMRANGE_SEVERITY_WARNING], error)) < 0 ||
            (r = need_u64(f, "findings", "infos", &s->findings[MEMRANGE_SEVERITY_INFO], error)) < 0)
                return r;
        if ((r = need_object(params, "uevents", &u, error)) < 0 ||
            (r = need_u64(u, "uevents", "received", &s->uevents_received, error)) < 0 ||
            (r = need_u64(u, "uevents", "ignored", &s->uevents_ignored, error)) < 0 ||
            (r = need_u64(u, "uevents", "lost", &s->uevents_lost, error)) < 0 ||
            (r = need_u64(u, "uevents", "rebuilds", &s->rebuilds, error)) < 0 ||
            (r = need_u64(u, "uevents", "full_rescans", &s->full_rescans, error)) < 0 ||
            (r = need_bool(u, "uevents", "pending", &s->rebuild_pending, error)) < 0)
                return r;
        return 0;
}

/* The optional members of the reload engine's status that status shows:
 * absent is fine (an older daemon), mistyped is not. */
static int check_reload_members(struct json_object *k, struct memrange_json_error *error) {
        static const char *const strings[] = { "mode", "mode_reason", "mode_error", "loaded_by", "method", NULL };
        static const char *const numbers[] = { "loaded_generation", "stale_since_usec", "retry_usec", "attempts",
                                                "reloads", "failures", "skipped", "follow_ups", NULL };
        static const char *const last_strings[] = { "result", "error", "namespace_error", NULL };
        static const char *const last_numbers[] = { "generation", "started_usec", "duration_usec", NULL };
        struct json_object *last = NULL;
        const char *str;
        uint64_t u;
        bool b;
        int r = 0;

        for (size_t i = 0; r >= 0 && strings[i]; i++)
                r = mj_get_string(k, strings[i], false, &str, error);
        for (size_t i = 0; r >= 0 && numbers[i]; i++)
                r = mj_get_u64(k, numbers[i], false, &u, error);
        if (r >= 0)
                r = mj_get_bool(k, "reloading", false, &b, error);
        if (r >= 0 && varlink_json_get_object(k, "last_reload", &last) < 0)
                r = mj_fail(error, "last_reload", "expected an object");
        for (size_t i = 0; r >= 0 && last && last_strings[i]; i++)
                r = mj_get_string(last, last_strings[i], false, &str, error);
        for (size_t i = 0; r >= 0 && last && last_numbers[i]; i++)
                r = mj_get_u64(last, last_numbers[i], false, &u, error);
        if (r >= 0 && last)
                r = mj_get_bool(last, "namespace", false, &b, error);
        if (r < 0 && last)
                mj_prefix(error, "last_reload");
        return r;
}

static int parse_kdump(struct json_object *params, struct cli_daemon_status *s, struct memrange_json_error *error) {
        struct json_object *k;
        bool hotplug;
        int r;

        if ((r = need_object(params, "kdump", &k, error)) < 0 || (r = need_bool(k, "kdump", "loaded", &s->kdump_loaded, error)) < 0 ||
            (r = need_string(k, "kdump", "state", &s->kdump_state, error)) < 0)
                return r;
        r = varlink_json_get_bool(k, "crash_hotplug", &hotplug);
        if (r < 0)
                return fail(error, "kdump", "crash_hotplug", "expected a boolean");
        s->kdump_crash_hotplug = r == 0 ? -1 : hotplug;
        r = check_reload_members(k, error);
        if (r < 0) {
                mj_prefix(error, "kdump");
                return r;
        }
        s->kdump = json_object_get(k);
        return 0;
}

int cli_daemon_status_parse(struct json_object *params, struct cli_daemon_status **ret_status,
                            struct memrange_sources **ret_sources, struct memrange_json_error *error) {
        _cleanup_(cli_daemon_status_freep) struct cli_daemon_status *s = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct json_object *array;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if ((r = need_string(params, "", "version", &s->version, error)) < 0 ||
            (r = need_u64(params, "", "generation", &s->generation, error)) < 0 ||
            (r = need_u64(params, "", "changed_usec", &s->changed_usec, error)) < 0 ||
            (r = need_u64(params, "", "ranges", &s->ranges, error)) < 0 ||
            (r = need_u64(params, "", "total_ram", &s->total_ram, error)) < 0 ||
            (r = need_u64(params, "", "online_ram", &s->online_ram, error)) < 0 ||
            (r = need_u64(params, "", "offline_ram", &s->offline_ram, error)) < 0 ||
            (r = parse_counters(params, s, error)) < 0 || (r = parse_kdump(params, s, error)) < 0)
                return r;

        r = optional_string(params, "last_error", &s->last_error, error);
        if (r < 0)
                return r;
        if (varlink_json_get_array(params, "sources", &array) <= 0)
                return fail(error, "", "sources", "expected an array");
        r = memrange_json_to_sources_status(array, &sources, error);
        if (r < 0) {
                if (r == -EBADMSG)
                        mj_prefix(error, "sources");
                return r;
        }
        *ret_status = TAKE_PTR(s);
        *ret_sources = TAKE_PTR(sources);
        return 0;
}

/* ---- the calls ---- */

/* One consistent picture: every reply must carry the generation GetStatus
 * gave, else the table changed between the calls. */
struct load {
        const struct cli_global *g;
        struct cli_data *d;
        bool consistent;
};

static int check_generation(struct load *l, const char *method, struct json_object *params) {
        uint64_t generation;
        int r;

        r = cli_reply_u64(l->g, method, params, "generation", &generation);
        if (r > 0)
                return r;
        if (generation != l->d->daemon->generation)
                l->consistent = false;
        return 0;
}

/* Converts a JSON failure of the reply to @method into its exit code. */
static int conversion_failed(struct load *l, const char *method, const char *member, int error,
                             struct memrange_json_error *e) {
        if (error == -ENOMEM) {
                cli_error("out of memory");
                return EXIT_FINDINGS;
        }
        if (member && error == -EBADMSG)
                mj_prefix(e, "%s", member);
        return cli_bad_reply(l->g, method, e);
}

static int load_status(struct load *l) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct memrange_json_error e = {};
        int r;

        r = cli_call(l->g, "GetStatus", NULL, NULL, &params);
        if (r != 0)
                return r;
        r = cli_daemon_status_parse(params, &l->d->daemon, &l->d->sources, &e);
        if (r < 0)
                return conversion_failed(l, "GetStatus", NULL, r, &e);
        l->d->daemon->socket = l->g->socket;
        return 0;
}

/* The methods that carry addresses: with CLI_WANT_OPTIONAL a refusal
 * (AddressesHidden) is noted and the data stays NULL. */
static int call_addresses(struct load *l, unsigned want, const char *method, struct json_object *params,
                          struct json_object **ret) {
        static const char *const hidden[] = { CLI_ERROR_ADDRESSES_HIDDEN, NULL };
        int r;

        r = cli_call(l->g, method, params, want & CLI_WANT_OPTIONAL ? hidden : NULL, ret);
        if (r == CLI_TOLERATED) {
                l->d->daemon->addresses_hidden = true;
                return 0;
        }
        if (r != 0)
                return r;
        return check_generation(l, method, *ret);
}

static int load_table(struct load *l, unsigned want, const struct memrange_json_filter *filter) {
        _cleanup_(json_object_putp) struct json_object *params = NULL, *request = NULL;
        struct memrange_json_error e = {};
        struct json_object *ranges;
        int r;

        if (filter && memrange_json_filter_to_json(filter, &request) < 0)
                return conversion_failed(l, "ListRanges", NULL, -ENOMEM, &e);
        r = call_addresses(l, want, "ListRanges", TAKE_PTR(request), &params);
        if (r != 0 || !params)
                return r;
        if (varlink_json_get_array(params, "ranges", &ranges) <= 0)
                return conversion_failed(l, "ListRanges", "ranges", fail(&e, "", "", "expected an array"), &e);
        r = memrange_json_to_table(ranges, &l->d->table, &e);
        return r < 0 ? conversion_failed(l, "ListRanges", "ranges", r, &e) : 0;
}

static int load_blocks(struct load *l, unsigned want) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct memrange_json_error e = {};
        int r;

        r = call_addresses(l, want, "ListBlocks", NULL, &params);
        if (r != 0 || !params)
                return r;
        r = memrange_json_to_blocks(params, &l->d->sources->blocks, &e);
        return r < 0 ? conversion_failed(l, "ListBlocks", NULL, r, &e) : 0;
}

static int load_findings(struct load *l, unsigned want) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct memrange_json_error e = {};
        struct json_object *findings;
        int r;

        r = call_addresses(l, want, "ListFindings", NULL, &params);
        if (r != 0 || !params)
                return r;
        if (varlink_json_get_array(params, "findings", &findings) <= 0)
                return conversion_failed(l, "ListFindings", "findings", fail(&e, "", "", "expected an array"),
                                         &e);
        r = memrange_json_to_findings(findings, &l->d->findings, &e);
        return r < 0 ? conversion_failed(l, "ListFindings", "findings", r, &e) : 0;
}

static int load_once(const struct cli_global *g, const struct cli_query *q, struct cli_data *d,
                     bool *ret_consistent) {
        struct load l = { .g = g, .d = d, .consistent = true };
        unsigned want = q ? q->want : 0;
        int r;

        r = load_status(&l);
        if (r == 0 && (want & CLI_WANT_TABLE))
                r = load_table(&l, want, q->filter);
        if (r == 0 && (want & CLI_WANT_BLOCKS) && !d->daemon->addresses_hidden)
                r = load_blocks(&l, want);
        if (r == 0 && (want & CLI_WANT_FINDINGS) && !d->daemon->addresses_hidden)
                r = load_findings(&l, want);
        *ret_consistent = l.consistent;
        return r;
}

/* A table that changes between our calls is read again, a few times. */
#define LOAD_ATTEMPTS 3

int cli_data_load_online(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret) {
        for (unsigned attempt = 1;; attempt++) {
                struct cli_data d = {};
                bool consistent;
                int r;

                r = load_once(g, q, &d, &consistent);
                if (r != 0 || (!consistent && attempt < LOAD_ATTEMPTS)) {
                        cli_data_done(&d);
                        if (r != 0)
                                return r;
                        continue;
                }
                *ret = d;
                return 0;
        }
}

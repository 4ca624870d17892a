/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: memranged's GetStatus reply (varlink/io.memranged.varlink)
 * checked into struct cli_daemon_status, and its release. The record of
 * the daemon's own state that load-online.c fetches and status shows. */
#include <errno.h>
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

/* The string member @key of @o, copied; *ret untouched when it is
 * optional and absent. */
static int get_string_dup(struct json_object *o, const char *key, bool required, char **ret,
                          struct mj_error *error) {
        const char *value;
        int r;

        r = mj_get_string(o, key, required, &value, error);
        if (r <= 0)
                return r;
        *ret = strdup(value);
        return *ret ? 0 : -ENOMEM;
}

typedef int (*member_parse_fn)(struct json_object *object, struct cli_daemon_status *s,
                               struct mj_error *error);

/* Hands the required object member @key of @o to @parse; a failure inside
 * it is named by its path ("uevents.pending"). */
static int parse_member(struct json_object *o, const char *key, member_parse_fn parse, struct cli_daemon_status *s,
                        struct mj_error *error) {
        struct json_object *member = NULL;
        int r;

        r = mj_get_object(o, key, true, &member, error);
        if (r < 0)
                return r;
        r = parse(member, s, error);
        if (r == -EBADMSG)
                mj_prefix(error, "%s", key);
        return r;
}

static int parse_findings(struct json_object *f, struct cli_daemon_status *s, struct mj_error *error) {
        int r;

        if ((r = mj_get_u64(f, "errors", true, &s->findings[MEMRANGE_SEVERITY_ERROR], error)) < 0 ||
            (r = mj_get_u64(f, "warnings", true, &s->findings[MEMRANGE_SEVERITY_WARNING], error)) < 0 ||
            (r = mj_get_u64(f, "infos", true, &s->findings[MEMRANGE_SEVERITY_INFO], error)) < 0)
                return r;
        return 0;
}

static int parse_uevents(struct json_object *u, struct cli_daemon_status *s, struct mj_error *error) {
        int r;

        if ((r = mj_get_u64(u, "received", true, &s->uevents_received, error)) < 0 ||
            (r = mj_get_u64(u, "ignored", true, &s->uevents_ignored, error)) < 0 ||
            (r = mj_get_u64(u, "lost", true, &s->uevents_lost, error)) < 0 ||
            (r = mj_get_u64(u, "rebuilds", true, &s->rebuilds, error)) < 0 ||
            (r = mj_get_u64(u, "full_rescans", true, &s->full_rescans, error)) < 0 ||
            (r = mj_get_bool(u, "pending", true, &s->rebuild_pending, error)) < 0)
                return r;
        return 0;
}

/* The optional members of the reload engine's status that status shows:
 * absent is fine (an older daemon), mistyped is not. */
static int check_reload_members(struct json_object *k, struct mj_error *error) {
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
        if (r >= 0)
                r = mj_get_object(k, "last_reload", false, &last, error);
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

/* The optional "blocks" member: lsmem's totals of the memory blocks. */
static int parse_block_totals(struct json_object *params, struct cli_daemon_status *s,
                              struct mj_error *error) {
        struct json_object *b = NULL;
        int r;

        r = mj_get_object(params, "blocks", false, &b, error);
        if (r <= 0)
                return r;
        if ((r = mj_get_u64(b, "block_size", true, &s->block_size, error)) < 0 ||
            (r = mj_get_u64(b, "online", true, &s->blocks_online, error)) < 0 ||
            (r = mj_get_u64(b, "offline", true, &s->blocks_offline, error)) < 0) {
                mj_prefix(error, "blocks");
                return r;
        }
        s->has_block_totals = true;
        return 0;
}

static int parse_kdump(struct json_object *k, struct cli_daemon_status *s, struct mj_error *error) {
        bool hotplug, boot_only;
        int r;

        if ((r = mj_get_bool(k, "loaded", true, &s->kdump_loaded, error)) < 0 ||
            (r = get_string_dup(k, "state", true, &s->kdump_state, error)) < 0)
                return r;
        r = mj_get_bool(k, "crash_hotplug", false, &hotplug, error);
        if (r < 0)
                return r;
        s->kdump_crash_hotplug = r == 0 ? -1 : hotplug;
        r = mj_get_bool(k, "memory_limit_boot_only", false, &boot_only, error);
        if (r < 0)
                return r;
        s->kdump_memory_limit_boot_only = r == 0 ? -1 : boot_only;
        r = mj_get_u64(k, "memory_limit", false, &s->kdump_memory_limit, error);
        if (r < 0)
                return r;
        r = check_reload_members(k, error);
        if (r < 0)
                return r;
        s->kdump = json_object_get(k);
        return 0;
}

int cli_daemon_status_parse(struct json_object *params, struct cli_daemon_status **ret_status,
                            struct memrange_sources **ret_sources, struct mj_error *error) {
        _cleanup_(cli_daemon_status_freep) struct cli_daemon_status *s = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct json_object *array;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if ((r = get_string_dup(params, "version", true, &s->version, error)) < 0 ||
            (r = mj_get_u64(params, "generation", true, &s->generation, error)) < 0 ||
            (r = mj_get_u64(params, "changed_usec", true, &s->changed_usec, error)) < 0 ||
            (r = mj_get_u64(params, "ranges", true, &s->ranges, error)) < 0 ||
            (r = mj_get_u64(params, "total_ram", true, &s->total_ram, error)) < 0 ||
            (r = mj_get_u64(params, "online_ram", true, &s->online_ram, error)) < 0 ||
            (r = mj_get_u64(params, "offline_ram", true, &s->offline_ram, error)) < 0 ||
            (r = parse_block_totals(params, s, error)) < 0 ||
            (r = parse_member(params, "findings", parse_findings, s, error)) < 0 ||
            (r = parse_member(params, "uevents", parse_uevents, s, error)) < 0 ||
            (r = parse_member(params, "kdump", parse_kdump, s, error)) < 0 ||
            (r = get_string_dup(params, "last_error", false, &s->last_error, error)) < 0 ||
            (r = mj_get_array(params, "sources", true, &array, error)) < 0)
                return r;
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

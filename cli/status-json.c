/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status, the JSON form (status.h): the same sections as the
 * text form, for both modes, built with json-util.h's builder. */
#include <errno.h>
#include <stdio.h>

#include <json.h>

#include "json-util.h"
#include "status.h"

/* A count whose kernel file may be missing: null then. */
static void build_optional(struct mj_builder *b, const char *key, int64_t value) {
        if (value < 0)
                mj_build_null(b, key);
        else
                mj_build_i64(b, key, value);
}

static void build_string_or_null(struct mj_builder *b, const char *key, const char *value) {
        if (value)
                mj_build_string(b, key, value);
        else
                mj_build_null(b, key);
}

static void build_sources(struct mj_builder *b, const struct memrange_sources *s) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        for (size_t i = 0; i < STATUS_N_SOURCES; i++) {
                struct mj_builder src = mj_builder_on(json_object_new_object());

                mj_build_string(&src, "status", status_source_status_name(s->status[i]));
                build_string_or_null(&src, "error", s->error[i]);
                mj_build_object(&obj, memrange_source_to_name(1u << i), &src);
        }
        mj_build_object(b, "sources", &obj);
}

static void build_table(struct mj_builder *b, const struct status *st) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());
        const struct cli_daemon_status *s = st->d->daemon;

        mj_build_u64(&obj, "ranges", st->n_ranges);
        /* Addresses hidden (online): only the daemon's counts are known. */
        if (st->d->table) {
                struct mj_builder types = mj_builder_on(json_object_new_object());

                for (size_t t = 0; t < _MEMRANGE_TYPE_MAX; t++) {
                        struct mj_builder tt;

                        if (st->by_type[t].ranges == 0)
                                continue;
                        tt = mj_builder_on(json_object_new_object());
                        mj_build_u64(&tt, "ranges", st->by_type[t].ranges);
                        mj_build_u64(&tt, "bytes", st->by_type[t].bytes);
                        mj_build_object(&types, memrange_type_to_name(t), &tt);
                }
                mj_build_u64(&obj, "bytes", st->total_bytes);
                mj_build_object(&obj, "types", &types);
        } else {
                mj_build_null(&obj, "bytes");
                mj_build_null(&obj, "types");
        }
        if (s) {
                mj_build_u64(&obj, "total_ram", s->total_ram);
                mj_build_u64(&obj, "online_ram", s->online_ram);
                mj_build_u64(&obj, "offline_ram", s->offline_ram);
        }
        mj_build_object(b, "table", &obj);
}

/* [{start, end, size, low}] of the reservations; null when addresses were
 * refused. */
static void build_reservations(struct mj_builder *b, const struct status *st) {
        const struct memrange_list *list = &st->reservations;
        _cleanup_(json_object_putp) struct json_object *arr = NULL;

        if (!st->d->table)
                return mj_build_null(b, "reservations");
        arr = json_object_new_array();
        if (!arr)
                return mj_build_result(b, -ENOMEM);
        for (size_t i = 0; i < list->n; i++) {
                struct mj_builder range = mj_builder_on(json_object_new_object());
                int r;

                mj_build_u64(&range, "start", list->ranges[i].start);
                mj_build_u64(&range, "end", list->ranges[i].end - 1);
                mj_build_u64(&range, "size", list->ranges[i].end - list->ranges[i].start);
                mj_build_bool(&range, "low", !!(list->ranges[i].flags & MEMRANGE_F_CRASH_LOW));
                if (range.error < 0) {
                        json_object_put(range.object);
                        return mj_build_result(b, range.error);
                }
                r = mj_append(arr, range.object);
                if (r < 0)
                        return mj_build_result(b, r);
        }
        mj_build(b, "reservations", TAKE_PTR(arr));
}

/* The CPU set @set as the kernel lists it. */
static void build_idset(struct mj_builder *b, const char *key, const struct memrange_idset *set) {
        _cleanup_(freep) char *text = NULL;
        int r;

        r = memrange_idset_to_string(set, &text);
        if (r < 0)
                return mj_build_result(b, r);
        mj_build_string(b, key, text);
}

/* {address (null when hidden), boot_only}, null when there is no limit. */
static void build_memory_limit(struct mj_builder *b, const struct status *st) {
        struct mj_builder obj;

        if (!st->has_memory_limit)
                return mj_build_null(b, "memory_limit");
        obj = mj_builder_on(json_object_new_object());
        if (st->memory_limit != 0)
                mj_build_u64(&obj, "address", st->memory_limit);
        else
                mj_build_null(&obj, "address");
        mj_build_bool(&obj, "boot_only", st->memory_limit_boot_only);
        mj_build_object(b, "memory_limit", &obj);
}

static void build_crash(struct mj_builder *b, const struct status *st, const struct memrange_crash *c) {
        struct mj_builder obj;

        if (!c)
                return mj_build_null(b, "crash");
        obj = mj_builder_on(json_object_new_object());
        build_reservations(&obj, st);
        build_optional(&obj, "kexec_loaded", c->kexec_loaded);
        build_optional(&obj, "kexec_crash_loaded", c->kexec_crash_loaded);
        build_optional(&obj, "kexec_crash_size", c->kexec_crash_size);
        build_optional(&obj, "crash_hotplug_memory", c->crash_hotplug_memory);
        build_optional(&obj, "crash_hotplug_cpu", c->crash_hotplug_cpu);
        build_optional(&obj, "crash_elfcorehdr_size", c->crash_elfcorehdr_size);
        build_memory_limit(&obj, st);
        build_idset(&obj, "cpus_possible", &c->possible);
        build_idset(&obj, "cpus_online", &c->online);
        mj_build_object(b, "crash", &obj);
}

static void build_findings(struct mj_builder *b, const struct status *st) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        for (size_t s = 0; s <= MEMRANGE_SEVERITY_ERROR; s++)
                mj_build_u64(&obj, memrange_severity_to_name(s), st->findings[s]);
        mj_build_object(b, "findings", &obj);
}

/* ---- memranged's own state ---- */

static void build_online_crash(struct mj_builder *b, const struct status *st) {
        const struct cli_daemon_status *s = st->d->daemon;
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        build_reservations(&obj, st);
        mj_build_bool(&obj, "kdump_loaded", s->kdump_loaded);
        if (s->kdump_crash_hotplug < 0)
                mj_build_null(&obj, "crash_hotplug");
        else
                mj_build_bool(&obj, "crash_hotplug", s->kdump_crash_hotplug);
        mj_build_string(&obj, "kdump_state", s->kdump_state);
        build_memory_limit(&obj, st);
        /* The reload engine's state as the daemon reports it. */
        if (s->kdump)
                mj_build(&obj, "kdump", json_object_get(s->kdump));
        else
                mj_build_null(&obj, "kdump");
        mj_build_object(b, "crash", &obj);
}

static void build_daemon(struct mj_builder *b, const struct cli_daemon_status *s) {
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
        build_string_or_null(&obj, "last_error", s->last_error);
        mj_build_object(&obj, "uevents", &uevents);
        mj_build_object(b, "daemon", &obj);
}

/* ---- the whole form ---- */

int status_print_json(const struct status *st) {
        _cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
        struct mj_builder b = mj_builder_on(root);
        const char *text;

        if (st->d->daemon)
                build_daemon(&b, st->d->daemon);
        else
                mj_build_string(&b, "sysroot", st->d->sysroot);
        build_sources(&b, st->d->sources);
        mj_build_bool(&b, "iomem_hidden", cli_iomem_hidden(st->d));
        build_table(&b, st);
        if (st->d->daemon)
                build_online_crash(&b, st);
        else
                build_crash(&b, st, st->d->sources->crash);
        build_findings(&b, st);
        if (b.error < 0)
                return b.error;

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || puts(text) < 0)
                return -EIO;
        return 0;
}

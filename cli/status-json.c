/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status, the JSON form (status.h): the same sections as the
 * text form, for both modes. */
#include <errno.h>
#include <stdio.h>

#include <json.h>

#include "status.h"

static struct json_object *json_optional(int64_t value) {
        return value < 0 ? NULL : json_object_new_int64(value);
}

static void add(struct json_object *obj, const char *key, struct json_object *value) {
        json_object_object_add(obj, key, value);
}

static struct json_object *json_sources(const struct memrange_sources *s) {
        struct json_object *obj = json_object_new_object();

        for (size_t i = 0; obj && i < STATUS_N_SOURCES; i++) {
                struct json_object *src = json_object_new_object();

                if (!src)
                        continue;
                add(src, "status", json_object_new_string(status_source_status_name(s->status[i])));
                add(src, "error", s->error[i] ? json_object_new_string(s->error[i]) : NULL);
                add(obj, memrange_source_to_name(1u << i), src);
        }
        return obj;
}

static void json_add_ram(struct json_object *table, const struct cli_daemon_status *s) {
        add(table, "total_ram", json_object_new_uint64(s->total_ram));
        add(table, "online_ram", json_object_new_uint64(s->online_ram));
        add(table, "offline_ram", json_object_new_uint64(s->offline_ram));
}

static struct json_object *json_table(const struct status *st) {
        struct json_object *obj = json_object_new_object(), *types = json_object_new_object();

        for (size_t t = 0; types && t < _MEMRANGE_TYPE_MAX; t++) {
                struct json_object *tt;

                if (st->by_type[t].ranges == 0)
                        continue;
                tt = json_object_new_object();
                if (!tt)
                        continue;
                add(tt, "ranges", json_object_new_uint64(st->by_type[t].ranges));
                add(tt, "bytes", json_object_new_uint64(st->by_type[t].bytes));
                add(types, memrange_type_to_name(t), tt);
        }
        if (!obj) {
                json_object_put(types);
                return NULL;
        }
        add(obj, "ranges", json_object_new_uint64(st->n_ranges));
        /* Addresses hidden (online): only the daemon's counts are known. */
        if (!st->d->table) {
                json_object_put(types);
                types = NULL;
        }
        add(obj, "bytes", st->d->table ? json_object_new_uint64(st->total_bytes) : NULL);
        add(obj, "types", types);
        if (st->d->daemon)
                json_add_ram(obj, st->d->daemon);
        return obj;
}

/* [{start, end, size, low}] of the reservations; NULL (JSON null) when
 * addresses were refused. */
static struct json_object *json_reservations(const struct status *st) {
        const struct memrange_list *list = &st->reservations;
        struct json_object *arr;

        if (!st->d->table)
                return NULL;
        arr = json_object_new_array();
        for (size_t i = 0; arr && i < list->n; i++) {
                struct json_object *r = json_object_new_object();

                if (!r)
                        continue;
                add(r, "start", json_object_new_uint64(list->ranges[i].start));
                add(r, "end", json_object_new_uint64(list->ranges[i].end - 1));
                add(r, "size", json_object_new_uint64(list->ranges[i].end - list->ranges[i].start));
                add(r, "low", json_object_new_boolean(!!(list->ranges[i].flags & MEMRANGE_F_CRASH_LOW)));
                json_object_array_add(arr, r);
        }
        return arr;
}

static struct json_object *json_crash(const struct status *st, const struct memrange_crash *c) {
        struct json_object *obj;
        _cleanup_(freep) char *possible = NULL, *online = NULL;

        if (!c)
                return NULL;
        obj = json_object_new_object();
        if (!obj)
                return NULL;
        add(obj, "reservations", json_reservations(st));
        add(obj, "kexec_loaded", json_optional(c->kexec_loaded));
        add(obj, "kexec_crash_loaded", json_optional(c->kexec_crash_loaded));
        add(obj, "kexec_crash_size", json_optional(c->kexec_crash_size));
        add(obj, "crash_hotplug_memory", json_optional(c->crash_hotplug_memory));
        add(obj, "crash_hotplug_cpu", json_optional(c->crash_hotplug_cpu));
        add(obj, "crash_elfcorehdr_size", json_optional(c->crash_elfcorehdr_size));
        add(obj, "cpus_possible", memrange_idset_to_string(&c->possible, &possible) < 0 ? NULL
                                                                                       : json_object_new_string(possible));
        add(obj, "cpus_online", memrange_idset_to_string(&c->online, &online) < 0 ? NULL : json_object_new_string(online));
        return obj;
}

static struct json_object *json_findings(const struct status *st) {
        struct json_object *obj = json_object_new_object();

        if (!obj)
                return NULL;
        for (size_t s = 0; s <= MEMRANGE_SEVERITY_ERROR; s++)
                add(obj, memrange_severity_to_name(s), json_object_new_uint64(st->findings[s]));
        return obj;
}

/* ---- memranged's own state ---- */

static struct json_object *json_online_crash(const struct status *st) {
        const struct cli_daemon_status *s = st->d->daemon;
        struct json_object *obj = json_object_new_object();

        if (!obj)
                return NULL;
        add(obj, "reservations", json_reservations(st));
        add(obj, "kdump_loaded", json_object_new_boolean(s->kdump_loaded));
        add(obj, "crash_hotplug",
                        s->kdump_crash_hotplug < 0 ? NULL : json_object_new_boolean(s->kdump_crash_hotplug));
        add(obj, "kdump_state", json_object_new_string(s->kdump_state));
        /* The reload engine's state as the daemon reports it. */
        add(obj, "kdump", json_object_get(s->kdump));
        return obj;
}

static struct json_object *json_daemon(const struct cli_daemon_status *s) {
        struct json_object *obj = json_object_new_object(), *uevents = json_object_new_object();

        if (!obj || !uevents) {
                json_object_put(obj);
                json_object_put(uevents);
                return NULL;
        }
        add(uevents, "received", json_object_new_uint64(s->uevents_received));
        add(uevents, "ignored", json_object_new_uint64(s->uevents_ignored));
        add(uevents, "lost", json_object_new_uint64(s->uevents_lost));
        add(uevents, "rebuilds", json_object_new_uint64(s->rebuilds));
        add(uevents, "full_rescans", json_object_new_uint64(s->full_rescans));
        add(uevents, "pending", json_object_new_boolean(s->rebuild_pending));

        add(obj, "socket", json_object_new_string(s->socket));
        add(obj, "version", json_object_new_string(s->version));
        add(obj, "generation", json_object_new_uint64(s->generation));
        add(obj, "changed_usec", json_object_new_uint64(s->changed_usec));
        add(obj, "addresses_hidden", json_object_new_boolean(s->addresses_hidden));
        add(obj, "last_error", s->last_error ? json_object_new_string(s->last_error) : NULL);
        add(obj, "uevents", uevents);
        return obj;
}

/* ---- the whole form ---- */

int status_print_json(const struct status *st) {
        struct json_object *root = json_object_new_object();
        const char *text;
        int r = 0;

        if (!root)
                return -ENOMEM;
        if (st->d->daemon)
                add(root, "daemon", json_daemon(st->d->daemon));
        else
                add(root, "sysroot", json_object_new_string(st->d->sysroot));
        add(root, "sources", json_sources(st->d->sources));
        add(root, "iomem_hidden", json_object_new_boolean(cli_iomem_hidden(st->d)));
        add(root, "table", json_table(st));
        if (st->d->daemon)
                add(root, "crash", json_online_crash(st));
        else
                add(root, "crash", json_crash(st, st->d->sources->crash));
        add(root, "findings", json_findings(st));

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || puts(text) < 0)
                r = -EIO;
        json_object_put(root);
        return r;
}

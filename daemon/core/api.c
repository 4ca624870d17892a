/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.memranged methods. Who sees what (DESIGN.md, daemon promise 6):
 * GetStatus and GetMetrics are open to everyone and carry no address (source error
 * messages, which may quote file contents, only go to privileged callers);
 * ListRanges, ListBlocks, ListFindings, Subscribe, GetCrashRanges and
 * GetElfCoreHeader answer io.memranged.AddressesHidden unless the caller
 * is root or in group "memrange"; Rescan and Reload need uid 0. The kdump
 * methods and GetStatus's kdump member are in api-kdump.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "api.h"
#include "log.h"
#include "memrange-json.h"
#include "memranged-metrics.h"
#include "io.memranged.h"

int api_error_invalid_parameter(struct varlink_call *call, const char *parameter, const char *reason) {
        struct json_object *p = json_object_new_object();
        struct mj_builder b = mj_builder_on(p);

        mj_build_string(&b, "parameter", parameter);
        mj_build_string(&b, "reason", reason);
        if (b.error < 0) {
                json_object_put(p);
                return b.error;
        }
        return varlink_call_error(call, IO_MEMRANGED_ERROR_INVALID_PARAMETER, p);
}

int api_error_internal(struct varlink_call *call, int error) {
        struct json_object *p = json_object_new_object();
        struct mj_builder b = mj_builder_on(p);

        mj_build_int(&b, "errno", abs(error));
        if (b.error < 0) {
                json_object_put(p);
                return b.error;
        }
        return varlink_call_error(call, IO_MEMRANGED_ERROR_INTERNAL, p);
}

/* {"generation": N} to which a method adds its members. */
struct json_object *api_reply_with_generation(const struct manager *m) {
        struct json_object *p = json_object_new_object();
        struct mj_builder b = mj_builder_on(p);

        mj_build_u64(&b, "generation", m->state->generation);
        if (b.error < 0) {
                json_object_put(p);
                return NULL;
        }
        return p;
}

/* ---------------------------------------------------------------------------
 * GetStatus
 */

/* @t: the totals of the table and its findings, counted as the metrics
 * count them (memranged_metrics_set_table()). */
static void build_table_totals(struct mj_builder *b, const struct memranged_metrics *t) {
        mj_build_u64(b, "ranges", t->ranges);
        mj_build_u64(b, "total_ram", t->ram_online + t->ram_offline);
        mj_build_u64(b, "online_ram", t->ram_online);
        mj_build_u64(b, "offline_ram", t->ram_offline);
}

static void build_findings_counts(struct mj_builder *b, const struct memranged_metrics *t) {
        struct mj_builder o = mj_builder_on(json_object_new_object());

        mj_build_u64(&o, "infos", t->findings[MEMRANGE_SEVERITY_INFO]);
        mj_build_u64(&o, "warnings", t->findings[MEMRANGE_SEVERITY_WARNING]);
        mj_build_u64(&o, "errors", t->findings[MEMRANGE_SEVERITY_ERROR]);
        mj_build_object(b, "findings", &o);
}

/* lsmem's summary of the memory blocks, without their addresses: anyone
 * may see it, and `memrangectl list` needs no ListBlocks for it. */
static void build_block_totals(struct mj_builder *b, const struct memrange_sources *sources) {
        const struct memrange_blocks *blocks = sources ? sources->blocks : NULL;
        struct mj_builder o;
        uint64_t online, offline;

        if (!blocks)
                return;
        memrange_blocks_totals(blocks, &online, &offline);
        o = mj_builder_on(json_object_new_object());
        mj_build_u64(&o, "block_size", blocks->block_size);
        mj_build_u64(&o, "online", online);
        mj_build_u64(&o, "offline", offline);
        mj_build_object(b, "blocks", &o);
}

static void build_sources(struct mj_builder *b, const struct memrange_sources *sources, bool privileged) {
        struct memrange_sources none = {};
        struct json_object *array = NULL;
        int r;

        r = memrange_json_from_sources_status(sources ?: &none, &array);
        /* Error messages quote the kernel files, addresses included. */
        for (size_t i = 0; r >= 0 && !privileged && i < json_object_array_length(array); i++)
                json_object_object_del(json_object_array_get_idx(array, i), "error");
        mj_build_encoded(b, "sources", r, &array);
}

static void build_uevents(struct mj_builder *b, const struct manager *m) {
        struct mj_builder o = mj_builder_on(json_object_new_object());
        const struct state_stats *st = &m->state->stats;
        struct uevent_stats sum;

        manager_uevent_stats(m, &sum);
        mj_build_u64(&o, "received", sum.received);
        mj_build_u64(&o, "delivered", sum.delivered);
        mj_build_u64(&o, "ignored", sum.ignored);
        mj_build_u64(&o, "malformed", sum.malformed);
        mj_build_u64(&o, "lost", sum.lost_enobufs + sum.truncated);
        mj_build_u64(&o, "rebuilds", st->rebuilds);
        mj_build_u64(&o, "full_rescans", st->full_rescans);
        mj_build_u64(&o, "incremental_rebuilds", st->incremental);
        mj_build_u64(&o, "layout_rebuilds", st->layout_rebuilds);
        mj_build_u64(&o, "lost_rescans", st->lost_rescans);
        mj_build_u64(&o, "last_rebuild_usec", m->last_rebuild_usec);
        mj_build_bool(&o, "pending", scheduler_is_pending(m->scheduler));
        mj_build_object(b, "uevents", &o);
}

static int method_get_status(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        const struct state *s = m->state;
        bool privileged = manager_call_is_privileged(m, call);
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct memranged_metrics totals = {};
        struct memrange_findings findings;
        struct mj_builder b;
        int r;

        p = api_reply_with_generation(m);
        b = mj_builder_on(p);
        mj_build_string(&b, "version", PROJECT_VERSION);
        mj_build_u64(&b, "changed_usec", s->changed_usec);
        r = manager_findings(m, &findings);
        if (r < 0)
                return r;
        memranged_metrics_set_table(&totals, s->table, &findings);
        free(findings.items);
        build_table_totals(&b, &totals);
        build_block_totals(&b, s->sources);
        build_findings_counts(&b, &totals);
        build_sources(&b, s->sources, privileged);
        build_uevents(&b, m);
        api_build_kdump(&b, m, privileged);
        if (s->last_error < 0 && privileged && s->last_error_message)
                mj_build_string(&b, "last_error", s->last_error_message);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

static int method_get_metrics(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        _cleanup_(json_object_putp) struct json_object *p = json_object_new_object();
        _cleanup_(freep) char *text = NULL;
        struct mj_builder b = mj_builder_on(p);
        size_t len;
        int r;

        r = manager_metrics_render(m, &text, &len);
        if (r < 0)
                return r;
        mj_build_string(&b, "text", text);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

/* ---------------------------------------------------------------------------
 * Lists
 */

static bool filters_equal(const struct memrange_json_filter *a, const struct memrange_json_filter *b) {
        return a->types == b->types && a->has_node == b->has_node && (!a->has_node || a->node == b->node) &&
               a->has_window == b->has_window && (!a->has_window || (a->start == b->start && a->end == b->end));
}

/* Builds and serialises the ListRanges reply for @filter into @cache. */
static int list_ranges_serialize(const struct manager *m, const struct memrange_json_filter *filter,
                                 struct cached_reply *cache) {
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct json_object *ranges = NULL;
        struct mj_builder b;
        const char *text;
        size_t len;
        char *copy;

        p = api_reply_with_generation(m);
        b = mj_builder_on(p);
        mj_build_encoded(&b, "ranges", memrange_json_from_table(m->state->table, filter, &ranges), &ranges);
        if (b.error < 0)
                return b.error;
        text = varlink_json_to_string(p, &len);
        copy = text ? malloc(len) : NULL;
        if (!copy)
                return -ENOMEM;
        memcpy(copy, text, len);
        free(cache->text);
        *cache = (struct cached_reply) {
                .text = copy, .len = len, .generation = m->state->generation, .filter = *filter,
        };
        return 0;
}

/* Every caller of a generation asks for the same table, usually without a
 * filter: the reply is built and serialised once (that was most of a
 * call's cost) and kept until the generation or the filter changes. */
static int method_list_ranges(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        struct cached_reply *cache = &m->list_ranges;
        struct memrange_json_filter filter;
        struct mj_error error = {};
        int r;

        r = memrange_json_filter_from_json(parameters, &filter, &error);
        if (r == -EBADMSG)
                return api_error_invalid_parameter(call, error.path, error.reason);
        if (r < 0)
                return r;
        if (!cache->text || cache->generation != m->state->generation || !filters_equal(&cache->filter, &filter)) {
                r = list_ranges_serialize(m, &filter, cache);
                if (r < 0)
                        return r;
        }
        return varlink_call_reply_serialized(call, cache->text, cache->len);
}

static int method_list_blocks(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        const struct memrange_blocks none = { .crash_hotplug = -1 };
        const struct memrange_blocks *blocks;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        int r;

        blocks = state_blocks_detailed(m->state);
        r = memrange_json_from_blocks(blocks ?: &none, &p);
        if (r < 0)
                return r;
        r = mj_add(p, "generation", json_object_new_uint64(m->state->generation));
        if (r < 0)
                return r;
        return varlink_call_reply(call, TAKE_PTR(p));
}

static int method_list_findings(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct memrange_findings view;
        struct json_object *findings = NULL;
        struct mj_builder b;
        int r;

        p = api_reply_with_generation(m);
        b = mj_builder_on(p);
        r = manager_findings(m, &view);
        if (r < 0)
                return r;
        r = memrange_json_from_findings(&view, &findings);
        free(view.items);
        mj_build_encoded(&b, "findings", r, &findings);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

/* ---------------------------------------------------------------------------
 * Subscribe
 */

/* {"change": {generation, added, removed, reason}} */
static int change_to_json(const struct state_change *change, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *p = json_object_new_object();
        struct mj_builder b = mj_builder_on(p), c = mj_builder_on(json_object_new_object());
        struct json_object *added = NULL, *removed = NULL;
        int r;

        mj_build_u64(&c, "generation", change->generation);
        r = memrange_json_from_list(&change->added, &added);
        mj_build_encoded(&c, "added", r, &added);
        r = memrange_json_from_list(&change->removed, &removed);
        mj_build_encoded(&c, "removed", r, &removed);
        mj_build_string(&c, "reason", change_reason_to_string(change->reason));
        mj_build_object(&b, "change", &c);
        if (b.error < 0)
                return b.error;
        *ret = TAKE_PTR(p);
        return 0;
}

/* The current table as one change that adds every range. */
static int snapshot_to_json(const struct state *s, struct json_object **ret) {
        struct state_change snapshot = { .generation = s->generation, .reason = CHANGE_CURRENT };
        int r;

        memrange_table_foreach(x, s->table) {
                r = memrange_list_append(&snapshot.added, x, NULL);
                if (r < 0)
                        goto out;
        }
        r = change_to_json(&snapshot, ret);
out:
        state_change_clear(&snapshot);
        return r;
}

static void subscriber_remove(struct manager *m, size_t i) {
        struct varlink_call *call = m->subscribers[i];

        m->subscribers[i] = m->subscribers[--m->n_subscribers];
        varlink_call_set_disconnect_handler(call, NULL, NULL);
        varlink_call_unref(call);
}

static void on_subscriber_disconnect(struct varlink_call *call, void *userdata) {
        struct manager *m = userdata;

        for (size_t i = 0; i < m->n_subscribers; i++)
                if (m->subscribers[i] == call) {
                        log_debug("Subscriber (uid %u) went away", (unsigned) varlink_call_peer_uid(call));
                        subscriber_remove(m, i);
                        return;
                }
}

static int method_subscribe(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        struct json_object *snapshot;
        struct varlink_call **list;
        int r;

        /* Nobody reads a oneway stream: keeping it would pile up calls
         * until the next change. */
        if (varlink_call_is_oneway(call))
                return 0;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        list = reallocarray(m->subscribers, m->n_subscribers + 1, sizeof(*list));
        if (!list)
                return -ENOMEM;
        m->subscribers = list;
        r = snapshot_to_json(m->state, &snapshot);
        if (r < 0)
                return r;
        r = varlink_call_reply_continues(call, snapshot);
        if (r < 0)
                return r == -ENOTCONN || r == -ENOBUFS ? 0 : r;
        m->subscribers[m->n_subscribers++] = varlink_call_ref(call);
        varlink_call_set_disconnect_handler(call, on_subscriber_disconnect, m);
        return 0;
}

void api_notify_change(struct manager *m, const struct state_change *change) {
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        int r;

        if (m->n_subscribers == 0)
                return;
        r = change_to_json(change, &p);
        if (r < 0) {
                /* Subscribers would silently miss a generation: end their
                 * streams instead, they resubscribe for a fresh snapshot. */
                log_error_errno(r, "Cannot encode generation %" PRIu64 " for subscribers: %m", change->generation);
                for (size_t i = 0; i < m->n_subscribers; i++)
                        (void) api_error_internal(m->subscribers[i], r);
                api_drop_subscribers(m);
                return;
        }
        for (size_t i = m->n_subscribers; i > 0; i--) {
                struct varlink_call *call = m->subscribers[i - 1];

                /* Every reply consumes one reference to the shared object. */
                r = varlink_call_reply_continues(call, json_object_get(p));
                if (r < 0) {
                        log_debug_errno(r, "Dropping subscriber (uid %u): %m", (unsigned) varlink_call_peer_uid(call));
                        subscriber_remove(m, i - 1);
                }
        }
}

void api_drop_subscribers(struct manager *m) {
        while (m->n_subscribers > 0)
                subscriber_remove(m, m->n_subscribers - 1);
        free(m->subscribers);
        m->subscribers = NULL;
}

/* ---------------------------------------------------------------------------
 * Rescan
 */

static int method_rescan(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        int r;

        r = manager_rescan(m);
        if (r < 0)
                return api_error_internal(call, r);
        p = api_reply_with_generation(m);
        if (!p || mj_add(p, "changed", json_object_new_boolean(r > 0)) < 0)
                return -ENOMEM;
        return varlink_call_reply(call, TAKE_PTR(p));
}

/* Who may call what (DESIGN.md, daemon promise 6); the parameters each
 * method knows are those of its signature in io.memranged.varlink. */
static const struct varlink_method methods[] = {
        { IO_MEMRANGED_METHOD_GET_STATUS, method_get_status, 0, VARLINK_ACCESS_ANYONE },
        { IO_MEMRANGED_METHOD_GET_METRICS, method_get_metrics, 0, VARLINK_ACCESS_ANYONE },
        { IO_MEMRANGED_METHOD_LIST_RANGES, method_list_ranges, 0, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_LIST_BLOCKS, method_list_blocks, 0, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_LIST_FINDINGS, method_list_findings, 0, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_SUBSCRIBE, method_subscribe, VARLINK_METHOD_MORE_REQUIRED, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_RESCAN, method_rescan, 0, VARLINK_ACCESS_ROOT },
        { IO_MEMRANGED_METHOD_GET_CRASH_RANGES, api_method_get_crash_ranges, 0, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_GET_ELF_CORE_HEADER, api_method_get_elf_core_header, 0, VARLINK_ACCESS_TRUSTED },
        { IO_MEMRANGED_METHOD_RELOAD, api_method_reload, 0, VARLINK_ACCESS_ROOT },
        {},
};

/* Trusted callers see addresses: root and group memrange. */
static bool caller_sees_addresses(const struct varlink_call *call, void *userdata) {
        return manager_call_is_privileged(userdata, call);
}

static const struct varlink_interface interface = {
        .name = IO_MEMRANGED_INTERFACE,
        .description = io_memranged_idl,
        .methods = methods,
        .caller_is_trusted = caller_sees_addresses,
        .untrusted_error = IO_MEMRANGED_ERROR_ADDRESSES_HIDDEN,
};

int api_register(struct manager *m) {
        return varlink_server_add_interface(m->server, &interface, m);
}

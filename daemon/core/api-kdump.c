/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.memranged, kdump side: the "kdump" member of GetStatus, the dump
 * ranges and ELF core header of the current table, and Reload. Who sees
 * what (DESIGN.md, daemon promise 6): the kdump status carries no address
 * (the reload command and kexec's output, which may, only for privileged
 * callers); GetCrashRanges and GetElfCoreHeader need root or group
 * memrange; Reload needs root. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "strv.h"
#include "log.h"
#include "json-util.h"
#include "memrange-cleanup.h"
#include "parse-util.h"
#include "io.memranged.h"

/* ---------------------------------------------------------------------------
 * Status
 */

static void build_u64_if(struct mj_builder *b, const char *key, bool present, uint64_t value) {
        if (present)
                mj_build_u64(b, key, value);
}

static void build_string_if(struct mj_builder *b, const char *key, const char *value) {
        if (value)
                mj_build_string(b, key, value);
}

static const char *attempt_result(const struct reload_attempt *a) {
        return a->success ? "success" : a->timed_out ? "timeout" : "failed";
}

/* ReloadAttempt of the interface description. */
static int attempt_to_json(const struct reload_attempt *a, bool privileged, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct mj_builder b = mj_builder_on(o);

        mj_build_u64(&b, "generation", a->generation);
        mj_build_bool(&b, "forced", a->forced);
        mj_build_u64(&b, "started_usec", a->started);
        mj_build_u64(&b, "duration_usec", a->duration);
        mj_build_string(&b, "result", attempt_result(a));
        build_u64_if(&b, "exit_status", a->exit_status >= 0, (uint64_t) a->exit_status);
        build_u64_if(&b, "signal", a->signal > 0, (uint64_t) a->signal);
        build_string_if(&b, "error", a->error);
        mj_build_bool(&b, "namespace", a->namespace_used);
        build_string_if(&b, "namespace_error", a->namespace_error);
        build_string_if(&b, "output", privileged ? a->output : NULL);
        if (b.error < 0)
                return b.error;
        *ret = TAKE_PTR(o);
        return 0;
}

/* How the loaded image was loaded: known for our own loads; crash_hotplug
 * = 1 means the kernel builds its header (kexec_file_load, or kexec_load
 * with kexec-tools --hotplug). */
static const char *load_method(const struct reload_engine *e) {
        if (e->image.origin == IMAGE_NONE)
                return NULL;
        if (load_method_to_string(e->image.method))
                return load_method_to_string(e->image.method);
        return e->crash_hotplug == 1 ? "kexec_file_load or kexec_load --hotplug" : NULL;
}

static void build_plan(struct mj_builder *b, const struct kexec_plan *plan, bool privileged) {
        _cleanup_(freep) char *command = NULL, *method = NULL;

        if (privileged && plan->argv && !(command = strv_join_quoted(plan->argv)))
                return mj_build_result(b, -ENOMEM);
        if (plan->n_steps > 0 && load_method_to_string(plan->method) &&
            asprintf(&method, "%s%s", load_method_to_string(plan->method), plan->hotplug ? " --hotplug" : "") < 0)
                return mj_build_result(b, -ENOMEM);
        build_string_if(b, "load_method", method);
        build_string_if(b, "load_method_reason", plan->n_steps > 0 ? plan->method_reason : NULL);
        build_string_if(b, "load_method_fallback", plan->fallback_reason);
        mj_build_string(b, "mode", reload_mode_to_string(plan->mode));
        build_string_if(b, "mode_reason", plan->origin);
        build_string_if(b, "mode_error", plan->error);
        build_string_if(b, "command", command);
}

/* The CPUs the image has a register note for, and those present now that
 * it lacks (a crash there would leave its registers out of the dump);
 * absent when unknown. */
static void build_image_cpus(struct mj_builder *b, const struct reload_engine *e) {
        _cleanup_(freep) char *held = NULL, *lacking = NULL;
        struct memrange_idset missing = {};
        int r;

        if (!e->image.ranges || e->image.ranges->cpus.n == 0)
                return;
        r = memrange_idset_to_string(&e->image.ranges->cpus, &held);
        if (r >= 0 && e->ranges && e->ranges->cpus.n > 0) {
                r = memrange_dump_cpus_missing(e->image.ranges, e->ranges, &missing);
                if (r >= 0)
                        r = memrange_idset_to_string(&missing, &lacking);
                memrange_idset_clear(&missing);
        }
        if (r < 0)
                return mj_build_result(b, r);
        build_string_if(b, "image_cpus", held);
        build_string_if(b, "image_cpus_missing", lacking);
}

static void build_image(struct mj_builder *b, const struct reload_engine *e) {
        const struct reload_image *image = &e->image;
        bool loaded = image->origin != IMAGE_NONE;

        build_string_if(b, "loaded_by", image_origin_to_string(image->origin));
        build_string_if(b, "image_ranges", image_ranges_to_string(image->origin));
        build_string_if(b, "method", load_method(e));
        /* 0: ranges of none of our generations (a record, an interrupted load) */
        build_u64_if(b, "loaded_generation", loaded && image->generation > 0, image->generation);
        build_u64_if(b, "loaded_usec", loaded && image->loaded_usec > 0, image->loaded_usec);
        build_u64_if(b, "stale_since_usec", e->stale_since > 0, e->stale_since);
        build_image_cpus(b, e);
}

static void build_counters(struct mj_builder *b, const struct reload_engine *e) {
        const struct reload_stats *s = &e->stats;

        mj_build_u64(b, "attempts", s->attempts);
        mj_build_u64(b, "reloads", s->reloads);
        mj_build_u64(b, "failures", s->failures);
        mj_build_u64(b, "skipped", s->skipped);
        mj_build_u64(b, "follow_ups", s->follow_ups);
}

/* [ReloadAttempt], oldest first. */
static int history_to_json(const struct reload_engine *e, bool privileged, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();
        struct json_object *o;
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_history; i++) {
                r = attempt_to_json(&e->history[i], privileged, &o);
                if (r >= 0)
                        r = mj_append(a, o);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

/* ppc64's /chosen/linux,memory-limit, at and above which kexec-tools
 * dumps nothing; memranged's loads read it as 0 when it only reflects boot
 * RAM (kdump-views.c). The address for privileged callers only. */
static void build_memory_limit(struct mj_builder *b, const struct memrange_sources *sources, bool privileged) {
        const struct memrange_devicetree *dt = sources ? sources->devicetree : NULL;

        if (!dt || dt->memory_limit == 0)
                return;
        if (privileged)
                mj_build_u64(b, "memory_limit", dt->memory_limit);
        mj_build_bool(b, "memory_limit_boot_only", dt->memory_limit_boot_only);
}

void api_build_kdump(struct mj_builder *b, const struct manager *m, bool privileged) {
        const struct reload_engine *e = reload_loop_engine(m->reload);
        struct mj_builder o = mj_builder_on(json_object_new_object());
        bool waiting = !e->in_flight && e->retry_at > 0 && e->decision == RELOAD_DECISION_NEEDED;
        struct json_object *last = NULL, *history = NULL;

        mj_build_bool(&o, "loaded", e->crash_loaded == 1);
        if (e->crash_hotplug >= 0)
                mj_build_bool(&o, "crash_hotplug", e->crash_hotplug == 1);
        build_memory_limit(&o, m->state->sources, privileged);
        mj_build_string(&o, "state", reload_engine_state(e));
        mj_build_bool(&o, "up_to_date", manager_kdump_up_to_date(m));
        build_plan(&o, reload_loop_plan(m->reload), privileged);
        build_image(&o, e);
        mj_build_bool(&o, "reloading", e->in_flight);
        build_u64_if(&o, "retry_usec", waiting, e->retry_at);
        build_counters(&o, e);
        mj_build_encoded(&o, "history", history_to_json(e, privileged, &history), &history);
        if (e->has_last)
                mj_build_encoded(&o, "last_reload", attempt_to_json(&e->last, privileged, &last), &last);
        mj_build_object(b, "kdump", &o);
}

/* ---------------------------------------------------------------------------
 * Dump ranges and the ELF core header
 */

/* Replies InvalidParameter for @name (into *ret) and returns 1. */
static int refuse_parameter(struct varlink_call *call, const char *name, const char *reason, int *ret) {
        *ret = api_error_invalid_parameter(call, name, reason);
        return 1;
}

/* Reads "policy" and "arch" (both optional): 1 when it replied. */
static int parse_dump_parameters(struct varlink_call *call, struct json_object *parameters,
                                 enum memrange_dump_policy *ret_policy, enum memrange_arch *ret_arch, int *ret) {
        const char *policy = NULL, *arch = NULL;
        int p, a;

        if (mj_get_string(parameters, "policy", false, &policy, NULL) < 0)
                return refuse_parameter(call, "policy", "expected a string", ret);
        if (mj_get_string(parameters, "arch", false, &arch, NULL) < 0)
                return refuse_parameter(call, "arch", "expected a string", ret);
        p = policy ? memrange_dump_policy_from_name(policy) : MEMRANGE_DUMP_AUTO;
        if (p < 0)
                return refuse_parameter(call, "policy",
                                        "expected kexec-tools-x86, kexec-tools-arm64, kexec-tools-ppc64, kernel or auto",
                                        ret);
        a = arch ? memrange_arch_from_name(arch) : MEMRANGE_ARCH_UNKNOWN;
        if (a < 0)
                return refuse_parameter(call, "arch", "expected x86_64, arm64 or ppc64", ret);
        *ret_policy = p;
        *ret_arch = a;
        return 0;
}

/* io.memranged.DumpUnavailable {reason}: the library's message. */
static int error_dump_unavailable(struct manager *m, struct varlink_call *call, int error) {
        const char *msg = error == -ENODATA && !m->state->table ? "no table yet" : memrange_ctx_get_error(m->ctx);
        struct json_object *p = json_object_new_object();

        if (!p || mj_add(p, "reason", json_object_new_string(msg ?: strerror(-error))) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_error(call, IO_MEMRANGED_ERROR_DUMP_UNAVAILABLE, p);
}

/* {generation, policy, requested, arch} of a dump reply; NULL on ENOMEM. */
static struct json_object *dump_reply(struct manager *m, const struct memrange_dump_ranges *ranges,
                                      enum memrange_dump_policy requested) {
        _cleanup_(json_object_putp) struct json_object *p = api_reply_with_generation(m);
        struct mj_builder b = mj_builder_on(p);

        mj_build_string(&b, "policy", memrange_dump_policy_to_name(ranges->policy));
        mj_build_string(&b, "requested", memrange_dump_policy_to_name(requested));
        mj_build_string(&b, "arch", memrange_arch_to_name(ranges->arch) ?: "unknown");
        if (b.error < 0)
                return NULL;
        return TAKE_PTR(p);
}

/* [DumpRange]: {start, end, size, backup}. */
static int dump_ranges_to_json(const struct memrange_dump_ranges *ranges, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < ranges->n; i++) {
                const struct memrange_dump_range *d = &ranges->ranges[i];
                struct mj_builder b = mj_builder_on(json_object_new_object());
                int r;

                mj_build_span(&b, d->start, d->end, true);
                mj_build_bool(&b, "backup", (d->flags & MEMRANGE_DUMP_F_BACKUP) != 0);
                if (b.error < 0) {
                        json_object_put(b.object);
                        return b.error;
                }
                r = mj_append(a, b.object);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int api_method_get_crash_ranges(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct json_object *a = NULL, *d = NULL;
        struct mj_builder b;
        enum memrange_dump_policy policy;
        enum memrange_arch arch;
        int r;

        if (parse_dump_parameters(call, parameters, &policy, &arch, &r))
                return r;
        r = manager_dump_ranges(m, policy, arch, &ranges);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_dump_unavailable(m, call, r);
        r = memrange_dump_ranges_dropped(m->state->table, ranges, &dropped);
        if (r < 0)
                return r;
        p = dump_reply(m, ranges, policy);
        b = mj_builder_on(p);
        mj_build_encoded(&b, "ranges", dump_ranges_to_json(ranges, &a), &a);
        mj_build_encoded(&b, "dropped", memrange_json_from_list(dropped, &d), &d);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

int api_method_get_elf_core_header(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        _cleanup_(freep) void *buf = NULL;
        _cleanup_(freep) char *text = NULL;
        struct memrange_elfcore_opts opts = {};
        struct mj_builder b;
        enum memrange_dump_policy policy;
        enum memrange_arch arch;
        size_t size;
        int r;

        if (parse_dump_parameters(call, parameters, &policy, &arch, &r))
                return r;
        if (mj_get_u64(parameters, "direct_map_base", false, &opts.direct_map_base, NULL) < 0)
                return api_error_invalid_parameter(call, "direct_map_base", "expected an unsigned integer");
        if (mj_get_u64(parameters, "backup_offset", false, &opts.backup_offset, NULL) < 0)
                return api_error_invalid_parameter(call, "backup_offset", "expected an unsigned integer");
        r = manager_dump_ranges(m, policy, arch, &ranges);
        if (r >= 0)
                r = memrange_elfcore_build(m->ctx, m->state->sources, ranges, &opts, &buf, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_dump_unavailable(m, call, r);
        r = mr_base64_encode(buf, size, &text);
        if (r < 0)
                return r;
        p = dump_reply(m, ranges, policy);
        b = mj_builder_on(p);
        mj_build_u64(&b, "size", size);
        mj_build_string(&b, "header", text);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

/* ---------------------------------------------------------------------------
 * Reload
 */

static int error_reload_unavailable(struct manager *m, struct varlink_call *call) {
        const struct kexec_plan *plan = reload_loop_plan(m->reload);
        struct json_object *p = json_object_new_object();
        const char *reason = plan->error ?: plan->origin ?: "reloading is off";

        if (!p || mj_add(p, "reason", json_object_new_string(reason)) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_error(call, IO_MEMRANGED_ERROR_RELOAD_UNAVAILABLE, p);
}

/* A Reload call waiting for its attempt (below, after the reply). */
struct reload_caller {
        struct manager *manager;
        struct varlink_call *call;  /* reference held */
        struct reload_wait *wait;   /* owned by the reload loop */
};

static int reload_caller_wait(struct manager *m, struct varlink_call *call, bool force);

int api_method_reload(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        struct manager *m = userdata;
        bool force = false;

        if (mj_get_bool(parameters, "force", false, &force, NULL) < 0)
                return api_error_invalid_parameter(call, "force", "expected a boolean");
        log_info("Reload%s requested (uid 0, pid %d)", force ? " (forced)" : "", (int) varlink_call_peer_pid(call));
        return reload_caller_wait(m, call, force);
}

/* {reloaded, generation, reason, attempt?}, or ReloadFailed {attempt}. */
static int reply_reload(struct manager *m, struct varlink_call *call, const struct reload_outcome *outcome) {
        _cleanup_(json_object_putp) struct json_object *p = json_object_new_object();
        const char *reason = outcome->attempted ? "reloaded" : reload_decision_to_string(outcome->decision);
        struct json_object *attempt;
        struct mj_builder b;
        int r;

        if (!p)
                return -ENOMEM;
        if (outcome->attempted) {
                r = attempt_to_json(outcome->attempt, true, &attempt);
                if (r >= 0)
                        r = mj_add(p, "attempt", attempt);
                if (r < 0)
                        return r;
                if (!outcome->attempt->success)
                        return varlink_call_error(call, IO_MEMRANGED_ERROR_RELOAD_FAILED, TAKE_PTR(p));
        }
        b = mj_builder_on(p);
        mj_build_bool(&b, "reloaded", outcome->attempted);
        mj_build_u64(&b, "generation", m->state->generation);
        mj_build_string(&b, "reason", reason);
        if (b.error < 0)
                return b.error;
        return varlink_call_reply(call, TAKE_PTR(p));
}

static void reload_caller_free(struct reload_caller *c) {
        varlink_call_set_disconnect_handler(c->call, NULL, NULL);
        varlink_call_unref(c->call);
        free(c);
}

static void on_reload_done(const struct reload_outcome *outcome, void *userdata) {
        struct reload_caller *c = userdata;
        int r;

        /* NULL: the daemon is going away, the call closes unanswered. */
        if (outcome) {
                r = reply_reload(c->manager, c->call, outcome);
                if (r == -ENOMEM)
                        r = api_error_internal(c->call, r);
                if (r < 0)
                        log_debug_errno(r, "Cannot answer a Reload call: %m");
        }
        reload_caller_free(c);
}

/* The client went away: nobody to tell, but the attempt still runs. */
static void on_reload_caller_gone(struct varlink_call *call, void *userdata) {
        struct reload_caller *c = userdata;

        c->wait = reload_wait_cancel(c->wait);
        reload_caller_free(c);
}

static int reload_caller_wait(struct manager *m, struct varlink_call *call, bool force) {
        struct reload_caller *c = malloc(sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        *c = (struct reload_caller) { .manager = m, .call = varlink_call_ref(call) };
        varlink_call_set_disconnect_handler(call, on_reload_caller_gone, c);
        /* From here on @c may be gone: on_reload_done can run at once. */
        r = reload_loop_request(m->reload, force, on_reload_done, c, &c->wait);
        if (r < 0)
                reload_caller_free(c);
        if (r == -EOPNOTSUPP)
                return error_reload_unavailable(m, call);
        return r;
}

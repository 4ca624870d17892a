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
#include "kdump-settings.h"
#include "log.h"
#include "json-util.h"
#include "memrange-private.h"

/* ---------------------------------------------------------------------------
 * Status
 */

static int add_u64_if(struct json_object *o, const char *key, bool present, uint64_t value) {
        return present ? varlink_json_add(o, key, json_object_new_uint64(value)) : 0;
}

static int add_string_if(struct json_object *o, const char *key, const char *value) {
        return value ? varlink_json_add(o, key, json_object_new_string(value)) : 0;
}

static const char *attempt_result(const struct reload_attempt *a) {
        return a->success ? "success" : a->timed_out ? "timeout" : "failed";
}

/* ReloadAttempt of the interface description. */
static int attempt_to_json(const struct reload_attempt *a, bool privileged, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = varlink_json_add(o, "generation", json_object_new_uint64(a->generation))) < 0 ||
            (r = varlink_json_add(o, "forced", json_object_new_boolean(a->forced))) < 0 ||
            (r = varlink_json_add(o, "started_usec", json_object_new_uint64(a->started))) < 0 ||
            (r = varlink_json_add(o, "duration_usec", json_object_new_uint64(a->duration))) < 0 ||
            (r = varlink_json_add(o, "result", json_object_new_string(attempt_result(a)))) < 0 ||
            (r = add_u64_if(o, "exit_status", a->exit_status >= 0, (uint64_t) a->exit_status)) < 0 ||
            (r = add_u64_if(o, "signal", a->signal > 0, (uint64_t) a->signal)) < 0 ||
            (r = add_string_if(o, "error", a->error)) < 0 ||
            (r = varlink_json_add(o, "namespace", json_object_new_boolean(a->namespace_used))) < 0 ||
            (r = add_string_if(o, "namespace_error", a->namespace_error)) < 0 ||
            (r = add_string_if(o, "output", privileged ? a->output : NULL)) < 0)
                return r;
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

static int add_plan(struct json_object *o, const struct kexec_plan *plan, bool privileged) {
        _cleanup_(freep) char *command = NULL, *method = NULL;
        int r;

        if (privileged && plan->argv && !(command = strv_join_quoted(plan->argv)))
                return -ENOMEM;
        if (plan->n_steps > 0 && load_method_to_string(plan->method) &&
            asprintf(&method, "%s%s", load_method_to_string(plan->method), plan->hotplug ? " --hotplug" : "") < 0)
                return -ENOMEM;
        if ((r = add_string_if(o, "load_method", method)) < 0 ||
            (r = add_string_if(o, "load_method_reason", plan->n_steps > 0 ? plan->method_reason : NULL)) < 0 ||
            (r = add_string_if(o, "load_method_fallback", plan->fallback_reason)) < 0)
                return r;
        if ((r = varlink_json_add(o, "mode", json_object_new_string(reload_mode_to_string(plan->mode)))) < 0 ||
            (r = add_string_if(o, "mode_reason", plan->origin)) < 0 || (r = add_string_if(o, "mode_error", plan->error)) < 0 ||
            (r = add_string_if(o, "command", command)) < 0)
                return r;
        return 0;
}

/* The CPUs the image has a register note for, and those present now that
 * it lacks (a crash there would leave its registers out of the dump);
 * absent when unknown. */
static int add_image_cpus(struct json_object *o, const struct reload_engine *e) {
        _cleanup_(freep) char *held = NULL, *lacking = NULL;
        struct memrange_idset missing = {};
        int r;

        if (!e->image.ranges || e->image.ranges->cpus.n == 0)
                return 0;
        r = memrange_idset_to_string(&e->image.ranges->cpus, &held);
        if (r >= 0 && e->ranges && e->ranges->cpus.n > 0) {
                r = memrange_dump_cpus_missing(e->image.ranges, e->ranges, &missing);
                if (r >= 0)
                        r = memrange_idset_to_string(&missing, &lacking);
                memrange_idset_clear(&missing);
        }
        if (r < 0 || (r = add_string_if(o, "image_cpus", held)) < 0 ||
            (r = add_string_if(o, "image_cpus_missing", lacking)) < 0)
                return r;
        return 0;
}

static int add_image(struct json_object *o, const struct reload_engine *e) {
        const struct reload_image *image = &e->image;
        bool loaded = image->origin != IMAGE_NONE;
        int r;

        if ((r = add_string_if(o, "loaded_by", image_origin_to_string(image->origin))) < 0 ||
            (r = add_string_if(o, "image_ranges", image_ranges_to_string(image->origin))) < 0 ||
            (r = add_string_if(o, "method", load_method(e))) < 0 ||
            /* 0: ranges of none of our generations (a record, an interrupted load) */
            (r = add_u64_if(o, "loaded_generation", loaded && image->generation > 0, image->generation)) < 0 ||
            (r = add_u64_if(o, "loaded_usec", loaded && image->loaded_usec > 0, image->loaded_usec)) < 0 ||
            (r = add_u64_if(o, "stale_since_usec", e->stale_since > 0, e->stale_since)) < 0 ||
            (r = add_image_cpus(o, e)) < 0)
                return r;
        return 0;
}

static int add_counters(struct json_object *o, const struct reload_engine *e) {
        const struct reload_stats *s = &e->stats;
        int r;

        if ((r = varlink_json_add(o, "attempts", json_object_new_uint64(s->attempts))) < 0 ||
            (r = varlink_json_add(o, "reloads", json_object_new_uint64(s->reloads))) < 0 ||
            (r = varlink_json_add(o, "failures", json_object_new_uint64(s->failures))) < 0 ||
            (r = varlink_json_add(o, "skipped", json_object_new_uint64(s->skipped))) < 0 ||
            (r = varlink_json_add(o, "follow_ups", json_object_new_uint64(s->follow_ups))) < 0)
                return r;
        return 0;
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

int api_add_kdump(struct json_object *p, const struct manager *m, bool privileged) {
        const struct reload_engine *e = reload_loop_engine(m->reload);
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        bool up_to_date = (e->decision == RELOAD_DECISION_UNCHANGED && !e->ranges_drop_ram) ||
                          e->decision == RELOAD_DECISION_KERNEL_CURRENT;
        bool waiting = !e->in_flight && e->retry_at > 0 && e->decision == RELOAD_DECISION_NEEDED;
        struct json_object *last, *history;
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = varlink_json_add(o, "loaded", json_object_new_boolean(e->crash_loaded == 1))) < 0 ||
            (r = e->crash_hotplug >= 0 ? varlink_json_add(o, "crash_hotplug", json_object_new_boolean(e->crash_hotplug == 1))
                                        : 0) < 0 ||
            (r = varlink_json_add(o, "state", json_object_new_string(reload_engine_state(e)))) < 0 ||
            (r = varlink_json_add(o, "up_to_date", json_object_new_boolean(up_to_date && !e->in_flight))) < 0 ||
            (r = add_plan(o, reload_loop_plan(m->reload), privileged)) < 0 || (r = add_image(o, e)) < 0 ||
            (r = varlink_json_add(o, "reloading", json_object_new_boolean(e->in_flight))) < 0 ||
            (r = add_u64_if(o, "retry_usec", waiting, e->retry_at)) < 0 || (r = add_counters(o, e)) < 0 ||
            (r = history_to_json(e, privileged, &history)) < 0 || (r = varlink_json_add(o, "history", history)) < 0)
                return r;
        if (e->has_last) {
                r = attempt_to_json(&e->last, privileged, &last);
                if (r >= 0)
                        r = varlink_json_add(o, "last_reload", last);
                if (r < 0)
                        return r;
        }
        return varlink_json_add(p, "kdump", TAKE_PTR(o));
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

        if (varlink_json_get_string(parameters, "policy", &policy) < 0)
                return refuse_parameter(call, "policy", "expected a string", ret);
        if (varlink_json_get_string(parameters, "arch", &arch) < 0)
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

        if (!p || varlink_json_add(p, "reason", json_object_new_string(msg ?: strerror(-error))) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_error(call, "io.memranged.DumpUnavailable", p);
}

/* {generation, policy, requested, arch} of a dump reply; NULL on ENOMEM. */
static struct json_object *dump_reply(struct manager *m, const struct memrange_dump_ranges *ranges,
                                      enum memrange_dump_policy requested) {
        _cleanup_(json_object_putp) struct json_object *p = api_reply_with_generation(m);

        if (!p ||
            varlink_json_add(p, "policy", json_object_new_string(memrange_dump_policy_to_name(ranges->policy))) < 0 ||
            varlink_json_add(p, "requested", json_object_new_string(memrange_dump_policy_to_name(requested))) < 0 ||
            varlink_json_add(p, "arch", json_object_new_string(memrange_arch_to_name(ranges->arch) ?: "unknown")) < 0)
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
                struct json_object *o = json_object_new_object();
                int r;

                r = o ? mj_add_span(o, d->start, d->end, true) : -ENOMEM;
                if (r >= 0)
                        r = mj_add(o, "backup", json_object_new_boolean((d->flags & MEMRANGE_DUMP_F_BACKUP) != 0));
                if (r < 0) {
                        json_object_put(o);
                        return r;
                }
                r = mj_append(a, o);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int api_method_get_crash_ranges(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        static const char *const known[] = { "policy", "arch", NULL };
        struct manager *m = userdata;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct json_object *a;
        enum memrange_dump_policy policy;
        enum memrange_arch arch;
        int r;

        if (api_refuse_unprivileged(m, call, &r) || api_refuse_unknown(call, parameters, known, &r) ||
            parse_dump_parameters(call, parameters, &policy, &arch, &r))
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
        if (!p)
                return -ENOMEM;
        if ((r = dump_ranges_to_json(ranges, &a)) < 0 || (r = varlink_json_add(p, "ranges", a)) < 0 ||
            (r = memrange_json_from_list(dropped, &a)) < 0 || (r = varlink_json_add(p, "dropped", a)) < 0)
                return r;
        return varlink_call_reply(call, TAKE_PTR(p));
}

int api_method_get_elf_core_header(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        static const char *const known[] = { "policy", "arch", "direct_map_base", "backup_offset", NULL };
        struct manager *m = userdata;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        _cleanup_(freep) void *buf = NULL;
        _cleanup_(freep) char *text = NULL;
        struct memrange_elfcore_opts opts = {};
        enum memrange_dump_policy policy;
        enum memrange_arch arch;
        size_t size;
        int r;

        if (api_refuse_unprivileged(m, call, &r) || api_refuse_unknown(call, parameters, known, &r) ||
            parse_dump_parameters(call, parameters, &policy, &arch, &r))
                return r;
        if (varlink_json_get_uint64(parameters, "direct_map_base", &opts.direct_map_base) < 0)
                return api_error_invalid_parameter(call, "direct_map_base", "expected an unsigned integer");
        if (varlink_json_get_uint64(parameters, "backup_offset", &opts.backup_offset) < 0)
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
        if (!p || varlink_json_add(p, "size", json_object_new_uint64(size)) < 0 ||
            varlink_json_add(p, "header", json_object_new_string(text)) < 0)
                return -ENOMEM;
        return varlink_call_reply(call, TAKE_PTR(p));
}

/* ---------------------------------------------------------------------------
 * Reload
 */

static int error_reload_unavailable(struct manager *m, struct varlink_call *call) {
        const struct kexec_plan *plan = reload_loop_plan(m->reload);
        struct json_object *p = json_object_new_object();
        const char *reason = plan->error ?: plan->origin ?: "reloading is off";

        if (!p || varlink_json_add(p, "reason", json_object_new_string(reason)) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_error(call, "io.memranged.ReloadUnavailable", p);
}

int api_method_reload(struct varlink_call *call, struct json_object *parameters, void *userdata) {
        static const char *const known[] = { "force", NULL };
        struct manager *m = userdata;
        bool force = false;
        int r;

        if (api_refuse_unknown(call, parameters, known, &r))
                return r;
        if (varlink_json_get_bool(parameters, "force", &force) < 0)
                return api_error_invalid_parameter(call, "force", "expected a boolean");
        if (varlink_call_peer_uid(call) != 0)
                return varlink_call_error_permission_denied(call);
        log_info("Reload%s requested (uid 0, pid %d)", force ? " (forced)" : "", (int) varlink_call_peer_pid(call));
        r = reload_loop_request(m->reload, call, force);
        if (r == -EOPNOTSUPP)
                return error_reload_unavailable(m, call);
        return r;
}

/* {reloaded, generation, reason, attempt?}, or ReloadFailed {attempt}. */
static int reply_reload(struct manager *m, struct varlink_call *call, const struct reload_outcome *outcome) {
        _cleanup_(json_object_putp) struct json_object *p = json_object_new_object();
        const char *reason = outcome->attempted ? "reloaded" : reload_decision_to_string(outcome->decision);
        struct json_object *attempt;
        int r;

        if (!p)
                return -ENOMEM;
        if (outcome->attempted) {
                r = attempt_to_json(outcome->attempt, true, &attempt);
                if (r >= 0)
                        r = varlink_json_add(p, "attempt", attempt);
                if (r < 0)
                        return r;
                if (!outcome->attempt->success)
                        return varlink_call_error(call, "io.memranged.ReloadFailed", TAKE_PTR(p));
        }
        if (varlink_json_add(p, "reloaded", json_object_new_boolean(outcome->attempted)) < 0 ||
            varlink_json_add(p, "generation", json_object_new_uint64(m->state->generation)) < 0 ||
            varlink_json_add(p, "reason", json_object_new_string(reason)) < 0)
                return -ENOMEM;
        return varlink_call_reply(call, TAKE_PTR(p));
}

void api_reply_reload(struct varlink_call *call, const struct reload_outcome *outcome, void *userdata) {
        int r = reply_reload(userdata, call, outcome);

        if (r == -ENOMEM)
                r = api_error_internal(call, r);
        if (r < 0)
                log_debug_errno(r, "Cannot answer a Reload call: %m");
}

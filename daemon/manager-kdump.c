/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's kdump side: the reload plan from the configuration, the
 * reload loop's hooks (the iomem rendering of the current table, the
 * Reload answers, shutdown waiting for a reload), and what every rebuild
 * hands to the reload engine. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/utsname.h>

#include "api.h"
#include "kdump-settings.h"
#include "kexec-plan.h"
#include "log.h"
#include "manager.h"
#include "memrange-private.h"

/* The kdump state word of status lines ("up to date", "stale"...). */
const char *manager_kdump_state(const struct manager *m) {
        return reload_engine_state(reload_loop_engine(m->reload));
}

int manager_dump_ranges(struct manager *m, enum memrange_dump_policy policy, enum memrange_arch arch,
                        struct memrange_dump_ranges **ret) {
        if (!m->state->table)
                return -ENODATA;
        mr_clear_error(m->ctx);
        return memrange_dump_ranges_compute(m->ctx, m->state->table, m->state->sources, policy, arch, ret);
}

void manager_on_generation(struct manager *m) {
        const struct memrange_crash *c = m->state->sources ? m->state->sources->crash : NULL;
        enum memrange_dump_policy policy = kexec_plan_dump_policy(reload_loop_plan(m->reload));
        struct memrange_dump_ranges *ranges = NULL;
        const char *old = m->kdump_state;
        int r;

        r = manager_dump_ranges(m, policy, MEMRANGE_ARCH_UNKNOWN, &ranges);
        if (r < 0 && r != -ENODATA)
                log_debug_errno(r, "No dump ranges for generation %" PRIu64 ": %m", m->state->generation);
        /* The engine takes the ranges and may start a reload at once. */
        (void) reload_loop_observe(m->reload, m->state->generation, r < 0 ? NULL : ranges,
                                   c ? c->kexec_crash_loaded : -1, c ? c->crash_hotplug_memory : -1);
        m->kdump_state = manager_kdump_state(m);
        if (!old || strcmp(old, m->kdump_state) != 0)
                log_info("kdump: %s", m->kdump_state);
}

/* kdump-config's ARCH=$(uname -m): the running kernel's rules. */
static enum memrange_arch running_arch(void) {
        struct utsname u;
        int arch;

        if (uname(&u) < 0)
                return MEMRANGE_ARCH_UNKNOWN;
        arch = memrange_arch_from_name(u.machine);
        return arch < 0 ? MEMRANGE_ARCH_UNKNOWN : arch;
}

static int build_plan(struct manager *m, struct kexec_plan *ret) {
        const struct kexec_plan_input in = {
                .config = &m->config,
                .config_name = m->options.config_path ?: CONFIG_DEFAULT_PATH,
                .ctx = m->ctx,
                .arch = running_arch(),
        };
        int r;

        r = kexec_plan_build(&in, ret);
        if (r < 0)
                return log_error_errno(r, "Cannot work out how to reload kdump: %m");
        if (ret->error)
                log_warning("kdump reload: %s (%s)", ret->error, ret->origin ?: "");
        else
                log_info("kdump reload: %s, %s", reload_mode_to_string(ret->mode), ret->origin);
        if (ret->argv) {
                _cleanup_(freep) char *command = strv_join_quoted(ret->argv);

                log_info("kdump reload command: %s", command ?: ret->argv[0]);
        }
        return 0;
}

/* Renders the current table for kexec-tools (the engine loads the newest
 * generation, which is the current one). */
static int render_iomem(void *userdata, char **ret_text, size_t *ret_len) {
        struct manager *m = userdata;

        if (!m->state->table)
                return -ENODATA;
        return memrange_render_iomem(m->state->table, m->state->sources ? m->state->sources->iomem : NULL, ret_text,
                                     ret_len);
}

static void on_reload_idle(void *userdata) {
        struct manager *m = userdata;

        manager_notify_status(m);
        if (m->exit_when_idle) {
                log_info("The kdump reload ended, stopping");
                (void) sd_event_exit(m->event, 0);
        }
}

static const struct reload_loop_ops reload_ops = {
        .render = render_iomem,
        .reply = api_reply_reload,
        .idle = on_reload_idle,
};

int manager_start_reload_engine(struct manager *m) {
        struct kexec_plan plan;
        int r;

        r = kexec_run_block_sigchld();
        if (r < 0)
                return log_error_errno(r, "Cannot block SIGCHLD: %m");
        r = build_plan(m, &plan);
        if (r < 0)
                return r;
        return reload_loop_new(m->event, &plan, &reload_ops, m, &m->reload);
}

void manager_replan_reload(struct manager *m) {
        struct kexec_plan plan;

        if (build_plan(m, &plan) >= 0)
                reload_loop_set_plan(m->reload, &plan);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's kdump side: the reload plan from the configuration, the
 * reload loop's hooks (the iomem rendering of the current table, the
 * Reload answers, shutdown waiting for a reload), and what every rebuild
 * hands to the reload engine. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "kdump-views.h"
#include "strv.h"
#include "kexec-plan.h"
#include "log.h"
#include "manager.h"
#include "fileio.h"
#include "memrange-cleanup.h"
#include "reload-record.h"

/* The kdump state word of status lines ("up to date", "stale"...). */
const char *manager_kdump_state(const struct manager *m) {
        return reload_engine_state(reload_loop_engine(m->reload));
}

bool manager_kdump_up_to_date(const struct manager *m) {
        const struct reload_engine *e = reload_loop_engine(m->reload);

        return ((e->decision == RELOAD_DECISION_UNCHANGED && !e->ranges_drop_ram) ||
                e->decision == RELOAD_DECISION_KERNEL_CURRENT) &&
               !e->in_flight;
}

int manager_dump_ranges(struct manager *m, enum memrange_dump_policy policy, enum memrange_arch arch,
                        struct memrange_dump_ranges **ret) {
        return state_dump_ranges(m->state, policy, arch, ret);
}

int manager_findings(const struct manager *m, struct memrange_findings *ret_view) {
        static const struct reload_image none = {};

        return reload_image_findings(m->reload ? &reload_loop_engine(m->reload)->image : &none, m->state->findings,
                                     ret_view);
}

/* What an image another loader (kdump-tools, a plain kexec -p) built from
 * the kernel's own files holds, when memranged's loads use a view of their
 * own (@policy differs from the plan's), and whether @ranges leave RAM out. */
static void observe_foreign(struct manager *m, enum memrange_dump_policy plan_policy,
                            enum memrange_dump_policy policy, const struct memrange_dump_ranges *ranges) {
        struct memrange_dump_ranges *foreign = NULL;
        struct memrange_list *dropped = NULL;
        bool drops = false;

        if (ranges && memrange_dump_ranges_dropped(m->state->table, ranges, &dropped) >= 0) {
                drops = dropped->n > 0;
                memrange_list_free(dropped);
        }
        if (ranges && kdump_foreign_images_unreadable(m->ctx, m->state->sources, kdump_running_arch())) {
                /* Its header names ranges, yet none can be read. */
                foreign = calloc(1, sizeof(*foreign));
                if (foreign)
                        *foreign = (struct memrange_dump_ranges) { .policy = plan_policy, .arch = ranges->arch };
        } else if (ranges && policy != plan_policy &&
                   manager_dump_ranges(m, plan_policy, MEMRANGE_ARCH_UNKNOWN, &foreign) >= 0 &&
                   memrange_dump_ranges_equal(foreign, ranges))
                foreign = memrange_dump_ranges_free(foreign);
        reload_loop_set_foreign(m->reload, foreign, drops);
}

void manager_on_generation(struct manager *m) {
        const struct memrange_crash *c = m->state->sources ? m->state->sources->crash : NULL;
        const struct kexec_plan *plan = reload_loop_plan(m->reload);
        enum memrange_dump_policy plan_policy = kexec_plan_dump_policy(plan);
        enum memrange_dump_policy policy =
                kdump_view_policy(plan_policy, kdump_running_arch(), plan->argv && plan->mode != RELOAD_MODE_OFF);
        struct memrange_dump_ranges *ranges = NULL;
        const char *old = m->kdump_state;
        int r;

        r = manager_dump_ranges(m, policy, MEMRANGE_ARCH_UNKNOWN, &ranges);
        if (r < 0 && r != -ENODATA)
                log_debug_errno(r, "No dump ranges for generation %" PRIu64 ": %m", m->state->generation);
        observe_foreign(m, plan_policy, policy, r < 0 ? NULL : ranges);
        /* The engine takes the ranges and may start a reload at once. */
        (void) reload_loop_observe(m->reload, m->state->generation, r < 0 ? NULL : ranges,
                                   c ? c->kexec_crash_loaded : -1, c ? c->crash_hotplug_memory : -1);
        m->kdump_state = manager_kdump_state(m);
        if (!old || strcmp(old, m->kdump_state) != 0)
                log_info("kdump: %s", m->kdump_state);
}

static int build_plan(struct manager *m, struct kexec_plan *ret) {
        const struct kexec_plan_input in = {
                .kdump = &m->config.kdump,
                .config_name = m->options.config_path ?: CONFIG_DEFAULT_PATH,
                .ctx = m->ctx,
                .arch = kdump_running_arch(), /* kdump-config's ARCH=$(uname -m) */
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
        return memrange_render_iomem_arch(m->state->table, m->state->sources ? m->state->sources->iomem : NULL,
                                          kdump_running_arch(), ret_text, ret_len);
}

static int render_views(void *userdata, struct kdump_views *ret) {
        struct manager *m = userdata;

        return kdump_views_render(m->ctx, m->state->sources, kdump_running_arch(), ret);
}

static void on_reload_idle(void *userdata) {
        struct manager *m = userdata;

        manager_notify_status(m);
        if (m->exit_when_idle) {
                log_info("The kdump reload ended, stopping");
                (void) sd_event_exit(m->event, 0);
        }
}

static void on_reload_ended(void *userdata) {
        manager_metrics_schedule(userdata);
}

static void on_replan(void *userdata) {
        manager_on_generation(userdata);
}

static const struct reload_loop_ops reload_ops = {
        .render = render_iomem,
        .views = render_views,
        .idle = on_reload_idle,
        .ended = on_reload_ended,
        .replan = on_replan,
};

/* What the record of an earlier memranged of this boot says about the
 * crash image found loaded now (reload-record.h). */
static void adopt_record(struct manager *m, const char *path, const char *boot_id) {
        struct reload_record rec = {};
        int r;

        r = reload_record_read(path, &rec);
        if (r == -ENOENT) {
                log_info("No record of a crash kernel loaded by memranged (%s): one loaded now is assumed to be "
                         "kdump-tools' with the ranges of generation 1",
                         path);
                return;
        }
        if (r == -ENOMEM) {
                log_error("Out of memory reading %s", path);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot read %s (%m): a crash kernel loaded now counts as unknown and is reloaded",
                                  path);
                reload_loop_set_startup_image(m->reload, true, NULL);
                return;
        }
        if (strcmp(rec.boot_id, boot_id ?: "") != 0)
                log_info("%s is of another boot (%s), ignoring it", path, rec.boot_id[0] ? rec.boot_id : "no boot id");
        else if (rec.done) {
                log_info("%s: memranged loaded %zu dump range(s) (its generation %" PRIu64 ") before it restarted",
                         path, rec.ranges->n, rec.generation);
                reload_loop_set_startup_image(m->reload, false, TAKE_PTR(rec.ranges));
        } else {
                log_notice("%s: a kdump load by memranged (its generation %" PRIu64 ") was interrupted; "
                           "the crash kernel loaded now is unknown and will be reloaded",
                           path, rec.generation);
                reload_loop_set_startup_image(m->reload, true, NULL);
        }
        reload_record_clear(&rec);
}

/* The record lives next to the socket, in the runtime directory. */
static int setup_record(struct manager *m) {
        _cleanup_(freep) char *path = reload_record_path(m->options.socket_path, MANAGER_DEFAULT_SOCKET);
        _cleanup_(freep) char *boot_id = NULL;

        if (!path)
                return -ENOMEM;
        /* Missing (a copied sysroot): records are compared with "". */
        (void) read_line_file_at(memrange_ctx_get_sysroot_fd(m->ctx), "proc/sys/kernel/random/boot_id", LINE_FILE_MAX, &boot_id);
        reload_loop_set_record(m->reload, path, boot_id);
        adopt_record(m, path, boot_id);
        return 0;
}

int manager_start_reload_engine(struct manager *m) {
        struct kexec_plan plan;
        int r;

        r = kexec_run_block_sigchld();
        if (r < 0)
                return log_error_errno(r, "Cannot block SIGCHLD: %m");
        r = build_plan(m, &plan);
        if (r < 0)
                return r;
        r = reload_loop_new(m->event, &plan, &reload_ops, m, &m->reload);
        if (r < 0)
                return r;
        return setup_record(m);
}

void manager_replan_reload(struct manager *m) {
        struct kexec_plan plan;

        if (build_plan(m, &plan) >= 0)
                reload_loop_set_plan(m->reload, &plan);
}

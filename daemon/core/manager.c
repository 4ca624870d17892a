/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: lifecycle, event sources, rebuild dispatch, configuration
 * reloads and the systemd notifications (DESIGN.md, daemon promises 1, 2,
 * 5, 7). The methods of the socket are in api.c. */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "version.h"
#include "api.h"
#include "event-util.h"
#include "log.h"
#include "manager.h"
#include "io.memranged.h"

/* ---------------------------------------------------------------------------
 * Status and the generation hook
 */

/* A failing reload shows in `systemctl status` itself: kdump stays stale
 * until one succeeds, and the service must not look healthy meanwhile. */
void manager_notify_status(struct manager *m) {
        const struct state *s = m->state;
        const struct reload_engine *e = m->reload ? reload_loop_engine(m->reload) : NULL;
        char failing[160] = "";

        if (e && e->consecutive_failures > 0 && e->has_last && e->last.error)
                (void) snprintf(failing, sizeof(failing), " (reload failed %u time%s in a row: %s)",
                                e->consecutive_failures, e->consecutive_failures == 1 ? "" : "s", e->last.error);
        (void) sd_notifyf(false, "STATUS=generation %" PRIu64 ", %zu ranges, kdump: %s%s%s", s->generation,
                          s->table ? memrange_table_count(s->table) : 0, manager_kdump_state(m), failing,
                          s->last_error < 0 ? " (last rebuild failed)" : "");
        manager_metrics_schedule(m);
}

static void add_receiver_stats(const struct uevent_receiver *r, struct uevent_stats *sum) {
        const struct uevent_stats *s;

        if (!r)
                return;
        s = uevent_receiver_get_stats(r);
        sum->received += s->received;
        sum->delivered += s->delivered;
        sum->ignored += s->ignored + s->udev + s->dropped_sender;
        sum->malformed += s->malformed;
        sum->lost_enobufs += s->lost_enobufs;
        sum->truncated += s->truncated;
}

void manager_uevent_stats(const struct manager *m, struct uevent_stats *ret) {
        struct uevent_stats sum = {};

        add_receiver_stats(m->netlink, &sum);
        add_receiver_stats(m->test_uevents, &sum);
        *ret = sum;
}

static void log_change(const struct state *s) {
        const struct state_change *c = &s->last_change;

        log_info("Generation %" PRIu64 " (%s): %zu range(s) added, %zu removed, %zu in the table", c->generation,
                 change_reason_to_string(c->reason), c->added.n, c->removed.n, memrange_table_count(s->table));
}

/* Full (@work NULL) or scheduled rebuild, and everything that follows a
 * new generation. */
static int manager_rebuild(struct manager *m, const struct rebuild_work *work, enum change_reason reason) {
        usec_t started = now_usec(CLOCK_MONOTONIC);
        int r;

        r = state_rebuild(m->state, work, reason, event_now(m->event));
        /* The loop's time is that of its wake-up; the cost of the rebuild
         * itself needs the clock read again. */
        m->last_rebuild_usec = now_usec(CLOCK_MONOTONIC) - started;
        if (r > 0) {
                log_change(m->state);
                api_notify_change(m, &m->state->last_change);
        } else if (r == 0)
                log_debug("Rebuild (%s): table unchanged, generation %" PRIu64, change_reason_to_string(reason),
                          m->state->generation);
        /* Also when unchanged: a rescan may be how we learn of a new load. */
        if (r >= 0)
                manager_on_generation(m);
        manager_notify_status(m);
        return r;
}

int manager_rescan(struct manager *m) {
        return manager_rebuild(m, NULL, CHANGE_RESCAN);
}

static void on_rebuild(struct scheduler *s, const struct rebuild_work *work, void *userdata) {
        struct manager *m = userdata;
        enum change_reason reason = work->n_lost > 0 ? CHANGE_LOST_EVENTS :
                                    work->n_requests > 0 ? CHANGE_RESCAN : CHANGE_UEVENT;

        log_debug("Rebuild after %" PRIu64 " hint(s): %s, %zu block(s)%s", work->n_hints,
                  work->full_rescan             ? "full rescan"
                  : work->memory_layout_changed ? "layout"
                                                : "incremental",
                  work->n_blocks,
                  work->cpus_changed ? ", CPUs" : "");
        (void) manager_rebuild(m, work, reason);
}

/* ---------------------------------------------------------------------------
 * Uevents
 */

static void on_uevent(struct uevent_receiver *r, const struct uevent *ev, void *userdata) {
        struct manager *m = userdata;
        int k;

        /* The receiver has logged the event; it is only a hint to re-read. */
        k = scheduler_hint_event(m->scheduler, ev);
        if (k < 0)
                log_warning_errno(k, "Cannot arm the rebuild timer: %m");
}

static void on_uevents_lost(struct uevent_receiver *r, int error, void *userdata) {
        struct manager *m = userdata;
        int k;

        log_warning_errno(error, "Kernel events were lost (%m): scheduling a full rescan");
        k = scheduler_hint_lost(m->scheduler);
        if (k < 0)
                log_warning_errno(k, "Cannot arm the rebuild timer: %m");
}

/* A stale test socket is replaced; anything else at the path is an error. */
static int open_test_uevents(struct manager *m) {
        const char *path = m->options.uevent_socket;
        struct stat st;
        int r;

        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                (void) unlink(path);
        r = uevent_receiver_new(m->event, on_uevent, on_uevents_lost, m, &m->test_uevents);
        if (r < 0)
                return r;
        r = uevent_receiver_open_test_socket(m->test_uevents, path);
        if (r < 0)
                return log_error_errno(r, "Cannot open the test uevent socket %s: %m", path);
        log_info("Reading test uevents from %s", path);
        return 0;
}

static int open_uevents(struct manager *m) {
        int r;

        if (!m->options.no_kernel_uevents) {
                r = uevent_receiver_new(m->event, on_uevent, on_uevents_lost, m, &m->netlink);
                if (r < 0)
                        return r;
                r = uevent_receiver_open_netlink(m->netlink);
                if (r < 0)
                        return log_error_errno(r, "Cannot open the kernel uevent socket: %m");
        } else
                log_notice("Kernel uevents disabled (--no-kernel-uevents)");
        if (m->options.uevent_socket)
                return open_test_uevents(m);
        return 0;
}

/* ---------------------------------------------------------------------------
 * Privileges
 */

static void lookup_group(struct manager *m) {
        struct group *g;
        gid_t old = m->group;

        errno = 0;
        g = getgrnam(MANAGER_GROUP);
        m->group = g ? g->gr_gid : (gid_t) -1;
        if (m->group == old)
                return;
        if (g)
                log_info("Members of group %s (gid %u) may see physical addresses", MANAGER_GROUP,
                         (unsigned) m->group);
        else
                log_info("No group %s: only root may see physical addresses", MANAGER_GROUP);
}

bool manager_call_is_privileged(const struct manager *m, const struct varlink_call *call) {
        if (varlink_call_peer_uid(call) == 0)
                return true;
        return m->group != (gid_t) -1 && varlink_call_peer_in_group(call, m->group);
}

/* ---------------------------------------------------------------------------
 * Configuration
 */

static void apply_log_level(struct manager *m) {
        int level = m->options.log_level >= 0 ? m->options.log_level : m->config.log_level;

        log_set_max_priority(level);
        if (m->ctx)
                memrange_ctx_set_log_priority(m->ctx, level);
}

static bool socket_limits_differ(const struct config *a, const struct config *b) {
        return a->max_connections != b->max_connections || a->max_connections_per_user != b->max_connections_per_user ||
               a->max_message_size != b->max_message_size || a->max_output_queue != b->max_output_queue;
}

static const char *config_path(const struct manager *m) {
        return m->options.config_path ?: CONFIG_DEFAULT_PATH;
}

static void reload_config(struct manager *m) {
        struct config new;
        int r;

        config_init(&new);
        r = config_load(&new, config_path(m), m->options.config_path != NULL);
        if (r != 0) {
                log_error("%s: %s, keeping the running configuration", config_path(m),
                          r < 0 ? "cannot be read" : "has errors");
                config_done(&new);
                return;
        }
        if (config_log_changes(&m->config, &new) == 0)
                log_info("Configuration reloaded from %s: nothing changed", config_path(m));
        r = scheduler_set_timing(m->scheduler, new.quiet_window, new.max_delay);
        if (r < 0)
                log_warning_errno(r, "Cannot apply the new coalescing timing: %m");
        if (socket_limits_differ(&m->config, &new))
                log_notice("[Socket] limits apply to connections after a restart of memranged");
        config_done(&m->config);
        m->config = new;
        apply_log_level(m);
        lookup_group(m);
        manager_replan_reload(m);
}

/* ---------------------------------------------------------------------------
 * Signals
 */

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;

        log_info("Received %s, stopping", strsignal((int) si->ssi_signo));
        m->stopping = true;
        (void) sd_notify(false, "STOPPING=1");
        /* Killing a reload could leave no crash kernel (Command= may unload
         * first): let it end, within its TimeoutSec=. */
        if (m->reload && reload_loop_busy(m->reload) && !m->exit_when_idle) {
                log_info("Waiting for the kdump reload in flight");
                m->exit_when_idle = true;
                return 0;
        }
        return sd_event_exit(m->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;

        log_info("Received SIGHUP, reloading %s", config_path(m));
        reload_config(m);
        manager_notify_status(m);
        return 0;
}

static int add_signals(struct manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_add_signal(m->event, &m->sigterm, SIGTERM, on_stop_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint, SIGINT, on_stop_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m);
        return r;
}

/* ---------------------------------------------------------------------------
 * The varlink socket
 */

static int make_parent_directory(const char *path) {
        _cleanup_(freep) char *copy = strdup(path);
        const char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Cannot create %s: %m", dir);
        return 0;
}

static int listen_socket(struct manager *m) {
        const char *path = m->options.socket_path ?: MANAGER_DEFAULT_SOCKET;
        int n, r;

        n = sd_listen_fds(true);
        if (n < 0)
                return log_error_errno(n, "Cannot read the socket-activation fds: %m");
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
                        log_warning("Ignoring passed fd %d: not a listening AF_UNIX stream socket", fd);
                        (void) close(fd);
                        continue;
                }
                r = varlink_server_listen_fd(m->server, fd);
                if (r < 0)
                        return log_error_errno(r, "Cannot listen on passed fd %d: %m", fd);
        }
        if (n > 0) {
                log_info("Listening on %d socket(s) passed by the service manager", n);
                return 0;
        }
        r = make_parent_directory(path);
        if (r < 0)
                return r;
        r = varlink_server_listen_path(m->server, path);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on %s: %m", path);
        log_info("Listening on %s", path);
        return 0;
}

/* The server with io.memranged, not listening yet. */
static int create_server(struct manager *m) {
        const struct varlink_service_info info = {
                .vendor = "memranged",
                .product = "memranged",
                .version = PROJECT_VERSION,
                /* GetInfo's url must be a string: the project has no public address. */
                .url = "",
                .internal_error = IO_MEMRANGED_ERROR_INTERNAL,
        };
        const struct varlink_limits limits = {
                .max_message_size = m->config.max_message_size,
                .max_connections = m->config.max_connections,
                .max_connections_per_uid = m->config.max_connections_per_user,
                .max_output_queue = m->config.max_output_queue,
        };
        int r;

        r = varlink_server_new(m->event, &info, &limits, &m->server);
        if (r < 0)
                return log_error_errno(r, "Cannot create the varlink server: %m");
        r = api_register(m);
        if (r < 0)
                return log_error_errno(r, "Cannot register io.memranged: %m");
        return 0;
}

static int start_server(struct manager *m) {
        int r;

        r = create_server(m);
        if (r < 0)
                return r;
        return listen_socket(m);
}

/* ---------------------------------------------------------------------------
 * Lifecycle
 */

static int copy_option(const char *s, const char **ret) {
        char *copy = NULL;

        if (s && !(copy = strdup(s)))
                return -ENOMEM;
        *ret = copy;
        return 0;
}

static int copy_options(struct manager *m, const struct manager_options *o) {
        m->options = (struct manager_options) { .no_kernel_uevents = o->no_kernel_uevents, .log_level = o->log_level };
        if (copy_option(o->sysroot, &m->options.sysroot) < 0 || copy_option(o->socket_path, &m->options.socket_path) < 0 ||
            copy_option(o->config_path, &m->options.config_path) < 0 ||
            copy_option(o->uevent_socket, &m->options.uevent_socket) < 0)
                return -ENOMEM;
        return 0;
}

int manager_new(const struct manager_options *options, struct manager **ret_manager) {
        _cleanup_(manager_freep) struct manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->group = (gid_t) -1;
        config_init(&m->config);
        r = copy_options(m, options);
        if (r < 0)
                return r;
        r = config_load(&m->config, config_path(m), m->options.config_path != NULL);
        if (r < 0)
                return r;
        if (r > 0)
                log_warning("%s: %d invalid setting(s), using the defaults for them", config_path(m), r);
        apply_log_level(m);

        r = sd_event_new(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        r = memrange_ctx_new(m->options.sysroot, &m->ctx);
        if (r < 0)
                return log_error_errno(r, "Cannot open sysroot %s: %m", m->options.sysroot ?: "/");
        memrange_ctx_set_log_fn(m->ctx, log_memrange, NULL);
        apply_log_level(m);
        r = state_new(m->ctx, &m->state);
        if (r < 0)
                return r;
        r = scheduler_new(m->event, m->config.quiet_window, m->config.max_delay, on_rebuild, m, &m->scheduler);
        if (r < 0)
                return log_error_errno(r, "Cannot create the rebuild scheduler: %m");
        r = manager_start_reload_engine(m);
        if (r < 0)
                return r;
        lookup_group(m);
        *ret_manager = TAKE_PTR(m);
        return 0;
}

int manager_start(struct manager *m) {
        int r;

        r = add_signals(m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up signal handling: %m");
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog: %m");

        /* Events that arrive during the first scan wait in the socket. */
        r = open_uevents(m);
        if (r < 0)
                return r;
        r = manager_rebuild(m, NULL, CHANGE_STARTUP);
        if (r < 0)
                return log_error_errno(r, "The first scan of %s failed: %m", m->options.sysroot ?: "/");
        r = start_server(m);
        if (r < 0)
                return r;

        (void) sd_notifyf(false, "READY=1\nSTATUS=generation %" PRIu64 ", %zu ranges, kdump: %s",
                          m->state->generation, memrange_table_count(m->state->table), manager_kdump_state(m));
        log_info("Ready: generation %" PRIu64 ", %zu ranges, kdump: %s", m->state->generation,
                 memrange_table_count(m->state->table), manager_kdump_state(m));
        return 0;
}

int manager_run(struct manager *m) {
        return sd_event_loop(m->event);
}

int manager_start_in_process(struct manager *m) {
        int r;

        m->group = (gid_t) -1;
        r = manager_rebuild(m, NULL, CHANGE_STARTUP);
        if (r < 0)
                return log_error_errno(r, "The first scan of %s failed: %m", m->options.sysroot ?: "/");
        return create_server(m);
}

int manager_add_connection(struct manager *m, int fd, const struct ucred *cred) {
        return varlink_server_add_connection(m->server, fd, cred);
}

sd_event *manager_get_event(const struct manager *m) {
        return m->event;
}

void manager_count_clients(const struct manager *m, unsigned *ret_connections, size_t *ret_subscribers) {
        *ret_connections = varlink_server_n_connections(m->server);
        *ret_subscribers = m->n_subscribers;
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;
        api_drop_subscribers(m);
        manager_metrics_done(m);
        free(m->list_ranges.text);
        m->reload = reload_loop_free(m->reload);
        m->server = varlink_server_free(m->server);
        m->scheduler = scheduler_free(m->scheduler);
        m->netlink = uevent_receiver_free(m->netlink);
        if (m->test_uevents) {
                m->test_uevents = uevent_receiver_free(m->test_uevents);
                (void) unlink(m->options.uevent_socket);
        }
        m->sigterm = sd_event_source_unref(m->sigterm);
        m->sigint = sd_event_source_unref(m->sigint);
        m->sighup = sd_event_source_unref(m->sighup);
        state_free(m->state);
        memrange_ctx_unref(m->ctx);
        config_done(&m->config);
        sd_event_unref(m->event);
        free((char *) m->options.sysroot);
        free((char *) m->options.socket_path);
        free((char *) m->options.config_path);
        free((char *) m->options.uevent_socket);
        free(m);
        return NULL;
}

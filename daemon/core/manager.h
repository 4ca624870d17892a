/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's manager: one sd-event loop carrying the uevent sources, the
 * coalescing scheduler, the varlink server and the signal handlers, around
 * the state (the table and its generation).
 *
 * Start order (DESIGN.md, daemon promise 1): uevent socket(s) first, then
 * the first full scan (generation 1), then the varlink socket, then
 * READY=1. Events that arrive during the scan wait in the socket buffer. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "macro.h"
#include "memrange-json.h"
#include "metrics.h"
#include "reload-loop.h"
#include "scheduler.h"
#include "state.h"
#include "uevent.h"
#include "varlink.h"
#include "io.memranged.h"

#define MANAGER_DEFAULT_SOCKET IO_MEMRANGED_SOCKET_PATH
#define MANAGER_GROUP "memrange"

struct manager_options {
        const char *sysroot;        /* NULL: "/" */
        const char *socket_path;    /* NULL: MANAGER_DEFAULT_SOCKET (unless socket-activated) */
        const char *config_path;    /* NULL: CONFIG_DEFAULT_PATH, which may be missing */
        const char *uevent_socket;  /* test datagram source, or NULL */
        bool no_kernel_uevents;     /* do not open the netlink socket */
        int log_level;              /* -1: from the configuration */
};

/* A reply serialised once and sent to every caller that asks the same:
 * valid for one generation and one filter (api.c's ListRanges). */
struct cached_reply {
        char *text;                        /* serialised parameters; NULL: nothing cached */
        size_t len;
        uint64_t generation;
        struct memrange_json_filter filter;
};

struct manager {
        sd_event *event;
        struct manager_options options; /* strings owned (copies) */
        struct config config;

        struct memrange_ctx *ctx;
        struct state *state;
        struct reload_loop *reload;        /* the kdump reload engine */
        const char *kdump_state;           /* its last state word, for the log */

        struct uevent_receiver *netlink;   /* kernel uevents, or NULL */
        struct uevent_receiver *test_uevents;
        struct scheduler *scheduler;
        usec_t last_rebuild_usec;          /* wall time the last rebuild took (read, reconcile, compare) */

        struct varlink_server *server;
        gid_t group;                       /* gid of MANAGER_GROUP, or (gid_t) -1 */

        struct metrics_file metrics;       /* [Metrics] Directory='s file (metrics.c) */

        struct cached_reply list_ranges;   /* the last ListRanges reply */
        struct varlink_call **subscribers; /* open Subscribe calls, each a reference */
        size_t n_subscribers;

        sd_event_source *sigterm, *sigint, *sighup;
        bool stopping;
        bool exit_when_idle;               /* stopping: waits for the kdump reload in flight */
};

/* Copies @options, loads the configuration (an explicit file that is
 * missing is an error) and creates the loop. Nothing is opened yet. */
int manager_new(const struct manager_options *options, struct manager **ret_manager);
/* Drops every subscriber, closes every socket, frees everything. */
struct manager *manager_free(struct manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct manager *, manager_free)

/* Opens the uevent socket(s), scans, listens, notifies READY=1. */
int manager_start(struct manager *m);
/* Runs the loop until SIGTERM/SIGINT; returns its exit code. */
int manager_run(struct manager *m);

/* ---- in-process clients (the fuzz target, fuzz/fuzz-varlink-api.c) ---- */

/* What manager_start() does without the outside world: the first scan and
 * the server with io.memranged, but no signals, watchdog, uevent sockets,
 * listening socket or READY=1. Only root is privileged then: the groups a
 * socket pair reports are this process's own, not those of the caller that
 * manager_add_connection() is told about. */
int manager_start_in_process(struct manager *m);
/* Serves @fd, one end of a connected stream socket (taken over, also on
 * failure), as a connection from a peer with @cred's uid and gid. */
int manager_add_connection(struct manager *m, int fd, const struct ucred *cred);
/* The loop, for callers that run it step by step (sd_event_run()). */
sd_event *manager_get_event(const struct manager *m);
/* Open client connections and Subscribe calls: a client that left must
 * leave neither behind. */
void manager_count_clients(const struct manager *m, unsigned *ret_connections, size_t *ret_subscribers);

/* A synchronous full rebuild (the Rescan method): 1 changed, 0 not, -errno. */
int manager_rescan(struct manager *m);

/* True when the caller may see physical addresses: uid 0 or a member of
 * group MANAGER_GROUP. */
bool manager_call_is_privileged(const struct manager *m, const struct varlink_call *call);

/* Announces a change (a rebuild, the end of a reload attempt, a
 * configuration reload): STATUS= for systemd (generation, ranges, kdump
 * state), and the metrics file is due. */
void manager_notify_status(struct manager *m);

/* The counters of every uevent receiver summed up; "ignored" also counts
 * udev's re-broadcasts and other senders than the kernel. */
void manager_uevent_stats(const struct manager *m, struct uevent_stats *ret);

/* ---- kdump (manager-kdump.c) ---- */

/* Works out the reload plan and creates the reload loop (SIGCHLD is
 * blocked for its children). */
int manager_start_reload_engine(struct manager *m);
/* SIGHUP: the plan again from [Kdump], kdump-tools' settings and /boot;
 * it applies from the next attempt. */
void manager_replan_reload(struct manager *m);
/* The kdump state word of status lines ("up to date", "stale"...). */
const char *manager_kdump_state(const struct manager *m);
/* The loaded image holds the dump ranges of the current generation and
 * they leave no RAM out, and no reload is running (GetStatus's
 * kdump.up_to_date, the metric memranged_kdump_up_to_date). */
bool manager_kdump_up_to_date(const struct manager *m);

/* The kdump hook: called after every rebuild (the first scan included),
 * whether or not the generation moved. It hands the generation's dump
 * ranges and the crash source's kexec_crash_loaded and crash_hotplug to
 * the reload engine, which decides whether the crash image must be
 * reloaded. */
void manager_on_generation(struct manager *m);

/* The current findings as status and ListFindings report them: the
 * library's, less "dump-drops-driver-managed-ram" stretches that the image
 * memranged itself loaded does dump (that finding stays for images loaded
 * by others, whose ranges are judged by the kernel's files). *ret_view
 * borrows the state's strings: free only ret_view->items, and use it before
 * the next rebuild. -ENOMEM leaves it untouched. */
int manager_findings(const struct manager *m, struct memrange_findings *ret_view);

/* The dump ranges of the current table under @policy (MEMRANGE_DUMP_AUTO:
 * the machine's; @arch MEMRANGE_ARCH_UNKNOWN: detected), for the engine
 * and the GetCrashRanges method. -errno with the library's message in the
 * context. */
int manager_dump_ranges(struct manager *m, enum memrange_dump_policy policy, enum memrange_arch arch,
                        struct memrange_dump_ranges **ret);

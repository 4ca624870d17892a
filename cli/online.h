/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl's online mode: calls to memranged over its varlink socket
 * (varlink/io.memranged.varlink), with the message and exit code of every
 * way a call can fail. Apart from memrangectl.h so that the output layer's
 * unit test needs neither json-c nor the varlink client. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange-json.h"
#include "memrangectl.h"
#include "varlink-client.h"
#include "io.memranged.h"
#include "varlink-protocol.h"


/* Returned instead of an exit code when the daemon answered with one of
 * the errors the caller said it can live with. */
#define CLI_TOLERATED (-1)

/* Calls IO_MEMRANGED_INTERFACE.@method with @params (consumed; NULL means {}),
 * waiting at most g->timeout_usec. Returns 0 with *ret_params owning the
 * reply's parameters; CLI_TOLERATED (nothing printed) when the daemon
 * answered with an error whose name (IO_MEMRANGED_ERROR_ADDRESSES_HIDDEN) is in
 * the NULL-terminated @tolerated (may be NULL); otherwise prints why the call
 * failed and returns the exit code for it. */
int cli_call(const struct cli_global *g, const char *method, struct json_object *params,
             const char *const *tolerated, struct json_object **ret_params);
/* As cli_call(), but a tolerated error also hands out its name in
 * *ret_error (caller frees) and its parameters in *ret_params (for errors
 * whose parameters the command shows: ReloadFailed, DumpUnavailable). */
int cli_call_tolerant(const struct cli_global *g, const char *method, struct json_object *params,
                      const char *const *tolerated, struct json_object **ret_params, char **ret_error);

/* Calls IO_MEMRANGED_INTERFACE.@method with "more" and hands each reply's
 * parameters to @fn, without a timeout (a subscription waits for events).
 * @fn returns 0 to go on or -ECANCELED to stop the stream (it prints and
 * keeps its own verdict); any other negative errno is reported. Returns 0
 * when @fn stopped the stream or the daemon ended it, else prints why and
 * returns the exit code (EXIT_NO_SOURCES when the daemon closed the
 * connection). */
int cli_call_stream(const struct cli_global *g, const char *method, struct json_object *params,
                    int (*fn)(struct json_object *params, void *userdata), void *userdata);

/* Prints that the daemon's reply to @method is malformed (@error says
 * where and why, may be NULL) and returns the exit code for it. */
int cli_bad_reply(const struct cli_global *g, const char *method, const struct mj_error *error);

/* The unsigned integer member @key of a reply to @method: 0, or the exit
 * code (message printed) when it is missing or not one. */
int cli_reply_u64(const struct cli_global *g, const char *method, struct json_object *params, const char *key,
                  uint64_t *ret);

/* ---- crash dumps (crash-online.c) ----
 * The dump ranges under @policy (and what the policy drops), or the ELF
 * core header, of memranged's current table; @arch MEMRANGE_ARCH_UNKNOWN:
 * the daemon's. Return -1 on success, else the exit code (message
 * printed; a DumpUnavailable reason as "@cmd: reason"). The elfcorehdr
 * call fills the policy and arch of *ret_info, the caller frees *ret_buf. */
int cli_crash_ranges_online(const struct cli_global *g, const char *cmd, enum memrange_dump_policy policy,
                            enum memrange_arch arch, struct memrange_dump_ranges **ret_ranges,
                            struct memrange_list **ret_dropped);
int cli_elfcorehdr_online(const struct cli_global *g, const char *cmd, enum memrange_dump_policy policy,
                          enum memrange_arch arch, const struct memrange_elfcore_opts *opts,
                          struct memrange_dump_ranges *ret_info, void **ret_buf, size_t *ret_size);

/* ---- memranged's own state (daemon-status.c) ----
 * Its GetStatus reply (varlink/io.memranged.varlink), checked. */
struct cli_daemon_status {
        const char *socket;    /* where it was asked (borrowed from the options) */
        char *version;
        uint64_t generation;
        uint64_t changed_usec; /* CLOCK_MONOTONIC time of the last change */
        uint64_t ranges, total_ram, online_ram, offline_ram;
        bool has_block_totals;   /* "blocks" was there (older daemons lack it) */
        uint64_t block_size, blocks_online, blocks_offline;
        uint64_t findings[MEMRANGE_SEVERITY_ERROR + 1]; /* by enum memrange_severity */
        uint64_t uevents_received, uevents_ignored, uevents_lost, rebuilds, full_rescans;
        bool rebuild_pending;
        char *last_error;        /* why the last rebuild failed (privileged callers), or NULL */
        bool kdump_loaded;
        int kdump_crash_hotplug; /* 0/1, -1 when the daemon does not know */
        int kdump_memory_limit_boot_only; /* ppc64: 0/1, -1 when there is no limit */
        uint64_t kdump_memory_limit;      /* 0 when none or hidden */
        char *kdump_state;
        struct json_object *kdump; /* the whole "kdump" member (a reference), its
                                      reload members type-checked */
        bool addresses_hidden;   /* the methods with addresses refused us */
};

/* Checks @params, a GetStatus reply, into a new status (free with
 * cli_daemon_status_free()) and the sources' status into *ret_sources.
 * -EBADMSG with @error filled when malformed, -ENOMEM. */
int cli_daemon_status_parse(struct json_object *params, struct cli_daemon_status **ret_status,
                            struct memrange_sources **ret_sources, struct mj_error *error);

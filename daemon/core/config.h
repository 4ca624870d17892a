/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/memranged.conf (memranged.conf(5)): an INI-like file of "[Section]"
 * headers, "Key=Value" lines and '#' or ';' comments.
 *
 *   [Daemon]  QuietWindowSec=0.25  MaxDelaySec=2  LogLevel=info
 *   [Socket]  MaxConnections=256  MaxConnectionsPerUser=16
 *             MaxMessageSize=1M  MaxOutputQueue=4M
 *   [Kdump]   Mode=  Kernel=  Initrd=  CommandLine=  ExtraArguments=
 *             KexecPath=  Command=  MaxBackoffSec=5min  TimeoutSec=2min
 *             (kept as given; kexec-plan.c works out what they mean)
 *   [Metrics] Directory=  (node_exporter's textfile directory; unset: no file)
 *
 * An unknown section or key is a warning naming file:line; a malformed
 * line or an invalid value is an error naming file:line, and that
 * setting keeps the value it had. Whether a file with errors is used at
 * all is the caller's decision (at start: yes, with defaults for the bad
 * settings; on SIGHUP: no, the running configuration stays). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kdump-config.h"
#include "time-util.h"

/* Longest configuration file and line read. */
#define CONFIG_FILE_MAX (64u * 1024u)
#define CONFIG_LINE_MAX 4096u
#define CONFIG_DEFAULT_PATH "/etc/memranged.conf"

struct config {
        /* [Daemon] */
        usec_t quiet_window;
        usec_t max_delay;
        int log_level;       /* syslog priority */
        /* [Socket] */
        unsigned max_connections;
        unsigned max_connections_per_user;
        size_t max_message_size;
        size_t max_output_queue;
        /* [Kdump]: NULL when not set */
        struct config_kdump kdump;
        /* [Metrics]: where memranged.prom is written (an absolute path),
         * NULL: nowhere */
        char *metrics_directory;
};

/* The built-in defaults (no allocation). */
void config_init(struct config *c);
/* Frees the strings and resets to the defaults. */
void config_done(struct config *c);
/* Deep copy into *ret (which the caller later config_done()s). */
int config_copy(const struct config *c, struct config *ret);

/* Parses @text (@name names it in messages) over @c: each valid setting
 * replaces the value in @c. Returns the number of errors (each logged),
 * or -ENOMEM. */
int config_parse(struct config *c, const char *name, const char *text);

/* Reads @path and parses it over @c. A missing file is fine (returns 0,
 * @c unchanged) unless @must_exist; then -ENOENT. Other read failures
 * (-EACCES, -EFBIG beyond CONFIG_FILE_MAX) are returned. Otherwise the
 * number of errors, as config_parse(). */
int config_load(struct config *c, const char *path, bool must_exist);

/* Logs each setting that differs between @old and @new at LOG_INFO
 * ("QuietWindowSec: 250ms -> 500ms"); returns how many differ. */
unsigned config_log_changes(const struct config *old, const struct config *new);

/* "info" for LOG_INFO...; parse takes a name or a digit 0-7. */
const char *config_log_level_to_string(int value);
int config_parse_log_level(const char *s, int *ret);
/* Time spans: "0.25", "250ms", "2s", "1.5min", "100us" (seconds without
 * a unit), at most SCHEDULER_TIMING_MAX. */
int config_parse_timespan(const char *s, usec_t *ret);
/* Sizes: "1048576", "512K", "1M", "1G" (powers of 1024). */
int config_parse_size(const char *s, size_t *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status: what cmd-status.c (both modes) and status-online.c
 * (the daemon's own state) share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "json-util.h"
#include "online.h"

struct type_total {
        size_t ranges;
        uint64_t bytes;
};

/* Everything the command shows, gathered once. */
struct status {
        const struct cli_data *d;
        size_t n_ranges;
        uint64_t total_bytes;
        struct type_total by_type[_MEMRANGE_TYPE_MAX];
        uint64_t findings[MEMRANGE_SEVERITY_ERROR + 1];
};

/* "  label                    value" lines; a negative @value (its kernel
 * file is missing) prints n/a. */
void status_print_optional(const char *label, int64_t value);
/* One "reservation" line per crash kernel reservation of @table ("none"
 * when it has none, "hidden" when @table is NULL: addresses refused). */
void status_print_reservations(const struct memrange_table *table, bool in_bytes);
/* Adds @key: [{start, end, size, low}], the reservations of @table, or
 * null when @table is NULL. */
void status_build_reservations(struct mj_builder *b, const char *key, const struct memrange_table *table);

/* ---- online (status-online.c) ---- */

/* "Daemon: memranged VERSION at SOCKET" and its counters. */
void status_print_daemon(const struct cli_daemon_status *s);
/* The RAM totals of the memory blocks as the daemon counts them. */
void status_print_online_ram(const struct cli_daemon_status *s, bool in_bytes);
void status_build_online_ram(struct mj_builder *table, const struct cli_daemon_status *s);
/* The crash kernel reservations of the table (when addresses are visible)
 * and the daemon's kdump state. */
void status_print_online_crash(const struct cli_data *d, bool in_bytes);
void status_build_online_crash(struct mj_builder *b, const char *key, const struct cli_data *d);
/* Adds @key: the daemon's identity and uevent counters. */
void status_build_daemon(struct mj_builder *b, const char *key, const struct cli_daemon_status *s);

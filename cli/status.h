/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status: what cmd-status.c (both modes) and status-online.c
 * (the daemon's own state) share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

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
/* [{start, end, size, low}] of the reservations of @table; NULL (JSON null)
 * when @table is NULL. */
struct json_object *status_json_reservations(const struct memrange_table *table);
/* Adds @value (consumed; NULL becomes JSON null) under @key. */
void status_json_add(struct json_object *obj, const char *key, struct json_object *value);

/* ---- online (status-online.c) ---- */

/* "Daemon: memranged VERSION at SOCKET" and its counters. */
void status_print_daemon(const struct cli_daemon_status *s);
/* The RAM totals of the memory blocks as the daemon counts them. */
void status_print_online_ram(const struct cli_daemon_status *s, bool in_bytes);
void status_json_add_ram(struct json_object *table, const struct cli_daemon_status *s);
/* The crash kernel reservations of the table (when addresses are visible)
 * and the daemon's kdump state. */
void status_print_online_crash(const struct cli_data *d, bool in_bytes);
struct json_object *status_json_online_crash(const struct cli_data *d);
struct json_object *status_json_daemon(const struct cli_daemon_status *s);

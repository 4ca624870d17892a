/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status: cmd-status.c loads the data and gathers what the
 * command shows into one struct status; status-text.c and status-json.c
 * render it, each in one format and for both modes, and call nothing of
 * each other or of the command. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "online.h"

/* The readers of memrange_sources (status[] and error[]). */
#define STATUS_N_SOURCES 8

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
        /* The crash kernel reservations of d->table (empty when the table is
         * NULL: addresses refused), owned. */
        struct memrange_list reservations;
        /* ppc64's linux,memory-limit: none when !has_memory_limit; the
         * address 0 when the daemon hid it. */
        bool has_memory_limit, memory_limit_boot_only;
        uint64_t memory_limit;
};

static inline const char *status_source_status_name(uint32_t status) {
        return memrange_source_status_to_name(status) ?: "unknown";
}

/* The text form on stdout. */
void status_print_text(const struct status *st, bool in_bytes);
/* The JSON form on stdout; -ENOMEM or -EIO. */
int status_print_json(const struct status *st);

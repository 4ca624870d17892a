/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: the lsmem-style summary printed after the list and blocks
 * tables (--summary). */
#include <stdio.h>

#include "online.h"

/* Byte totals of the authoritative table by what users ask about. */
struct table_totals {
        uint64_t ram;            /* System RAM, wherever it came from */
        uint64_t driver_managed; /* RAM a driver added (kmem, virtio_mem) */
        uint64_t crashkernel;    /* crash kernel reservations */
        uint64_t reserved;
};

/* The crash kernel and the kernel image are carved out of System RAM. */
static bool range_is_ram(const struct memrange *r) {
        return r->type == MEMRANGE_TYPE_RAM || r->type == MEMRANGE_TYPE_KERNEL ||
               r->type == MEMRANGE_TYPE_CRASHKERNEL;
}

static struct table_totals table_totals(const struct memrange_table *table) {
        struct table_totals t = {};

        memrange_table_foreach(r, table) {
                uint64_t size = r->end - r->start;

                if (range_is_ram(r))
                        t.ram += size;
                if (r->flags & MEMRANGE_F_DRIVER_MANAGED)
                        t.driver_managed += size;
                if (cli_range_is_crashkernel(r))
                        t.crashkernel += size;
                if (r->type == MEMRANGE_TYPE_RESERVED)
                        t.reserved += size;
        }
        return t;
}

/* Label and value columns: lsmem's widths (util-linux 2.38) for the
 * block lines alone, wider ones for the table's longer labels. */
struct widths {
        int label, human, bytes;
};
static const struct widths lsmem_widths = { 23, 5, 15 }, table_widths = { 26, 6, 6 };

static void line(const char *label, uint64_t bytes, bool in_bytes, const struct widths *w) {
        char buf[32];

        printf("%-*s %*s\n", w->label, label, in_bytes ? w->bytes : w->human,
               out_format_size(bytes, in_bytes, buf, sizeof(buf)));
}

/* The blocks read (offline, or memranged's ListBlocks), else memranged's
 * totals of them; nothing when neither is there. */
static void block_lines(const struct cli_data *d, bool in_bytes, const struct widths *w) {
        uint64_t size, online, offline;

        if (d->sources && d->sources->blocks) {
                size = d->sources->blocks->block_size;
                memrange_blocks_totals(d->sources->blocks, &online, &offline);
        } else if (d->daemon && d->daemon->has_block_totals) {
                size = d->daemon->block_size;
                online = d->daemon->blocks_online;
                offline = d->daemon->blocks_offline;
        } else
                return;
        line("Memory block size:", size, in_bytes, w);
        line("Total online memory:", online, in_bytes, w);
        line("Total offline memory:", offline, in_bytes, w);
}

void summary_print(const struct cli_data *d, bool with_table, bool in_bytes) {
        struct table_totals t;

        /* Memory blocks do not exist everywhere (no CONFIG_MEMORY_HOTPLUG). */
        block_lines(d, in_bytes, with_table ? &table_widths : &lsmem_widths);
        if (!with_table)
                return;
        t = table_totals(d->table);
        line("Total RAM:", t.ram, in_bytes, &table_widths);
        line("Driver-managed memory:", t.driver_managed, in_bytes, &table_widths);
        line("Crash kernel reservation:", t.crashkernel, in_bytes, &table_widths);
        line("Reserved:", t.reserved, in_bytes, &table_widths);
}

void summary_print_after_table(const struct cli_data *d, enum out_summary when, bool with_table,
                               bool in_bytes) {
        if (when == SUMMARY_NEVER)
                return;
        /* A blank line separates the summary from the table above it. */
        if (when == SUMMARY_ALWAYS)
                putchar('\n');
        summary_print(d, with_table, in_bytes);
}

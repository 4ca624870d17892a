/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl blocks: the memory blocks of /sys/devices/system/memory, one
 * row per block like `lsmem --all`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memrangectl.h"

enum {
        COL_BLOCK,
        COL_RANGE,
        COL_SIZE,
        COL_STATE,
        COL_ONLINE,
        COL_ZONES,
        COL_NODE,
        COL_NODES,
        COL_REMOVABLE,
};

static const struct out_column columns[] = {
        [COL_BLOCK] = { "BLOCK", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "memory block number (N of memoryN)" },
        [COL_RANGE] = { "RANGE", 0, 0, OUT_JSON_STRING, "start and end address of the block (end inclusive)" },
        [COL_SIZE] = { "SIZE", 5, SCOLS_FL_RIGHT, OUT_JSON_SIZE, "size of the block" },
        [COL_STATE] = { "STATE", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "online, offline or going-offline" },
        [COL_ONLINE] = { "ONLINE", 0, SCOLS_FL_RIGHT, OUT_JSON_BOOLEAN, "the block's online attribute" },
        [COL_ZONES] = { "ZONES", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "valid zones for the block" },
        [COL_NODE] = { "NODE", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "NUMA node of the block (the lowest linked node)" },
        [COL_NODES] = { "NODES", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "every NUMA node linked to the block" },
        [COL_REMOVABLE] = { "REMOVABLE", 0, SCOLS_FL_RIGHT, OUT_JSON_BOOLEAN, "the kernel reports the block removable" },
};

static const size_t default_columns[] = {
        COL_BLOCK, COL_RANGE, COL_SIZE, COL_STATE, COL_ZONES, COL_NODE, COL_REMOVABLE,
};

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] blocks [options]\n"
              "\n"
              "Show the memory blocks of /sys/devices/system/memory, one per line (as\n"
              "memranged last read them unless --offline or --sysroot).\n"
              "\n"
              "Options:\n",
              stdout);
        out_help_options(true);
        fputs("     --summary[=when] print summary information (never, always or only)\n"
              " -h, --help           display this help\n",
              stdout);
        out_help_columns(columns, ELEMENTSOF(columns));
}

/* 0/1 attribute as lsmem shows it; "" when the file is missing. */
static const char *yes_no(int value) {
        return value < 0 ? "" : value ? "yes" : "no";
}

/* "Normal Movable" -> "Normal/Movable": one token per cell in raw output. */
static const char *zones(const char *valid_zones, char *buf, size_t size) {
        if (!valid_zones)
                return "";
        snprintf(buf, size, "%s", valid_zones);
        for (char *p = buf; *p; p++)
                if (*p == ' ')
                        *p = '/';
        return buf;
}

static const char *nodes(const struct memrange_block *b, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < b->n_nodes; i++)
                if (!out_append(buf, size, &used, "%s%" PRIi32, i ? "," : "", b->nodes[i]))
                        break;
        return buf;
}

static const char *cell(size_t col, const void *row, const struct out_opts *o, char *buf, size_t size) {
        const struct memrange_block *b = row;

        switch (col) {
        case COL_BLOCK:
                snprintf(buf, size, "%" PRIu64, b->index);
                return buf;
        case COL_RANGE:
                return out_format_range(b->start, b->end, buf, size);
        case COL_SIZE:
                return out_format_size(b->end - b->start, o->bytes, buf, size);
        case COL_STATE:
                return memrange_block_state_to_name(b->state) ?: "unknown";
        case COL_ONLINE:
                return yes_no(b->online);
        case COL_ZONES:
                return zones(b->valid_zones, buf, size);
        case COL_NODE:
                if (b->n_nodes == 0)
                        return "";
                snprintf(buf, size, "%" PRIi32, b->nodes[0]);
                return buf;
        case COL_NODES:
                return nodes(b, buf, size);
        case COL_REMOVABLE:
                return yes_no(b->removable);
        default:
                return "";
        }
}

static int print_table(const struct memrange_blocks *blocks, const struct out_selection *sel,
                       const struct out_opts *o) {
        return out_print_rows("blocks", columns, sel, o, cell, blocks->blocks, blocks->n, sizeof(*blocks->blocks));
}

static int parse_args(int argc, char **argv, struct out_opts *o, enum out_summary *summary) {
        static const struct option options[] = {
                OUT_LONG_OPTS,
                { "summary", optional_argument, NULL, OPT_SUMMARY },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, OUT_SHORT_OPTS "h", options, NULL)) >= 0) {
                if (out_parse_opt(c, optarg, o))
                        continue;
                if (c != OPT_SUMMARY)
                        return cli_option_fallback("blocks", c, help);
                if (out_summary_opt("blocks", optarg, summary) < 0)
                        return EXIT_USAGE;
        }
        if (out_resolve_summary("blocks", o, summary) < 0)
                return EXIT_USAGE;
        return cli_no_arguments("blocks", argc, argv);
}

/* The blocks are this command's only subject: without them there is
 * nothing to show. */
static int check_blocks_source(const struct cli_data *d) {
        unsigned i = cli_source_index(MEMRANGE_SRC_MEMORY_BLOCKS);

        switch (d->sources->status[i]) {
        case MEMRANGE_SOURCE_OK:
                return 0;
        case MEMRANGE_SOURCE_ERROR:
                cli_error("blocks: %s", d->sources->error[i] ?: "memory blocks unreadable");
                return EXIT_NO_SOURCES;
        default:
                cli_error("blocks: sys/devices/system/memory: this system has no memory blocks");
                return EXIT_NO_SOURCES;
        }
}

int cmd_blocks(const struct cli_global *g, int argc, char **argv) {
        _cleanup_(cli_data_done) struct cli_data d = {};
        enum out_summary summary = SUMMARY_DEFAULT;
        struct out_selection sel;
        struct out_opts o = {};
        int r;

        r = parse_args(argc, argv, &o, &summary);
        if (r >= 0)
                return r;
        if (out_select("blocks", columns, ELEMENTSOF(columns), default_columns,
                       ELEMENTSOF(default_columns), &o, &sel) < 0)
                return EXIT_USAGE;

        r = cli_data_load(g, &(const struct cli_query) { .want = CLI_WANT_BLOCKS }, &d);
        if (r > 0)
                return r;
        r = check_blocks_source(&d);
        if (r > 0)
                return r;

        if (summary != SUMMARY_ONLY) {
                r = print_table(d.sources->blocks, &sel, &o);
                if (r < 0) {
                        cli_error("blocks: cannot print the table: %s", strerror(-r));
                        return EXIT_FINDINGS;
                }
        }
        summary_print_after_table(&d, summary, false, o.bytes);
        return EXIT_OK;
}

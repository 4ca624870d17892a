/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl list: the authoritative range table, lsmem style. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "online.h"

enum {
        COL_RANGE,
        COL_START,
        COL_END,
        COL_SIZE,
        COL_TYPE,
        COL_FLAGS,
        COL_NODE,
        COL_SOURCES,
};

static const struct out_column columns[] = {
        [COL_RANGE] = { "RANGE", 0, 0, OUT_JSON_STRING, "start and end address of the range (end inclusive)" },
        [COL_START] = { "START", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "start address" },
        [COL_END] = { "END", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "last address of the range (inclusive)" },
        [COL_SIZE] = { "SIZE", 5, SCOLS_FL_RIGHT, OUT_JSON_SIZE, "size of the range" },
        [COL_TYPE] = { "TYPE", 0, 0, OUT_JSON_STRING, "ram, reserved, acpi, acpi-nvs, pmem, crashkernel, ..." },
        [COL_FLAGS] = { "FLAGS", 0, 0, OUT_JSON_STRING, "flags: driver-managed, hotplug, nomap, offline, crashkernel, ..." },
        [COL_NODE] = { "NODE", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "NUMA node of the range" },
        [COL_SOURCES] = { "SOURCES", 0, 0, OUT_JSON_STRING, "kernel sources that report the range" },
};

static const size_t default_columns[] = { COL_RANGE, COL_SIZE, COL_TYPE, COL_FLAGS, COL_NODE, COL_SOURCES };

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] list [options]\n"
              "\n"
              "Show the authoritative table of physical memory ranges built from every\n"
              "kernel source (memranged's table unless --offline or --sysroot).\n"
              "\n"
              "Options:\n",
              stdout);
        out_help_options(true);
        fputs("     --summary[=when] print summary information (never, always or only)\n"
              " -t, --type <list>    show only ranges of these types (comma-separated)\n"
              " -N, --node <node>    show only ranges on this NUMA node\n"
              " -h, --help           display this help\n",
              stdout);
        out_help_columns(columns, ELEMENTSOF(columns));
}

static const char *cell(size_t col, const void *row, const struct out_opts *o, char *buf, size_t size) {
        const struct memrange *r = row;

        switch (col) {
        case COL_RANGE:
                return out_format_range(r->start, r->end, buf, size);
        case COL_START:
        case COL_END: {
                uint64_t v = col == COL_START ? r->start : r->end - 1;

                /* JSON wants a number; people read addresses in hex. */
                snprintf(buf, size, o->json ? "%" PRIu64 : "0x%016" PRIx64, v);
                return buf;
        }
        case COL_SIZE:
                return out_format_size(r->end - r->start, o->bytes, buf, size);
        case COL_TYPE:
                return memrange_type_to_name(r->type) ?: "unknown";
        case COL_FLAGS:
                return memrange_flags_format(r->flags, ",", buf, size);
        case COL_NODE:
                if (r->nid == MEMRANGE_NID_NONE)
                        return "";
                snprintf(buf, size, "%" PRIi32, r->nid);
                return buf;
        case COL_SOURCES:
                return memrange_sources_format(r->sources, ",", buf, size);
        default:
                return "";
        }
}

static int print_table(const struct cli_data *d, const struct out_selection *sel,
                       const struct out_opts *o, const struct memrange_json_filter *f) {
        struct libscols_table *tb = out_table_new("ranges", columns, sel, o);

        if (!tb)
                return -ENOMEM;
        memrange_table_foreach(r, d->table) {
                if (!memrange_json_filter_match(f, r))
                        continue;
                if (out_add_row(tb, sel, cell, r, o) < 0) {
                        scols_unref_table(tb);
                        return -ENOMEM;
                }
        }
        return out_table_print(tb);
}

static int parse_types(const char *arg, uint32_t *types) {
        char name[64];

        for (const char *p = arg;;) {
                size_t len = strcspn(p, ",");
                int t;

                if (len >= sizeof(name))
                        len = sizeof(name) - 1;
                memcpy(name, p, len);
                name[len] = '\0';
                t = memrange_type_from_name(name);
                if (t < 0) {
                        cli_error("list: unknown type '%s'", name);
                        return -EINVAL;
                }
                *types |= 1u << t;
                p += strcspn(p, ",");
                if (*p == '\0')
                        return 0;
                p++;
        }
}

static int parse_node(const char *arg, struct memrange_json_filter *f) {
        int nid;

        if (mr_parse_int(arg, &nid) < 0 || nid < 0) {
                cli_error("list: invalid node '%s'", arg);
                return -EINVAL;
        }
        f->has_node = true;
        f->node = nid;
        return 0;
}

static int parse_args(int argc, char **argv, struct out_opts *o, enum out_summary *summary,
                      struct memrange_json_filter *f) {
        static const struct option options[] = {
                OUT_LONG_OPTS,
                { "summary", optional_argument, NULL, OPT_SUMMARY },
                { "type", required_argument, NULL, 't' },
                { "node", required_argument, NULL, 'N' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, OUT_SHORT_OPTS "t:N:h", options, NULL)) >= 0) {
                if (out_parse_opt(c, optarg, o))
                        continue;
                switch (c) {
                case OPT_SUMMARY:
                        if (out_summary_opt("list", optarg, summary) < 0)
                                return EXIT_USAGE;
                        break;
                case 't':
                        if (parse_types(optarg, &f->types) < 0)
                                return EXIT_USAGE;
                        break;
                case 'N':
                        if (parse_node(optarg, f) < 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return cli_option_fallback("list", c, help);
                }
        }
        if (out_resolve_summary("list", o, summary) < 0)
                return EXIT_USAGE;
        return cli_no_arguments("list", argc, argv);
}

int cmd_list(const struct cli_global *g, int argc, char **argv) {
        _cleanup_(cli_data_done) struct cli_data d = {};
        enum out_summary summary = SUMMARY_DEFAULT;
        struct memrange_json_filter filter = {};
        /* Offline, of each memory block the table needs only the state and
         * the nodes (as memranged reads them). */
        struct cli_query q = { .want = CLI_WANT_TABLE, .filter = &filter, .read_flags = MEMRANGE_READ_LEAN_BLOCKS };
        struct out_selection sel;
        struct out_opts o = {};
        int r;

        r = parse_args(argc, argv, &o, &summary, &filter);
        if (r >= 0)
                return r;
        if (out_select("list", columns, ELEMENTSOF(columns), default_columns, ELEMENTSOF(default_columns),
                       &o, &sel) < 0)
                return EXIT_USAGE;

        /* The summary's block lines need the blocks' totals. */
        if (summary != SUMMARY_NEVER)
                q.want |= CLI_WANT_BLOCK_TOTALS;
        r = cli_data_load(g, &q, &d);
        if (r > 0)
                return r;
        cli_warn_source_errors(&d);

        if (summary != SUMMARY_ONLY) {
                r = print_table(&d, &sel, &o, &filter);
                if (r < 0) {
                        cli_error("list: cannot print the table: %s", strerror(-r));
                        return EXIT_FINDINGS;
                }
        }
        summary_print_after_table(&d, summary, true, o.bytes);
        return EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl blocks: the memory blocks of /sys/devices/system/memory with
 * lsmem's interface: its default columns, adjacent blocks merged by the
 * columns shown (-a lists each, -S chooses), -J/-P/-r, --summary. The
 * rows and columns are in blocks-rows.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "blocks.h"

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] blocks [options]\n"
              "\n"
              "Show the memory blocks of /sys/devices/system/memory as lsmem does:\n"
              "adjacent blocks with the same values in the shown columns share a row\n"
              "(as memranged last read them unless --offline or --sysroot).\n"
              "\n"
              "Options:\n",
              stdout);
        out_help_options(true);
        fputs(" -P, --pairs          use key=\"value\" output format\n"
              " -a, --all            list each individual memory block\n"
              " -S, --split <list>   split ranges by specified columns (or \"none\")\n"
              "     --summary[=when] print summary information (never, always or only)\n"
              " -h, --help           display this help\n",
              stdout);
        out_help_columns(blocks_columns, _BLOCKS_COL_MAX);
}

struct blocks_args {
        struct out_opts out;
        const char *split; /* -S argument, or NULL: the shown columns split */
        bool each_block;   /* -a */
        /* lsmem's two switches, set in option order: -J, -P and -r turn
         * the summary off, a later --summary=always on again. */
        bool want_table, want_summary;
};

/* -J, -P and -r: one output format each. */
static bool is_format_option(int c) {
        return c == 'J' || c == 'P' || c == 'r';
}

/* lsmem refuses these pairs; the first option given is named first. */
static int check_exclusive(const struct blocks_args *a, int format_seen, int c) {
        if (is_format_option(c) && format_seen && format_seen != c) {
                cli_error("blocks: options -%c and -%c are mutually exclusive", format_seen, c);
                return EXIT_USAGE;
        }
        if ((c == 'a' && a->split) || (c == 'S' && a->each_block)) {
                cli_error("blocks: options --all and --split are mutually exclusive");
                return EXIT_USAGE;
        }
        return -1;
}

static int parse_summary(const char *arg, struct blocks_args *a) {
        enum out_summary when;

        if (out_summary_opt("blocks", arg, &when) < 0)
                return EXIT_USAGE;
        if (when == SUMMARY_ONLY)
                a->want_table = false;
        else
                a->want_summary = when == SUMMARY_ALWAYS;
        return -1;
}

static int parse_args(int argc, char **argv, struct blocks_args *a) {
        static const struct option options[] = {
                OUT_LONG_OPTS,
                { "pairs", no_argument, NULL, 'P' },
                { "all", no_argument, NULL, 'a' },
                { "split", required_argument, NULL, 'S' },
                { "summary", optional_argument, NULL, OPT_SUMMARY },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int format_seen = 0;
        int c;

        while ((c = getopt_long(argc, argv, OUT_SHORT_OPTS "PaS:h", options, NULL)) >= 0) {
                int r = check_exclusive(a, format_seen, c);

                if (r >= 0)
                        return r;
                if (is_format_option(c)) {
                        format_seen = c;
                        a->want_summary = false;
                }
                if (out_parse_opt(c, optarg, &a->out))
                        continue;
                switch (c) {
                case 'P':
                        a->out.pairs = true;
                        break;
                case 'a':
                        a->each_block = true;
                        break;
                case 'S':
                        a->split = optarg;
                        break;
                case OPT_SUMMARY:
                        r = parse_summary(optarg, a);
                        if (r >= 0)
                                return r;
                        break;
                default:
                        return cli_option_fallback("blocks", c, help);
                }
        }
        if (!a->want_table && !a->want_summary) {
                cli_error("blocks: options --json, --pairs, --raw and --summary=only are mutually exclusive");
                return EXIT_USAGE;
        }
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
        struct blocks_args a = { .want_table = true, .want_summary = true };
        struct cli_query q = { .want = CLI_WANT_BLOCKS | CLI_WANT_ONLY_BLOCKS };
        struct out_selection sel = {};
        blocks_split split = 0;
        int r;

        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;
        if (a.want_table) {
                if (out_select("blocks", blocks_columns, _BLOCKS_COL_MAX, blocks_default_columns,
                               ELEMENTSOF(blocks_default_columns), &a.out, &sel) < 0)
                        return EXIT_USAGE;
                if (!a.split)
                        split = blocks_split_of_selection(&sel);
                else if (blocks_split_parse(a.split, &split) < 0)
                        return EXIT_USAGE;
        }
        /* Offline, only what the rows show is read (the summary needs the
         * states alone). */
        q.read_flags = blocks_read_flags(&sel, split);

        r = cli_data_load(g, &q, &d);
        if (r > 0)
                return r;
        r = check_blocks_source(&d);
        if (r > 0)
                return r;

        if (a.want_table) {
                r = blocks_print(d.sources->blocks, &sel, &a.out, split, a.each_block);
                if (r < 0) {
                        cli_error("blocks: cannot print the table: %s", strerror(-r));
                        return EXIT_FINDINGS;
                }
        }
        if (a.want_summary)
                summary_print_after_table(&d, a.want_table ? SUMMARY_ALWAYS : SUMMARY_ONLY, false,
                                          a.out.bytes);
        return EXIT_OK;
}

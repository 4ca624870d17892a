/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl verify: the findings of the reconciler, where the kernel's
 * sources disagree; the exit code says whether any of them is an error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "memrangectl.h"

enum {
        COL_SEVERITY,
        COL_CODE,
        COL_RANGE,
        COL_SOURCES,
        COL_MESSAGE,
};

static const struct out_column columns[] = {
        [COL_SEVERITY] = { "SEVERITY", 0, 0, OUT_JSON_STRING, "info, warning or error" },
        [COL_CODE] = { "CODE", 0, 0, OUT_JSON_STRING, "stable identifier of the kind of finding" },
        [COL_RANGE] = { "RANGE", 0, 0, OUT_JSON_STRING, "address range concerned (end inclusive)" },
        [COL_SOURCES] = { "SOURCES", 0, 0, OUT_JSON_STRING, "kernel sources involved" },
        [COL_MESSAGE] = { "MESSAGE", 0, 0, OUT_JSON_STRING, "what was found" },
};

static const size_t default_columns[] = { COL_SEVERITY, COL_CODE, COL_RANGE, COL_SOURCES, COL_MESSAGE };

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] verify [options]\n"
              "\n"
              "Compare the kernel's descriptions of physical memory and report where\n"
              "they disagree. Exits 1 when any finding is an error.\n"
              "\n"
              "Options:\n",
              stdout);
        out_help_options(false);
        fputs(" -h, --help           display this help\n", stdout);
        out_help_columns(columns, ELEMENTSOF(columns));
}

static const char *cell(size_t col, const void *row, const struct out_opts *o, char *buf, size_t size) {
        const struct memrange_finding *f = row;

        switch (col) {
        case COL_SEVERITY:
                return memrange_severity_to_name(f->severity) ?: "unknown";
        case COL_CODE:
                return f->code ?: "";
        case COL_RANGE:
                /* Findings about a whole source carry no range. */
                if (f->end <= f->start)
                        return "";
                return out_format_range(f->start, f->end, buf, size);
        case COL_SOURCES:
                return memrange_sources_format(f->sources, ",", buf, size);
        case COL_MESSAGE:
                return f->message ?: "";
        default:
                return "";
        }
}

/* A source that exists but could not be parsed is itself an error: it
 * becomes a row like the reconciler's findings. */
static int add_source_errors(struct libscols_table *tb, const struct out_selection *sel,
                             const struct out_opts *o, const struct memrange_sources *s,
                             size_t *n_errors) {
        for (size_t i = 0; i < ELEMENTSOF(s->status); i++) {
                struct memrange_finding f = {
                        .severity = MEMRANGE_SEVERITY_ERROR,
                        .sources = 1u << i,
                        .code = (char *) "source-unreadable",
                        .message = s->error[i] ?: (char *) "the source could not be read",
                };
                int r;

                if (s->status[i] != MEMRANGE_SOURCE_ERROR)
                        continue;
                r = out_add_row(tb, sel, cell, &f, o);
                if (r < 0)
                        return r;
                (*n_errors)++;
        }
        return 0;
}

struct counts {
        size_t total;
        size_t by_severity[MEMRANGE_SEVERITY_ERROR + 1];
};

static int print_findings(const struct cli_data *d, const struct out_selection *sel,
                          const struct out_opts *o, struct counts *c) {
        struct libscols_table *tb = out_table_new("findings", columns, sel, o);
        int r;

        if (!tb)
                return -ENOMEM;
        r = add_source_errors(tb, sel, o, d->sources, &c->by_severity[MEMRANGE_SEVERITY_ERROR]);
        for (size_t i = 0; r >= 0 && i < d->findings->n; i++) {
                const struct memrange_finding *f = &d->findings->items[i];

                r = out_add_row(tb, sel, cell, f, o);
                if (f->severity <= MEMRANGE_SEVERITY_ERROR)
                        c->by_severity[f->severity]++;
        }
        if (r < 0) {
                scols_unref_table(tb);
                return r;
        }
        for (size_t s = 0; s <= MEMRANGE_SEVERITY_ERROR; s++)
                c->total += c->by_severity[s];
        /* An empty table would be a lone header line: say it in words. */
        if (c->total == 0 && !o->json) {
                scols_unref_table(tb);
                return 0;
        }
        return out_table_print(tb);
}

static const char *plural(size_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

static void print_summary_line(const struct counts *c) {
        size_t e = c->by_severity[MEMRANGE_SEVERITY_ERROR], w = c->by_severity[MEMRANGE_SEVERITY_WARNING],
               i = c->by_severity[MEMRANGE_SEVERITY_INFO];

        if (c->total == 0) {
                puts("No findings: the sources agree.");
                return;
        }
        printf("%zu %s: %zu %s, %zu %s, %zu info.\n", c->total, plural(c->total, "finding", "findings"), e,
               plural(e, "error", "errors"), w, plural(w, "warning", "warnings"), i);
}

static int parse_args(int argc, char **argv, struct out_opts *o) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'J' },
                { "noheadings", no_argument, NULL, 'n' },
                { "output", required_argument, NULL, 'o' },
                { "output-all", no_argument, NULL, OPT_OUTPUT_ALL },
                { "raw", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "Jno:rh", options, NULL)) >= 0)
                if (c == 'h' || !out_parse_opt(c, optarg, o))
                        return cli_option_fallback("verify", c, help);
        return cli_no_arguments("verify", argc, argv);
}

int cmd_verify(const struct cli_global *g, int argc, char **argv) {
        _cleanup_(cli_data_done) struct cli_data d = {};
        struct out_selection sel;
        struct out_opts o = {};
        struct counts counts = {};
        int r;

        r = parse_args(argc, argv, &o);
        if (r >= 0)
                return r;
        if (out_select("verify", columns, ELEMENTSOF(columns), default_columns,
                       ELEMENTSOF(default_columns), &o, &sel) < 0)
                return EXIT_USAGE;

        r = cli_data_load(g, &(const struct cli_query) { .want = CLI_WANT_FINDINGS }, &d);
        if (r > 0)
                return r;

        r = print_findings(&d, &sel, &o, &counts);
        if (r < 0) {
                cli_error("verify: cannot print the findings: %s", strerror(-r));
                return EXIT_FINDINGS;
        }
        /* JSON stays one document; the explanation then goes to stderr. */
        if (cli_iomem_hidden(&d))
                fprintf(o.json ? stderr : stdout, "%s%s\n", o.json ? "memrangectl: " : "",
                        CLI_HIDDEN_EXPLANATION);
        if (!o.json && !o.raw) {
                if (counts.total > 0)
                        putchar('\n');
                print_summary_line(&counts);
        }

        return counts.by_severity[MEMRANGE_SEVERITY_ERROR] > 0 ? EXIT_FINDINGS : EXIT_OK;
}

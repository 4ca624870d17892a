/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl metrics: memranged's metrics in Prometheus' text format, as
 * it writes them for node_exporter ([Metrics] Directory=): the daemon's
 * own text (GetMetrics), or offline the families that need no daemon
 * (ranges, memory bytes, findings), rendered by the same code
 * (varlink/memranged-metrics.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memranged-metrics.h"
#include "online.h"

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] metrics\n"
              "\n"
              "Print memranged's metrics in Prometheus' text format, the text it writes\n"
              "for node_exporter's textfile collector. With --offline or --sysroot only\n"
              "the table's: memranged_ranges, memranged_memory_bytes and\n"
              "memranged_findings.\n"
              "\n"
              "Options:\n"
              " -h, --help           display this help\n",
              stdout);
}

static int print_online(const struct cli_global *g) {
        _cleanup_(json_object_putp) struct json_object *reply = NULL;
        struct mj_error error = {};
        const char *text;
        int r;

        r = cli_call(g, IO_MEMRANGED_METHOD_GET_METRICS, NULL, NULL, &reply);
        if (r != 0)
                return r;
        if (mj_get_string(reply, "text", true, &text, &error) <= 0)
                return cli_bad_reply(g, IO_MEMRANGED_METHOD_GET_METRICS, &error);
        fputs(text, stdout);
        return EXIT_OK;
}

static int print_offline(const struct cli_global *g) {
        _cleanup_(cli_data_done) struct cli_data d = {};
        struct memranged_metrics m = { .kdump_loaded = -1 };
        _cleanup_(freep) char *text = NULL;
        size_t len;
        int r;

        r = cli_data_load_offline(g, NULL, &d);
        if (r > 0)
                return r;
        cli_warn_source_errors(&d);
        memranged_metrics_set_table(&m, d.table, d.findings);
        r = memranged_metrics_render(&m, &text, &len);
        if (r < 0) {
                cli_error("metrics: %s", strerror(-r));
                return EXIT_FINDINGS;
        }
        fwrite(text, 1, len, stdout);
        return EXIT_OK;
}

int cmd_metrics(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                return cli_option_fallback("metrics", c, help);
        r = cli_no_arguments("metrics", argc, argv);
        if (r >= 0)
                return r;
        r = g->offline ? print_offline(g) : print_online(g);
        if (r == EXIT_OK && fflush(stdout) != 0) {
                cli_error("metrics: cannot write: %m");
                return EXIT_FINDINGS;
        }
        return r;
}

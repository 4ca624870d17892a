/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status: where the data came from, what the table holds, the
 * crash kernel state and how many findings there are; online, also the
 * daemon's own state. The command loads the data and gathers it into one
 * struct status, which status-text.c or status-json.c renders. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

static void gather_findings(const struct cli_data *d, struct status *st) {
        /* Online the daemon counts them: ListFindings would need addresses. */
        if (d->daemon) {
                memcpy(st->findings, d->daemon->findings, sizeof(st->findings));
                return;
        }
        for (size_t i = 0; i < d->findings->n; i++)
                if (d->findings->items[i].severity <= MEMRANGE_SEVERITY_ERROR)
                        st->findings[d->findings->items[i].severity]++;
}

/* The crash kernel reservations as the table holds them, whichever source
 * reported them (iomem's "Crash kernel" lines, the powerpc device tree), so
 * that both modes show the same: runs of touching crashkernel ranges (the
 * table splits one where its node or sources change) are one each. */
static int table_reservations(const struct memrange_table *table, struct memrange_list *ret) {
        struct memrange_list list = {};

        memrange_table_foreach(r, table) {
                struct memrange *last = list.n ? &list.ranges[list.n - 1] : NULL;
                struct memrange res = {
                        .start = r->start,
                        .end = r->end,
                        .type = MEMRANGE_TYPE_CRASHKERNEL,
                        .flags = r->flags & MEMRANGE_F_CRASH_LOW,
                        .nid = MEMRANGE_NID_NONE,
                };

                if (!cli_range_is_crashkernel(r))
                        continue;
                if (last && last->end == r->start && last->flags == res.flags) {
                        last->end = r->end;
                        continue;
                }
                if (memrange_list_append(&list, &res, NULL) < 0) {
                        memrange_list_clear(&list);
                        return -ENOMEM;
                }
        }
        *ret = list;
        return 0;
}

static void gather_memory_limit(const struct cli_data *d, struct status *st) {
        const struct memrange_devicetree *dt = d->sources ? d->sources->devicetree : NULL;

        if (d->daemon) {
                st->has_memory_limit = d->daemon->kdump_memory_limit_boot_only >= 0;
                st->memory_limit_boot_only = d->daemon->kdump_memory_limit_boot_only == 1;
                st->memory_limit = d->daemon->kdump_memory_limit;
        } else if (dt && dt->memory_limit != 0) {
                st->has_memory_limit = true;
                st->memory_limit_boot_only = dt->memory_limit_boot_only;
                st->memory_limit = dt->memory_limit;
        }
}

/* Everything the renderers show, from @d (borrowed for as long as *st
 * lives): 0, or -ENOMEM. */
static int gather(const struct cli_data *d, struct status *st) {
        *st = (struct status) { .d = d };
        gather_findings(d, st);
        gather_memory_limit(d, st);
        /* Online without the right to see addresses: the daemon's count. */
        if (!d->table) {
                st->n_ranges = d->daemon->ranges;
                return 0;
        }
        memrange_table_foreach(r, d->table) {
                uint64_t size = r->end - r->start;

                st->n_ranges++;
                st->total_bytes += size;
                if (r->type < _MEMRANGE_TYPE_MAX) {
                        st->by_type[r->type].ranges++;
                        st->by_type[r->type].bytes += size;
                }
        }
        return table_reservations(d->table, &st->reservations);
}

static void status_done(struct status *st) {
        memrange_list_clear(&st->reservations);
}

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] status [options]\n"
              "\n"
              "Show which kernel sources were read, the totals of the range table, the\n"
              "crash kernel state and the number of findings; asking memranged (no\n"
              "--offline or --sysroot), also its generation, uevent counters, pending\n"
              "rebuild and kdump state.\n"
              "\n"
              "Options:\n"
              " -J, --json           use JSON output format\n"
              " -b, --bytes          print sizes in bytes rather than in human readable format\n"
              " -h, --help           display this help\n",
              stdout);
}

static int parse_args(int argc, char **argv, struct out_opts *o) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'J' },
                { "bytes", no_argument, NULL, 'b' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "Jbh", options, NULL)) >= 0)
                if (c == 'h' || !out_parse_opt(c, optarg, o))
                        return cli_option_fallback("status", c, help);
        return cli_no_arguments("status", argc, argv);
}

int cmd_status(const struct cli_global *g, int argc, char **argv) {
        _cleanup_(cli_data_done) struct cli_data d = {};
        struct out_opts o = {};
        _cleanup_(status_done) struct status st = {};
        int r;

        r = parse_args(argc, argv, &o);
        if (r >= 0)
                return r;
        /* The table's totals need addresses; the daemon's status does not. */
        r = cli_data_load(g, &(const struct cli_query) { .want = CLI_WANT_TABLE | CLI_WANT_OPTIONAL }, &d);
        if (r > 0)
                return r;

        r = gather(&d, &st);
        if (r < 0) {
                cli_error("status: out of memory");
                return EXIT_FINDINGS;
        }
        if (o.json) {
                r = status_print_json(&st);
                if (r < 0) {
                        cli_error("status: cannot print: %s", strerror(-r));
                        return EXIT_FINDINGS;
                }
        } else
                status_print_text(&st, o.bytes);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FINDINGS;
}

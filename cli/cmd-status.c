/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl status: where the data came from, what the table holds, the
 * crash kernel state and how many findings there are. The text and the
 * JSON form are built from the same struct status; online, the daemon's
 * own state comes first (status-online.c). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "online.h"
#include "status.h"

#define N_SOURCES 8

static const char *source_status_name(uint32_t status) {
        return memrange_source_status_to_name(status) ?: "unknown";
}

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

static void gather(const struct cli_data *d, struct status *st) {
        *st = (struct status) { .d = d };
        gather_findings(d, st);
        /* Online without the right to see addresses: the daemon's count. */
        if (!d->table) {
                st->n_ranges = d->daemon->ranges;
                return;
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

/* ---- text ---- */

void status_print_optional(const char *label, int64_t value) {
        if (value < 0)
                printf("  %-24s n/a\n", label);
        else
                printf("  %-24s %" PRIi64 "\n", label, value);
}

static void print_sources(const struct memrange_sources *s) {
        puts("Sources:");
        for (size_t i = 0; i < N_SOURCES; i++) {
                printf("  %-24s %s", memrange_source_to_name(1u << i), source_status_name(s->status[i]));
                if (s->status[i] == MEMRANGE_SOURCE_ERROR && s->error[i])
                        printf(": %s", s->error[i]);
                putchar('\n');
        }
}

static void print_table_totals(const struct status *st, bool in_bytes) {
        char size[32];

        if (!st->d->table) {
                printf("Table: %zu ranges (addresses hidden: memranged shows them only to root and members of "
                       "group memrange)\n",
                       st->n_ranges);
                return;
        }
        printf("Table: %zu ranges, %s\n", st->n_ranges, out_format_size(st->total_bytes, in_bytes, size, sizeof(size)));
        for (size_t t = 0; t < _MEMRANGE_TYPE_MAX; t++) {
                if (st->by_type[t].ranges == 0)
                        continue;
                printf("  %-24s %zu %s, %s\n", memrange_type_to_name(t), st->by_type[t].ranges,
                       st->by_type[t].ranges == 1 ? "range" : "ranges",
                       out_format_size(st->by_type[t].bytes, in_bytes, size, sizeof(size)));
        }
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

void status_print_reservations(const struct memrange_table *table, bool in_bytes) {
        _cleanup_(memrange_list_clear) struct memrange_list list = {};
        char buf[256], size[32];

        if (!table) {
                printf("  %-24s hidden\n", "reservation");
                return;
        }
        if (table_reservations(table, &list) < 0)
                return;
        if (list.n == 0)
                printf("  %-24s none\n", "reservation");
        for (size_t i = 0; i < list.n; i++) {
                const struct memrange *r = &list.ranges[i];

                printf("  %-24s %s (%s)%s\n", "reservation", out_format_range(r->start, r->end, buf, sizeof(buf)),
                       out_format_size(r->end - r->start, in_bytes, size, sizeof(size)),
                       r->flags & MEMRANGE_F_CRASH_LOW ? " low" : "");
        }
}

static void print_crash(const struct memrange_crash *c, const struct memrange_table *table, bool in_bytes) {
        _cleanup_(freep) char *possible = NULL, *online = NULL;

        puts("Crash kernel:");
        status_print_reservations(table, in_bytes);
        status_print_optional("kexec_loaded", c->kexec_loaded);
        status_print_optional("kexec_crash_loaded", c->kexec_crash_loaded);
        status_print_optional("kexec_crash_size", c->kexec_crash_size);
        status_print_optional("crash_hotplug (memory)", c->crash_hotplug_memory);
        status_print_optional("crash_hotplug (cpu)", c->crash_hotplug_cpu);
        status_print_optional("crash_elfcorehdr_size", c->crash_elfcorehdr_size);
        printf("  %-24s %s\n", "CPUs possible",
               memrange_idset_to_string(&c->possible, &possible) < 0 ? "(out of memory)" : possible);
        printf("  %-24s %s\n", "CPUs online",
               memrange_idset_to_string(&c->online, &online) < 0 ? "(out of memory)" : online);
}

static void print_text(const struct status *st, bool in_bytes) {
        const struct cli_data *d = st->d;

        if (d->daemon)
                status_print_daemon(d->daemon);
        else
                printf("Sysroot: %s\n", d->sysroot);
        print_sources(d->sources);
        if (cli_iomem_hidden(d))
                printf("  %s\n", CLI_HIDDEN_EXPLANATION);
        print_table_totals(st, in_bytes);
        if (d->daemon)
                status_print_online_ram(d->daemon, in_bytes);
        if (d->daemon)
                status_print_online_crash(d, in_bytes);
        else if (d->sources->crash)
                print_crash(d->sources->crash, d->table, in_bytes);
        else
                puts("Crash kernel: n/a");
        printf("Findings: %" PRIu64 " errors, %" PRIu64 " warnings, %" PRIu64 " info\n",
               st->findings[MEMRANGE_SEVERITY_ERROR],
               st->findings[MEMRANGE_SEVERITY_WARNING], st->findings[MEMRANGE_SEVERITY_INFO]);
}

/* ---- JSON ---- */

/* A count whose kernel file may be missing: null then. */
static void build_optional(struct mj_builder *b, const char *key, int64_t value) {
        if (value < 0)
                mj_build_null(b, key);
        else
                mj_build_i64(b, key, value);
}

static void build_sources(struct mj_builder *b, const struct memrange_sources *s) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        for (size_t i = 0; i < N_SOURCES; i++) {
                struct mj_builder src = mj_builder_on(json_object_new_object());

                mj_build_string(&src, "status", source_status_name(s->status[i]));
                if (s->error[i])
                        mj_build_string(&src, "error", s->error[i]);
                else
                        mj_build_null(&src, "error");
                mj_build_object(&obj, memrange_source_to_name(1u << i), &src);
        }
        mj_build_object(b, "sources", &obj);
}

static void build_table(struct mj_builder *b, const struct status *st) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());
        struct mj_builder types = mj_builder_on(json_object_new_object());

        for (size_t t = 0; t < _MEMRANGE_TYPE_MAX; t++) {
                struct mj_builder tt;

                if (st->by_type[t].ranges == 0)
                        continue;
                tt = mj_builder_on(json_object_new_object());
                mj_build_u64(&tt, "ranges", st->by_type[t].ranges);
                mj_build_u64(&tt, "bytes", st->by_type[t].bytes);
                mj_build_object(&types, memrange_type_to_name(t), &tt);
        }
        mj_build_u64(&obj, "ranges", st->n_ranges);
        /* Addresses hidden (online): only the daemon's counts are known. */
        if (st->d->table) {
                mj_build_u64(&obj, "bytes", st->total_bytes);
                mj_build_object(&obj, "types", &types);
        } else {
                json_object_put(TAKE_PTR(types.object));
                mj_build_null(&obj, "bytes");
                mj_build_null(&obj, "types");
        }
        if (st->d->daemon)
                status_build_online_ram(&obj, st->d->daemon);
        mj_build_object(b, "table", &obj);
}

void status_build_reservations(struct mj_builder *b, const char *key, const struct memrange_table *table) {
        _cleanup_(memrange_list_clear) struct memrange_list list = {};
        _cleanup_(json_object_putp) struct json_object *arr = NULL;
        int r;

        if (!table)
                return mj_build_null(b, key);
        r = table_reservations(table, &list);
        if (r < 0)
                return mj_build_result(b, r);
        arr = json_object_new_array();
        if (!arr)
                return mj_build_result(b, -ENOMEM);
        for (size_t i = 0; i < list.n; i++) {
                struct mj_builder range = mj_builder_on(json_object_new_object());

                mj_build_u64(&range, "start", list.ranges[i].start);
                mj_build_u64(&range, "end", list.ranges[i].end - 1);
                mj_build_u64(&range, "size", list.ranges[i].end - list.ranges[i].start);
                mj_build_bool(&range, "low", !!(list.ranges[i].flags & MEMRANGE_F_CRASH_LOW));
                if (range.error < 0) {
                        json_object_put(range.object);
                        return mj_build_result(b, range.error);
                }
                r = mj_append(arr, range.object);
                if (r < 0)
                        return mj_build_result(b, r);
        }
        mj_build(b, key, TAKE_PTR(arr));
}

/* The CPU set @set as the kernel lists it. */
static void build_idset(struct mj_builder *b, const char *key, const struct memrange_idset *set) {
        _cleanup_(freep) char *text = NULL;
        int r;

        r = memrange_idset_to_string(set, &text);
        if (r < 0)
                return mj_build_result(b, r);
        mj_build_string(b, key, text);
}

static void build_crash(struct mj_builder *b, const struct memrange_crash *c, const struct memrange_table *table) {
        struct mj_builder obj;

        if (!c)
                return mj_build_null(b, "crash");
        obj = mj_builder_on(json_object_new_object());
        status_build_reservations(&obj, "reservations", table);
        build_optional(&obj, "kexec_loaded", c->kexec_loaded);
        build_optional(&obj, "kexec_crash_loaded", c->kexec_crash_loaded);
        build_optional(&obj, "kexec_crash_size", c->kexec_crash_size);
        build_optional(&obj, "crash_hotplug_memory", c->crash_hotplug_memory);
        build_optional(&obj, "crash_hotplug_cpu", c->crash_hotplug_cpu);
        build_optional(&obj, "crash_elfcorehdr_size", c->crash_elfcorehdr_size);
        build_idset(&obj, "cpus_possible", &c->possible);
        build_idset(&obj, "cpus_online", &c->online);
        mj_build_object(b, "crash", &obj);
}

static void build_findings(struct mj_builder *b, const struct status *st) {
        struct mj_builder obj = mj_builder_on(json_object_new_object());

        for (size_t s = 0; s <= MEMRANGE_SEVERITY_ERROR; s++)
                mj_build_u64(&obj, memrange_severity_to_name(s), st->findings[s]);
        mj_build_object(b, "findings", &obj);
}

static int print_json(const struct status *st) {
        _cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
        struct mj_builder b = mj_builder_on(root);
        const char *text;

        if (st->d->daemon)
                status_build_daemon(&b, "daemon", st->d->daemon);
        else
                mj_build_string(&b, "sysroot", st->d->sysroot);
        build_sources(&b, st->d->sources);
        mj_build_bool(&b, "iomem_hidden", cli_iomem_hidden(st->d));
        build_table(&b, st);
        if (st->d->daemon)
                status_build_online_crash(&b, "crash", st->d);
        else
                build_crash(&b, st->d->sources->crash, st->d->table);
        build_findings(&b, st);
        if (b.error < 0)
                return b.error;

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || puts(text) < 0)
                return -EIO;
        return 0;
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
        struct status st;
        int r;

        r = parse_args(argc, argv, &o);
        if (r >= 0)
                return r;
        /* The table's totals need addresses; the daemon's status does not. */
        r = cli_data_load(g, &(const struct cli_query) { .want = CLI_WANT_TABLE | CLI_WANT_OPTIONAL }, &d);
        if (r > 0)
                return r;

        gather(&d, &st);
        if (o.json) {
                r = print_json(&st);
                if (r < 0) {
                        cli_error("status: cannot print: %s", strerror(-r));
                        return EXIT_FINDINGS;
                }
        } else
                print_text(&st, o.bytes);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FINDINGS;
}

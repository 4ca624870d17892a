/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl crash-ranges and elfcorehdr: the RAM a crash dump would hold
 * under a dump policy, and the ELF core header that describes it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "online.h"

enum {
        COL_START,
        COL_END,
        COL_SIZE,
        COL_BACKUP,
};

static const struct out_column columns[] = {
        [COL_START] = { "START", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "first address of the PT_LOAD range" },
        [COL_END] = { "END", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "last address of the range (inclusive)" },
        [COL_SIZE] = { "SIZE", 5, SCOLS_FL_RIGHT, OUT_JSON_SIZE, "size of the range" },
        [COL_BACKUP] = { "BACKUP", 0, 0, OUT_JSON_BOOLEAN,
                         "copied into the crash reservation at crash time; the header points at the copy" },
};

static const size_t default_columns[] = { COL_START, COL_END, COL_SIZE, COL_BACKUP };

/* What both commands compute. */
struct dump_opts {
        enum memrange_dump_policy policy;
        enum memrange_arch arch; /* MEMRANGE_ARCH_UNKNOWN: detected */
};

enum {
        OPT_POLICY = 0x200,
        OPT_ARCH,
        OPT_DIRECT_MAP_BASE,
        OPT_BACKUP_OFFSET,
};

#define DUMP_LONG_OPTS                                                   \
        { "policy", required_argument, NULL, OPT_POLICY },               \
        { "arch", required_argument, NULL, OPT_ARCH }

static void help_dump_options(void) {
        fputs("     --policy <name>  kexec-tools-x86, kexec-tools-arm64, kexec-tools-ppc64,\n"
              "                      kernel or auto (default: how this machine loads kdump)\n"
              "     --arch <name>    x86_64, arm64 or ppc64 (default: detected from the sources)\n",
              stdout);
}

/* Applies --policy or --arch; 0 when @c is another option, 1 when done,
 * -EINVAL (message printed) for an unknown name. */
static int parse_dump_opt(const char *cmd, int c, const char *arg, struct dump_opts *d) {
        int v;

        switch (c) {
        case OPT_POLICY:
                v = memrange_dump_policy_from_name(arg);
                if (v < 0) {
                        cli_error("%s: unknown policy '%s'", cmd, arg);
                        return -EINVAL;
                }
                d->policy = v;
                return 1;
        case OPT_ARCH:
                v = memrange_arch_from_name(arg);
                if (v < 0) {
                        cli_error("%s: unknown architecture '%s'", cmd, arg);
                        return -EINVAL;
                }
                d->arch = v;
                return 1;
        default:
                return 0;
        }
}

/* Says on stderr which RAM the policy leaves out although a dump should
 * hold it (arm64 kexec-tools drops driver-managed RAM). */
static void warn_dropped(const char *cmd, const struct memrange_list *dropped, const struct memrange_dump_ranges *ranges) {
        for (size_t i = 0; dropped && i < dropped->n; i++) {
                char range[OUT_RANGE_MAX];

                cli_error("%s: warning: %sRAM %s is not dumped under policy %s", cmd,
                          dropped->ranges[i].flags & MEMRANGE_F_DRIVER_MANAGED ? "driver-managed " : "",
                          out_format_range(dropped->ranges[i].start, dropped->ranges[i].end, range, sizeof(range)),
                          memrange_dump_policy_to_name(ranges->policy));
        }
}

/* The ranges, asking memranged or reading the sysroot; an exit code on
 * failure (message printed), -1 on success. */
static int compute(const struct cli_global *g, const char *cmd, const struct dump_opts *opts, struct cli_data *d,
                   struct memrange_dump_ranges **ret_ranges) {
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        int r;

        if (!g->offline) {
                r = cli_crash_ranges_online(g, cmd, opts->policy, opts->arch, ret_ranges, &dropped);
                if (r < 0)
                        warn_dropped(cmd, dropped, *ret_ranges);
                return r;
        }
        r = cli_data_load(g, NULL, d);
        if (r > 0)
                return r;
        cli_warn_source_errors(d);
        r = memrange_dump_ranges_compute(d->ctx, d->table, d->sources, opts->policy, opts->arch, ret_ranges);
        if (r < 0) {
                cli_error("%s: %s", cmd, memrange_ctx_get_error(d->ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }
        if (memrange_dump_ranges_dropped(d->table, *ret_ranges, &dropped) >= 0)
                warn_dropped(cmd, dropped, *ret_ranges);
        return -1;
}

/* "kexec-tools-x86 (auto, x86_64)": the policy and how it was chosen. */
static void describe_policy(const struct memrange_dump_ranges *ranges, const struct dump_opts *opts, char *buf,
                            size_t size) {
        snprintf(buf, size, "%s (%s%s)", memrange_dump_policy_to_name(ranges->policy),
                 opts->policy == MEMRANGE_DUMP_AUTO ? "auto, " : "", memrange_arch_to_name(ranges->arch) ?: "?");
}

/* ---------------------------------------------------------------------------
 * crash-ranges
 */

static void help_crash_ranges(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] crash-ranges [options]\n"
              "\n"
              "Show the RAM ranges a kdump crash dump would hold (the PT_LOAD segments\n"
              "of /proc/vmcore, the kernel text left out) under a dump policy, for\n"
              "memranged's current table (or, with --offline or --sysroot, for the\n"
              "kernel files read directly).\n"
              "\n"
              "Options:\n",
              stdout);
        help_dump_options();
        out_help_options(true);
        fputs(" -h, --help           display this help\n", stdout);
        out_help_columns(columns, ELEMENTSOF(columns));
}

static const char *cell(size_t col, const void *row, const struct out_opts *o, char *buf, size_t size) {
        const struct memrange_dump_range *r = row;

        switch (col) {
        case COL_START:
        case COL_END:
                snprintf(buf, size, "0x%016" PRIx64, col == COL_START ? r->start : r->end - 1);
                return buf;
        case COL_SIZE:
                return out_format_size(r->end - r->start, o->bytes, buf, size);
        case COL_BACKUP:
                return r->flags & MEMRANGE_DUMP_F_BACKUP ? "yes" : "";
        default:
                return "";
        }
}

static int print_table(const struct memrange_dump_ranges *ranges, const struct out_selection *sel,
                       const struct out_opts *o) {
        return out_print_rows("crash-ranges", columns, sel, o, cell, ranges->ranges, ranges->n, sizeof(*ranges->ranges));
}

static struct json_object *json_cell(size_t col, const struct memrange_dump_range *r, const struct out_opts *o) {
        char buf[64];

        switch (col) {
        case COL_START:
                return json_object_new_uint64(r->start);
        case COL_END:
                return json_object_new_uint64(r->end - 1);
        case COL_SIZE:
                if (o->bytes)
                        return json_object_new_uint64(r->end - r->start);
                return json_object_new_string(out_format_size(r->end - r->start, false, buf, sizeof(buf)));
        case COL_BACKUP:
                return json_object_new_boolean(!!(r->flags & MEMRANGE_DUMP_F_BACKUP));
        default:
                return NULL;
        }
}

/* The selected columns as lowercase keys, like smartcols' JSON, under an
 * object that also names the policy. */
static int print_json(const struct memrange_dump_ranges *ranges, const struct dump_opts *opts,
                      const struct out_selection *sel, const struct out_opts *o) {
        _cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
        _cleanup_(json_object_putp) struct json_object *array = json_object_new_array();
        struct mj_builder b = mj_builder_on(root);
        const char *text;

        if (!array)
                return -ENOMEM;
        mj_build_string(&b, "policy", memrange_dump_policy_to_name(ranges->policy));
        mj_build_string(&b, "requested", memrange_dump_policy_to_name(opts->policy));
        mj_build_string(&b, "arch", memrange_arch_to_name(ranges->arch) ?: "unknown");
        for (size_t i = 0; i < ranges->n && b.error >= 0; i++) {
                struct mj_builder item = mj_builder_on(json_object_new_object());

                for (size_t k = 0; k < sel->n; k++) {
                        char key[16];
                        size_t j;

                        for (j = 0; columns[sel->idx[k]].name[j] && j + 1 < sizeof(key); j++)
                                key[j] = (char) (columns[sel->idx[k]].name[j] | 0x20); /* A-Z to a-z */
                        key[j] = '\0';
                        mj_build(&item, key, json_cell(sel->idx[k], &ranges->ranges[i], o));
                }
                if (item.error < 0) {
                        json_object_put(item.object);
                        mj_build_result(&b, item.error);
                } else
                        mj_build_result(&b, mj_append(array, item.object));
        }
        mj_build(&b, "ranges", TAKE_PTR(array));
        if (b.error < 0)
                return b.error;

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || puts(text) < 0 || fflush(stdout) != 0)
                return -EIO;
        return 0;
}

int cmd_crash_ranges(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                OUT_LONG_OPTS,
                DUMP_LONG_OPTS,
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(cli_data_done) struct cli_data d = {};
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        struct dump_opts opts = { .policy = MEMRANGE_DUMP_AUTO };
        struct out_selection sel;
        struct out_opts o = {};
        char policy[96];
        int c, r;

        while ((c = getopt_long(argc, argv, OUT_SHORT_OPTS "h", options, NULL)) >= 0) {
                if (out_parse_opt(c, optarg, &o))
                        continue;
                r = parse_dump_opt("crash-ranges", c, optarg, &opts);
                if (r < 0)
                        return EXIT_USAGE;
                if (r == 0)
                        return cli_option_fallback("crash-ranges", c, help_crash_ranges);
        }
        r = cli_no_arguments("crash-ranges", argc, argv);
        if (r >= 0)
                return r;
        if (out_select("crash-ranges", columns, ELEMENTSOF(columns), default_columns, ELEMENTSOF(default_columns),
                       &o, &sel) < 0)
                return EXIT_USAGE;

        r = compute(g, "crash-ranges", &opts, &d, &ranges);
        if (r >= 0)
                return r;
        if (o.json)
                r = print_json(ranges, &opts, &sel, &o);
        else {
                /* Scripts asking for raw output name the policy themselves. */
                if (!o.raw) {
                        describe_policy(ranges, &opts, policy, sizeof(policy));
                        printf("Policy: %s\n", policy);
                }
                r = print_table(ranges, &sel, &o);
        }
        if (r < 0) {
                cli_error("crash-ranges: cannot print: %s", strerror(-r));
                return EXIT_FINDINGS;
        }
        return EXIT_OK;
}

/* ---------------------------------------------------------------------------
 * elfcorehdr
 */

static void help_elfcorehdr(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] elfcorehdr -o FILE [options]\n"
              "\n"
              "Write the ELF core header a capture kernel would receive: a PT_NOTE per\n"
              "CPU crash note, the vmcoreinfo note, the kernel text (from /proc/kcore,\n"
              "when readable) and a PT_LOAD per crash range, for memranged's current\n"
              "table (or, with --offline or --sysroot, for the kernel files read directly).\n"
              "\n"
              "Options:\n"
              " -o, --output <file>  write the header to <file> (mode 0600)\n",
              stdout);
        help_dump_options();
        fputs("     --direct-map-base <hex>  virtual address of physical 0 in the direct map\n"
              "                      (default: from /proc/kcore, else the architecture's)\n"
              "     --backup-offset <hex>  where the backup range's copy lies\n"
              " -h, --help           display this help\n",
              stdout);
}

static int parse_hex_opt(const char *cmd, const char *name, const char *arg, uint64_t *ret) {
        if (mr_parse_hex_u64(arg, ret) < 0) {
                cli_error("%s: invalid %s '%s'", cmd, name, arg);
                return -EINVAL;
        }
        return 0;
}

static int write_file(const char *path, const void *buf, size_t size) {
        _cleanup_(closep) int fd = -1;
        size_t done = 0;

        /* Physical addresses are for root's eyes only. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        while (done < size) {
                ssize_t n = write(fd, (const uint8_t *) buf + done, size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                done += (size_t) n;
        }
        return close(TAKE_FD(fd)) < 0 ? negative_errno() : 0;
}

/* "3 PT_NOTE, 4 PT_LOAD": read back from the header itself (online, with
 * a context of our own for the parser's messages). */
/* cppcheck-suppress constParameter ; passed on (ctx ?: own) as non-const */
static void count_types(struct memrange_ctx *ctx, const void *buf, size_t size, size_t *notes, size_t *loads) {
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *elf = NULL;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *own = NULL;

        *notes = *loads = 0;
        if (!ctx && memrange_ctx_new(NULL, &own) < 0)
                return;
        if (memrange_elfcore_parse(ctx ?: own, NULL, buf, size, &elf) < 0)
                return;
        for (size_t i = 0; i < elf->n; i++) {
                *notes += elf->phdrs[i].type == PT_NOTE;
                *loads += elf->phdrs[i].type == PT_LOAD;
        }
}

/* The header from memranged, or built from the sysroot; its policy and
 * arch in *info. An exit code on failure (message printed), -1 on
 * success. */
static int build_header(const struct cli_global *g, const struct dump_opts *opts,
                        const struct memrange_elfcore_opts *elf_opts, struct cli_data *d, struct memrange_dump_ranges *info,
                        void **ret_buf, size_t *ret_size) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        int r;

        if (!g->offline)
                return cli_elfcorehdr_online(g, "elfcorehdr", opts->policy, opts->arch, elf_opts, info, ret_buf,
                                             ret_size);
        r = compute(g, "elfcorehdr", opts, d, &ranges);
        if (r >= 0)
                return r;
        r = memrange_elfcore_build(d->ctx, d->sources, ranges, elf_opts, ret_buf, ret_size);
        if (r < 0) {
                cli_error("elfcorehdr: %s", memrange_ctx_get_error(d->ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }
        info->policy = ranges->policy;
        info->arch = ranges->arch;
        return -1;
}

int cmd_elfcorehdr(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                { "output", required_argument, NULL, 'o' },
                DUMP_LONG_OPTS,
                { "direct-map-base", required_argument, NULL, OPT_DIRECT_MAP_BASE },
                { "backup-offset", required_argument, NULL, OPT_BACKUP_OFFSET },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(cli_data_done) struct cli_data d = {};
        _cleanup_(freep) void *buf = NULL;
        struct dump_opts opts = { .policy = MEMRANGE_DUMP_AUTO };
        struct memrange_elfcore_opts elf_opts = {};
        struct memrange_dump_ranges info = {};
        const char *output = NULL;
        size_t size, notes, loads;
        char policy[96];
        int c, r;

        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
                r = parse_dump_opt("elfcorehdr", c, optarg, &opts);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'o')
                        output = optarg;
                else if (c == OPT_DIRECT_MAP_BASE) {
                        if (parse_hex_opt("elfcorehdr", "direct map base", optarg, &elf_opts.direct_map_base) < 0)
                                return EXIT_USAGE;
                } else if (c == OPT_BACKUP_OFFSET) {
                        if (parse_hex_opt("elfcorehdr", "backup offset", optarg, &elf_opts.backup_offset) < 0)
                                return EXIT_USAGE;
                } else
                        return cli_option_fallback("elfcorehdr", c, help_elfcorehdr);
        }
        r = cli_no_arguments("elfcorehdr", argc, argv);
        if (r >= 0)
                return r;
        if (!output) {
                cli_error("elfcorehdr: no output file given (-o FILE)");
                return EXIT_USAGE;
        }

        r = build_header(g, &opts, &elf_opts, &d, &info, &buf, &size);
        if (r >= 0)
                return r;
        r = write_file(output, buf, size);
        if (r < 0) {
                cli_error("elfcorehdr: cannot write %s: %s", output, strerror(-r));
                return EXIT_FINDINGS;
        }
        count_types(d.ctx, buf, size, &notes, &loads);
        describe_policy(&info, &opts, policy, sizeof(policy));
        printf("Wrote %zu bytes to %s: %zu PT_NOTE, %zu PT_LOAD; policy %s\n", size, output, notes, loads, policy);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FINDINGS;
}

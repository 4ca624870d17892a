/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: the output layer shared by every command: the -J/-b/-o/-r/-n
 * options, column selection, smartcols tables and cell formatting. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "memrangectl.h"

bool out_parse_opt(int c, const char *arg, struct out_opts *o) {
        switch (c) {
        case 'J':
                o->json = true;
                return true;
        case 'b':
                o->bytes = true;
                return true;
        case 'o':
                o->columns = arg;
                return true;
        case OPT_OUTPUT_ALL:
                o->output_all = true;
                return true;
        case 'r':
                o->raw = true;
                return true;
        case 'n':
                o->noheadings = true;
                return true;
        default:
                return false;
        }
}

void out_help_options(bool bytes) {
        fputs(" -J, --json           use JSON output format\n", stdout);
        if (bytes)
                fputs(" -b, --bytes          print SIZE in bytes rather than in human readable format\n", stdout);
        fputs(" -n, --noheadings     don't print headings\n"
              " -o, --output <list>  output columns (\"+LIST\" adds to the default columns)\n"
              "     --output-all     output all columns\n"
              " -r, --raw            use raw output format\n",
              stdout);
}

void out_help_columns(const struct out_column *cols, size_t n_cols) {
        fputs("\nAvailable output columns:\n", stdout);
        for (size_t i = 0; i < n_cols; i++)
                printf(" %10s  %s\n", cols[i].name, cols[i].help);
}

static ssize_t column_by_name(const struct out_column *cols, size_t n_cols, const char *name,
                              size_t len) {
        for (size_t i = 0; i < n_cols; i++)
                if (strlen(cols[i].name) == len && strncasecmp(cols[i].name, name, len) == 0)
                        return (ssize_t) i;
        return -1;
}

static int select_add(const char *cmd, struct out_selection *sel, size_t idx) {
        if (sel->n >= OUT_MAX_COLUMNS) {
                cli_error("%s: too many output columns", cmd);
                return -EINVAL;
        }
        sel->idx[sel->n++] = idx;
        return 0;
}

/* Appends the comma-separated column names of @list to @sel. */
static int select_list(const char *cmd, const struct out_column *cols, size_t n_cols,
                       const char *list, struct out_selection *sel) {
        const char *p = list;

        for (;;) {
                size_t len = strcspn(p, ",");
                ssize_t idx = column_by_name(cols, n_cols, p, len);
                int r;

                if (idx < 0) {
                        cli_error("%s: unknown column '%.*s'", cmd, (int) len, p);
                        return -EINVAL;
                }
                r = select_add(cmd, sel, (size_t) idx);
                if (r < 0)
                        return r;
                if (p[len] == '\0')
                        return 0;
                p += len + 1;
        }
}

int out_select(const char *cmd, const struct out_column *cols, size_t n_cols, const size_t *defaults,
               size_t n_defaults, const struct out_opts *o, struct out_selection *ret) {
        struct out_selection sel = {};
        const char *list = o->columns;
        int r;

        if (o->output_all) {
                for (size_t i = 0; i < n_cols; i++)
                        if (select_add(cmd, &sel, i) < 0)
                                return -EINVAL;
                *ret = sel;
                return 0;
        }
        /* Like lsblk: "+COL" keeps the defaults and adds COL. */
        if (!list || *list == '+') {
                for (size_t i = 0; i < n_defaults; i++)
                        if (select_add(cmd, &sel, defaults[i]) < 0)
                                return -EINVAL;
                if (list)
                        list++;
        }
        if (list) {
                r = select_list(cmd, cols, n_cols, list, &sel);
                if (r < 0)
                        return r;
        }
        *ret = sel;
        return 0;
}

static int scols_json_type(enum out_json json, bool bytes) {
        switch (json) {
        case OUT_JSON_NUMBER:
                return SCOLS_JSON_NUMBER;
        case OUT_JSON_BOOLEAN:
                return SCOLS_JSON_BOOLEAN_OPTIONAL; /* null when missing */
        case OUT_JSON_BOOLEAN_EMPTY_FALSE:
                return SCOLS_JSON_BOOLEAN;
        case OUT_JSON_SIZE:
                return bytes ? SCOLS_JSON_NUMBER : SCOLS_JSON_STRING;
        case OUT_JSON_STRING:
        default:
                return SCOLS_JSON_STRING;
        }
}

struct libscols_table *out_table_new(const char *json_name, const struct out_column *cols,
                                     const struct out_selection *sel, const struct out_opts *o) {
        struct libscols_table *tb = scols_new_table();

        if (!tb)
                return NULL;
        scols_table_enable_json(tb, o->json);
        scols_table_enable_raw(tb, o->raw);
        scols_table_enable_export(tb, o->pairs);
        scols_table_enable_noheadings(tb, o->noheadings);
        if (o->json && scols_table_set_name(tb, json_name) < 0)
                goto fail;

        for (size_t i = 0; i < sel->n; i++) {
                const struct out_column *c = &cols[sel->idx[i]];
                struct libscols_column *cl = scols_table_new_column(tb, c->name, c->whint, c->scols_flags);

                if (!cl)
                        goto fail;
                if (o->json)
                        scols_column_set_json_type(cl, scols_json_type(c->json, o->bytes));
        }
        return tb;
fail:
        scols_unref_table(tb);
        return NULL;
}

int out_add_row(struct libscols_table *tb, const struct out_selection *sel, out_cell_fn cell,
                const void *row, const struct out_opts *o) {
        struct libscols_line *ln = scols_table_new_line(tb, NULL);

        if (!ln)
                return -ENOMEM;
        for (size_t i = 0; i < sel->n; i++) {
                char buf[256];

                if (scols_line_set_data(ln, i, cell(sel->idx[i], row, o, buf, sizeof(buf))) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int out_table_print(struct libscols_table *tb) {
        int r = scols_print_table(tb);

        scols_unref_table(tb);
        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return r < 0 ? r : 0;
}

int out_print_rows(const char *json_name, const struct out_column *cols, const struct out_selection *sel,
                   const struct out_opts *o, out_cell_fn cell, const void *rows, size_t n, size_t size) {
        struct libscols_table *tb = out_table_new(json_name, cols, sel, o);

        if (!tb)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (out_add_row(tb, sel, cell, (const char *) rows + i * size, o) < 0) {
                        scols_unref_table(tb);
                        return -ENOMEM;
                }
        return out_table_print(tb);
}

char *out_format_range(uint64_t start, uint64_t end_exclusive, char *buf, size_t size) {
        if (end_exclusive <= start)
                snprintf(buf, size, "0x%016" PRIx64, start);
        else
                snprintf(buf, size, "0x%016" PRIx64 "-0x%016" PRIx64, start, end_exclusive - 1);
        return buf;
}

char *out_format_human(uint64_t bytes, char *buf, size_t size) {
        static const char suffixes[] = "BKMGTPE";
        unsigned shift = 0, tenths = 0;
        uint64_t whole, rest;

        /* The largest power of 1024 not above @bytes. */
        while (shift < 60 && (bytes >> shift) >= 1024)
                shift += 10;
        whole = bytes >> shift;
        rest = shift ? bytes & ((UINT64_C(1) << shift) - 1) : 0;
        if (rest) {
                /* Round the remainder to one decimal digit, half up. */
                uint64_t unit = UINT64_C(1) << shift;
                uint64_t milli = shift > 50 ? (rest >> 10) * 1000 / (unit >> 10) : rest * 1000 / unit;

                tenths = (unsigned) ((milli + 50) / 100);
                if (tenths == 10) {
                        whole++;
                        tenths = 0;
                }
        }
        if (tenths)
                snprintf(buf, size, "%" PRIu64 ".%u%c", whole, tenths, suffixes[shift / 10]);
        else
                snprintf(buf, size, "%" PRIu64 "%c", whole, suffixes[shift / 10]);
        return buf;
}

char *out_format_size(uint64_t bytes, bool in_bytes, char *buf, size_t size) {
        if (in_bytes) {
                snprintf(buf, size, "%" PRIu64, bytes);
                return buf;
        }
        return out_format_human(bytes, buf, size);
}

bool out_append(char *buf, size_t size, size_t *used, const char *format, ...) {
        va_list ap;
        int w;

        if (*used >= size)
                return false;
        va_start(ap, format);
        w = vsnprintf(buf + *used, size - *used, format, ap);
        va_end(ap);
        if (w < 0 || (size_t) w >= size - *used) {
                buf[*used] = '\0'; /* drop the partial item */
                return false;
        }
        *used += (size_t) w;
        return true;
}

static const char *const summary_names[] = {
        [SUMMARY_NEVER] = "never",
        [SUMMARY_ALWAYS] = "always",
        [SUMMARY_ONLY] = "only",
};

const char *out_summary_to_name(enum out_summary when) {
        return (size_t) when < ELEMENTSOF(summary_names) ? summary_names[when] : NULL;
}

int out_parse_summary(const char *arg, enum out_summary *ret) {
        if (!arg) {
                *ret = SUMMARY_ONLY;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(summary_names); i++)
                if (summary_names[i] && strcmp(arg, summary_names[i]) == 0) {
                        *ret = (enum out_summary) i;
                        return 0;
                }
        return -EINVAL;
}

int out_summary_opt(const char *cmd, const char *arg, enum out_summary *ret) {
        if (out_parse_summary(arg, ret) < 0) {
                cli_error("%s: unsupported --summary argument '%s'", cmd, arg);
                return -EINVAL;
        }
        return 0;
}

int out_resolve_summary(const char *cmd, const struct out_opts *o, enum out_summary *summary) {
        bool machine = o->json || o->raw;

        if (machine && *summary == SUMMARY_ONLY) {
                cli_error("%s: --summary=only cannot be combined with --json or --raw", cmd);
                return -EINVAL;
        }
        /* Machine-readable output stays one table, as in lsmem. */
        if (machine || *summary == SUMMARY_DEFAULT)
                *summary = machine ? SUMMARY_NEVER : SUMMARY_ALWAYS;
        return 0;
}

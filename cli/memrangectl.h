/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: declarations shared by the command table, the data loader,
 * the output layer and the commands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libsmartcols.h>

#include "memrange-cleanup.h"
#include "parse-util.h"
#include "io.memranged.h"

/* Exit codes, documented in memrangectl(1). */
enum {
        EXIT_OK = 0,
        EXIT_FINDINGS = 1,  /* verify: an error finding; other commands: a failure */
        EXIT_USAGE = 2,
        EXIT_NO_SOURCES = 3, /* the sources could not be read at all, or memranged
                                gave no usable answer (not running, timeout) */
        EXIT_DENIED = 4,     /* memranged refused: addresses hidden, or root only */
};

/* ---- global options (memrangectl.c) ---- */
#define CLI_DEFAULT_SOCKET IO_MEMRANGED_SOCKET_PATH
#define CLI_SOCKET_ENV "MEMRANGED_SOCKET"
#define CLI_DEFAULT_TIMEOUT_USEC (10u * 1000u * 1000u)

struct cli_global {
        const char *sysroot;   /* NULL: this machine ("/") */
        bool offline;          /* read the files ourselves rather than ask memranged */
        const char *socket;    /* memranged's socket: --socket, $MEMRANGED_SOCKET or the default */
        uint64_t timeout_usec; /* bound of every call but a subscription's */
};

/* Where a command gets its data. */
enum cli_mode {
        CLI_MODE_BOTH,        /* asks memranged unless --offline or --sysroot */
        CLI_MODE_ONLINE_ONLY, /* only memranged can do it (monitor, rescan, reload) */
        CLI_MODE_FILES_ONLY,  /* always reads the kernel files itself (snapshot) */
};

/* One entry of the command table: @run gets argv starting at the command
 * name and returns an exit code. */
struct cli_command {
        const char *name;
        const char *summary;
        int (*run)(const struct cli_global *g, int argc, char **argv);
        enum cli_mode mode;
};

/* completion.c: memrangectl --complete-words @kind, the words of the bash
 * completion that the program's own tables give (commands, policies,
 * archs, types, summary), one a line; an exit code. */
int cli_complete_words(const char *kind, const struct cli_command *commands, size_t n_commands);

int cmd_list(const struct cli_global *g, int argc, char **argv);
int cmd_blocks(const struct cli_global *g, int argc, char **argv);
int cmd_verify(const struct cli_global *g, int argc, char **argv);
int cmd_status(const struct cli_global *g, int argc, char **argv);
int cmd_crash_ranges(const struct cli_global *g, int argc, char **argv);
int cmd_elfcorehdr(const struct cli_global *g, int argc, char **argv);
int cmd_monitor(const struct cli_global *g, int argc, char **argv);
int cmd_rescan(const struct cli_global *g, int argc, char **argv);
int cmd_reload(const struct cli_global *g, int argc, char **argv);
int cmd_snapshot(const struct cli_global *g, int argc, char **argv);
int cmd_metrics(const struct cli_global *g, int argc, char **argv);

/* ---- messages (messages.c) ---- */

/* Prints "memrangectl: message" (or "memrangectl: CMD: message") on stderr. */
void cli_error(const char *format, ...) _printf_(1, 2);

/* The end of every command's option loop: -h prints @help (EXIT_OK), any
 * other option is a usage error (EXIT_USAGE). */
int cli_option_fallback(const char *cmd, int c, void (*help)(void));
/* EXIT_USAGE (message printed) when arguments remain after the options,
 * -1 otherwise. */
int cli_no_arguments(const char *cmd, int argc, char **argv);

/* ---- data (data.c; loaded by load.c through load-offline.c or
 * load-online.c) ----
 * What every command works on: read from the sysroot (offline), or
 * converted from memranged's replies (online), so the commands print both
 * with the same code and do not care where the data came from. */
struct cli_daemon_status;
struct memrange_json_filter;

struct cli_data {
        struct memrange_ctx *ctx;         /* NULL when the data came from memranged */
        char *sysroot;                    /* the sysroot that was read; NULL online */
        struct memrange_sources *sources; /* per-source status; online, of the readers only
                                             blocks (when asked for) is filled */
        struct memrange_table *table;     /* the authoritative table; online NULL unless asked for */
        struct memrange_findings *findings; /* online NULL unless asked for */
        struct cli_daemon_status *daemon; /* online: memranged's GetStatus; NULL offline */
};

/* What a command needs from memranged (offline everything is read). */
enum {
        CLI_WANT_TABLE = 1u << 0,    /* ListRanges */
        CLI_WANT_BLOCKS = 1u << 1,   /* ListBlocks */
        CLI_WANT_FINDINGS = 1u << 2, /* ListFindings */
        CLI_WANT_OPTIONAL = 1u << 3, /* addresses hidden from us: go on without them */
        CLI_WANT_BLOCK_TOTALS = 1u << 4, /* the summary's block lines: GetStatus's
                                            "blocks", ListBlocks when it lacks them */
        CLI_WANT_ONLY_BLOCKS = 1u << 5,  /* offline: read the memory blocks (with the
                                            NUMA nodes) and nothing else: no table,
                                            no findings */
};
struct cli_query {
        unsigned want;
        const struct memrange_json_filter *filter; /* ListRanges filter, or NULL */
        uint32_t read_flags; /* offline: MEMRANGE_READ_* bits, what of each memory
                                block to read (0: everything) */
};

/* Reads every source and reconciles them (offline), or asks memranged for
 * what @q wants (online). On failure prints the reason and returns the
 * exit code to use (EXIT_NO_SOURCES when nothing could be read or the
 * daemon gave no usable answer, EXIT_DENIED when it refused, EXIT_FINDINGS
 * for other failures); 0 on success. */
int cli_data_load(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret);
/* The two ways cli_data_load() takes, as it returns: the files under
 * g->sysroot (every source unless @q wants only the blocks, each block as
 * @q->read_flags say; @q may be NULL), or memranged. */
int cli_data_load_offline(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret);
int cli_data_load_online(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret);
/* Releases what a load filled; @d is then empty. */
void cli_data_done(struct cli_data *d);
/* daemon-status.c; accepts NULL. */
void cli_daemon_status_free(struct cli_daemon_status *s);

/* Bit index (0..7) of a single source bit, for sources->status[]/error[]. */
unsigned cli_source_index(uint32_t source_bit);
/* True when a table range is (in) a crash kernel reservation. */
bool cli_range_is_crashkernel(const struct memrange *r);
/* True when /proc/iomem was readable but showed zeroed addresses. */
bool cli_iomem_hidden(const struct cli_data *d);
/* For commands that show what they could read: one stderr line per source
 * that failed (naming file and line) and the hidden-iomem note. */
void cli_warn_source_errors(const struct cli_data *d);
/* One line telling an unprivileged user why addresses are missing. */
#define CLI_HIDDEN_EXPLANATION \
        "proc/iomem: every address reads as zero (the reader lacks CAP_SYS_ADMIN); run as root to see addresses"

/* ---- output (output.c) ---- */

/* How a column's cells appear in JSON. */
enum out_json {
        OUT_JSON_STRING,
        OUT_JSON_NUMBER,
        OUT_JSON_BOOLEAN,            /* null when the cell is empty */
        OUT_JSON_BOOLEAN_EMPTY_FALSE, /* false when the cell is empty (lsmem's REMOVABLE) */
        OUT_JSON_SIZE, /* a number with -b, a "128M" string otherwise */
};

struct out_column {
        const char *name;
        double whint;
        int scols_flags; /* SCOLS_FL_* */
        enum out_json json;
        const char *help;
};

/* Options shared by every table-printing command. */
struct out_opts {
        bool json, raw, noheadings, bytes, output_all;
        bool pairs; /* key="value" lines (blocks -P, as lsmem) */
        const char *columns; /* -o argument, or NULL for the defaults */
};

#define OUT_MAX_COLUMNS 32
/* Selected columns, as indices into the command's column array. */
struct out_selection {
        size_t n;
        size_t idx[OUT_MAX_COLUMNS];
};

/* getopt_long values of the shared output options. */
enum {
        OPT_OUTPUT_ALL = 0x100,
        OPT_SUMMARY,
        OPT_TYPE,
        OPT_NODE,
};
/* Short options and long options of -J/-b/-o/-r/-n/--output-all. */
#define OUT_SHORT_OPTS "Jbo:rn"
#define OUT_LONG_OPTS                                                 \
        { "json", no_argument, NULL, 'J' },                           \
        { "bytes", no_argument, NULL, 'b' },                          \
        { "output", required_argument, NULL, 'o' },                   \
        { "output-all", no_argument, NULL, OPT_OUTPUT_ALL },          \
        { "raw", no_argument, NULL, 'r' },                            \
        { "noheadings", no_argument, NULL, 'n' }

/* Applies one shared option; false when @c is not one of them. */
bool out_parse_opt(int c, const char *arg, struct out_opts *o);
/* Help text of the shared options (-b only when the command shows sizes:
 * @bytes) and the list of columns. */
void out_help_options(bool bytes);
void out_help_columns(const struct out_column *cols, size_t n_cols);

/* Resolves -o/--output-all against the command's columns: "A,B" replaces
 * the defaults, "+A,B" appends to them. -EINVAL (message printed) for an
 * unknown or repeated-too-often column. */
int out_select(const char *cmd, const struct out_column *cols, size_t n_cols, const size_t *defaults,
               size_t n_defaults, const struct out_opts *o, struct out_selection *ret);

/* A smartcols table named @json_name (the JSON array key) with the selected
 * columns, set up for the output mode. NULL on allocation failure. */
struct libscols_table *out_table_new(const char *json_name, const struct out_column *cols,
                                     const struct out_selection *sel, const struct out_opts *o);
/* Fills one cell of column @col (an index into the command's columns)
 * for @row; returns the text, in @buf or static. */
typedef const char *(*out_cell_fn)(size_t col, const void *row, const struct out_opts *o, char *buf,
                                   size_t size);
/* Appends a line with the selected columns of @row. -ENOMEM on failure. */
int out_add_row(struct libscols_table *tb, const struct out_selection *sel, out_cell_fn cell,
                const void *row, const struct out_opts *o);
/* Prints and releases the table; -errno on failure. */
int out_table_print(struct libscols_table *tb);
/* The whole table at once: a row for each of the @n rows of @size bytes
 * at @rows, then printed. -errno on failure. */
int out_print_rows(const char *json_name, const struct out_column *cols, const struct out_selection *sel,
                   const struct out_opts *o, out_cell_fn cell, const void *rows, size_t n, size_t size);

/* Cell formatting into caller buffers; each returns @buf. */
#define OUT_RANGE_MAX 40
char *out_format_range(uint64_t start, uint64_t end_exclusive, char *buf, size_t size);
char *out_format_size(uint64_t bytes, bool in_bytes, char *buf, size_t size);
/* Like lsmem: "128M", "2.9G", "0B": powers of 1024, one decimal digit. */
char *out_format_human(uint64_t bytes, char *buf, size_t size);
/* Appends printf output at buf + *used; on truncation leaves @buf as it
 * was (no partial item) and returns false. */
bool out_append(char *buf, size_t size, size_t *used, const char *format, ...) _printf_(4, 5);

/* --summary[=never|always|only], as in lsmem: the summary follows the
 * table unless the output is JSON or raw; --summary alone means "only". */
enum out_summary {
        SUMMARY_DEFAULT,
        SUMMARY_NEVER,
        SUMMARY_ALWAYS,
        SUMMARY_ONLY,
};
int out_parse_summary(const char *arg, enum out_summary *ret);
/* "never", "always", "only"; NULL for SUMMARY_DEFAULT. */
const char *out_summary_to_name(enum out_summary when);
/* The --summary option of @cmd: -EINVAL (message printed) when unknown. */
int out_summary_opt(const char *cmd, const char *arg, enum out_summary *ret);
/* Settles the default against -J/-r; -EINVAL (message printed) for
 * --summary=only with -J or -r. */
int out_resolve_summary(const char *cmd, const struct out_opts *o, enum out_summary *summary);

/* lsmem-style summary (summary.c): block size and online/offline memory
 * from the memory blocks, then with @with_table the totals of the table. */
void summary_print(const struct cli_data *d, bool with_table, bool in_bytes);
/* The summary as --summary=@when asks, after a table printed (or not). */
void summary_print_after_table(const struct cli_data *d, enum out_summary when, bool with_table,
                               bool in_bytes);

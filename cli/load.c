/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: gathering the data the commands show, by reading the kernel
 * files under a sysroot (offline mode; load-online.c asks memranged). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memrangectl.h"

unsigned cli_source_index(uint32_t source_bit) {
        return source_bit ? (unsigned) __builtin_ctz(source_bit) : 0;
}

bool cli_range_is_crashkernel(const struct memrange *r) {
        return r->type == MEMRANGE_TYPE_CRASHKERNEL || (r->flags & MEMRANGE_F_CRASHKERNEL);
}

bool cli_iomem_hidden(const struct cli_data *d) {
        return d->sources &&
               d->sources->status[cli_source_index(MEMRANGE_SRC_IOMEM)] == MEMRANGE_SOURCE_HIDDEN;
}

void cli_warn_source_errors(const struct cli_data *d) {
        for (size_t i = 0; i < ELEMENTSOF(d->sources->status); i++)
                if (d->sources->status[i] == MEMRANGE_SOURCE_ERROR)
                        cli_error("warning: %s ignored: %s", memrange_source_to_name(1u << i),
                                  d->sources->error[i] ?: "unreadable");
        if (cli_iomem_hidden(d))
                cli_error("warning: %s", CLI_HIDDEN_EXPLANATION);
}

/* True when no source at all could be read: nothing to show. */
static bool nothing_readable(const struct memrange_sources *s) {
        for (size_t i = 0; i < ELEMENTSOF(s->status); i++)
                if (s->status[i] == MEMRANGE_SOURCE_OK || s->status[i] == MEMRANGE_SOURCE_HIDDEN)
                        return false;
        return true;
}

/* Names the first failing source, so "nothing readable" says why. */
static void report_unreadable(const struct memrange_sources *s, const char *sysroot) {
        for (size_t i = 0; i < ELEMENTSOF(s->status); i++)
                if (s->status[i] == MEMRANGE_SOURCE_ERROR) {
                        cli_error("%s: no kernel memory source could be read: %s", sysroot,
                                  s->error[i] ? s->error[i] : "unreadable");
                        return;
                }
        cli_error("%s: no kernel memory source found (not a Linux sysroot?)", sysroot);
}

int cli_data_load(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        const char *sysroot = g->sysroot ?: "/";
        char *sysroot_copy;
        int r;

        if (!g->offline)
                return cli_data_load_online(g, q, ret);

        r = memrange_ctx_new(sysroot, &ctx);
        if (r < 0) {
                cli_error("cannot open sysroot %s: %s", sysroot, strerror(-r));
                return r == -ENOMEM ? EXIT_FINDINGS : EXIT_NO_SOURCES;
        }
        /* The library never prints; we show its last error ourselves. */
        memrange_ctx_set_log_fn(ctx, NULL, NULL);

        r = memrange_sources_read(ctx, &sources);
        if (r < 0) {
                cli_error("reading %s: %s", sysroot, memrange_ctx_get_error(ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }
        if (nothing_readable(sources)) {
                report_unreadable(sources, sysroot);
                return EXIT_NO_SOURCES;
        }

        r = memrange_reconcile(ctx, sources, &table, &findings);
        if (r < 0) {
                cli_error("reconciling the sources of %s: %s", sysroot,
                          memrange_ctx_get_error(ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }

        sysroot_copy = strdup(sysroot);
        if (!sysroot_copy) {
                cli_error("out of memory");
                return EXIT_FINDINGS;
        }
        *ret = (struct cli_data) {
                .ctx = TAKE_PTR(ctx),
                .sysroot = sysroot_copy,
                .sources = TAKE_PTR(sources),
                .table = TAKE_PTR(table),
                .findings = TAKE_PTR(findings),
        };
        return 0;
}

void cli_data_done(struct cli_data *d) {
        memrange_findings_free(d->findings);
        memrange_table_free(d->table);
        memrange_sources_free(d->sources);
        memrange_ctx_unref(d->ctx);
        cli_daemon_status_free(d->daemon);
        free(d->sysroot);
        *d = (struct cli_data) {};
}

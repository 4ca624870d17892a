/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl, offline: the data the commands show, read from the kernel
 * files under a sysroot and reconciled by the library (load.c chooses;
 * load-online.c asks memranged instead). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memrangectl.h"

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

/* The memory blocks alone, for a command that shows nothing else: the
 * NUMA nodes first, where lean blocks take their nodes from (one listing
 * per node rather than one per block). Each outcome is recorded in the
 * sources as a full read records it. */
static int read_only_blocks(struct memrange_ctx *ctx, uint32_t read_flags, struct memrange_sources **ret) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        int r;

        sources = calloc(1, sizeof(*sources));
        if (!sources)
                return -ENOMEM;
        sources->read_flags = read_flags;
        if (read_flags & MEMRANGE_READ_LEAN_BLOCKS) {
                r = memrange_sources_reread(ctx, sources, MEMRANGE_SRC_NUMA);
                if (r < 0)
                        return r;
        }
        r = memrange_sources_reread(ctx, sources, MEMRANGE_SRC_MEMORY_BLOCKS);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(sources);
        return 0;
}

/* The table and findings of every source read; an exit code on failure
 * (message printed), 0 on success. */
static int reconcile(struct memrange_ctx *ctx, const struct memrange_sources *sources, const char *sysroot,
                     struct memrange_table **ret_table, struct memrange_findings **ret_findings) {
        int r;

        if (nothing_readable(sources)) {
                report_unreadable(sources, sysroot);
                return EXIT_NO_SOURCES;
        }
        r = memrange_reconcile(ctx, sources, ret_table, ret_findings);
        if (r < 0) {
                cli_error("reconciling the sources of %s: %s", sysroot,
                          memrange_ctx_get_error(ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }
        return 0;
}

int cli_data_load_offline(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        const char *sysroot = g->sysroot ?: "/";
        uint32_t read_flags = q ? q->read_flags : 0;
        bool only_blocks = q && (q->want & CLI_WANT_ONLY_BLOCKS);
        char *sysroot_copy;
        int r;

        r = memrange_ctx_new(sysroot, &ctx);
        if (r < 0) {
                cli_error("cannot open sysroot %s: %s", sysroot, strerror(-r));
                return r == -ENOMEM ? EXIT_FINDINGS : EXIT_NO_SOURCES;
        }
        /* The library never prints; we show its last error ourselves. */
        memrange_ctx_set_log_fn(ctx, NULL, NULL);

        if (only_blocks)
                r = read_only_blocks(ctx, read_flags, &sources);
        else
                r = memrange_sources_read_flags(ctx, read_flags, &sources);
        if (r < 0) {
                cli_error("reading %s: %s", sysroot, memrange_ctx_get_error(ctx) ?: strerror(-r));
                return EXIT_FINDINGS;
        }
        /* Without the other sources the command judges the blocks itself. */
        if (!only_blocks) {
                r = reconcile(ctx, sources, sysroot, &table, &findings);
                if (r > 0)
                        return r;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrange_reconcile(): the table and the findings where the sources
 * disagree (reconcile.c), then the findings about crash dumps: ppc64's
 * memory limit, and what the dump ranges of the machine's automatic
 * policy leave out (crash.c, crash-findings.c). The reconciler itself
 * knows nothing of dump policies; this file ties the two, and hands the
 * dump ranges to a caller that wants them, so that a generation computes
 * them once. */
#include <errno.h>

#include "crash.h"
#include "reconcile.h"

_public_ int memrange_reconcile_dump(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                                     struct memrange_table **ret_table, struct memrange_findings **ret_findings,
                                     struct memrange_dump_ranges **ret_dump_ranges) {
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        int r;

        if (!sources || !ret_table || !ret_findings)
                return -EINVAL;
        if (ctx)
                mr_clear_error(ctx);
        r = mr_reconcile_sources(ctx, sources, &table, &findings);
        if (r < 0)
                return r;
        r = mr_find_dump_memory_limit(table, sources, findings);
        if (r < 0)
                return r;
        /* No context: the finding depends on the sources alone. A policy
         * that cannot be computed (too many reservations...) is not this
         * finding's business. */
        r = memrange_dump_ranges_compute(NULL, table, sources, MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_UNKNOWN, &ranges);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = mr_find_dump_drops(table, ranges, findings);
                if (r < 0)
                        return r;
        }
        *ret_table = TAKE_PTR(table);
        *ret_findings = TAKE_PTR(findings);
        if (ret_dump_ranges)
                *ret_dump_ranges = TAKE_PTR(ranges);
        return 0;
}

_public_ int memrange_reconcile(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                                struct memrange_table **ret_table, struct memrange_findings **ret_findings) {
        return memrange_reconcile_dump(ctx, sources, ret_table, ret_findings, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The finding about crash dumps: RAM a dump policy leaves out by rule
 * (arm64 kexec-tools dumps only lines named exactly "System RAM"), memory
 * a crash dump would silently lack. memrange_reconcile() adds it for the
 * machine's automatic policy (reconcile-dump.c); the findings container
 * is findings.c's. */
#include <errno.h>
#include <inttypes.h>

#include "crash.h"
#include "reconcile.h"

static int report(struct memrange_findings *findings, const struct memrange_dump_ranges *ranges, uint64_t start,
                  uint64_t end, uint32_t sources) {
        return rc_findings_add(findings, MEMRANGE_SEVERITY_WARNING, sources, start, end,
                               "dump-drops-driver-managed-ram",
                               "Driver-managed RAM 0x%" PRIx64 "-0x%" PRIx64
                               " is not dumped under the %s policy this machine uses: a crash dump would "
                               "silently lack it.",
                               start, end - 1, memrange_dump_policy_to_name(ranges->policy));
}

int mr_find_dump_drops(const struct memrange_table *table, const struct memrange_dump_ranges *ranges,
                       struct memrange_findings *findings) {
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        uint64_t start = 0, end = 0;
        uint32_t bits = 0;
        int r;

        r = memrange_dump_ranges_dropped(table, ranges, &dropped);
        if (r < 0)
                return r;

        /* One finding per contiguous stretch of dropped driver-managed RAM. */
        for (size_t i = 0; i <= dropped->n; i++) {
                const struct memrange *m = i < dropped->n ? &dropped->ranges[i] : NULL;

                if (m && !(m->flags & MEMRANGE_F_DRIVER_MANAGED))
                        continue;
                if (m && end > start && m->start == end) {
                        end = m->end;
                        bits |= m->sources;
                        continue;
                }
                if (end > start) {
                        r = report(findings, ranges, start, end, bits);
                        if (r < 0)
                                return r;
                }
                if (m) {
                        start = m->start;
                        end = m->end;
                        bits = m->sources;
                }
        }
        rc_findings_sort(findings);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The findings about crash dumps: RAM a dump policy leaves out by rule
 * (arm64 kexec-tools dumps only lines named exactly "System RAM"), memory
 * a crash dump would silently lack; and ppc64's linux,memory-limit, above
 * which kexec-tools dumps nothing. memrange_reconcile() adds them for the
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

/* "dump-memory-limit": the limit kexec-tools applies on ppc64, shown with
 * what it cuts and whether memranged's view neutralises it. A warning when
 * RAM lies above it (an image loaded from the kernel's files lacks it). */
int mr_find_dump_memory_limit(const struct memrange_table *table, const struct memrange_sources *sources,
                              struct memrange_findings *findings) {
        const struct memrange_devicetree *dt = sources ? sources->devicetree : NULL;
        uint64_t above = 0, end = 0;
        uint32_t bits = MEMRANGE_SRC_DEVICETREE;
        int r;

        if (!dt || dt->memory_limit == 0)
                return 0;
        memrange_table_foreach(m, table) {
                if (m->type != MEMRANGE_TYPE_RAM || m->end <= dt->memory_limit)
                        continue;
                above += m->end - (m->start > dt->memory_limit ? m->start : dt->memory_limit);
                end = m->end;
                bits |= m->sources;
        }
        r = rc_findings_add(findings, above ? MEMRANGE_SEVERITY_WARNING : MEMRANGE_SEVERITY_INFO, bits,
                            dt->memory_limit, end > dt->memory_limit ? end : dt->memory_limit + 1,
                            "dump-memory-limit",
                            "/chosen/linux,memory-limit is 0x%" PRIx64 ": kexec-tools on ppc64 dumps no memory "
                            "at or above it (%" PRIu64 " MiB of RAM there now). %s",
                            dt->memory_limit, above >> 20,
                            dt->memory_limit_boot_only
                                    ? "It only reflects the RAM present at boot (no mem=): memranged's loads "
                                      "read it as 0, an image loaded from the kernel's files keeps it."
                                    : "It was asked for (mem=, or it cuts boot memory): every loader keeps it.");
        if (r < 0)
                return r;
        rc_findings_sort(findings);
        return 0;
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

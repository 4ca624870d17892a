/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kexec-tools policy on ppc64: kexec-tools does not read /proc/iomem
 * there. Its memory is the device tree's memory nodes plus the drmem LMBs
 * that are assigned and not reserved, the crash region comes from
 * /chosen/linux,crashkernel-base and -size (the device tree reader's
 * crashkernel), and the first 64 KiB is backed up into the crash region
 * (its own PT_LOAD, pointing at the copy). Memory at and above
 * /chosen/linux,memory-limit, when that is not 0, is left out: the kernel
 * publishes its memory_limit there, and 6.12 sets that to the RAM it booted
 * with even without mem=, so a plain kexec -p after a DLPAR hot-add dumps
 * none of the new LMBs. memranged's view (memranged-ppc64) reads 0 for a
 * limit that only reflects boot RAM (the device tree reader decides).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "views.h"

#define PPC64_BACKUP_END (UINT64_C(64) << 10)
/* The crash region the ppc64 kernel publishes in /chosen: kexec-tools
 * takes it from there whatever /proc/iomem (and so the table) says. */
static int add_chosen_crash_region(const struct memrange_devicetree *dt, struct memrange_dump_ranges *out) {
        if (!dt || !dt->has_crashkernel)
                return 0;
        return mr_dump_push(&out->excluded, &out->n_excluded, dt->crashkernel.start, dt->crashkernel.end, 0);
}

static int add_plain(void *table, uint64_t start, uint64_t end, uint32_t source) {
        return mr_plain_add(table, start, end);
}

/* Device tree memory (after its usable-memory limits) plus drmem memory,
 * as one set. */
static int firmware_memory(const struct memrange_sources *sources, struct memrange_table **ret_memory) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL;
        int r;

        r = memrange_table_new(&memory);
        if (r < 0)
                return r;
        r = mr_foreach_firmware_memory(sources, add_plain, memory);
        if (r < 0)
                return r;
        *ret_memory = TAKE_PTR(memory);
        return 0;
}

/* Cuts the pieces crossing 64 KiB in two and flags the first piece below
 * it: kexec-tools' backup source is exactly [0, 64 KiB). */
static int push_memory(struct memrange_dump_ranges *out, const struct memrange *m, size_t *cursor) {
        uint64_t split = m->start < PPC64_BACKUP_END && m->end > PPC64_BACKUP_END ? PPC64_BACKUP_END : m->end;
        int r;

        r = mr_dump_push_minus(&out->ranges, &out->n, m->start, split, out->excluded, out->n_excluded, cursor);
        if (r >= 0 && split < m->end)
                r = mr_dump_push_minus(&out->ranges, &out->n, split, m->end, out->excluded, out->n_excluded,
                                       cursor);
        return r;
}

/* The end of what kexec-tools dumps; UINT64_MAX: no limit. */
static uint64_t memory_limit(const struct memrange_devicetree *dt, uint32_t policy) {
        if (!dt || dt->memory_limit == 0)
                return UINT64_MAX;
        if (policy == MEMRANGE_DUMP_MEMRANGED_PPC64 && dt->memory_limit_boot_only)
                return UINT64_MAX;
        return dt->memory_limit;
}

int mr_dump_compute_ppc64(struct memrange_ctx *ctx, const struct memrange_table *table,
                          const struct memrange_sources *sources, struct memrange_dump_ranges *out) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL;
        size_t cursor = 0;
        uint64_t limit;
        int r;

        if (!sources || (!sources->devicetree && !sources->drmem))
                return mr_dump_error(ctx, ENODATA, out->policy,
                                     "needs the device tree (proc/device-tree), which was not read");
        r = mr_dump_crash_runs(table, &out->excluded, &out->n_excluded);
        if (r < 0)
                return r;
        r = add_chosen_crash_region(sources->devicetree, out);
        if (r < 0)
                return r;
        mr_dump_sort_merge(out->excluded, &out->n_excluded);

        r = firmware_memory(sources, &memory);
        if (r < 0)
                return r;
        limit = memory_limit(sources->devicetree, out->policy);
        memrange_table_foreach(m, memory) {
                struct memrange below = *m;

                if (below.start >= limit)
                        break;
                if (below.end > limit)
                        below.end = limit;
                r = push_memory(out, &below, &cursor);
                if (r < 0)
                        return r;
        }
        if (out->n > 0 && out->ranges[0].end <= PPC64_BACKUP_END)
                out->ranges[0].flags |= MEMRANGE_DUMP_F_BACKUP;
        return 0;
}

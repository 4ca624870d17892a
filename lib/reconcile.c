/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reconciler: every kernel representation of memory in, one
 * authoritative table (the "generation" the daemon and the CLI serve) and
 * the list of disagreements out.
 *
 * Which source builds the table
 *   /proc/iomem is the kernel's live resource tree and wins whenever it is
 *   present and not zeroed. From it the table takes:
 *    - every RAM entry at any depth ("System RAM", and driver-managed
 *      "System RAM (virtio_mem)"/"(kmem)" nested under a device parent),
 *      with the flags the iomem reader classified (driver-managed...);
 *    - every top-level entry of a memory type: reserved, acpi, acpi-nvs,
 *      pmem, pmem-legacy, soft-reserved, unusable. RAM is added first, so a
 *      RAM child wins over its top-level parent ("Soft Reserved" > "dax0.0"
 *      > "System RAM (kmem)"): adding only fills gaps.
 *   Device and bus entries ("PCI Bus", "IOAPIC 0") are not memory and stay
 *   out, and so do entries nested in RAM (kernel code/data, arm64's memblock
 *   "reserved" lines): they do not change what the memory is. "Crash kernel"
 *   entries only set MEMRANGE_F_CRASHKERNEL on the RAM under them.
 *   When iomem is absent or hidden, the table is built from the best other
 *   source instead, so that it is never empty just because iomem was
 *   zeroed: memblock memory (NOMAP regions as reserved), else device tree
 *   memory plus drmem's assigned LMBs, else the memory blocks, else the
 *   firmware memmap's RAM.
 *
 * What the other sources add (reconcile-annotate.c)
 *   They never create or retype regions; where they agree with the table
 *   they add their source bit, and they contribute flags and the node:
 *    - firmware memmap: its bit on RAM under its RAM entries and on regions
 *      of the same type under its other entries; MEMRANGE_F_HOTPLUG on RAM
 *      under entries appended after boot;
 *    - memory blocks: their bit on the RAM inside each block;
 *      MEMRANGE_F_OFFLINE on RAM inside offline or going-offline blocks;
 *    - NUMA node links (nodeX/memoryN and memoryN/nodeX): a block linked to
 *      exactly one node gives that nid to its RAM; the numa bit is added
 *      where the numa source's links assigned it;
 *    - memblock memory: its bit and its nid (unless none) on RAM; HOTPLUG,
 *      MIRROR and DRV_MNG flags on that RAM; NOMAP regions (which iomem
 *      shows as top-level "reserved") get the bit and MEMRANGE_F_NOMAP
 *      whatever their type; memblock nids are applied before the node links,
 *      so the links win;
 *    - device tree: its bit on RAM under the memory nodes (after
 *      linux,usable-memory limits); /reserved-memory no-map children set
 *      MEMRANGE_F_NOMAP; the /chosen crash kernel region (powerpc) sets
 *      its bit and MEMRANGE_F_CRASHKERNEL on the RAM under it when iomem
 *      shows no "Crash kernel" entry (pseries keeps it out of iomem);
 *    - drmem: its bit on RAM under assigned, non-reserved LMBs, and
 *      MEMRANGE_F_HOTPLUG for HOTREMOVABLE ones;
 *    - crash state: its bit, MEMRANGE_F_CRASHKERNEL and (for the low
 *      reservation) MEMRANGE_F_CRASH_LOW on the RAM under each reservation.
 *
 * Findings (reconcile-findings.c): stable codes, one finding per
 * contiguous range, sorted errors first, then by address. The rules that
 * compare with iomem run only when iomem was readable.
 *   iomem-hidden (error)            iomem addresses read as zero: run as root.
 *   source-error (error)            a present source could not be read or is
 *                                   malformed; carries the reader's message.
 *   no-memory-source (error)        nothing at all described memory.
 *   memmap-ram-not-in-iomem (warning)      firmware RAM with no iomem memory
 *                                   entry at all (mem=/memmap=, hot-removed);
 *   memmap-ram-reserved-in-iomem (info)    firmware RAM that iomem shows as a
 *                                   reserved type (x86 page 0, for one).
 *   block-not-in-iomem (warning)    a memory block with no iomem RAM in it;
 *   iomem-ram-without-block (warning)      iomem RAM (driver-managed too) in
 *                                   no memory block.
 *   drmem-lmb-not-in-iomem (error)  an assigned, non-reserved LMB that is not
 *                                   iomem RAM.
 *   devicetree-memory-not-in-iomem (warning)   DT memory (after the usable
 *                                   limits) that is not iomem RAM; under
 *                                   no-map /reserved-memory any iomem memory
 *                                   entry accounts for it.
 *   memblock-memory-not-in-iomem (warning)     the same for memblock memory
 *                                   (NOMAP regions accounted the same way);
 *   iomem-ram-not-in-memblock (warning)        iomem RAM memblock lacks.
 *   crash-reservation-outside-ram (error)      the parts of a crash
 *                                   reservation (crash source or iomem) that
 *                                   are not iomem RAM.
 *   dump-drops-driver-managed-ram (warning)    driver-managed RAM the
 *                                   automatic dump policy leaves out (arm64
 *                                   kexec-tools): not this file's, the dump
 *                                   policies' (crash-findings.c), added by
 *                                   memrange_reconcile() (reconcile-dump.c).
 *   dump-memory-limit (warning, info)          ppc64's linux,memory-limit
 *                                   when not 0: a warning while RAM lies
 *                                   above it (crash-findings.c, added by
 *                                   memrange_reconcile() too).
 *
 * Cost: every step is a table operation (O(log n)) per source record or per
 * region walked, so the whole run is O(n log n); runs of blocks and LMBs
 * with equal attributes are applied as one range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

/* ---------------------------------------------------------------------------
 * Building from /proc/iomem
 */

static bool is_toplevel_memory_type(uint32_t type) {
        switch (type) {
        case MEMRANGE_TYPE_RESERVED:
        case MEMRANGE_TYPE_ACPI:
        case MEMRANGE_TYPE_ACPI_NVS:
        case MEMRANGE_TYPE_PMEM:
        case MEMRANGE_TYPE_PMEM_LEGACY:
        case MEMRANGE_TYPE_SOFT_RESERVED:
        case MEMRANGE_TYPE_UNUSABLE:
                return true;
        default:
                return false;
        }
}

static int add_iomem_entry(struct memrange_table *table, const struct memrange_iomem_entry *e) {
        struct memrange r = e->range;

        r.nid = MEMRANGE_NID_NONE;
        r.sources = MEMRANGE_SRC_IOMEM;
        /* Crash state comes from the Crash kernel entries, not the parent. */
        r.flags &= ~(uint32_t) (MEMRANGE_F_CRASHKERNEL | MEMRANGE_F_CRASH_LOW);
        return memrange_table_add(table, &r);
}

static int build_from_iomem(struct memrange_table *table, const struct memrange_iomem *iomem) {
        int r;

        for (size_t i = 0; i < iomem->n; i++) {
                if (iomem->entries[i].range.type != MEMRANGE_TYPE_RAM)
                        continue;
                r = add_iomem_entry(table, &iomem->entries[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < iomem->n; i++) {
                const struct memrange_iomem_entry *e = &iomem->entries[i];

                if (e->depth != 0 || !is_toplevel_memory_type(e->range.type))
                        continue;
                r = add_iomem_entry(table, e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < iomem->n; i++) {
                const struct memrange_iomem_entry *e = &iomem->entries[i];

                if (!mr_is_crash_entry(e))
                        continue;
                r = rc_annotate(table, e->range.start, e->range.end, RC_TYPE_BIT(MEMRANGE_TYPE_RAM), 0,
                                MEMRANGE_F_CRASHKERNEL, MEMRANGE_NID_NONE);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------------------
 * Building without iomem
 */

#define MEMBLOCK_MEMORY_FLAGS \
        (MEMRANGE_F_HOTPLUG | MEMRANGE_F_MIRROR | MEMRANGE_F_NOMAP | MEMRANGE_F_DRIVER_MANAGED)

/* Adds [start, end) as RAM reported by @source. */
static int add_ram(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t source) {
        const struct memrange m = {
                .start = start,
                .end = end,
                .type = MEMRANGE_TYPE_RAM,
                .nid = MEMRANGE_NID_NONE,
                .sources = source,
        };

        return memrange_table_add(table, &m);
}

static int build_from_memblock(struct memrange_table *table, const struct memrange_sources *s) {
        for (size_t i = 0; s->memblock && i < s->memblock->memory.n; i++) {
                struct memrange r = s->memblock->memory.ranges[i];
                int k;

                /* iomem shows NOMAP memory as top-level "reserved": do the same. */
                r.type = r.flags & MEMRANGE_F_NOMAP ? MEMRANGE_TYPE_RESERVED : MEMRANGE_TYPE_RAM;
                r.flags &= MEMBLOCK_MEMORY_FLAGS;
                if (r.type != MEMRANGE_TYPE_RAM)
                        r.nid = MEMRANGE_NID_NONE;
                r.sources = MEMRANGE_SRC_MEMBLOCK;
                k = memrange_table_add(table, &r);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int add_firmware_ram(void *table, uint64_t start, uint64_t end, uint32_t source) {
        return add_ram(table, start, end, source);
}

static int build_from_firmware_tree(struct memrange_table *table, const struct memrange_sources *s) {
        return mr_foreach_firmware_memory(s, add_firmware_ram, table);
}

static int build_from_blocks(struct memrange_table *table, const struct memrange_sources *s) {
        for (size_t i = 0; s->blocks && i < s->blocks->n; i++) {
                int r = add_ram(table, s->blocks->blocks[i].start, s->blocks->blocks[i].end,
                                MEMRANGE_SRC_MEMORY_BLOCKS);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_from_memmap(struct memrange_table *table, const struct memrange_sources *s) {
        for (size_t i = 0; s->memmap && i < s->memmap->n; i++) {
                struct memrange m = s->memmap->ranges[i];
                int r;

                if (m.type != MEMRANGE_TYPE_RAM)
                        continue;
                m.flags &= MEMRANGE_F_HOTPLUG;
                m.nid = MEMRANGE_NID_NONE;
                m.sources = MEMRANGE_SRC_FIRMWARE_MEMMAP;
                r = memrange_table_add(table, &m);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Source bits whose data is present in @s. */
static uint32_t present_sources(const struct memrange_sources *s) {
        return (s->memblock ? MEMRANGE_SRC_MEMBLOCK : 0) | (s->devicetree ? MEMRANGE_SRC_DEVICETREE : 0) |
               (s->drmem ? MEMRANGE_SRC_DRMEM : 0) | (s->blocks ? MEMRANGE_SRC_MEMORY_BLOCKS : 0) |
               (s->memmap ? MEMRANGE_SRC_FIRMWARE_MEMMAP : 0);
}

/* Without iomem, in order of precision. */
static const struct fallback {
        uint32_t sources;
        int (*build)(struct memrange_table *table, const struct memrange_sources *s);
} fallbacks[] = {
        { MEMRANGE_SRC_MEMBLOCK, build_from_memblock },
        { MEMRANGE_SRC_DEVICETREE | MEMRANGE_SRC_DRMEM, build_from_firmware_tree },
        { MEMRANGE_SRC_MEMORY_BLOCKS, build_from_blocks },
        { MEMRANGE_SRC_FIRMWARE_MEMMAP, build_from_memmap },
};

/* The first fallback that yields a non-empty table builds it;
 * *ret_built_from gets its source bits, 0 when none could. */
static int build_without_iomem(struct memrange_table *table, const struct memrange_sources *s,
                               uint32_t *ret_built_from) {
        uint32_t present = present_sources(s);

        for (size_t i = 0; i < ELEMENTSOF(fallbacks); i++) {
                int r;

                if (!(fallbacks[i].sources & present))
                        continue;
                r = fallbacks[i].build(table, s);
                if (r < 0)
                        return r;
                if (memrange_table_count(table) > 0) {
                        *ret_built_from = fallbacks[i].sources & present;
                        return 0;
                }
        }
        *ret_built_from = 0;
        return 0;
}

int mr_reconcile_sources(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                         struct memrange_table **ret_table, struct memrange_findings **ret_findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        uint32_t built_from = 0;
        int r;

        r = memrange_table_new(&table);
        if (r < 0)
                return r;
        findings = calloc(1, sizeof(*findings));
        if (!findings)
                return -ENOMEM;

        if (mr_iomem_usable(sources))
                r = build_from_iomem(table, sources->iomem);
        else
                r = build_without_iomem(table, sources, &built_from);
        if (r < 0)
                return r;
        r = rc_annotate_all(table, sources);
        if (r < 0)
                return r;
        r = rc_find_disagreements(table, sources, built_from, findings);
        if (r < 0)
                return r;
        rc_findings_sort(findings);

        if (ctx)
                mr_dbg(ctx, "reconciled %zu regions, %zu findings", memrange_table_count(table),
                       findings->n);
        *ret_table = TAKE_PTR(table);
        *ret_findings = TAKE_PTR(findings);
        return 0;
}

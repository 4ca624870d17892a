/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the kernel's representations of memory disagree. Each rule gathers
 * the disputed pieces into a plain table (so adjacent pieces merge), then
 * reports one finding per contiguous range. Every rule that compares with
 * /proc/iomem runs only when iomem was readable: the table then holds
 * exactly iomem's RAM and top-level memory entries. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "reconcile.h"

struct rule {
        const char *code;
        enum memrange_severity severity;
        uint32_t sources;
        const char *what; /* the sentence up to the range */
        const char *why;  /* the sentence after it */
};

/* One finding per contiguous range of @pieces (a plain table). */
static int report_pieces(struct memrange_findings *findings, const struct memrange_table *pieces,
                         const struct rule *rule) {
        uint64_t start = 0, end = 0;
        bool open = false;
        int r;

        for (const struct memrange *p = memrange_table_first(pieces);; p = memrange_table_next(pieces, p)) {
                if (p && open && p->start == end) {
                        end = p->end;
                        continue;
                }
                if (open) {
                        /* The kernel prints inclusive ends: so do the messages. */
                        r = rc_findings_add(findings, rule->severity, rule->sources, start, end, rule->code,
                                            "%s 0x%" PRIx64 "-0x%" PRIx64 " %s.", rule->what, start,
                                            end - 1, rule->why);
                        if (r < 0)
                                return r;
                }
                if (!p)
                        return 0;
                start = p->start;
                end = p->end;
                open = true;
        }
}

/* Adds to @out the RAM of @table that the plain table @covered lacks. */
static int collect_ram_outside(const struct memrange_table *table, const struct memrange_table *covered,
                               struct memrange_table *out) {
        memrange_table_foreach(m, table) {
                int r;

                if (m->type != MEMRANGE_TYPE_RAM)
                        continue;
                r = mr_collect(covered, m->start, m->end, MR_COVER_GAP, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- source status ---- */

static const char *fallback_name(uint32_t built_from) {
        if (built_from & MEMRANGE_SRC_MEMBLOCK)
                return "the table was built from memblock instead";
        if (built_from & (MEMRANGE_SRC_DEVICETREE | MEMRANGE_SRC_DRMEM))
                return "the table was built from the device tree instead";
        if (built_from & MEMRANGE_SRC_MEMORY_BLOCKS)
                return "the table was built from the memory blocks instead, at block granularity";
        if (built_from & MEMRANGE_SRC_FIRMWARE_MEMMAP)
                return "the table was built from the firmware memmap instead";
        return "no other source described memory";
}

static bool iomem_zeroed(const struct memrange_sources *s) {
        return s->status[0] == MEMRANGE_SOURCE_HIDDEN || (s->iomem && !mr_iomem_usable(s));
}

static int find_source_status(const struct memrange_sources *s, uint32_t built_from,
                              struct memrange_findings *findings) {
        int r;

        if (iomem_zeroed(s)) {
                r = rc_findings_add(findings, MEMRANGE_SEVERITY_ERROR, MEMRANGE_SRC_IOMEM, 0, 0, "iomem-hidden",
                                    "/proc/iomem shows every address as zero because it was read without "
                                    "CAP_SYS_ADMIN (%s); run as root to see the real layout.",
                                    fallback_name(built_from));
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < ELEMENTSOF(s->status); i++) {
                if (s->status[i] != MEMRANGE_SOURCE_ERROR)
                        continue;
                r = rc_findings_add(findings, MEMRANGE_SEVERITY_ERROR, 1u << i, 0, 0, "source-error",
                                    "The %s source is present but could not be read: %s.",
                                    memrange_source_to_name(1u << i),
                                    s->error[i] ? s->error[i] : "unknown error");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- firmware memmap ---- */

static const struct rule memmap_missing = {
        "memmap-ram-not-in-iomem", MEMRANGE_SEVERITY_WARNING,
        MEMRANGE_SRC_FIRMWARE_MEMMAP | MEMRANGE_SRC_IOMEM,
        "The firmware memmap lists System RAM at",
        "but /proc/iomem has no memory entry there (cut off by mem=/memmap= or hot-removed)",
};
static const struct rule memmap_reserved = {
        "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO,
        MEMRANGE_SRC_FIRMWARE_MEMMAP | MEMRANGE_SRC_IOMEM,
        "The firmware memmap lists System RAM at",
        "that /proc/iomem shows as reserved (the kernel reserved it at boot)",
};

static int find_memmap(const struct memrange_table *table, const struct memrange_list *memmap,
                       struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *missing = NULL, *reserved = NULL;
        int r;

        r = memrange_table_new(&missing);
        if (r >= 0)
                r = memrange_table_new(&reserved);
        for (size_t i = 0; r >= 0 && i < memmap->n; i++) {
                const struct memrange *m = &memmap->ranges[i];

                if (m->type != MEMRANGE_TYPE_RAM)
                        continue;
                r = mr_collect(table, m->start, m->end, MR_COVER_GAP, missing);
                if (r >= 0)
                        r = mr_collect(table, m->start, m->end, MR_COVER_OTHER, reserved);
        }
        if (r >= 0)
                r = report_pieces(findings, missing, &memmap_missing);
        if (r >= 0)
                r = report_pieces(findings, reserved, &memmap_reserved);
        return r;
}

/* ---- memory blocks ---- */

static const struct rule block_without_ram = {
        "block-not-in-iomem", MEMRANGE_SEVERITY_WARNING, MEMRANGE_SRC_MEMORY_BLOCKS | MEMRANGE_SRC_IOMEM,
        "Memory blocks in /sys/devices/system/memory cover",
        "where /proc/iomem has no System RAM at all",
};
static const struct rule ram_without_block = {
        "iomem-ram-without-block", MEMRANGE_SEVERITY_WARNING, MEMRANGE_SRC_MEMORY_BLOCKS | MEMRANGE_SRC_IOMEM,
        "/proc/iomem lists System RAM at",
        "that no memory block in /sys/devices/system/memory covers",
};

static bool has_ram(const struct memrange_table *table, uint64_t start, uint64_t end) {
        for (const struct memrange *r = memrange_table_lower_bound(table, start); r && r->start < end;
             r = memrange_table_next(table, r))
                if (r->type == MEMRANGE_TYPE_RAM)
                        return true;
        return false;
}

static int find_blocks(const struct memrange_table *table, const struct memrange_blocks *blocks,
                       struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *covered = NULL, *empty = NULL, *orphan = NULL;
        int r;

        r = memrange_table_new(&covered);
        if (r >= 0)
                r = memrange_table_new(&empty);
        if (r >= 0)
                r = memrange_table_new(&orphan);
        for (size_t i = 0; r >= 0 && i < blocks->n; i++) {
                const struct memrange_block *b = &blocks->blocks[i];

                r = mr_plain_add(covered, b->start, b->end);
                if (r >= 0 && !has_ram(table, b->start, b->end))
                        r = mr_plain_add(empty, b->start, b->end);
        }
        if (r >= 0)
                r = collect_ram_outside(table, covered, orphan);
        if (r >= 0)
                r = report_pieces(findings, empty, &block_without_ram);
        if (r >= 0)
                r = report_pieces(findings, orphan, &ram_without_block);
        return r;
}

/* ---- drmem and device tree ---- */

static const struct rule lmb_missing = {
        "drmem-lmb-not-in-iomem", MEMRANGE_SEVERITY_ERROR, MEMRANGE_SRC_DRMEM | MEMRANGE_SRC_IOMEM,
        "ibm,dynamic-memory assigns LMBs at",
        "that /proc/iomem does not list as System RAM",
};

static int find_drmem(const struct memrange_table *table, const struct memrange_drmem *drmem,
                      struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *missing = NULL;
        int r;

        r = memrange_table_new(&missing);
        for (size_t i = 0; r >= 0 && i < drmem->n; i++) {
                const struct memrange_lmb *lmb = &drmem->lmbs[i];

                if (memrange_lmb_is_memory(lmb))
                        r = mr_collect(table, lmb->base, lmb->base + drmem->lmb_size,
                                       MR_COVER_GAP | MR_COVER_OTHER, missing);
        }
        if (r >= 0)
                r = report_pieces(findings, missing, &lmb_missing);
        return r;
}

static const struct rule dt_missing = {
        "devicetree-memory-not-in-iomem", MEMRANGE_SEVERITY_WARNING, MEMRANGE_SRC_DEVICETREE | MEMRANGE_SRC_IOMEM,
        "Device tree memory nodes describe",
        "that /proc/iomem does not list as System RAM",
};

/* DT memory must be iomem RAM, except under no-map /reserved-memory, which
 * iomem lists as a top-level reserved entry: any iomem memory entry will do
 * there. */
static int find_devicetree(const struct memrange_table *table, const struct memrange_devicetree *dt,
                           struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL, *nomap = NULL,
                                                              *mapped = NULL, *unmapped = NULL,
                                                              *missing = NULL;
        int r;

        r = mr_devicetree_memory(dt, &memory);
        if (r >= 0)
                r = memrange_table_new(&nomap);
        for (size_t i = 0; r >= 0 && i < dt->reserved_memory.n; i++)
                if (dt->reserved_memory.ranges[i].flags & MEMRANGE_F_NOMAP)
                        r = mr_plain_add(nomap, dt->reserved_memory.ranges[i].start,
                                         dt->reserved_memory.ranges[i].end);
        if (r >= 0)
                r = memrange_table_subtract(memory, nomap, &mapped);
        if (r >= 0)
                r = memrange_table_intersect(memory, nomap, &unmapped);
        if (r >= 0)
                r = memrange_table_new(&missing);
        if (r < 0)
                return r;
        memrange_table_foreach(m, mapped) {
                r = mr_collect(table, m->start, m->end, MR_COVER_GAP | MR_COVER_OTHER, missing);
                if (r < 0)
                        return r;
        }
        memrange_table_foreach(m, unmapped) {
                r = mr_collect(table, m->start, m->end, MR_COVER_GAP, missing);
                if (r < 0)
                        return r;
        }
        return report_pieces(findings, missing, &dt_missing);
}

/* ---- memblock ---- */

static const struct rule memblock_missing = {
        "memblock-memory-not-in-iomem", MEMRANGE_SEVERITY_WARNING, MEMRANGE_SRC_MEMBLOCK | MEMRANGE_SRC_IOMEM,
        "memblock lists memory at",
        "that /proc/iomem does not list as System RAM",
};
static const struct rule ram_not_in_memblock = {
        "iomem-ram-not-in-memblock", MEMRANGE_SEVERITY_WARNING, MEMRANGE_SRC_MEMBLOCK | MEMRANGE_SRC_IOMEM,
        "/proc/iomem lists System RAM at",
        "that memblock does not list as memory",
};

static int find_memblock(const struct memrange_table *table, const struct memrange_memblock *mb,
                         struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL, *missing = NULL,
                                                              *extra = NULL;
        int r;

        r = memrange_table_new(&memory);
        if (r >= 0)
                r = memrange_table_new(&missing);
        if (r >= 0)
                r = memrange_table_new(&extra);
        for (size_t i = 0; r >= 0 && i < mb->memory.n; i++) {
                const struct memrange *m = &mb->memory.ranges[i];
                /* NOMAP memory is a top-level "reserved" in iomem: accounted for. */
                unsigned bad = m->flags & MEMRANGE_F_NOMAP ? MR_COVER_GAP : MR_COVER_GAP | MR_COVER_OTHER;

                r = mr_plain_add(memory, m->start, m->end);
                if (r >= 0)
                        r = mr_collect(table, m->start, m->end, bad, missing);
        }
        if (r >= 0)
                r = collect_ram_outside(table, memory, extra);
        if (r >= 0)
                r = report_pieces(findings, missing, &memblock_missing);
        if (r >= 0)
                r = report_pieces(findings, extra, &ram_not_in_memblock);
        return r;
}

/* ---- crash reservations ---- */

static const struct rule crash_outside = {
        "crash-reservation-outside-ram", MEMRANGE_SEVERITY_ERROR, MEMRANGE_SRC_CRASH | MEMRANGE_SRC_IOMEM,
        "The crash kernel reservation covers",
        "which is not System RAM in /proc/iomem",
};

static int find_crash(const struct memrange_table *table, const struct memrange_sources *s,
                      struct memrange_findings *findings) {
        _cleanup_(memrange_table_freep) struct memrange_table *reservations = NULL, *outside = NULL;
        int r;

        r = memrange_table_new(&reservations);
        if (r >= 0)
                r = memrange_table_new(&outside);
        for (size_t i = 0; r >= 0 && s->crash && i < s->crash->reservations.n; i++)
                r = mr_plain_add(reservations, s->crash->reservations.ranges[i].start,
                                 s->crash->reservations.ranges[i].end);
        for (size_t i = 0; r >= 0 && i < s->iomem->n; i++)
                if (mr_is_crash_entry(&s->iomem->entries[i]))
                        r = mr_plain_add(reservations, s->iomem->entries[i].range.start,
                                         s->iomem->entries[i].range.end);
        if (r < 0)
                return r;
        memrange_table_foreach(m, reservations) {
                r = mr_collect(table, m->start, m->end, MR_COVER_GAP | MR_COVER_OTHER, outside);
                if (r < 0)
                        return r;
        }
        return report_pieces(findings, outside, &crash_outside);
}

/* ---- all rules ---- */

int rc_find_disagreements(const struct memrange_table *table, const struct memrange_sources *s,
                          uint32_t built_from, struct memrange_findings *findings) {
        int r;

        r = find_source_status(s, built_from, findings);
        if (r < 0)
                return r;
        if (memrange_table_count(table) == 0) {
                return rc_findings_add(findings, MEMRANGE_SEVERITY_ERROR, 0, 0, 0, "no-memory-source",
                                       "No readable source (/proc/iomem, memblock, device tree, memory "
                                       "blocks, firmware memmap) described any memory.");
        }
        if (!mr_iomem_usable(s))
                return 0;

        if (s->memmap)
                r = find_memmap(table, s->memmap, findings);
        if (r >= 0 && s->blocks)
                r = find_blocks(table, s->blocks, findings);
        if (r >= 0 && s->drmem)
                r = find_drmem(table, s->drmem, findings);
        if (r >= 0 && s->devicetree)
                r = find_devicetree(table, s->devicetree, findings);
        if (r >= 0 && s->memblock)
                r = find_memblock(table, s->memblock, findings);
        if (r >= 0)
                r = find_crash(table, s, findings);
        return r;
}

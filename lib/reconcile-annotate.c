/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the sources other than /proc/iomem add to the table: their source
 * bit where they agree on the type, flags, and the NUMA node. The rules are
 * listed at the top of reconcile.c. */
#include <errno.h>
#include <stdlib.h>

#include "reconcile.h"

static bool region_needs(const struct memrange *r, uint32_t sources, uint32_t flags, int32_t nid) {
        return (r->sources & sources) != sources || (r->flags & flags) != flags ||
               (nid != MEMRANGE_NID_NONE && r->nid != nid);
}

int rc_annotate(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t type_mask,
                uint32_t sources, uint32_t flags, int32_t nid) {
        uint64_t pos = start;

        while (pos < end) {
                const struct memrange *r = memrange_table_lower_bound(table, pos);
                uint64_t s, e;
                bool wanted;
                int k;

                if (!r || r->start >= end)
                        break;
                s = r->start > pos ? r->start : pos;
                e = r->end < end ? r->end : end;
                wanted = r->type < 32 && (type_mask & RC_TYPE_BIT(r->type)) &&
                         region_needs(r, sources, flags, nid);
                /* The setters may split and merge: look the next region up
                 * again by address rather than keeping @r. */
                pos = e;
                if (!wanted)
                        continue;
                if (sources) {
                        k = memrange_table_add_sources(table, s, e, sources);
                        if (k < 0)
                                return k;
                }
                if (flags) {
                        k = memrange_table_set_flags(table, s, e, flags);
                        if (k < 0)
                                return k;
                }
                if (nid != MEMRANGE_NID_NONE) {
                        k = memrange_table_set_nid(table, s, e, nid);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

#define RAM_ONLY RC_TYPE_BIT(MEMRANGE_TYPE_RAM)

static int annotate_memmap(struct memrange_table *table, const struct memrange_list *memmap) {
        for (size_t i = 0; i < memmap->n; i++) {
                const struct memrange *m = &memmap->ranges[i];
                int r;

                if (m->type == MEMRANGE_TYPE_UNKNOWN || m->type >= 32)
                        continue;
                /* Only RAM carries the "appended after boot" meaning. */
                r = rc_annotate(table, m->start, m->end, RC_TYPE_BIT(m->type), MEMRANGE_SRC_FIRMWARE_MEMMAP,
                                m->type == MEMRANGE_TYPE_RAM ? m->flags & MEMRANGE_F_HOTPLUG : 0,
                                MEMRANGE_NID_NONE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int annotate_memblock(struct memrange_table *table, const struct memrange_memblock *mb) {
        for (size_t i = 0; i < mb->memory.n; i++) {
                const struct memrange *m = &mb->memory.ranges[i];
                int r;

                if (m->flags & MEMRANGE_F_NOMAP)
                        /* iomem calls these "reserved": whatever the type. */
                        r = rc_annotate(table, m->start, m->end, RC_ANY_TYPE, MEMRANGE_SRC_MEMBLOCK,
                                        m->flags & (MEMRANGE_F_NOMAP | MEMRANGE_F_MIRROR),
                                        MEMRANGE_NID_NONE);
                else
                        r = rc_annotate(table, m->start, m->end, RAM_ONLY, MEMRANGE_SRC_MEMBLOCK,
                                        m->flags & (MEMRANGE_F_HOTPLUG | MEMRANGE_F_MIRROR |
                                                    MEMRANGE_F_DRIVER_MANAGED),
                                        m->nid);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- memory blocks and NUMA node links ---- */

struct block_link {
        uint64_t index;
        int32_t nid;
};

static int compare_links(const void *pa, const void *pb) {
        const struct block_link *a = pa, *b = pb;

        if (a->index != b->index)
                return a->index < b->index ? -1 : 1;
        return (a->nid > b->nid) - (a->nid < b->nid);
}

/* nodeX/memoryN links from the numa source as (N, X) pairs sorted by N. */
static int numa_links(const struct memrange_numa *numa, struct block_link **ret_links, size_t *ret_n) {
        _cleanup_(freep) struct block_link *links = NULL;
        size_t n = 0, total = 0;

        for (size_t i = 0; numa && i < numa->n; i++)
                total += numa->nodes[i].n_blocks;
        if (total > 0) {
                links = calloc(total, sizeof(*links));
                if (!links)
                        return -ENOMEM;
                for (size_t i = 0; i < numa->n; i++)
                        for (size_t j = 0; j < numa->nodes[i].n_blocks; j++)
                                links[n++] = (struct block_link) {
                                        .index = numa->nodes[i].blocks[j],
                                        .nid = numa->nodes[i].nid,
                                };
                qsort(links, n, sizeof(*links), compare_links);
        }
        *ret_links = TAKE_PTR(links);
        *ret_n = n;
        return 0;
}

/* What one block contributes; consecutive equal blocks are applied once. */
struct block_note {
        uint64_t start, end;
        bool offline;
        int32_t nid;
        bool from_numa;
};

/* The block's node: the single node named by both kinds of links, else
 * none. from_numa tells whether the numa source's links named it. */
static void block_node(const struct memrange_block *b, const struct block_link *links, size_t n_links,
                       int32_t *ret_nid, bool *ret_from_numa) {
        size_t lo = 0, hi = n_links;
        int32_t nid = MEMRANGE_NID_NONE;
        bool several = false, from_numa = false;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (links[mid].index < b->index)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < n_links && links[i].index == b->index; i++) {
                several = several || (nid != MEMRANGE_NID_NONE && nid != links[i].nid);
                nid = links[i].nid;
                from_numa = true;
        }
        for (size_t i = 0; i < b->n_nodes; i++) {
                several = several || (nid != MEMRANGE_NID_NONE && nid != b->nodes[i]);
                nid = b->nodes[i];
        }
        *ret_nid = several ? MEMRANGE_NID_NONE : nid;
        *ret_from_numa = !several && from_numa;
}

static int apply_block_note(struct memrange_table *table, const struct block_note *note) {
        return rc_annotate(table, note->start, note->end, RAM_ONLY,
                           MEMRANGE_SRC_MEMORY_BLOCKS | (note->from_numa ? MEMRANGE_SRC_NUMA : 0),
                           note->offline ? MEMRANGE_F_OFFLINE : 0, note->nid);
}

static int annotate_blocks(struct memrange_table *table, const struct memrange_blocks *blocks,
                           const struct memrange_numa *numa) {
        _cleanup_(freep) struct block_link *links = NULL;
        struct block_note run = {};
        size_t n_links;
        bool have_run = false;
        int r;

        r = numa_links(numa, &links, &n_links);
        if (r < 0)
                return r;
        for (size_t i = 0; i < blocks->n; i++) {
                const struct memrange_block *b = &blocks->blocks[i];
                struct block_note note = {
                        .start = b->start,
                        .end = b->end,
                        .offline = b->state == MEMRANGE_BLOCK_OFFLINE ||
                                   b->state == MEMRANGE_BLOCK_GOING_OFFLINE,
                };

                block_node(b, links, n_links, &note.nid, &note.from_numa);
                if (have_run && run.end == note.start && run.offline == note.offline &&
                    run.nid == note.nid && run.from_numa == note.from_numa) {
                        run.end = note.end;
                        continue;
                }
                if (have_run) {
                        r = apply_block_note(table, &run);
                        if (r < 0)
                                return r;
                }
                run = note;
                have_run = true;
        }
        return have_run ? apply_block_note(table, &run) : 0;
}

/* ---- device tree, drmem, crash ---- */

static int annotate_devicetree(struct memrange_table *table, const struct memrange_devicetree *dt) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL;
        int r;

        r = mr_devicetree_memory(dt, &memory);
        if (r < 0)
                return r;
        memrange_table_foreach(m, memory) {
                r = rc_annotate(table, m->start, m->end, RAM_ONLY, MEMRANGE_SRC_DEVICETREE, 0,
                                MEMRANGE_NID_NONE);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < dt->reserved_memory.n; i++) {
                const struct memrange *m = &dt->reserved_memory.ranges[i];

                if (!(m->flags & MEMRANGE_F_NOMAP))
                        continue;
                r = rc_annotate(table, m->start, m->end, RC_ANY_TYPE, 0, MEMRANGE_F_NOMAP,
                                MEMRANGE_NID_NONE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_lmb_run(struct memrange_table *table, uint64_t start, uint64_t end, bool hotremovable) {
        return rc_annotate(table, start, end, RAM_ONLY, MEMRANGE_SRC_DRMEM,
                           hotremovable ? MEMRANGE_F_HOTPLUG : 0, MEMRANGE_NID_NONE);
}

static int annotate_drmem(struct memrange_table *table, const struct memrange_drmem *drmem) {
        uint64_t run_start = 0, run_end = 0;
        bool run_hot = false, have_run = false;
        int r;

        for (size_t i = 0; i < drmem->n; i++) {
                const struct memrange_lmb *lmb = &drmem->lmbs[i];
                bool hot = lmb->flags & MEMRANGE_DRMEM_HOTREMOVABLE;

                if (!memrange_lmb_is_memory(lmb))
                        continue;
                if (have_run && run_end == lmb->base && run_hot == hot) {
                        run_end += drmem->lmb_size;
                        continue;
                }
                if (have_run) {
                        r = apply_lmb_run(table, run_start, run_end, run_hot);
                        if (r < 0)
                                return r;
                }
                run_start = lmb->base;
                run_end = lmb->base + drmem->lmb_size;
                run_hot = hot;
                have_run = true;
        }
        return have_run ? apply_lmb_run(table, run_start, run_end, run_hot) : 0;
}

static int annotate_crash(struct memrange_table *table, const struct memrange_crash *crash) {
        for (size_t i = 0; i < crash->reservations.n; i++) {
                const struct memrange *m = &crash->reservations.ranges[i];
                int r;

                r = rc_annotate(table, m->start, m->end, RAM_ONLY, MEMRANGE_SRC_CRASH,
                                MEMRANGE_F_CRASHKERNEL | (m->flags & MEMRANGE_F_CRASH_LOW),
                                MEMRANGE_NID_NONE);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* True when a usable /proc/iomem shows a "Crash kernel" entry. */
static bool iomem_has_crash_entry(const struct memrange_sources *s) {
        if (!mr_iomem_usable(s))
                return false;
        for (size_t i = 0; i < s->iomem->n; i++)
                if (mr_is_crash_entry(&s->iomem->entries[i]))
                        return true;
        return false;
}

/* powerpc pseries reserves the crash kernel in the device tree only: its
 * /chosen region marks the RAM when iomem has no "Crash kernel" entry. */
static int annotate_chosen_crash(struct memrange_table *table, const struct memrange_sources *s) {
        const struct memrange_devicetree *dt = s->devicetree;

        if (!dt->has_crashkernel || iomem_has_crash_entry(s))
                return 0;
        return rc_annotate(table, dt->crashkernel.start, dt->crashkernel.end, RAM_ONLY, MEMRANGE_SRC_DEVICETREE,
                           MEMRANGE_F_CRASHKERNEL, MEMRANGE_NID_NONE);
}

int rc_annotate_all(struct memrange_table *table, const struct memrange_sources *s) {
        int r = 0;

        if (s->memmap)
                r = annotate_memmap(table, s->memmap);
        /* memblock's nid first, so that the node links below win. */
        if (r >= 0 && s->memblock)
                r = annotate_memblock(table, s->memblock);
        if (r >= 0 && s->blocks)
                r = annotate_blocks(table, s->blocks, s->numa);
        if (r >= 0 && s->devicetree)
                r = annotate_devicetree(table, s->devicetree);
        if (r >= 0 && s->drmem)
                r = annotate_drmem(table, s->drmem);
        if (r >= 0 && s->crash)
                r = annotate_crash(table, s->crash);
        if (r >= 0 && s->devicetree)
                r = annotate_chosen_crash(table, s);
        return r;
}

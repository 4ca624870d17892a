/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Views of the sources and tables that the reconciler and the dump
 * policies take: plain address sets, the memory the firmware describes on
 * device tree machines (the memory nodes after their linux,usable-memory
 * limits, and drmem's LMBs), whether /proc/iomem shows real addresses and
 * which of its entries are crash reservations, and what a table covers
 * over a window. Kept apart so that calls go one way: reconcile*.c and
 * crash*.c use these, these use neither. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "views.h"

int mr_plain_add(struct memrange_table *table, uint64_t start, uint64_t end) {
        struct memrange r = {
                .type = MEMRANGE_TYPE_RAM,
                .nid = MEMRANGE_NID_NONE,
        };

        if (start >= end)
                return 0;
        r.start = start;
        r.end = end;
        return memrange_table_add(table, &r);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Sorted names of the memory nodes that carry linux,usable-memory: their reg
 * no longer counts. Caller frees the array (the strings are borrowed). */
static int usable_node_names(const struct memrange_list *usable, const char ***ret_names, size_t *ret_n) {
        _cleanup_(freep) const char **names = NULL;
        size_t n = 0;

        if (usable->names && usable->n > 0) {
                names = calloc(usable->n, sizeof(*names));
                if (!names)
                        return -ENOMEM;
                for (size_t i = 0; i < usable->n; i++)
                        if (usable->names[i])
                                names[n++] = usable->names[i];
                qsort(names, n, sizeof(*names), compare_names);
        }
        *ret_names = TAKE_PTR(names);
        *ret_n = n;
        return 0;
}

static int add_list(struct memrange_table *plain, const struct memrange_list *list) {
        for (size_t i = 0; i < list->n; i++) {
                int r = mr_plain_add(plain, list->ranges[i].start, list->ranges[i].end);
                if (r < 0)
                        return r;
        }
        return 0;
}

int mr_devicetree_memory(const struct memrange_devicetree *dt, struct memrange_table **ret_table) {
        _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL, *limit = NULL;
        _cleanup_(freep) const char **usable_names = NULL;
        size_t n_usable_names;
        int r;

        r = memrange_table_new(&memory);
        if (r < 0)
                return r;
        r = usable_node_names(&dt->usable_memory, &usable_names, &n_usable_names);
        if (r < 0)
                return r;
        for (size_t i = 0; i < dt->memory.n; i++) {
                const char *name = dt->memory.names ? dt->memory.names[i] : NULL;

                if (name && n_usable_names > 0 &&
                    bsearch(&name, usable_names, n_usable_names, sizeof(*usable_names), compare_names))
                        continue;
                r = mr_plain_add(memory, dt->memory.ranges[i].start, dt->memory.ranges[i].end);
                if (r < 0)
                        return r;
        }
        r = add_list(memory, &dt->usable_memory);
        if (r < 0)
                return r;

        if (dt->usable_memory_range.n > 0) {
                /* A kdump kernel: only /chosen/linux,usable-memory-range is its memory. */
                struct memrange_table *clipped = NULL;

                r = memrange_table_new(&limit);
                if (r < 0)
                        return r;
                r = add_list(limit, &dt->usable_memory_range);
                if (r < 0)
                        return r;
                r = memrange_table_intersect(memory, limit, &clipped);
                if (r < 0)
                        return r;
                memrange_table_free(memory);
                memory = clipped;
        }
        *ret_table = TAKE_PTR(memory);
        return 0;
}

int mr_foreach_firmware_memory(const struct memrange_sources *s,
                               int (*fn)(void *userdata, uint64_t start, uint64_t end, uint32_t source),
                               void *userdata) {
        const struct memrange_drmem *drmem = s->drmem;
        int r;

        if (s->devicetree) {
                _cleanup_(memrange_table_freep) struct memrange_table *memory = NULL;

                r = mr_devicetree_memory(s->devicetree, &memory);
                if (r < 0)
                        return r;
                memrange_table_foreach(m, memory) {
                        r = fn(userdata, m->start, m->end, MEMRANGE_SRC_DEVICETREE);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; drmem && i < drmem->n; i++) {
                if (!memrange_lmb_is_memory(&drmem->lmbs[i]))
                        continue;
                r = fn(userdata, drmem->lmbs[i].base, drmem->lmbs[i].base + drmem->lmb_size, MEMRANGE_SRC_DRMEM);
                if (r < 0)
                        return r;
        }
        return 0;
}

int mr_collect(const struct memrange_table *table, uint64_t start, uint64_t end, unsigned kinds,
               struct memrange_table *out) {
        const struct memrange *r = memrange_table_lower_bound(table, start);
        uint64_t pos = start;

        while (pos < end) {
                uint64_t piece_end;
                unsigned kind;
                int k;

                if (!r || r->start >= end) {
                        piece_end = end;
                        kind = MR_COVER_GAP;
                } else if (r->start > pos) {
                        piece_end = r->start;
                        kind = MR_COVER_GAP;
                } else {
                        piece_end = r->end < end ? r->end : end;
                        kind = r->type == MEMRANGE_TYPE_RAM ? MR_COVER_RAM : MR_COVER_OTHER;
                        r = memrange_table_next(table, r);
                }
                if (kinds & kind) {
                        k = mr_plain_add(out, pos, piece_end);
                        if (k < 0)
                                return k;
                }
                pos = piece_end;
        }
        return 0;
}

bool mr_is_crash_entry(const struct memrange_iomem_entry *e) {
        return e->range.type == MEMRANGE_TYPE_CRASHKERNEL;
}

bool mr_iomem_usable(const struct memrange_sources *sources) {
        const struct memrange_iomem *iomem = sources->iomem;

        if (!iomem || sources->status[0] == MEMRANGE_SOURCE_HIDDEN)
                return false;
        /* A hand-built or unchecked iomem with only zero addresses is the
         * unprivileged view, not a layout. */
        for (size_t i = 0; i < iomem->n; i++)
                if (iomem->entries[i].range.start || iomem->entries[i].range.end)
                        return true;
        return false;
}

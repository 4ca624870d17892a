/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/firmware/memmap/N/{start,end,type}: the e820 map as the kernel was
 * handed it, plus entries appended by memory hot-add (N only grows). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

/* The e820 table holds at most a few thousand entries; hot-add appends one
 * per DIMM. */
#define MEMMAP_MAX_ENTRIES (1u << 17)

struct memmap_entry {
        uint64_t index; /* N */
        struct memrange range;
        char *type_text;
};

static void entries_free(struct memmap_entry *entries, size_t n) {
        if (!entries)
                return;
        for (size_t i = 0; i < n; i++)
                free(entries[i].type_text);
        free(entries);
}

static void attr_path(char *buf, size_t size, uint64_t index, const char *attr) {
        snprintf(buf, size, MEMMAP_DIR "/%llu/%s", (unsigned long long) index, attr);
}

/* Reads N/start or N/end: "0x%llx". */
static int read_address(struct memrange_ctx *ctx, uint64_t index, const char *attr, uint64_t *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r;

        attr_path(path, sizeof(path), index, attr);
        r = mr_read_attr_line(ctx, path, &value);
        if (r == -ENOENT)
                return mr_error_at(ctx, EBADMSG, path, 0, "missing");
        if (r < 0)
                return r;
        if (strncmp(value, "0x", 2) != 0)
                return mr_error_at(ctx, EBADMSG, path, 0, "expected 0x and a hex number, got '%.32s'",
                                   value);
        r = mr_parse_hex_u64(value, ret);
        if (r == -ERANGE)
                return mr_error_at(ctx, ERANGE, path, 0, "'%.32s' does not fit in 64 bits", value);
        if (r < 0)
                return mr_error_at(ctx, EBADMSG, path, 0, "bad hex number '%.32s'", value);
        return 0;
}

static int read_type(struct memrange_ctx *ctx, uint64_t index, char **ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r;

        attr_path(path, sizeof(path), index, "type");
        r = mr_read_attr_line(ctx, path, &value);
        if (r == -ENOENT)
                return mr_error_at(ctx, EBADMSG, path, 0, "missing");
        if (r < 0)
                return r;
        if (!*value)
                return mr_error_at(ctx, EBADMSG, path, 0, "empty type");
        *ret = TAKE_PTR(value);
        return 0;
}

static int read_entry(struct memrange_ctx *ctx, uint64_t index, struct memmap_entry *ret) {
        _cleanup_(freep) char *type_text = NULL;
        uint64_t start, last;
        char path[128];
        uint32_t flags;
        int r;

        r = read_address(ctx, index, "start", &start);
        if (r < 0)
                return r;
        r = read_address(ctx, index, "end", &last);
        if (r < 0)
                return r;
        attr_path(path, sizeof(path), index, "end");
        if (start > last)
                return mr_error_at(ctx, EBADMSG, path, 0, "end 0x%llx is below start 0x%llx",
                                   (unsigned long long) last, (unsigned long long) start);
        /* The end is inclusive; the exclusive end must fit. */
        if (last == UINT64_MAX)
                return mr_error_at(ctx, EOVERFLOW, path, 0,
                                   "end 0xffffffffffffffff cannot be stored as an exclusive end");
        r = read_type(ctx, index, &type_text);
        if (r < 0)
                return r;

        *ret = (struct memmap_entry) {
                .index = index,
                .range = {
                        .start = start,
                        .end = last + 1,
                        .nid = MEMRANGE_NID_NONE,
                        .sources = MEMRANGE_SRC_FIRMWARE_MEMMAP,
                },
        };
        ret->range.type = mr_kernel_name_to_type(type_text, &flags);
        ret->range.flags = flags;
        ret->type_text = TAKE_PTR(type_text);
        return 0;
}

/* True when entry N disappeared after the listing (hot-remove). */
static bool entry_vanished(struct memrange_ctx *ctx, uint64_t index) {
        char path[64];

        snprintf(path, sizeof(path), MEMMAP_DIR "/%llu", (unsigned long long) index);
        return mr_dir_vanished(ctx, path);
}

static int cmp_by_address(const void *a, const void *b) {
        const struct memmap_entry *x = a, *y = b;

        if (x->range.start != y->range.start)
                return x->range.start < y->range.start ? -1 : 1;
        if (x->range.end != y->range.end)
                return x->range.end < y->range.end ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Boot entries come in address order, so an entry whose N is above that of
 * some entry at a higher start address was appended later: hot-added.
 * @entries is sorted by address; walk down keeping the lowest N seen above. */
static void mark_hot_added(struct memmap_entry *entries, size_t n) {
        uint64_t lowest_above = UINT64_MAX;

        for (size_t hi = n; hi > 0;) {
                size_t lo = hi - 1;
                uint64_t group_lowest;

                /* Entries sharing a start address are not "above" each other. */
                while (lo > 0 && entries[lo - 1].range.start == entries[hi - 1].range.start)
                        lo--;
                group_lowest = UINT64_MAX;
                for (size_t i = lo; i < hi; i++) {
                        if (entries[i].index > lowest_above)
                                entries[i].range.flags |= MEMRANGE_F_HOTPLUG;
                        if (entries[i].index < group_lowest)
                                group_lowest = entries[i].index;
                }
                if (group_lowest < lowest_above)
                        lowest_above = group_lowest;
                hi = lo;
        }
}

static int read_entries(struct memrange_ctx *ctx, const uint64_t *indices, size_t n_indices,
                        struct memmap_entry *entries, size_t *ret_n) {
        size_t n = 0;
        int r;

        for (size_t i = 0; i < n_indices; i++) {
                r = read_entry(ctx, indices[i], &entries[n]);
                if (r < 0 && entry_vanished(ctx, indices[i])) {
                        mr_note_vanished(ctx, MEMMAP_DIR "/%llu", (unsigned long long) indices[i]);
                        continue;
                }
                if (r < 0) {
                        *ret_n = n;
                        return r;
                }
                n++;
        }
        *ret_n = n;
        return 0;
}

static int entries_to_list(const struct memmap_entry *entries, size_t n, struct memrange_list *list) {
        int r;

        for (size_t i = 0; i < n; i++) {
                r = memrange_list_append(list, &entries[i].range, entries[i].type_text);
                if (r < 0)
                        return r;
        }
        return 0;
}

_public_ int memrange_memmap_read(struct memrange_ctx *ctx, struct memrange_list **ret_list) {
        _cleanup_(memrange_list_freep) struct memrange_list *list = NULL;
        _cleanup_(freep) uint64_t *indices = NULL;
        struct memmap_entry *entries = NULL;
        size_t n_indices = 0, n = 0;
        int r;

        if (!ctx || !ret_list)
                return -EINVAL;

        r = mr_list_indexed(ctx, MEMMAP_DIR, "", MEMMAP_MAX_ENTRIES, &indices, &n_indices);
        if (r == -ENOENT)
                mr_dbg(ctx, "%s does not exist", MEMMAP_DIR);
        if (r < 0)
                return r;
        /* The directory exists wherever the kernel has CONFIG_FIRMWARE_MEMMAP,
         * but only x86 firmware fills it: empty means no firmware map. */
        if (n_indices == 0) {
                mr_dbg(ctx, "%s is empty", MEMMAP_DIR);
                return -ENOENT;
        }

        entries = calloc(n_indices, sizeof(*entries));
        list = calloc(1, sizeof(*list));
        if (!entries || !list) {
                free(entries);
                return -ENOMEM;
        }
        r = read_entries(ctx, indices, n_indices, entries, &n);
        if (r >= 0) {
                qsort(entries, n, sizeof(*entries), cmp_by_address);
                mark_hot_added(entries, n);
                r = entries_to_list(entries, n, list);
        }
        entries_free(entries, n);
        if (r < 0)
                return r;
        if (list->n == 0)
                return -ENOENT; /* every entry vanished */

        *ret_list = TAKE_PTR(list);
        return 0;
}

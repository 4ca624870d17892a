/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memblock_alloc_range_nid() over two range tables: find @size bytes of
 * free memory (memory minus reserved) and reserve them.
 *
 * Like memblock: only the start is aligned; top-down takes the highest
 * fitting address, bottom-up the lowest; the first page is never handed
 * out; regions that are not in the direct map (NOMAP) or that belong to a
 * driver (DRIVER_MANAGED) are never used; a node request falls back to any
 * node unless the exact node was asked for.
 */
#include <errno.h>

#include "memrange-private.h"

/* memblock raises the lower limit to PAGE_SIZE: address 0's page is never
 * allocated. */
#define ALLOC_FLOOR 4096u

/* Memory that memblock's allocator never touches. */
#define ALLOC_SKIP_FLAGS (MEMRANGE_F_NOMAP | MEMRANGE_F_DRIVER_MANAGED)

struct alloc_request {
        uint64_t size;
        uint64_t align;
        uint64_t min_addr; /* already raised to ALLOC_FLOOR */
        uint64_t max_addr;
        int32_t nid;
};

static uint64_t max_u64(uint64_t a, uint64_t b) {
        return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* Highest aligned start in free [lo, hi) where the block still fits. */
static bool fit_top_down(uint64_t lo, uint64_t hi, const struct alloc_request *req, uint64_t *ret_addr) {
        uint64_t cand;

        if (hi - lo < req->size)
                return false;
        cand = (hi - req->size) & ~(req->align - 1);
        if (cand < lo)
                return false;
        *ret_addr = cand;
        return true;
}

/* Lowest aligned start in free [lo, hi) where the block fits. */
static bool fit_bottom_up(uint64_t lo, uint64_t hi, const struct alloc_request *req, uint64_t *ret_addr) {
        uint64_t mask = req->align - 1, cand;

        if (lo > UINT64_MAX - mask)
                return false;
        cand = (lo + mask) & ~mask;
        if (cand >= hi || hi - cand < req->size)
                return false;
        *ret_addr = cand;
        return true;
}

static int find_bottom_up(const struct memrange_table *memory, const struct memrange_table *reserved,
                          const struct alloc_request *req, uint64_t *ret_addr, int32_t *ret_nid) {
        struct memrange_free_iter iter = { .pos = req->min_addr };
        struct memrange piece;
        int r;

        while ((r = memrange_free_next(memory, reserved, req->nid, ALLOC_SKIP_FLAGS, &iter, &piece)) > 0) {
                uint64_t lo = max_u64(piece.start, req->min_addr), hi = min_u64(piece.end, req->max_addr);

                if (piece.start >= req->max_addr)
                        return 0;
                if (lo < hi && fit_bottom_up(lo, hi, req, ret_addr)) {
                        *ret_nid = piece.nid;
                        return 1;
                }
        }
        return r;
}

/* The last region starting below @addr, or NULL. */
static const struct memrange *last_below(const struct memrange_table *t, uint64_t addr) {
        const struct memrange *x = memrange_table_lower_bound(t, addr);

        if (x && x->start < addr)
                return x;
        return x ? memrange_table_prev(t, x) : memrange_table_last(t);
}

/* Walks the free pieces of memory region @m inside the request's limits
 * from the top down, between the reserved regions. */
static bool fit_in_region_top_down(const struct memrange *m, const struct memrange_table *reserved,
                                   const struct alloc_request *req, uint64_t *ret_addr) {
        uint64_t floor = max_u64(m->start, req->min_addr), hi = min_u64(m->end, req->max_addr);

        while (hi > floor) {
                const struct memrange *r = last_below(reserved, hi);
                uint64_t lo = r && r->end > floor ? r->end : floor;

                if (lo < hi && fit_top_down(lo, hi, req, ret_addr))
                        return true;
                if (!r)
                        break;
                hi = r->start;
        }
        return false;
}

static int find_top_down(const struct memrange_table *memory, const struct memrange_table *reserved,
                         const struct alloc_request *req, uint64_t *ret_addr, int32_t *ret_nid) {
        for (const struct memrange *m = last_below(memory, req->max_addr); m && m->end > req->min_addr;
             m = memrange_table_prev(memory, m)) {
                if (m->flags & ALLOC_SKIP_FLAGS)
                        continue;
                if (req->nid != MEMRANGE_NID_NONE && m->nid != req->nid)
                        continue;
                if (fit_in_region_top_down(m, reserved, req, ret_addr)) {
                        *ret_nid = m->nid;
                        return 1;
                }
        }
        return 0;
}

static bool is_power_of_two(uint64_t x) {
        return x && !(x & (x - 1));
}

_public_ int memrange_alloc(const struct memrange_table *memory, struct memrange_table *reserved,
                            uint64_t size, uint64_t align, uint64_t min_addr, uint64_t max_addr,
                            int32_t nid, uint32_t alloc_flags, uint64_t *ret_addr) {
        const uint32_t known = MEMRANGE_ALLOC_BOTTOM_UP | MEMRANGE_ALLOC_EXACT_NID;
        int (*find)(const struct memrange_table *, const struct memrange_table *,
                    const struct alloc_request *, uint64_t *, int32_t *);
        struct alloc_request req = {
                .size = size,
                .align = align ? align : 1,
                .min_addr = max_u64(min_addr, ALLOC_FLOOR),
                .max_addr = max_addr,
                .nid = nid,
        };
        struct memrange block;
        uint64_t addr;
        int32_t found_nid;
        int r;

        if (!memory || !reserved || !ret_addr || size == 0 || !is_power_of_two(req.align) ||
            nid < MEMRANGE_NID_NONE || (alloc_flags & ~known))
                return -EINVAL;
        if (req.min_addr >= req.max_addr)
                return -ENOMEM;

        find = alloc_flags & MEMRANGE_ALLOC_BOTTOM_UP ? find_bottom_up : find_top_down;
        r = find(memory, reserved, &req, &addr, &found_nid);
        if (r == 0 && nid != MEMRANGE_NID_NONE && !(alloc_flags & MEMRANGE_ALLOC_EXACT_NID)) {
                req.nid = MEMRANGE_NID_NONE;
                r = find(memory, reserved, &req, &addr, &found_nid);
        }
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOMEM;

        block = (struct memrange) {
                .start = addr,
                .end = addr + size,
                .type = MEMRANGE_TYPE_RESERVED,
                .nid = found_nid,
        };
        r = memrange_table_add(reserved, &block);
        if (r < 0)
                return r;
        *ret_addr = addr;
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* powerpc dynamic reconfiguration memory: the LMB array of
 * proc/device-tree/ibm,dynamic-reconfiguration-memory.
 *
 * ibm,dynamic-memory (v1): u32 count, then per LMB base (root address
 * cells), drc_index, reserved, aa_index, flags.
 * ibm,dynamic-memory-v2: u32 set count, then per set: number of LMBs, base
 * (address cells), first drc_index, aa_index, flags; the LMBs of a set are
 * consecutive in address and drc_index. All cells big-endian. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

#define DRCONF_LMB_SIZE DRCONF_DIR "/ibm,lmb-size"
#define DRCONF_V1 DRCONF_DIR "/ibm,dynamic-memory"
#define DRCONF_V2 DRCONF_DIR "/ibm,dynamic-memory-v2"

/* 16 MiB holds ~700000 v1 entries: 170 TiB of 256 MiB LMBs. */
#define DRCONF_PROP_MAX (16u * 1024 * 1024)
/* Bound on expanded LMBs, so that a few bytes of v2 sets cannot make us
 * allocate and fill hundreds of MiB (2^24 LMBs took 400 MiB, and seconds
 * under the sanitizers: found by fuzz-drmem). The largest pseries
 * machines (64 TiB of 256 MiB LMBs) have 2^18 LMBs; 2^22 leaves room for
 * smaller LMBs and costs at most 96 MiB. */
#define DRCONF_LMBS_MAX (1u << 22)

/* Cells after the base: v1 drc_index, reserved, aa_index, flags; v2 has
 * the number of LMBs before the base and drc_index, aa_index, flags after. */
#define V1_CELLS_AFTER_BASE 4u
#define V2_CELLS_BESIDE_BASE 4u

struct drmem_parser {
        struct memrange_ctx *ctx;
        const char *path;
        const uint8_t *buf;
        size_t len;
        uint32_t address_cells;
        uint64_t lmb_size;
};

_public_ bool memrange_lmb_is_memory(const struct memrange_lmb *lmb) {
        return lmb && (lmb->flags & MEMRANGE_DRMEM_ASSIGNED) && !(lmb->flags & MEMRANGE_DRMEM_RESERVED);
}

static uint32_t be32_at(const uint8_t *p) {
        return (uint32_t) mr_be_cells(p, 1);
}

static int read_lmb_size(struct memrange_ctx *ctx, uint32_t size_cells, uint64_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        uint64_t size;
        size_t len;
        int r;

        r = mr_read_file(ctx, DRCONF_LMB_SIZE, 64, &buf, &len);
        if (r == -ENOENT)
                return mr_error_at(ctx, EBADMSG, DRCONF_LMB_SIZE, 0, "missing");
        if (r < 0)
                return mr_error_at(ctx, r, DRCONF_LMB_SIZE, 0, "cannot read: %s", strerror(-r));
        if (len != size_cells * 4)
                return mr_error_at(ctx, EBADMSG, DRCONF_LMB_SIZE, 0,
                                   "expected %u bytes (root #size-cells %u), got %zu", size_cells * 4,
                                   size_cells, len);
        size = mr_be_cells((const uint8_t *) buf, size_cells);
        if (size == 0 || (size & (size - 1)) != 0)
                return mr_error_at(ctx, EBADMSG, DRCONF_LMB_SIZE, 0,
                                   "LMB size 0x%" PRIx64 " is not a power of two", size);
        *ret_size = size;
        return 0;
}

/* The property must hold exactly @count records of @record bytes after its
 * leading count cell: a shorter one was truncated, a longer one is junk. */
static int check_length(struct drmem_parser *p, uint32_t count, size_t record, const char *what) {
        uint64_t want = 4 + (uint64_t) count * record;

        if (p->len != want)
                return mr_error_at(p->ctx, EBADMSG, p->path, 0,
                                   "%" PRIu32 " %s need %" PRIu64 " bytes, property has %zu", count,
                                   what, want, p->len);
        return 0;
}

static int grow_lmbs(struct drmem_parser *p, struct memrange_drmem *drmem, uint64_t extra) {
        struct memrange_lmb *lmbs;

        if (extra > DRCONF_LMBS_MAX - drmem->n)
                return mr_error_at(p->ctx, ERANGE, p->path, 0, "more than %u LMBs", DRCONF_LMBS_MAX);
        if (extra == 0)
                return 0;
        lmbs = realloc(drmem->lmbs, (drmem->n + extra) * sizeof(*lmbs));
        if (!lmbs)
                return -ENOMEM;
        drmem->lmbs = lmbs;
        return 0;
}

static int parse_v1(struct drmem_parser *p, struct memrange_drmem *drmem) {
        size_t record = (p->address_cells + V1_CELLS_AFTER_BASE) * 4;
        uint32_t count = be32_at(p->buf);
        int r;

        r = check_length(p, count, record, "LMBs");
        if (r < 0)
                return r;
        r = grow_lmbs(p, drmem, count);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < count; i++) {
                const uint8_t *e = p->buf + 4 + (size_t) i * record;
                const uint8_t *after = e + p->address_cells * 4;
                uint64_t base = mr_be_cells(e, p->address_cells);

                /* Users take base + lmb_size as the exclusive end: it must fit. */
                if (base > UINT64_MAX - p->lmb_size)
                        return mr_error_at(p->ctx, EOVERFLOW, p->path, 0,
                                           "LMB %" PRIu32 " at 0x%" PRIx64 " reaches the end of the address space",
                                           i, base);
                drmem->lmbs[drmem->n++] = (struct memrange_lmb) {
                        .base = base,
                        .drc_index = be32_at(after),
                        /* after + 4 is a reserved cell */
                        .aa_index = be32_at(after + 8),
                        .flags = be32_at(after + 12),
                };
        }
        drmem->version = 1;
        return 0;
}

/* Expands one v2 set into consecutive LMBs. */
static int expand_set(struct drmem_parser *p, struct memrange_drmem *drmem, size_t set,
                      const uint8_t *e) {
        uint32_t n_lmbs = be32_at(e);
        uint64_t base = mr_be_cells(e + 4, p->address_cells);
        const uint8_t *after = e + 4 + p->address_cells * 4;
        uint32_t drc_index = be32_at(after);
        int r;

        if (n_lmbs == 0)
                return 0;
        /* The last LMB's exclusive end must fit in 64 bits (users take
         * base + lmb_size) and its drc_index in 32. */
        if (base > UINT64_MAX - p->lmb_size ||
            (uint64_t) (n_lmbs - 1) > (UINT64_MAX - p->lmb_size - base) / p->lmb_size)
                return mr_error_at(p->ctx, EOVERFLOW, p->path, 0,
                                   "set %zu: %" PRIu32 " LMBs from 0x%" PRIx64 " reach the end of the address space",
                                   set, n_lmbs, base);
        if (n_lmbs - 1 > UINT32_MAX - drc_index)
                return mr_error_at(p->ctx, EOVERFLOW, p->path, 0,
                                   "set %zu: drc_index 0x%" PRIx32 " + %" PRIu32 " overflows", set,
                                   drc_index, n_lmbs);
        r = grow_lmbs(p, drmem, n_lmbs);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < n_lmbs; i++)
                drmem->lmbs[drmem->n++] = (struct memrange_lmb) {
                        .base = base + (uint64_t) i * p->lmb_size,
                        .drc_index = drc_index + i,
                        .aa_index = be32_at(after + 4),
                        .flags = be32_at(after + 8),
                };
        return 0;
}

static int parse_v2(struct drmem_parser *p, struct memrange_drmem *drmem) {
        size_t record = (p->address_cells + V2_CELLS_BESIDE_BASE) * 4;
        uint32_t n_sets = be32_at(p->buf);
        int r;

        r = check_length(p, n_sets, record, "sets");
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < n_sets; i++) {
                r = expand_set(p, drmem, i, p->buf + 4 + (size_t) i * record);
                if (r < 0)
                        return r;
        }
        drmem->version = 2;
        drmem->n_sets = n_sets;
        return 0;
}

static int read_dynamic_memory(struct drmem_parser *p, struct memrange_drmem *drmem) {
        _cleanup_(freep) char *buf = NULL;
        bool v2 = true;
        int r;

        /* v2 is what current firmware provides; prefer it when both exist. */
        p->path = DRCONF_V2;
        r = mr_read_file(p->ctx, p->path, DRCONF_PROP_MAX, &buf, &p->len);
        if (r == -ENOENT) {
                v2 = false;
                p->path = DRCONF_V1;
                r = mr_read_file(p->ctx, p->path, DRCONF_PROP_MAX, &buf, &p->len);
        }
        if (r == -ENOENT)
                return mr_error_at(p->ctx, EBADMSG, DRCONF_DIR, 0,
                                   "neither ibm,dynamic-memory-v2 nor ibm,dynamic-memory");
        if (r < 0)
                return mr_error_at(p->ctx, r, p->path, 0, "cannot read: %s", strerror(-r));
        if (p->len < 4)
                return mr_error_at(p->ctx, EBADMSG, p->path, 0, "%zu bytes, too short for a count",
                                   p->len);
        p->buf = (const uint8_t *) buf;
        return v2 ? parse_v2(p, drmem) : parse_v1(p, drmem);
}

_public_ int memrange_drmem_read(struct memrange_ctx *ctx, struct memrange_drmem **ret_drmem) {
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        struct drmem_parser p = { .ctx = ctx };
        uint32_t size_cells;
        int r;

        if (!ctx || !ret_drmem)
                return -EINVAL;
        if (!mr_exists(ctx, DRCONF_DIR))
                return -ENOENT;

        r = mr_dt_root_cells(ctx, &p.address_cells, &size_cells);
        if (r < 0)
                return r;
        r = read_lmb_size(ctx, size_cells, &p.lmb_size);
        if (r < 0)
                return r;

        drmem = calloc(1, sizeof(*drmem));
        if (!drmem)
                return -ENOMEM;
        drmem->lmb_size = p.lmb_size;
        r = read_dynamic_memory(&p, drmem);
        if (r < 0)
                return r;

        *ret_drmem = TAKE_PTR(drmem);
        return 0;
}

_public_ struct memrange_drmem *memrange_drmem_free(struct memrange_drmem *drmem) {
        if (!drmem)
                return NULL;
        free(drmem->lmbs);
        free(drmem);
        return NULL;
}

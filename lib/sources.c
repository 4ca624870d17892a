/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads every kernel source of one machine into struct memrange_sources,
 * recording for each whether it was there, hidden, or broken. A broken
 * source never fails the whole read: the reconciler reports it as a finding
 * and builds the table from what remains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "fileio.h"
#include "kernel-paths.h"
#include "memrange-private.h"

static unsigned source_index(enum memrange_source bit) {
        return (unsigned) __builtin_ctz(bit);
}

/* Records the outcome @r of reading source @bit. Returns -ENOMEM when the
 * outcome was an allocation failure (or recording it failed), 0 otherwise. */
static int record_outcome(struct memrange_ctx *ctx, struct memrange_sources *sources,
                          enum memrange_source bit, int r) {
        unsigned i = source_index(bit);
        const char *msg;

        if (r >= 0) {
                sources->status[i] = MEMRANGE_SOURCE_OK;
                return 0;
        }
        if (r == -ENOMEM)
                return -ENOMEM;
        if (r == -ENOENT) {
                sources->status[i] = MEMRANGE_SOURCE_ABSENT;
                return 0;
        }
        /* Only /proc/iomem has the "zeroed for unprivileged readers" mode. */
        sources->status[i] = bit == MEMRANGE_SRC_IOMEM && r == -EACCES ? MEMRANGE_SOURCE_HIDDEN
                                                                      : MEMRANGE_SOURCE_ERROR;
        msg = memrange_ctx_get_error(ctx);
        sources->error[i] = strdup(msg ? msg : strerror(-r));
        return sources->error[i] ? 0 : -ENOMEM;
}

/* The crash source takes its reservations from the iomem already read
 * (@done's) instead of reading /proc/iomem again. A malformed iomem fails
 * it too, with iomem's message, as memrange_crash_read() would. */
static int read_crash(struct memrange_ctx *ctx, const struct memrange_sources *done,
                      struct memrange_crash **ret_crash) {
        unsigned i = source_index(MEMRANGE_SRC_IOMEM);

        if (done->status[i] == MEMRANGE_SOURCE_ERROR)
                return mr_error_at(ctx, EBADMSG, NULL, 0, "%s", done->error[i] ?: "proc/iomem: unreadable");
        return mr_crash_read_from_iomem(ctx, done->iomem, ret_crash);
}

/* Runs the reader of source @bit, storing what it read in @into; @done
 * holds the sources read before (the same struct when reading them all). */
static int run_reader(struct memrange_ctx *ctx, enum memrange_source bit, const struct memrange_sources *done,
                      struct memrange_sources *into) {
        switch (bit) {
        case MEMRANGE_SRC_IOMEM:
                return memrange_iomem_read(ctx, &into->iomem);
        case MEMRANGE_SRC_FIRMWARE_MEMMAP:
                return memrange_memmap_read(ctx, &into->memmap);
        case MEMRANGE_SRC_MEMORY_BLOCKS:
                return mr_blocks_read(ctx, done->read_flags, done->numa, &into->blocks);
        case MEMRANGE_SRC_NUMA:
                return memrange_numa_read(ctx, &into->numa);
        case MEMRANGE_SRC_MEMBLOCK:
                return memrange_memblock_read(ctx, &into->memblock);
        case MEMRANGE_SRC_DEVICETREE:
                return memrange_devicetree_read(ctx, &into->devicetree);
        case MEMRANGE_SRC_DRMEM:
                return memrange_drmem_read(ctx, &into->drmem);
        case MEMRANGE_SRC_CRASH:
                return read_crash(ctx, done, &into->crash);
        default:
                return -EINVAL;
        }
}

/* Reads source @bit into @into and records the outcome there. The reader
 * gets a clean error slot so that a message left by an earlier one is
 * never attributed to the wrong source. Only -ENOMEM returns. */
static int read_source(struct memrange_ctx *ctx, enum memrange_source bit, const struct memrange_sources *done,
                       struct memrange_sources *into) {
        mr_clear_error(ctx);
        return record_outcome(ctx, into, bit, run_reader(ctx, bit, done, into));
}

/* Frees what @dst holds for source @bit (data, error) and moves @src's in,
 * leaving @src's slot empty. */
#define REPLACE(dst, src, field, free_fn)                 \
        do {                                              \
                free_fn((dst)->field);                    \
                (dst)->field = TAKE_PTR((src)->field);    \
        } while (0)

static void source_replace(struct memrange_sources *dst, struct memrange_sources *src, enum memrange_source bit) {
        unsigned i = source_index(bit);

        switch (bit) {
        case MEMRANGE_SRC_IOMEM:
                REPLACE(dst, src, iomem, memrange_iomem_free);
                break;
        case MEMRANGE_SRC_FIRMWARE_MEMMAP:
                REPLACE(dst, src, memmap, memrange_list_free);
                break;
        case MEMRANGE_SRC_MEMORY_BLOCKS:
                REPLACE(dst, src, blocks, memrange_blocks_free);
                break;
        case MEMRANGE_SRC_NUMA:
                REPLACE(dst, src, numa, memrange_numa_free);
                break;
        case MEMRANGE_SRC_MEMBLOCK:
                REPLACE(dst, src, memblock, memrange_memblock_free);
                break;
        case MEMRANGE_SRC_DEVICETREE:
                REPLACE(dst, src, devicetree, memrange_devicetree_free);
                break;
        case MEMRANGE_SRC_DRMEM:
                REPLACE(dst, src, drmem, memrange_drmem_free);
                break;
        case MEMRANGE_SRC_CRASH:
                REPLACE(dst, src, crash, memrange_crash_free);
                break;
        default:
                return;
        }
        free(dst->error[i]);
        dst->error[i] = TAKE_PTR(src->error[i]);
        dst->status[i] = src->status[i];
        src->status[i] = MEMRANGE_SOURCE_ABSENT;
}

/* Frees what @sources holds for source @bit. */
static void source_clear(struct memrange_sources *sources, enum memrange_source bit) {
        struct memrange_sources none = {};

        source_replace(sources, &none, bit);
}

/* Crash after iomem: it takes iomem's reservations. Numa before the
 * blocks: lean blocks take their nodes from it. */
static const enum memrange_source read_order[] = {
        MEMRANGE_SRC_IOMEM,    MEMRANGE_SRC_FIRMWARE_MEMMAP, MEMRANGE_SRC_NUMA,  MEMRANGE_SRC_MEMORY_BLOCKS,
        MEMRANGE_SRC_MEMBLOCK, MEMRANGE_SRC_DEVICETREE,      MEMRANGE_SRC_DRMEM, MEMRANGE_SRC_CRASH,
};

/* Reads every source once, in read_order. */
/* The kernel's machine name: proc/sys/kernel/arch (Linux 6.1 and later),
 * or uname's when the sysroot is the live root. Only what the library can
 * use; anything else is MEMRANGE_ARCH_UNKNOWN. */
static enum memrange_arch read_kernel_arch(struct memrange_ctx *ctx) {
        _cleanup_(freep) char *line = NULL;
        struct utsname u;
        const char *name = NULL;
        int arch;

        if (read_line_file_at(memrange_ctx_get_sysroot_fd(ctx), KERNEL_ARCH_PATH, LINE_FILE_MAX, &line) >= 0)
                name = line;
        else if (mr_streq(memrange_ctx_get_sysroot(ctx), "/") && uname(&u) >= 0)
                name = u.machine;
        arch = memrange_arch_from_name(name);
        return arch < 0 ? MEMRANGE_ARCH_UNKNOWN : (enum memrange_arch) arch;
}

static int read_all(struct memrange_ctx *ctx, uint32_t flags, struct memrange_sources **ret_sources) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->read_flags = flags;
        s->arch = read_kernel_arch(ctx);
        for (size_t i = 0; i < ELEMENTSOF(read_order); i++) {
                r = read_source(ctx, read_order[i], s, s);
                if (r < 0)
                        return r;
        }
        *ret_sources = TAKE_PTR(s);
        return 0;
}

/* Reads of all sources while entries keep vanishing (a hot-remove racing
 * with the scan), before the last read is taken as it is. */
#define READ_ATTEMPTS_MAX 3u

_public_ int memrange_sources_read_flags(struct memrange_ctx *ctx, uint32_t flags,
                                         struct memrange_sources **ret_sources) {
        struct memrange_sources *s = NULL;
        int r;

        if (!ctx || !ret_sources || (flags & ~MR_READ_FLAGS_ALL))
                return -EINVAL;
        for (unsigned attempt = 1;; attempt++) {
                unsigned vanished = mr_vanished_count(ctx);

                r = read_all(ctx, flags, &s);
                if (r < 0)
                        return r;
                if (mr_vanished_count(ctx) == vanished)
                        break;
                /* iomem and the firmware map, read first, may still show
                 * what vanished: a table from them would keep stale RAM. */
                if (attempt == READ_ATTEMPTS_MAX) {
                        mr_warn(ctx, "The memory layout kept changing during %u scans, using the last one", attempt);
                        break;
                }
                mr_info(ctx, "The memory layout changed during the scan, reading every source again");
                s = memrange_sources_free(s);
        }
        mr_clear_error(ctx);
        *ret_sources = s;
        return 0;
}

_public_ int memrange_sources_read(struct memrange_ctx *ctx, struct memrange_sources **ret_sources) {
        return memrange_sources_read_flags(ctx, 0, ret_sources);
}

/* The readers that take what another source read: the crash state takes
 * iomem's reservations (or its failure), lean blocks take numa's nodes.
 * Once @bit is read again into @fresh, @view lends them from there. */
static void lend_fresh(struct memrange_sources *view, const struct memrange_sources *fresh,
                       enum memrange_source bit) {
        unsigned i = source_index(bit);

        if (bit == MEMRANGE_SRC_IOMEM)
                view->iomem = fresh->iomem;
        else if (bit == MEMRANGE_SRC_NUMA)
                view->numa = fresh->numa;
        else
                return;
        view->status[i] = fresh->status[i];
        view->error[i] = fresh->error[i];
}

static bool update_valid(const struct memrange_sources *sources, uint32_t source_bits, const uint64_t *blocks,
                         size_t n_blocks, uint32_t flags) {
        if (!sources || (source_bits & ~(uint32_t) _MEMRANGE_SRC_ALL) || (flags & ~MEMRANGE_UPDATE_HELD_BLOCKS))
                return false;
        /* Every block is read again with the blocks source. */
        return n_blocks == 0 || (blocks && !(source_bits & MEMRANGE_SRC_MEMORY_BLOCKS));
}

_public_ int memrange_sources_update(struct memrange_ctx *ctx, struct memrange_sources *sources,
                                     uint32_t source_bits, const uint64_t *blocks, size_t n_blocks, uint32_t flags,
                                     struct memrange_update *ret_update) {
        struct memrange_sources fresh = { .read_flags = sources ? sources->read_flags : 0 };
        struct mr_blocks_update named = {};
        struct memrange_sources view;
        int r = 0;

        if (!ctx || !update_valid(sources, source_bits, blocks, n_blocks, flags))
                return -EINVAL;
        mr_clear_error(ctx);
        if (n_blocks > 0 && (!sources->blocks || sources->blocks->block_size == 0))
                return -ENODATA;

        /* Everything is read beside @sources first, so that a failure
         * leaves it as it was; @view is @sources with what was read
         * again so far lent in (it owns nothing). */
        view = *sources;
        for (size_t i = 0; i < ELEMENTSOF(read_order) && r >= 0; i++) {
                if (!(source_bits & read_order[i]))
                        continue;
                r = read_source(ctx, read_order[i], &view, &fresh);
                lend_fresh(&view, &fresh, read_order[i]);
        }
        if (r >= 0 && n_blocks > 0)
                r = mr_blocks_update_prepare(ctx, sources->blocks, view.numa, sources->read_flags, blocks, n_blocks,
                                             flags, &named);
        if (r < 0) {
                for (size_t i = 0; i < ELEMENTSOF(read_order); i++)
                        source_clear(&fresh, read_order[i]);
                return r;
        }

        for (size_t i = 0; i < ELEMENTSOF(read_order); i++)
                if (source_bits & read_order[i])
                        source_replace(sources, &fresh, read_order[i]);
        if (ret_update) {
                *ret_update = named.counts;
                ret_update->sources = source_bits;
        }
        if (n_blocks > 0)
                mr_blocks_update_commit(&named, &sources->blocks);
        mr_clear_error(ctx);
        return 0;
}

_public_ int memrange_sources_reread(struct memrange_ctx *ctx, struct memrange_sources *sources,
                                     enum memrange_source bit) {
        if (bit == 0 || (bit & (bit - 1)) != 0)
                return -EINVAL;
        return memrange_sources_update(ctx, sources, bit, NULL, 0, 0, NULL);
}

_public_ struct memrange_sources *memrange_sources_free(struct memrange_sources *sources) {
        if (!sources)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(read_order); i++)
                source_clear(sources, read_order[i]);
        free(sources);
        return NULL;
}

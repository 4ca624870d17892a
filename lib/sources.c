/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads every kernel source of one machine into struct memrange_sources,
 * recording for each whether it was there, hidden, or broken. A broken
 * source never fails the whole read: the reconciler reports it as a finding
 * and builds the table from what remains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Each reader gets a clean error slot so that a message left by an earlier
 * reader is never attributed to the wrong source. Only -ENOMEM returns. */
#define READ_SOURCE(ctx, sources, bit, reader, field)                                 \
        do {                                                                          \
                int _r;                                                               \
                mr_clear_error(ctx);                                                  \
                _r = record_outcome(ctx, sources, bit, reader(ctx, &(sources)->field)); \
                if (_r < 0)                                                           \
                        return _r;                                                    \
        } while (0)

_public_ int memrange_sources_read(struct memrange_ctx *ctx, struct memrange_sources **ret_sources) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;

        if (!ctx || !ret_sources)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        READ_SOURCE(ctx, s, MEMRANGE_SRC_IOMEM, memrange_iomem_read, iomem);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_FIRMWARE_MEMMAP, memrange_memmap_read, memmap);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_MEMORY_BLOCKS, memrange_blocks_read, blocks);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_NUMA, memrange_numa_read, numa);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_MEMBLOCK, memrange_memblock_read, memblock);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_DEVICETREE, memrange_devicetree_read, devicetree);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_DRMEM, memrange_drmem_read, drmem);
        READ_SOURCE(ctx, s, MEMRANGE_SRC_CRASH, memrange_crash_read, crash);

        mr_clear_error(ctx);
        *ret_sources = TAKE_PTR(s);
        return 0;
}

_public_ struct memrange_sources *memrange_sources_free(struct memrange_sources *sources) {
        if (!sources)
                return NULL;
        memrange_iomem_free(sources->iomem);
        memrange_list_free(sources->memmap);
        memrange_blocks_free(sources->blocks);
        memrange_numa_free(sources->numa);
        memrange_memblock_free(sources->memblock);
        memrange_devicetree_free(sources->devicetree);
        memrange_drmem_free(sources->drmem);
        memrange_crash_free(sources->crash);
        for (size_t i = 0; i < ELEMENTSOF(sources->error); i++)
                free(sources->error[i]);
        free(sources);
        return NULL;
}

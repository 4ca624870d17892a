/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the memory block reader (sys/devices/system/memory:
 * block_size_bytes, auto_online_blocks, crash_hotplug, each memoryN's
 * state, phys_index, online, removable, phys_device, valid_zones and nodeX
 * entries) and the NUMA reader (sys/devices/system/node: the masks, each
 * nodeX's memoryN entries and cpulist), both on the scratch sysroot the
 * input describes (see fuzz-sysroot.h). Results must keep the readers'
 * promises: blocks sorted by index at index * block size, a known state,
 * nodes sorted; NUMA nodes and their block lists sorted. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_block(const struct memrange_blocks *blocks, size_t i) {
        const struct memrange_block *b = &blocks->blocks[i];

        if (i > 0 && b->index <= blocks->blocks[i - 1].index)
                abort();
        if (b->start != b->index * blocks->block_size || b->end != b->start + blocks->block_size)
                abort();
        if (b->state == MEMRANGE_BLOCK_UNKNOWN || b->state > MEMRANGE_BLOCK_GOING_OFFLINE)
                abort();
        if (b->online < -1 || b->online > 1 || b->removable < -1 || b->removable > 1 || b->phys_device < -1)
                abort();
        for (size_t k = 1; k < b->n_nodes; k++)
                if (b->nodes[k] <= b->nodes[k - 1])
                        abort();
}

static void read_blocks(struct memrange_ctx *ctx) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        int r;

        r = memrange_blocks_read(ctx, &blocks);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return;
        }
        if (blocks->block_size == 0 || (blocks->block_size & (blocks->block_size - 1)) != 0)
                abort();
        for (size_t i = 0; i < blocks->n; i++)
                check_block(blocks, i);
}

static void read_numa(struct memrange_ctx *ctx) {
        _cleanup_(memrange_numa_freep) struct memrange_numa *numa = NULL;
        int r;

        mr_clear_error(ctx);
        r = memrange_numa_read(ctx, &numa);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return;
        }
        for (size_t i = 0; i < numa->n; i++) {
                const struct memrange_numa_node *node = &numa->nodes[i];

                if (node->nid < 0 || (i > 0 && node->nid <= numa->nodes[i - 1].nid))
                        abort();
                for (size_t k = 1; k < node->n_blocks; k++)
                        if (node->blocks[k] <= node->blocks[k - 1])
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);

        read_blocks(ctx);
        read_numa(ctx);
        return 0;
}

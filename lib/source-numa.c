/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/devices/system/node: node masks and, per nodeX, its memory blocks
 * (memoryN links) and CPUs (cpulist). Absent on kernels without NUMA. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

/* MAX_NUMNODES is at most 1024; leave room. */
#define MAX_NODES (1u << 16)
/* As many as there can be memory blocks. */
#define MAX_BLOCKS_PER_NODE (1u << 21)

/* An id list such as "0-3,8". A missing file reads as the empty set: the
 * masks and cpulist are informative, and a copied tree may lack them. */
static int read_idset(struct memrange_ctx *ctx, const char *path, struct memrange_idset *ret) {
        _cleanup_(freep) char *value = NULL;
        int r;

        r = mr_read_attr_line(ctx, path, &value);
        if (r == -ENOENT) {
                *ret = (struct memrange_idset) {};
                return 0;
        }
        if (r < 0)
                return r;
        r = memrange_idset_parse(value, ret);
        if (r == -ERANGE)
                return mr_error_at(ctx, ERANGE, path, 0, "id range out of order or too large in '%.64s'",
                                   value);
        if (r < 0)
                return mr_error_at(ctx, r == -EINVAL ? EBADMSG : r, path, 0, "bad id list '%.64s'", value);
        return 0;
}

static void numa_node_clear(struct memrange_numa_node *node) {
        free(node->blocks);
        memrange_idset_clear(&node->cpus);
        *node = (struct memrange_numa_node) {};
}

_public_ struct memrange_numa *memrange_numa_free(struct memrange_numa *numa) {
        if (!numa)
                return NULL;
        memrange_idset_clear(&numa->possible);
        memrange_idset_clear(&numa->online);
        memrange_idset_clear(&numa->has_memory);
        for (size_t i = 0; i < numa->n; i++)
                numa_node_clear(&numa->nodes[i]);
        free(numa->nodes);
        free(numa);
        return NULL;
}

/* Fills @node from nodeX; -ENOENT when the node went away (hot-remove). On
 * failure the caller clears @node. */
static int read_node(struct memrange_ctx *ctx, uint64_t nid, struct memrange_numa_node *node) {
        char dir[64], path[96];
        int r;

        if (nid > INT32_MAX)
                return mr_error_at(ctx, EBADMSG, NODE_DIR, 0, "node%llu is out of range",
                                   (unsigned long long) nid);
        node->nid = (int32_t) nid;
        snprintf(dir, sizeof(dir), NODE_DIR "/node%llu", (unsigned long long) nid);
        /* memoryN entries are links on a live system, plain files in a copied
         * tree: only the name counts. Listed sorted. */
        r = mr_list_indexed(ctx, dir, "memory", MAX_BLOCKS_PER_NODE, &node->blocks, &node->n_blocks);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/cpulist", dir);
        return read_idset(ctx, path, &node->cpus);
}

static int read_nodes(struct memrange_ctx *ctx, struct memrange_numa *numa) {
        _cleanup_(freep) uint64_t *nids = NULL;
        size_t n_nids;
        int r;

        r = mr_list_indexed(ctx, NODE_DIR, "node", MAX_NODES, &nids, &n_nids);
        if (r < 0)
                return r;
        numa->nodes = calloc(n_nids ? n_nids : 1, sizeof(*numa->nodes));
        if (!numa->nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n_nids; i++) {
                struct memrange_numa_node *node = &numa->nodes[numa->n];

                r = read_node(ctx, nids[i], node);
                if (r == -ENOENT) {
                        numa_node_clear(node);
                        mr_note_vanished(ctx, NODE_DIR "/node%llu", (unsigned long long) nids[i]);
                        continue;
                }
                if (r < 0) {
                        numa_node_clear(node);
                        return r;
                }
                numa->n++;
        }
        return 0;
}

_public_ int memrange_numa_read(struct memrange_ctx *ctx, struct memrange_numa **ret_numa) {
        _cleanup_(memrange_numa_freep) struct memrange_numa *numa = NULL;
        int r;

        if (!ctx || !ret_numa)
                return -EINVAL;
        if (!mr_exists(ctx, NODE_DIR)) {
                mr_dbg(ctx, "%s does not exist", NODE_DIR);
                return -ENOENT;
        }
        numa = calloc(1, sizeof(*numa));
        if (!numa)
                return -ENOMEM;

        r = read_idset(ctx, NODE_DIR "/possible", &numa->possible);
        if (r < 0)
                return r;
        r = read_idset(ctx, NODE_DIR "/online", &numa->online);
        if (r < 0)
                return r;
        r = read_idset(ctx, NODE_DIR "/has_memory", &numa->has_memory);
        if (r < 0)
                return r;
        r = read_nodes(ctx, numa);
        if (r < 0)
                return r;

        *ret_numa = TAKE_PTR(numa);
        return 0;
}

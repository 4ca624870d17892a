/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Updating held memory blocks after a hotplug event named some of them:
 * the block half of memrange_sources_update(). Online and offline change
 * a block in place; add and remove change which blocks exist, so the
 * named ones are read with the header and merged into the held ones by
 * index. Everything is read and allocated before anything held changes. */
#include <errno.h>
#include <stdlib.h>

#include "memrange-private.h"

void mr_blocks_update_clear(struct mr_blocks_update *u) {
        for (size_t i = 0; u->fresh && i < u->n; i++)
                memrange_block_clear(&u->fresh[i]);
        free(u->fresh);
        free(u->slots);
        memrange_blocks_free(u->read);
        free(u->merged);
        *u = (struct mr_blocks_update) {};
}

/* Each named block is one @held has: read again alone, to replace it. */
static int prepare_in_place(struct memrange_ctx *ctx, const struct memrange_blocks *held, uint32_t read_flags,
                            const uint64_t *indices, size_t n_indices, struct mr_blocks_update *u) {
        u->fresh = calloc(n_indices, sizeof(*u->fresh));
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        u->slots = calloc(n_indices, sizeof(*u->slots));
        if (!u->fresh || !u->slots)
                return -ENOMEM;
        for (; u->n < n_indices; u->n++) {
                struct memrange_block *slot = mr_blocks_find(held, indices[u->n]);
                int r;

                /* A block we do not hold: the layout is not what we know. */
                if (!slot)
                        return -ENOENT;
                r = memrange_block_read_flags(ctx, held->block_size, indices[u->n], read_flags, &u->fresh[u->n]);
                if (r < 0)
                        return r;
                u->slots[u->n] = slot;
        }
        u->counts.blocks_read = u->n;
        return 0;
}

/* Whether @index is among the @n ascending @named; *cursor (0 at first)
 * moves forward, so asking in ascending order stays linear. */
static bool is_named(uint64_t index, const uint64_t *named, size_t n, size_t *cursor) {
        while (*cursor < n && named[*cursor] < index)
                (*cursor)++;
        return *cursor < n && named[*cursor] == index;
}

static void count_named(const struct memrange_blocks *held, struct mr_blocks_update *u) {
        for (size_t i = 0; i < u->n_named; i++) {
                bool was = mr_blocks_find(held, u->named[i]) != NULL;
                bool is = mr_blocks_find(u->read, u->named[i]) != NULL;

                u->counts.blocks_read += is;
                u->counts.blocks_added += is && !was;
                u->counts.blocks_removed += was && !is;
                u->counts.blocks_missing += !was && !is;
        }
}

/* The held blocks not named and the named ones read now, by index. */
static int merge(const struct memrange_blocks *held, struct mr_blocks_update *u) {
        const struct memrange_blocks *read = u->read;
        size_t i = 0, j = 0, cursor = 0;

        u->merged = calloc(held->n + read->n + 1, sizeof(*u->merged));
        if (!u->merged)
                return -ENOMEM;
        while (i < held->n || j < read->n) {
                if (i < held->n && (j >= read->n || held->blocks[i].index < read->blocks[j].index)) {
                        const struct memrange_block *b = &held->blocks[i++];

                        /* Named: read again (then it comes from @read), or gone. */
                        if (!is_named(b->index, u->named, u->n_named, &cursor))
                                u->merged[u->n_merged++] = *b;
                } else {
                        /* A block read now is named, so a held one of the same index is skipped. */
                        if (i < held->n && held->blocks[i].index == read->blocks[j].index)
                                i++;
                        u->merged[u->n_merged++] = read->blocks[j++];
                }
        }
        return 0;
}

static int prepare_merge(struct memrange_ctx *ctx, const struct memrange_blocks *held,
                         const struct memrange_numa *numa, uint32_t read_flags, const uint64_t *indices,
                         size_t n_indices, struct mr_blocks_update *u) {
        int r;

        r = mr_blocks_read_indices(ctx, read_flags, numa, indices, n_indices, &u->read);
        if (r < 0)
                return r;
        /* Other block numbers mean other addresses for every held block. */
        if (u->read->block_size != held->block_size)
                return -ESTALE;
        u->named = indices;
        u->n_named = n_indices;
        count_named(held, u);
        return merge(held, u);
}

int mr_blocks_update_prepare(struct memrange_ctx *ctx, const struct memrange_blocks *held,
                             const struct memrange_numa *numa, uint32_t read_flags, const uint64_t *indices,
                             size_t n_indices, uint32_t update_flags, struct mr_blocks_update *ret_update) {
        struct mr_blocks_update u = {};
        int r;

        for (size_t i = 1; i < n_indices; i++)
                if (indices[i - 1] >= indices[i])
                        return -EINVAL;
        if (update_flags & MEMRANGE_UPDATE_HELD_BLOCKS)
                r = prepare_in_place(ctx, held, read_flags, indices, n_indices, &u);
        else
                r = prepare_merge(ctx, held, numa, read_flags, indices, n_indices, &u);
        if (r < 0) {
                mr_blocks_update_clear(&u);
                return r;
        }
        *ret_update = u;
        return 0;
}

void mr_blocks_update_commit(struct mr_blocks_update *u, struct memrange_blocks **held) {
        struct memrange_blocks *old = *held;
        size_t cursor = 0;

        if (!u->read) {
                for (size_t i = 0; i < u->n; i++) {
                        memrange_block_clear(u->slots[i]);
                        *u->slots[i] = u->fresh[i];
                }
                u->n = 0; /* moved */
                mr_blocks_update_clear(u);
                return;
        }
        /* The held blocks not named live on in the merged array. */
        for (size_t i = 0; i < old->n; i++)
                if (is_named(old->blocks[i].index, u->named, u->n_named, &cursor))
                        memrange_block_clear(&old->blocks[i]);
        free(old->blocks);
        free(old->auto_online_blocks);
        free(old);
        free(u->read->blocks); /* its blocks live on in the merged array */
        u->read->blocks = TAKE_PTR(u->merged);
        u->read->n = u->n_merged;
        *held = TAKE_PTR(u->read);
        mr_blocks_update_clear(u);
}

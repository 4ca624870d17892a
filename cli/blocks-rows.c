/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl blocks: lsmem's rows. Adjacent blocks whose values agree in
 * the splitting columns become one row, and every cell is spelled as
 * lsmem (util-linux 2.38 and later) spells it, so that an lsmem user's
 * scripts read the same values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "blocks.h"

const struct out_column blocks_columns[_BLOCKS_COL_MAX] = {
        [BLOCKS_COL_RANGE] = { "RANGE", 0, 0, OUT_JSON_STRING, "start and end address of the memory range" },
        [BLOCKS_COL_SIZE] = { "SIZE", 5, SCOLS_FL_RIGHT, OUT_JSON_SIZE, "size of the memory range" },
        [BLOCKS_COL_STATE] = { "STATE", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING,
                               "online status of the memory range (online, offline, on->off)" },
        [BLOCKS_COL_REMOVABLE] = { "REMOVABLE", 0, SCOLS_FL_RIGHT, OUT_JSON_BOOLEAN_EMPTY_FALSE,
                                   "memory is removable (shown for online memory)" },
        [BLOCKS_COL_BLOCK] = { "BLOCK", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "memory block number or blocks range" },
        [BLOCKS_COL_NODE] = { "NODE", 0, SCOLS_FL_RIGHT, OUT_JSON_NUMBER, "numa node of memory (the lowest linked node)" },
        [BLOCKS_COL_ZONES] = { "ZONES", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "valid zones for the memory range" },
        [BLOCKS_COL_ONLINE] = { "ONLINE", 0, SCOLS_FL_RIGHT, OUT_JSON_BOOLEAN, "the blocks' online attribute" },
        [BLOCKS_COL_NODES] = { "NODES", 0, SCOLS_FL_RIGHT, OUT_JSON_STRING, "every NUMA node linked to the blocks" },
};

const size_t blocks_default_columns[5] = {
        BLOCKS_COL_RANGE, BLOCKS_COL_SIZE, BLOCKS_COL_STATE, BLOCKS_COL_REMOVABLE, BLOCKS_COL_BLOCK,
};

#define SPLIT(col) (1u << (col))
/* The columns whose equal values let blocks share a row. */
#define SPLITTING                                                                                 \
        (SPLIT(BLOCKS_COL_STATE) | SPLIT(BLOCKS_COL_REMOVABLE) | SPLIT(BLOCKS_COL_NODE) |            \
         SPLIT(BLOCKS_COL_ZONES) | SPLIT(BLOCKS_COL_ONLINE) | SPLIT(BLOCKS_COL_NODES))

blocks_split blocks_split_of_selection(const struct out_selection *sel) {
        blocks_split split = 0;

        for (size_t i = 0; i < sel->n; i++)
                split |= SPLIT(sel->idx[i]);
        return split & SPLITTING;
}

int blocks_split_parse(const char *arg, blocks_split *ret) {
        struct out_selection sel;

        if (strcasecmp(arg, "none") == 0) {
                *ret = 0;
                return 0;
        }
        if (out_select("blocks", blocks_columns, _BLOCKS_COL_MAX, NULL, 0,
                       &(const struct out_opts) { .columns = arg }, &sel) < 0)
                return -EINVAL;
        *ret = blocks_split_of_selection(&sel);
        return 0;
}

uint32_t blocks_read_flags(const struct out_selection *sel, blocks_split split) {
        unsigned wanted = split;
        uint32_t flags = MEMRANGE_READ_LEAN_BLOCKS;

        for (size_t i = 0; i < sel->n; i++)
                wanted |= SPLIT(sel->idx[i]);
        if (wanted & SPLIT(BLOCKS_COL_REMOVABLE))
                flags |= MEMRANGE_READ_BLOCK_REMOVABLE;
        if (wanted & SPLIT(BLOCKS_COL_ZONES))
                flags |= MEMRANGE_READ_BLOCK_ZONES;
        if (wanted & SPLIT(BLOCKS_COL_ONLINE))
                flags |= MEMRANGE_READ_BLOCK_ONLINE;
        return flags;
}

/* The kernel's zone names as lsmem prints them (its zone_names[]): any
 * other word is "Unknown", and blocks with it never share a row. */
static const char *const zone_names[] = { "DMA", "DMA32", "Normal", "Highmem", "Movable", "Device", "None" };
#define ZONE_UNKNOWN "Unknown"

/* "Normal Movable" -> "Normal/Movable", each word spelled as lsmem does;
 * *ret_unknown when a word is none of its names. */
static const char *zones(const char *valid_zones, char *buf, size_t size, bool *ret_unknown) {
        size_t used = 0;
        bool unknown = false;

        buf[0] = '\0';
        for (const char *p = valid_zones ?: ""; *p;) {
                size_t len = strcspn(p, " \n");
                const char *name = NULL;

                if (len > 0) {
                        for (size_t i = 0; i < ELEMENTSOF(zone_names) && !name; i++)
                                if (strlen(zone_names[i]) == len && strncasecmp(zone_names[i], p, len) == 0)
                                        name = zone_names[i];
                        if (!name) {
                                name = ZONE_UNKNOWN;
                                unknown = true;
                        }
                        if (!out_append(buf, size, &used, "%s%s", used ? "/" : "", name))
                                break;
                }
                p += len;
                p += strspn(p, " \n");
        }
        if (ret_unknown)
                *ret_unknown = unknown;
        return buf;
}

/* One row: the blocks first..last, adjacent and equal in the split. */
struct row {
        const struct memrange_block *first, *last;
        bool have_nodes; /* some block has a node: the others show -1 (lsmem) */
};

static bool removable(const struct memrange_block *b) {
        return b->removable == 1;
}

static bool same_nodes(const struct memrange_block *a, const struct memrange_block *b) {
        return a->n_nodes == b->n_nodes && (a->n_nodes == 0 || memcmp(a->nodes, b->nodes, a->n_nodes * sizeof(*a->nodes)) == 0);
}

static int32_t node(const struct memrange_block *b) {
        return b->n_nodes > 0 ? b->nodes[0] : -1;
}

static bool same_zones(const struct memrange_block *a, const struct memrange_block *b) {
        char za[256], zb[256];
        bool unknown;

        zones(a->valid_zones, za, sizeof(za), &unknown);
        return !unknown && strcmp(za, zones(b->valid_zones, zb, sizeof(zb), NULL)) == 0;
}

/* Whether @next continues @r's row (lsmem's is_mergeable()). */
static bool continues(const struct row *r, const struct memrange_block *next, blocks_split split) {
        const struct memrange_block *first = r->first;

        if (r->last->index + 1 != next->index)
                return false;
        if ((split & SPLIT(BLOCKS_COL_STATE)) && first->state != next->state)
                return false;
        if ((split & SPLIT(BLOCKS_COL_REMOVABLE)) && removable(first) != removable(next))
                return false;
        if ((split & SPLIT(BLOCKS_COL_NODE)) && node(first) != node(next))
                return false;
        if ((split & SPLIT(BLOCKS_COL_ZONES)) && !same_zones(first, next))
                return false;
        if ((split & SPLIT(BLOCKS_COL_ONLINE)) && first->online != next->online)
                return false;
        if ((split & SPLIT(BLOCKS_COL_NODES)) && !same_nodes(first, next))
                return false;
        return true;
}

/* lsmem's spelling of a block state. */
static const char *state_name(uint32_t state) {
        switch (state) {
        case MEMRANGE_BLOCK_ONLINE:
                return "online";
        case MEMRANGE_BLOCK_OFFLINE:
                return "offline";
        case MEMRANGE_BLOCK_GOING_OFFLINE:
                return "on->off";
        default:
                return "?";
        }
}

static const char *node_list(const struct memrange_block *b, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < b->n_nodes; i++)
                if (!out_append(buf, size, &used, "%s%" PRIi32, i ? "," : "", b->nodes[i]))
                        break;
        return buf;
}

static const char *cell(size_t col, const void *row, const struct out_opts *o, char *buf, size_t size) {
        const struct row *r = row;
        const struct memrange_block *b = r->first;

        switch (col) {
        case BLOCKS_COL_RANGE:
                return out_format_range(b->start, r->last->end, buf, size);
        case BLOCKS_COL_SIZE:
                return out_format_size(r->last->end - b->start, o->bytes, buf, size);
        case BLOCKS_COL_STATE:
                return state_name(b->state);
        case BLOCKS_COL_REMOVABLE:
                /* lsmem: only online memory is (or is not) removable. */
                if (b->state != MEMRANGE_BLOCK_ONLINE)
                        return "";
                return removable(b) ? "yes" : "no";
        case BLOCKS_COL_BLOCK:
                if (b == r->last)
                        snprintf(buf, size, "%" PRIu64, b->index);
                else
                        snprintf(buf, size, "%" PRIu64 "-%" PRIu64, b->index, r->last->index);
                return buf;
        case BLOCKS_COL_NODE:
                if (!r->have_nodes)
                        return "";
                snprintf(buf, size, "%" PRIi32, node(b));
                return buf;
        case BLOCKS_COL_ZONES:
                return zones(b->valid_zones, buf, size, NULL);
        case BLOCKS_COL_ONLINE:
                return b->online < 0 ? "" : b->online ? "yes" : "no";
        case BLOCKS_COL_NODES:
                return node_list(b, buf, size);
        default:
                return "";
        }
}

static bool any_nodes(const struct memrange_blocks *blocks) {
        for (size_t i = 0; i < blocks->n; i++)
                if (blocks->blocks[i].n_nodes > 0)
                        return true;
        return false;
}

int blocks_print(const struct memrange_blocks *blocks, const struct out_selection *sel,
                 const struct out_opts *o, blocks_split split, bool each_block) {
        struct libscols_table *tb = out_table_new("memory", blocks_columns, sel, o);
        struct row r = { .have_nodes = any_nodes(blocks) };

        if (!tb)
                return -ENOMEM;
        for (size_t i = 0; i < blocks->n; i++) {
                const struct memrange_block *b = &blocks->blocks[i];

                if (r.first && !each_block && continues(&r, b, split)) {
                        r.last = b;
                        continue;
                }
                if (r.first && out_add_row(tb, sel, cell, &r, o) < 0)
                        goto fail;
                r.first = r.last = b;
        }
        if (r.first && out_add_row(tb, sel, cell, &r, o) < 0)
                goto fail;
        return out_table_print(tb);
fail:
        scols_unref_table(tb);
        return -ENOMEM;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl blocks: the columns and the merged rows of lsmem's
 * interface (blocks-rows.c), shared with the command (cmd-blocks.c). */
#pragma once

#include "memrangectl.h"

/* lsmem's columns in lsmem's order, then memrangectl's own. */
enum {
        BLOCKS_COL_RANGE,
        BLOCKS_COL_SIZE,
        BLOCKS_COL_STATE,
        BLOCKS_COL_REMOVABLE,
        BLOCKS_COL_BLOCK,
        BLOCKS_COL_NODE,
        BLOCKS_COL_ZONES,
        BLOCKS_COL_ONLINE,
        BLOCKS_COL_NODES,
        _BLOCKS_COL_MAX,
};
extern const struct out_column blocks_columns[_BLOCKS_COL_MAX];
/* lsmem's defaults: RANGE, SIZE, STATE, REMOVABLE, BLOCK. */
extern const size_t blocks_default_columns[5];

/* Which columns split a row of adjacent blocks: a bit per column,
 * (1u << BLOCKS_COL_*); only STATE, REMOVABLE, NODE, ZONES, ONLINE and
 * NODES have an effect (a range, size or block number never equals the
 * next block's). */
typedef unsigned blocks_split;
/* The columns shown split (what lsmem does without -S). */
blocks_split blocks_split_of_selection(const struct out_selection *sel);
/* -S: "none" or a comma-separated list of column names; -EINVAL (message
 * printed) for an unknown name. */
int blocks_split_parse(const char *arg, blocks_split *ret);

/* The MEMRANGE_READ_* flags that read what @sel shows and @split
 * compares, besides every block's state and nodes. */
uint32_t blocks_read_flags(const struct out_selection *sel, blocks_split split);

/* Prints @blocks, adjacent blocks equal in @split merged into one row
 * unless @each_block (-a). -errno on failure. */
int blocks_print(const struct memrange_blocks *blocks, const struct out_selection *sel,
                 const struct out_opts *o, blocks_split split, bool each_block);

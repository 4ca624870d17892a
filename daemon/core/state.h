/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's view of the machine (DESIGN.md, daemon promise 1): the
 * sources as last read, the authoritative table they reconcile to, its
 * generation, and what the last generation changed.
 *
 * A rebuild re-reads everything (full rescan), or every source but the
 * memory blocks and only the blocks a rebuild_work names (layout: blocks
 * were added or removed), or only those blocks and the crash/CPU state
 * (incremental: blocks went online or offline), then reconciles again
 * and compares the new table with the current one record by record: only
 * a difference bumps the generation. A rebuild that fails leaves the
 * table, the findings and the generation as they were (an incremental or
 * layout one may already have stored what it re-read in the sources: it
 * is what the kernel says now, and the next rebuild reconciles it).
 *
 * No event loop and no clock in here ("now" is passed in), so the unit
 * tests drive it with hand-made sources and scratch sysroots. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange.h"
#include "scheduler.h"

enum change_reason {
        CHANGE_STARTUP = 0, /* the first scan */
        CHANGE_UEVENT,      /* kernel events */
        CHANGE_RESCAN,      /* an explicit rescan (Rescan method) */
        CHANGE_LOST_EVENTS, /* events were lost: full rescan */
        CHANGE_RELOAD,      /* configuration reload */
        CHANGE_CURRENT,     /* not a change: a subscriber's first snapshot */
        _CHANGE_REASON_MAX,
};
/* "startup", "uevent", "rescan", "lost-events", "reload", "current". */
const char *change_reason_to_string(enum change_reason value);

/* What one generation changed: records of the old table that are not in
 * the new one (removed) and the reverse (added), in address order. A
 * record whose attributes changed is in both. */
struct state_change {
        uint64_t generation;
        enum change_reason reason;
        struct memrange_list added;
        struct memrange_list removed;
};
void state_change_clear(struct state_change *change);

struct state_stats {
        uint64_t rebuilds;      /* attempts, failed ones included */
        uint64_t full_rescans;
        uint64_t incremental;   /* rebuilds that re-read only blocks and crash state */
        uint64_t layout_rebuilds; /* rebuilds that re-read every source but the blocks, and named blocks */
        uint64_t lost_rescans;  /* full rescans because events were lost */
        uint64_t escalations;   /* incremental rebuilds that had to become full */
        uint64_t blocks_reread;
        uint64_t failures;
        uint64_t unchanged;     /* rebuilds that left the table as it was */
        uint64_t by_reason[_CHANGE_REASON_MAX]; /* rebuilds by their cause */
};

struct state {
        struct memrange_ctx *ctx;              /* a reference */
        /* As last read; NULL before the first scan. Rebuilds read the
         * memory blocks lean (MEMRANGE_READ_LEAN_BLOCKS: state and nodes,
         * all the table needs); state_blocks_detailed() has the rest. */
        struct memrange_sources *sources;
        struct memrange_blocks *blocks_detailed; /* owned; NULL until asked after each rebuild */
        struct memrange_table *table;          /* the table of @generation; NULL before */
        struct memrange_findings *findings;
        /* The dump ranges of the machine's automatic policy, from the
         * reconcile that gave @findings their dump-drops finding: the
         * reload engine's and the API's when they ask for the same (see
         * state_dump_ranges()). NULL when they cannot be computed. */
        struct memrange_dump_ranges *dump_ranges;
        uint64_t generation;                   /* 0 until the first scan succeeds */
        usec_t changed_usec;                   /* CLOCK_MONOTONIC of the last bump */
        struct state_change last_change;       /* what the last bump changed */
        int last_error;                        /* -errno of the last failed rebuild, or 0 */
        char *last_error_message;              /* its message, or NULL */
        usec_t last_error_usec;
        struct state_stats stats;
};

/* Takes a reference on @ctx. The caller owns *ret_state. */
int state_new(struct memrange_ctx *ctx, struct state **ret_state);
struct state *state_free(struct state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct state *, state_free)

/* Rebuilds from @work (NULL: full rescan) at time @now. Full rescan when
 * there is no state yet or @work says full_rescan or nodes_changed. When
 * it says memory_layout_changed, every other source is read again and the
 * listed blocks alone, lean: a listed block that is gone is dropped, one
 * that is new is inserted (a changed block size, or a failed read other
 * than a block's absence, turns it into a full rescan). Otherwise the
 * listed blocks and the crash/CPU state are re-read in place, and a block
 * that vanished or was not known turns it into a full rescan. Returns 1 when the table changed (generation
 * bumped, s->last_change says how), 0 when it did not, or -errno when the
 * rebuild failed (state as before; last_error* set). */
int state_rebuild(struct state *s, const struct rebuild_work *work, enum change_reason reason, usec_t now);

/* Replaces the state's sources with @sources (taken over, also on failure)
 * and reconciles: the rebuild path without reading, for tests and for
 * callers that read themselves. Same returns as state_rebuild(). */
int state_apply_sources(struct state *s, struct memrange_sources *sources, enum change_reason reason, usec_t now);

/* The dump ranges of the current table under @policy for @arch
 * (MEMRANGE_ARCH_UNKNOWN: the machine's), as
 * memrange_dump_ranges_compute() gives them: a copy of s->dump_ranges
 * when that is what is asked for (the automatic policy, or the one it
 * resolves to), so that a generation computes them once; computed
 * otherwise, the error message in the context. -ENODATA before the
 * first table. The caller owns *ret_ranges. */
int state_dump_ranges(struct state *s, enum memrange_dump_policy policy, enum memrange_arch arch,
                      struct memrange_dump_ranges **ret_ranges);

/* The memory blocks with every attribute (online, removable, phys_device,
 * valid_zones) for ListBlocks: read in full the first time they are asked
 * for after a rebuild, then kept until the next one, so that rebuilds
 * never pay for them (nor make the kernel compute valid_zones for every
 * block). When that read fails, the blocks of the last rebuild, without
 * those attributes. NULL when there are none. Borrowed until the next
 * rebuild. */
const struct memrange_blocks *state_blocks_detailed(struct state *s);

/* The records of @old not in @new (*removed) and of @new not in @old
 * (*added), appended in address order. @old may be NULL (everything is
 * added). Returns the number of differences, or -ENOMEM. */
int state_diff(const struct memrange_table *old, const struct memrange_table *new, struct memrange_list *added,
               struct memrange_list *removed);

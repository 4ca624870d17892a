/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rebuilds of the authoritative table: full or incremental re-reads and
 * the record-by-record comparison that decides whether the generation
 * moves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memrange-private.h"
#include "state.h"
#include "string-table.h"

static const char *const change_reason_table[_CHANGE_REASON_MAX] = {
        [CHANGE_STARTUP] = "startup",
        [CHANGE_UEVENT] = "uevent",
        [CHANGE_RESCAN] = "rescan",
        [CHANGE_LOST_EVENTS] = "lost-events",
        [CHANGE_RELOAD] = "reload",
        [CHANGE_CURRENT] = "current",
};

DEFINE_STRING_TABLE_TO_STRING(change_reason, enum change_reason)

void state_change_clear(struct state_change *change) {
        memrange_list_clear(&change->added);
        memrange_list_clear(&change->removed);
        *change = (struct state_change) {};
}

int state_new(struct memrange_ctx *ctx, struct state **ret_state) {
        struct state *s;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->ctx = memrange_ctx_ref(ctx);
        *ret_state = s;
        return 0;
}

struct state *state_free(struct state *s) {
        if (!s)
                return NULL;
        memrange_sources_free(s->sources);
        memrange_blocks_free(s->blocks_detailed);
        memrange_table_free(s->table);
        memrange_findings_free(s->findings);
        state_change_clear(&s->last_change);
        free(s->last_error_message);
        memrange_ctx_unref(s->ctx);
        free(s);
        return NULL;
}

/* ---------------------------------------------------------------------------
 * Comparison
 */

static bool records_equal(const struct memrange *a, const struct memrange *b) {
        return a->start == b->start && a->end == b->end && a->type == b->type && a->flags == b->flags &&
               a->nid == b->nid && a->sources == b->sources;
}

int state_diff(const struct memrange_table *old, const struct memrange_table *new, struct memrange_list *added,
               struct memrange_list *removed) {
        const struct memrange *a = old ? memrange_table_first(old) : NULL;
        const struct memrange *b = new ? memrange_table_first(new) : NULL;
        int n = 0, r = 0;

        /* Both tables are sorted and non-overlapping, so equal records meet
         * at the same step of one merge walk. */
        while ((a || b) && r >= 0) {
                if (a && b && records_equal(a, b)) {
                        a = memrange_table_next(old, a);
                        b = memrange_table_next(new, b);
                        continue;
                }
                n++;
                if (a && (!b || a->start <= b->start)) {
                        bool same_start = b && a->start == b->start;

                        r = memrange_list_append(removed, a, NULL);
                        a = memrange_table_next(old, a);
                        if (!same_start)
                                continue;
                }
                if (r >= 0) {
                        r = memrange_list_append(added, b, NULL);
                        b = memrange_table_next(new, b);
                }
        }
        return r < 0 ? r : n;
}

/* ---------------------------------------------------------------------------
 * Committing a reconciled table
 */

static int record_failure(struct state *s, int error, const char *what, usec_t now) {
        const char *msg = memrange_ctx_get_error(s->ctx);

        s->stats.failures++;
        s->last_error = error;
        s->last_error_usec = now;
        free(s->last_error_message);
        s->last_error_message = NULL;
        if (asprintf(&s->last_error_message, "%s: %s", what, msg ?: strerror(-error)) < 0)
                s->last_error_message = NULL;
        log_error_errno(error, "Rebuild failed, keeping generation %" PRIu64 ": %s", s->generation,
                        s->last_error_message ?: what);
        return error;
}

/* Reconciles @sources; on success the table of the state is replaced
 * when it differs. The caller decides what @sources becomes. */
static int reconcile_and_commit(struct state *s, const struct memrange_sources *sources, enum change_reason reason,
                                usec_t now) {
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        struct state_change change = { .reason = reason };
        int n;

        mr_clear_error(s->ctx);
        n = memrange_reconcile(s->ctx, sources, &table, &findings);
        if (n < 0)
                return record_failure(s, n, "reconciling the sources", now);
        n = state_diff(s->table, table, &change.added, &change.removed);
        if (n < 0) {
                state_change_clear(&change);
                return record_failure(s, n, "comparing the tables", now);
        }

        memrange_findings_free(s->findings);
        s->findings = TAKE_PTR(findings);
        s->last_error = 0;
        if (n == 0 && s->table) {
                s->stats.unchanged++;
                state_change_clear(&change);
                return 0;
        }
        memrange_table_free(s->table);
        s->table = TAKE_PTR(table);
        change.generation = ++s->generation;
        s->changed_usec = now;
        state_change_clear(&s->last_change);
        s->last_change = change;
        return 1;
}

/* What the blocks were read with: both kinds of rebuild read the blocks. */
#define READ_FLAGS MEMRANGE_READ_LEAN_BLOCKS

int state_apply_sources(struct state *s, struct memrange_sources *sources, enum change_reason reason, usec_t now) {
        int r;

        s->blocks_detailed = memrange_blocks_free(s->blocks_detailed);

        r = reconcile_and_commit(s, sources, reason, now);
        if (r < 0) {
                memrange_sources_free(sources);
                return r;
        }
        memrange_sources_free(s->sources);
        s->sources = sources;
        return r;
}

static int full_rescan(struct state *s, enum change_reason reason, usec_t now) {
        struct memrange_sources *sources = NULL;
        int r;

        s->stats.full_rescans++;
        r = memrange_sources_read_flags(s->ctx, READ_FLAGS, &sources);
        if (r < 0)
                return record_failure(s, r, "reading the sources", now);
        return state_apply_sources(s, sources, reason, now);
}

/* ---------------------------------------------------------------------------
 * Incremental re-reads
 */

/* Re-reads the blocks @work lists into the sources, all or nothing:
 * -ENOENT when one vanished or is new (the layout changed), another
 * -errno when one cannot be read. */
static int reread_blocks(struct state *s, const struct rebuild_work *work) {
        struct memrange_blocks *blocks = s->sources->blocks;
        _cleanup_(freep) struct memrange_block *fresh = NULL;
        _cleanup_(freep) struct memrange_block **slots = NULL;
        size_t n = 0;
        int r = 0;

        if (work->n_blocks == 0)
                return 0;
        fresh = calloc(work->n_blocks, sizeof(*fresh));
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        slots = calloc(work->n_blocks, sizeof(*slots));
        if (!fresh || !slots)
                return -ENOMEM;
        for (; n < work->n_blocks; n++) {
                struct memrange_block *slot = mr_blocks_find(blocks, work->blocks[n]);

                r = !slot ? -ENOENT
                             : memrange_block_read_flags(s->ctx, blocks->block_size, work->blocks[n], READ_FLAGS,
                                                         &fresh[n]);
                if (r < 0)
                        break;
                slots[n] = slot;
        }
        if (r < 0) {
                while (n > 0)
                        memrange_block_clear(&fresh[--n]);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                memrange_block_clear(slots[i]);
                *slots[i] = fresh[i];
        }
        s->stats.blocks_reread += n;
        return 0;
}

static bool needs_full_rescan(const struct state *s, const struct rebuild_work *work) {
        return !work || work->full_rescan || work->nodes_changed || !s->table || !s->sources ||
               !s->sources->blocks || s->sources->blocks->block_size == 0;
}

/* Escalation of an incremental or layout rebuild that could not finish:
 * @why says what went wrong. */
static int escalate(struct state *s, const char *why, enum change_reason reason, usec_t now) {
        log_debug("%s, rescanning everything", why);
        s->stats.escalations++;
        return full_rescan(s, reason, now);
}

static int incremental(struct state *s, const struct rebuild_work *work, enum change_reason reason, usec_t now) {
        int r;

        r = reread_blocks(s, work);
        if (r < 0)
                return escalate(s, r == -ENOENT ? "A memory block vanished or is new"
                                                : "Re-reading a memory block failed",
                                reason, now);
        /* The crash and CPU state is cheap to read again (a few attributes;
         * the reservations come from the iomem held). Only -ENOMEM fails. */
        r = memrange_sources_reread(s->ctx, s->sources, MEMRANGE_SRC_CRASH);
        if (r < 0)
                return record_failure(s, r, "reading the crash state", now);
        s->stats.incremental++;
        return reconcile_and_commit(s, s->sources, reason, now);
}

/* Every source but the blocks, in the order of a full read: iomem first
 * (crash takes its reservations from it), numa before the blocks are
 * merged (lean blocks take their nodes from it). */
static const enum memrange_source layout_sources[] = {
        MEMRANGE_SRC_IOMEM,      MEMRANGE_SRC_FIRMWARE_MEMMAP, MEMRANGE_SRC_NUMA,  MEMRANGE_SRC_MEMBLOCK,
        MEMRANGE_SRC_DEVICETREE, MEMRANGE_SRC_DRMEM,           MEMRANGE_SRC_CRASH,
};

/* Moves into @fresh (the named blocks as read now: those still on disk)
 * every block of @held that @named does not list, keeping the index
 * order; the held blocks that @named lists are dropped. All or nothing:
 * -ENOMEM leaves both as they were. */
static int merge_named_blocks(struct memrange_blocks *held, struct memrange_blocks *fresh, const uint64_t *named,
                              size_t n_named) {
        struct memrange_block *merged;
        size_t i = 0, j = 0, k = 0, n = 0;

        merged = calloc(held->n + fresh->n + 1, sizeof(*merged));
        if (!merged)
                return -ENOMEM;
        while (i < held->n || j < fresh->n) {
                struct memrange_block *b;

                if (i < held->n && (j >= fresh->n || held->blocks[i].index < fresh->blocks[j].index)) {
                        b = &held->blocks[i++];
                        /* @named is sorted: step past the indices below b's. */
                        while (k < n_named && named[k] < b->index)
                                k++;
                        if (k < n_named && named[k] == b->index) {
                                memrange_block_clear(b); /* re-read, or gone */
                                continue;
                        }
                } else
                        b = &fresh->blocks[j++];
                merged[n++] = *b;
                *b = (struct memrange_block) {};
        }
        free(fresh->blocks);
        fresh->blocks = merged;
        fresh->n = n;
        held->n = 0; /* every block moved or cleared */
        return 0;
}

/* The blocks @work names, read lean alone and merged into the held ones;
 * 1 when the block size changed (only a full rescan copes with that). */
static int reread_named_blocks(struct state *s, const struct rebuild_work *work) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *fresh = NULL;
        struct memrange_blocks *held = s->sources->blocks;
        size_t n_found;
        int r;

        mr_clear_error(s->ctx);
        r = mr_blocks_read_indices(s->ctx, READ_FLAGS, s->sources->numa, work->blocks, work->n_blocks, &fresh);
        if (r < 0)
                return r;
        if (fresh->block_size != held->block_size)
                return 1;
        n_found = fresh->n;
        r = merge_named_blocks(held, fresh, work->blocks, work->n_blocks);
        if (r < 0)
                return r;
        /* Normal after removes; after an add the block went again (or
         * vanished while being read): its remove event follows. */
        if (n_found < work->n_blocks)
                log_debug("%zu memory block(s) named by events are not in sys/devices/system/memory, left out",
                          work->n_blocks - n_found);
        s->stats.blocks_reread += work->n_blocks;
        memrange_blocks_free(s->sources->blocks);
        s->sources->blocks = TAKE_PTR(fresh);
        return 0;
}

/* Memory was added or removed: every source but the blocks is read again,
 * the named blocks alone. Whatever goes wrong becomes a full rescan. */
static int layout_rebuild(struct state *s, const struct rebuild_work *work, enum change_reason reason,
                          usec_t now) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(layout_sources); i++) {
                r = memrange_sources_reread(s->ctx, s->sources, layout_sources[i]);
                if (r < 0)
                        return escalate(s, "Out of memory re-reading the sources", reason, now);
        }
        r = reread_named_blocks(s, work);
        if (r > 0)
                return escalate(s, "The memory block size changed", reason, now);
        if (r < 0)
                return escalate(s, "Re-reading the added or removed memory blocks failed", reason, now);
        s->stats.layout_rebuilds++;
        return reconcile_and_commit(s, s->sources, reason, now);
}

int state_rebuild(struct state *s, const struct rebuild_work *work, enum change_reason reason, usec_t now) {
        s->blocks_detailed = memrange_blocks_free(s->blocks_detailed);
        s->stats.rebuilds++;
        if (work && work->n_lost > 0)
                s->stats.lost_rescans++;
        if (needs_full_rescan(s, work))
                return full_rescan(s, reason, now);
        if (work->memory_layout_changed)
                return layout_rebuild(s, work, reason, now);
        return incremental(s, work, reason, now);
}

const struct memrange_blocks *state_blocks_detailed(struct state *s) {
        const struct memrange_blocks *lean = s->sources ? s->sources->blocks : NULL;
        int r;

        if (s->blocks_detailed || !lean)
                return s->blocks_detailed ?: lean;
        r = memrange_blocks_read(s->ctx, &s->blocks_detailed);
        if (r < 0) {
                log_warning_errno(r, "Reading the memory blocks' attributes failed, listing them without: %s",
                                  memrange_ctx_get_error(s->ctx) ?: strerror(-r));
                return lean;
        }
        return s->blocks_detailed;
}

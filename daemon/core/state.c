/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rebuilds of the authoritative table: full or incremental re-reads and
 * the record-by-record comparison that decides whether the generation
 * moves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "memrange-cleanup.h"
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
        memrange_dump_ranges_free(s->dump_ranges);
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
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *dump_ranges = NULL;
        struct state_change change = { .reason = reason };
        int n;

        n = memrange_reconcile_dump(s->ctx, sources, &table, &findings, &dump_ranges);
        if (n < 0)
                return record_failure(s, n, "reconciling the sources", now);
        n = state_diff(s->table, table, &change.added, &change.removed);
        if (n < 0) {
                state_change_clear(&change);
                return record_failure(s, n, "comparing the tables", now);
        }

        memrange_findings_free(s->findings);
        s->findings = TAKE_PTR(findings);
        /* Even when the table is the same: the CPUs they carry come from
         * the crash state, which may have changed. */
        memrange_dump_ranges_free(s->dump_ranges);
        s->dump_ranges = TAKE_PTR(dump_ranges);
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

/* Blocks went online or offline: the listed blocks, each one we hold, and
 * the crash and CPU state (a few attributes; the reservations come from
 * the iomem held) are read again. */
static int incremental(struct state *s, const struct rebuild_work *work, enum change_reason reason, usec_t now) {
        struct memrange_update update;
        int r;

        r = memrange_sources_update(s->ctx, s->sources, MEMRANGE_SRC_CRASH, work->blocks, work->n_blocks,
                                    MEMRANGE_UPDATE_HELD_BLOCKS, &update);
        if (r == -ENOMEM)
                return record_failure(s, r, "reading the crash state and memory blocks", now);
        if (r < 0)
                return escalate(s, r == -ENOENT ? "A memory block vanished or is new"
                                                : "Re-reading a memory block failed",
                                reason, now);
        s->stats.blocks_reread += update.blocks_read;
        s->stats.incremental++;
        return reconcile_and_commit(s, s->sources, reason, now);
}

/* Memory was added or removed: every source but the blocks is read again,
 * and the named blocks alone (one that is gone is dropped, a new one
 * inserted). Whatever goes wrong becomes a full rescan. */
static int layout_rebuild(struct state *s, const struct rebuild_work *work, enum change_reason reason,
                          usec_t now) {
        struct memrange_update update;
        size_t absent;
        int r;

        r = memrange_sources_update(s->ctx, s->sources, _MEMRANGE_SRC_ALL & ~MEMRANGE_SRC_MEMORY_BLOCKS,
                                    work->blocks, work->n_blocks, 0, &update);
        if (r == -ESTALE)
                return escalate(s, "The memory block size changed", reason, now);
        if (r < 0)
                return escalate(s, "Re-reading the sources and the added or removed memory blocks failed", reason,
                                now);
        /* Normal after removes; after an add the block went again (or
         * vanished while being read): its remove event follows. */
        absent = update.blocks_removed + update.blocks_missing;
        if (absent > 0)
                log_debug("%zu memory block(s) named by events are not in sys/devices/system/memory, left out",
                          absent);
        s->stats.blocks_reread += work->n_blocks;
        s->stats.layout_rebuilds++;
        return reconcile_and_commit(s, s->sources, reason, now);
}

int state_rebuild(struct state *s, const struct rebuild_work *work, enum change_reason reason, usec_t now) {
        s->blocks_detailed = memrange_blocks_free(s->blocks_detailed);
        s->stats.rebuilds++;
        if ((unsigned) reason < _CHANGE_REASON_MAX)
                s->stats.by_reason[reason]++;
        if (work && work->n_lost > 0)
                s->stats.lost_rescans++;
        if (needs_full_rescan(s, work))
                return full_rescan(s, reason, now);
        if (work->memory_layout_changed)
                return layout_rebuild(s, work, reason, now);
        return incremental(s, work, reason, now);
}

int state_dump_ranges(struct state *s, enum memrange_dump_policy policy, enum memrange_arch arch,
                      struct memrange_dump_ranges **ret_ranges) {
        const struct memrange_dump_ranges *held = s->dump_ranges;

        if (!s->table)
                return -ENODATA;
        /* Those of the reconcile, when they are the ones asked for: the
         * same policy once resolved, the architecture they were for. */
        if (held && (arch == MEMRANGE_ARCH_UNKNOWN || (uint32_t) arch == held->arch) &&
            memrange_dump_policy_resolve(s->sources, arch, policy) == (int) held->policy)
                return memrange_dump_ranges_dup(held, ret_ranges);
        return memrange_dump_ranges_compute(s->ctx, s->table, s->sources, policy, arch, ret_ranges);
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

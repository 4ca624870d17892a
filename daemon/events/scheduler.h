/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Coalescing of rebuild hints (DESIGN.md, daemon promise 2).
 *
 * The first hint arms a deadline at now + quiet; every further hint moves it
 * to now + quiet, but never later than first hint + max_delay. When the
 * deadline passes, the accumulated work is handed to the owner in one
 * rebuild and a new cycle begins with the next hint.
 *
 * Two layers: struct coalescer is the pure core (time passed in, deadlines
 * returned) that the unit tests drive with a fake clock; struct scheduler
 * wraps it in a CLOCK_MONOTONIC timer on an sd-event loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "time-util.h"
#include "uevent-parse.h"


#define SCHEDULER_QUIET_DEFAULT (250 * USEC_PER_MSEC)
#define SCHEDULER_MAX_DELAY_DEFAULT (2 * USEC_PER_SEC)
/* Upper bound of both settings, so that deadlines never overflow. */
#define SCHEDULER_TIMING_MAX (3600 * USEC_PER_SEC)
/* Beyond this many distinct blocks one full rescan is cheaper and the set
 * stays bounded. */
#define SCHEDULER_BLOCKS_MAX 4096u

/* What one rebuild must re-read. When full_rescan is set, blocks is empty:
 * the rescan covers them. When memory_layout_changed is set without it,
 * blocks lists every block that was added or removed (and any other that
 * changed): the rebuild re-reads all other sources and those blocks. */
struct rebuild_work {
        bool full_rescan;           /* re-read every source */
        bool memory_layout_changed; /* memory block add/remove: iomem etc. changed */
        bool cpus_changed;          /* re-read CPU and crash-note state */
        bool nodes_changed;         /* NUMA node add/remove */
        size_t n_blocks;
        uint64_t *blocks;           /* sorted, unique memory block indices to re-read */
        size_t blocks_allocated;    /* internal: capacity of blocks */
        /* What this cycle received. */
        uint64_t n_hints;           /* hints that joined this cycle (events, lost, requests) */
        uint64_t n_memory_events, n_cpu_events, n_node_events;
        uint64_t n_synthetic_events; /* SYNTH_UUID */
        uint64_t n_lost;            /* lost-event notifications */
        uint64_t n_requests;        /* explicit full rescans */
        usec_t first_hint;          /* when the cycle began */
};

/* Frees the block set and zeroes @work. */
void rebuild_work_clear(struct rebuild_work *work);

/* ---- pure core ---- */
struct coalescer {
        usec_t quiet, max_delay;
        bool pending;
        usec_t deadline;
        struct rebuild_work work;
};

/* Starts empty with the given timing (each at most SCHEDULER_TIMING_MAX;
 * -ERANGE otherwise, and @c is then untouched). */
int coalescer_init(struct coalescer *c, usec_t quiet, usec_t max_delay);
/* Frees the pending work. */
void coalescer_done(struct coalescer *c);
/* New timing, used from the next hint on. -ERANGE as for init. */
int coalescer_set_timing(struct coalescer *c, usec_t quiet, usec_t max_delay);

/* Each hint returns the deadline to arm (USEC_INFINITY when nothing is
 * pending: an event of an unrelated subsystem arms nothing). They never
 * fail: when memory runs out, the work escalates to a full rescan. */
usec_t coalescer_hint_event(struct coalescer *c, const struct uevent *ev, usec_t now);
/* Events were lost (ENOBUFS, truncation): full rescan. */
usec_t coalescer_hint_lost(struct coalescer *c, usec_t now);
/* An explicit rescan request: full rescan after the quiet window. */
usec_t coalescer_request_full(struct coalescer *c, usec_t now);

bool coalescer_pending(const struct coalescer *c);
/* The armed deadline, or USEC_INFINITY. */
usec_t coalescer_deadline(const struct coalescer *c);

/* When a rebuild is pending and @now has reached its deadline, moves the
 * work into *ret_work (the caller clears it with rebuild_work_clear()),
 * resets the cycle and returns 1. Otherwise returns 0, *ret_work untouched. */
int coalescer_take_due(struct coalescer *c, usec_t now, struct rebuild_work *ret_work);

/* ---- sd-event wrapper ---- */
struct scheduler;

/* Called from the loop once per fired cycle. @work is borrowed for the
 * duration of the call; hints made from inside start the next cycle. */
typedef void (*scheduler_rebuild_fn)(struct scheduler *s, const struct rebuild_work *work,
                                     void *userdata);

/* Creates a scheduler on @event (a reference is taken) with the given
 * timing. The caller owns the result and frees it with scheduler_free(). */
int scheduler_new(sd_event *event, usec_t quiet, usec_t max_delay, scheduler_rebuild_fn rebuild,
                  void *userdata, struct scheduler **ret_scheduler);
/* Drops pending work without firing; accepts NULL, returns NULL. */
struct scheduler *scheduler_free(struct scheduler *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct scheduler *, scheduler_free)

/* For configuration reloads; -ERANGE as for coalescer_init. */
int scheduler_set_timing(struct scheduler *s, usec_t quiet, usec_t max_delay);

/* Hints, timed with the loop's CLOCK_MONOTONIC. They return 0, or -errno
 * when the timer could not be armed (the work stays pending and the next
 * successful hint arms it). */
int scheduler_hint_event(struct scheduler *s, const struct uevent *ev);
int scheduler_hint_lost(struct scheduler *s);
int scheduler_request_full(struct scheduler *s);

/* For status: is a rebuild waiting for its deadline, and when. */
bool scheduler_is_pending(const struct scheduler *s);
usec_t scheduler_get_deadline(const struct scheduler *s);
/* Rebuilds fired since creation. */
uint64_t scheduler_get_n_rebuilds(const struct scheduler *s);

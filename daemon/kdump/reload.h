/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kdump reload engine (DESIGN.md, daemon promise 3): after every
 * rebuild it compares the dump ranges of the newest generation with those
 * of the loaded crash image and decides whether the image must be
 * reloaded; it keeps at most one attempt in flight, turns every change
 * made during an attempt into one follow-up, and spaces failed attempts
 * with capped exponential backoff.
 *
 * This is the pure core: no event loop, no processes, the time is passed
 * in. reload-loop.c runs it on sd-event with kexec-run.c's children; the
 * unit tests drive it by hand with a fake clock.
 *
 * What the loaded image holds is known exactly when memranged loaded it
 * (kexec read the rendering of that generation). An image found loaded at
 * startup holds what memranged's record file says when the record is of
 * this boot (reload-record.h: a finished load of the recorded ranges, or
 * an interrupted one, whose image is unknown and reloaded); without a
 * record it is assumed to hold the ranges of the first generation (kdump-
 * tools loaded it at boot). One that appears later (another program loaded
 * it) is assumed to hold those of the generation in which it appeared.
 * While the kernel keeps the image current (crash_hotplug reads 1), it
 * holds whatever the newest generation holds. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memrange.h"
#include "time-util.h"

enum reload_mode {
        RELOAD_MODE_OFF = 0, /* track and report only */
        RELOAD_MODE_KEXEC,   /* run kexec -p with the table's iomem */
        RELOAD_MODE_COMMAND, /* run Command= (kdump-config reload, kdumpctl reload...) */
        _RELOAD_MODE_MAX,
};
/* "off", "kexec", "command". */
const char *reload_mode_to_string(enum reload_mode value);

enum load_method {
        LOAD_METHOD_UNKNOWN = 0,
        LOAD_METHOD_KEXEC_LOAD,      /* kexec-tools built the header (kexec -p, -c) */
        LOAD_METHOD_KEXEC_FILE_LOAD, /* the kernel built it (kexec -s -p) */
        _LOAD_METHOD_MAX,
};
/* "kexec_load", "kexec_file_load"; NULL when unknown. */
const char *load_method_to_string(enum load_method method);

enum image_origin {
        IMAGE_NONE = 0,     /* nothing loaded */
        IMAGE_BEFORE_START, /* loaded before memranged started */
        IMAGE_OTHER,        /* loaded by another program while memranged ran */
        IMAGE_MEMRANGED,    /* loaded by memranged */
        IMAGE_RECORDED,     /* loaded by memranged before it restarted (its record file) */
        IMAGE_INTERRUPTED,  /* a load by memranged was interrupted (killed): contents unknown */
};
/* NULL, "before memranged started", "another program", "memranged",
 * "memranged, before it restarted", "memranged, load interrupted". */
const char *image_origin_to_string(enum image_origin origin);
/* How well the image's dump ranges are known: NULL (none loaded),
 * "exact" (memranged loaded it), "recorded" (memranged's record file),
 * "assumed" (another loader; see above), "unknown" (interrupted load). */
const char *image_ranges_to_string(enum image_origin origin);

/* What the newest generation asks for, in the order it is checked. */
enum reload_decision {
        RELOAD_DECISION_UNAVAILABLE = 0, /* no kexec_crash_loaded: no kdump in this kernel */
        RELOAD_DECISION_RANGES_UNKNOWN,  /* the dump ranges could not be computed */
        RELOAD_DECISION_KERNEL_CURRENT,  /* crash_hotplug reads 1: the kernel updates the image */
        RELOAD_DECISION_UNCHANGED,       /* the loaded image holds these ranges and every CPU note */
        RELOAD_DECISION_TRACK_ONLY,      /* it does not, but reloading is off (or impossible) */
        RELOAD_DECISION_NOT_LOADED,      /* nothing loaded, and loading it is kdump-tools' job */
        RELOAD_DECISION_NEEDED,
        _RELOAD_DECISION_MAX,
};
/* "unavailable", "ranges unknown", "kernel keeps it current", "unchanged",
 * "track only", "not loaded", "needed". */
const char *reload_decision_to_string(enum reload_decision value);

struct reload_engine_settings {
        enum reload_mode mode;
        bool can_load;           /* the mode has something to run (its settings are complete) */
        bool owns_loading;       /* also load when nothing is loaded (Mode= set in memranged.conf) */
        enum load_method method; /* how our own loads load */
        usec_t backoff_min;      /* first retry delay, doubling per failure... */
        usec_t backoff_max;      /* ...up to this */
};

/* One finished attempt. Strings owned; reload_attempt_clear() frees them. */
struct reload_attempt {
        uint64_t generation;   /* the generation it loaded (or tried to) */
        bool forced;           /* asked for with Reload(force) */
        usec_t started;        /* CLOCK_MONOTONIC */
        usec_t duration;
        bool success;
        int exit_status;       /* -1 when it did not exit normally */
        int signal;            /* the signal that killed it, or 0 */
        bool timed_out;
        char *error;           /* why it failed (one line), NULL on success */
        bool namespace_used;   /* ran with the table's iomem over /proc/iomem */
        char *namespace_error; /* why it ran plainly instead, or NULL */
        char *output;          /* the tail of its stdout and stderr, or NULL */
};
void reload_attempt_clear(struct reload_attempt *a);
/* A deep copy of @a into *ret; -ENOMEM leaves *ret untouched. */
int reload_attempt_copy(const struct reload_attempt *a, struct reload_attempt *ret);

/* Finished attempts kept for status (GetStatus kdump.history). */
#define RELOAD_HISTORY_MAX 8u

struct reload_image {
        enum image_origin origin;
        uint64_t generation;                 /* whose ranges it holds */
        struct memrange_dump_ranges *ranges; /* NULL when unknown */
        enum load_method method;             /* known for our own loads */
        usec_t loaded_usec;                  /* CLOCK_MONOTONIC, 0 when unknown */
};

/* The findings @all as they apply to the loaded @image: less the
 * "dump-drops-driver-managed-ram" stretches @image dumps, which only
 * memranged's own loads (exact or recorded ranges) can be known to do;
 * for an image another loader built from the kernel's files the finding
 * stays. *ret_view borrows @all's strings: free only ret_view->items.
 * -ENOMEM leaves it untouched. */
int reload_image_findings(const struct reload_image *image, const struct memrange_findings *all,
                          struct memrange_findings *ret_view);

struct reload_stats {
        uint64_t attempts;   /* started */
        uint64_t reloads;    /* attempts that succeeded */
        uint64_t failures;   /* attempts that failed */
        uint64_t skipped;    /* generations that needed no reload: unchanged ranges, kernel keeps it current */
        uint64_t follow_ups; /* attempts started because the table changed during the previous one */
};

struct reload_engine {
        struct reload_engine_settings settings;

        /* The newest generation, as last observed. */
        bool observed;
        uint64_t generation;
        struct memrange_dump_ranges *ranges; /* NULL when they could not be computed */
        /* What an image another loader built for this generation holds, when
         * that differs from @ranges (memranged hands kexec-tools a view of
         * its own on arm64 and ppc64); NULL: the same. */
        struct memrange_dump_ranges *foreign_ranges;
        /* @ranges leave RAM out (a loader memranged cannot change drops it):
         * a dump holding them is not called up to date. */
        bool ranges_drop_ram;
        int crash_loaded;                    /* kexec_crash_loaded: 0/1, -1 unknown */
        int crash_hotplug;                   /* memory/crash_hotplug: 0/1, -1 unknown */
        enum reload_decision decision;

        struct reload_image image;
        usec_t stale_since;                  /* since when the image lacks ranges; 0: it does not */

        /* The attempt in flight. */
        bool in_flight;
        uint64_t in_flight_generation;
        struct memrange_dump_ranges *in_flight_ranges;
        bool in_flight_forced;
        usec_t in_flight_started;
        bool follow_up;                      /* the table changed during the attempt */

        /* The Reload method: run now, even if nothing changed when forced. */
        bool requested, request_forced;

        unsigned consecutive_failures;
        usec_t retry_at;                     /* backoff deadline, 0: none */

        bool has_last;
        struct reload_attempt last;          /* the last finished attempt */
        /* The last RELOAD_HISTORY_MAX finished attempts, oldest first (copies). */
        struct reload_attempt history[RELOAD_HISTORY_MAX];
        size_t n_history;
        struct reload_stats stats;

        /* What memranged's record file said at startup, for the first
         * observation: IMAGE_NONE (no record of this boot), IMAGE_RECORDED
         * (with its ranges) or IMAGE_INTERRUPTED. */
        enum image_origin startup_origin;
        struct memrange_dump_ranges *startup_ranges;
};

void reload_engine_init(struct reload_engine *e, const struct reload_engine_settings *settings);
void reload_engine_done(struct reload_engine *e);
/* Before the first observation: memranged's record file says it loaded
 * @ranges (taken over) before it restarted, or, with @interrupted, that a
 * load it started never ended (@ranges NULL). Used when the first
 * observation finds an image loaded (and crash_hotplug is not 1). */
void reload_engine_set_startup_image(struct reload_engine *e, bool interrupted, struct memrange_dump_ranges *ranges);
/* Before reload_engine_observe(): what another loader's image of the
 * generation about to be observed holds (@foreign taken over; NULL: the
 * same as the observed ranges), and whether the observed ranges leave RAM
 * out of the dump. */
void reload_engine_set_foreign(struct reload_engine *e, struct memrange_dump_ranges *foreign, bool ranges_drop_ram);

/* New settings (configuration reload): the next decision uses them. */
void reload_engine_set_settings(struct reload_engine *e, const struct reload_engine_settings *settings);

/* After every rebuild: the newest @generation, its dump @ranges (taken
 * over; NULL when they could not be computed) and the kernel's
 * kexec_crash_loaded and memory/crash_hotplug. Returns the decision. A
 * new generation whose decision is "unchanged" or "kernel keeps it
 * current" counts as a skipped reload; one that arrives during an attempt
 * asks for a follow-up. */
enum reload_decision reload_engine_observe(struct reload_engine *e, uint64_t generation,
                                           struct memrange_dump_ranges *ranges, int crash_loaded, int crash_hotplug,
                                           usec_t now);

/* The Reload method: an attempt as soon as none is in flight, not waiting
 * for the backoff; with @force even when nothing needs reloading. */
void reload_engine_request(struct reload_engine *e, bool force);

enum reload_action {
        RELOAD_ACTION_IDLE = 0, /* nothing to do until the next observation or request */
        RELOAD_ACTION_START,    /* start an attempt for e->generation now */
        RELOAD_ACTION_WAIT,     /* retry at *ret_deadline (backoff) */
};
/* What to do now. IDLE also ends an unforced request that found nothing
 * to do. */
enum reload_action reload_engine_next(struct reload_engine *e, usec_t now, usec_t *ret_deadline);

/* The caller started an attempt for e->generation. -ENOMEM (nothing
 * started) when the ranges cannot be copied. */
int reload_engine_started(struct reload_engine *e, usec_t now);
/* The attempt ended: @attempt is taken over (generation, forced and
 * started are filled in here). Success makes its generation the image's;
 * failure arms the backoff. */
void reload_engine_finished(struct reload_engine *e, struct reload_attempt *attempt, usec_t now);

/* The next attempt may start at once, not after the backoff (the plan
 * has another way of loading to try). */
void reload_engine_retry_now(struct reload_engine *e);

/* The backoff after @failures consecutive failures: backoff_min doubled
 * per failure after the first, at most backoff_max. */
usec_t reload_engine_backoff(const struct reload_engine_settings *s, unsigned failures);

/* One word for status: "unavailable", "not loaded", "reloading", "kernel
 * keeps it current", "up to date", "incomplete" (as current as it can be,
 * yet the dump leaves RAM out: see ranges_drop_ram), "stale", "unknown"
 * (ranges unknown). */
const char *reload_engine_state(const struct reload_engine *e);

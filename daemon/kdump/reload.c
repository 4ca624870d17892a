/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine's decisions, in-flight bookkeeping and backoff. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-cleanup.h"
#include "reload.h"
#include "string-table.h"

static const char *const reload_mode_table[_RELOAD_MODE_MAX] = {
        [RELOAD_MODE_OFF] = "off",
        [RELOAD_MODE_KEXEC] = "kexec",
        [RELOAD_MODE_COMMAND] = "command",
};

DEFINE_STRING_TABLE_TO_STRING(reload_mode, enum reload_mode)

const char *load_method_to_string(enum load_method method) {
        switch (method) {
        case LOAD_METHOD_KEXEC_LOAD:
                return "kexec_load";
        case LOAD_METHOD_KEXEC_FILE_LOAD:
                return "kexec_file_load";
        default:
                return NULL;
        }
}

const char *image_origin_to_string(enum image_origin origin) {
        switch (origin) {
        case IMAGE_BEFORE_START:
                return "before memranged started";
        case IMAGE_OTHER:
                return "another program";
        case IMAGE_MEMRANGED:
                return "memranged";
        case IMAGE_RECORDED:
                return "memranged, before it restarted";
        case IMAGE_INTERRUPTED:
                return "memranged, load interrupted";
        default:
                return NULL;
        }
}

const char *image_ranges_to_string(enum image_origin origin) {
        switch (origin) {
        case IMAGE_BEFORE_START:
        case IMAGE_OTHER:
                return "assumed";
        case IMAGE_MEMRANGED:
                return "exact";
        case IMAGE_RECORDED:
                return "recorded";
        case IMAGE_INTERRUPTED:
                return "unknown";
        default:
                return NULL;
        }
}

/* Whether @image dumps all of [start, end): known only for memranged's
 * own loads (exact or recorded ranges). */
static bool image_dumps(const struct reload_image *image, uint64_t start, uint64_t end) {
        if (!image->ranges || (image->origin != IMAGE_MEMRANGED && image->origin != IMAGE_RECORDED))
                return false;
        for (size_t i = 0; i < image->ranges->n && start < end; i++) {
                const struct memrange_dump_range *d = &image->ranges->ranges[i];

                if (d->start <= start && start < d->end)
                        start = d->end;
        }
        return start >= end;
}

int reload_image_findings(const struct reload_image *image, const struct memrange_findings *all,
                          struct memrange_findings *ret_view) {
        struct memrange_finding *items = NULL;
        size_t n = 0;

        if (all && all->n > 0) {
                items = calloc(all->n, sizeof(*items));
                if (!items)
                        return -ENOMEM;
        }
        for (size_t i = 0; all && i < all->n; i++) {
                const struct memrange_finding *f = &all->items[i];

                /* The library judges an image built from the kernel's own
                 * files; memranged's arm64 view names this RAM System RAM. */
                if (mr_streq(f->code, "dump-drops-driver-managed-ram") && image_dumps(image, f->start, f->end))
                        continue;
                items[n++] = *f;
        }
        *ret_view = (struct memrange_findings) { .n = n, .items = items };
        return 0;
}

static const char *const reload_decision_table[_RELOAD_DECISION_MAX] = {
        [RELOAD_DECISION_UNAVAILABLE] = "unavailable",
        [RELOAD_DECISION_RANGES_UNKNOWN] = "ranges unknown",
        [RELOAD_DECISION_KERNEL_CURRENT] = "kernel keeps it current",
        [RELOAD_DECISION_UNCHANGED] = "unchanged",
        [RELOAD_DECISION_TRACK_ONLY] = "track only",
        [RELOAD_DECISION_NOT_LOADED] = "not loaded",
        [RELOAD_DECISION_NEEDED] = "needed",
};

DEFINE_STRING_TABLE_TO_STRING(reload_decision, enum reload_decision)

void reload_attempt_clear(struct reload_attempt *a) {
        free(a->error);
        free(a->namespace_error);
        free(a->output);
        *a = (struct reload_attempt) { .exit_status = -1 };
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (s && !(*ret = strdup(s)))
                return -ENOMEM;
        return 0;
}

int reload_attempt_copy(const struct reload_attempt *a, struct reload_attempt *ret) {
        struct reload_attempt copy = *a;

        copy.error = copy.namespace_error = copy.output = NULL;
        if (strdup_or_null(a->error, &copy.error) < 0 ||
            strdup_or_null(a->namespace_error, &copy.namespace_error) < 0 ||
            strdup_or_null(a->output, &copy.output) < 0) {
                reload_attempt_clear(&copy);
                return -ENOMEM;
        }
        *ret = copy;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Dump ranges held by the engine
 */

static struct memrange_dump_ranges *ranges_dup(const struct memrange_dump_ranges *r) {
        struct memrange_dump_ranges *copy;

        if (!r)
                return NULL;
        copy = calloc(1, sizeof(*copy));
        if (!copy)
                return NULL;
        *copy = (struct memrange_dump_ranges) { .policy = r->policy, .arch = r->arch };
        copy->ranges = r->n ? malloc(r->n * sizeof(*r->ranges)) : NULL;
        copy->excluded = r->n_excluded ? malloc(r->n_excluded * sizeof(*r->excluded)) : NULL;
        if ((r->n && !copy->ranges) || (r->n_excluded && !copy->excluded) ||
            memrange_idset_copy(&r->cpus, &copy->cpus) < 0)
                return memrange_dump_ranges_free(copy);
        copy->n = r->n;
        copy->n_excluded = r->n_excluded;
        if (r->n)
                memcpy(copy->ranges, r->ranges, r->n * sizeof(*r->ranges));
        if (r->n_excluded)
                memcpy(copy->excluded, r->excluded, r->n_excluded * sizeof(*r->excluded));
        return copy;
}

static void image_clear(struct reload_image *image) {
        memrange_dump_ranges_free(image->ranges);
        *image = (struct reload_image) {};
}

/* Another loader's image: it read the kernel's view of this generation. */
static void image_assume_current(struct reload_engine *e, enum image_origin origin, usec_t loaded_usec) {
        image_clear(&e->image);
        e->image = (struct reload_image) {
                .origin = origin,
                .generation = e->generation,
                .ranges = ranges_dup(e->foreign_ranges ?: e->ranges),
                .loaded_usec = loaded_usec,
        };
}

/* ---------------------------------------------------------------------------
 * Life cycle
 */

void reload_engine_init(struct reload_engine *e, const struct reload_engine_settings *settings) {
        *e = (struct reload_engine) {
                .settings = *settings,
                .crash_loaded = -1,
                .crash_hotplug = -1,
                .last = { .exit_status = -1 },
        };
}

void reload_engine_done(struct reload_engine *e) {
        memrange_dump_ranges_free(e->ranges);
        memrange_dump_ranges_free(e->foreign_ranges);
        memrange_dump_ranges_free(e->in_flight_ranges);
        memrange_dump_ranges_free(e->startup_ranges);
        image_clear(&e->image);
        reload_attempt_clear(&e->last);
        for (size_t i = 0; i < e->n_history; i++)
                reload_attempt_clear(&e->history[i]);
        *e = (struct reload_engine) {};
}

/* ---------------------------------------------------------------------------
 * Decisions
 */

/* Whether the loaded image dumps everything @wanted asks for: the same
 * memory, and a register note for every CPU (kexec-tools writes notes
 * only for the CPUs there were when it loaded). */
static bool image_holds(const struct memrange_dump_ranges *image, const struct memrange_dump_ranges *wanted) {
        struct memrange_idset missing = {};
        bool complete;

        if (!image || !memrange_dump_ranges_equal(image, wanted))
                return false;
        if (memrange_dump_cpus_missing(image, wanted, &missing) < 0)
                return false; /* out of memory: a reload is the safe side */
        complete = missing.n == 0;
        memrange_idset_clear(&missing);
        return complete;
}

static enum reload_decision decide(const struct reload_engine *e) {
        const struct reload_engine_settings *s = &e->settings;

        if (e->crash_loaded < 0)
                return RELOAD_DECISION_UNAVAILABLE;
        if (!e->ranges)
                return RELOAD_DECISION_RANGES_UNKNOWN;
        if (e->image.origin != IMAGE_NONE) {
                if (e->crash_hotplug == 1)
                        return RELOAD_DECISION_KERNEL_CURRENT;
                if (image_holds(e->image.ranges, e->ranges))
                        return RELOAD_DECISION_UNCHANGED;
        }
        if (s->mode == RELOAD_MODE_OFF || !s->can_load)
                return RELOAD_DECISION_TRACK_ONLY;
        /* Loading is kdump-tools' job, unless our own failed load is what
         * left none (the kernel frees the old image inside the load). */
        if (e->image.origin == IMAGE_NONE && !s->owns_loading && e->consecutive_failures == 0)
                return RELOAD_DECISION_NOT_LOADED;
        return RELOAD_DECISION_NEEDED;
}

static void update_stale(struct reload_engine *e, usec_t now) {
        bool stale = e->image.origin != IMAGE_NONE && e->ranges &&
                     (e->decision == RELOAD_DECISION_NEEDED || e->decision == RELOAD_DECISION_TRACK_ONLY);

        if (!stale)
                e->stale_since = 0;
        else if (e->stale_since == 0)
                e->stale_since = now;
}

static void redecide(struct reload_engine *e, usec_t now) {
        e->decision = decide(e);
        update_stale(e, now);
}

void reload_engine_set_foreign(struct reload_engine *e, struct memrange_dump_ranges *foreign, bool ranges_drop_ram) {
        memrange_dump_ranges_free(e->foreign_ranges);
        e->foreign_ranges = foreign;
        e->ranges_drop_ram = ranges_drop_ram;
}

void reload_engine_set_startup_image(struct reload_engine *e, bool interrupted, struct memrange_dump_ranges *ranges) {
        memrange_dump_ranges_free(e->startup_ranges);
        e->startup_origin = interrupted ? IMAGE_INTERRUPTED : IMAGE_RECORDED;
        e->startup_ranges = interrupted ? memrange_dump_ranges_free(ranges) : ranges;
}

/* The image found at startup, as memranged's record of this boot has it:
 * the recorded ranges (generation: the first one when they match it, none
 * of ours otherwise), or unknown after an interrupted load. */
static void image_from_record(struct reload_engine *e) {
        image_clear(&e->image);
        e->image = (struct reload_image) {
                .origin = e->startup_origin,
                .ranges = TAKE_PTR(e->startup_ranges),
        };
        if (e->image.ranges && memrange_dump_ranges_equal(e->image.ranges, e->ranges))
                e->image.generation = e->generation;
}

/* What the kernel says is loaded, when we are not loading ourselves. */
static void follow_kernel(struct reload_engine *e, int crash_loaded, int crash_hotplug, bool first, usec_t now) {
        enum image_origin appeared = first ? IMAGE_BEFORE_START : IMAGE_OTHER;

        if (crash_loaded != 1) {
                image_clear(&e->image); /* unloaded by someone, or never loaded */
                return;
        }
        if (e->image.origin == IMAGE_NONE && first && e->startup_origin != IMAGE_NONE && crash_hotplug != 1)
                image_from_record(e);
        else if (e->image.origin == IMAGE_NONE)
                image_assume_current(e, appeared, first ? 0 : now);
        else if (crash_hotplug == 1) {
                /* The kernel rewrote the header for this generation. */
                memrange_dump_ranges_free(e->image.ranges);
                e->image.ranges = ranges_dup(e->ranges);
                e->image.generation = e->generation;
        } else if (e->crash_hotplug == 1)
                /* No longer kept current: someone loaded another image. */
                image_assume_current(e, IMAGE_OTHER, now);
}

enum reload_decision reload_engine_observe(struct reload_engine *e, uint64_t generation,
                                           struct memrange_dump_ranges *ranges, int crash_loaded, int crash_hotplug,
                                           usec_t now) {
        bool first = !e->observed;
        bool bump = !first && generation != e->generation;

        memrange_dump_ranges_free(e->ranges);
        e->ranges = ranges;
        e->generation = generation;
        if (!first) { /* the record is only ever for the first observation */
                e->startup_origin = IMAGE_NONE;
                e->startup_ranges = memrange_dump_ranges_free(e->startup_ranges);
        }
        /* During an attempt the kernel's answer races with our own load;
         * the attempt's outcome settles what is loaded. */
        if (!e->in_flight)
                follow_kernel(e, crash_loaded, crash_hotplug, first, now);
        e->crash_loaded = crash_loaded;
        e->crash_hotplug = crash_hotplug;
        e->observed = true;
        redecide(e, now);
        if (bump && (e->decision == RELOAD_DECISION_UNCHANGED || e->decision == RELOAD_DECISION_KERNEL_CURRENT))
                e->stats.skipped++;
        if (bump && e->in_flight)
                e->follow_up = true;
        return e->decision;
}

void reload_engine_set_settings(struct reload_engine *e, const struct reload_engine_settings *settings) {
        e->settings = *settings;
        if (e->observed)
                e->decision = decide(e);
}

void reload_engine_request(struct reload_engine *e, bool force) {
        e->requested = true;
        e->request_forced = e->request_forced || force;
}

/* ---------------------------------------------------------------------------
 * Attempts
 */

void reload_engine_retry_now(struct reload_engine *e) {
        e->retry_at = 0;
}

usec_t reload_engine_backoff(const struct reload_engine_settings *s, unsigned failures) {
        usec_t delay = s->backoff_min;

        for (unsigned i = 1; i < failures && delay < s->backoff_max; i++)
                delay *= 2;
        return delay < s->backoff_max ? delay : s->backoff_max;
}

enum reload_action reload_engine_next(struct reload_engine *e, usec_t now, usec_t *ret_deadline) {
        const struct reload_engine_settings *s = &e->settings;
        bool needed;

        if (e->in_flight)
                return RELOAD_ACTION_IDLE;
        needed = e->request_forced || e->decision == RELOAD_DECISION_NEEDED;
        if (s->mode == RELOAD_MODE_OFF || !s->can_load || !needed) {
                e->requested = e->request_forced = false;
                e->follow_up = false;
                return RELOAD_ACTION_IDLE;
        }
        if (e->retry_at > now && !e->requested) {
                *ret_deadline = e->retry_at;
                return RELOAD_ACTION_WAIT;
        }
        return RELOAD_ACTION_START;
}

int reload_engine_started(struct reload_engine *e, usec_t now) {
        struct memrange_dump_ranges *copy = NULL;

        if (e->ranges && !(copy = ranges_dup(e->ranges)))
                return -ENOMEM;
        e->in_flight = true;
        e->in_flight_generation = e->generation;
        e->in_flight_ranges = copy;
        e->in_flight_forced = e->request_forced;
        e->in_flight_started = now;
        e->requested = e->request_forced = false;
        if (e->follow_up)
                e->stats.follow_ups++;
        e->follow_up = false;
        e->stats.attempts++;
        return 0;
}

/* Keeps a copy of @a as the newest of the history, dropping the oldest. */
static void history_push(struct reload_engine *e, const struct reload_attempt *a) {
        struct reload_attempt copy;

        if (reload_attempt_copy(a, &copy) < 0) {
                /* Out of memory: the record without its texts. */
                copy = *a;
                copy.error = copy.namespace_error = copy.output = NULL;
        }
        if (e->n_history == RELOAD_HISTORY_MAX) {
                reload_attempt_clear(&e->history[0]);
                memmove(e->history, e->history + 1, (RELOAD_HISTORY_MAX - 1) * sizeof(e->history[0]));
                e->n_history--;
        }
        e->history[e->n_history++] = copy;
}

void reload_engine_finished(struct reload_engine *e, struct reload_attempt *attempt, usec_t now) {
        attempt->generation = e->in_flight_generation;
        attempt->forced = e->in_flight_forced;
        attempt->started = e->in_flight_started;
        e->in_flight = false;
        if (attempt->success) {
                image_clear(&e->image);
                e->image = (struct reload_image) {
                        .origin = IMAGE_MEMRANGED,
                        .generation = e->in_flight_generation,
                        .ranges = TAKE_PTR(e->in_flight_ranges),
                        .method = e->settings.method,
                        .loaded_usec = now,
                };
                e->crash_loaded = 1;
                e->stats.reloads++;
                e->consecutive_failures = 0;
                e->retry_at = 0;
        } else {
                e->in_flight_ranges = memrange_dump_ranges_free(e->in_flight_ranges);
                e->stats.failures++;
                e->consecutive_failures++;
                e->retry_at = now + reload_engine_backoff(&e->settings, e->consecutive_failures);
        }
        history_push(e, attempt);
        reload_attempt_clear(&e->last);
        e->last = *attempt;
        e->has_last = true;
        *attempt = (struct reload_attempt) { .exit_status = -1 };
        redecide(e, now);
}

const char *reload_engine_state(const struct reload_engine *e) {
        if (e->crash_loaded < 0)
                return "unavailable";
        if (e->in_flight)
                return "reloading";
        if (e->image.origin == IMAGE_NONE)
                return "not loaded";
        switch (e->decision) {
        case RELOAD_DECISION_KERNEL_CURRENT:
                return "kernel keeps it current";
        case RELOAD_DECISION_UNCHANGED:
                /* Never "up to date" for a dump that lacks RAM. */
                return e->ranges_drop_ram ? "incomplete" : "up to date";
        case RELOAD_DECISION_RANGES_UNKNOWN:
                return "unknown";
        default:
                return "stale";
        }
}

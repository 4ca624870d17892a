/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload engine on the event loop: it starts the attempts the engine
 * asks for as kexec-run.c children with the table's iomem rendering, arms
 * the backoff timer, logs every attempt (duration, exit status, the tail
 * of its output) and tells those waiting for an attempt how it ended.
 * It knows no transport: the Reload method's glue is in daemon/core. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "kdump-views.h"
#include "kexec-plan.h"
#include "kexec-run.h"
#include "reload-record.h"
#include "reload.h"

struct reload_loop;

/* What a waiter is told. */
struct reload_outcome {
        bool attempted;                       /* an attempt ran for it */
        const struct reload_attempt *attempt; /* that attempt, or the last one (NULL: none yet) */
        enum reload_decision decision;        /* why none was needed, when !attempted */
};

struct reload_loop_ops {
        /* Renders /proc/iomem of the newest generation (the one the engine
         * loads). Caller of the hook frees *ret_text. */
        int (*render)(void *userdata, char **ret_text, size_t *ret_len);
        /* The other files kexec-tools gets memranged's view of (arm64
         * kallsyms, ppc64 memory limit). May be NULL. */
        int (*views)(void *userdata, struct kdump_views *ret);
        /* Called when an attempt ended and none follows at once (shutdown
         * waits for it). May be NULL. */
        void (*idle)(void *userdata);
        /* Called after every attempt, once the engine has counted it,
         * also when another follows at once (the metrics). May be NULL. */
        void (*ended)(void *userdata);
        /* Called when the plan changed its way of loading after a failure
         * (LoadMethod=auto): the dump ranges of the newest generation must
         * be computed again under reload_loop_plan()'s policy and
         * observed. May be NULL. */
        void (*replan)(void *userdata);
};

/* Takes over @plan (also on failure). -ENOMEM, or the timer's error. */
int reload_loop_new(sd_event *event, struct kexec_plan *plan, const struct reload_loop_ops *ops, void *userdata,
                    struct reload_loop **ret_loop);
/* Kills an attempt in flight; every waiter's callback runs with a NULL
 * outcome (no answer). */
struct reload_loop *reload_loop_free(struct reload_loop *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct reload_loop *, reload_loop_free)

/* A new plan (configuration reload), taken over; used from the next
 * attempt on. */
void reload_loop_set_plan(struct reload_loop *l, struct kexec_plan *plan);

/* Before reload_loop_observe(): see reload_engine_set_foreign(). */
void reload_loop_set_foreign(struct reload_loop *l, struct memrange_dump_ranges *foreign, bool ranges_drop_ram);

/* After every rebuild; @ranges taken over (see reload_engine_observe()).
 * Starts an attempt when one is needed. */
enum reload_decision reload_loop_observe(struct reload_loop *l, uint64_t generation, struct memrange_dump_ranges *ranges,
                                         int crash_loaded, int crash_hotplug);

/* A waiter's callback: @outcome is borrowed for the call, NULL when the
 * loop is freed before any outcome. The waiter is gone once it returns. */
typedef void (*reload_loop_done_fn)(const struct reload_outcome *outcome, void *userdata);
struct reload_wait;

/* Asks for an attempt now (always with @force) and calls @done once, when
 * the attempt made for it ends or at once when none is needed: possibly
 * before this returns. *ret_wait (owned by the loop) is set before that and
 * stays valid until @done runs; pass it to reload_wait_cancel() to stop
 * waiting. -EOPNOTSUPP when the plan cannot load, -ENOMEM: nothing kept,
 * @done never runs. */
int reload_loop_request(struct reload_loop *l, bool force, reload_loop_done_fn done, void *userdata,
                        struct reload_wait **ret_wait);
/* Stops waiting: @done will not run (the attempt still happens). Accepts
 * NULL; returns NULL. */
struct reload_wait *reload_wait_cancel(struct reload_wait *w);

/* An attempt is running. */
bool reload_loop_busy(const struct reload_loop *l);
const struct reload_engine *reload_loop_engine(const struct reload_loop *l);
const struct kexec_plan *reload_loop_plan(const struct reload_loop *l);

/* Where to keep the record of what memranged loads (reload-record.h) and
 * this boot's id; @path NULL: no record. Copied. */
void reload_loop_set_record(struct reload_loop *l, const char *path, const char *boot_id);

/* Before the first observation: what the record said (see
 * reload_engine_set_startup_image(); @ranges taken over). */
void reload_loop_set_startup_image(struct reload_loop *l, bool interrupted, struct memrange_dump_ranges *ranges);

/* Tests: cover this file instead of /proc/iomem. */
void reload_loop_set_proc_iomem(struct reload_loop *l, const char *path);

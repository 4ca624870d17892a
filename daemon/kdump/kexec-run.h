/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running one reload command as a child of the event loop (DESIGN.md,
 * daemon promise 4; DOMAIN.md section 7).
 *
 * The child gets its own process group, stdin from /dev/null, stdout and
 * stderr into one pipe whose last KEXEC_OUTPUT_TAIL bytes are kept, and
 * the loop's signal mask cleared. When given a rendering of /proc/iomem it
 * first makes a private mount namespace (unshare(CLONE_NEWNS), "/" made
 * recursively private so that nothing propagates back), writes the text
 * into a tmpfs of its own, bind-mounts that file read-only over
 * /proc/iomem and drops the tmpfs mount again: kexec-tools, which reads
 * only /proc/iomem, then loads exactly that table and nothing else on the
 * machine sees it. Where that is impossible (no CAP_SYS_ADMIN, seccomp,
 * no /proc/iomem) the child says why and runs the command plainly.
 *
 * A child running longer than its timeout is killed with its process
 * group. The loop must have SIGCHLD blocked (kexec_run_block_sigchld()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "time-util.h"

#define KEXEC_OUTPUT_TAIL 2048u

/* A file kexec-tools reads besides /proc/iomem, given in the namespace as
 * memranged's view (arm64's /proc/kallsyms, ppc64's linux,memory-limit). */
struct kexec_view {
        const char *target; /* the file to cover */
        const char *text;
        size_t len;
};

struct kexec_job_spec {
        char *const *argv;     /* argv[0] without a '/' is looked up in PATH */
        char *const *env;      /* extra "KEY=VALUE" entries, NULL-terminated, or NULL */
        const char *iomem;     /* rendering to bind over /proc/iomem, or NULL for a plain run */
        size_t iomem_len;
        usec_t timeout;        /* 0: none */
        const char *proc_iomem; /* the file to cover; NULL: "/proc/iomem" (tests point it elsewhere) */
        const struct kexec_view *views; /* more files to cover, with the rendering only */
        size_t n_views;
};

struct kexec_job_result {
        int spawn_error;        /* -errno when no child ran (fork, pipe), or exec failed in the child */
        int exit_status;        /* 0-255, or -1 when it did not exit */
        int signal;             /* the signal that ended it, or 0 */
        bool timed_out;         /* killed after the timeout */
        bool namespace_used;    /* the rendering was over /proc/iomem */
        char *namespace_error;  /* why not ("unshare: Operation not permitted"), when asked for */
        char *output;           /* the tail of stdout and stderr (NUL-terminated), or NULL */
        usec_t started, duration; /* CLOCK_MONOTONIC */
};
void kexec_job_result_clear(struct kexec_job_result *r);

struct kexec_job;

/* Called once from the loop when the child has ended (or could not be
 * started). @result is borrowed; its strings may be stolen (set them to
 * NULL). The callback may free the job. */
typedef void (*kexec_job_done_fn)(struct kexec_job *job, struct kexec_job_result *result, void *userdata);

/* Forks and execs @spec on @event. Spawning problems are reported through
 * @done (from the loop), not returned: only -ENOMEM fails. */
int kexec_job_start(sd_event *event, const struct kexec_job_spec *spec, kexec_job_done_fn done, void *userdata,
                    struct kexec_job **ret_job);
/* Kills a child still running (SIGKILL to its process group, reaped
 * without waiting) and frees the job; accepts NULL, returns NULL. */
struct kexec_job *kexec_job_free(struct kexec_job *job);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kexec_job *, kexec_job_free)

/* Blocks SIGCHLD, as sd_event_add_child() requires. */
int kexec_run_block_sigchld(void);

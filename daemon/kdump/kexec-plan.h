/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How memranged reloads the crash kernel: the reload mode and the exact
 * command, worked out from [Kdump] of memranged.conf, falling back to
 * Debian's kdump-tools settings and the running kernel (DESIGN.md, daemon
 * promise 4).
 *
 * Mode=kexec runs
 *   KexecPath -p -c|-s [ExtraArguments | KDUMP_KEXEC_ARGS]
 *         --command-line=CMDLINE [--initrd=INITRD] KERNEL
 * where kernel, initrd and command line come from Kernel=, Initrd= and
 * CommandLine=, each unset one from KDUMP_KERNEL, KDUMP_INITRD (used when
 * the file exists, as kdump-config does) and KDUMP_CMDLINE (or /proc/cmdline
 * without crashkernel= and the other parameters kdump-config drops) plus
 * KDUMP_CMDLINE_APPEND (or kdump-tools' default append) plus the
 * hotplug-safe parameters (kdump_cmdline_add_hotplug_safety(); not added
 * to CommandLine=, which is the whole line), else the running
 * kernel /boot/vmlinuz-RELEASE with /boot/initrd.img-RELEASE. "-c" (the
 * kexec_load system call, Debian 12's default) is spelled out because
 * kexec-tools 2.0.27 and later try kexec_file_load first, which builds the
 * header in the kernel and ignores /proc/iomem; "-s" replaces it when the
 * arguments ask for kexec_file_load or the kernel is locked down. Never
 * "-u": loading replaces the crash image in one system call.
 *
 * Mode=command runs "/bin/sh -c COMMAND". Both get MEMRANGED_GENERATION.
 *
 * Mode unset: command when Command= is set, kexec when Kernel= is set
 * (memranged then owns loading, as with an explicit Mode=), else kexec
 * when kdump-tools is configured (USE_KDUMP=1) and names a kernel or the
 * running kernel is in /boot; otherwise off. Files are looked up under
 * the sysroot; the command names them by their path on the machine. */
#pragma once

#include <stdbool.h>

#include "kdump-config.h"
#include "memrange.h"
#include "reload.h"

/* Environment variable naming the generation being loaded. */
#define KEXEC_ENV_GENERATION "MEMRANGED_GENERATION"
#define KEXEC_DEFAULT_PATH "kexec"
#define KEXEC_SHELL "/bin/sh"
/* First retry after a failure (doubling up to MaxBackoffSec=). */
#define KEXEC_BACKOFF_MIN USEC_PER_SEC

/* One way of loading and its command (see kexec-method.h). */
struct kexec_step_plan {
        enum load_method method;
        bool hotplug; /* --hotplug: the kernel keeps the image current */
        char **argv;
};
#define KEXEC_PLAN_STEPS_MAX 3

struct kexec_plan {
        enum reload_mode mode;
        bool owns_loading;       /* memranged.conf asked for it: load even when nothing is loaded */
        char *origin;            /* how the mode was chosen, for status and the log */
        char *error;             /* why the mode cannot load (incomplete settings), or NULL */
        char **argv;             /* the command, NULL-terminated; NULL when off or on error
                                    (kexec: the current step's) */
        enum load_method method; /* kexec: kexec_load or kexec_file_load; command: unknown */
        bool hotplug;            /* kexec --hotplug: the kernel keeps the image current */
        /* kexec: the ways of loading to try, best first, and the one in use */
        struct kexec_step_plan steps[KEXEC_PLAN_STEPS_MAX];
        size_t n_steps, step;
        char *method_reason;     /* why these steps (LoadMethod=, the kernel, the arguments) */
        char *fallback_reason;   /* why the step in use is not the first, or NULL */
        usec_t backoff_max;
        usec_t timeout;
};

void kexec_plan_done(struct kexec_plan *p);

/* Makes step @i the one in use (argv, method, hotplug). */
void kexec_plan_use_step(struct kexec_plan *p, size_t i);
/* The step in use failed for @why: 1 and the next step in use, with
 * ->fallback_reason saying so; 0 when there is none (the plan is kept
 * until it is rebuilt); -ENOMEM. */
int kexec_plan_fall_back(struct kexec_plan *p, const char *why);

/* Where the plan comes from. */
struct kexec_plan_input {
        const struct config_kdump *kdump; /* memranged.conf's [Kdump] */
        const char *config_name;      /* its path, for messages */
        struct memrange_ctx *ctx;     /* sysroot of the kdump-tools settings, /boot, /proc/cmdline */
        const char *release;          /* the running kernel; NULL: proc/sys/kernel/osrelease or uname */
        enum memrange_arch arch;      /* for the command line rules */
};

/* Works out the plan. Problems that leave nothing to run are not errors
 * of the call: the plan then says why in ->error (status shows it).
 * -ENOMEM only. Caller frees with kexec_plan_done(). */
int kexec_plan_build(const struct kexec_plan_input *in, struct kexec_plan *ret);

/* The engine's view of @p. */
void kexec_plan_engine_settings(const struct kexec_plan *p, struct reload_engine_settings *ret);

/* The dump policy the loaded image follows: "kernel" for kexec_file_load,
 * else auto (kexec-tools' policy of the architecture). */
enum memrange_dump_policy kexec_plan_dump_policy(const struct kexec_plan *p);

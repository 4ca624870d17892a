/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How memranged's own kexec loads the crash kernel ([Kdump] LoadMethod=):
 * with kexec_load, which builds the header from the table's /proc/iomem
 * but leaves the image as it is until the next load, or so that the
 * kernel keeps the loaded image current itself after every hotplug
 * (CONFIG_CRASH_HOTPLUG: x86_64 6.6+, ppc64 6.10+), which needs no reload
 * and leaves no window without a crash kernel: kexec_file_load (kexec -s),
 * or kexec_load with kexec-tools' --hotplug (2.0.28+).
 *
 * LoadMethod=auto (the default) tries, in this order, kexec_file_load,
 * kexec_load --hotplug, then plain kexec_load where the kernel can update
 * an image (/sys/kernel/crash_elfcorehdr_size exists), and plain
 * kexec_load elsewhere; the reload loop moves to the next step when one
 * fails. A locked-down kernel takes kexec_file_load only (kexec_load is
 * refused there). kexec options that choose themselves (-s, -c, -a,
 * --hotplug in ExtraArguments= or KDUMP_KEXEC_ARGS) win over all this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "memrange.h"
#include "reload.h"

enum load_choice {
        LOAD_CHOICE_AUTO = 0,
        LOAD_CHOICE_KEXEC_LOAD,         /* kexec -p -c */
        LOAD_CHOICE_KEXEC_LOAD_HOTPLUG, /* kexec -p -c --hotplug */
        LOAD_CHOICE_KEXEC_FILE_LOAD,    /* kexec -p -s */
        _LOAD_CHOICE_MAX,
};
/* "auto", "kexec_load", "kexec_load_hotplug", "kexec_file_load"; the
 * parser returns -EINVAL for anything else. */
const char *load_choice_to_string(enum load_choice choice);
int load_choice_from_string(const char *text);

/* One way to load: the kexec options it adds (none where the arguments
 * chose) and what the kernel then holds. */
struct kexec_step {
        const char *syscall_option; /* "-c", "-s" or NULL */
        bool add_hotplug;           /* add --hotplug */
        bool hotplug;               /* --hotplug, added or in the arguments */
        enum load_method method;
};
#define KEXEC_STEPS_MAX 3

/* The steps to try, best first, for @choice on the kernel of @ctx, given
 * the kexec @args (NULL-terminated words) that may choose themselves.
 * *ret_reason (caller frees) says why, for status and the log. -ENOMEM. */
int kexec_method_steps(struct memrange_ctx *ctx, enum load_choice choice, char *const *args,
                       struct kexec_step ret_steps[static KEXEC_STEPS_MAX], size_t *ret_n, char **ret_reason);

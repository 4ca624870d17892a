/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* What memranged hands kexec-tools besides its /proc/iomem rendering, per
 * architecture (DOMAIN.md sections 5 and 7a), and the dump policy that
 * says what kexec-tools then dumps. */

#include <stdbool.h>

#include "kexec-run.h"
#include "memrange.h"

#define KDUMP_VIEWS_MAX 2u

struct kdump_views {
        size_t n;
        struct kexec_view views[KDUMP_VIEWS_MAX]; /* texts point into ->owned */
        char *owned[KDUMP_VIEWS_MAX];
};
void kdump_views_done(struct kdump_views *v);

/* The architecture of the running kernel (uname -m); unknown when it has
 * none of ours. */
enum memrange_arch kdump_running_arch(void);

/* The policy of images memranged loads: its plan's, except that on arm64
 * and ppc64 kexec-tools reads memranged's view (memranged-arm64,
 * memranged-ppc64) when @plan_policy is auto and memranged runs the loader
 * itself (@memranged_loads). */
enum memrange_dump_policy kdump_view_policy(enum memrange_dump_policy plan_policy, enum memrange_arch arch,
                                            bool memranged_loads);

/* The files to cover for a load on @arch: arm64, a /proc/kallsyms with
 * "_text" when the kernel's lacks it (memrange_kallsyms_view(); a refusal
 * is logged with its reason and the load goes ahead with the kernel's);
 * ppc64, linux,memory-limit reading 0 when it only reflects boot RAM.
 * -ENOMEM only. */
int kdump_views_render(struct memrange_ctx *ctx, const struct memrange_sources *sources, enum memrange_arch arch,
                       struct kdump_views *ret);

/* Whether a crash header another loader built with kexec-tools on this
 * kernel is unreadable: arm64 without "_text" in /proc/kallsyms (and a
 * kallsyms view would be needed). Such an image dumps nothing the capture
 * kernel can read, whatever ranges it names. Asked once per process (the
 * running kernel does not change). */
bool kdump_foreign_images_unreadable(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                                     enum memrange_arch arch);

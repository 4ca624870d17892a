/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The views memranged gives kexec-tools per architecture, besides the
 * rendering of /proc/iomem: see kdump-views.h and, for how each is derived
 * and when it is given, lib/view-kallsyms.c and lib/source-memory-limit.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kdump-views.h"
#include "log.h"
#include "memrange-private.h"

#define KALLSYMS_TARGET "/proc/kallsyms"
#define MEMORY_LIMIT_TARGET "/proc/device-tree/chosen/linux,memory-limit"

void kdump_views_done(struct kdump_views *v) {
        for (size_t i = 0; i < v->n; i++)
                free(v->owned[i]);
        *v = (struct kdump_views) {};
}

enum memrange_arch kdump_running_arch(void) {
        struct utsname u;
        int arch;

        if (uname(&u) < 0)
                return MEMRANGE_ARCH_UNKNOWN;
        arch = memrange_arch_from_name(u.machine);
        return arch < 0 ? MEMRANGE_ARCH_UNKNOWN : arch;
}

enum memrange_dump_policy kdump_view_policy(enum memrange_dump_policy plan_policy, enum memrange_arch arch,
                                            bool memranged_loads) {
        if (plan_policy != MEMRANGE_DUMP_AUTO || !memranged_loads)
                return plan_policy;
        switch (arch) {
        case MEMRANGE_ARCH_ARM64:
                return MEMRANGE_DUMP_MEMRANGED_ARM64;
        case MEMRANGE_ARCH_PPC64:
                return MEMRANGE_DUMP_MEMRANGED_PPC64;
        default:
                return plan_policy;
        }
}

static void add_view(struct kdump_views *v, const char *target, char *text, size_t len) {
        v->owned[v->n] = text;
        v->views[v->n] = (struct kexec_view) { .target = target, .text = text, .len = len };
        v->n++;
}

static int kallsyms_view(struct memrange_ctx *ctx, const struct memrange_sources *sources, struct kdump_views *v) {
        char *text = NULL;
        size_t len = 0;
        int r;

        mr_clear_error(ctx);
        r = memrange_kallsyms_view(ctx, sources ? sources->iomem : NULL, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_warning("kdump reload: /proc/kallsyms has no _text and memranged cannot derive it (%s): "
                            "kexec-tools will write a crash header whose segments the capture kernel cannot read",
                            memrange_ctx_get_error(ctx) ?: strerror(-r));
                return 0;
        }
        if (r == 0)
                return 0;
        log_debug("kdump reload: /proc/kallsyms lacks _text; kexec-tools gets %.*s", (int) strcspn(text, "\n"), text);
        add_view(v, KALLSYMS_TARGET, text, len);
        return 0;
}

static int memory_limit_view(const struct memrange_sources *sources, struct kdump_views *v) {
        const struct memrange_devicetree *dt = sources ? sources->devicetree : NULL;
        char *zero;

        if (!dt || dt->memory_limit == 0 || !dt->memory_limit_boot_only)
                return 0;
        /* kexec-tools reads a 64-bit big-endian number; 0 is no limit. */
        zero = calloc(1, 8);
        if (!zero)
                return -ENOMEM;
        log_debug("kdump reload: linux,memory-limit 0x%" PRIx64 " only reflects boot RAM; kexec-tools reads 0",
                  dt->memory_limit);
        add_view(v, MEMORY_LIMIT_TARGET, zero, 8);
        return 0;
}

int kdump_views_render(struct memrange_ctx *ctx, const struct memrange_sources *sources, enum memrange_arch arch,
                       struct kdump_views *ret) {
        struct kdump_views v = {};
        int r = 0;

        if (arch == MEMRANGE_ARCH_ARM64)
                r = kallsyms_view(ctx, sources, &v);
        else if (arch == MEMRANGE_ARCH_PPC64)
                r = memory_limit_view(sources, &v);
        if (r < 0) {
                kdump_views_done(&v);
                return r;
        }
        *ret = v;
        return 0;
}

bool kdump_foreign_images_unreadable(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                                     enum memrange_arch arch) {
        static int cached = -1;
        _cleanup_(freep) char *text = NULL;
        int r;

        if (arch != MEMRANGE_ARCH_ARM64)
                return false;
        if (cached >= 0)
                return cached;
        mr_clear_error(ctx);
        r = memrange_kallsyms_view(ctx, sources ? sources->iomem : NULL, &text, NULL);
        if (r == -ENOMEM)
                return false; /* asked again next time */
        /* 0: kallsyms has _text. Otherwise kexec-tools, reading the real
         * kallsyms, found none: whether memranged can derive one or not. */
        cached = r != 0;
        if (cached)
                log_notice("kdump: /proc/kallsyms lists no _text: a crash kernel loaded by another kexec-tools run "
                           "has a header the capture kernel cannot read, memranged reloads it with its own view");
        return cached;
}

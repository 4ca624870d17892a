/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dump-range policies: which RAM a kdump capture kernel will expose as the
 * PT_LOAD segments of /proc/vmcore, for each way of loading the crash
 * kernel (DOMAIN.md section 5). The ranges come from the authoritative
 * table, so a reload engine can tell whether a new generation changes what
 * a dump would hold.
 *
 * The table is split wherever attributes change (crashkernel, offline,
 * node, sources...); a kernel resource is not. So every policy first joins
 * contiguous RAM of one kind (plain or driver-managed) into "lines", the
 * lines memrange_render_iomem() prints, then cuts out what the loader
 * leaves out. kexec-tools on ppc64 does not read /proc/iomem at all: its
 * memory comes from the device tree and drmem (crash-ppc64.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

#define KIB(n) ((uint64_t) (n) << 10)
#define MIB(n) ((uint64_t) (n) << 20)

/* kexec-tools (kexec/arch/i386/crashdump-x86.h, arm64/crashdump-arm64.c). */
#define X86_BACKUP_END KIB(640)
#define X86_MAX_RANGES 32768u
#define X86_MAX_CRASH 8u
#define ARM64_MAX_CRASH 2u
/* The kernel leaves the first MiB out of its own headers. */
#define KERNEL_SKIP_BELOW MIB(1)

_public_ enum memrange_arch memrange_arch_detect(const struct memrange_sources *sources) {
        if (sources && sources->arch != MEMRANGE_ARCH_UNKNOWN && sources->arch < _MEMRANGE_ARCH_MAX)
                return sources->arch;
        if (sources && sources->drmem)
                return MEMRANGE_ARCH_PPC64;
        if (sources && sources->devicetree)
                return MEMRANGE_ARCH_ARM64;
        return MEMRANGE_ARCH_X86_64;
}

_public_ int memrange_dump_policy_resolve(const struct memrange_sources *sources, enum memrange_arch arch,
                                          enum memrange_dump_policy policy) {
        const struct memrange_crash *crash = sources ? sources->crash : NULL;

        if ((unsigned) policy >= _MEMRANGE_DUMP_POLICY_MAX || (unsigned) arch >= _MEMRANGE_ARCH_MAX)
                return -EINVAL;
        if (policy != MEMRANGE_DUMP_AUTO)
                return policy;
        if (arch == MEMRANGE_ARCH_UNKNOWN)
                arch = memrange_arch_detect(sources);
        switch (arch) {
        case MEMRANGE_ARCH_ARM64:
                return MEMRANGE_DUMP_KEXEC_TOOLS_ARM64;
        case MEMRANGE_ARCH_PPC64:
                return MEMRANGE_DUMP_KEXEC_TOOLS_PPC64;
        default:
                /* crash_hotplug reads 1 only for an image the kernel keeps
                 * current, which it builds itself: kexec_file_load (or
                 * kexec-tools --hotplug, whose updates are the kernel's). */
                if (crash && crash->crash_hotplug_memory == 1)
                        return MEMRANGE_DUMP_KERNEL;
                return MEMRANGE_DUMP_KEXEC_TOOLS_X86;
        }
}

/* ---------------------------------------------------------------------------
 * Policies that read the table: x86, arm64, kernel
 */

struct table_rule {
        bool driver_managed; /* driver-managed RAM is dumped too */
        uint64_t skip_below; /* [0, skip_below) is left out */
        size_t max_crash;    /* 0: any number of reservations */
};

static const struct table_rule table_rules[_MEMRANGE_DUMP_POLICY_MAX] = {
        [MEMRANGE_DUMP_KEXEC_TOOLS_X86] = { .driver_managed = true, .max_crash = X86_MAX_CRASH },
        [MEMRANGE_DUMP_KEXEC_TOOLS_ARM64] = { .driver_managed = false, .max_crash = ARM64_MAX_CRASH },
        [MEMRANGE_DUMP_KERNEL] = { .driver_managed = true, .skip_below = KERNEL_SKIP_BELOW },
        /* memranged's view names driver-managed RAM "System RAM" (render.c). */
        [MEMRANGE_DUMP_MEMRANGED_ARM64] = { .driver_managed = true, .max_crash = ARM64_MAX_CRASH },
};

static bool is_driver_managed(const struct memrange *r) {
        return r->flags & MEMRANGE_F_DRIVER_MANAGED;
}

/* Calls @emit for each line: a maximal run of contiguous RAM regions of one
 * kind (plain or driver-managed), as memrange_render_iomem() prints them. */
int mr_dump_foreach_line(const struct memrange_table *table,
                         int (*emit)(void *userdata, uint64_t start, uint64_t end, bool driver_managed),
                         void *userdata) {
        const struct memrange *first = NULL;
        uint64_t end = 0;

        for (const struct memrange *r = memrange_table_first(table);; r = memrange_table_next(table, r)) {
                int k;

                if (r && r->type == MEMRANGE_TYPE_RAM && first && r->start == end &&
                    is_driver_managed(r) == is_driver_managed(first)) {
                        end = r->end;
                        continue;
                }
                if (first) {
                        k = emit(userdata, first->start, end, is_driver_managed(first));
                        if (k < 0)
                                return k;
                }
                if (!r)
                        return 0;
                first = r->type == MEMRANGE_TYPE_RAM ? r : NULL;
                end = r->end;
        }
}

struct line_walk {
        const struct table_rule *rule;
        struct memrange_dump_ranges *out;
        size_t cursor;
};

static int add_line(void *userdata, uint64_t start, uint64_t end, bool driver_managed) {
        struct line_walk *w = userdata;

        if (driver_managed && !w->rule->driver_managed)
                return 0;
        if (start < w->rule->skip_below)
                start = w->rule->skip_below;
        if (start >= end)
                return 0;
        return mr_dump_push_minus(&w->out->ranges, &w->out->n, start, end, w->out->excluded,
                                  w->out->n_excluded, &w->cursor);
}

/* x86 kexec-tools backs up the first RAM range that ends at or below
 * 640 KiB (BIOS data, the real-mode trampoline) into the crash region. */
static void mark_x86_backup(struct memrange_dump_ranges *out) {
        for (size_t i = 0; i < out->n; i++)
                if (out->ranges[i].end <= X86_BACKUP_END) {
                        out->ranges[i].flags |= MEMRANGE_DUMP_F_BACKUP;
                        return;
                }
}

static int compute_from_table(struct memrange_ctx *ctx, const struct memrange_table *table,
                              struct memrange_dump_ranges *out) {
        const struct table_rule *rule = &table_rules[out->policy];
        struct line_walk walk = { .rule = rule, .out = out };
        int r;

        r = mr_dump_crash_runs(table, &out->excluded, &out->n_excluded);
        if (r < 0)
                return r;
        if (rule->max_crash && out->n_excluded > rule->max_crash)
                return mr_dump_error(ctx, E2BIG, out->policy,
                                     "%zu crash kernel reservations, more than the loader handles (%zu)",
                                     out->n_excluded, rule->max_crash);
        r = mr_dump_foreach_line(table, add_line, &walk);
        if (r < 0)
                return r;
        if (out->policy == MEMRANGE_DUMP_KEXEC_TOOLS_X86) {
                if (out->n > X86_MAX_RANGES)
                        return mr_dump_error(ctx, E2BIG, out->policy,
                                             "%zu RAM ranges, more than kexec-tools handles (%u)", out->n,
                                             X86_MAX_RANGES);
                mark_x86_backup(out);
        }
        /* The skipped low window is an exclusion too, in address order. */
        if (rule->skip_below) {
                r = mr_dump_push(&out->excluded, &out->n_excluded, 0, rule->skip_below, 0);
                if (r < 0)
                        return r;
                mr_dump_sort_merge(out->excluded, &out->n_excluded);
        }
        return 0;
}

/* ---------------------------------------------------------------------------
 * CPU notes
 */

bool mr_crash_note_in_header(const struct memrange_crash *crash, unsigned cpu) {
        return crash->possible.n == 0 || memrange_idset_contains(&crash->possible, cpu);
}

/* The CPUs whose note a header built now under @policy holds (see
 * memrange_dump_ranges_compute()). */
static int compute_cpus(const struct memrange_crash *crash, enum memrange_dump_policy policy,
                        struct memrange_idset *ret) {
        unsigned *ids;
        size_t n = 0;

        if (!crash)
                return 0;
        if (policy == MEMRANGE_DUMP_KERNEL && crash->possible.n > 0)
                return memrange_idset_copy(&crash->possible, ret);
        if (crash->n_notes == 0)
                return 0;
        ids = malloc(crash->n_notes * sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        /* The notes are sorted by CPU. */
        for (size_t i = 0; i < crash->n_notes; i++)
                if (mr_crash_note_in_header(crash, crash->notes[i].cpu))
                        ids[n++] = crash->notes[i].cpu;
        if (n == 0) {
                free(ids);
                return 0;
        }
        *ret = (struct memrange_idset) { .n = n, .ids = ids };
        return 0;
}

_public_ int memrange_dump_cpus_missing(const struct memrange_dump_ranges *image,
                                        const struct memrange_dump_ranges *wanted, struct memrange_idset *ret_missing) {
        if (!image || !wanted || !ret_missing)
                return -EINVAL;
        if (image->cpus.n == 0 || wanted->cpus.n == 0) {
                *ret_missing = (struct memrange_idset) {};
                return 0;
        }
        return memrange_idset_difference(&wanted->cpus, &image->cpus, ret_missing);
}

/* ---------------------------------------------------------------------------
 * Public entry points
 */

_public_ int memrange_dump_ranges_compute(struct memrange_ctx *ctx, const struct memrange_table *table,
                                          const struct memrange_sources *sources,
                                          enum memrange_dump_policy policy, enum memrange_arch arch,
                                          struct memrange_dump_ranges **ret_ranges) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *out = NULL;
        int resolved, r;

        if (!table || !ret_ranges)
                return -EINVAL;
        if (ctx)
                mr_clear_error(ctx);
        resolved = memrange_dump_policy_resolve(sources, arch, policy);
        if (resolved < 0)
                return resolved;

        out = calloc(1, sizeof(*out));
        if (!out)
                return -ENOMEM;
        out->policy = (uint32_t) resolved;
        out->arch = arch != MEMRANGE_ARCH_UNKNOWN ? arch : memrange_arch_detect(sources);

        if (out->policy == MEMRANGE_DUMP_KEXEC_TOOLS_PPC64 || out->policy == MEMRANGE_DUMP_MEMRANGED_PPC64)
                r = mr_dump_compute_ppc64(ctx, table, sources, out);
        else
                r = compute_from_table(ctx, table, out);
        if (r < 0)
                return r;
        r = compute_cpus(sources ? sources->crash : NULL, out->policy, &out->cpus);
        if (r < 0)
                return r;
        *ret_ranges = TAKE_PTR(out);
        return 0;
}

_public_ struct memrange_dump_ranges *memrange_dump_ranges_free(struct memrange_dump_ranges *ranges) {
        if (!ranges)
                return NULL;
        free(ranges->ranges);
        free(ranges->excluded);
        memrange_idset_clear(&ranges->cpus);
        free(ranges);
        return NULL;
}

static int dup_array(const struct memrange_dump_range *v, size_t n, struct memrange_dump_range **ret) {
        if (n == 0)
                return 0;
        *ret = malloc(n * sizeof(*v));
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, v, n * sizeof(*v));
        return 0;
}

_public_ int memrange_dump_ranges_dup(const struct memrange_dump_ranges *ranges,
                                      struct memrange_dump_ranges **ret_copy) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *copy = NULL;
        int r;

        if (!ranges || !ret_copy)
                return -EINVAL;
        copy = calloc(1, sizeof(*copy));
        if (!copy)
                return -ENOMEM;
        *copy = (struct memrange_dump_ranges) {
                .policy = ranges->policy,
                .arch = ranges->arch,
                .n = ranges->n,
                .n_excluded = ranges->n_excluded,
        };
        r = dup_array(ranges->ranges, ranges->n, &copy->ranges);
        if (r >= 0)
                r = dup_array(ranges->excluded, ranges->n_excluded, &copy->excluded);
        if (r >= 0)
                r = memrange_idset_copy(&ranges->cpus, &copy->cpus);
        if (r < 0)
                return r;
        *ret_copy = TAKE_PTR(copy);
        return 0;
}

_public_ bool memrange_dump_ranges_equal(const struct memrange_dump_ranges *a,
                                         const struct memrange_dump_ranges *b) {
        if (!a || !b)
                return a == b;
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->ranges[i].start != b->ranges[i].start || a->ranges[i].end != b->ranges[i].end ||
                    a->ranges[i].flags != b->ranges[i].flags)
                        return false;
        return true;
}

/* Appends to @list the parts of region @m that neither the dump nor its
 * exclusions cover; the cursors advance as in mr_dump_push_minus(). */
static int append_uncovered(struct memrange_list *list, const struct memrange *m,
                            const struct memrange_dump_ranges *d, size_t *cursor_ranges,
                            size_t *cursor_excluded) {
        _cleanup_(freep) struct memrange_dump_range *gaps = NULL, *left = NULL;
        size_t n_gaps = 0, n_left = 0;
        int r;

        r = mr_dump_push_minus(&gaps, &n_gaps, m->start, m->end, d->ranges, d->n, cursor_ranges);
        for (size_t i = 0; r >= 0 && i < n_gaps; i++)
                r = mr_dump_push_minus(&left, &n_left, gaps[i].start, gaps[i].end, d->excluded,
                                       d->n_excluded, cursor_excluded);
        for (size_t i = 0; r >= 0 && i < n_left; i++) {
                struct memrange piece = *m;

                piece.start = left[i].start;
                piece.end = left[i].end;
                r = memrange_list_append(list, &piece, NULL);
        }
        return r;
}

_public_ int memrange_dump_ranges_dropped(const struct memrange_table *table,
                                          const struct memrange_dump_ranges *ranges,
                                          struct memrange_list **ret_dropped) {
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        size_t cursor_ranges = 0, cursor_excluded = 0;

        if (!table || !ranges || !ret_dropped)
                return -EINVAL;
        dropped = calloc(1, sizeof(*dropped));
        if (!dropped)
                return -ENOMEM;
        memrange_table_foreach(m, table) {
                int r;

                if (m->type != MEMRANGE_TYPE_RAM || (m->flags & MEMRANGE_F_CRASHKERNEL))
                        continue;
                r = append_uncovered(dropped, m, ranges, &cursor_ranges, &cursor_excluded);
                if (r < 0)
                        return r;
        }
        *ret_dropped = TAKE_PTR(dropped);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vectors of dump ranges, as every dump policy (crash.c, crash-ppc64.c)
 * and the iomem rendering (render.c) build them: appending, cutting out
 * exclusions, sorting and joining, the crash reservation runs of a table,
 * and the policy's error message. The policies call these; these call
 * no policy. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "crash.h"

int mr_dump_error(struct memrange_ctx *ctx, int err, enum memrange_dump_policy policy, const char *format, ...) {
        char msg[256];
        va_list ap;

        if (!ctx)
                return -abs(err);
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        return mr_error_at(ctx, err, memrange_dump_policy_to_name(policy), 0, "%s", msg);
}

int mr_dump_push(struct memrange_dump_range **v, size_t *n, uint64_t start, uint64_t end, uint32_t flags) {
        struct memrange_dump_range *bigger;

        if (start >= end)
                return 0;
        /* Grow by doubling: *n is the count, capacity the next power of two. */
        if ((*n & (*n - 1)) == 0) {
                size_t cap = *n ? *n * 2 : 1;

                bigger = reallocarray(*v, cap, sizeof(**v));
                if (!bigger)
                        return -ENOMEM;
                *v = bigger;
        }
        (*v)[(*n)++] = (struct memrange_dump_range) { .start = start, .end = end, .flags = flags };
        return 0;
}

int mr_dump_crash_runs(const struct memrange_table *table, struct memrange_dump_range **ret, size_t *ret_n) {
        memrange_table_foreach(r, table) {
                struct memrange_dump_range *last = *ret_n ? &(*ret)[*ret_n - 1] : NULL;
                int k;

                if (!(r->flags & MEMRANGE_F_CRASHKERNEL))
                        continue;
                if (last && last->end == r->start) {
                        last->end = r->end;
                        continue;
                }
                k = mr_dump_push(ret, ret_n, r->start, r->end, 0);
                if (k < 0)
                        return k;
        }
        return 0;
}

int mr_dump_push_minus(struct memrange_dump_range **v, size_t *n, uint64_t start, uint64_t end,
                       const struct memrange_dump_range *cut, size_t n_cut, size_t *cursor) {
        uint64_t pos = start;
        int r;

        while (*cursor < n_cut && cut[*cursor].end <= pos)
                (*cursor)++;
        for (size_t k = *cursor; k < n_cut && cut[k].start < end; k++) {
                if (cut[k].start > pos) {
                        r = mr_dump_push(v, n, pos, cut[k].start, 0);
                        if (r < 0)
                                return r;
                }
                if (cut[k].end > pos)
                        pos = cut[k].end;
        }
        if (pos < end)
                return mr_dump_push(v, n, pos, end, 0);
        return 0;
}

static int compare_start(const void *a, const void *b) {
        const struct memrange_dump_range *x = a, *y = b;

        return x->start < y->start ? -1 : x->start > y->start;
}

void mr_dump_sort_merge(struct memrange_dump_range *v, size_t *n) {
        size_t kept = 0;

        if (*n < 2)
                return;
        qsort(v, *n, sizeof(*v), compare_start);
        for (size_t i = 1; i < *n; i++) {
                if (v[i].start < v[kept].end) {
                        if (v[i].end > v[kept].end)
                                v[kept].end = v[i].end;
                        continue;
                }
                v[++kept] = v[i];
        }
        *n = kept + 1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The findings container: what the reconciler hands out when the kernel's
 * representations of memory disagree. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

_public_ int memrange_findings_max_severity(const struct memrange_findings *findings) {
        int max = -1;

        if (!findings)
                return -1;
        for (size_t i = 0; i < findings->n; i++)
                if ((int) findings->items[i].severity > max)
                        max = (int) findings->items[i].severity;
        return max;
}

_public_ struct memrange_findings *memrange_findings_free(struct memrange_findings *findings) {
        if (!findings)
                return NULL;
        for (size_t i = 0; i < findings->n; i++) {
                free(findings->items[i].code);
                free(findings->items[i].message);
        }
        free(findings->items);
        free(findings);
        return NULL;
}

/* The array has no capacity field: its capacity is implied by n (a minimum,
 * then doubling), so appending stays amortised O(1). */
#define FINDINGS_MIN_CAPACITY 8u
static bool needs_growth(size_t n) {
        return n == 0 || (n >= FINDINGS_MIN_CAPACITY && (n & (n - 1)) == 0);
}

int rc_findings_add(struct memrange_findings *findings, enum memrange_severity severity,
                    uint32_t sources, uint64_t start, uint64_t end, const char *code,
                    const char *format, ...) {
        _cleanup_(freep) char *code_copy = NULL, *message = NULL;
        struct memrange_finding *items;
        va_list ap;
        int r;

        code_copy = strdup(code);
        if (!code_copy)
                return -ENOMEM;
        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0) {
                message = NULL; /* vasprintf leaves it undefined on failure */
                return -ENOMEM;
        }

        if (needs_growth(findings->n)) {
                size_t cap = findings->n ? findings->n * 2 : FINDINGS_MIN_CAPACITY;

                items = reallocarray(findings->items, cap, sizeof(*items));
                if (!items)
                        return -ENOMEM;
                findings->items = items;
        }
        items = findings->items;
        items[findings->n++] = (struct memrange_finding) {
                .severity = severity,
                .sources = sources,
                .start = start,
                .end = end,
                .code = TAKE_PTR(code_copy),
                .message = TAKE_PTR(message),
        };
        return 0;
}

static int compare_u64(uint64_t a, uint64_t b) {
        return a < b ? -1 : a > b;
}

static int compare_findings(const void *pa, const void *pb) {
        const struct memrange_finding *a = pa, *b = pb;
        int c;

        if (a->severity != b->severity)
                return a->severity > b->severity ? -1 : 1;
        c = compare_u64(a->start, b->start);
        if (c == 0)
                c = compare_u64(a->end, b->end);
        if (c == 0)
                c = strcmp(a->code, b->code);
        return c;
}

void rc_findings_sort(struct memrange_findings *findings) {
        if (findings->n > 1)
                qsort(findings->items, findings->n, sizeof(*findings->items), compare_findings);
}

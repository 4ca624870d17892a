/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/iomem parser on arbitrary bytes, fed
 * straight from memory (mr_iomem_parse(), no file). Besides the
 * sanitizers' checks it aborts when a result breaks the reader's
 * contract: a tree of non-empty ranges, each inside its parent one level
 * up, and a failure always names proc/iomem. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memrange_ctx *ctx_get(void) {
        static struct memrange_ctx *ctx;

        /* The parser never opens a file: any sysroot will do. */
        if (!ctx && memrange_ctx_new("/", &ctx) < 0)
                abort();
        return ctx;
}

static void check_entry(const struct memrange_iomem *iomem, size_t i) {
        const struct memrange_iomem_entry *e = &iomem->entries[i], *p;

        if (e->range.start >= e->range.end || !e->name || !e->name[0])
                abort();
        if (e->parent < 0) {
                if (e->depth != 0)
                        abort();
                return;
        }
        if ((size_t) e->parent >= i)
                abort();
        p = &iomem->entries[e->parent];
        if (p->depth + 1 != e->depth || e->range.start < p->range.start || e->range.end > p->range.end)
                abort();
}

static void check_failure(struct memrange_ctx *ctx, int r) {
        const char *error = memrange_ctx_get_error(ctx);

        if (r == -ENOMEM)
                return;
        if (!error || strncmp(error, "proc/iomem:", 11) != 0) {
                fprintf(stderr, "iomem parse failed with %d without naming proc/iomem: %s\n", r,
                        error ?: "(none)");
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(memrange_iomem_freep) struct memrange_iomem *iomem = NULL;
        struct memrange_ctx *ctx = ctx_get();
        _cleanup_(freep) char *buf = malloc(size + 1);
        int r;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        mr_clear_error(ctx);
        r = mr_iomem_parse(ctx, buf, size, &iomem);
        if (r < 0) {
                check_failure(ctx, r);
                return 0;
        }
        if (iomem->n == 0)
                abort();
        for (size_t i = 0; i < iomem->n; i++)
                check_entry(iomem, i);
        return 0;
}

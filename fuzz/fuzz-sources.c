/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the whole library on the scratch sysroot the input
 * describes (see fuzz-sysroot.h): every reader (memrange_sources_read()),
 * the reconciler, the dump ranges of every policy, the ELF core header and
 * the /proc/iomem rendering. It pins what the per-reader targets cannot:
 * whatever the readers accept, the rest of the library must handle.
 *  - reading never fails (a bad source is recorded, not fatal);
 *  - reconciling never fails;
 *  - dump ranges fail only as documented (-E2BIG, -ENODATA);
 *  - the ELF core header built parses back with one PT_LOAD per range
 *    (plus kernel text when proc/kcore shows it);
 *  - the rendering parses back as /proc/iomem (kexec-tools reads it). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PT_LOAD 1u

static _Noreturn void fail(const char *what, int r, struct memrange_ctx *ctx) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, strerror(r < 0 ? -r : r),
                memrange_ctx_get_error(ctx) ?: "no message");
        abort();
}

static void check_elfcore(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                          const struct memrange_dump_ranges *ranges) {
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *elf = NULL;
        _cleanup_(freep) void *buf = NULL;
        size_t size, loads = 0;
        int r;

        r = memrange_elfcore_build(ctx, sources, ranges, NULL, &buf, &size);
        if (r == -ENOMEM || r == -E2BIG)
                return;
        if (r < 0)
                fail("memrange_elfcore_build", r, ctx);
        r = memrange_elfcore_parse(ctx, "elfcorehdr", buf, size, &elf);
        if (r < 0)
                fail("parsing the ELF core header just built", r, ctx);
        for (size_t i = 0; i < elf->n; i++)
                loads += elf->phdrs[i].type == PT_LOAD;
        if (loads != ranges->n && loads != ranges->n + 1) {
                fprintf(stderr, "%zu PT_LOAD for %zu dump ranges\n", loads, ranges->n);
                abort();
        }
}

static void check_dump_ranges(struct memrange_ctx *ctx, const struct memrange_table *table,
                              const struct memrange_sources *sources, enum memrange_dump_policy policy) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *ranges = NULL;
        int r;

        r = memrange_dump_ranges_compute(ctx, table, sources, policy, MEMRANGE_ARCH_UNKNOWN, &ranges);
        if (r == -ENOMEM || r == -E2BIG || r == -ENODATA)
                return;
        if (r < 0)
                fail(memrange_dump_policy_to_name(policy), r, ctx);
        for (size_t i = 0; i < ranges->n; i++)
                if (ranges->ranges[i].start >= ranges->ranges[i].end ||
                    (i > 0 && ranges->ranges[i].start < ranges->ranges[i - 1].end))
                        abort();
        check_elfcore(ctx, sources, ranges);
}

static void check_rendering(struct memrange_ctx *ctx, const struct memrange_table *table,
                            const struct memrange_sources *sources) {
        _cleanup_(memrange_iomem_freep) struct memrange_iomem *again = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t len;
        int r;

        r = memrange_render_iomem(table, sources->iomem, &text, &len);
        if (r == -ENOMEM)
                return;
        if (r < 0)
                fail("memrange_render_iomem", r, ctx);
        if (len == 0)
                return; /* an empty table renders to nothing */
        r = mr_iomem_parse(ctx, text, len, &again);
        if (r < 0 && r != -ENOMEM && r != -EACCES) {
                fprintf(stderr, "our own rendering does not parse: %s\n%s", memrange_ctx_get_error(ctx), text);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const enum memrange_dump_policy policies[] = {
                MEMRANGE_DUMP_KEXEC_TOOLS_X86,
                MEMRANGE_DUMP_KEXEC_TOOLS_ARM64,
                MEMRANGE_DUMP_KEXEC_TOOLS_PPC64,
                MEMRANGE_DUMP_KERNEL,
                MEMRANGE_DUMP_AUTO,
        };
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        int r;

        r = memrange_sources_read(ctx, &sources);
        if (r == -ENOMEM)
                return 0;
        if (r < 0)
                fail("memrange_sources_read", r, ctx);
        r = memrange_reconcile(ctx, sources, &table, &findings);
        if (r == -ENOMEM)
                return 0;
        if (r < 0)
                fail("memrange_reconcile", r, ctx);
        for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                check_dump_ranges(ctx, table, sources, policies[i]);
        check_rendering(ctx, table, sources);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the crash dump tests (dump ranges, ELF core header, iomem
 * rendering): a machine read from a sysroot and reconciled, and the RAM
 * PT_LOADs a capture kernel really saw (kdump-cases/NAME/vmcore-phdrs.txt). */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "crash.h"

/* Every source of a sysroot and the table reconciled from them. */
struct machine {
        struct memrange_ctx *ctx;
        struct memrange_sources *sources;
        struct memrange_table *table;
        struct memrange_findings *findings;
};

static inline void machine_load_ctx(struct machine *m, struct memrange_ctx *ctx) {
        m->ctx = ctx;
        assert_int_equal(memrange_sources_read(m->ctx, &m->sources), 0);
        assert_int_equal(memrange_reconcile(m->ctx, m->sources, &m->table, &m->findings), 0);
}

static inline void machine_load(struct machine *m, const char *fixture) {
        machine_load_ctx(m, fixture_ctx(fixture));
}

static inline void machine_done(struct machine *m) {
        memrange_findings_free(m->findings);
        memrange_table_free(m->table);
        memrange_sources_free(m->sources);
        memrange_ctx_unref(m->ctx);
        *m = (struct machine) {};
}

/* The dump ranges of @m under @policy; fails the test when they cannot be
 * computed. */
static inline struct memrange_dump_ranges *machine_dump(struct machine *m, enum memrange_dump_policy policy) {
        struct memrange_dump_ranges *d = NULL;
        int r = memrange_dump_ranges_compute(m->ctx, m->table, m->sources, policy, MEMRANGE_ARCH_UNKNOWN, &d);

        if (r < 0)
                fail_msg("policy %s: %s", memrange_dump_policy_to_name(policy),
                         memrange_ctx_get_error(m->ctx) ?: strerror(-r));
        return d;
}

/* One program header line of vmcore-phdrs.txt:
 * "PH 2 type=1 paddr=0x1000 vaddr=0xff13059740001000 memsz=0x9ec00 end=0x9fbff". */
struct vmcore_phdr {
        unsigned type;
        uint64_t paddr, vaddr, memsz, last;
};

/* Reads every program header of kdump-cases/@name/vmcore-phdrs.txt, in
 * file order, checking that each line is well formed and that end is
 * paddr + memsz - 1. Returns the count; *ret (caller frees). */
static inline size_t vmcore_phdrs_read(const char *name, struct vmcore_phdr **ret) {
        char path[512], line[512];
        struct vmcore_phdr *v = NULL;
        size_t n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s", fixture_path("kdump-cases"));
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s/vmcore-phdrs.txt", name);
        f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s", path);
        while (fgets(line, sizeof(line), f)) {
                struct vmcore_phdr ph, *bigger;
                unsigned index;

                if (sscanf(line, "PH %u type=%u paddr=%" SCNx64 " vaddr=%" SCNx64 " memsz=%" SCNx64 " end=%" SCNx64,
                           &index, &ph.type, &ph.paddr, &ph.vaddr, &ph.memsz, &ph.last) != 6)
                        fail_msg("%s: malformed line '%s'", path, line);
                assert_int_equal(index, n);
                assert_int_equal(ph.last, ph.paddr + ph.memsz - 1);
                bigger = reallocarray(v, n + 1, sizeof(*v));
                assert_non_null(bigger);
                v = bigger;
                v[n++] = ph;
        }
        fclose(f);
        assert_true(n > 0);
        *ret = v;
        return n;
}

/* The RAM PT_LOADs of a vmcore: every type=1 header but the first, which
 * maps the kernel text. Returns the count; *ret (caller frees). */
static inline size_t vmcore_ram_loads(const char *name, struct memrange_dump_range **ret) {
        struct vmcore_phdr *ph = NULL;
        struct memrange_dump_range *v;
        size_t n_ph = vmcore_phdrs_read(name, &ph), n = 0;
        bool text_seen = false;

        v = calloc(n_ph, sizeof(*v));
        assert_non_null(v);
        for (size_t i = 0; i < n_ph; i++) {
                if (ph[i].type != 1)
                        continue;
                if (!text_seen) {
                        text_seen = true;
                        continue;
                }
                v[n++] = (struct memrange_dump_range) { .start = ph[i].paddr, .end = ph[i].paddr + ph[i].memsz };
        }
        free(ph);
        *ret = v;
        return n;
}

/* Fails the test naming the first difference between the ranges (flags
 * not compared) of @d[@from...] and @want. */
static inline void assert_ranges_equal(const struct memrange_dump_range *got, size_t n_got,
                                       const struct memrange_dump_range *want, size_t n_want) {
        for (size_t i = 0; i < n_got && i < n_want; i++)
                if (got[i].start != want[i].start || got[i].end != want[i].end)
                        fail_msg("range %zu: got 0x%" PRIx64 "-0x%" PRIx64 ", want 0x%" PRIx64 "-0x%" PRIx64, i,
                                 got[i].start, got[i].end - 1, want[i].start, want[i].end - 1);
        if (n_got != n_want)
                fail_msg("got %zu ranges, want %zu", n_got, n_want);
}

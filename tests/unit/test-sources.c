/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading one source again into struct memrange_sources: the record, its
 * status and its error are replaced, the other sources stay, the crash
 * source takes the iomem held, and re-reading every source of a fixture
 * gives back the same table. */
#include <string.h>

#include "test-util.h"

#define IOMEM_INDEX 0
#define CRASH_INDEX 7

/* A small x86 machine whose crash state the tests change. */
static void crash_tree(struct scratch *s) {
        scratch_init(s);
        scratch_write(s, "proc/iomem",
                      "00000000-00000fff : Reserved\n"
                      "00001000-7fffffff : System RAM\n"
                      "  2f000000-3effffff : Crash kernel\n", (size_t) -1);
        scratch_write(s, "sys/kernel/kexec_crash_loaded", "0\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/possible", "0-1\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/cpu0/crash_notes", "3da3d800\n", (size_t) -1);
}

static struct memrange_sources *read_all(struct memrange_ctx *ctx) {
        struct memrange_sources *sources = NULL;

        assert_int_equal(memrange_sources_read(ctx, &sources), 0);
        return sources;
}

static void reread_takes_the_files_as_they_are_now(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        const struct memrange_iomem *iomem;
        struct scratch s;

        crash_tree(&s);
        ctx = scratch_ctx(&s);
        sources = read_all(ctx);
        iomem = sources->iomem;
        assert_int_equal(sources->crash->kexec_crash_loaded, 0);
        assert_int_equal(sources->crash->n_notes, 1);

        /* kdump loaded, a second CPU came up. */
        scratch_write(&s, "sys/kernel/kexec_crash_loaded", "1\n", (size_t) -1);
        scratch_write(&s, "sys/devices/system/cpu/cpu1/crash_notes", "3db3d800\n", (size_t) -1);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_CRASH), 0);
        assert_int_equal(sources->status[CRASH_INDEX], MEMRANGE_SOURCE_OK);
        assert_int_equal(sources->crash->kexec_crash_loaded, 1);
        assert_int_equal(sources->crash->n_notes, 2);
        assert_int_equal(sources->crash->notes[1].addr, 0x3db3d800);
        assert_int_equal(sources->crash->reservations.n, 1);
        assert_int_equal(sources->crash->reservations.ranges[0].start, 0x2f000000);
        /* The other sources are left as they were. */
        assert_ptr_equal(sources->iomem, iomem);
        assert_int_equal(sources->status[IOMEM_INDEX], MEMRANGE_SOURCE_OK);
        scratch_free(&s);
}

static void reread_records_a_source_that_broke_and_one_that_recovered(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct scratch s;

        crash_tree(&s);
        ctx = scratch_ctx(&s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        sources = read_all(ctx);

        scratch_write(&s, "sys/kernel/kexec_crash_loaded", "2\n", (size_t) -1);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_CRASH), 0);
        assert_int_equal(sources->status[CRASH_INDEX], MEMRANGE_SOURCE_ERROR);
        assert_null(sources->crash);
        assert_string_equal(sources->error[CRASH_INDEX],
                            "sys/kernel/kexec_crash_loaded:1: expected 0 or 1, got '2'");
        /* As after memrange_sources_read(), no error is left behind. */
        assert_null(memrange_ctx_get_error(ctx));

        scratch_write(&s, "sys/kernel/kexec_crash_loaded", "1\n", (size_t) -1);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_CRASH), 0);
        assert_int_equal(sources->status[CRASH_INDEX], MEMRANGE_SOURCE_OK);
        assert_null(sources->error[CRASH_INDEX]);
        assert_int_equal(sources->crash->kexec_crash_loaded, 1);
        scratch_free(&s);
}

/* The crash source's reservations follow the iomem @sources holds, so the
 * two never disagree; re-reading iomem first picks up a new one. */
static void reread_crash_takes_reservations_from_the_iomem_held(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct scratch s;

        crash_tree(&s);
        ctx = scratch_ctx(&s);
        sources = read_all(ctx);
        /* kexec_crash_size shrank the reservation to 128 MiB. */
        scratch_write(&s, "proc/iomem",
                      "00000000-00000fff : Reserved\n"
                      "00001000-7fffffff : System RAM\n"
                      "  2f000000-36ffffff : Crash kernel\n", (size_t) -1);

        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_CRASH), 0);
        assert_int_equal(sources->crash->reservations.ranges[0].end, 0x3f000000);

        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_IOMEM), 0);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_CRASH), 0);
        assert_int_equal(sources->crash->reservations.n, 1);
        assert_int_equal(sources->crash->reservations.ranges[0].start, 0x2f000000);
        assert_int_equal(sources->crash->reservations.ranges[0].end, 0x37000000);
        scratch_free(&s);
}

/* A source that disappeared becomes absent; one that appeared is read. */
static void reread_follows_a_source_that_came_or_went(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct scratch s;
        char path[512];

        crash_tree(&s);
        ctx = scratch_ctx(&s);
        sources = read_all(ctx);
        assert_int_equal(sources->status[1], MEMRANGE_SOURCE_ABSENT);

        scratch_write(&s, "sys/firmware/memmap/0/start", "0x0\n", (size_t) -1);
        scratch_write(&s, "sys/firmware/memmap/0/end", "0x7fffffff\n", (size_t) -1);
        scratch_write(&s, "sys/firmware/memmap/0/type", "System RAM\n", (size_t) -1);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_FIRMWARE_MEMMAP), 0);
        assert_int_equal(sources->status[1], MEMRANGE_SOURCE_OK);
        assert_int_equal(sources->memmap->n, 1);
        assert_int_equal(sources->memmap->ranges[0].end, 0x80000000);

        snprintf(path, sizeof(path), "%s/proc/iomem", s.path);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_IOMEM), 0);
        assert_int_equal(sources->status[IOMEM_INDEX], MEMRANGE_SOURCE_ABSENT);
        assert_null(sources->iomem);
        assert_null(sources->error[IOMEM_INDEX]);
        scratch_free(&s);
}

static void reread_refuses_anything_but_one_source_bit(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_all(ctx);
        const struct memrange_crash *crash = sources->crash;

        assert_int_equal(memrange_sources_reread(ctx, sources, 0), -EINVAL);
        assert_int_equal(memrange_sources_reread(ctx, sources, MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_CRASH), -EINVAL);
        assert_int_equal(memrange_sources_reread(ctx, sources, 1u << 8), -EINVAL);
        assert_int_equal(memrange_sources_reread(ctx, NULL, MEMRANGE_SRC_CRASH), -EINVAL);
        assert_int_equal(memrange_sources_reread(NULL, sources, MEMRANGE_SRC_CRASH), -EINVAL);
        assert_ptr_equal(sources->crash, crash);
}

/* Nothing changed on disk: re-reading each source in turn leaves every
 * status and the reconciled table as they were. */
static void rereading_every_source_of_a_fixture_gives_the_same_table(void **state) {
        for (const char *const *f = all_fixtures; *f; f++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(*f);
                _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_all(ctx);
                _cleanup_(memrange_table_freep) struct memrange_table *before = NULL, *after = NULL;
                _cleanup_(memrange_findings_freep) struct memrange_findings *f1 = NULL, *f2 = NULL;
                uint32_t status[8];

                print_message("%s\n", *f);
                memcpy(status, sources->status, sizeof(status));
                assert_int_equal(memrange_reconcile(ctx, sources, &before, &f1), 0);
                for (uint32_t bit = 1; bit & _MEMRANGE_SRC_ALL; bit <<= 1)
                        assert_int_equal(memrange_sources_reread(ctx, sources, bit), 0);
                assert_memory_equal(status, sources->status, sizeof(status));
                assert_int_equal(memrange_reconcile(ctx, sources, &after, &f2), 0);
                assert_same_ranges(before, after);
                assert_int_equal(f1->n, f2->n);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(reread_takes_the_files_as_they_are_now),
                cmocka_unit_test(reread_records_a_source_that_broke_and_one_that_recovered),
                cmocka_unit_test(reread_crash_takes_reservations_from_the_iomem_held),
                cmocka_unit_test(reread_follows_a_source_that_came_or_went),
                cmocka_unit_test(reread_refuses_anything_but_one_source_bit),
                cmocka_unit_test(rereading_every_source_of_a_fixture_gives_the_same_table),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

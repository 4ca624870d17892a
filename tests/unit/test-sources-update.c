/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrange_sources_update(): sources read on one fixture tree, updated
 * from the next tree of the same machine (boot -> hotplug: a hot-add;
 * hotplug -> boot: a hot-remove; hotplug -> offline: one block offline)
 * with only the memory blocks an event would name, reconcile to the
 * table a full read of the next tree gives. A failing update leaves the
 * sources as they were. */
#include <errno.h>
#include <string.h>

#include "memrange-private.h"
#include "test-util.h"

#define ALL_BUT_BLOCKS (_MEMRANGE_SRC_ALL & ~MEMRANGE_SRC_MEMORY_BLOCKS)

static struct memrange_sources *read_lean(const char *fixture) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_sources *sources = NULL;

        assert_int_equal(memrange_sources_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &sources), 0);
        return sources;
}

static void assert_same_table(const struct memrange_sources *a, const struct memrange_sources *b) {
        _cleanup_(memrange_table_freep) struct memrange_table *ta = NULL, *tb = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *fa = NULL, *fb = NULL;

        assert_int_equal(memrange_reconcile(NULL, a, &ta, &fa), 0);
        assert_int_equal(memrange_reconcile(NULL, b, &tb, &fb), 0);
        assert_same_ranges(ta, tb);
        assert_int_equal(fa->n, fb->n);
}

static void assert_same_blocks(const struct memrange_blocks *a, const struct memrange_blocks *b) {
        assert_int_equal(a->block_size, b->block_size);
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                assert_int_equal(a->blocks[i].index, b->blocks[i].index);
                assert_int_equal(a->blocks[i].state, b->blocks[i].state);
                assert_int_equal(a->blocks[i].n_nodes, b->blocks[i].n_nodes);
                for (size_t j = 0; j < a->blocks[i].n_nodes; j++)
                        assert_int_equal(a->blocks[i].nodes[j], b->blocks[i].nodes[j]);
        }
}

static void update_after_a_hot_add_equals_a_full_read(void **state) {
        static const char *const machines[] = { "x86_64-6.1-dimm", "x86_64-6.12-virtiomem" };

        for (size_t m = 0; m < ELEMENTSOF(machines); m++) {
                char boot[64], hotplug[64];
                _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL, *expected = NULL;
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
                uint64_t added[] = { 32, 33, 34, 35, 36, 37, 38, 39 };
                struct memrange_update u;
                size_t held;

                snprintf(boot, sizeof(boot), "%s/boot", machines[m]);
                snprintf(hotplug, sizeof(hotplug), "%s/hotplug", machines[m]);
                sources = read_lean(boot);
                expected = read_lean(hotplug);
                held = sources->blocks->n;
                ctx = fixture_ctx(hotplug);
                assert_int_equal(memrange_sources_update(ctx, sources, ALL_BUT_BLOCKS, added, ELEMENTSOF(added), 0,
                                                         &u),
                                 0);
                assert_int_equal(u.sources, ALL_BUT_BLOCKS);
                assert_int_equal(u.blocks_read, 8);
                assert_int_equal(u.blocks_added, expected->blocks->n - held);
                assert_int_equal(u.blocks_removed, 0);
                assert_int_equal(u.blocks_missing, 0);
                assert_null(memrange_ctx_get_error(ctx));
                assert_same_blocks(sources->blocks, expected->blocks);
                assert_same_table(sources, expected);
        }
}

static void update_after_a_hot_remove_drops_the_named_blocks(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_lean("x86_64-6.1-dimm/hotplug");
        _cleanup_(memrange_sources_freep) struct memrange_sources *expected = read_lean("x86_64-6.1-dimm/boot");
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        uint64_t removed[] = { 12, 32, 33, 34, 35, 36, 37, 38, 39 };
        struct memrange_update u;

        assert_int_equal(memrange_sources_update(ctx, sources, ALL_BUT_BLOCKS, removed, ELEMENTSOF(removed), 0, &u),
                         0);
        assert_int_equal(u.blocks_read, 0);
        assert_int_equal(u.blocks_added, 0);
        assert_int_equal(u.blocks_removed, 8);
        assert_int_equal(u.blocks_missing, 1); /* memory12: never there */
        assert_same_blocks(sources->blocks, expected->blocks);
        assert_same_table(sources, expected);
}

static void held_blocks_are_replaced_in_place(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_lean("x86_64-6.1-dimm/hotplug");
        _cleanup_(memrange_sources_freep) struct memrange_sources *expected = read_lean("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        uint64_t named[] = { 33 };
        const struct memrange_iomem *iomem = sources->iomem;
        const struct memrange_blocks *blocks = sources->blocks;
        struct memrange_update u;

        assert_int_equal(memrange_sources_update(ctx, sources, MEMRANGE_SRC_CRASH, named, 1,
                                                 MEMRANGE_UPDATE_HELD_BLOCKS, &u),
                         0);
        assert_int_equal(u.sources, MEMRANGE_SRC_CRASH);
        assert_int_equal(u.blocks_read, 1);
        assert_int_equal(u.blocks_added + u.blocks_removed + u.blocks_missing, 0);
        /* The same objects, one block changed. */
        assert_ptr_equal(sources->iomem, iomem);
        assert_ptr_equal(sources->blocks, blocks);
        assert_int_equal(sources->blocks->blocks[9].index, 33);
        assert_int_equal(sources->blocks->blocks[9].state, MEMRANGE_BLOCK_OFFLINE);
        assert_same_blocks(sources->blocks, expected->blocks);
        assert_same_table(sources, expected);
}

/* Every way to fail: the sources keep each pointer they had. */
static void a_failed_update_changes_nothing(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_lean("x86_64-6.1-dimm/boot");
        _cleanup_(memrange_sources_freep) struct memrange_sources *blockless = NULL;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ppc = fixture_ctx("ppc64le-6.1-pseries/hotplug");
        uint64_t unknown[] = { 33 }, unsorted[] = { 33, 32 }, block3[] = { 3 };
        const struct memrange_iomem *iomem = sources->iomem;
        const struct memrange_blocks *blocks = sources->blocks;
        const struct memrange_crash *crash = sources->crash;

        /* memory33 exists now, but these sources never held it. */
        assert_int_equal(memrange_sources_update(ctx, sources, MEMRANGE_SRC_CRASH, unknown, 1,
                                                 MEMRANGE_UPDATE_HELD_BLOCKS, NULL),
                         -ENOENT);
        /* 256 MiB blocks: memory3 is at another address. */
        assert_int_equal(memrange_sources_update(ppc, sources, ALL_BUT_BLOCKS, block3, 1, 0, NULL), -ESTALE);
        assert_int_equal(memrange_sources_update(ctx, sources, ALL_BUT_BLOCKS, unsorted, 2, 0, NULL), -EINVAL);
        assert_int_equal(memrange_sources_update(ctx, sources, _MEMRANGE_SRC_ALL, unknown, 1, 0, NULL), -EINVAL);
        assert_int_equal(memrange_sources_update(ctx, sources, 1u << 8, NULL, 0, 0, NULL), -EINVAL);
        assert_int_equal(memrange_sources_update(ctx, sources, 0, NULL, 1, 0, NULL), -EINVAL);
        assert_int_equal(memrange_sources_update(ctx, sources, 0, NULL, 0, 1u << 1, NULL), -EINVAL);
        assert_ptr_equal(sources->iomem, iomem);
        assert_ptr_equal(sources->blocks, blocks);
        assert_ptr_equal(sources->crash, crash);
        assert_int_equal(sources->blocks->n, 8);

        /* No blocks held: nothing to update them in. */
        blockless = read_lean("x86_64-6.1-dimm/boot");
        blockless->blocks = memrange_blocks_free(blockless->blocks);
        assert_int_equal(memrange_sources_update(ctx, blockless, 0, unknown, 1, 0, NULL), -ENODATA);
}

/* The caller never clears the context's error: each call starts clean. */
static void an_update_clears_the_error_left_before(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = read_lean("x86_64-6.1-dimm/boot");
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct memrange_update u;

        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        assert_int_equal(mr_error_at(ctx, EBADMSG, "proc/iomem", 1, "an earlier failure"), -EBADMSG);
        assert_non_null(memrange_ctx_get_error(ctx));
        assert_int_equal(memrange_sources_update(ctx, sources, MEMRANGE_SRC_CRASH, NULL, 0, 0, &u), 0);
        assert_null(memrange_ctx_get_error(ctx));
        assert_int_equal(u.blocks_read, 0);

        assert_int_equal(mr_error_at(ctx, EBADMSG, "proc/iomem", 1, "an earlier failure"), -EBADMSG);
        assert_int_equal(memrange_sources_update(ctx, sources, MEMRANGE_SRC_CRASH, (uint64_t[]) { 12 }, 1,
                                                 MEMRANGE_UPDATE_HELD_BLOCKS, NULL),
                         -ENOENT);
        assert_null(memrange_ctx_get_error(ctx));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(update_after_a_hot_add_equals_a_full_read),
                cmocka_unit_test(update_after_a_hot_remove_drops_the_named_blocks),
                cmocka_unit_test(held_blocks_are_replaced_in_place),
                cmocka_unit_test(a_failed_update_changes_nothing),
                cmocka_unit_test(an_update_clears_the_error_left_before),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

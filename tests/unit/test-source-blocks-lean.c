/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lean memory block read (MEMRANGE_READ_LEAN_BLOCKS) that memranged's
 * rebuilds use: the same blocks, states and nodes as the detailed read on
 * every fixture, the same table, none of the details, nodes from the node
 * directories, and no dependence on the attributes it skips. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "test-util.h"

#define MEM "sys/devices/system/memory"
#define NODE "sys/devices/system/node"

static void assert_no_details(const struct memrange_block *b) {
        assert_int_equal(b->online, -1);
        assert_int_equal(b->removable, -1);
        assert_int_equal(b->phys_device, -1);
        assert_null(b->valid_zones);
}

static void assert_same_block(const struct memrange_block *lean, const struct memrange_block *full) {
        assert_int_equal(lean->index, full->index);
        assert_int_equal(lean->start, full->start);
        assert_int_equal(lean->end, full->end);
        assert_int_equal(lean->state, full->state);
        assert_int_equal(lean->n_nodes, full->n_nodes);
        for (size_t k = 0; k < full->n_nodes; k++)
                assert_int_equal(lean->nodes[k], full->nodes[k]);
        assert_no_details(lean);
}

/* Compares the lean read of @fixture with the detailed one; returns the
 * number of blocks (0 when the fixture has none). */
static size_t compare_fixture(const char *fixture) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(fixture);
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *full = NULL, *lean = NULL;
        int r;

        r = memrange_blocks_read(ctx, &full);
        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &lean), r);
        if (r == -ENOENT)
                return 0;
        assert_int_equal(r, 0);
        assert_int_equal(full->read_flags, 0);
        assert_int_equal(lean->read_flags, MEMRANGE_READ_LEAN_BLOCKS);
        assert_int_equal(lean->block_size, full->block_size);
        assert_int_equal(lean->crash_hotplug, full->crash_hotplug);
        if (full->auto_online_blocks)
                assert_string_equal(lean->auto_online_blocks, full->auto_online_blocks);
        else
                assert_null(lean->auto_online_blocks);
        assert_int_equal(lean->n, full->n);
        for (size_t i = 0; i < full->n; i++) {
                assert_same_block(&lean->blocks[i], &full->blocks[i]);
                /* Every fixture's blocks have their details: the lean read
                 * really left something out. */
                assert_int_not_equal(full->blocks[i].online, -1);
                assert_non_null(full->blocks[i].valid_zones);
                assert_int_equal(full->blocks[i].n_nodes, 1);
        }
        return full->n;
}

static void lean_and_detailed_agree_on_every_fixture(void **state) {
        size_t with_blocks = 0, blocks = 0;

        for (size_t i = 0; all_fixtures[i]; i++) {
                size_t n = compare_fixture(all_fixtures[i]);

                with_blocks += n > 0;
                blocks += n;
        }
        /* All 12 sysroots hold blocks: 8 + 16 + 16 (dimm), 12 + 16
         * (virtiomem), 16 (arm64), 8 + 12 (ppc64le), 192 (microvm),
         * 3 * 16 (the kdump cases). */
        assert_int_equal(with_blocks, 12);
        assert_int_equal(blocks, 8 + 16 + 16 + 12 + 16 + 16 + 8 + 12 + 192 + 3 * 16);
}

static void lean_read_of_the_offline_dimm_fixture(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;

        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &blocks), 0);
        assert_int_equal(blocks->block_size, 0x8000000);
        assert_int_equal(blocks->n, 16);
        for (size_t i = 0; i < 16; i++) {
                const struct memrange_block *b = &blocks->blocks[i];
                uint64_t index = i < 8 ? i : 32 + (i - 8);

                assert_int_equal(b->index, index);
                assert_int_equal(b->start, index * 0x8000000);
                assert_int_equal(b->state, index == 33 ? MEMRANGE_BLOCK_OFFLINE : MEMRANGE_BLOCK_ONLINE);
                assert_int_equal(b->n_nodes, 1);
                assert_int_equal(b->nodes[0], 0);
                assert_no_details(b);
        }
}

/* Tables of the lean and the detailed sources are the same record for
 * record, with the same findings: the daemon's rebuilds lose nothing. */
static void lean_sources_reconcile_to_the_same_table(void **state) {
        size_t compared = 0;

        for (size_t i = 0; all_fixtures[i]; i++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(all_fixtures[i]);
                _cleanup_(memrange_sources_freep) struct memrange_sources *full = NULL, *lean = NULL;
                _cleanup_(memrange_table_freep) struct memrange_table *t_full = NULL, *t_lean = NULL;
                _cleanup_(memrange_findings_freep) struct memrange_findings *f_full = NULL, *f_lean = NULL;
                const struct memrange *a, *b;

                assert_int_equal(memrange_sources_read(ctx, &full), 0);
                assert_int_equal(memrange_sources_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &lean), 0);
                assert_int_equal(lean->read_flags, MEMRANGE_READ_LEAN_BLOCKS);
                assert_memory_equal(lean->status, full->status, sizeof(full->status));
                if (memrange_reconcile(ctx, full, &t_full, &f_full) < 0)
                        continue;
                assert_int_equal(memrange_reconcile(ctx, lean, &t_lean, &f_lean), 0);
                assert_int_equal(memrange_table_count(t_lean), memrange_table_count(t_full));
                for (a = memrange_table_first(t_full), b = memrange_table_first(t_lean); a && b;
                     a = memrange_table_next(t_full, a), b = memrange_table_next(t_lean, b))
                        assert_memory_equal(a, b, sizeof(*a));
                assert_int_equal(f_lean->n, f_full->n);
                for (size_t k = 0; k < f_full->n; k++)
                        assert_string_equal(f_lean->items[k].message, f_full->items[k].message);
                compared++;
        }
        assert_true(compared >= 12);
}

static void sources_reread_keeps_the_blocks_lean(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;

        assert_int_equal(memrange_sources_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &s), 0);
        assert_int_equal(memrange_sources_reread(ctx, s, MEMRANGE_SRC_MEMORY_BLOCKS), 0);
        assert_int_equal(s->blocks->read_flags, MEMRANGE_READ_LEAN_BLOCKS);
        assert_int_equal(s->blocks->n, 16);
        assert_no_details(&s->blocks->blocks[15]);
        assert_int_equal(s->blocks->blocks[15].n_nodes, 1);
        assert_int_equal(s->blocks->blocks[15].nodes[0], 0);
}

static void single_block_lean_read_lists_its_own_nodes(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_block_clear) struct memrange_block b = {};

        assert_int_equal(memrange_block_read_flags(ctx, 0x8000000, 33, MEMRANGE_READ_LEAN_BLOCKS, &b), 0);
        assert_int_equal(b.index, 33);
        assert_int_equal(b.start, 0x108000000);
        assert_int_equal(b.end, 0x110000000);
        assert_int_equal(b.state, MEMRANGE_BLOCK_OFFLINE);
        assert_int_equal(b.n_nodes, 1);
        assert_int_equal(b.nodes[0], 0);
        assert_no_details(&b);
        assert_int_equal(memrange_block_read_flags(ctx, 0x8000000, 12, MEMRANGE_READ_LEAN_BLOCKS, &b), -ENOENT);
}

/* The single attributes a lean read adds (what memrangectl blocks shows,
 * as lsmem): each equals the detailed read's, the others stay unread. */
static void assert_lean_extras(const struct memrange_block *b, const struct memrange_block *full, uint32_t flags) {
        assert_int_equal(b->state, full->state);
        assert_int_equal(b->removable, flags & MEMRANGE_READ_BLOCK_REMOVABLE ? full->removable : -1);
        assert_int_equal(b->online, flags & MEMRANGE_READ_BLOCK_ONLINE ? full->online : -1);
        if (flags & MEMRANGE_READ_BLOCK_ZONES)
                assert_string_equal(b->valid_zones, full->valid_zones);
        else
                assert_null(b->valid_zones);
        assert_int_equal(b->phys_device, -1);
}

static void lean_read_adds_the_attributes_asked_for(void **state) {
        static const uint32_t extras[] = {
                MEMRANGE_READ_BLOCK_REMOVABLE,
                MEMRANGE_READ_BLOCK_ZONES,
                MEMRANGE_READ_BLOCK_ONLINE,
                MEMRANGE_READ_BLOCK_REMOVABLE | MEMRANGE_READ_BLOCK_ZONES | MEMRANGE_READ_BLOCK_ONLINE,
        };
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *full = NULL;

        assert_int_equal(memrange_blocks_read(ctx, &full), 0);
        for (size_t e = 0; e < ELEMENTSOF(extras); e++) {
                uint32_t flags = MEMRANGE_READ_LEAN_BLOCKS | extras[e];
                _cleanup_(memrange_blocks_freep) struct memrange_blocks *lean = NULL;
                _cleanup_(memrange_block_clear) struct memrange_block one = {};

                /* Under the memory directory, nodes from the node directories. */
                assert_int_equal(memrange_blocks_read_flags(ctx, flags, &lean), 0);
                assert_int_equal(lean->n, full->n);
                for (size_t i = 0; i < full->n; i++)
                        assert_lean_extras(&lean->blocks[i], &full->blocks[i], flags);
                /* From the block's own directory (block 33: offline, two zones). */
                assert_int_equal(memrange_block_read_flags(ctx, 0x8000000, 33, flags, &one), 0);
                assert_lean_extras(&one, mr_blocks_find(full, 33), flags);
                assert_int_equal(one.n_nodes, 1);
        }
        /* Without the lean flag they add nothing: everything is read. */
        {
                _cleanup_(memrange_blocks_freep) struct memrange_blocks *detailed = NULL;

                assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_BLOCK_ZONES, &detailed), 0);
                assert_int_equal(detailed->blocks[8].phys_device, full->blocks[8].phys_device);
                assert_int_equal(detailed->blocks[8].online, full->blocks[8].online);
        }
}

static void unknown_read_flags_are_refused(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct memrange_blocks *blocks = NULL;
        struct memrange_sources *sources = NULL;
        struct memrange_block b = {};

        assert_int_equal(memrange_blocks_read_flags(ctx, 1u << 4, &blocks), -EINVAL);
        assert_int_equal(memrange_sources_read_flags(ctx, 1u << 4, &sources), -EINVAL);
        assert_int_equal(memrange_block_read_flags(ctx, 0x8000000, 0, 1u << 4, &b), -EINVAL);
        assert_null(blocks);
        assert_null(sources);
}

/* A machine of three blocks on two nodes; memory1 is listed under no node
 * directory although its own node1 entry names node 1. */
static struct memrange_ctx *write_two_node_machine(struct scratch *sc, bool with_node_dir) {
        scratch_init(sc);
        scratch_write(sc, MEM "/block_size_bytes", "8000000\n", (size_t) -1);
        for (int i = 0; i < 3; i++) {
                char path[128], node[128];

                snprintf(path, sizeof(path), MEM "/memory%d/state", i);
                scratch_write(sc, path, i == 2 ? "offline\n" : "online\n", (size_t) -1);
                snprintf(path, sizeof(path), MEM "/memory%d/phys_index", i);
                scratch_write(sc, path, i == 0 ? "00000000\n" : i == 1 ? "00000001\n" : "00000002\n",
                              (size_t) -1);
                snprintf(node, sizeof(node), "../../node/node%d", i == 0 ? 0 : 1);
                snprintf(path, sizeof(path), MEM "/memory%d/node%d", i, i == 0 ? 0 : 1);
                scratch_symlink(sc, node, path);
        }
        if (with_node_dir) {
                scratch_symlink(sc, "../../memory/memory0", NODE "/node0/memory0");
                scratch_symlink(sc, "../../memory/memory2", NODE "/node1/memory2");
                /* A link to a block the memory directory does not list. */
                scratch_symlink(sc, "../../memory/memory7", NODE "/node1/memory7");
        }
        return scratch_ctx(sc);
}

static void lean_nodes_come_from_the_node_directories(void **state) {
        struct scratch sc;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = write_two_node_machine(&sc, true);
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *lean = NULL, *full = NULL;

        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &lean), 0);
        assert_int_equal(lean->n, 3);
        assert_int_equal(lean->blocks[0].n_nodes, 1);
        assert_int_equal(lean->blocks[0].nodes[0], 0);
        /* Only the node directories count: memory1's own node1 is not read. */
        assert_int_equal(lean->blocks[1].n_nodes, 0);
        assert_null(lean->blocks[1].nodes);
        assert_int_equal(lean->blocks[2].n_nodes, 1);
        assert_int_equal(lean->blocks[2].nodes[0], 1);
        assert_int_equal(lean->blocks[2].state, MEMRANGE_BLOCK_OFFLINE);

        /* The detailed read lists each block's own entries. */
        assert_int_equal(memrange_blocks_read(ctx, &full), 0);
        assert_int_equal(full->blocks[1].n_nodes, 1);
        assert_int_equal(full->blocks[1].nodes[0], 1);
        scratch_free(&sc);
}

static void lean_without_node_directory_lists_each_block(void **state) {
        struct scratch sc;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = write_two_node_machine(&sc, false);
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *lean = NULL;

        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &lean), 0);
        assert_int_equal(lean->n, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(lean->blocks[i].n_nodes, 1);
                assert_int_equal(lean->blocks[i].nodes[0], i == 0 ? 0 : 1);
                assert_no_details(&lean->blocks[i]);
        }
        scratch_free(&sc);
}

/* The lean read opens nothing but state: attributes the detailed read
 * refuses do not stop it. A bad state still does, naming the file. */
static void lean_read_needs_only_a_good_state(void **state) {
        struct scratch sc;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = write_two_node_machine(&sc, true);
        struct memrange_blocks *blocks = NULL;

        scratch_write(&sc, MEM "/memory1/phys_index", "00000009\n", (size_t) -1);
        scratch_write(&sc, MEM "/memory1/valid_zones", "Normal\nMovable\n", (size_t) -1);
        assert_int_equal(memrange_blocks_read(ctx, &blocks), -EBADMSG);
        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &blocks), 0);
        assert_int_equal(blocks->n, 3);
        blocks = memrange_blocks_free(blocks);

        scratch_write(&sc, MEM "/memory2/state", "onlin\n", (size_t) -1);
        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &blocks), -EBADMSG);
        assert_null(blocks);
        assert_string_equal(memrange_ctx_get_error(ctx), MEM "/memory2/state: unknown state 'onlin'");
        scratch_free(&sc);
}

static void lean_read_skips_a_block_without_state(void **state) {
        struct scratch sc;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = write_two_node_machine(&sc, true);
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        char path[512];

        /* Hot-remove between the listing and the read: the block's files
         * go first. */
        snprintf(path, sizeof(path), "%s/" MEM "/memory2/state", sc.path);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(memrange_blocks_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &blocks), 0);
        assert_int_equal(blocks->n, 2);
        assert_int_equal(blocks->blocks[1].index, 1);
        scratch_free(&sc);
}

/* The daemon's layout rebuild reads only the blocks events named: the
 * ones on disk, in order, with their nodes from the node directories; a
 * named block that is not there is left out without counting as vanished
 * (after a remove that is expected). */
static void reading_named_blocks_leaves_out_those_not_on_disk(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_numa_freep) struct memrange_numa *numa = NULL;
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL, *none = NULL;
        const uint64_t named[] = { 3, 12, 33 }, unsorted[] = { 33, 3 }, repeated[] = { 3, 3 };
        unsigned vanished = mr_vanished_count(ctx);

        assert_int_equal(memrange_numa_read(ctx, &numa), 0);
        assert_int_equal(mr_blocks_read_indices(ctx, MEMRANGE_READ_LEAN_BLOCKS, numa, named, 3, &blocks), 0);
        assert_int_equal(blocks->block_size, 0x8000000);
        assert_int_equal(blocks->read_flags, MEMRANGE_READ_LEAN_BLOCKS);
        assert_int_equal(blocks->n, 2);
        assert_int_equal(blocks->blocks[0].index, 3);
        assert_int_equal(blocks->blocks[0].start, 0x18000000);
        assert_int_equal(blocks->blocks[0].state, MEMRANGE_BLOCK_ONLINE);
        assert_int_equal(blocks->blocks[1].index, 33);
        assert_int_equal(blocks->blocks[1].start, 0x108000000);
        assert_int_equal(blocks->blocks[1].end, 0x110000000);
        assert_int_equal(blocks->blocks[1].state, MEMRANGE_BLOCK_OFFLINE);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(blocks->blocks[i].n_nodes, 1);
                assert_int_equal(blocks->blocks[i].nodes[0], 0);
                assert_no_details(&blocks->blocks[i]);
        }
        assert_int_equal(mr_vanished_count(ctx), vanished);

        assert_int_equal(mr_blocks_read_indices(ctx, MEMRANGE_READ_LEAN_BLOCKS, numa, unsorted, 2, &none), -EINVAL);
        assert_int_equal(mr_blocks_read_indices(ctx, MEMRANGE_READ_LEAN_BLOCKS, numa, repeated, 2, &none), -EINVAL);
        assert_null(none);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lean_and_detailed_agree_on_every_fixture),
                cmocka_unit_test(lean_read_of_the_offline_dimm_fixture),
                cmocka_unit_test(lean_sources_reconcile_to_the_same_table),
                cmocka_unit_test(sources_reread_keeps_the_blocks_lean),
                cmocka_unit_test(single_block_lean_read_lists_its_own_nodes),
                cmocka_unit_test(lean_read_adds_the_attributes_asked_for),
                cmocka_unit_test(unknown_read_flags_are_refused),
                cmocka_unit_test(lean_nodes_come_from_the_node_directories),
                cmocka_unit_test(lean_without_node_directory_lists_each_block),
                cmocka_unit_test(lean_read_needs_only_a_good_state),
                cmocka_unit_test(lean_read_skips_a_block_without_state),
                cmocka_unit_test(reading_named_blocks_leaves_out_those_not_on_disk),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

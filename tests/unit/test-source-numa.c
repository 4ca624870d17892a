/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/devices/system/node reader: fixture nodes, multi-node scratch trees,
 * malformed id lists. */
#include <stdio.h>
#include <string.h>

#include "test-util.h"

#define NODE "sys/devices/system/node"

static void assert_idset(const struct memrange_idset *set, size_t n, const unsigned *ids) {
        assert_int_equal(set->n, n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(set->ids[i], ids[i]);
}

static const unsigned only_0[] = { 0 };
static const unsigned cpus_0_1[] = { 0, 1 };

/* Per fixture: node0's memory blocks as the ranges [lo, hi] listed, by hand
 * from the node0/memoryN entries. Every fixture has one node, CPUs 0-1. */
static const struct {
        const char *fixture;
        size_t n_blocks;
        uint64_t lo1, hi1, lo2, hi2; /* hi2 < lo2: no second range */
} numa_summaries[] = {
        { "x86_64-6.1-dimm/boot", 8, 0, 7, 1, 0 },
        { "x86_64-6.1-dimm/hotplug", 16, 0, 7, 32, 39 },
        { "x86_64-6.1-dimm/offline", 16, 0, 7, 32, 39 },
        { "x86_64-6.12-virtiomem/boot", 12, 0, 7, 32, 35 },
        { "x86_64-6.12-virtiomem/hotplug", 16, 0, 7, 32, 39 },
        { "arm64-6.12-virt/boot", 16, 8, 23, 1, 0 },
        { "ppc64le-6.1-pseries/boot", 8, 0, 7, 1, 0 },
        { "ppc64le-6.1-pseries/hotplug", 12, 0, 11, 1, 0 },
        { "x86_64-6.18-microvm/boot", 192, 0, 23, 32, 199 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 16, 0, 7, 32, 39 },
        { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 16, 0, 7, 32, 39 },
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 16, 0, 7, 32, 39 },
};

static void every_fixture_has_node0_with_its_blocks(void **state) {
        size_t n_fixtures = 0;

        while (all_fixtures[n_fixtures])
                n_fixtures++;
        assert_int_equal(n_fixtures, ELEMENTSOF(numa_summaries));

        for (size_t f = 0; f < ELEMENTSOF(numa_summaries); f++) {
                struct memrange_ctx *ctx = fixture_ctx(all_fixtures[f]);
                struct memrange_numa *numa = NULL;
                const struct memrange_numa_node *node;
                size_t k = 0;

                assert_string_equal(all_fixtures[f], numa_summaries[f].fixture);
                assert_int_equal(memrange_numa_read(ctx, &numa), 0);
                assert_idset(&numa->possible, 1, only_0);
                assert_idset(&numa->online, 1, only_0);
                assert_idset(&numa->has_memory, 1, only_0);
                assert_int_equal(numa->n, 1);
                node = &numa->nodes[0];
                assert_int_equal(node->nid, 0);
                assert_idset(&node->cpus, 2, cpus_0_1);
                assert_int_equal(node->n_blocks, numa_summaries[f].n_blocks);
                for (uint64_t b = numa_summaries[f].lo1; b <= numa_summaries[f].hi1; b++)
                        assert_int_equal(node->blocks[k++], b);
                for (uint64_t b = numa_summaries[f].lo2; b <= numa_summaries[f].hi2; b++)
                        assert_int_equal(node->blocks[k++], b);
                assert_int_equal(k, node->n_blocks);
                memrange_numa_free(numa);
                memrange_ctx_unref(ctx);
        }
}

/* Hot-added blocks show up as new node0/memoryN entries. */
static void dimm_hotplug_links_blocks_32_to_39_to_node0(void **state) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        struct memrange_numa *numa = NULL;

        assert_int_equal(memrange_numa_read(ctx, &numa), 0);
        assert_int_equal(numa->nodes[0].n_blocks, 16);
        assert_int_equal(numa->nodes[0].blocks[7], 7);
        assert_int_equal(numa->nodes[0].blocks[8], 32);
        assert_int_equal(numa->nodes[0].blocks[15], 39);
        memrange_numa_free(numa);
        memrange_ctx_unref(ctx);
}

static void write_file(struct scratch *s, const char *path, const char *text) {
        scratch_write(s, path, text, (size_t) -1);
}

/* Four nodes, one memoryless, links in both forms, numbers that sort
 * differently as text. */
static void scratch_numa(struct scratch *s) {
        scratch_init(s);
        write_file(s, NODE "/possible", "0-3,10\n");
        write_file(s, NODE "/online", "0-2,10\n");
        write_file(s, NODE "/has_memory", "0-1,10\n");
        write_file(s, NODE "/has_cpu", "0-1\n");
        write_file(s, NODE "/node0/cpulist", "0-1\n");
        write_file(s, NODE "/node0/memory2", "../../memory/memory2");
        write_file(s, NODE "/node0/memory10", "../../memory/memory10");
        write_file(s, NODE "/node0/memory9", "../../memory/memory9");
        write_file(s, NODE "/node0/meminfo", "Node 0 MemTotal: 1 kB\n");
        scratch_symlink(s, "../../memory/memory32", NODE "/node1/memory32");
        scratch_symlink(s, "../../memory/memory33", NODE "/node1/memory33");
        write_file(s, NODE "/node1/cpulist", "2-3,6\n");
        write_file(s, NODE "/node2/cpulist", "\n");
        write_file(s, NODE "/node10/cpulist", "\n");
        write_file(s, NODE "/node10/memory100", "../../memory/memory100");
        scratch_mkdir(s, NODE "/power");
}

static void multi_node_tree_is_read_in_numeric_order(void **state) {
        static const unsigned possible[] = { 0, 1, 2, 3, 10 }, online[] = { 0, 1, 2, 10 },
                              has_memory[] = { 0, 1, 10 }, cpus1[] = { 2, 3, 6 };
        struct memrange_numa *numa = NULL;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_numa(&s);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_numa_read(ctx, &numa), 0);
        assert_idset(&numa->possible, 5, possible);
        assert_idset(&numa->online, 4, online);
        assert_idset(&numa->has_memory, 3, has_memory);
        assert_int_equal(numa->n, 4);

        assert_int_equal(numa->nodes[0].nid, 0);
        assert_idset(&numa->nodes[0].cpus, 2, cpus_0_1);
        assert_int_equal(numa->nodes[0].n_blocks, 3);
        assert_int_equal(numa->nodes[0].blocks[0], 2);
        assert_int_equal(numa->nodes[0].blocks[1], 9);
        assert_int_equal(numa->nodes[0].blocks[2], 10);

        assert_int_equal(numa->nodes[1].nid, 1);
        assert_idset(&numa->nodes[1].cpus, 3, cpus1);
        assert_int_equal(numa->nodes[1].n_blocks, 2);
        assert_int_equal(numa->nodes[1].blocks[0], 32);
        assert_int_equal(numa->nodes[1].blocks[1], 33);

        assert_int_equal(numa->nodes[2].nid, 2);
        assert_int_equal(numa->nodes[2].cpus.n, 0);
        assert_int_equal(numa->nodes[2].n_blocks, 0);

        assert_int_equal(numa->nodes[3].nid, 10);
        assert_int_equal(numa->nodes[3].n_blocks, 1);
        assert_int_equal(numa->nodes[3].blocks[0], 100);
        memrange_numa_free(numa);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void missing_masks_read_as_empty_sets(void **state) {
        struct memrange_numa *numa = NULL;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        write_file(&s, NODE "/node0/memory0", "../../memory/memory0");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_numa_read(ctx, &numa), 0);
        assert_int_equal(numa->possible.n, 0);
        assert_int_equal(numa->online.n, 0);
        assert_int_equal(numa->has_memory.n, 0);
        assert_int_equal(numa->n, 1);
        assert_int_equal(numa->nodes[0].cpus.n, 0);
        assert_int_equal(numa->nodes[0].n_blocks, 1);
        memrange_numa_free(numa);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void vanished_node_is_skipped(void **state) {
        struct memrange_numa *numa = NULL;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_numa(&s);
        scratch_symlink(&s, "../../../gone/node5", NODE "/node5");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_numa_read(ctx, &numa), 0);
        assert_int_equal(numa->n, 4);
        assert_int_equal(numa->nodes[3].nid, 10);
        memrange_numa_free(numa);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void missing_directory_is_enoent(void **state) {
        struct memrange_numa *sentinel = (struct memrange_numa *) 0x1, *numa = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_mkdir(&s, "sys/devices/system/memory");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_numa_read(ctx, &numa), -ENOENT);
        assert_ptr_equal(numa, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

/* Writes @len bytes of @text over @path in the scratch NUMA tree; the read
 * must fail with -@err and an error starting with @path. */
static void assert_rejected(const char *path, const char *text, size_t len, int err, const char *words) {
        struct memrange_numa *sentinel = (struct memrange_numa *) 0x1, *numa = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;
        const char *msg;
        int r;

        scratch_numa(&s);
        scratch_write(&s, path, text, len);
        ctx = scratch_ctx(&s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        r = memrange_numa_read(ctx, &numa);
        msg = memrange_ctx_get_error(ctx) ?: "";
        if (r != -err || strncmp(msg, path, strlen(path)) != 0 || msg[strlen(path)] != ':' ||
            !strstr(msg, words))
                fail_msg("got %d '%s', expected %d '%s: ...%s'", r, msg, -err, path, words);
        assert_ptr_equal(numa, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

#define REJECT(path, text, err, words) assert_rejected(path, text, sizeof(text) - 1, err, words)

static void malformed_id_lists_are_rejected(void **state) {
        REJECT(NODE "/possible", "0-\n", EBADMSG, "bad id list '0-'");
        REJECT(NODE "/online", "3-1\n", ERANGE, "out of order or too large in '3-1'");
        REJECT(NODE "/online", "0-99999999\n", ERANGE, "too large");
        REJECT(NODE "/has_memory", "0,,1\n", EBADMSG, "bad id list");
        REJECT(NODE "/has_memory", "1,0\n", EBADMSG, "bad id list");
        REJECT(NODE "/node1/cpulist", "a\n", EBADMSG, "bad id list 'a'");
        REJECT(NODE "/node1/cpulist", " 2-3\n", EBADMSG, "bad id list");
}

static void binary_junk_is_rejected(void **state) {
        REJECT(NODE "/node1/cpulist", "2-3\0\n", EBADMSG, "control character 0x00 at byte 4");
        REJECT(NODE "/possible", "0\n1\n", EBADMSG, "control character 0x0a");
        REJECT(NODE "/online", "\x7f\x45\x4c\x46", EBADMSG, "control character 0x7f at byte 1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_fixture_has_node0_with_its_blocks),
                cmocka_unit_test(dimm_hotplug_links_blocks_32_to_39_to_node0),
                cmocka_unit_test(multi_node_tree_is_read_in_numeric_order),
                cmocka_unit_test(missing_masks_read_as_empty_sets),
                cmocka_unit_test(vanished_node_is_skipped),
                cmocka_unit_test(missing_directory_is_enoent),
                cmocka_unit_test(malformed_id_lists_are_rejected),
                cmocka_unit_test(binary_junk_is_rejected),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

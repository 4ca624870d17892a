/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/devices/system/memory reader: fixture blocks, single-block re-reads,
 * hotplug races and malformed attributes. */
#include <stdio.h>
#include <string.h>

#include "test-util.h"

#define MEM "sys/devices/system/memory"

static struct memrange_blocks *read_fixture(const char *fixture) {
        struct memrange_ctx *ctx = fixture_ctx(fixture);
        struct memrange_blocks *blocks = NULL;

        assert_int_equal(memrange_blocks_read(ctx, &blocks), 0);
        assert_non_null(blocks);
        memrange_ctx_unref(ctx);
        return blocks;
}

static const struct memrange_block *find_block(const struct memrange_blocks *blocks, uint64_t index) {
        for (size_t i = 0; i < blocks->n; i++)
                if (blocks->blocks[i].index == index)
                        return &blocks->blocks[i];
        fail_msg("no memory%llu", (unsigned long long) index);
        return NULL;
}

static void assert_block(const struct memrange_block *b, uint64_t start, uint64_t end, uint32_t state,
                         int online, const char *valid_zones, int32_t node) {
        assert_int_equal(b->start, start);
        assert_int_equal(b->end, end);
        assert_int_equal(b->state, state);
        assert_int_equal(b->online, online);
        assert_int_equal(b->removable, 1);
        assert_int_equal(b->phys_device, 0);
        assert_non_null(b->valid_zones);
        assert_string_equal(b->valid_zones, valid_zones);
        assert_int_equal(b->n_nodes, 1);
        assert_int_equal(b->nodes[0], node);
}

static void dimm_hotplug_adds_blocks_32_to_39(void **state) {
        struct memrange_blocks *blocks = read_fixture("x86_64-6.1-dimm/hotplug");

        assert_int_equal(blocks->block_size, 0x8000000);
        assert_string_equal(blocks->auto_online_blocks, "offline");
        assert_int_equal(blocks->crash_hotplug, -1);
        assert_int_equal(blocks->n, 16);
        for (size_t i = 0; i < 8; i++)
                assert_int_equal(blocks->blocks[i].index, i);
        for (size_t i = 8; i < 16; i++) {
                assert_int_equal(blocks->blocks[i].index, 32 + (i - 8));
                assert_block(&blocks->blocks[i], 0x100000000 + (i - 8) * 0x8000000,
                             0x108000000 + (i - 8) * 0x8000000, MEMRANGE_BLOCK_ONLINE, 1, "Normal", 0);
        }
        assert_block(&blocks->blocks[0], 0x0, 0x8000000, MEMRANGE_BLOCK_ONLINE, 1, "none", 0);
        assert_block(&blocks->blocks[7], 0x38000000, 0x40000000, MEMRANGE_BLOCK_ONLINE, 1, "DMA32", 0);
        memrange_blocks_free(blocks);
}

static void dimm_offline_has_memory33_offline(void **state) {
        struct memrange_blocks *blocks = read_fixture("x86_64-6.1-dimm/offline");

        assert_int_equal(blocks->n, 16);
        assert_block(find_block(blocks, 33), 0x108000000, 0x110000000, MEMRANGE_BLOCK_OFFLINE, 0,
                     "Normal Movable", 0);
        for (size_t i = 0; i < blocks->n; i++)
                if (blocks->blocks[i].index != 33) {
                        assert_int_equal(blocks->blocks[i].state, MEMRANGE_BLOCK_ONLINE);
                        assert_int_equal(blocks->blocks[i].online, 1);
                }
        memrange_blocks_free(blocks);
}

/* lsmem's summary of the offline fixture: 15 blocks online, memory33
 * offline; a going-offline block is not online any more. */
static void blocks_totals_count_online_and_the_rest(void **state) {
        struct memrange_blocks *blocks = read_fixture("x86_64-6.1-dimm/offline");
        uint64_t online = 1, offline = 1;

        memrange_blocks_totals(blocks, &online, &offline);
        assert_int_equal(online, 15 * 0x8000000ull);
        assert_int_equal(offline, 0x8000000);

        blocks->blocks[0].state = MEMRANGE_BLOCK_GOING_OFFLINE;
        memrange_blocks_totals(blocks, &online, &offline);
        assert_int_equal(online, 14 * 0x8000000ull);
        assert_int_equal(offline, 2 * 0x8000000ull);
        memrange_blocks_free(blocks);

        memrange_blocks_totals(NULL, &online, &offline);
        assert_int_equal(online, 0);
        assert_int_equal(offline, 0);
}

static void block_read_rereads_one_block(void **state) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        struct memrange_block b = { .index = 999 };

        assert_int_equal(memrange_block_read(ctx, 0x8000000, 33, &b), 0);
        assert_int_equal(b.index, 33);
        assert_block(&b, 0x108000000, 0x110000000, MEMRANGE_BLOCK_OFFLINE, 0, "Normal Movable", 0);
        memrange_block_clear(&b);
        assert_null(b.valid_zones);
        assert_null(b.nodes);

        assert_int_equal(memrange_block_read(ctx, 0x8000000, 34, &b), 0);
        assert_block(&b, 0x110000000, 0x118000000, MEMRANGE_BLOCK_ONLINE, 1, "Normal", 0);
        memrange_block_clear(&b);

        /* No memory8 on this machine: -ENOENT, output untouched. */
        b.index = 777;
        assert_int_equal(memrange_block_read(ctx, 0x8000000, 8, &b), -ENOENT);
        assert_int_equal(b.index, 777);
        assert_int_equal(memrange_block_read(ctx, 0x6000000, 33, &b), -EINVAL);
        assert_int_equal(memrange_block_read(ctx, 0, 33, &b), -EINVAL);
        assert_int_equal(b.index, 777);
        memrange_ctx_unref(ctx);
}

static void ppc64le_blocks_are_256_mib(void **state) {
        struct memrange_blocks *blocks = read_fixture("ppc64le-6.1-pseries/hotplug");

        assert_int_equal(blocks->block_size, 0x10000000);
        assert_int_equal(blocks->n, 12);
        assert_block(&blocks->blocks[11], 0xb0000000, 0xc0000000, MEMRANGE_BLOCK_ONLINE, 1, "Normal", 0);
        assert_block(&blocks->blocks[8], 0x80000000, 0x90000000, MEMRANGE_BLOCK_ONLINE, 1, "Normal", 0);
        memrange_blocks_free(blocks);
}

static void arm64_blocks_start_at_one_gib(void **state) {
        struct memrange_blocks *blocks = read_fixture("arm64-6.12-virt/boot");

        assert_int_equal(blocks->n, 16);
        assert_int_equal(blocks->blocks[0].index, 8);
        assert_block(&blocks->blocks[0], 0x40000000, 0x48000000, MEMRANGE_BLOCK_ONLINE, 1, "DMA", 0);
        assert_block(&blocks->blocks[15], 0xb8000000, 0xc0000000, MEMRANGE_BLOCK_ONLINE, 1, "DMA", 0);
        assert_string_equal(blocks->auto_online_blocks, "online");
        memrange_blocks_free(blocks);
}

static void microvm_has_192_blocks_sorted_numerically(void **state) {
        struct memrange_blocks *blocks = read_fixture("x86_64-6.18-microvm/boot");
        unsigned none = 0;

        assert_int_equal(blocks->n, 192);
        for (size_t i = 0; i < 24; i++)
                assert_int_equal(blocks->blocks[i].index, i);
        for (size_t i = 24; i < 192; i++)
                assert_int_equal(blocks->blocks[i].index, 32 + (i - 24));
        for (size_t i = 0; i < blocks->n; i++)
                if (strcmp(blocks->blocks[i].valid_zones, "none") == 0) {
                        assert_int_equal(blocks->blocks[i].index, 0);
                        none++;
                }
        assert_int_equal(none, 1);
        assert_block(&blocks->blocks[191], 0x638000000, 0x640000000, MEMRANGE_BLOCK_ONLINE, 1, "Normal", 0);
        assert_block(&blocks->blocks[23], 0xb8000000, 0xc0000000, MEMRANGE_BLOCK_ONLINE, 1, "DMA32", 0);
        memrange_blocks_free(blocks);
}

/* Per fixture, by hand from the files. */
static const struct {
        const char *fixture;
        uint64_t block_size;
        const char *auto_online;
        int crash_hotplug;
        size_t n;
        uint64_t first, last;
        unsigned n_offline;
} block_summaries[] = {
        { "x86_64-6.1-dimm/boot", 0x8000000, "offline", -1, 8, 0, 7, 0 },
        { "x86_64-6.1-dimm/hotplug", 0x8000000, "offline", -1, 16, 0, 39, 0 },
        { "x86_64-6.1-dimm/offline", 0x8000000, "offline", -1, 16, 0, 39, 1 },
        { "x86_64-6.12-virtiomem/boot", 0x8000000, "online", 0, 12, 0, 35, 0 },
        { "x86_64-6.12-virtiomem/hotplug", 0x8000000, "online", 0, 16, 0, 39, 0 },
        { "arm64-6.12-virt/boot", 0x8000000, "online", -1, 16, 8, 23, 0 },
        { "ppc64le-6.1-pseries/boot", 0x10000000, "offline", -1, 8, 0, 7, 0 },
        { "ppc64le-6.1-pseries/hotplug", 0x10000000, "offline", -1, 12, 0, 11, 0 },
        { "x86_64-6.18-microvm/boot", 0x8000000, "offline", -1, 192, 0, 199, 0 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 0x8000000, "offline", -1, 16, 0, 39, 0 },
        { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 0x8000000, "offline", -1, 16, 0, 39, 0 },
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 0x8000000, "online", 1, 16, 0, 39, 0 },
};

static void every_fixture_matches_its_summary(void **state) {
        size_t n_fixtures = 0;

        while (all_fixtures[n_fixtures])
                n_fixtures++;
        assert_int_equal(n_fixtures, ELEMENTSOF(block_summaries));

        for (size_t f = 0; f < ELEMENTSOF(block_summaries); f++) {
                struct memrange_blocks *blocks;
                unsigned offline = 0;

                assert_string_equal(all_fixtures[f], block_summaries[f].fixture);
                blocks = read_fixture(all_fixtures[f]);
                assert_int_equal(blocks->block_size, block_summaries[f].block_size);
                assert_string_equal(blocks->auto_online_blocks, block_summaries[f].auto_online);
                assert_int_equal(blocks->crash_hotplug, block_summaries[f].crash_hotplug);
                assert_int_equal(blocks->n, block_summaries[f].n);
                assert_int_equal(blocks->blocks[0].index, block_summaries[f].first);
                assert_int_equal(blocks->blocks[blocks->n - 1].index, block_summaries[f].last);
                for (size_t i = 0; i < blocks->n; i++) {
                        const struct memrange_block *b = &blocks->blocks[i];
                        if (i > 0)
                                assert_true(blocks->blocks[i - 1].index < b->index);
                        assert_int_equal(b->start, b->index * blocks->block_size);
                        assert_int_equal(b->end, b->start + blocks->block_size);
                        assert_int_equal(b->n_nodes, 1);
                        assert_int_equal(b->nodes[0], 0);
                        if (b->state == MEMRANGE_BLOCK_OFFLINE)
                                offline++;
                        else
                                assert_int_equal(b->state, MEMRANGE_BLOCK_ONLINE);
                }
                assert_int_equal(offline, block_summaries[f].n_offline);
                memrange_blocks_free(blocks);
        }
}

/* ---- scratch trees ---- */

static void write_attr(struct scratch *s, uint64_t index, const char *attr, const char *value) {
        char path[160];

        snprintf(path, sizeof(path), MEM "/memory%llu/%s", (unsigned long long) index, attr);
        scratch_write(s, path, value, (size_t) -1);
}

/* A complete, valid block as the kernel writes it; node links as plain
 * files (the copied-tree form). */
static void write_block(struct scratch *s, uint64_t index, const char *state_text) {
        char phys[32];

        snprintf(phys, sizeof(phys), "%08llx\n", (unsigned long long) index);
        write_attr(s, index, "state", state_text);
        write_attr(s, index, "phys_index", phys);
        write_attr(s, index, "online", strcmp(state_text, "online\n") == 0 ? "1\n" : "0\n");
        write_attr(s, index, "removable", "1\n");
        write_attr(s, index, "phys_device", "0\n");
        write_attr(s, index, "valid_zones", "Normal\n");
        write_attr(s, index, "node0", "../../node/node0");
}

static void scratch_memory(struct scratch *s, const char *block_size) {
        scratch_init(s);
        if (block_size)
                scratch_write(s, MEM "/block_size_bytes", block_size, (size_t) -1);
        write_block(s, 32, "online\n");
        write_block(s, 33, "offline\n");
}

static struct memrange_ctx *quiet_ctx(struct scratch *s) {
        struct memrange_ctx *ctx = scratch_ctx(s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        return ctx;
}

/* The read fails with -@err, the output is untouched, and the error message
 * starts with @prefix and contains @words. */
static void assert_read_fails(struct scratch *s, int err, const char *prefix, const char *words) {
        struct memrange_blocks *sentinel = (struct memrange_blocks *) 0x1, *blocks = sentinel;
        struct memrange_ctx *ctx = quiet_ctx(s);
        const char *msg;
        int r;

        r = memrange_blocks_read(ctx, &blocks);
        msg = memrange_ctx_get_error(ctx) ?: "";
        if (r != -err || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, words))
                fail_msg("got %d '%s', expected %d '%s...%s'", r, msg, -err, prefix, words);
        assert_ptr_equal(blocks, sentinel);
        memrange_ctx_unref(ctx);
}

static void block_size_must_be_a_power_of_two(void **state) {
        static const struct {
                const char *text;
                int err;
                const char *words;
        } cases[] = {
                { "6000000\n", EBADMSG, "block size 0x6000000 is not a power of two" },
                { "0\n", EBADMSG, "block size 0x0 is not a power of two" },
                { "0x8000000\n", EBADMSG, "expected lowercase hex digits, got '0x8000000'" },
                { "8000000 \n", EBADMSG, "expected lowercase hex digits" },
                { "\n", EBADMSG, "expected lowercase hex digits, got ''" },
                { "80000000000000000\n", ERANGE, "does not fit in 64 bits" },
                { "8000000\n8000000\n", EBADMSG, "control character 0x0a" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct scratch s;

                scratch_memory(&s, cases[i].text);
                assert_read_fails(&s, cases[i].err, MEM "/block_size_bytes: ", cases[i].words);
                scratch_free(&s);
        }
}

static void block_size_with_nul_is_rejected(void **state) {
        struct scratch s;

        scratch_memory(&s, NULL);
        scratch_write(&s, MEM "/block_size_bytes", "8000000\0\n", 9);
        assert_read_fails(&s, EBADMSG, MEM "/block_size_bytes: ", "control character 0x00 at byte 8");
        scratch_free(&s);
}

static void missing_block_size_is_malformed(void **state) {
        struct scratch s;

        scratch_memory(&s, NULL);
        assert_read_fails(&s, EBADMSG, MEM "/block_size_bytes: ", "missing");
        scratch_free(&s);
}

static void missing_directory_is_enoent(void **state) {
        struct memrange_blocks *sentinel = (struct memrange_blocks *) 0x1, *blocks = sentinel;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_mkdir(&s, "sys/devices/system");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_blocks_read(ctx, &blocks), -ENOENT);
        assert_ptr_equal(blocks, sentinel);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void phys_index_must_match_the_directory(void **state) {
        struct scratch s;

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 33, "phys_index", "00000022\n");
        assert_read_fails(&s, EBADMSG, MEM "/memory33/phys_index: ",
                          "phys_index 0x22 does not match the directory's block 33");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 33, "phys_index", "0000002g\n");
        assert_read_fails(&s, EBADMSG, MEM "/memory33/phys_index: ", "expected lowercase hex digits");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 33, "phys_index", "33\n"); /* decimal, not hex */
        assert_read_fails(&s, EBADMSG, MEM "/memory33/phys_index: ", "phys_index 0x33 does not match");
        scratch_free(&s);
}

static void missing_phys_index_is_malformed(void **state) {
        struct scratch s;
        char path[512];

        scratch_memory(&s, "8000000\n");
        snprintf(path, sizeof(path), "%s/" MEM "/memory32/phys_index", s.path);
        assert_int_equal(unlink(path), 0);
        assert_read_fails(&s, EBADMSG, MEM "/memory32/phys_index: ", "missing");
        scratch_free(&s);
}

static void unknown_state_is_rejected(void **state) {
        /* "unknown" is the library's name for no state, never the kernel's. */
        static const char *const states[] = { "onlining\n", "Online\n", "\n", "online offline\n", "unknown\n" };

        for (size_t i = 0; i < ELEMENTSOF(states); i++) {
                struct scratch s;

                scratch_memory(&s, "8000000\n");
                write_attr(&s, 33, "state", states[i]);
                assert_read_fails(&s, EBADMSG, MEM "/memory33/state: ", "unknown state");
                scratch_free(&s);
        }
}

static void bad_optional_attributes_are_rejected(void **state) {
        struct scratch s;

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 32, "online", "2\n");
        assert_read_fails(&s, EBADMSG, MEM "/memory32/online: ", "expected 0 or 1, got '2'");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 33, "removable", "yes\n");
        assert_read_fails(&s, EBADMSG, MEM "/memory33/removable: ", "expected 0 or 1");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        write_attr(&s, 33, "phys_device", "-3\n");
        assert_read_fails(&s, EBADMSG, MEM "/memory33/phys_device: ", "expected a device number");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        scratch_write(&s, MEM "/crash_hotplug", "1\n1\n", (size_t) -1);
        assert_read_fails(&s, EBADMSG, MEM "/crash_hotplug: ", "control character 0x0a");
        scratch_free(&s);

        scratch_memory(&s, "8000000\n");
        scratch_write(&s, MEM "/memory32/valid_zones", "Nor\0mal\n", 8);
        assert_read_fails(&s, EBADMSG, MEM "/memory32/valid_zones: ", "control character 0x00");
        scratch_free(&s);
}

static void block_beyond_the_address_space_is_rejected(void **state) {
        struct scratch s;

        scratch_memory(&s, "8000000\n");
        /* 2^64 / 2^27 = 2^37: block 2^37 starts at 2^64. */
        write_block(&s, 137438953472ULL, "online\n");
        assert_read_fails(&s, EOVERFLOW, MEM "/memory137438953472: ", "beyond the 64-bit address space");
        scratch_free(&s);

        /* The last block would end exactly at 2^64: not representable either. */
        scratch_memory(&s, "8000000\n");
        write_block(&s, 137438953471ULL, "online\n");
        assert_read_fails(&s, EOVERFLOW, MEM "/memory137438953471: ", "beyond the 64-bit");
        scratch_free(&s);
}

static void vanished_blocks_are_skipped(void **state) {
        struct memrange_blocks *blocks = NULL;
        struct memrange_block b = { .index = 555 };
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_memory(&s, "8000000\n");
        /* Listed, then gone: a dangling entry, and a directory whose files
         * the kernel already removed (state first). */
        scratch_symlink(&s, "../../../gone/memory40", MEM "/memory40");
        write_attr(&s, 41, "phys_index", "00000029\n");
        ctx = quiet_ctx(&s);
        assert_int_equal(memrange_blocks_read(ctx, &blocks), 0);
        assert_int_equal(blocks->n, 2);
        assert_int_equal(blocks->blocks[0].index, 32);
        assert_int_equal(blocks->blocks[1].index, 33);
        assert_int_equal(blocks->blocks[1].state, MEMRANGE_BLOCK_OFFLINE);
        assert_int_equal(memrange_block_read(ctx, blocks->block_size, 40, &b), -ENOENT);
        assert_int_equal(memrange_block_read(ctx, blocks->block_size, 41, &b), -ENOENT);
        assert_int_equal(b.index, 555);
        memrange_blocks_free(blocks);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void node_links_count_by_name_whatever_their_kind(void **state) {
        struct memrange_blocks *blocks = NULL;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_memory(&s, "8000000\n");
        /* memory32: node3 as a real link, node1 as a copied file, plus
         * entries that are not node links. */
        scratch_symlink(&s, "../../node/node3", MEM "/memory32/node3");
        write_attr(&s, 32, "node1", "../../node/node1");
        write_attr(&s, 32, "node01", "x");
        write_attr(&s, 32, "nodes", "x");
        write_attr(&s, 32, "node", "x");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_blocks_read(ctx, &blocks), 0);
        assert_int_equal(blocks->blocks[0].n_nodes, 3);
        assert_int_equal(blocks->blocks[0].nodes[0], 0);
        assert_int_equal(blocks->blocks[0].nodes[1], 1);
        assert_int_equal(blocks->blocks[0].nodes[2], 3);
        assert_int_equal(blocks->blocks[1].n_nodes, 1);
        memrange_blocks_free(blocks);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void optional_attributes_may_be_missing(void **state) {
        struct memrange_blocks *blocks = NULL;
        struct scratch s;
        struct memrange_ctx *ctx;

        scratch_init(&s);
        scratch_write(&s, MEM "/block_size_bytes", "80000000\n", (size_t) -1);
        write_attr(&s, 3, "state", "going-offline\n");
        write_attr(&s, 3, "phys_index", "00000003\n");
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_blocks_read(ctx, &blocks), 0);
        assert_int_equal(blocks->block_size, 0x80000000);
        assert_null(blocks->auto_online_blocks);
        assert_int_equal(blocks->crash_hotplug, -1);
        assert_int_equal(blocks->n, 1);
        assert_int_equal(blocks->blocks[0].start, 0x180000000);
        assert_int_equal(blocks->blocks[0].end, 0x200000000);
        assert_int_equal(blocks->blocks[0].state, MEMRANGE_BLOCK_GOING_OFFLINE);
        assert_int_equal(blocks->blocks[0].online, -1);
        assert_int_equal(blocks->blocks[0].removable, -1);
        assert_int_equal(blocks->blocks[0].phys_device, -1);
        assert_null(blocks->blocks[0].valid_zones);
        assert_int_equal(blocks->blocks[0].n_nodes, 0);
        assert_null(blocks->blocks[0].nodes);
        memrange_blocks_free(blocks);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(dimm_hotplug_adds_blocks_32_to_39),
                cmocka_unit_test(dimm_offline_has_memory33_offline),
                cmocka_unit_test(blocks_totals_count_online_and_the_rest),
                cmocka_unit_test(block_read_rereads_one_block),
                cmocka_unit_test(ppc64le_blocks_are_256_mib),
                cmocka_unit_test(arm64_blocks_start_at_one_gib),
                cmocka_unit_test(microvm_has_192_blocks_sorted_numerically),
                cmocka_unit_test(every_fixture_matches_its_summary),
                cmocka_unit_test(block_size_must_be_a_power_of_two),
                cmocka_unit_test(block_size_with_nul_is_rejected),
                cmocka_unit_test(missing_block_size_is_malformed),
                cmocka_unit_test(missing_directory_is_enoent),
                cmocka_unit_test(phys_index_must_match_the_directory),
                cmocka_unit_test(missing_phys_index_is_malformed),
                cmocka_unit_test(unknown_state_is_rejected),
                cmocka_unit_test(bad_optional_attributes_are_rejected),
                cmocka_unit_test(block_beyond_the_address_space_is_rejected),
                cmocka_unit_test(vanished_blocks_are_skipped),
                cmocka_unit_test(node_links_count_by_name_whatever_their_kind),
                cmocka_unit_test(optional_attributes_may_be_missing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

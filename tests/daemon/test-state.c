/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's state: the record-by-record diff, generation bumps only on
 * change, incremental re-reads of single blocks against a copy of a real
 * fixture tree (the offline transition of x86_64-6.1-dimm), layout
 * rebuilds after blocks were added or removed (boot to hotplug), escalation
 * to a full rescan, failed rebuilds that keep everything. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "test-util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define RAM MEMRANGE_TYPE_RAM
#define RSV MEMRANGE_TYPE_RESERVED
#define ALL_SRC (MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_FIRMWARE_MEMMAP | MEMRANGE_SRC_MEMORY_BLOCKS | MEMRANGE_SRC_NUMA)

#define REC(s, e, type_, flags_, nid_, src) \
        ((struct memrange) { .start = (s), .end = (e), .type = (type_), .flags = (flags_), .nid = (nid_), .sources = (src) })

static struct memrange_table *table_of(const struct memrange *r, size_t n) {
        struct memrange_table *t;

        assert_int_equal(memrange_table_new(&t), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(memrange_table_add(t, &r[i]), 0);
        return t;
}

static void assert_record(const struct memrange *got, struct memrange want) {
        if (got->start != want.start || got->end != want.end || got->type != want.type || got->flags != want.flags ||
            got->nid != want.nid || got->sources != want.sources)
                fail_msg("record %#llx-%#llx type %u flags %#x nid %d src %#x, expected %#llx-%#llx type %u flags "
                         "%#x nid %d src %#x",
                         (unsigned long long) got->start, (unsigned long long) got->end, got->type, got->flags,
                         got->nid, got->sources, (unsigned long long) want.start, (unsigned long long) want.end,
                         want.type, want.flags, want.nid, want.sources);
}

static void assert_tables_equal(const struct memrange_table *a, const struct memrange_table *b) {
        const struct memrange *y = memrange_table_first(b);

        assert_int_equal(memrange_table_count(a), memrange_table_count(b));
        memrange_table_foreach(x, a) {
                assert_non_null(y);
                assert_record(x, *y);
                y = memrange_table_next(b, y);
        }
}

/* ---------------------------------------------------------------------------
 * The diff
 */

static void test_diff_of_equal_tables_is_empty(void **state) {
        const struct memrange r[] = { REC(0, 4096, RSV, 0, -1, 1), REC(4096, 1 * GiB, RAM, 0, 0, 5) };
        _cleanup_(memrange_table_freep) struct memrange_table *a = table_of(r, 2), *b = table_of(r, 2);
        struct memrange_list added = {}, removed = {};

        assert_int_equal(state_diff(a, b, &added, &removed), 0);
        assert_int_equal(added.n, 0);
        assert_int_equal(removed.n, 0);
}

static void test_diff_lists_added_removed_and_changed_records(void **state) {
        const struct memrange old[] = {
                REC(0, 4096, RSV, 0, -1, 1),
                REC(1 * MiB, 1 * GiB, RAM, 0, 0, 5),
                REC(4 * GiB, 5 * GiB, RAM, MEMRANGE_F_HOTPLUG, 0, 5),
        };
        const struct memrange new[] = {
                REC(0, 4096, RSV, 0, -1, 1),
                REC(1 * MiB, 1 * GiB, RAM, MEMRANGE_F_OFFLINE, 0, 5), /* attributes changed */
                REC(2 * GiB, 3 * GiB, RAM, 0, 1, 5),                   /* new */
                                                                       /* 4G-5G gone */
        };
        _cleanup_(memrange_table_freep) struct memrange_table *a = table_of(old, 3), *b = table_of(new, 3);
        struct memrange_list added = {}, removed = {};

        assert_int_equal(state_diff(a, b, &added, &removed), 3);
        assert_int_equal(removed.n, 2);
        assert_record(&removed.ranges[0], old[1]);
        assert_record(&removed.ranges[1], old[2]);
        assert_int_equal(added.n, 2);
        assert_record(&added.ranges[0], new[1]);
        assert_record(&added.ranges[1], new[2]);
        memrange_list_clear(&added);
        memrange_list_clear(&removed);
}

static void test_diff_against_nothing_adds_everything(void **state) {
        const struct memrange r[] = { REC(0, 4096, RSV, 0, -1, 1), REC(4096, 1 * GiB, RAM, 0, 0, 5) };
        _cleanup_(memrange_table_freep) struct memrange_table *b = table_of(r, 2);
        struct memrange_list added = {}, removed = {};

        assert_int_equal(state_diff(NULL, b, &added, &removed), 2);
        assert_int_equal(added.n, 2);
        assert_int_equal(removed.n, 0);
        assert_record(&added.ranges[1], r[1]);
        memrange_list_clear(&added);
}

/* ---------------------------------------------------------------------------
 * Generations from whole sources
 */

static struct memrange_sources *read_fixture(const char *name) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(name);
        struct memrange_sources *s;

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        return s;
}

static void test_generation_moves_only_when_the_table_changes(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        _cleanup_(state_freep) struct state *s = NULL;
        const struct state_change *c;

        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(s->generation, 0);
        assert_int_equal(state_apply_sources(s, read_fixture("x86_64-6.1-dimm/boot"), CHANGE_STARTUP, 100), 1);
        assert_int_equal(s->generation, 1);
        assert_int_equal(s->changed_usec, 100);
        assert_int_equal(s->last_change.added.n, 10);
        assert_int_equal(s->last_change.reason, CHANGE_STARTUP);

        /* The same machine read again: no bump, time and change untouched. */
        assert_int_equal(state_apply_sources(s, read_fixture("x86_64-6.1-dimm/boot"), CHANGE_UEVENT, 200), 0);
        assert_int_equal(s->generation, 1);
        assert_int_equal(s->changed_usec, 100);
        assert_int_equal(s->last_change.generation, 1);
        assert_int_equal(s->stats.unchanged, 1);

        /* The DIMM hot-add: exactly one new range. */
        assert_int_equal(state_apply_sources(s, read_fixture("x86_64-6.1-dimm/hotplug"), CHANGE_UEVENT, 300), 1);
        c = &s->last_change;
        assert_int_equal(s->generation, 2);
        assert_int_equal(c->generation, 2);
        assert_int_equal(c->reason, CHANGE_UEVENT);
        assert_int_equal(s->changed_usec, 300);
        assert_int_equal(c->removed.n, 0);
        assert_int_equal(c->added.n, 1);
        assert_record(&c->added.ranges[0], REC(4 * GiB, 5 * GiB, RAM, MEMRANGE_F_HOTPLUG, 0, ALL_SRC));
        assert_int_equal(memrange_table_count(s->table), 11);
}

static void test_failed_rebuild_keeps_table_generation_and_sources(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        _cleanup_(state_freep) struct state *s = NULL;
        const struct memrange_table *table;
        const struct memrange_sources *sources;

        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_apply_sources(s, read_fixture("x86_64-6.1-dimm/boot"), CHANGE_STARTUP, 1), 1);
        table = s->table;
        sources = s->sources;
        /* The reconciler refuses missing sources: a failure to survive. */
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        assert_int_equal(state_apply_sources(s, NULL, CHANGE_UEVENT, 2), -EINVAL);
        assert_ptr_equal(s->table, table);
        assert_ptr_equal(s->sources, sources);
        assert_int_equal(s->generation, 1);
        assert_int_equal(memrange_table_count(s->table), 10);
        assert_int_equal(s->last_error, -EINVAL);
        assert_non_null(s->last_error_message);
        assert_non_null(strstr(s->last_error_message, "reconciling"));
        assert_int_equal(s->last_error_usec, 2);
        assert_int_equal(s->stats.failures, 1);

        /* The next good rebuild clears the error. */
        assert_int_equal(state_apply_sources(s, read_fixture("x86_64-6.1-dimm/boot"), CHANGE_RESCAN, 3), 0);
        assert_int_equal(s->last_error, 0);
}

/* ---------------------------------------------------------------------------
 * Rebuilds from a live tree: a writable copy of a fixture
 */

static char copy_root[512];
static size_t copy_source_len;

static int copy_file(const char *path, const char *dest, off_t size) {
        _cleanup_(freep) char *data = malloc((size_t) size + 1);
        FILE *in, *out;
        size_t n;

        if (!data || !(in = fopen(path, "rb")))
                return -1;
        n = fread(data, 1, (size_t) size, in);
        fclose(in);
        out = fopen(dest, "wb");
        if (!out)
                return -1;
        if (fwrite(data, 1, n, out) != n) {
                fclose(out);
                return -1;
        }
        return fclose(out);
}

/* nftw callback: recreates @path below copy_root (links stay links). */
static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        char dest[1024], target[512];
        ssize_t n;

        snprintf(dest, sizeof(dest), "%s%s", copy_root, path + copy_source_len);
        switch (type) {
        case FTW_D:
                return mkdir(dest, 0755) < 0 && errno != EEXIST ? -1 : 0;
        case FTW_SL:
                n = readlink(path, target, sizeof(target) - 1);
                if (n < 0)
                        return -1;
                target[n] = '\0';
                return symlink(target, dest);
        case FTW_F:
                return copy_file(path, dest, st->st_size);
        default:
                return -1;
        }
}

/* Copies fixture @name into the scratch sysroot @s. */
static void copy_tree(struct scratch *s, const char *name) {
        char source[512];

        snprintf(source, sizeof(source), "%s", fixture_path(name));
        snprintf(copy_root, sizeof(copy_root), "%s", s->path);
        copy_source_len = strlen(source);
        assert_int_equal(nftw(source, copy_entry, 16, FTW_PHYS), 0);
}

/* A scratch sysroot holding a writable copy of fixture @name. */
static struct memrange_ctx *copy_fixture(struct scratch *s, const char *name) {
        struct memrange_ctx *ctx;

        scratch_init(s);
        copy_tree(s, name);
        ctx = scratch_ctx(s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        return ctx;
}

#define MEM "sys/devices/system/memory"

static void remove_tree(struct scratch *s, const char *relpath) {
        char cmd[1024];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", s->path, relpath);
        assert_int_equal(system(cmd), 0);
}

/* A rebuild_work naming @n blocks (the array is borrowed). */
static struct rebuild_work blocks_work(uint64_t *blocks, size_t n) {
        return (struct rebuild_work) { .n_blocks = n, .blocks = blocks, .n_hints = n, .n_memory_events = n };
}

/* The same after blocks were added or removed. */
static struct rebuild_work layout_work(uint64_t *blocks, size_t n) {
        struct rebuild_work work = blocks_work(blocks, n);

        work.memory_layout_changed = true;
        return work;
}

/* The kernel replaces the whole tree under the daemon: fixture @name
 * becomes what the scratch sysroot @s shows. */
static void swap_tree(struct scratch *s, const char *name) {
        remove_tree(s, "proc");
        remove_tree(s, "sys");
        copy_tree(s, name);
}

/* The state's sources reconcile to what a full lean read of @ctx's tree
 * gives now: the same table and the same blocks (index, range, state,
 * nodes). */
static void assert_state_matches_a_full_read(const struct state *s, struct memrange_ctx *ctx) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *full = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *expected = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        const struct memrange_blocks *got = s->sources->blocks, *want;

        assert_int_equal(memrange_sources_read_flags(ctx, MEMRANGE_READ_LEAN_BLOCKS, &full), 0);
        assert_int_equal(memrange_reconcile(ctx, full, &expected, &findings), 0);
        assert_tables_equal(s->table, expected);
        want = full->blocks;
        assert_int_equal(got->block_size, want->block_size);
        assert_int_equal(got->n, want->n);
        for (size_t i = 0; i < want->n; i++) {
                const struct memrange_block *a = &got->blocks[i], *b = &want->blocks[i];

                assert_int_equal(a->index, b->index);
                assert_int_equal(a->start, b->start);
                assert_int_equal(a->end, b->end);
                assert_int_equal(a->state, b->state);
                assert_int_equal(a->n_nodes, b->n_nodes);
                for (size_t j = 0; j < b->n_nodes; j++)
                        assert_int_equal(a->nodes[j], b->nodes[j]);
        }
}

static void test_incremental_offline_matches_the_kernels_offline_tree(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL, *offline_ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *offline = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *expected = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t block33[] = { 33 };
        struct rebuild_work work = blocks_work(block33, 1);
        const struct state_change *c;
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 10), 1);
        assert_int_equal(s->generation, 1);
        assert_int_equal(memrange_table_count(s->table), 11);
        assert_int_equal(s->stats.full_rescans, 1);

        /* A synthetic "online" for a block that is online changes nothing. */
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 20), 0);
        assert_int_equal(s->generation, 1);
        assert_int_equal(s->stats.incremental, 1);
        assert_int_equal(s->stats.full_rescans, 1);

        /* echo offline > memory33/state, as the kernel's tree shows it. */
        scratch_write(&sc, MEM "/memory33/state", "offline\n", (size_t) -1);
        scratch_write(&sc, MEM "/memory33/online", "0\n", (size_t) -1);
        scratch_write(&sc, MEM "/memory33/valid_zones", "Normal Movable\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 30), 1);
        assert_int_equal(s->generation, 2);
        assert_int_equal(s->changed_usec, 30);
        assert_int_equal(s->stats.incremental, 2);
        assert_int_equal(s->stats.full_rescans, 1);
        assert_int_equal(s->stats.blocks_reread, 2);
        c = &s->last_change;
        assert_int_equal(c->removed.n, 1);
        assert_record(&c->removed.ranges[0], REC(4 * GiB, 5 * GiB, RAM, MEMRANGE_F_HOTPLUG, 0, ALL_SRC));
        assert_int_equal(c->added.n, 3);
        assert_record(&c->added.ranges[0], REC(0x100000000, 0x108000000, RAM, MEMRANGE_F_HOTPLUG, 0, ALL_SRC));
        assert_record(&c->added.ranges[1], REC(0x108000000, 0x110000000, RAM,
                                               MEMRANGE_F_HOTPLUG | MEMRANGE_F_OFFLINE, 0, ALL_SRC));
        assert_record(&c->added.ranges[2], REC(0x110000000, 0x140000000, RAM, MEMRANGE_F_HOTPLUG, 0, ALL_SRC));

        /* The incremental result is what a full read of the kernel's own
         * offline tree gives. */
        offline_ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        assert_int_equal(memrange_sources_read(offline_ctx, &offline), 0);
        assert_int_equal(memrange_reconcile(offline_ctx, offline, &expected, &findings), 0);
        assert_tables_equal(s->table, expected);
        scratch_free(&sc);
}

static void test_vanished_or_unknown_block_escalates_to_full_rescan(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t unknown[] = { 12 }, block39[] = { 39 };
        struct rebuild_work work;
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);

        /* memory12 was never there: the layout is not what we know. */
        work = blocks_work(unknown, 1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 0);
        assert_int_equal(s->stats.escalations, 1);
        assert_int_equal(s->stats.full_rescans, 2);
        assert_int_equal(s->stats.incremental, 0);

        /* memory39 vanishes (hot-remove in progress): full rescan, and its
         * 128 MiB lose the blocks source and the node its links gave. */
        remove_tree(&sc, MEM "/memory39");
        work = blocks_work(block39, 1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 3), 1);
        assert_int_equal(s->stats.escalations, 2);
        assert_int_equal(s->stats.full_rescans, 3);
        assert_int_equal(s->generation, 2);
        assert_int_equal(s->sources->blocks->n, 15);
        assert_record(memrange_table_find(s->table, 0x138000000),
                      REC(0x138000000, 0x140000000, RAM, MEMRANGE_F_HOTPLUG, MEMRANGE_NID_NONE,
                          MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_FIRMWARE_MEMMAP));
        scratch_free(&sc);
}

static void test_layout_rebuild_of_the_hot_add_equals_a_full_read_of_hotplug(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t added[] = { 32, 33, 34, 35, 36, 37, 38, 39 };
        struct rebuild_work work = layout_work(added, ELEMENTSOF(added));
        const struct state_change *c;
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/boot");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);
        assert_int_equal(memrange_table_count(s->table), 10);
        assert_int_equal(s->sources->blocks->n, 8);

        swap_tree(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 1);
        assert_int_equal(s->generation, 2);
        assert_int_equal(s->stats.layout_rebuilds, 1);
        assert_int_equal(s->stats.full_rescans, 1);
        assert_int_equal(s->stats.escalations, 0);
        assert_int_equal(s->stats.blocks_reread, 8);
        /* iomem's new System RAM line, memmap's entry 7, the blocks and
         * node0's links: the DIMM is one hotplug range on node 0. */
        c = &s->last_change;
        assert_int_equal(c->removed.n, 0);
        assert_int_equal(c->added.n, 1);
        assert_record(&c->added.ranges[0], REC(4 * GiB, 5 * GiB, RAM, MEMRANGE_F_HOTPLUG, 0, ALL_SRC));
        assert_int_equal(s->sources->blocks->n, 16);
        assert_int_equal(s->sources->blocks->blocks[8].index, 32);
        assert_state_matches_a_full_read(s, ctx);
        scratch_free(&sc);
}

static void test_layout_rebuild_drops_a_named_block_that_vanished(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t block39[] = { 39 };
        struct rebuild_work work = layout_work(block39, 1);
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);
        assert_int_equal(s->sources->blocks->n, 16);

        /* Hot-remove under way: memory39 is gone, iomem still has it. */
        remove_tree(&sc, MEM "/memory39");
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 1);
        assert_int_equal(s->stats.layout_rebuilds, 1);
        assert_int_equal(s->stats.escalations, 0);
        assert_int_equal(s->stats.full_rescans, 1);
        assert_int_equal(s->sources->blocks->n, 15);
        assert_int_equal(s->sources->blocks->blocks[14].index, 38);
        assert_record(memrange_table_find(s->table, 0x138000000),
                      REC(0x138000000, 0x140000000, RAM, MEMRANGE_F_HOTPLUG, MEMRANGE_NID_NONE,
                          MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_FIRMWARE_MEMMAP));
        assert_state_matches_a_full_read(s, ctx);
        scratch_free(&sc);
}

static void test_layout_rebuild_ignores_an_added_block_not_on_disk(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t named[] = { 12, 33 };
        struct rebuild_work work = layout_work(named, ELEMENTSOF(named));
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);

        /* memory12 was never there (or already gone again). */
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 0);
        assert_int_equal(s->generation, 1);
        assert_int_equal(s->stats.layout_rebuilds, 1);
        assert_int_equal(s->stats.escalations, 0);
        assert_int_equal(s->stats.full_rescans, 1);
        assert_int_equal(s->sources->blocks->n, 16);
        assert_int_equal(s->sources->blocks->blocks[9].index, 33);
        assert_int_equal(s->sources->blocks->blocks[9].n_nodes, 1);
        assert_int_equal(s->sources->blocks->blocks[9].nodes[0], 0);
        assert_state_matches_a_full_read(s, ctx);
        scratch_free(&sc);
}

static void test_layout_rebuild_escalates_on_a_new_block_size_or_a_bad_block(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t block33[] = { 33 };
        struct rebuild_work work = layout_work(block33, 1);
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);

        /* A state the reader refuses: not a block's absence. */
        scratch_write(&sc, MEM "/memory33/state", "sideways\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 1);
        assert_int_equal(s->stats.escalations, 1);
        assert_int_equal(s->stats.full_rescans, 2);
        assert_int_equal(s->stats.layout_rebuilds, 0);
        assert_int_equal(s->sources->status[2], MEMRANGE_SOURCE_ERROR);

        /* Back to a good tree, then 256 MiB blocks: only a full rescan
         * re-indexes every block. */
        scratch_write(&sc, MEM "/memory33/state", "online\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_RESCAN, 3), 1);
        scratch_write(&sc, MEM "/block_size_bytes", "10000000\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 4), 1);
        assert_int_equal(s->stats.escalations, 2);
        assert_int_equal(s->stats.full_rescans, 4);
        assert_int_equal(s->stats.layout_rebuilds, 0);
        assert_int_equal(s->sources->blocks->block_size, 0x10000000);
        scratch_free(&sc);
}

static void test_layout_change_and_lost_events_rescan_everything(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        _cleanup_(state_freep) struct state *s = NULL;
        struct rebuild_work layout = { .memory_layout_changed = true, .full_rescan = true };
        struct rebuild_work lost = { .full_rescan = true, .n_lost = 1 };
        struct rebuild_work cpus = { .cpus_changed = true };

        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);
        assert_int_equal(state_rebuild(s, &layout, CHANGE_UEVENT, 2), 0);
        assert_int_equal(state_rebuild(s, &lost, CHANGE_LOST_EVENTS, 3), 0);
        assert_int_equal(s->stats.full_rescans, 3);
        assert_int_equal(s->stats.lost_rescans, 1);
        /* CPU events alone re-read only the crash state. */
        assert_int_equal(state_rebuild(s, &cpus, CHANGE_UEVENT, 4), 0);
        assert_int_equal(s->stats.full_rescans, 3);
        assert_int_equal(s->stats.incremental, 1);
        assert_int_equal(s->stats.rebuilds, 4);
        assert_int_equal(s->generation, 1);
        assert_non_null(s->sources->crash);
}

/* Rebuilds read the blocks lean; ListBlocks' details are read when first
 * asked after a rebuild, kept until the next one, and follow the kernel. */
static void test_block_details_read_on_demand_once_per_rebuild(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(state_freep) struct state *s = NULL;
        uint64_t block33[] = { 33 };
        struct rebuild_work work = blocks_work(block33, 1);
        const struct memrange_blocks *d;
        const struct memrange_block *b;
        struct scratch sc;

        ctx = copy_fixture(&sc, "x86_64-6.1-dimm/hotplug");
        assert_int_equal(state_new(ctx, &s), 0);
        assert_null(state_blocks_detailed(s));
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);
        assert_int_equal(s->sources->read_flags, MEMRANGE_READ_LEAN_BLOCKS);
        assert_int_equal(s->sources->blocks->blocks[9].online, -1);
        assert_null(s->sources->blocks->blocks[9].valid_zones);
        assert_null(s->blocks_detailed);

        d = state_blocks_detailed(s);
        assert_ptr_equal(d, s->blocks_detailed);
        assert_int_equal(d->read_flags, 0);
        assert_int_equal(d->n, 16);
        b = &d->blocks[9];
        assert_int_equal(b->index, 33);
        assert_int_equal(b->online, 1);
        assert_int_equal(b->removable, 1);
        assert_int_equal(b->phys_device, 0);
        assert_string_equal(b->valid_zones, "Normal");
        assert_int_equal(b->nodes[0], 0);
        /* Kept: a second ask reads nothing. */
        assert_ptr_equal(state_blocks_detailed(s), d);

        /* memory33 goes offline: the incremental rebuild re-reads it lean
         * and drops the details, which are then read again. */
        scratch_write(&sc, MEM "/memory33/state", "offline\n", (size_t) -1);
        scratch_write(&sc, MEM "/memory33/online", "0\n", (size_t) -1);
        scratch_write(&sc, MEM "/memory33/valid_zones", "Normal Movable\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, &work, CHANGE_UEVENT, 2), 1);
        assert_null(s->blocks_detailed);
        assert_int_equal(s->sources->blocks->blocks[9].state, MEMRANGE_BLOCK_OFFLINE);
        assert_int_equal(s->sources->blocks->blocks[9].online, -1);
        b = &state_blocks_detailed(s)->blocks[9];
        assert_int_equal(b->state, MEMRANGE_BLOCK_OFFLINE);
        assert_int_equal(b->online, 0);
        assert_string_equal(b->valid_zones, "Normal Movable");

        /* Details the detailed read refuses: the blocks as rebuilt,
         * without them. */
        scratch_write(&sc, MEM "/memory34/phys_index", "zz\n", (size_t) -1);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_RESCAN, 3), 0);
        assert_ptr_equal(state_blocks_detailed(s), s->sources->blocks);
        assert_null(s->blocks_detailed);
        scratch_free(&sc);
}

/* The reconcile of a rebuild gives the generation's dump ranges once:
 * asked for the automatic policy (or what it resolves to) the state
 * copies them, asked for another it computes. */
static void dump_ranges_come_from_the_rebuilds_reconcile(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        _cleanup_(state_freep) struct state *s = NULL;
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *automatic = NULL, *resolved = NULL,
                                                                           *kernel = NULL, *expected = NULL;
        struct rebuild_work cpus = { .cpus_changed = true };
        const struct memrange_dump_ranges *held;
        enum memrange_dump_policy other;

        assert_int_equal(state_new(ctx, &s), 0);
        assert_int_equal(state_dump_ranges(s, MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_UNKNOWN, &automatic), -ENODATA);
        assert_int_equal(state_rebuild(s, NULL, CHANGE_STARTUP, 1), 1);
        held = s->dump_ranges;
        assert_non_null(held);
        assert_int_equal(held->policy, memrange_dump_policy_resolve(s->sources, MEMRANGE_ARCH_UNKNOWN,
                                                                    MEMRANGE_DUMP_AUTO));
        other = held->policy == MEMRANGE_DUMP_KERNEL ? MEMRANGE_DUMP_KEXEC_TOOLS_X86 : MEMRANGE_DUMP_KERNEL;

        assert_int_equal(state_dump_ranges(s, MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_UNKNOWN, &automatic), 0);
        assert_ptr_not_equal(automatic, held);
        assert_int_equal(memrange_dump_ranges_compute(ctx, s->table, s->sources, MEMRANGE_DUMP_AUTO,
                                                      MEMRANGE_ARCH_UNKNOWN, &expected),
                         0);
        assert_true(memrange_dump_ranges_equal(automatic, expected));
        assert_int_equal(automatic->policy, expected->policy);
        assert_int_equal(state_dump_ranges(s, held->policy, MEMRANGE_ARCH_X86_64, &resolved), 0);
        assert_true(memrange_dump_ranges_equal(resolved, held));
        assert_int_equal(state_dump_ranges(s, other, MEMRANGE_ARCH_UNKNOWN, &kernel), 0);
        assert_int_equal(kernel->policy, other);
        assert_false(memrange_dump_ranges_equal(kernel, held));

        /* A rebuild that leaves the table as it was still brings the
         * ranges of its own reconcile (their CPUs follow the crash state). */
        assert_int_equal(state_rebuild(s, &cpus, CHANGE_UEVENT, 2), 0);
        assert_non_null(s->dump_ranges);
        assert_true(memrange_dump_ranges_equal(s->dump_ranges, expected));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_diff_of_equal_tables_is_empty),
                cmocka_unit_test(test_diff_lists_added_removed_and_changed_records),
                cmocka_unit_test(test_diff_against_nothing_adds_everything),
                cmocka_unit_test(test_generation_moves_only_when_the_table_changes),
                cmocka_unit_test(test_failed_rebuild_keeps_table_generation_and_sources),
                cmocka_unit_test(test_incremental_offline_matches_the_kernels_offline_tree),
                cmocka_unit_test(test_vanished_or_unknown_block_escalates_to_full_rescan),
                cmocka_unit_test(test_layout_rebuild_of_the_hot_add_equals_a_full_read_of_hotplug),
                cmocka_unit_test(test_layout_rebuild_drops_a_named_block_that_vanished),
                cmocka_unit_test(test_layout_rebuild_ignores_an_added_block_not_on_disk),
                cmocka_unit_test(test_layout_rebuild_escalates_on_a_new_block_size_or_a_bad_block),
                cmocka_unit_test(dump_ranges_come_from_the_rebuilds_reconcile),
                cmocka_unit_test(test_layout_change_and_lost_events_rescan_everything),
                cmocka_unit_test(test_block_details_read_on_demand_once_per_rebuild),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

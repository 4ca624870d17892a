/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reconciler: hand-built sources pin each rule and each finding; the
 * fixtures pin the exact tables and findings of real machines. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test-util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define I MEMRANGE_SRC_IOMEM
#define M MEMRANGE_SRC_FIRMWARE_MEMMAP
#define B MEMRANGE_SRC_MEMORY_BLOCKS
#define MB MEMRANGE_SRC_MEMBLOCK
#define DT MEMRANGE_SRC_DEVICETREE
#define DR MEMRANGE_SRC_DRMEM
#define N MEMRANGE_SRC_NUMA
#define C MEMRANGE_SRC_CRASH

#define RAM MEMRANGE_TYPE_RAM
#define RSV MEMRANGE_TYPE_RESERVED
#define NONE MEMRANGE_NID_NONE

/* A record; @end exclusive. */
#define REC(s, e, type_, flags_, nid_, src) \
        ((struct memrange) { .start = (s), .end = (e), .type = (type_), .flags = (flags_), .nid = (nid_), .sources = (src) })
#define SPAN(s, e, type_) REC(s, e, type_, 0, NONE, 0)

/* ---------------------------------------------------------------------------
 * Building sources by hand
 */

struct iomem_line {
        unsigned depth;
        uint64_t start, end; /* end exclusive */
        uint32_t type, flags;
        const char *name;
};

static struct memrange_iomem *make_iomem(const struct iomem_line *lines, size_t n) {
        struct memrange_iomem *io = calloc(1, sizeof(*io));
        ssize_t parents[8] = {};

        assert_non_null(io);
        io->entries = calloc(n + 1, sizeof(*io->entries));
        assert_non_null(io->entries);
        io->n = n;
        for (size_t i = 0; i < n; i++) {
                struct memrange_iomem_entry *e = &io->entries[i];

                assert_true(lines[i].depth < ELEMENTSOF(parents));
                e->range = REC(lines[i].start, lines[i].end, lines[i].type, lines[i].flags, NONE, I);
                e->name = strdup(lines[i].name);
                e->depth = lines[i].depth;
                e->parent = lines[i].depth ? parents[lines[i].depth - 1] : -1;
                parents[lines[i].depth] = (ssize_t) i;
        }
        return io;
}

static void list_fill(struct memrange_list *list, const struct memrange *ranges, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                assert_int_equal(memrange_list_append(list, &ranges[i], name), 0);
}

static struct memrange_list *make_list(const struct memrange *ranges, size_t n) {
        struct memrange_list *list = calloc(1, sizeof(*list));

        assert_non_null(list);
        list_fill(list, ranges, n, NULL);
        return list;
}

/* nid >= 0: one node link; BLOCK_TWO_NODES: links to nodes 0 and 1. */
#define BLOCK_TWO_NODES (-2)
struct block_spec {
        uint64_t index;
        uint32_t state;
        int32_t nid;
};

static struct memrange_blocks *make_blocks(uint64_t block_size, const struct block_spec *specs, size_t n) {
        struct memrange_blocks *blocks = calloc(1, sizeof(*blocks));

        assert_non_null(blocks);
        blocks->block_size = block_size;
        blocks->crash_hotplug = -1;
        blocks->blocks = calloc(n + 1, sizeof(*blocks->blocks));
        assert_non_null(blocks->blocks);
        blocks->n = n;
        for (size_t i = 0; i < n; i++) {
                struct memrange_block *b = &blocks->blocks[i];

                b->index = specs[i].index;
                b->start = specs[i].index * block_size;
                b->end = b->start + block_size;
                b->state = specs[i].state;
                b->online = specs[i].state == MEMRANGE_BLOCK_ONLINE;
                b->removable = b->phys_device = -1;
                if (specs[i].nid == NONE)
                        continue;
                b->n_nodes = specs[i].nid == BLOCK_TWO_NODES ? 2 : 1;
                b->nodes = calloc(b->n_nodes, sizeof(*b->nodes));
                assert_non_null(b->nodes);
                b->nodes[0] = specs[i].nid == BLOCK_TWO_NODES ? 0 : specs[i].nid;
                if (b->n_nodes == 2)
                        b->nodes[1] = 1;
        }
        return blocks;
}

/* One node @nid linking the block indices @indices. */
static struct memrange_numa *make_numa(int32_t nid, const uint64_t *indices, size_t n) {
        struct memrange_numa *numa = calloc(1, sizeof(*numa));

        assert_non_null(numa);
        numa->nodes = calloc(1, sizeof(*numa->nodes));
        assert_non_null(numa->nodes);
        numa->n = 1;
        numa->nodes[0].nid = nid;
        numa->nodes[0].blocks = calloc(n + 1, sizeof(uint64_t));
        assert_non_null(numa->nodes[0].blocks);
        memcpy(numa->nodes[0].blocks, indices, n * sizeof(uint64_t));
        numa->nodes[0].n_blocks = n;
        return numa;
}

static struct memrange_memblock *make_memblock(const struct memrange *memory, size_t n) {
        struct memrange_memblock *mb = calloc(1, sizeof(*mb));

        assert_non_null(mb);
        mb->has_node_column = true;
        list_fill(&mb->memory, memory, n, NULL);
        return mb;
}

static struct memrange_drmem *make_drmem(uint64_t lmb_size, const struct memrange_lmb *lmbs, size_t n) {
        struct memrange_drmem *drmem = calloc(1, sizeof(*drmem));

        assert_non_null(drmem);
        drmem->version = 2;
        drmem->lmb_size = lmb_size;
        drmem->lmbs = calloc(n + 1, sizeof(*lmbs));
        assert_non_null(drmem->lmbs);
        memcpy(drmem->lmbs, lmbs, n * sizeof(*lmbs));
        drmem->n = n;
        return drmem;
}

static struct memrange_crash *make_crash(const struct memrange *reservations, size_t n) {
        struct memrange_crash *crash = calloc(1, sizeof(*crash));

        assert_non_null(crash);
        list_fill(&crash->reservations, reservations, n, "Crash kernel");
        crash->kexec_loaded = crash->kexec_crash_loaded = -1;
        crash->kexec_crash_size = crash->crash_elfcorehdr_size = -1;
        crash->crash_hotplug_memory = crash->crash_hotplug_cpu = -1;
        return crash;
}

static struct memrange_devicetree *make_devicetree(void) {
        struct memrange_devicetree *dt = calloc(1, sizeof(*dt));

        assert_non_null(dt);
        dt->address_cells = dt->size_cells = 2;
        return dt;
}

static struct memrange_sources *new_sources(void) {
        struct memrange_sources *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        return s;
}

/* ---------------------------------------------------------------------------
 * Checking results
 */

static void print_table(const struct memrange_table *table) {
        memrange_table_foreach(r, table) {
                char flags[128], sources[128];

                printf("    REC(0x%" PRIx64 ", 0x%" PRIx64 ", %s, [%s], %d, [%s])\n", r->start, r->end,
                       memrange_type_to_name(r->type), memrange_flags_format(r->flags, "|", flags, sizeof(flags)),
                       r->nid, memrange_sources_format(r->sources, "|", sources, sizeof(sources)));
        }
}

static void assert_table(const struct memrange_table *table, const struct memrange *expected, size_t n) {
        const struct memrange *r = memrange_table_first(table);
        bool same = memrange_table_count(table) == n;

        for (size_t i = 0; same && i < n; i++, r = memrange_table_next(table, r))
                same = r && memcmp(r, &expected[i], sizeof(*r)) == 0;
        if (!same) {
                printf("table differs from the %zu expected regions; actual:\n", n);
                print_table(table);
                fail();
        }
}

struct expected_finding {
        const char *code;
        uint32_t severity;
        uint64_t start, end;
};

static void print_findings(const struct memrange_findings *findings) {
        for (size_t i = 0; i < findings->n; i++)
                printf("    %s %s 0x%" PRIx64 "-0x%" PRIx64 ": %s\n",
                       memrange_severity_to_name(findings->items[i].severity), findings->items[i].code,
                       findings->items[i].start, findings->items[i].end, findings->items[i].message);
}

static void assert_findings(const struct memrange_findings *findings, const struct expected_finding *expected,
                            size_t n) {
        bool same = findings->n == n;

        for (size_t i = 0; same && i < n; i++) {
                const struct memrange_finding *f = &findings->items[i];
                same = strcmp(f->code, expected[i].code) == 0 && f->severity == expected[i].severity &&
                       f->start == expected[i].start && f->end == expected[i].end;
        }
        if (!same) {
                printf("findings differ from the %zu expected; actual:\n", n);
                print_findings(findings);
                fail();
        }
}

struct result {
        struct memrange_table *table;
        struct memrange_findings *findings;
};

static struct result reconcile(const struct memrange_sources *s) {
        struct result res = {};

        assert_int_equal(memrange_reconcile(NULL, s, &res.table, &res.findings), 0);
        return res;
}

static void result_free(struct result *res) {
        memrange_table_free(res->table);
        memrange_findings_free(res->findings);
}

/* The x86 layout every hand-built test starts from:
 *   0x0-0x1000 Reserved, 0x1000-0x9fc00 RAM, 0x9fc00-0xa0000 Reserved,
 *   0xa0000-0xc0000 PCI Bus, 0x100000-0x40000000 RAM with kernel code and a
 *   crash kernel nested in it, 0x40000000-0xfec00000 PCI Bus with a device,
 *   0xfee00000 ACPI, 0x100000000-0x140000000 RAM. */
static const struct iomem_line x86_lines[] = {
        { 0, 0x0, 0x1000, RSV, 0, "Reserved" },
        { 0, 0x1000, 0x9fc00, RAM, 0, "System RAM" },
        { 0, 0x9fc00, 0xa0000, RSV, 0, "Reserved" },
        { 0, 0xa0000, 0xc0000, MEMRANGE_TYPE_UNKNOWN, 0, "PCI Bus 0000:00" },
        { 0, 0x100000, 0x40000000, RAM, 0, "System RAM" },
        { 1, 0x1000000, 0x2000000, MEMRANGE_TYPE_KERNEL, 0, "Kernel code" },
        { 1, 0x20000000, 0x30000000, MEMRANGE_TYPE_CRASHKERNEL, 0, "Crash kernel" },
        { 1, 0x38000000, 0x38100000, RSV, 0, "reserved" },
        { 0, 0x40000000, 0xfec00000, MEMRANGE_TYPE_UNKNOWN, 0, "PCI Bus 0000:00" },
        { 1, 0xfd000000, 0xfe000000, MEMRANGE_TYPE_UNKNOWN, 0, "0000:00:02.0" },
        { 0, 0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, "ACPI Tables" },
        { 0, 0x100000000, 0x140000000, RAM, 0, "System RAM" },
};

static struct memrange_sources *x86_sources(void) {
        struct memrange_sources *s = new_sources();

        s->iomem = make_iomem(x86_lines, ELEMENTSOF(x86_lines));
        s->status[0] = MEMRANGE_SOURCE_OK;
        return s;
}


/* ---------------------------------------------------------------------------
 * Building the table from /proc/iomem
 */

static void iomem_ram_at_any_depth_and_toplevel_memory_types_make_the_table(void **state) {
        struct iomem_line lines[ELEMENTSOF(x86_lines) + 2];
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        memcpy(lines, x86_lines, sizeof(x86_lines));
        lines[ELEMENTSOF(x86_lines)] = (struct iomem_line) { 0, 0x180000000, 0x200000000, 0, 0, "virtio0" };
        lines[ELEMENTSOF(x86_lines) + 1] = (struct iomem_line) {
                1, 0x180000000, 0x1c0000000, RAM, MEMRANGE_F_DRIVER_MANAGED, "System RAM (virtio_mem)"
        };
        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        res = reconcile(s);

        /* PCI Bus, the device under it, Kernel code, the nested memblock
         * "reserved" and virtio0 itself stay out; the crash kernel only
         * flags the RAM under it. */
        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, NONE, I),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I),
                REC(0x100000, 0x20000000, RAM, 0, NONE, I),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, I),
                REC(0x30000000, 0x40000000, RAM, 0, NONE, I),
                REC(0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, NONE, I),
                REC(0x100000000, 0x140000000, RAM, 0, NONE, I),
                REC(0x180000000, 0x1c0000000, RAM, MEMRANGE_F_DRIVER_MANAGED, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void ram_child_wins_over_its_soft_reserved_parent(void **state) {
        static const struct iomem_line lines[] = {
                { 0, 0x100000000, 0x200000000, MEMRANGE_TYPE_SOFT_RESERVED, 0, "Soft Reserved" },
                { 1, 0x100000000, 0x200000000, MEMRANGE_TYPE_UNKNOWN, 0, "dax0.0" },
                { 2, 0x100000000, 0x180000000, RAM, MEMRANGE_F_DRIVER_MANAGED, "System RAM (kmem)" },
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        res = reconcile(s);
        const struct memrange expected[] = {
                REC(0x100000000, 0x180000000, RAM, MEMRANGE_F_DRIVER_MANAGED, NONE, I),
                REC(0x180000000, 0x200000000, MEMRANGE_TYPE_SOFT_RESERVED, 0, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Firmware memmap
 */

static void memmap_adds_its_bit_where_types_agree_and_hotplug_flag(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        const struct memrange memmap[] = {
                SPAN(0x0, 0x9fc00, RAM),
                SPAN(0x9fc00, 0xa0000, RSV),
                SPAN(0x100000, 0x40000000, RAM),
                SPAN(0xfee00000, 0xfef00000, RSV), /* iomem says ACPI: no bit */
                REC(0x100000000, 0x140000000, RAM, MEMRANGE_F_HOTPLUG, NONE, 0),
        };
        struct result res;

        s->memmap = make_list(memmap, ELEMENTSOF(memmap));
        res = reconcile(s);
        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, NONE, I | M),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I | M),
                REC(0x100000, 0x20000000, RAM, 0, NONE, I | M),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, I | M),
                REC(0x30000000, 0x40000000, RAM, 0, NONE, I | M),
                REC(0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, NONE, I),
                REC(0x100000000, 0x140000000, RAM, MEMRANGE_F_HOTPLUG, NONE, I | M),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        /* Page 0 is RAM for the firmware, reserved by the kernel. */
        const struct expected_finding findings[] = {
                { "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO, 0x0, 0x1000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_int_equal(res.findings->items[0].sources, M | I);
        assert_non_null(strstr(res.findings->items[0].message, "0x0-0xfff"));
        result_free(&res);
}

static void memmap_ram_missing_from_iomem_is_one_warning_per_contiguous_range(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        const struct memrange memmap[] = {
                SPAN(0x0, 0xa0000, RAM),
                SPAN(0xa0000, 0xc0000, RAM),           /* iomem: only a PCI Bus window */
                SPAN(0x100000, 0x40000000, RAM),
                SPAN(0x100000000, 0x140000000, RAM),
                SPAN(0x140000000, 0x180000000, RAM),   /* cut off by mem= ... */
                SPAN(0x180000000, 0x1c0000000, RAM),   /* ... both entries */
        };
        struct result res;

        s->memmap = make_list(memmap, ELEMENTSOF(memmap));
        res = reconcile(s);
        const struct expected_finding findings[] = {
                { "memmap-ram-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0xa0000, 0xc0000 },
                { "memmap-ram-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0x140000000, 0x1c0000000 },
                { "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO, 0x0, 0x1000 },
                { "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO, 0x9fc00, 0xa0000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_non_null(strstr(res.findings->items[1].message, "0x140000000-0x1bfffffff"));
        assert_non_null(strstr(res.findings->items[1].message, "firmware memmap"));
        assert_non_null(strstr(res.findings->items[1].message, "/proc/iomem"));
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Memory blocks and NUMA links
 */

#define BLK128 (128 * MiB)

static void offline_blocks_flag_their_ram_and_node_links_set_the_nid(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        struct block_spec specs[16];
        uint64_t linked[15];
        size_t n = 0, n_linked = 0;
        struct result res;

        for (uint64_t i = 0; i < 8; i++)
                specs[n++] = (struct block_spec) { i, MEMRANGE_BLOCK_ONLINE, 0 };
        for (uint64_t i = 32; i < 40; i++)
                specs[n++] = (struct block_spec) {
                        i,
                        i == 33 ? MEMRANGE_BLOCK_OFFLINE :
                        i == 34 ? MEMRANGE_BLOCK_GOING_OFFLINE : MEMRANGE_BLOCK_ONLINE,
                        0,
                };
        for (size_t i = 0; i < n; i++)
                if (specs[i].index != 35) /* memory35 has only its memoryN/node0 link */
                        linked[n_linked++] = specs[i].index;
        s->blocks = make_blocks(BLK128, specs, n);
        s->numa = make_numa(0, linked, n_linked);
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, 0, I | B | N),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I),
                REC(0x100000, 0x20000000, RAM, 0, 0, I | B | N),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, 0, I | B | N),
                REC(0x30000000, 0x40000000, RAM, 0, 0, I | B | N),
                REC(0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, NONE, I),
                REC(0x100000000, 0x108000000, RAM, 0, 0, I | B | N),
                REC(0x108000000, 0x118000000, RAM, MEMRANGE_F_OFFLINE, 0, I | B | N),
                REC(0x118000000, 0x120000000, RAM, 0, 0, I | B),
                REC(0x120000000, 0x140000000, RAM, 0, 0, I | B | N),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void blocks_without_ram_and_ram_without_blocks_are_warnings(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        struct block_spec specs[10];
        size_t n = 0;
        struct result res;

        specs[n++] = (struct block_spec) { 0, MEMRANGE_BLOCK_ONLINE, BLOCK_TWO_NODES };
        for (uint64_t i = 1; i < 8; i++)
                specs[n++] = (struct block_spec) { i, MEMRANGE_BLOCK_ONLINE, 1 };
        specs[n++] = (struct block_spec) { 16, MEMRANGE_BLOCK_ONLINE, 1 }; /* PCI window */
        specs[n++] = (struct block_spec) { 17, MEMRANGE_BLOCK_ONLINE, 1 };
        s->blocks = make_blocks(BLK128, specs, n);
        res = reconcile(s);

        /* Block 0 links two nodes: no nid for its RAM. No numa source: no
         * numa bit. 0x100000000 has no block at all. */
        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, NONE, I | B),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I),
                REC(0x100000, 0x8000000, RAM, 0, NONE, I | B),
                REC(0x8000000, 0x20000000, RAM, 0, 1, I | B),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, 1, I | B),
                REC(0x30000000, 0x40000000, RAM, 0, 1, I | B),
                REC(0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, NONE, I),
                REC(0x100000000, 0x140000000, RAM, 0, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "block-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0x80000000, 0x90000000 },
                { "iomem-ram-without-block", MEMRANGE_SEVERITY_WARNING, 0x100000000, 0x140000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_int_equal(res.findings->items[0].sources, B | I);
        result_free(&res);
}

static void driver_managed_ram_counts_for_block_coverage(void **state) {
        static const struct iomem_line lines[] = {
                { 0, 0x0, 0x40000000, RAM, 0, "System RAM" },
                { 0, 0x100000000, 0x180000000, MEMRANGE_TYPE_UNKNOWN, 0, "virtio0" },
                { 1, 0x100000000, 0x110000000, RAM, MEMRANGE_F_DRIVER_MANAGED, "System RAM (virtio_mem)" },
        };
        const struct block_spec specs[] = {
                { 0, MEMRANGE_BLOCK_ONLINE, 0 }, { 1, MEMRANGE_BLOCK_ONLINE, 0 },
                { 2, MEMRANGE_BLOCK_ONLINE, 0 }, { 3, MEMRANGE_BLOCK_ONLINE, 0 },
                { 4, MEMRANGE_BLOCK_ONLINE, 0 }, { 5, MEMRANGE_BLOCK_ONLINE, 0 },
                { 6, MEMRANGE_BLOCK_ONLINE, 0 }, { 7, MEMRANGE_BLOCK_ONLINE, 0 },
                { 32, MEMRANGE_BLOCK_ONLINE, 0 }, /* the second virtio-mem block is missing */
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        s->blocks = make_blocks(BLK128, specs, ELEMENTSOF(specs));
        res = reconcile(s);
        const struct memrange expected[] = {
                REC(0x0, 0x40000000, RAM, 0, 0, I | B),
                REC(0x100000000, 0x108000000, RAM, MEMRANGE_F_DRIVER_MANAGED, 0, I | B),
                REC(0x108000000, 0x110000000, RAM, MEMRANGE_F_DRIVER_MANAGED, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "iomem-ram-without-block", MEMRANGE_SEVERITY_WARNING, 0x108000000, 0x110000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Without a usable /proc/iomem
 */

static void hidden_iomem_is_an_error_and_memblock_builds_the_table(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        const struct memrange memory[] = {
                REC(0x40000000, 0x80000000, RAM, 0, 0, 0),
                REC(0x80000000, 0x80200000, RAM, MEMRANGE_F_NOMAP, NONE, 0),
                REC(0x80200000, 0xc0000000, RAM, MEMRANGE_F_HOTPLUG, 0, 0),
        };
        struct block_spec specs[16];
        uint64_t linked[16];
        struct result res;

        for (size_t i = 0; i < 16; i++) {
                specs[i] = (struct block_spec) { 8 + i, MEMRANGE_BLOCK_ONLINE, 0 };
                linked[i] = 8 + i;
        }
        s->status[0] = MEMRANGE_SOURCE_HIDDEN;
        s->memblock = make_memblock(memory, ELEMENTSOF(memory));
        s->blocks = make_blocks(BLK128, specs, 16);
        s->numa = make_numa(0, linked, 16);
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x40000000, 0x80000000, RAM, 0, 0, MB | B | N),
                REC(0x80000000, 0x80200000, RSV, MEMRANGE_F_NOMAP, NONE, MB),
                REC(0x80200000, 0xc0000000, RAM, MEMRANGE_F_HOTPLUG, 0, MB | B | N),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "iomem-hidden", MEMRANGE_SEVERITY_ERROR, 0, 0 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_non_null(strstr(res.findings->items[0].message, "run as root"));
        assert_non_null(strstr(res.findings->items[0].message, "memblock"));
        result_free(&res);
}

static void zeroed_iomem_falls_back_to_devicetree_and_drmem(void **state) {
        static const struct iomem_line zeroed[] = {
                { 0, 0, 0, RAM, 0, "System RAM" },
                { 0, 0, 0, RAM, 0, "System RAM" },
        };
        const struct memrange dt_memory = SPAN(0x0, 0x80000000, RAM);
        const struct memrange_lmb lmbs[] = {
                { 0x80000000, 0x80000008, 0, MEMRANGE_DRMEM_ASSIGNED },
                { 0x90000000, 0x80000009, 0, MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_HOTREMOVABLE },
                { 0xa0000000, 0x8000000a, 0, 0 },
                { 0xb0000000, 0x8000000b, 0, MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_RESERVED },
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        /* Built by hand with status OK: the zeroes alone must be enough. */
        s->iomem = make_iomem(zeroed, ELEMENTSOF(zeroed));
        s->status[0] = MEMRANGE_SOURCE_OK;
        s->devicetree = make_devicetree();
        list_fill(&s->devicetree->memory, &dt_memory, 1, "memory@0");
        s->drmem = make_drmem(256 * MiB, lmbs, ELEMENTSOF(lmbs));
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x0, 0x80000000, RAM, 0, NONE, DT),
                REC(0x80000000, 0x90000000, RAM, 0, NONE, DR),
                REC(0x90000000, 0xa0000000, RAM, MEMRANGE_F_HOTPLUG, NONE, DR),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "iomem-hidden", MEMRANGE_SEVERITY_ERROR, 0, 0 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_non_null(strstr(res.findings->items[0].message, "device tree"));
        result_free(&res);
}

/* pseries publishes its crash region in /chosen only: it marks the RAM
 * when iomem has no "Crash kernel" entry, and iomem's entry wins when it
 * has one. */
static void devicetree_crash_region_marks_ram_unless_iomem_has_one(void **state) {
        static const struct iomem_line ppc64_lines[] = {
                { 0, 0x0, 0x80000000, RAM, 0, "System RAM" },
        };
        static const struct iomem_line with_crash[] = {
                { 0, 0x0, 0x80000000, RAM, 0, "System RAM" },
                { 1, 0x40000000, 0x48000000, MEMRANGE_TYPE_CRASHKERNEL, 0, "Crash kernel" },
        };
        const struct memrange dt_memory = SPAN(0x0, 0x80000000, RAM);
        const struct memrange chosen = REC(0x20000000, 0x30000000, MEMRANGE_TYPE_CRASHKERNEL, 0, NONE, DT);

        for (int iomem_has_crash = 0; iomem_has_crash <= 1; iomem_has_crash++) {
                _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
                struct result res;

                s->iomem = iomem_has_crash ? make_iomem(with_crash, ELEMENTSOF(with_crash))
                                           : make_iomem(ppc64_lines, ELEMENTSOF(ppc64_lines));
                s->status[0] = MEMRANGE_SOURCE_OK;
                s->devicetree = make_devicetree();
                list_fill(&s->devicetree->memory, &dt_memory, 1, "memory@0");
                s->devicetree->has_crashkernel = true;
                s->devicetree->crashkernel = chosen;
                res = reconcile(s);

                if (iomem_has_crash) {
                        const struct memrange expected[] = {
                                REC(0x0, 0x40000000, RAM, 0, NONE, I | DT),
                                REC(0x40000000, 0x48000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, I | DT),
                                REC(0x48000000, 0x80000000, RAM, 0, NONE, I | DT),
                        };
                        assert_table(res.table, expected, ELEMENTSOF(expected));
                } else {
                        const struct memrange expected[] = {
                                REC(0x0, 0x20000000, RAM, 0, NONE, I | DT),
                                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, I | DT),
                                REC(0x30000000, 0x80000000, RAM, 0, NONE, I | DT),
                        };
                        assert_table(res.table, expected, ELEMENTSOF(expected));
                }
                assert_findings(res.findings, NULL, 0);
                result_free(&res);
        }
}

/* Without a usable iomem the table comes from the device tree; its crash
 * region still marks the RAM. */
static void devicetree_crash_region_marks_the_devicetree_table(void **state) {
        static const struct iomem_line zeroed[] = {
                { 0, 0, 0, RAM, 0, "System RAM" },
        };
        const struct memrange dt_memory = SPAN(0x0, 0x80000000, RAM);
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(zeroed, ELEMENTSOF(zeroed));
        s->status[0] = MEMRANGE_SOURCE_HIDDEN;
        s->devicetree = make_devicetree();
        list_fill(&s->devicetree->memory, &dt_memory, 1, "memory@0");
        s->devicetree->has_crashkernel = true;
        s->devicetree->crashkernel = REC(0x20000000, 0x30000000, MEMRANGE_TYPE_CRASHKERNEL, 0, NONE, DT);
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x0, 0x20000000, RAM, 0, NONE, DT),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, DT),
                REC(0x30000000, 0x80000000, RAM, 0, NONE, DT),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        result_free(&res);
}

static void without_iomem_blocks_come_before_the_memmap(void **state) {
        const struct block_spec specs[] = {
                { 0, MEMRANGE_BLOCK_ONLINE, NONE },
                { 1, MEMRANGE_BLOCK_OFFLINE, NONE },
        };
        const struct memrange memmap[] = {
                SPAN(0x0, 0x9fc00, RAM),
                SPAN(0x9fc00, 0xa0000, RSV),
                SPAN(0x100000, 0x40000000, RAM),
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        /* iomem absent (not hidden): no finding, the blocks build it. */
        s->blocks = make_blocks(BLK128, specs, ELEMENTSOF(specs));
        s->memmap = make_list(memmap, ELEMENTSOF(memmap));
        res = reconcile(s);
        const struct memrange from_blocks[] = {
                REC(0x0, 0x9fc00, RAM, 0, NONE, M | B),
                REC(0x9fc00, 0x100000, RAM, 0, NONE, B),
                REC(0x100000, 0x8000000, RAM, 0, NONE, M | B),
                REC(0x8000000, 0x10000000, RAM, MEMRANGE_F_OFFLINE, NONE, M | B),
        };
        assert_table(res.table, from_blocks, ELEMENTSOF(from_blocks));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);

        s->blocks = memrange_blocks_free(s->blocks);
        res = reconcile(s);
        const struct memrange from_memmap[] = {
                REC(0x0, 0x9fc00, RAM, 0, NONE, M),
                REC(0x100000, 0x40000000, RAM, 0, NONE, M),
        };
        assert_table(res.table, from_memmap, ELEMENTSOF(from_memmap));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void no_source_at_all_is_an_error(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res = reconcile(s);

        assert_int_equal(memrange_table_count(res.table), 0);
        const struct expected_finding findings[] = {
                { "no-memory-source", MEMRANGE_SEVERITY_ERROR, 0, 0 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Crash reservations, drmem, device tree, memblock
 */

static void crash_reservation_outside_ram_is_an_error(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        const struct memrange reservations[] = {
                SPAN(0x20000000, 0x30000000, MEMRANGE_TYPE_CRASHKERNEL),
                /* the low one, straddling the end of RAM into the PCI window */
                REC(0x3f000000, 0x41000000, MEMRANGE_TYPE_CRASHKERNEL, MEMRANGE_F_CRASH_LOW, NONE, 0),
        };
        struct result res;

        s->crash = make_crash(reservations, ELEMENTSOF(reservations));
        res = reconcile(s);
        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, NONE, I),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I),
                REC(0x100000, 0x20000000, RAM, 0, NONE, I),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, NONE, I | C),
                REC(0x30000000, 0x3f000000, RAM, 0, NONE, I),
                REC(0x3f000000, 0x40000000, RAM, MEMRANGE_F_CRASHKERNEL | MEMRANGE_F_CRASH_LOW, NONE, I | C),
                REC(0xfee00000, 0xfef00000, MEMRANGE_TYPE_ACPI, 0, NONE, I),
                REC(0x100000000, 0x140000000, RAM, 0, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "crash-reservation-outside-ram", MEMRANGE_SEVERITY_ERROR, 0x40000000, 0x41000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_non_null(strstr(res.findings->items[0].message, "0x40000000-0x40ffffff"));
        result_free(&res);
}

static void drmem_lmb_missing_from_iomem_is_an_error(void **state) {
        static const struct iomem_line lines[] = {
                { 0, 0x0, 0x80000000, RAM, 0, "System RAM" },
                { 0, 0x80000000, 0x90000000, RAM, 0, "System RAM" },
        };
        const struct memrange_lmb lmbs[] = {
                { 0x0, 0x80000000, 0, MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_RESERVED },
                { 0x80000000, 0x80000008, 0, MEMRANGE_DRMEM_ASSIGNED | MEMRANGE_DRMEM_HOTREMOVABLE },
                { 0x90000000, 0x80000009, 0, MEMRANGE_DRMEM_ASSIGNED },
                { 0xa0000000, 0x8000000a, 0, MEMRANGE_DRMEM_ASSIGNED },
                { 0xb0000000, 0x8000000b, 0, 0 },
        };
        const struct memrange dt_memory = SPAN(0x0, 0x80000000, RAM);
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        s->drmem = make_drmem(256 * MiB, lmbs, ELEMENTSOF(lmbs));
        s->devicetree = make_devicetree();
        list_fill(&s->devicetree->memory, &dt_memory, 1, "memory@0");
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x0, 0x80000000, RAM, 0, NONE, I | DT),
                REC(0x80000000, 0x90000000, RAM, MEMRANGE_F_HOTPLUG, NONE, I | DR),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "drmem-lmb-not-in-iomem", MEMRANGE_SEVERITY_ERROR, 0x90000000, 0xb0000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        assert_int_equal(res.findings->items[0].sources, DR | I);
        result_free(&res);
}

/* arm64-like: a no-map region shows in iomem as a top-level "reserved". */
static const struct iomem_line arm64_lines[] = {
        { 0, 0x40000000, 0x80000000, RAM, 0, "System RAM" },
        { 1, 0x40200000, 0x41f00000, MEMRANGE_TYPE_KERNEL, 0, "Kernel code" },
        { 0, 0x80000000, 0x80200000, RSV, 0, "reserved" },
        { 0, 0x80200000, 0xc0000000, RAM, 0, "System RAM" },
};

static void devicetree_memory_after_usable_limits_and_nomap_regions(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        const struct memrange reg_low = SPAN(0x40000000, 0xc0000000, RAM);
        const struct memrange reg_high = SPAN(0x100000000, 0x140000000, RAM);
        const struct memrange usable_high = SPAN(0x100000000, 0x110000000, RAM);
        const struct memrange nomap = REC(0x80000000, 0x80200000, RSV, MEMRANGE_F_NOMAP, NONE, 0);
        const struct memrange plain_reserved = SPAN(0x48000000, 0x48100000, RSV);
        struct result res;

        s->iomem = make_iomem(arm64_lines, ELEMENTSOF(arm64_lines));
        s->devicetree = make_devicetree();
        list_fill(&s->devicetree->memory, &reg_low, 1, "memory@40000000");
        list_fill(&s->devicetree->memory, &reg_high, 1, "memory@100000000");
        list_fill(&s->devicetree->usable_memory, &usable_high, 1, "memory@100000000");
        list_fill(&s->devicetree->reserved_memory, &nomap, 1, "firmware@80000000");
        list_fill(&s->devicetree->reserved_memory, &plain_reserved, 1, "cma@48000000");
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x40000000, 0x80000000, RAM, 0, NONE, I | DT),
                REC(0x80000000, 0x80200000, RSV, MEMRANGE_F_NOMAP, NONE, I),
                REC(0x80200000, 0xc0000000, RAM, 0, NONE, I | DT),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        /* Only the usable part of the high node counts, and the no-map
         * region is accounted for by iomem's "reserved". */
        const struct expected_finding findings[] = {
                { "devicetree-memory-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0x100000000, 0x110000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        result_free(&res);
}

static void devicetree_usable_memory_range_limits_a_kdump_kernel(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        const struct memrange reg = SPAN(0x40000000, 0x140000000, RAM);
        const struct memrange usable_range = SPAN(0x60000000, 0x70000000, RAM);
        struct result res;

        s->iomem = make_iomem(arm64_lines, ELEMENTSOF(arm64_lines));
        s->devicetree = make_devicetree();
        list_fill(&s->devicetree->memory, &reg, 1, "memory@40000000");
        list_fill(&s->devicetree->usable_memory_range, &usable_range, 1, "chosen");
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x40000000, 0x60000000, RAM, 0, NONE, I),
                REC(0x60000000, 0x70000000, RAM, 0, NONE, I | DT),
                REC(0x70000000, 0x80000000, RAM, 0, NONE, I),
                REC(0x80000000, 0x80200000, RSV, 0, NONE, I),
                REC(0x80200000, 0xc0000000, RAM, 0, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void memblock_flags_nid_and_disagreements_both_ways(void **state) {
        static const struct iomem_line lines[] = {
                { 0, 0x40000000, 0x80000000, RAM, 0, "System RAM" },
                { 0, 0x80000000, 0x80200000, RSV, 0, "reserved" },
                { 0, 0x80200000, 0xc0000000, RAM, 0, "System RAM" },
                { 0, 0x200000000, 0x210000000, RAM, 0, "System RAM" },
        };
        const struct memrange memory[] = {
                REC(0x40000000, 0x80000000, RAM, 0, 0, 0),
                REC(0x80000000, 0x80200000, RAM, MEMRANGE_F_NOMAP, 0, 0),
                REC(0x80200000, 0xc0000000, RAM, MEMRANGE_F_MIRROR, 1, 0),
                REC(0xc0000000, 0xc8000000, RAM, 0, 1, 0),
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        s->memblock = make_memblock(memory, ELEMENTSOF(memory));
        res = reconcile(s);

        const struct memrange expected[] = {
                REC(0x40000000, 0x80000000, RAM, 0, 0, I | MB),
                REC(0x80000000, 0x80200000, RSV, MEMRANGE_F_NOMAP, NONE, I | MB),
                REC(0x80200000, 0xc0000000, RAM, MEMRANGE_F_MIRROR, 1, I | MB),
                REC(0x200000000, 0x210000000, RAM, 0, NONE, I),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        const struct expected_finding findings[] = {
                { "memblock-memory-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0xc0000000, 0xc8000000 },
                { "iomem-ram-not-in-memblock", MEMRANGE_SEVERITY_WARNING, 0x200000000, 0x210000000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        result_free(&res);
}

static void node_links_win_over_memblock_nid(void **state) {
        static const struct iomem_line lines[] = {
                { 0, 0x0, 0x20000000, RAM, 0, "System RAM" },
        };
        const struct memrange memory[] = { REC(0x0, 0x20000000, RAM, 0, 3, 0) };
        const struct block_spec specs[] = {
                { 0, MEMRANGE_BLOCK_ONLINE, 2 },
                { 1, MEMRANGE_BLOCK_ONLINE, BLOCK_TWO_NODES },
        };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        struct result res;

        s->iomem = make_iomem(lines, ELEMENTSOF(lines));
        s->memblock = make_memblock(memory, ELEMENTSOF(memory));
        s->blocks = make_blocks(256 * MiB, specs, ELEMENTSOF(specs));
        res = reconcile(s);
        const struct memrange expected[] = {
                REC(0x0, 0x10000000, RAM, 0, 2, I | MB | B),
                REC(0x10000000, 0x20000000, RAM, 0, 3, I | MB | B),
        };
        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Source status, ordering, names
 */

static void unreadable_sources_are_error_findings_with_the_reader_message(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        struct result res;

        s->status[3] = MEMRANGE_SOURCE_ERROR;
        s->error[3] = strdup("sys/kernel/debug/memblock/memory:3: bad hex number 'zz'");
        s->status[1] = MEMRANGE_SOURCE_ERROR; /* no message recorded */
        res = reconcile(s);

        assert_int_equal(res.findings->n, 2);
        for (size_t i = 0; i < 2; i++) {
                const struct memrange_finding *f = &res.findings->items[i];

                assert_string_equal(f->code, "source-error");
                assert_int_equal(f->severity, MEMRANGE_SEVERITY_ERROR);
                if (f->sources == MB) {
                        assert_non_null(strstr(f->message, "memblock"));
                        assert_non_null(strstr(f->message, "memory:3: bad hex number 'zz'"));
                } else {
                        assert_int_equal(f->sources, M);
                        assert_non_null(strstr(f->message, "firmware-memmap"));
                }
        }
        assert_int_equal(memrange_findings_max_severity(res.findings), MEMRANGE_SEVERITY_ERROR);
        result_free(&res);
}

static void findings_are_sorted_errors_first_then_by_address(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = x86_sources();
        const struct memrange memmap[] = {
                SPAN(0x0, 0x9fc00, RAM),
                SPAN(0x140000000, 0x180000000, RAM),
        };
        const struct memrange reservation = SPAN(0x40000000, 0x41000000, MEMRANGE_TYPE_CRASHKERNEL);
        struct result res;

        s->memmap = make_list(memmap, ELEMENTSOF(memmap));
        s->crash = make_crash(&reservation, 1);
        res = reconcile(s);
        const struct expected_finding findings[] = {
                { "crash-reservation-outside-ram", MEMRANGE_SEVERITY_ERROR, 0x40000000, 0x41000000 },
                { "memmap-ram-not-in-iomem", MEMRANGE_SEVERITY_WARNING, 0x140000000, 0x180000000 },
                { "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO, 0x0, 0x1000 },
        };
        assert_findings(res.findings, findings, ELEMENTSOF(findings));
        result_free(&res);
}

static void severity_names_and_max_severity(void **state) {
        struct memrange_findings empty = {};

        assert_string_equal(memrange_severity_to_name(MEMRANGE_SEVERITY_INFO), "info");
        assert_string_equal(memrange_severity_to_name(MEMRANGE_SEVERITY_WARNING), "warning");
        assert_string_equal(memrange_severity_to_name(MEMRANGE_SEVERITY_ERROR), "error");
        assert_null(memrange_severity_to_name(3));
        assert_int_equal(memrange_findings_max_severity(&empty), -1);
        assert_int_equal(memrange_findings_max_severity(NULL), -1);
        assert_null(memrange_findings_free(NULL));
        assert_null(memrange_sources_free(NULL));
        assert_int_equal(memrange_reconcile(NULL, NULL, NULL, NULL), -EINVAL);
}

/* The daemon reruns this on every hotplug: 100000 alternating blocks give
 * 100000 ranges, each with its own state and node. How fast is
 * bench/table's and bench/daemon's to say; quadratic work would exceed the
 * test's timeout. */
static void many_alternating_blocks_reconcile(void **state) {
        enum { NBLOCKS = 100000 };
        const struct iomem_line line = { 0, 0, NBLOCKS * BLK128, RAM, 0, "System RAM" };
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = new_sources();
        _cleanup_(freep) struct block_spec *specs = calloc(NBLOCKS, sizeof(*specs));
        struct result res;

        assert_non_null(specs);
        for (uint64_t i = 0; i < NBLOCKS; i++)
                specs[i] = (struct block_spec) {
                        i, i % 2 ? MEMRANGE_BLOCK_OFFLINE : MEMRANGE_BLOCK_ONLINE, (int32_t) (i / 50000)
                };
        s->iomem = make_iomem(&line, 1);
        s->blocks = make_blocks(BLK128, specs, NBLOCKS);
        res = reconcile(s);

        assert_int_equal(memrange_table_count(res.table), NBLOCKS);
        assert_int_equal(memrange_table_find(res.table, 1 * BLK128)->flags, MEMRANGE_F_OFFLINE);
        assert_int_equal(memrange_table_find(res.table, 50000 * BLK128)->nid, 1);
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

/* ---------------------------------------------------------------------------
 * Reading the sources
 */

static unsigned idx(uint32_t bit) {
        return (unsigned) __builtin_ctz(bit);
}

static void sources_read_records_hidden_broken_and_absent_sources(void **state) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct scratch sc;

        scratch_init(&sc);
        scratch_write(&sc, "proc/iomem",
                      "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n", (size_t) -1);
        scratch_write(&sc, "sys/kernel/debug/memblock/memory", "garbage\n", (size_t) -1);
        scratch_write(&sc, "sys/kernel/debug/memblock/reserved", "", (size_t) -1);
        ctx = scratch_ctx(&sc);
        memrange_ctx_set_log_fn(ctx, NULL, NULL); /* the failures are expected */

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        assert_int_equal(s->status[idx(I)], MEMRANGE_SOURCE_HIDDEN);
        assert_null(s->iomem);
        assert_int_equal(s->status[idx(MB)], MEMRANGE_SOURCE_ERROR);
        assert_null(s->memblock);
        assert_non_null(s->error[idx(MB)]);
        assert_non_null(strstr(s->error[idx(MB)], "memblock/memory"));
        assert_int_equal(s->status[idx(DT)], MEMRANGE_SOURCE_ABSENT);
        assert_int_equal(s->status[idx(DR)], MEMRANGE_SOURCE_ABSENT);
        assert_null(s->error[idx(DT)]);
        scratch_free(&sc);
}

static void sources_read_of_a_fixture_finds_every_x86_source(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        for (uint32_t bit = I; bit <= C; bit <<= 1) {
                bool absent = bit == MB || bit == DT || bit == DR;

                if (s->error[idx(bit)])
                        printf("%s: %s\n", memrange_source_to_name(bit), s->error[idx(bit)]);
                assert_int_equal(s->status[idx(bit)], absent ? MEMRANGE_SOURCE_ABSENT : MEMRANGE_SOURCE_OK);
        }
        assert_non_null(s->iomem);
        assert_non_null(s->memmap);
        assert_int_equal(s->memmap->n, 8);
        assert_non_null(s->blocks);
        assert_int_equal(s->blocks->n, 16);
        assert_null(s->memblock);
}

/* ---------------------------------------------------------------------------
 * Real machines
 */

static struct result reconcile_fixture(const char *name) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(name);
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;
        struct result res = {};

        assert_int_equal(memrange_sources_read(ctx, &s), 0);
        assert_int_equal(memrange_reconcile(ctx, s, &res.table, &res.findings), 0);
        return res;
}

/* Why each healthy fixture's findings are real, explainable disagreements:
 *  - every x86 machine: the firmware (e820) map calls page 0 RAM, but the
 *    kernel reserves it (e820__reserve_setup_data / trim_bios_range), so
 *    /proc/iomem shows 0x0-0xfff as "Reserved": one info finding;
 *  - arm64 and ppc64: memblock, the device tree, drmem, the blocks and the
 *    node links all agree with iomem: none. */
static const struct expected_finding x86_page0[] = {
        { "memmap-ram-reserved-in-iomem", MEMRANGE_SEVERITY_INFO, 0x0, 0x1000 },
};

static void every_healthy_fixture_has_no_error_finding(void **state) {
        for (const char *const *f = all_fixtures; *f; f++) {
                struct result res = reconcile_fixture(*f);
                bool x86 = strncmp(*f, "x86_64", 6) == 0 || strncmp(*f, "kdump-cases/", 12) == 0;

                printf("%s: %zu regions, %zu findings\n", *f, memrange_table_count(res.table), res.findings->n);
                print_findings(res.findings);
                assert_true(memrange_table_count(res.table) > 0);
                assert_true(memrange_findings_max_severity(res.findings) < MEMRANGE_SEVERITY_ERROR);
                if (x86)
                        assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
                else
                        assert_findings(res.findings, NULL, 0);
                result_free(&res);
        }
}

#define HP MEMRANGE_F_HOTPLUG
#define CK MEMRANGE_F_CRASHKERNEL

/* The QEMU pc layout every x86 dimm and virtio-mem fixture shares: 1 GiB
 * of boot RAM in 128 MiB blocks on node 0, the firmware reservations, a
 * 256 MiB crash kernel wherever KASLR put it, and whatever RAM the hot-add
 * put above 4 GiB (@high, may be NULL). */
static void assert_qemu_pc_table(const struct memrange_table *table, uint64_t crash, const struct memrange *high) {
        struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, 0, I | M | B | N),
                REC(0x9fc00, 0xa0000, RSV, 0, NONE, I | M),
                REC(0xf0000, 0x100000, RSV, 0, NONE, I | M),
                REC(0x100000, crash, RAM, 0, 0, I | M | B | N),
                REC(crash, crash + 256 * MiB, RAM, CK, 0, I | M | B | N | C),
                REC(crash + 256 * MiB, 0x3ffe0000, RAM, 0, 0, I | M | B | N),
                REC(0x3ffe0000, 0x40000000, RSV, 0, NONE, I | M),
                REC(0xfffc0000, 0x100000000, RSV, 0, NONE, I | M),
                {}, /* @high */
                REC(0xfd00000000, 0x10000000000, RSV, 0, NONE, I | M),
        };
        size_t n = ELEMENTSOF(expected);

        if (high)
                expected[9] = *high;
        else
                expected[9] = expected[--n];
        assert_table(table, expected, n);
}

static void x86_dimm_boot_table(void **state) {
        struct result res = reconcile_fixture("x86_64-6.1-dimm/boot");

        assert_qemu_pc_table(res.table, 0x1e000000, NULL);
        assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
        result_free(&res);
}

static void x86_dimm_hotplug_table(void **state) {
        struct result res = reconcile_fixture("x86_64-6.1-dimm/hotplug");
        /* memmap entry 7, appended by the hot-add: the hotplug flag */
        const struct memrange dimm = REC(0x100000000, 0x140000000, RAM, HP, 0, I | M | B | N);

        assert_qemu_pc_table(res.table, 0x1e000000, &dimm);
        assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
        result_free(&res);
}

static void x86_dimm_offline_flags_memory33_only(void **state) {
        struct result res = reconcile_fixture("x86_64-6.1-dimm/offline");
        const struct memrange *r;

        /* memory33 = 33 * 128 MiB: iomem still says System RAM. */
        r = memrange_table_find(res.table, 0x108000000);
        assert_non_null(r);
        assert_true(r->start == 0x108000000 && r->end == 0x110000000);
        assert_int_equal(r->type, RAM);
        assert_int_equal(r->flags, HP | MEMRANGE_F_OFFLINE);
        assert_int_equal(r->nid, 0);
        assert_int_equal(r->sources, I | M | B | N);
        r = memrange_table_find(res.table, 0x100000000);
        assert_true(r->start == 0x100000000 && r->end == 0x108000000 && r->flags == HP);
        r = memrange_table_find(res.table, 0x110000000);
        assert_true(r->start == 0x110000000 && r->end == 0x140000000 && r->flags == HP);
        assert_int_equal(memrange_table_count(res.table), 13);
        assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
        result_free(&res);
}

static void virtiomem_driver_managed_ram_without_memmap(void **state) {
        /* "System RAM (virtio_mem)" under virtio0, 512 MiB at boot, 1 GiB
         * after growing: memmap never lists it, the blocks do. */
        static const struct {
                const char *name;
                uint64_t end;
        } cases[] = {
                { "x86_64-6.12-virtiomem/boot", 0x120000000 },
                { "x86_64-6.12-virtiomem/hotplug", 0x140000000 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct result res = reconcile_fixture(cases[i].name);
                const struct memrange virtio_mem =
                        REC(0x100000000, cases[i].end, RAM, MEMRANGE_F_DRIVER_MANAGED, 0, I | B | N);

                printf("%s\n", cases[i].name);
                assert_qemu_pc_table(res.table, 0x25000000, &virtio_mem);
                assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
                result_free(&res);
        }
}

static void kdump_roots_hold_the_hot_added_dimm(void **state) {
        static const struct {
                const char *name;
                uint64_t crash;
        } cases[] = {
                { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 0x29000000 },
                { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 0x2f000000 },
                { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 0x26000000 },
        };
        const struct memrange dimm = REC(0x100000000, 0x140000000, RAM, HP, 0, I | M | B | N);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct result res = reconcile_fixture(cases[i].name);

                printf("%s\n", cases[i].name);
                assert_qemu_pc_table(res.table, cases[i].crash, &dimm);
                result_free(&res);
        }
}

static void arm64_memblock_and_devicetree_agree_with_iomem(void **state) {
        struct result res = reconcile_fixture("arm64-6.12-virt/boot");
        const struct memrange *crash;
        uint32_t crash_flags;

        crash = memrange_table_find(res.table, 0xa9a00000);
        assert_non_null(crash);
        /* Whether the reader calls this one reservation "low" is its business. */
        crash_flags = crash->flags;
        assert_true(crash_flags == CK || crash_flags == (CK | MEMRANGE_F_CRASH_LOW));
        const struct memrange expected[] = {
                REC(0x40000000, 0xa9a00000, RAM, 0, 0, I | B | MB | DT | N),
                REC(0xa9a00000, 0xb9a00000, RAM, crash_flags, 0, I | B | MB | DT | N | C),
                REC(0xb9a00000, 0xc0000000, RAM, 0, 0, I | B | MB | DT | N),
        };

        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void ppc64_hotplug_drmem_covers_the_new_lmbs(void **state) {
        struct result res = reconcile_fixture("ppc64le-6.1-pseries/hotplug");
        /* memory@0 covers the boot 2 GiB; the 4 LMBs assigned by the
         * hot-add cover 0x80000000-0xbfffffff; no node column in 6.1
         * memblock, so the nid comes from the node links. /chosen holds
         * linux,crashkernel-base 0x20000000 and -size 0x10000000, which
         * iomem does not show. */
        const struct memrange expected[] = {
                REC(0x0, 0x20000000, RAM, 0, 0, I | B | MB | DT | N),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, 0, I | B | MB | DT | N),
                REC(0x30000000, 0x80000000, RAM, 0, 0, I | B | MB | DT | N),
                REC(0x80000000, 0xc0000000, RAM, 0, 0, I | B | MB | DR | N),
        };

        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void ppc64_boot_reserved_lmbs_are_not_drmem_memory(void **state) {
        struct result res = reconcile_fixture("ppc64le-6.1-pseries/boot");
        const struct memrange expected[] = {
                REC(0x0, 0x20000000, RAM, 0, 0, I | B | MB | DT | N),
                REC(0x20000000, 0x30000000, RAM, MEMRANGE_F_CRASHKERNEL, 0, I | B | MB | DT | N),
                REC(0x30000000, 0x80000000, RAM, 0, 0, I | B | MB | DT | N),
        };

        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, NULL, 0);
        result_free(&res);
}

static void microvm_many_blocks_merge_into_iomem_ranges(void **state) {
        struct result res = reconcile_fixture("x86_64-6.18-microvm/boot");
        const struct memrange expected[] = {
                REC(0x0, 0x1000, RSV, 0, NONE, I),
                REC(0x1000, 0x9fc00, RAM, 0, 0, I | M | B | N),
                REC(0x9fc00, 0x100000, RSV, 0, NONE, I | M),
                REC(0x100000, 0xc0000000, RAM, 0, 0, I | M | B | N),
                REC(0xeec00000, 0xfec00000, RSV, 0, NONE, I | M),
                REC(0x100000000, 0x640000000, RAM, 0, 0, I | M | B | N),
        };

        assert_table(res.table, expected, ELEMENTSOF(expected));
        assert_findings(res.findings, x86_page0, ELEMENTSOF(x86_page0));
        result_free(&res);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(iomem_ram_at_any_depth_and_toplevel_memory_types_make_the_table),
                cmocka_unit_test(ram_child_wins_over_its_soft_reserved_parent),
                cmocka_unit_test(memmap_adds_its_bit_where_types_agree_and_hotplug_flag),
                cmocka_unit_test(memmap_ram_missing_from_iomem_is_one_warning_per_contiguous_range),
                cmocka_unit_test(offline_blocks_flag_their_ram_and_node_links_set_the_nid),
                cmocka_unit_test(blocks_without_ram_and_ram_without_blocks_are_warnings),
                cmocka_unit_test(driver_managed_ram_counts_for_block_coverage),
                cmocka_unit_test(hidden_iomem_is_an_error_and_memblock_builds_the_table),
                cmocka_unit_test(zeroed_iomem_falls_back_to_devicetree_and_drmem),
                cmocka_unit_test(devicetree_crash_region_marks_ram_unless_iomem_has_one),
                cmocka_unit_test(devicetree_crash_region_marks_the_devicetree_table),
                cmocka_unit_test(without_iomem_blocks_come_before_the_memmap),
                cmocka_unit_test(no_source_at_all_is_an_error),
                cmocka_unit_test(crash_reservation_outside_ram_is_an_error),
                cmocka_unit_test(drmem_lmb_missing_from_iomem_is_an_error),
                cmocka_unit_test(devicetree_memory_after_usable_limits_and_nomap_regions),
                cmocka_unit_test(devicetree_usable_memory_range_limits_a_kdump_kernel),
                cmocka_unit_test(memblock_flags_nid_and_disagreements_both_ways),
                cmocka_unit_test(node_links_win_over_memblock_nid),
                cmocka_unit_test(unreadable_sources_are_error_findings_with_the_reader_message),
                cmocka_unit_test(findings_are_sorted_errors_first_then_by_address),
                cmocka_unit_test(severity_names_and_max_severity),
                cmocka_unit_test(many_alternating_blocks_reconcile),
                cmocka_unit_test(sources_read_records_hidden_broken_and_absent_sources),
                cmocka_unit_test(sources_read_of_a_fixture_finds_every_x86_source),
                cmocka_unit_test(every_healthy_fixture_has_no_error_finding),
                cmocka_unit_test(x86_dimm_boot_table),
                cmocka_unit_test(x86_dimm_hotplug_table),
                cmocka_unit_test(x86_dimm_offline_flags_memory33_only),
                cmocka_unit_test(virtiomem_driver_managed_ram_without_memmap),
                cmocka_unit_test(kdump_roots_hold_the_hot_added_dimm),
                cmocka_unit_test(arm64_memblock_and_devicetree_agree_with_iomem),
                cmocka_unit_test(ppc64_hotplug_drmem_covers_the_new_lmbs),
                cmocka_unit_test(ppc64_boot_reserved_lmbs_are_not_drmem_memory),
                cmocka_unit_test(microvm_many_blocks_merge_into_iomem_ranges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemrange: one [start, end, flags] table of physical memory built from
 * every kernel representation, read through a sysroot.
 *
 * Conventions (after libkmod and systemd):
 *  - functions return 0 (or a count) on success and a negative errno on
 *    failure; ret_* output parameters are written only on success;
 *  - the library never prints: messages go to the log callback of the
 *    context, and the last error message is kept in the context;
 *  - every "new"/"read" function hands the caller one reference or one
 *    allocation, released with the matching _unref/_free function; every
 *    _free/_unref accepts NULL and returns NULL;
 *  - pointers returned by accessors ("get", "first", "next"...) are borrowed
 *    and stay valid until the owning object is changed or freed.
 */
#ifndef MEMRANGE_H
#define MEMRANGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Context
 */
struct memrange_ctx;

typedef void (*memrange_log_fn)(void *userdata, int priority, const char *file, int line,
                                const char *fn, const char *format, va_list args);

/* Creates a context reading kernel files under @sysroot ("/" when NULL).
 * The directory is opened once; every later read is relative to that fd.
 * The caller owns the returned reference. -errno when the directory cannot
 * be opened. */
int memrange_ctx_new(const char *sysroot, struct memrange_ctx **ret_ctx);
struct memrange_ctx *memrange_ctx_ref(struct memrange_ctx *ctx);
struct memrange_ctx *memrange_ctx_unref(struct memrange_ctx *ctx);

/* Messages at or below @priority (syslog levels, default LOG_ERR) are passed
 * to @fn with @userdata. @fn NULL silences the library. */
void memrange_ctx_set_log_fn(struct memrange_ctx *ctx, memrange_log_fn fn, void *userdata);
void memrange_ctx_set_log_priority(struct memrange_ctx *ctx, int priority);
int memrange_ctx_get_log_priority(const struct memrange_ctx *ctx);

/* The sysroot path given at creation (borrowed). */
const char *memrange_ctx_get_sysroot(const struct memrange_ctx *ctx);
/* The directory fd of the sysroot (borrowed: open as long as @ctx), for a
 * caller's own reads relative to it with openat() and friends, so that
 * they run against a captured tree as the library's do. */
int memrange_ctx_get_sysroot_fd(const struct memrange_ctx *ctx);

/* The message of the last failure, naming the file and line when there is
 * one ("proc/iomem:12: bad hex number 'zz'"), or NULL. Borrowed; valid until
 * the next call into the library with this context. */
const char *memrange_ctx_get_error(const struct memrange_ctx *ctx);

/* ---------------------------------------------------------------------------
 * One range type
 */
enum memrange_type {
        MEMRANGE_TYPE_UNKNOWN = 0,
        MEMRANGE_TYPE_RAM,
        MEMRANGE_TYPE_RESERVED,
        MEMRANGE_TYPE_ACPI,
        MEMRANGE_TYPE_ACPI_NVS,
        MEMRANGE_TYPE_PMEM,
        MEMRANGE_TYPE_PMEM_LEGACY,
        MEMRANGE_TYPE_SOFT_RESERVED,
        MEMRANGE_TYPE_UNUSABLE,
        MEMRANGE_TYPE_CRASHKERNEL,
        MEMRANGE_TYPE_KERNEL,
        _MEMRANGE_TYPE_MAX,
};

enum memrange_flag {
        MEMRANGE_F_DRIVER_MANAGED = 1u << 0, /* "System RAM (kmem)", memblock DRV_MNG */
        MEMRANGE_F_HOTPLUG        = 1u << 1, /* hot-(un)pluggable / hot-added */
        MEMRANGE_F_NOMAP          = 1u << 2, /* not in the direct map */
        MEMRANGE_F_MIRROR         = 1u << 3,
        MEMRANGE_F_OFFLINE        = 1u << 4, /* memory block(s) offline */
        MEMRANGE_F_CRASHKERNEL    = 1u << 5, /* inside a crash kernel reservation */
        MEMRANGE_F_RSV_NIT        = 1u << 6, /* memblock: struct pages not initialised */
        MEMRANGE_F_RSV_KERN       = 1u << 7, /* memblock: reserved for the kernel */
        MEMRANGE_F_KHO_SCRATCH    = 1u << 8,
        MEMRANGE_F_CRASH_LOW      = 1u << 9, /* the low (below 4 GiB) crash reservation */
        _MEMRANGE_F_ALL           = (1u << 10) - 1,
};

enum memrange_source {
        MEMRANGE_SRC_IOMEM           = 1u << 0, /* /proc/iomem */
        MEMRANGE_SRC_FIRMWARE_MEMMAP = 1u << 1, /* /sys/firmware/memmap */
        MEMRANGE_SRC_MEMORY_BLOCKS   = 1u << 2, /* /sys/devices/system/memory */
        MEMRANGE_SRC_MEMBLOCK        = 1u << 3, /* debugfs memblock */
        MEMRANGE_SRC_DEVICETREE      = 1u << 4, /* /proc/device-tree memory nodes */
        MEMRANGE_SRC_DRMEM           = 1u << 5, /* powerpc ibm,dynamic-memory */
        MEMRANGE_SRC_NUMA            = 1u << 6, /* /sys/devices/system/node */
        MEMRANGE_SRC_CRASH           = 1u << 7, /* crash and CPU state */
        _MEMRANGE_SRC_ALL            = (1u << 8) - 1,
};

#define MEMRANGE_NID_NONE (-1)

/* The record every source becomes. @end is exclusive. */
struct memrange {
        uint64_t start;
        uint64_t end;
        uint32_t type;    /* enum memrange_type */
        uint32_t flags;   /* enum memrange_flag bits */
        int32_t nid;      /* NUMA node or MEMRANGE_NID_NONE */
        uint32_t sources; /* enum memrange_source bits */
};

/* Stable lowercase names ("ram", "acpi-nvs", "driver-managed", "iomem"...).
 * from_name return -EINVAL for unknown names. */
const char *memrange_type_to_name(enum memrange_type value);
int memrange_type_from_name(const char *name);
const char *memrange_flag_to_name(enum memrange_flag bit);    /* one bit */
int memrange_flag_from_name(const char *name);
const char *memrange_source_to_name(enum memrange_source bit); /* one bit */
int memrange_source_from_name(const char *name);

/* Writes the set bits as names joined by @sep into @buf (always
 * NUL-terminated, truncated to @size). Returns @buf. */
char *memrange_flags_format(uint32_t flags, const char *sep, char *buf, size_t size);
char *memrange_sources_format(uint32_t sources, const char *sep, char *buf, size_t size);

/* ---------------------------------------------------------------------------
 * Range list: an ordered array of records, each with an optional name.
 * Plain data; readers fill it, memrange_list_clear() releases its contents.
 */
struct memrange_list {
        size_t n;
        struct memrange *ranges; /* n entries */
        char **names;            /* NULL, or n entries each possibly NULL */
};

/* Appends a copy of @r and of @name (may be NULL). -ENOMEM on failure. */
int memrange_list_append(struct memrange_list *list, const struct memrange *r, const char *name);
void memrange_list_clear(struct memrange_list *list);

/* ---------------------------------------------------------------------------
 * Range table: sorted, non-overlapping regions with memblock's rules
 * (DOMAIN.md section 4). Lookups and updates are O(log n).
 *
 * Two regions merge only when they touch exactly and have equal type, flags,
 * nid and sources. Adding over existing regions inserts only the uncovered
 * gaps. Remove and the setters isolate [start, end) first (splitting at most
 * two regions), then change, then re-merge. Ranges are clipped at the table's
 * maximum address; an empty range is a no-op that succeeds.
 */
struct memrange_table;

int memrange_table_new(struct memrange_table **ret_table);
struct memrange_table *memrange_table_free(struct memrange_table *table);
/* Deep copy. */
int memrange_table_dup(const struct memrange_table *table, struct memrange_table **ret_table);

/* Highest address + 1 that the table accepts (default UINT64_MAX: the last
 * byte is never representable, as in memblock's phys_addr_t limit). */
void memrange_table_set_max_addr(struct memrange_table *table, uint64_t max_addr);
uint64_t memrange_table_get_max_addr(const struct memrange_table *table);

/* memblock_add()/memblock_reserve(): @r->start..@r->end with its attributes. */
int memrange_table_add(struct memrange_table *table, const struct memrange *r);
/* memblock_remove()/memblock_free(). */
int memrange_table_remove(struct memrange_table *table, uint64_t start, uint64_t end);
/* Set or clear flag bits, set the node, set the type, add source bits over
 * [start, end): only existing regions are changed. */
int memrange_table_set_flags(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t flags);
int memrange_table_clear_flags(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t flags);
int memrange_table_set_nid(struct memrange_table *table, uint64_t start, uint64_t end, int32_t nid);
int memrange_table_set_type(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t type);
int memrange_table_add_sources(struct memrange_table *table, uint64_t start, uint64_t end, uint32_t sources);
/* Shrinks every region to whole multiples of @align (a power of two),
 * dropping regions that become empty (memblock_trim_memory()). */
int memrange_table_trim(struct memrange_table *table, uint64_t align);
void memrange_table_clear(struct memrange_table *table);

size_t memrange_table_count(const struct memrange_table *table);
/* Sum of region sizes. */
uint64_t memrange_table_total(const struct memrange_table *table);
/* The region containing @addr, or NULL. */
const struct memrange *memrange_table_find(const struct memrange_table *table, uint64_t addr);
/* True when some region overlaps [start, end); touching is not overlapping. */
bool memrange_table_overlaps(const struct memrange_table *table, uint64_t start, uint64_t end);
/* Bytes of [start, end) covered by regions. */
uint64_t memrange_table_covered(const struct memrange_table *table, uint64_t start, uint64_t end);

/* In-order iteration; next() returns NULL after the last region. lower_bound
 * returns the first region whose end is above @addr. */
const struct memrange *memrange_table_first(const struct memrange_table *table);
const struct memrange *memrange_table_next(const struct memrange_table *table, const struct memrange *cur);
const struct memrange *memrange_table_lower_bound(const struct memrange_table *table, uint64_t addr);
#define memrange_table_foreach(r, table)                                            \
        /* NOLINTNEXTLINE(bugprone-macro-parentheses): r names the loop variable */ \
        for (const struct memrange *r = memrange_table_first(table); r; r = memrange_table_next(table, r))
/* Reverse order: last() is the highest region, prev() returns NULL before
 * the first. */
const struct memrange *memrange_table_last(const struct memrange_table *table);
const struct memrange *memrange_table_prev(const struct memrange_table *table, const struct memrange *cur);

/* New tables (caller owns): addresses in both / in @a but not @b / in either.
 * Attributes come from @a (from @a first, then @b's for the gaps, in union). */
int memrange_table_intersect(const struct memrange_table *a, const struct memrange_table *b,
                             struct memrange_table **ret_table);
int memrange_table_subtract(const struct memrange_table *a, const struct memrange_table *b,
                            struct memrange_table **ret_table);
int memrange_table_union(const struct memrange_table *a, const struct memrange_table *b,
                         struct memrange_table **ret_table);

/* Free ranges = @memory minus @reserved, skipping regions that carry any of
 * @skip_flags (callers pass at least MEMRANGE_F_NOMAP), restricted to node
 * @nid unless MEMRANGE_NID_NONE. Iterate with a zeroed cursor; returns 1 and
 * fills *ret_range per free range, 0 at the end. */
struct memrange_free_iter {
        uint64_t pos;
        bool done;
};
int memrange_free_next(const struct memrange_table *memory, const struct memrange_table *reserved,
                       int32_t nid, uint32_t skip_flags, struct memrange_free_iter *iter,
                       struct memrange *ret_range);

/* memblock_alloc_range_nid(): finds @size bytes aligned to @align (power of
 * two; 0 means 1) in [min_addr, max_addr) of free memory on node @nid,
 * top-down unless MEMRANGE_ALLOC_BOTTOM_UP, never at address 0's first page,
 * falling back to any node unless MEMRANGE_ALLOC_EXACT_NID, then reserves it
 * in @reserved. -ENOMEM when nothing fits. */
enum memrange_alloc_flag {
        MEMRANGE_ALLOC_BOTTOM_UP = 1u << 0,
        MEMRANGE_ALLOC_EXACT_NID = 1u << 1,
};
#define MEMRANGE_ALLOC_ANYWHERE UINT64_MAX
int memrange_alloc(const struct memrange_table *memory, struct memrange_table *reserved,
                   uint64_t size, uint64_t align, uint64_t min_addr, uint64_t max_addr,
                   int32_t nid, uint32_t alloc_flags, uint64_t *ret_addr);

/* ---------------------------------------------------------------------------
 * Readers: one per kernel source. Each reads through the context's sysroot,
 * returns -ENOENT when the source does not exist on the machine, -EBADMSG
 * (or -ERANGE, -EOVERFLOW) for malformed content with
 * memrange_ctx_get_error() naming the file and line, and hands the caller a
 * result to release with the matching _free().
 */

/* /proc/iomem as a tree, entries in file order. */
struct memrange_iomem_entry {
        struct memrange range; /* type/flags classified from the name */
        char *name;
        unsigned depth;        /* 0 = top level */
        ssize_t parent;        /* index of the enclosing entry, -1 at top level */
};
struct memrange_iomem {
        size_t n;
        struct memrange_iomem_entry *entries;
};
/* -EACCES when every address reads zero (the reader lacked CAP_SYS_ADMIN). */
int memrange_iomem_read(struct memrange_ctx *ctx, struct memrange_iomem **ret_iomem);
struct memrange_iomem *memrange_iomem_free(struct memrange_iomem *iomem);

/* /sys/firmware/memmap: entries sorted by address; names[i] = raw type text;
 * ranges[i].flags has MEMRANGE_F_HOTPLUG when the entry's index shows it was
 * appended after boot (out of address order). */
int memrange_memmap_read(struct memrange_ctx *ctx, struct memrange_list **ret_list);
struct memrange_list *memrange_list_free(struct memrange_list *list);

/* /sys/devices/system/memory */
enum memrange_block_state {
        MEMRANGE_BLOCK_UNKNOWN = 0,
        MEMRANGE_BLOCK_ONLINE,
        MEMRANGE_BLOCK_OFFLINE,
        MEMRANGE_BLOCK_GOING_OFFLINE,
};
/* "online", "offline", "going-offline" (the kernel's spellings) and
 * "unknown"; NULL out of range. from_name -EINVAL for other names. */
const char *memrange_block_state_to_name(enum memrange_block_state value);
int memrange_block_state_from_name(const char *name);
struct memrange_block {
        uint64_t index;      /* N of memoryN */
        uint64_t start, end; /* index * block_size, exclusive end */
        uint32_t state;      /* enum memrange_block_state */
        int online;          /* 0/1, -1 when the file is missing */
        int removable;       /* 0/1, -1 when missing */
        int phys_device;     /* -1 when missing */
        char *valid_zones;   /* as the kernel prints it, or NULL */
        size_t n_nodes;      /* nodeX links (a boot block can have several) */
        int32_t *nodes;      /* sorted */
};
struct memrange_blocks {
        uint64_t block_size;
        char *auto_online_blocks; /* NULL when missing */
        int crash_hotplug;        /* 0/1, -1 when missing */
        size_t n;
        struct memrange_block *blocks; /* sorted by index */
        uint32_t read_flags;           /* enum memrange_read_flag bits it was read with */
};
/* How much of each memory block to read. The default reads every
 * attribute: about 22 system calls per block, 8192 blocks on a 1 TiB
 * machine, and valid_zones makes a real kernel walk the block's pages. */
enum memrange_read_flag {
        /* Per block only memoryN/state (one open, one read): the index is
         * the N of the directory's name (phys_index is not read), the
         * nodes come from the nodeX/memoryN entries of
         * /sys/devices/system/node (each block's own nodeX entries where
         * that directory is missing or unreadable), and online, removable,
         * phys_device and valid_zones are not read (-1, -1, -1, NULL).
         * What a rebuild needs: state and nodes are all the table uses. */
        MEMRANGE_READ_LEAN_BLOCKS = 1u << 0,
        /* With MEMRANGE_READ_LEAN_BLOCKS, also the block's removable,
         * valid_zones or online attribute (one more open per block each,
         * for a tool that shows them, as lsmem does); without it they are
         * read anyway. */
        MEMRANGE_READ_BLOCK_REMOVABLE = 1u << 1,
        MEMRANGE_READ_BLOCK_ZONES = 1u << 2,
        MEMRANGE_READ_BLOCK_ONLINE = 1u << 3,
};
int memrange_blocks_read(struct memrange_ctx *ctx, struct memrange_blocks **ret_blocks);
/* memrange_blocks_read() with @flags (enum memrange_read_flag bits);
 * -EINVAL for unknown bits. The caller owns *ret_blocks. */
int memrange_blocks_read_flags(struct memrange_ctx *ctx, uint32_t flags, struct memrange_blocks **ret_blocks);
/* Re-reads the single block memory@index into *ret_block (caller frees its
 * members with memrange_block_clear); -ENOENT when it vanished. */
int memrange_block_read(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index,
                        struct memrange_block *ret_block);
/* The same with @flags; with MEMRANGE_READ_LEAN_BLOCKS the block's nodes
 * come from its own nodeX entries (one directory listing). */
int memrange_block_read_flags(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index, uint32_t flags,
                              struct memrange_block *ret_block);
void memrange_block_clear(struct memrange_block *block);
struct memrange_blocks *memrange_blocks_free(struct memrange_blocks *blocks);
/* Bytes of the blocks that are online and of all the others (offline,
 * going-offline), as lsmem's summary counts them; 0 and 0 for NULL. */
void memrange_blocks_totals(const struct memrange_blocks *blocks, uint64_t *ret_online, uint64_t *ret_offline);

/* Sorted id list parsed from the kernel's "0-3,8,10-11" format. */
struct memrange_idset {
        size_t n;
        unsigned *ids;
};
/* Parses @text (trailing newline allowed, empty = empty set). -EINVAL on bad
 * syntax, -ERANGE when a range is descending or too large. */
int memrange_idset_parse(const char *text, struct memrange_idset *ret_set);
bool memrange_idset_contains(const struct memrange_idset *set, unsigned id);
void memrange_idset_clear(struct memrange_idset *set);
/* A copy of @set into *ret_copy (the caller clears it). -ENOMEM. */
int memrange_idset_copy(const struct memrange_idset *set, struct memrange_idset *ret_copy);
/* The ids of @a that @b lacks, into *ret_diff (the caller clears it). */
int memrange_idset_difference(const struct memrange_idset *a, const struct memrange_idset *b,
                              struct memrange_idset *ret_diff);
/* @set in the kernel's list format ("0-3,6", "" when empty); the caller
 * frees *ret_text. */
int memrange_idset_to_string(const struct memrange_idset *set, char **ret_text);

/* /sys/devices/system/node */
struct memrange_numa_node {
        int32_t nid;
        size_t n_blocks;
        uint64_t *blocks; /* memory block indices from nodeX/memoryN, sorted */
        struct memrange_idset cpus; /* cpulist */
};
struct memrange_numa {
        struct memrange_idset possible, online, has_memory;
        size_t n;
        struct memrange_numa_node *nodes; /* sorted by nid */
};
int memrange_numa_read(struct memrange_ctx *ctx, struct memrange_numa **ret_numa);
struct memrange_numa *memrange_numa_free(struct memrange_numa *numa);

/* /sys/kernel/debug/memblock/{memory,reserved}, both line formats. Flags
 * map to MEMRANGE_F_*; nid is MEMRANGE_NID_NONE for "x" or the old format. */
struct memrange_memblock {
        bool has_node_column; /* 6.5+ format */
        struct memrange_list memory;
        struct memrange_list reserved;
};
int memrange_memblock_read(struct memrange_ctx *ctx, struct memrange_memblock **ret_memblock);
struct memrange_memblock *memrange_memblock_free(struct memrange_memblock *memblock);

/* /proc/device-tree; names[i] = the node name ("memory@40000000"). */
struct memrange_devicetree {
        uint32_t address_cells, size_cells;
        struct memrange_list memory;          /* reg of device_type = "memory" */
        struct memrange_list usable_memory;   /* linux,usable-memory of those nodes */
        struct memrange_list reserved_memory; /* /reserved-memory children, NOMAP for no-map */
        struct memrange_list usable_memory_range; /* /chosen/linux,usable-memory-range */
        bool has_elfcorehdr;
        struct memrange elfcorehdr;           /* /chosen/linux,elfcorehdr */
        /* The crash kernel region the powerpc kernel publishes in
         * /chosen/linux,crashkernel-base and -size (one or two cells each;
         * both or neither), type crashkernel. A size of 0 is no region. */
        bool has_crashkernel;
        struct memrange crashkernel;
        /* /chosen/linux,memory-limit (powerpc; 0 when absent or 0):
         * kexec-tools on ppc64 leaves memory at and above it out of a crash
         * header. The kernel publishes its memory_limit there: what mem=
         * asked for, or (6.12) the RAM it booted with when no mem= was
         * given, which then also cuts every hot-added LMB out of the dump. */
        uint64_t memory_limit;
        /* The limit only reflects the RAM present at boot, so memranged's
         * view hands kexec-tools 0 for it: proc/cmdline has no mem= (the
         * one way to ask for a limit) and the limit cuts none of the
         * device tree's memory nodes (the RAM firmware gave at boot, which
         * DLPAR never changes). A limit from mem= is kept and shown. */
        bool memory_limit_boot_only;
};
int memrange_devicetree_read(struct memrange_ctx *ctx, struct memrange_devicetree **ret_dt);
struct memrange_devicetree *memrange_devicetree_free(struct memrange_devicetree *dt);

/* powerpc ibm,dynamic-reconfiguration-memory */
#define MEMRANGE_DRMEM_ASSIGNED     0x00000008u
#define MEMRANGE_DRMEM_AI_INVALID   0x00000040u
#define MEMRANGE_DRMEM_RESERVED     0x00000080u
#define MEMRANGE_DRMEM_HOTREMOVABLE 0x00000100u
struct memrange_lmb {
        uint64_t base;
        uint32_t drc_index;
        uint32_t aa_index;
        uint32_t flags;
};
struct memrange_drmem {
        unsigned version;  /* 1 or 2 */
        uint64_t lmb_size;
        size_t n_sets;     /* v2: sets in the property; v1: 0 */
        size_t n;
        struct memrange_lmb *lmbs; /* expanded, in property order */
};
/* True when the LMB is memory: ASSIGNED and not RESERVED. */
bool memrange_lmb_is_memory(const struct memrange_lmb *lmb);
int memrange_drmem_read(struct memrange_ctx *ctx, struct memrange_drmem **ret_drmem);
struct memrange_drmem *memrange_drmem_free(struct memrange_drmem *drmem);

/* Crash and CPU state. Integers are -1 when their file is missing. */
struct memrange_crash_note {
        unsigned cpu;
        uint64_t addr;
        uint64_t size;
};
struct memrange_crash {
        struct memrange_list reservations; /* "Crash kernel" ranges from iomem; the
                                              low one has MEMRANGE_F_CRASH_LOW */
        int kexec_loaded;
        int kexec_crash_loaded;
        int64_t kexec_crash_size;
        int crash_hotplug_memory;      /* devices/system/memory/crash_hotplug */
        int crash_hotplug_cpu;         /* devices/system/cpu/crash_hotplug */
        int64_t crash_elfcorehdr_size; /* /sys/kernel/crash_elfcorehdr_size */
        struct memrange_idset possible, present, online;
        size_t n_notes;
        struct memrange_crash_note *notes; /* sorted by cpu */
        bool has_vmcoreinfo;
        uint64_t vmcoreinfo_addr, vmcoreinfo_size;
};
int memrange_crash_read(struct memrange_ctx *ctx, struct memrange_crash **ret_crash);
struct memrange_crash *memrange_crash_free(struct memrange_crash *crash);

/* ---------------------------------------------------------------------------
 * Sources and reconciler
 */
enum memrange_source_status {
        MEMRANGE_SOURCE_ABSENT = 0, /* not on this machine (-ENOENT) */
        MEMRANGE_SOURCE_OK,
        MEMRANGE_SOURCE_HIDDEN,     /* iomem with zeroed addresses (-EACCES) */
        MEMRANGE_SOURCE_ERROR,      /* present but unreadable or malformed */
};
/* "absent", "ok", "hidden", "error"; NULL out of range. from_name -EINVAL
 * for other names. */
const char *memrange_source_status_to_name(enum memrange_source_status value);
int memrange_source_status_from_name(const char *name);

/* Everything read from one machine. Plain data: any pointer may be NULL
 * (absent or failed source), so tests can build sources by hand. */
struct memrange_sources {
        struct memrange_iomem *iomem;
        struct memrange_list *memmap;
        struct memrange_blocks *blocks;
        struct memrange_numa *numa;
        struct memrange_memblock *memblock;
        struct memrange_devicetree *devicetree;
        struct memrange_drmem *drmem;
        struct memrange_crash *crash;
        /* Per source bit index (ffs(bit) - 1): status and error message. */
        uint32_t status[8];   /* enum memrange_source_status */
        char *error[8];
        uint32_t read_flags;  /* enum memrange_read_flag bits: how it was read */
        /* enum memrange_arch the kernel names in proc/sys/kernel/arch (its
         * uname machine), or, for the live root "/" of a kernel without that
         * file, uname's; MEMRANGE_ARCH_UNKNOWN otherwise (a capture without
         * it: memrange_arch_detect() then judges by the sources). */
        uint32_t arch;
};

/* Reads every source that exists; a failing source is recorded in status[]
 * and error[] and does not fail the call. -ENOMEM only. */
int memrange_sources_read(struct memrange_ctx *ctx, struct memrange_sources **ret_sources);
/* The same with @flags (enum memrange_read_flag bits, -EINVAL for unknown
 * ones), kept in @sources->read_flags for memrange_sources_reread(). With
 * MEMRANGE_READ_LEAN_BLOCKS the blocks take their nodes from the numa
 * source read just before them. The caller owns *ret_sources. */
int memrange_sources_read_flags(struct memrange_ctx *ctx, uint32_t flags, struct memrange_sources **ret_sources);
/* Reads source @bit (one enum memrange_source bit) again into @sources,
 * which stays the caller's: what @sources held for it (the record, its
 * status[] and error[] entries) is freed, so pointers into it become
 * invalid, and the new outcome is recorded as memrange_sources_read()
 * records it (a failing source is recorded, not returned), with the
 * @sources->read_flags it was read with (lean blocks take their nodes from
 * @sources->numa as it is; re-reading the numa source leaves the blocks'
 * nodes as they were). The crash
 * source takes its reservations from @sources->iomem: re-read
 * MEMRANGE_SRC_IOMEM first when /proc/iomem may have changed. -EINVAL for
 * a bad @bit; -ENOMEM, with @sources unchanged. */
int memrange_sources_reread(struct memrange_ctx *ctx, struct memrange_sources *sources,
                            enum memrange_source bit);

/* What memrange_sources_update() changed in the sources it was given. */
struct memrange_update {
        uint32_t sources;      /* enum memrange_source bits read again: their records
                                  (and status[], error[]) were replaced */
        size_t blocks_read;    /* named memory blocks read again and stored */
        size_t blocks_added;   /* of those, blocks the sources did not hold before */
        size_t blocks_removed; /* named blocks the sources held that are gone: dropped */
        size_t blocks_missing; /* named blocks neither held nor present: ignored */
};
enum memrange_update_flag {
        /* The named blocks are ones the sources hold whose state changed
         * (online, offline): each is read again alone, its nodes from its
         * own nodeX entries as memrange_block_read_flags() reads them, and
         * replaced where it is; the blocks header (block size, policy) is
         * kept. One the sources lack, or one that is gone, fails the
         * call with -ENOENT. */
        MEMRANGE_UPDATE_HELD_BLOCKS = 1u << 0,
};
/* Brings @sources (read by memrange_sources_read_flags(), or updated by
 * this function; it stays the caller's) up to date after a change the
 * caller knows the extent of, such as the memory blocks a hotplug event
 * named, without reading everything again:
 *  - the sources of @source_bits (enum memrange_source bits) are read
 *    again in the library's read order (/proc/iomem before the crash
 *    state, which takes its reservations from it; the numa source before
 *    the blocks), their outcome recorded as memrange_sources_read()
 *    records it (a failing source is recorded, not returned). With
 *    MEMRANGE_SRC_MEMORY_BLOCKS every block is read again and @n_blocks
 *    must be 0;
 *  - then the memory blocks @blocks (@n_blocks indices, ascending and
 *    unique) alone, with @sources->read_flags (lean blocks take their
 *    nodes from the numa source as it is after the first step). Without
 *    MEMRANGE_UPDATE_HELD_BLOCKS (blocks were added or removed) the blocks
 *    header is read again with them: a named block that is gone is
 *    dropped, a new one inserted in index order, and a block size other
 *    than the held one fails the call with -ESTALE (the held blocks'
 *    addresses would be wrong: read everything again).
 * All or nothing: on failure @sources is as it was. On success pointers
 * into the replaced records and blocks are invalid, and *ret_update (may
 * be NULL) says what changed. The context's error message is cleared at
 * the start and on success; after a named block failed to read it says
 * why (-ENOENT and -ESTALE leave none). -EINVAL for
 * bad arguments, -ENODATA when blocks are named but @sources holds no
 * blocks (or a block size of 0), -ENOENT and -ESTALE as above, another
 * -errno when a named block cannot be read, -ENOMEM. */
int memrange_sources_update(struct memrange_ctx *ctx, struct memrange_sources *sources, uint32_t source_bits,
                            const uint64_t *blocks, size_t n_blocks, uint32_t flags,
                            struct memrange_update *ret_update);
struct memrange_sources *memrange_sources_free(struct memrange_sources *sources);

enum memrange_severity {
        MEMRANGE_SEVERITY_INFO = 0,
        MEMRANGE_SEVERITY_WARNING,
        MEMRANGE_SEVERITY_ERROR,
};

struct memrange_finding {
        uint32_t severity; /* enum memrange_severity */
        uint32_t sources;  /* sources involved */
        uint64_t start, end;
        char *code;        /* stable identifier, e.g. "memmap-ram-not-in-iomem" */
        char *message;     /* one human sentence */
};

struct memrange_findings {
        size_t n;
        struct memrange_finding *items;
};
struct memrange_findings *memrange_findings_free(struct memrange_findings *findings);
/* "info", "warning", "error"; NULL out of range. from_name -EINVAL for
 * other names. */
const char *memrange_severity_to_name(enum memrange_severity value);
int memrange_severity_from_name(const char *name);
/* Highest severity present, or -1 when there are no findings. */
int memrange_findings_max_severity(const struct memrange_findings *findings);

/* Builds the authoritative table from @sources: each range with its type,
 * flags, nid and the sources that reported it, and the findings where the
 * sources disagree. Caller owns both results. */
int memrange_reconcile(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                       struct memrange_table **ret_table, struct memrange_findings **ret_findings);

/* ---------------------------------------------------------------------------
 * Crash dumps: the RAM a kdump capture kernel will expose as PT_LOAD
 * segments of /proc/vmcore, per loader (DOMAIN.md section 5), the ELF core
 * header ("elfcorehdr") that describes it, and the /proc/iomem rendering
 * of a table that kexec-tools reads (DOMAIN.md section 7).
 */
enum memrange_arch {
        MEMRANGE_ARCH_UNKNOWN = 0,
        MEMRANGE_ARCH_X86_64,
        MEMRANGE_ARCH_ARM64,
        MEMRANGE_ARCH_PPC64,
        _MEMRANGE_ARCH_MAX,
};

/* "x86_64", "arm64", "ppc64"; from_name also takes "aarch64" and "ppc64le".
 * -EINVAL for unknown names. */
const char *memrange_arch_to_name(enum memrange_arch arch);
int memrange_arch_from_name(const char *name);
/* The architecture the sources describe: @sources->arch when the kernel
 * named it; else device tree and drmem -> ppc64; a device tree without
 * drmem -> arm64; otherwise (firmware memmap, no device tree) -> x86_64.
 * The kernel's name matters on arm64 machines booted through UEFI and
 * ACPI: they have no device tree. */
enum memrange_arch memrange_arch_detect(const struct memrange_sources *sources);

enum memrange_dump_policy {
        MEMRANGE_DUMP_KEXEC_TOOLS_X86 = 0, /* "kexec-tools-x86": kexec_load by kexec-tools */
        MEMRANGE_DUMP_KEXEC_TOOLS_ARM64,   /* "kexec-tools-arm64" */
        MEMRANGE_DUMP_KEXEC_TOOLS_PPC64,   /* "kexec-tools-ppc64" */
        MEMRANGE_DUMP_KERNEL,              /* "kernel": kexec_file_load, in-kernel hotplug updates */
        MEMRANGE_DUMP_AUTO,                /* "auto": how this machine's image is (or will be) loaded */
        MEMRANGE_DUMP_MEMRANGED_ARM64,     /* "memranged-arm64": kexec-tools given memranged's view */
        MEMRANGE_DUMP_MEMRANGED_PPC64,     /* "memranged-ppc64": kexec-tools given memranged's view */
        _MEMRANGE_DUMP_POLICY_MAX,
};
const char *memrange_dump_policy_to_name(enum memrange_dump_policy value);
int memrange_dump_policy_from_name(const char *name);

/* Resolves MEMRANGE_DUMP_AUTO (other policies are returned unchanged) for
 * @arch (MEMRANGE_ARCH_UNKNOWN: memrange_arch_detect(@sources)): x86_64 ->
 * "kernel" when memory/crash_hotplug reads 1 (the kernel keeps the loaded
 * image current: kexec_file_load, or kexec_load --hotplug), else
 * "kexec-tools-x86" (an image loaded with kexec_load, or none loaded yet:
 * what kexec-tools 2.0.25, Debian 12's, loads by default); arm64 ->
 * "kexec-tools-arm64"; ppc64 -> "kexec-tools-ppc64". @sources may be NULL.
 * -EINVAL for a bad @policy or @arch. */
int memrange_dump_policy_resolve(const struct memrange_sources *sources, enum memrange_arch arch,
                                 enum memrange_dump_policy policy);

#define MEMRANGE_DUMP_F_BACKUP (1u << 0) /* copied into the crash reservation at
                                            crash time (x86: the first RAM range
                                            ending at or below 640 KiB; ppc64:
                                            the first 64 KiB); its PT_LOAD's
                                            p_offset points at the copy */
struct memrange_dump_range {
        uint64_t start;
        uint64_t end;   /* exclusive */
        uint32_t flags; /* MEMRANGE_DUMP_F_* */
};
struct memrange_dump_ranges {
        uint32_t policy; /* the resolved policy, never MEMRANGE_DUMP_AUTO */
        uint32_t arch;   /* enum memrange_arch the ranges (and a header) are for */
        size_t n;
        struct memrange_dump_range *ranges;   /* one per RAM PT_LOAD, ascending */
        size_t n_excluded;
        struct memrange_dump_range *excluded; /* left out on purpose: the crash
                                                 reservations, and [0, 1 MiB) for
                                                 "kernel"; ascending */
        struct memrange_idset cpus;           /* the CPUs whose register note
                                                 (NT_PRSTATUS) the header holds;
                                                 empty when the crash state is
                                                 unknown (see below) */
};

/* The RAM PT_LOAD ranges (kernel text excluded) a dump made under @policy
 * would hold, computed from the authoritative @table and, where the table
 * cannot tell, @sources (crash_hotplug for auto; the device tree with its
 * /chosen crash region, and drmem, for ppc64). @ctx (may be NULL) gets the
 * error message.
 *  - kexec-tools-x86: all RAM (driver-managed included) minus the crash
 *    reservations (at most 8); the first range ending at or below 640 KiB
 *    carries MEMRANGE_DUMP_F_BACKUP; at most 32768 ranges (-E2BIG beyond);
 *  - kexec-tools-arm64: RAM that is not driver-managed, minus the crash
 *    reservations (at most 2, -E2BIG beyond): kexec-tools reading the
 *    kernel's /proc/iomem (kdump-tools, a plain kexec -p);
 *  - memranged-arm64: kexec-tools reading memranged's view
 *    (memrange_render_iomem_arch()), where driver-managed RAM is plain
 *    "System RAM": all RAM, minus the crash reservations (at most 2);
 *  - kexec-tools-ppc64: device tree memory plus assigned, non-reserved drmem
 *    LMBs, minus the crash region, and nothing at or above the device
 *    tree's linux,memory-limit when it is not 0; the first 64 KiB is its
 *    own backup range (-ENODATA without a device tree);
 *  - memranged-ppc64: the same as kexec-tools reads it in memranged's view,
 *    where a memory limit that only reflects boot RAM reads 0
 *    (memory_limit_boot_only) and so cuts nothing;
 *  - kernel: all RAM (driver-managed included) minus [0, 1 MiB) minus the
 *    crash reservations (high, low).
 * Offline memory stays in every policy. Contiguous RAM of one kind (plain
 * or driver-managed) is one range, as memrange_render_iomem() prints it
 * for kexec-tools; the kernel may split such a range where its resources
 * split, covering the same bytes. @arch MEMRANGE_ARCH_UNKNOWN detects it.
 * ->cpus, from @sources' crash state: kexec-tools (x86_64, arm64 and ppc64
 * alike, its common ELF header code) writes one note per CPU that has a
 * cpuN/crash_notes file when it loads, so a CPU hot-added later is missing
 * until the next load; the kernel writes one per possible CPU. Both are
 * limited to the possible CPUs when cpu/possible is known.
 * Caller owns *ret_ranges. */
int memrange_dump_ranges_compute(struct memrange_ctx *ctx, const struct memrange_table *table,
                                 const struct memrange_sources *sources, enum memrange_dump_policy policy,
                                 enum memrange_arch arch, struct memrange_dump_ranges **ret_ranges);
struct memrange_dump_ranges *memrange_dump_ranges_free(struct memrange_dump_ranges *ranges);
/* True when both hold the same ranges with the same flags (policy, arch,
 * exclusions and CPUs are not compared): a loaded image built from @a
 * needs no reload to dump the memory of @b. Two NULLs are equal. */
bool memrange_dump_ranges_equal(const struct memrange_dump_ranges *a, const struct memrange_dump_ranges *b);
/* The CPUs of @wanted whose note the image built from @image lacks, into
 * *ret_missing (the caller clears it): a crash on one of them would leave
 * its registers out of the dump. Empty when either CPU set is unknown
 * (empty). A note for a CPU that is gone does no harm: the capture kernel
 * skips a note its CPU never wrote, so only missing CPUs count. */
int memrange_dump_cpus_missing(const struct memrange_dump_ranges *image, const struct memrange_dump_ranges *wanted,
                               struct memrange_idset *ret_missing);
/* RAM of @table the dump leaves out although it is neither a crash
 * reservation nor a window the policy excludes on purpose: memory a crash
 * dump would silently lack (arm64 kexec-tools drops driver-managed RAM).
 * Entries keep the table's attributes (flags: driver-managed...). Caller
 * owns *ret_dropped (possibly empty). */
int memrange_dump_ranges_dropped(const struct memrange_table *table, const struct memrange_dump_ranges *ranges,
                                 struct memrange_list **ret_dropped);

/* A deep copy of @ranges into *ret_copy (the caller owns it). -ENOMEM. */
int memrange_dump_ranges_dup(const struct memrange_dump_ranges *ranges, struct memrange_dump_ranges **ret_copy);

/* memrange_reconcile() that also hands back, in *ret_dump_ranges (may be
 * NULL: not wanted), the dump ranges its finding
 * "dump-drops-driver-managed-ram" was computed from: those of the
 * machine's automatic policy, memrange_dump_ranges_compute(NULL, table,
 * @sources, MEMRANGE_DUMP_AUTO, MEMRANGE_ARCH_UNKNOWN). A caller that
 * needs those for every table it builds (a reload engine) so gets them
 * from the same computation. *ret_dump_ranges is set to NULL when they
 * cannot be computed (too many crash reservations, no device tree on
 * ppc64: memrange_dump_ranges_compute() with a context says why). The
 * caller owns the three results. */
int memrange_reconcile_dump(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                            struct memrange_table **ret_table, struct memrange_findings **ret_findings,
                            struct memrange_dump_ranges **ret_dump_ranges);

/* ELF64 core header in host byte order, ET_CORE, laid out as the kernel
 * and kexec-tools do: one PT_NOTE per CPU that has a crash_notes file (and
 * is possible, when cpu/possible is known), the vmcoreinfo PT_NOTE, the
 * kernel-text PT_LOAD when proc/kcore under the context's sysroot shows
 * it, then one PT_LOAD per dump range (p_paddr = p_offset = start, except
 * the backup range's p_offset; p_vaddr = direct-map base + p_paddr).
 * The kernel itself emits a note per possible CPU; sysfs shows the note
 * address only of CPUs that have a cpuN directory, so, like kexec-tools, we
 * emit the notes that are visible. */
struct memrange_elfcore_opts {
        uint64_t direct_map_base; /* 0: from proc/kcore when readable, else the
                                     architecture default (x86_64
                                     0xffff888000000000; ppc64
                                     0xc000000000000000; arm64 PAGE_OFFSET
                                     0xffff000000000000 minus PHYS_OFFSET, the
                                     lowest dump address rounded down to 1 GiB) */
        uint64_t backup_offset;   /* p_offset of the MEMRANGE_DUMP_F_BACKUP range
                                     (its copy in the crash reservation); 0:
                                     unknown, p_offset = start */
};
/* Builds the header for @ranges (their arch gives e_machine) with the crash
 * notes and vmcoreinfo of @sources->crash (may be absent: no notes). @opts
 * may be NULL. Caller frees *ret_buf (*ret_size bytes, no padding). -E2BIG
 * past 65534 program headers. */
int memrange_elfcore_build(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                           const struct memrange_dump_ranges *ranges, const struct memrange_elfcore_opts *opts,
                           void **ret_buf, size_t *ret_size);

struct memrange_elf_phdr {
        uint32_t type;  /* PT_LOAD 1, PT_NOTE 4 */
        uint32_t flags;
        uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct memrange_elfcore {
        uint16_t type;    /* e_type */
        uint16_t machine; /* e_machine */
        size_t n;
        struct memrange_elf_phdr *phdrs; /* in header order */
};
/* Parses an ELF64 header in host byte order (a built elfcorehdr, or the
 * start of /proc/kcore): magic, class, byte order, version, header and
 * program-header sizes, and that every program header lies inside the
 * @size bytes of @buf. -EBADMSG (message in the context, naming @name)
 * otherwise. Caller owns *ret_elfcore. */
int memrange_elfcore_parse(struct memrange_ctx *ctx, const char *name, const void *buf, size_t size,
                           struct memrange_elfcore **ret_elfcore);
struct memrange_elfcore *memrange_elfcore_free(struct memrange_elfcore *elfcore);

/* Renders @table as /proc/iomem (what kexec-tools parses): top-level lines
 * in address order, "%08llx-%08llx : name" with inclusive ends; contiguous
 * RAM of one kind is one line ("System RAM", or the driver-managed name
 * @iomem gives, such as "System RAM (virtio_mem)", else "System RAM
 * (driver)"), with "Crash kernel" (table flag) and, from @iomem, the
 * "Kernel code/rodata/data/bss" entries nested two spaces in; other types
 * as the kernel names them ("Reserved", "ACPI Tables"...), keeping the
 * exact name of an @iomem top-level entry of the same range and type.
 * @iomem may be NULL. Caller frees *ret_text (NUL-terminated, *ret_len
 * bytes without the NUL; @ret_len may be NULL). */
int memrange_render_iomem(const struct memrange_table *table, const struct memrange_iomem *iomem,
                          char **ret_text, size_t *ret_len);
/* memrange_render_iomem() as memranged hands it to kexec-tools on @arch:
 * on arm64 driver-managed RAM is named plain "System RAM" (kexec-tools
 * there takes only lines named exactly that; see memranged-arm64), still
 * one line of its own; other architectures get memrange_render_iomem()'s
 * text. -EINVAL for a bad @arch. */
int memrange_render_iomem_arch(const struct memrange_table *table, const struct memrange_iomem *iomem,
                               enum memrange_arch arch, char **ret_text, size_t *ret_len);

/* What kexec-tools on arm64 needs from /proc/kallsyms: "_text", the start
 * of the kernel image, from which it derives PAGE_OFFSET and the kernel
 * text PT_LOAD. Kernels without CONFIG_KALLSYMS_ALL (Debian's arm64 6.1)
 * list no "_text", and kexec-tools then writes a header whose every
 * segment is unreadable. The kernel states that address elsewhere:
 * /proc/kcore's kernel text segment begins at _text (fs/proc/kcore.c adds
 * it as [_text, _end)). memrange_kallsyms_view() reads proc/kallsyms; when
 * it has "_text", *ret_text is NULL and 0 is returned (no view needed).
 * Otherwise it takes the kcore program header whose virtual range holds
 * kallsyms' "_stext" and that maps a physical address (only RAM and the
 * kernel text do), checks it against /proc/iomem's "Kernel code" (which
 * begins at _stext's physical address: _stext - p_vaddr must equal
 * Kernel code - p_paddr), and returns 1 with a kallsyms text of two lines,
 * "_text" at that segment's p_vaddr and kallsyms' own "_stext" line. It
 * refuses (message in the context) with -ENOENT when kallsyms or kcore is
 * unreadable or lacks what is needed, -EADDRNOTAVAIL when kallsyms shows
 * zeroed addresses (no CAP_SYSLOG), -EBADMSG when the sources disagree.
 * @iomem may be NULL (no cross-check; then -ENOENT). Caller frees
 * *ret_text (*ret_len bytes, NUL-terminated; @ret_len may be NULL). */
int memrange_kallsyms_view(struct memrange_ctx *ctx, const struct memrange_iomem *iomem, char **ret_text,
                           size_t *ret_len);

/* ---------------------------------------------------------------------------
 * Snapshot: the kernel files the readers read, as a tar archive
 */

/* Receives @size bytes of output; returns 0, or -errno to stop. */
typedef int (*memrange_write_fn)(void *userdata, const void *buf, size_t size);

struct memrange_snapshot_stats {
        uint64_t files;       /* regular files stored */
        uint64_t links;       /* symbolic links stored (as links) */
        uint64_t directories; /* directory entries stored */
        uint64_t bytes;       /* contents of the regular files */
        uint64_t skipped;     /* unreadable (EACCES, EPERM: debugfs as non-root), left out */
        uint64_t vanished;    /* gone while being read (hot-remove), left out */
};

/* Writes an uncompressed POSIX ustar archive of every file the readers
 * read under the context's sysroot (proc/iomem, cmdline and meminfo, the
 * sys/kernel kexec and crash files, the firmware memmap, the memory blocks
 * and their node links, the node and CPU directories, memblock debugfs,
 * the whole device tree), under their kernel paths inside one directory
 * @top (one path component, no '/'), every entry dated @mtime. Symbolic
 * links are stored as links; the entries of a copied tree that stand for
 * them as small files are stored as they are. Each file is read to EOF,
 * at most 16 MiB (-EFBIG naming it). Entries that vanish while being read
 * and unreadable files are left out, noted through the log callback at
 * LOG_INFO and counted. Every byte goes to @write with @userdata, which
 * stays the caller's; on failure the output stops part-way (the caller
 * discards it) and the error is in memrange_ctx_get_error(). *ret_stats
 * (may be NULL) is written on success. */
int memrange_snapshot_write(struct memrange_ctx *ctx, const char *top, int64_t mtime, memrange_write_fn write,
                            void *userdata, struct memrange_snapshot_stats *ret_stats);
/* The same into the file descriptor @fd (borrowed, not closed). */
int memrange_snapshot_write_fd(struct memrange_ctx *ctx, const char *top, int64_t mtime, int fd,
                               struct memrange_snapshot_stats *ret_stats);

#ifdef __cplusplus
}
#endif
#endif

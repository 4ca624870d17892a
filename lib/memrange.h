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
const char *memrange_type_to_name(enum memrange_type type);
int memrange_type_from_name(const char *name);
const char *memrange_flag_to_name(enum memrange_flag flag);   /* one bit */
int memrange_flag_from_name(const char *name);
const char *memrange_source_to_name(enum memrange_source src); /* one bit */
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
#define memrange_table_foreach(r, table) \
        for (const struct memrange *r = memrange_table_first(table); r; r = memrange_table_next(table, r))

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
};
int memrange_blocks_read(struct memrange_ctx *ctx, struct memrange_blocks **ret_blocks);
/* Re-reads the single block memory@index into *ret_block (caller frees its
 * members with memrange_block_clear); -ENOENT when it vanished. */
int memrange_block_read(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index,
                        struct memrange_block *ret_block);
void memrange_block_clear(struct memrange_block *block);
struct memrange_blocks *memrange_blocks_free(struct memrange_blocks *blocks);

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
};

/* Reads every source that exists; a failing source is recorded in status[]
 * and error[] and does not fail the call. -ENOMEM only. */
int memrange_sources_read(struct memrange_ctx *ctx, struct memrange_sources **ret_sources);
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
const char *memrange_severity_to_name(enum memrange_severity severity);
/* Highest severity present, or -1 when there are no findings. */
int memrange_findings_max_severity(const struct memrange_findings *findings);

/* Builds the authoritative table from @sources: each range with its type,
 * flags, nid and the sources that reported it, and the findings where the
 * sources disagree. Caller owns both results. */
int memrange_reconcile(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                       struct memrange_table **ret_table, struct memrange_findings **ret_findings);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces of libmemrange: context internals, logging, the
 * sysroot layer and the number parsers. Everything here is hidden. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>

#include "macro.h"
#include "parse-util.h"
#include "memrange.h"
#include "memrange-cleanup.h"

/* ---- logging and errors (ctx.c) ---- */
void mr_log(struct memrange_ctx *ctx, int priority, const char *file, int line, const char *fn,
            const char *format, ...) _printf_(6, 7);
#define mr_dbg(ctx, ...) mr_log(ctx, LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define mr_info(ctx, ...) mr_log(ctx, LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define mr_warn(ctx, ...) mr_log(ctx, LOG_WARNING, __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Records "path:line: message" (line 0: "path: message") as the context's
 * last error, logs it at LOG_ERR and returns -abs(err). Use as
 * `return mr_error(ctx, EBADMSG, path, n, "bad hex '%s'", tok);` */
int mr_error_at(struct memrange_ctx *ctx, int err, const char *path, unsigned line,
                const char *format, ...) _printf_(5, 6);
#ifdef __clang_analyzer__
/* The static analyzer (clang-tidy's clang-analyzer-*) does not follow
 * variadic functions: without this it takes `return mr_error_at(...)` for
 * a possible success and reports the ret_* values never written. */
#define mr_error_at(...)                                          \
        ({                                                        \
                int _mr_error_at_r_ = (mr_error_at)(__VA_ARGS__); \
                ANALYZER_ASSUME(_mr_error_at_r_ < 0);             \
                _mr_error_at_r_;                                  \
        })
#endif
void mr_clear_error(struct memrange_ctx *ctx);

/* ---- sysroot layer (sysroot.c) ----
 * Paths are relative to the sysroot ("proc/iomem"; a leading '/' is
 * ignored). Nothing follows symlinks out of the sysroot's own tree by
 * design of the callers; reads are bounded. */
#define MR_READ_MAX_DEFAULT (16u * 1024 * 1024)
#define MR_ATTR_MAX 4096u

int mr_sysroot_fd(const struct memrange_ctx *ctx);
/* Opens @path for reading (O_RDONLY|O_CLOEXEC). Returns the fd or -errno. */
int mr_open(struct memrange_ctx *ctx, const char *path, int flags);
/* Reads a whole file of at most @max bytes into a NUL-terminated buffer
 * (caller frees). -EFBIG when larger than @max. -errno (ENOENT...) without
 * recording an error: callers decide whether absence is an error. */
int mr_read_file(struct memrange_ctx *ctx, const char *path, size_t max, char **ret_buf,
                 size_t *ret_len);
/* Reads a small sysfs attribute with the trailing newline stripped. */
int mr_read_attr(struct memrange_ctx *ctx, const char *path, char **ret_value);
/* Opens a directory under the sysroot for iteration (caller closedir()s). */
int mr_opendir(struct memrange_ctx *ctx, const char *path, DIR **ret_dir);
/* True when @path exists (as anything, link included). */
bool mr_exists(struct memrange_ctx *ctx, const char *path);
/* lstat() of @path into @ret_st: 0 or -errno. */
int mr_lstat(struct memrange_ctx *ctx, const char *path, struct stat *ret_st);
/* The target of symlink @path, NUL-terminated in @buf (@size bytes): its
 * length, -ENAMETOOLONG when it does not fit, or -errno. */
ssize_t mr_readlink(struct memrange_ctx *ctx, const char *path, char *buf, size_t size);

/* Number parsing, lines and base64: basic/parse-util.h. */

/* ---- sysfs helpers shared by the readers (sysroot.c) ---- */
/* Reads a one-line attribute (at most MR_ATTR_MAX bytes) with its trailing
 * newline stripped. -ENOENT without a recorded error (absence is the
 * caller's call); every other failure is recorded naming @path, -EBADMSG
 * for a NUL, a second line or another control character. */
int mr_read_attr_line(struct memrange_ctx *ctx, const char *path, char **ret_value);
/* The same for file @name inside the directory open as @dir_fd, which the
 * sysroot sees as @dir (for messages; NULL when @name is a sysroot path and
 * @dir_fd the sysroot's). Readers of thousands of small files (memory
 * blocks) open each directory once instead of walking the whole path for
 * every attribute. */
int mr_read_attr_line_at(struct memrange_ctx *ctx, int dir_fd, const char *dir, const char *name, char **ret_value);
/* Parses a directory entry named @prefix followed by a canonical decimal
 * number ("memory32", "node0", "7" with prefix ""). -EINVAL otherwise. */
int mr_parse_index_name(const char *name, const char *prefix, uint64_t *ret);
/* The numbers of the entries of directory @path named @prefix<N>, sorted
 * ascending (caller frees; NULL when there are none). Other entries are
 * ignored. -ENOENT (not recorded) when @path is missing; -EFBIG (recorded)
 * beyond @max entries. */
int mr_list_indexed(struct memrange_ctx *ctx, const char *path, const char *prefix, size_t max,
                    uint64_t **ret_indices, size_t *ret_n);
/* The same for the directory open as @fd (taken: closed in every case),
 * which the sysroot sees as @path; every failure is recorded. */
int mr_list_indexed_fd(struct memrange_ctx *ctx, int fd, const char *path, const char *prefix, size_t max,
                       uint64_t **ret_indices, size_t *ret_n);
/* True when directory @path cannot be opened because it is gone (an entry
 * listed a moment ago and removed since, by hot-remove). */
bool mr_dir_vanished(struct memrange_ctx *ctx, const char *path);
/* A reader skipped an entry (path from @format), listed a moment ago and
 * gone since: logs it and counts it, so that memrange_sources_read() knows
 * the sources it read before may describe the layout before the removal
 * (and reads them again). */
void mr_note_vanished(struct memrange_ctx *ctx, const char *format, ...) _printf_(2, 3);
unsigned mr_vanished_count(const struct memrange_ctx *ctx);

/* ---- kernel resource names (source-iomem.c) ----
 * Type of an iomem or firmware-memmap name ("System RAM", "reserved",
 * "ACPI Tables"...), compared case-insensitively; *ret_flags (may be NULL)
 * gets MEMRANGE_F_DRIVER_MANAGED for "System RAM (...)". */
uint32_t mr_kernel_name_to_type(const char *name, uint32_t *ret_flags);
/* memrange_iomem_read() on text already read: @buf (@len bytes plus a
 * terminating NUL, split in place) is parsed as proc/iomem, errors naming
 * that file and line. For the fuzz target, which feeds it bytes directly. */
int mr_iomem_parse(struct memrange_ctx *ctx, char *buf, size_t len, struct memrange_iomem **ret_iomem);
/* The name the kernel prints for a type ("System RAM", "ACPI Tables"...;
 * "Unknown E820 type" for unknown or out-of-range types). */
const char *mr_type_to_kernel_name(uint32_t type);

/* ---- crash state (source-crash.c) ---- */
/* memrange_crash_read() with the reservations taken from @iomem, already
 * read (NULL: missing or hiding its addresses, so none are known), so that
 * memrange_sources_read() reads /proc/iomem once. */
int mr_crash_read_from_iomem(struct memrange_ctx *ctx, const struct memrange_iomem *iomem,
                             struct memrange_crash **ret_crash);

/* ---- memory blocks (source-blocks.c) ---- */
/* Every enum memrange_read_flag bit: the readers refuse others. */
#define MR_READ_FLAGS_ALL                                                                     \
        (MEMRANGE_READ_LEAN_BLOCKS | MEMRANGE_READ_BLOCK_REMOVABLE | MEMRANGE_READ_BLOCK_ZONES | \
         MEMRANGE_READ_BLOCK_ONLINE)
/* memrange_blocks_read_flags() with the nodes of lean blocks taken from
 * @numa, already read (NULL: absent or broken, each block's own nodeX
 * entries are listed instead), so that memrange_sources_read_flags() lists
 * the node directories once. */
int mr_blocks_read(struct memrange_ctx *ctx, uint32_t flags, const struct memrange_numa *numa,
                   struct memrange_blocks **ret_blocks);
/* mr_blocks_read() of the blocks @indices only (sorted and unique, at
 * most the full read's bound; -EINVAL otherwise), for a daemon that knows
 * which blocks an event named: the header (block size, policy) is read
 * as by a full read, a listed block whose directory is gone is left out
 * (that is how the caller learns it vanished), and lean blocks take their
 * nodes from @numa as in a full read. The caller owns *ret_blocks. */
int mr_blocks_read_indices(struct memrange_ctx *ctx, uint32_t flags, const struct memrange_numa *numa,
                           const uint64_t *indices, size_t n_indices, struct memrange_blocks **ret_blocks);
/* Block @index of @blocks (sorted by index, as the readers return them),
 * or NULL; the pointer is into @blocks. */
struct memrange_block *mr_blocks_find(const struct memrange_blocks *blocks, uint64_t index);

/* ---- updating held memory blocks (source-blocks-update.c) ----
 * The block half of memrange_sources_update(), in two steps so that the
 * whole update is all or nothing: prepare reads what is needed and
 * allocates everything (the held blocks untouched), commit installs it
 * and cannot fail, clear drops a prepared update instead. */
struct mr_blocks_update {
        struct memrange_update counts; /* the blocks_* members */
        /* MEMRANGE_UPDATE_HELD_BLOCKS: the blocks read again, and the
         * held block each replaces. */
        size_t n;
        struct memrange_block *fresh;
        struct memrange_block **slots;
        /* Otherwise: the header and named blocks as read now, and the
         * index-ordered array of them with the held blocks not named
         * (shallow copies: committing moves them). */
        struct memrange_blocks *read;
        struct memrange_block *merged;
        size_t n_merged;
        const uint64_t *named; /* borrowed from the caller */
        size_t n_named;
};
/* Reads the blocks @indices (ascending, unique) named for @held (held
 * blocks, block size not 0) with @read_flags and, without
 * MEMRANGE_UPDATE_HELD_BLOCKS, the nodes of lean blocks from @numa. The
 * errors of memrange_sources_update(); on success the caller commits or
 * clears *ret_update. */
int mr_blocks_update_prepare(struct memrange_ctx *ctx, const struct memrange_blocks *held,
                             const struct memrange_numa *numa, uint32_t read_flags, const uint64_t *indices,
                             size_t n_indices, uint32_t update_flags, struct mr_blocks_update *ret_update);
/* Installs @update into *@held (which may be replaced) and empties it. */
void mr_blocks_update_commit(struct mr_blocks_update *update, struct memrange_blocks **held);
void mr_blocks_update_clear(struct mr_blocks_update *update);

/* ---- big-endian device tree cells (source-devicetree.c) ---- */
/* The value of @cells (1 or 2) big-endian 32-bit cells at @p. */
uint64_t mr_be_cells(const uint8_t *p, unsigned cells);
/* Root #address-cells and #size-cells of proc/device-tree, 1/1 when absent
 * (DOMAIN.md; the kernel's flat-tree default). -EBADMSG naming the property
 * file unless each is one cell holding 1 or 2. */
int mr_dt_root_cells(struct memrange_ctx *ctx, uint32_t *ret_address_cells, uint32_t *ret_size_cells);
/* A /chosen number of one or two cells at @path; -ENOENT when absent. */
int mr_dt_chosen_number(struct memrange_ctx *ctx, const char *path, uint64_t *ret);
/* /chosen/linux,memory-limit into @dt, and whether it only reflects boot
 * RAM (source-memory-limit.c); needs @dt's memory nodes read. */
int mr_dt_read_memory_limit(struct memrange_ctx *ctx, struct memrange_devicetree *dt);

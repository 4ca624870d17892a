/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/devices/system/memory: the block size, the hotplug policy and one
 * memoryN directory per memory block (N = start / block size).
 *
 * Two depths share this code: the detailed read opens each block's
 * directory and reads every attribute and nodeX entry (about 22 system
 * calls a block); the lean read (MEMRANGE_READ_LEAN_BLOCKS) opens only
 * "memoryN/state" under the memory directory (3 system calls) and takes
 * the nodes from the node directories, one listing per node; the
 * MEMRANGE_READ_BLOCK_* flags add single attributes to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

/* 2M blocks of the smallest size (128 MiB) describe 256 TiB. */
#define MAX_BLOCKS (1u << 21)
/* MAX_NUMNODES is at most 1024. */
#define MAX_NODES_PER_BLOCK 1024u

static void block_path(char *buf, size_t size, uint64_t index, const char *attr) {
        if (attr)
                snprintf(buf, size, MEMORY_DIR "/memory%llu/%s", (unsigned long long) index, attr);
        else
                snprintf(buf, size, MEMORY_DIR "/memory%llu", (unsigned long long) index);
}

/* block_size_bytes and phys_index: lowercase hex without 0x. */
static int parse_plain_hex(struct memrange_ctx *ctx, const char *path, const char *value, uint64_t *ret) {
        size_t len = strlen(value);
        int r;

        if (len == 0 || strspn(value, "0123456789abcdef") != len)
                return mr_error_at(ctx, EBADMSG, path, 0, "expected lowercase hex digits, got '%.32s'",
                                   value);
        r = mr_parse_hex_u64_n(value, len, ret);
        if (r < 0)
                return mr_error_at(ctx, r, path, 0, "'%.32s' does not fit in 64 bits", value);
        return 0;
}

/* A directory of the memory tree, open: its attributes are read relative
 * to it, so that the thousands of block attributes each walk one path
 * component instead of six. @path is what the sysroot calls it (NULL: the
 * sysroot itself, names are then sysroot paths). */
struct dir {
        struct memrange_ctx *ctx;
        int fd;
        const char *path;
};

/* "@path/@name" for messages. */
static const char *attr_path(const struct dir *d, const char *name, char *buf, size_t size) {
        if (!d->path)
                return name;
        snprintf(buf, size, "%s/%s", d->path, name);
        return buf;
}

static int read_attr(const struct dir *d, const char *name, char **ret) {
        return mr_read_attr_line_at(d->ctx, d->fd, d->path, name, ret);
}

/* Reads an optional 0/1 attribute: -1 when missing. */
static int read_optional_bool(const struct dir *d, const char *name, int *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r, v;

        r = read_attr(d, name, &value);
        if (r == -ENOENT) {
                *ret = -1;
                return 0;
        }
        if (r < 0)
                return r;
        if (mr_parse_bool01(value, &v) < 0)
                return mr_error_at(d->ctx, EBADMSG, attr_path(d, name, path, sizeof(path)), 0,
                                   "expected 0 or 1, got '%.32s'", value);
        *ret = v;
        return 0;
}

static int read_optional_string(const struct dir *d, const char *name, char **ret) {
        int r = read_attr(d, name, ret);

        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

/* The kernel prints "online", "offline" or "going-offline"; our own
 * "unknown" is not one of them. */
static int parse_state(struct memrange_ctx *ctx, const char *path, const char *value, uint32_t *ret) {
        int state = memrange_block_state_from_name(value);

        if (state < 0 || state == MEMRANGE_BLOCK_UNKNOWN)
                return mr_error_at(ctx, EBADMSG, path, 0, "unknown state '%.32s'", value);
        *ret = (uint32_t) state;
        return 0;
}

/* The kernel removes a block's files before its directory: a required file
 * that is missing while its directory is gone means the block vanished. */
static int missing_required(const struct dir *d, const char *path) {
        if (mr_dir_vanished(d->ctx, d->path))
                return -ENOENT;
        return mr_error_at(d->ctx, EBADMSG, path, 0, "missing");
}

/* The state file @name ("state", or "memoryN/state" under the memory
 * directory) under @d. */
static int read_state(const struct dir *d, const char *name, uint32_t *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r;

        r = read_attr(d, name, &value);
        if (r == -ENOENT)
                return -ENOENT; /* vanished: the caller skips it */
        if (r < 0)
                return r;
        return parse_state(d->ctx, attr_path(d, name, path, sizeof(path)), value, ret);
}

static bool is_plain_hex(const char *value, uint64_t *ret) {
        size_t len = strlen(value);

        return len > 0 && strspn(value, "0123456789abcdef") == len && mr_parse_hex_u64_n(value, len, ret) >= 0;
}

static int check_phys_index(const struct dir *d, uint64_t index) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        uint64_t v;
        int r;

        r = read_attr(d, "phys_index", &value);
        if (r == -ENOENT)
                return missing_required(d, attr_path(d, "phys_index", path, sizeof(path)));
        if (r < 0)
                return r;
        if (is_plain_hex(value, &v) && v == index)
                return 0;
        /* Only a bad one pays for naming the file. */
        attr_path(d, "phys_index", path, sizeof(path));
        r = parse_plain_hex(d->ctx, path, value, &v);
        if (r < 0)
                return r;
        return mr_error_at(d->ctx, EBADMSG, path, 0, "phys_index 0x%llx does not match the directory's block %llu",
                           (unsigned long long) v, (unsigned long long) index);
}

static int read_phys_device(const struct dir *d, int *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r, v;

        r = read_attr(d, "phys_device", &value);
        if (r == -ENOENT) {
                *ret = -1;
                return 0;
        }
        if (r < 0)
                return r;
        if (mr_parse_int(value, &v) < 0 || v < 0)
                return mr_error_at(d->ctx, EBADMSG, attr_path(d, "phys_device", path, sizeof(path)), 0,
                                   "expected a device number, got '%.32s'", value);
        *ret = v;
        return 0;
}

/* nodeX entries inside memoryN, listed from @fd (taken): links on a live
 * system, plain files in a copied tree; only the name counts. */
static int read_nodes(const struct dir *d, int fd, struct memrange_block *b) {
        _cleanup_(freep) uint64_t *ids = NULL;
        size_t n;
        int r;

        r = mr_list_indexed_fd(d->ctx, fd, d->path, "node", MAX_NODES_PER_BLOCK, &ids, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return 0;
        b->nodes = calloc(n, sizeof(*b->nodes));
        if (!b->nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (ids[i] > INT32_MAX)
                        return mr_error_at(d->ctx, EBADMSG, d->path, 0, "node%llu is out of range",
                                           (unsigned long long) ids[i]);
                b->nodes[i] = (int32_t) ids[i];
        }
        b->n_nodes = n;
        return 0;
}

static int block_range(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index,
                       struct memrange_block *b) {
        char dir[128];

        if (__builtin_mul_overflow(index, block_size, &b->start) ||
            __builtin_add_overflow(b->start, block_size, &b->end)) {
                block_path(dir, sizeof(dir), index, NULL);
                return mr_error_at(ctx, EOVERFLOW, dir, 0,
                                   "block %llu of 0x%llx bytes lies beyond the 64-bit address space",
                                   (unsigned long long) index, (unsigned long long) block_size);
        }
        return 0;
}

/* What is read of each block besides its state. */
enum block_parts {
        BLOCK_DETAILS = 1u << 0, /* phys_index checked, online, removable, phys_device, valid_zones */
        BLOCK_NODES = 1u << 1,   /* its own nodeX entries */
        /* Single attributes a lean read adds (BLOCK_DETAILS has them). */
        BLOCK_REMOVABLE = 1u << 2,
        BLOCK_ZONES = 1u << 3,
        BLOCK_ONLINE = 1u << 4,
};
#define BLOCK_LEAN_EXTRAS (BLOCK_REMOVABLE | BLOCK_ZONES | BLOCK_ONLINE)

static enum block_parts block_parts(uint32_t flags) {
        enum block_parts parts = BLOCK_NODES;

        if (!(flags & MEMRANGE_READ_LEAN_BLOCKS))
                return BLOCK_DETAILS | BLOCK_NODES;
        if (flags & MEMRANGE_READ_BLOCK_REMOVABLE)
                parts |= BLOCK_REMOVABLE;
        if (flags & MEMRANGE_READ_BLOCK_ZONES)
                parts |= BLOCK_ZONES;
        if (flags & MEMRANGE_READ_BLOCK_ONLINE)
                parts |= BLOCK_ONLINE;
        return parts;
}

/* The single attributes of @parts, "@prefix@attribute" under @d: the
 * block's own directory (empty @prefix) or the memory directory
 * ("memoryN/"). */
static int read_lean_extras(const struct dir *d, const char *prefix, enum block_parts parts,
                            struct memrange_block *b) {
        char name[64];
        int r;

        if (parts & BLOCK_REMOVABLE) {
                snprintf(name, sizeof(name), "%sremovable", prefix);
                r = read_optional_bool(d, name, &b->removable);
                if (r < 0)
                        return r;
        }
        if (parts & BLOCK_ONLINE) {
                snprintf(name, sizeof(name), "%sonline", prefix);
                r = read_optional_bool(d, name, &b->online);
                if (r < 0)
                        return r;
        }
        if (parts & BLOCK_ZONES) {
                snprintf(name, sizeof(name), "%svalid_zones", prefix);
                return read_optional_string(d, name, &b->valid_zones);
        }
        return 0;
}

/* The attributes a lean read leaves out, from the open directory @d; on
 * failure the caller clears @b. */
static int read_block_details(const struct dir *d, struct memrange_block *b) {
        int r;

        r = check_phys_index(d, b->index);
        if (r < 0)
                return r;
        r = read_optional_bool(d, "online", &b->online);
        if (r < 0)
                return r;
        r = read_optional_bool(d, "removable", &b->removable);
        if (r < 0)
                return r;
        r = read_phys_device(d, &b->phys_device);
        if (r < 0)
                return r;
        return read_optional_string(d, "valid_zones", &b->valid_zones);
}

/* Opens the block's directory, @name under @parent, and reads its state
 * and @parts from it. */
static int read_block_dir(const struct dir *parent, const char *name, enum block_parts parts,
                          struct memrange_block *b) {
        _cleanup_(closep) int fd = -1;
        char path[64];
        struct dir d = { .ctx = parent->ctx, .path = path };
        int r;

        block_path(path, sizeof(path), b->index, NULL);
        fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return mr_error_at(d.ctx, errno, path, 0, "cannot open directory: %s", strerror(errno));
        d.fd = fd;
        r = read_state(&d, "state", &b->state);
        if (r < 0)
                return r;
        if (parts & BLOCK_DETAILS)
                r = read_block_details(&d, b);
        else
                r = read_lean_extras(&d, "", parts, b);
        if (r < 0)
                return r;
        if (!(parts & BLOCK_NODES))
                return 0;
        /* Last: the listing takes the directory's fd. */
        return read_nodes(&d, TAKE_FD(fd), b);
}

/* Fills @b from block @index, found as @name under the directory @parent;
 * on failure the caller clears @b. -ENOENT when the block vanished (its
 * directory, or its state, is gone). Without details or nodes in @parts
 * only "@name/state" (and the single attributes asked for) is opened: no
 * directory of its own, one open per file. */
static int read_block_at(const struct dir *parent, const char *name, uint64_t block_size, uint64_t index,
                         enum block_parts parts, struct memrange_block *b) {
        char name_buf[64];
        int r;

        *b = (struct memrange_block) { .index = index, .online = -1, .removable = -1, .phys_device = -1 };
        r = block_range(parent->ctx, block_size, index, b);
        if (r < 0)
                return r;
        if (parts & (BLOCK_DETAILS | BLOCK_NODES))
                return read_block_dir(parent, name, parts, b);
        snprintf(name_buf, sizeof(name_buf), "%s/state", name);
        r = read_state(parent, name_buf, &b->state);
        if (r < 0)
                return r;
        snprintf(name_buf, sizeof(name_buf), "%s/", name);
        return read_lean_extras(parent, name_buf, parts, b);
}

static bool is_power_of_two(uint64_t v) {
        return v != 0 && (v & (v - 1)) == 0;
}

/* memrange_block_read_flags() under the directory @parent, where the
 * block is @name. */
static int block_read_at(const struct dir *parent, const char *name, uint64_t block_size, uint64_t index,
                         enum block_parts parts, struct memrange_block *ret_block) {
        struct memrange_block b;
        int r;

        r = read_block_at(parent, name, block_size, index, parts, &b);
        if (r < 0) {
                memrange_block_clear(&b);
                return r;
        }
        *ret_block = b;
        return 0;
}

_public_ int memrange_block_read_flags(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index, uint32_t flags,
                                       struct memrange_block *ret_block) {
        const struct dir top = { .ctx = ctx, .fd = ctx ? mr_sysroot_fd(ctx) : -1 };
        char path[64];

        if (!ctx || !ret_block || !is_power_of_two(block_size) || (flags & ~MR_READ_FLAGS_ALL))
                return -EINVAL;
        block_path(path, sizeof(path), index, NULL);
        return block_read_at(&top, path, block_size, index, block_parts(flags), ret_block);
}

_public_ int memrange_block_read(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index,
                                 struct memrange_block *ret_block) {
        return memrange_block_read_flags(ctx, block_size, index, 0, ret_block);
}

_public_ void memrange_block_clear(struct memrange_block *block) {
        if (!block)
                return;
        free(block->valid_zones);
        free(block->nodes);
        *block = (struct memrange_block) {};
}

_public_ struct memrange_blocks *memrange_blocks_free(struct memrange_blocks *blocks) {
        if (!blocks)
                return NULL;
        for (size_t i = 0; i < blocks->n; i++)
                memrange_block_clear(&blocks->blocks[i]);
        free(blocks->blocks);
        free(blocks->auto_online_blocks);
        free(blocks);
        return NULL;
}

static int read_block_size(struct memrange_ctx *ctx, uint64_t *ret) {
        _cleanup_(freep) char *value = NULL;
        const char *path = MEMORY_DIR "/block_size_bytes";
        uint64_t v;
        int r;

        r = mr_read_attr_line(ctx, path, &value);
        if (r == -ENOENT && !mr_exists(ctx, MEMORY_DIR)) {
                mr_dbg(ctx, "%s does not exist", MEMORY_DIR);
                return -ENOENT;
        }
        if (r == -ENOENT)
                return mr_error_at(ctx, EBADMSG, path, 0, "missing");
        if (r < 0)
                return r;
        r = parse_plain_hex(ctx, path, value, &v);
        if (r < 0)
                return r;
        if (!is_power_of_two(v))
                return mr_error_at(ctx, EBADMSG, path, 0, "block size 0x%llx is not a power of two",
                                   (unsigned long long) v);
        *ret = v;
        return 0;
}

/* Reads @parts of every listed block; blocks that vanished meanwhile are
 * skipped (noted as vanished when @listed: they were just in the listing,
 * not merely named by an event). Each memoryN is opened under the memory directory, opened once:
 * one path component to walk per block instead of five. */
static int read_all_blocks(struct memrange_ctx *ctx, const uint64_t *indices, size_t n_indices,
                           enum block_parts parts, bool listed, struct memrange_blocks *blocks) {
        _cleanup_(closep) int memory_fd = -1;
        struct dir memory = { .ctx = ctx, .path = MEMORY_DIR };
        int r;

        memory_fd = mr_open(ctx, MEMORY_DIR, O_RDONLY | O_DIRECTORY);
        if (memory_fd == -ENOENT)
                return -ENOENT; /* removed under us */
        if (memory_fd < 0)
                return mr_error_at(ctx, memory_fd, MEMORY_DIR, 0, "cannot open directory: %s",
                                   strerror(-memory_fd));
        memory.fd = memory_fd;
        blocks->blocks = calloc(n_indices ? n_indices : 1, sizeof(*blocks->blocks));
        if (!blocks->blocks)
                return -ENOMEM;
        for (size_t i = 0; i < n_indices; i++) {
                char name[32];

                snprintf(name, sizeof(name), "memory%llu", (unsigned long long) indices[i]);
                r = block_read_at(&memory, name, blocks->block_size, indices[i], parts, &blocks->blocks[blocks->n]);
                if (r == -ENOENT) {
                        if (listed)
                                mr_note_vanished(ctx, MEMORY_DIR "/memory%llu", (unsigned long long) indices[i]);
                        continue;
                }
                if (r < 0)
                        return r;
                blocks->n++;
        }
        return 0;
}

struct memrange_block *mr_blocks_find(const struct memrange_blocks *blocks, uint64_t index) {
        size_t lo = 0, hi = blocks->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (blocks->blocks[mid].index < index)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < blocks->n && blocks->blocks[lo].index == index ? &blocks->blocks[lo] : NULL;
}

/* Counts each block's nodeX/memoryN links of @numa into its n_nodes or,
 * with @fill, stores them into its nodes (sized by that count). Links
 * naming a block that is not listed (gone, or not there yet) are left
 * out. */
static void walk_numa_links(struct memrange_blocks *blocks, const struct memrange_numa *numa, bool fill) {
        for (size_t i = 0; i < numa->n; i++)
                for (size_t j = 0; j < numa->nodes[i].n_blocks; j++) {
                        struct memrange_block *b = mr_blocks_find(blocks, numa->nodes[i].blocks[j]);

                        if (!b)
                                continue;
                        if (fill)
                                b->nodes[b->n_nodes] = numa->nodes[i].nid;
                        b->n_nodes++;
                }
}

/* The blocks' nodes from @numa: a listing per node instead of one per
 * block. They come sorted because @numa's nodes are. */
static int nodes_from_numa(struct memrange_blocks *blocks, const struct memrange_numa *numa) {
        walk_numa_links(blocks, numa, false);
        for (size_t i = 0; i < blocks->n; i++) {
                struct memrange_block *b = &blocks->blocks[i];

                if (b->n_nodes == 0)
                        continue;
                b->nodes = calloc(b->n_nodes, sizeof(*b->nodes));
                if (!b->nodes)
                        return -ENOMEM;
                b->n_nodes = 0;
        }
        walk_numa_links(blocks, numa, true);
        return 0;
}

/* The memory directory's own attributes: block size, hotplug policy. */
static int read_blocks_header(struct memrange_ctx *ctx, struct memrange_blocks *blocks) {
        const struct dir top = { .ctx = ctx, .fd = mr_sysroot_fd(ctx) };
        int r;

        r = read_block_size(ctx, &blocks->block_size);
        if (r < 0)
                return r;
        r = read_optional_string(&top, MEMORY_DIR "/auto_online_blocks", &blocks->auto_online_blocks);
        if (r < 0)
                return r;
        return read_optional_bool(&top, MEMORY_DIR "/crash_hotplug", &blocks->crash_hotplug);
}

/* Reads the blocks @indices (sorted, unique) as @flags say into @blocks,
 * whose header is read; vanished ones are skipped. */
static int read_listed_blocks(struct memrange_ctx *ctx, uint32_t flags, const struct memrange_numa *numa,
                              const uint64_t *indices, size_t n_indices, bool listed,
                              struct memrange_blocks *blocks) {
        enum block_parts parts = block_parts(flags);
        bool nodes_from_numa_links = (flags & MEMRANGE_READ_LEAN_BLOCKS) && numa;
        int r;

        /* Lean with the node directories read: the nodes come from them. */
        if (nodes_from_numa_links)
                parts &= ~BLOCK_NODES;
        r = read_all_blocks(ctx, indices, n_indices, parts, listed, blocks);
        if (r < 0)
                return r;
        return nodes_from_numa_links ? nodes_from_numa(blocks, numa) : 0;
}

/* A new struct memrange_blocks with its header read. */
static int blocks_new(struct memrange_ctx *ctx, uint32_t flags, struct memrange_blocks **ret_blocks) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        int r;

        blocks = calloc(1, sizeof(*blocks));
        if (!blocks)
                return -ENOMEM;
        blocks->read_flags = flags;
        r = read_blocks_header(ctx, blocks);
        if (r < 0)
                return r;
        *ret_blocks = TAKE_PTR(blocks);
        return 0;
}

int mr_blocks_read(struct memrange_ctx *ctx, uint32_t flags, const struct memrange_numa *numa,
                   struct memrange_blocks **ret_blocks) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        _cleanup_(freep) uint64_t *indices = NULL;
        size_t n_indices;
        int r;

        r = blocks_new(ctx, flags, &blocks);
        if (r < 0)
                return r;
        r = mr_list_indexed(ctx, MEMORY_DIR, "memory", MAX_BLOCKS, &indices, &n_indices);
        if (r == -ENOENT)
                return -ENOENT; /* removed under us */
        if (r < 0)
                return r;
        /* The listing is sorted, so the blocks are too. */
        r = read_listed_blocks(ctx, flags, numa, indices, n_indices, true, blocks);
        if (r < 0)
                return r;
        *ret_blocks = TAKE_PTR(blocks);
        return 0;
}

int mr_blocks_read_indices(struct memrange_ctx *ctx, uint32_t flags, const struct memrange_numa *numa,
                           const uint64_t *indices, size_t n_indices, struct memrange_blocks **ret_blocks) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        int r;

        if (!ctx || !ret_blocks || (n_indices > 0 && !indices) || n_indices > MAX_BLOCKS ||
            (flags & ~MR_READ_FLAGS_ALL))
                return -EINVAL;
        for (size_t i = 1; i < n_indices; i++)
                if (indices[i - 1] >= indices[i])
                        return -EINVAL;
        r = blocks_new(ctx, flags, &blocks);
        if (r < 0)
                return r;
        r = read_listed_blocks(ctx, flags, numa, indices, n_indices, false, blocks);
        if (r < 0)
                return r;
        *ret_blocks = TAKE_PTR(blocks);
        return 0;
}

_public_ int memrange_blocks_read_flags(struct memrange_ctx *ctx, uint32_t flags, struct memrange_blocks **ret_blocks) {
        _cleanup_(memrange_numa_freep) struct memrange_numa *numa = NULL;
        int r;

        if (!ctx || !ret_blocks || (flags & ~MR_READ_FLAGS_ALL))
                return -EINVAL;
        mr_clear_error(ctx);
        if (flags & MEMRANGE_READ_LEAN_BLOCKS) {
                /* Without the node directories (absent, or broken: that is
                 * the numa source's error to report), each block's own
                 * nodeX entries are listed. */
                r = memrange_numa_read(ctx, &numa);
                if (r == -ENOMEM)
                        return r;
                mr_clear_error(ctx);
        }
        return mr_blocks_read(ctx, flags, numa, ret_blocks);
}

_public_ int memrange_blocks_read(struct memrange_ctx *ctx, struct memrange_blocks **ret_blocks) {
        return memrange_blocks_read_flags(ctx, 0, ret_blocks);
}

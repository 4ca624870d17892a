/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /sys/devices/system/memory: the block size, the hotplug policy and one
 * memoryN directory per memory block (N = start / block size). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-private.h"

#define MEMORY_DIR "sys/devices/system/memory"
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

static int read_state(const struct dir *d, uint32_t *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        int r;

        r = read_attr(d, "state", &value);
        if (r == -ENOENT)
                return -ENOENT; /* vanished: the caller skips it */
        if (r < 0)
                return r;
        return parse_state(d->ctx, attr_path(d, "state", path, sizeof(path)), value, ret);
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

/* The attributes of @b from the open directory @d; on failure the caller
 * clears @b. */
static int read_block_attrs(const struct dir *d, struct memrange_block *b) {
        int r;

        r = read_state(d, &b->state);
        if (r < 0)
                return r;
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

/* Fills @b from block @index's directory, found as @name under the
 * directory open as @parent_fd; on failure the caller clears @b. -ENOENT
 * when the block vanished (its directory, or its state, is gone). */
static int read_block_at(struct memrange_ctx *ctx, int parent_fd, const char *name, uint64_t block_size,
                         uint64_t index, struct memrange_block *b) {
        _cleanup_(closep) int fd = -1;
        char path[64];
        struct dir d = { .ctx = ctx, .path = path };
        int r;

        b->index = index;
        r = block_range(ctx, block_size, index, b);
        if (r < 0)
                return r;
        block_path(path, sizeof(path), index, NULL);
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return mr_error_at(ctx, errno, path, 0, "cannot open directory: %s", strerror(errno));
        d.fd = fd;
        r = read_block_attrs(&d, b);
        if (r < 0)
                return r;
        /* Last: the listing takes the directory's fd. */
        return read_nodes(&d, TAKE_FD(fd), b);
}

static bool is_power_of_two(uint64_t v) {
        return v != 0 && (v & (v - 1)) == 0;
}

/* memrange_block_read() under the directory open as @parent_fd, where the
 * block is @name. */
static int block_read_at(struct memrange_ctx *ctx, int parent_fd, const char *name, uint64_t block_size,
                         uint64_t index, struct memrange_block *ret_block) {
        struct memrange_block b = {};
        int r;

        r = read_block_at(ctx, parent_fd, name, block_size, index, &b);
        if (r < 0) {
                memrange_block_clear(&b);
                return r;
        }
        *ret_block = b;
        return 0;
}

_public_ int memrange_block_read(struct memrange_ctx *ctx, uint64_t block_size, uint64_t index,
                                 struct memrange_block *ret_block) {
        char path[64];

        if (!ctx || !ret_block || !is_power_of_two(block_size))
                return -EINVAL;
        block_path(path, sizeof(path), index, NULL);
        return block_read_at(ctx, mr_sysroot_fd(ctx), path, block_size, index, ret_block);
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

/* Reads every listed block; blocks that vanished meanwhile are skipped.
 * Each memoryN is opened under the memory directory, opened once: one
 * path component to walk per block instead of five. */
static int read_all_blocks(struct memrange_ctx *ctx, const uint64_t *indices, size_t n_indices,
                           struct memrange_blocks *blocks) {
        _cleanup_(closep) int memory_fd = -1;
        int r;

        memory_fd = mr_open(ctx, MEMORY_DIR, O_RDONLY | O_DIRECTORY);
        if (memory_fd == -ENOENT)
                return -ENOENT; /* removed under us */
        if (memory_fd < 0)
                return mr_error_at(ctx, memory_fd, MEMORY_DIR, 0, "cannot open directory: %s",
                                   strerror(-memory_fd));
        blocks->blocks = calloc(n_indices ? n_indices : 1, sizeof(*blocks->blocks));
        if (!blocks->blocks)
                return -ENOMEM;
        for (size_t i = 0; i < n_indices; i++) {
                char name[32];

                snprintf(name, sizeof(name), "memory%llu", (unsigned long long) indices[i]);
                r = block_read_at(ctx, memory_fd, name, blocks->block_size, indices[i], &blocks->blocks[blocks->n]);
                if (r == -ENOENT) {
                        mr_note_vanished(ctx, MEMORY_DIR "/memory%llu", (unsigned long long) indices[i]);
                        continue;
                }
                if (r < 0)
                        return r;
                blocks->n++;
        }
        return 0;
}

_public_ int memrange_blocks_read(struct memrange_ctx *ctx, struct memrange_blocks **ret_blocks) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        _cleanup_(freep) uint64_t *indices = NULL;
        size_t n_indices;
        struct dir top;
        int r;

        if (!ctx || !ret_blocks)
                return -EINVAL;
        top = (struct dir) { .ctx = ctx, .fd = mr_sysroot_fd(ctx) };
        blocks = calloc(1, sizeof(*blocks));
        if (!blocks)
                return -ENOMEM;

        r = read_block_size(ctx, &blocks->block_size);
        if (r < 0)
                return r;
        r = read_optional_string(&top, MEMORY_DIR "/auto_online_blocks", &blocks->auto_online_blocks);
        if (r < 0)
                return r;
        r = read_optional_bool(&top, MEMORY_DIR "/crash_hotplug", &blocks->crash_hotplug);
        if (r < 0)
                return r;

        r = mr_list_indexed(ctx, MEMORY_DIR, "memory", MAX_BLOCKS, &indices, &n_indices);
        if (r == -ENOENT)
                return -ENOENT; /* removed under us */
        if (r < 0)
                return r;
        /* The listing is sorted, so the blocks are too. */
        r = read_all_blocks(ctx, indices, n_indices, blocks);
        if (r < 0)
                return r;

        *ret_blocks = TAKE_PTR(blocks);
        return 0;
}

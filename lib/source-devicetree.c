/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device tree memory description from proc/device-tree: memory nodes, the
 * reserved-memory children and the kdump properties of /chosen.
 *
 * Properties are raw big-endian bytes. Addresses and sizes are tuples of
 * #address-cells + #size-cells 32-bit cells, taken from the parent node. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel-paths.h"
#include "memrange-private.h"

/* No memory property comes near this; it keeps a corrupt tree from making
 * us read without end. */
#define DT_PROP_MAX (64u * 1024)
/* Upper bound on subnodes of one node we are willing to list. */
#define DT_SUBNODES_MAX 65536u

/* DOMAIN.md: #address-cells/#size-cells default to 1/1 when the root lacks
 * them. (The devicetree specification says 2/1; the kernel's flat-tree code
 * falls back to 1/1 except on sparc, and that is what it parsed memory
 * with.) */
#define DT_DEFAULT_ADDRESS_CELLS 1u
#define DT_DEFAULT_SIZE_CELLS 1u

/* What the memory nodes and /chosen's usable-memory-range describe. */
static const struct memrange dt_ram = {
        .type = MEMRANGE_TYPE_RAM,
        .nid = MEMRANGE_NID_NONE,
        .sources = MEMRANGE_SRC_DEVICETREE,
};

uint64_t mr_be_cells(const uint8_t *p, unsigned cells) {
        uint64_t v = 0;

        for (unsigned i = 0; i < cells * 4; i++)
                v = (v << 8) | p[i];
        return v;
}

static int dt_path(char *buf, size_t size, const char *dir, const char *name) {
        int n = snprintf(buf, size, "%s/%s", dir, name);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Reads a property; -ENOENT without recording an error when it is absent. */
static int read_property(struct memrange_ctx *ctx, const char *path, uint8_t **ret_buf,
                         size_t *ret_len) {
        char *buf;
        int r;

        r = mr_read_file(ctx, path, DT_PROP_MAX, &buf, ret_len);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return mr_error_at(ctx, r, path, 0, "cannot read property: %s", strerror(-r));
        *ret_buf = (uint8_t *) buf;
        return 0;
}

/* A #address-cells or #size-cells property: one cell holding 1 or 2. */
static int read_cells(struct memrange_ctx *ctx, const char *dir, const char *name,
                      uint32_t fallback, uint32_t *ret_cells) {
        _cleanup_(freep) uint8_t *buf = NULL;
        char path[512];
        uint64_t cells;
        size_t len;
        int r;

        r = dt_path(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        r = read_property(ctx, path, &buf, &len);
        if (r == -ENOENT) {
                *ret_cells = fallback;
                return 0;
        }
        if (r < 0)
                return r;
        if (len != 4)
                return mr_error_at(ctx, EBADMSG, path, 0, "expected one 4-byte cell, got %zu bytes", len);
        cells = mr_be_cells(buf, 1);
        if (cells != 1 && cells != 2)
                return mr_error_at(ctx, EBADMSG, path, 0, "%" PRIu64 " cells not supported (1 or 2)",
                                   cells);
        *ret_cells = (uint32_t) cells;
        return 0;
}

/* Appends each (address, size) tuple of @buf to @list as a copy of @tmpl
 * with @name; zero sizes describe nothing and are skipped. */
static int parse_tuples(struct memrange_ctx *ctx, const char *path, const uint8_t *buf, size_t len,
                        uint32_t address_cells, uint32_t size_cells, const struct memrange *tmpl,
                        const char *name, struct memrange_list *list) {
        size_t tuple = (size_t) (address_cells + size_cells) * 4;

        if (len % tuple != 0)
                return mr_error_at(ctx, EBADMSG, path, 0,
                                   "length %zu is not a multiple of %zu (%u address + %u size cells)",
                                   len, tuple, address_cells, size_cells);
        for (size_t off = 0; off < len; off += tuple) {
                uint64_t base = mr_be_cells(buf + off, address_cells);
                uint64_t size = mr_be_cells(buf + off + address_cells * 4, size_cells);
                struct memrange r = *tmpl;
                int rc;

                if (size == 0)
                        continue;
                if (size > UINT64_MAX - base)
                        return mr_error_at(ctx, EOVERFLOW, path, 0,
                                           "tuple %zu: 0x%" PRIx64 " + 0x%" PRIx64 " overflows",
                                           off / tuple, base, size);
                r.start = base;
                r.end = base + size;
                rc = memrange_list_append(list, &r, name);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* Reads @dir/@prop as tuples into @list; -ENOENT (unrecorded) when absent. */
static int read_tuples(struct memrange_ctx *ctx, const char *dir, const char *prop,
                       uint32_t address_cells, uint32_t size_cells, const struct memrange *tmpl,
                       const char *name, struct memrange_list *list) {
        _cleanup_(freep) uint8_t *buf = NULL;
        char path[512];
        size_t len;
        int r;

        r = dt_path(path, sizeof(path), dir, prop);
        if (r < 0)
                return r;
        r = read_property(ctx, path, &buf, &len);
        if (r < 0)
                return r;
        return parse_tuples(ctx, path, buf, len, address_cells, size_cells, tmpl, name, list);
}

static bool property_equals(struct memrange_ctx *ctx, const char *dir, const char *prop,
                            const char *value) {
        _cleanup_(freep) uint8_t *buf = NULL;
        char path[512];
        size_t len;

        if (dt_path(path, sizeof(path), dir, prop) < 0)
                return false;
        if (mr_read_file(ctx, path, DT_PROP_MAX, (char **) &buf, &len) < 0)
                return false;
        /* String properties carry their terminating NUL. */
        return len == strlen(value) + 1 && memcmp(buf, value, len) == 0;
}

static bool property_exists(struct memrange_ctx *ctx, const char *dir, const char *prop) {
        char path[512];
        return dt_path(path, sizeof(path), dir, prop) == 0 && mr_exists(ctx, path);
}

/* As the kernel: a node is used unless its status says otherwise. */
static bool node_is_available(struct memrange_ctx *ctx, const char *dir) {
        return !property_exists(ctx, dir, "status") || property_equals(ctx, dir, "status", "okay") ||
               property_equals(ctx, dir, "status", "ok");
}

static char **strv_free(char **v) {
        if (v)
                for (char **s = v; *s; s++)
                        free(*s);
        free(v);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool entry_is_dir(DIR *d, const struct dirent *de) {
        struct stat st;

        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Names of the subnodes of @dir, sorted so the result does not depend on
 * directory order. NULL-terminated; caller frees with strv_free(). */
static int list_subnodes(struct memrange_ctx *ctx, const char *dir, char ***ret_names) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int r;

        r = mr_opendir(ctx, dir, &d);
        if (r < 0)
                return r == -ENOENT ? r : mr_error_at(ctx, r, dir, 0, "cannot list: %s", strerror(-r));
        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        while ((errno = 0, de = readdir(d))) {
                char **bigger;

                if (de->d_name[0] == '.' || !entry_is_dir(d, de))
                        continue;
                if (n >= DT_SUBNODES_MAX)
                        return mr_error_at(ctx, E2BIG, dir, 0, "more than %u subnodes", DT_SUBNODES_MAX);
                bigger = realloc(names, (n + 2) * sizeof(char *));
                if (!bigger)
                        return -ENOMEM;
                names = bigger;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        if (errno != 0)
                return mr_error_at(ctx, errno, dir, 0, "cannot list: %s", strerror(errno));
        qsort(names, n, sizeof(char *), compare_names);
        *ret_names = TAKE_PTR(names);
        return 0;
}

/* Top-level nodes whose device_type is "memory": reg and linux,usable-memory. */
static int read_memory_nodes(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        _cleanup_(strv_freep) char **nodes = NULL;
        int r;

        r = list_subnodes(ctx, DT_ROOT, &nodes);
        if (r < 0)
                return r;
        for (char **node = nodes; *node; node++) {
                char dir[512];

                r = dt_path(dir, sizeof(dir), DT_ROOT, *node);
                if (r < 0)
                        return r;
                if (!property_equals(ctx, dir, "device_type", "memory") || !node_is_available(ctx, dir))
                        continue;
                r = read_tuples(ctx, dir, "reg", dt->address_cells, dt->size_cells, &dt_ram, *node,
                                &dt->memory);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = read_tuples(ctx, dir, "linux,usable-memory", dt->address_cells, dt->size_cells,
                                &dt_ram, *node, &dt->usable_memory);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

/* /reserved-memory children with a static reg; the node carries its own
 * cell counts (the kernel insists they equal the root's; absent, the root's
 * apply). Children with only size/alloc-ranges are placed at boot and have
 * no reg to report. */
static int read_reserved_memory(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        static const char dir[] = DT_ROOT "/reserved-memory";
        _cleanup_(strv_freep) char **nodes = NULL;
        uint32_t address_cells, size_cells;
        int r;

        r = list_subnodes(ctx, dir, &nodes);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        r = read_cells(ctx, dir, "#address-cells", dt->address_cells, &address_cells);
        if (r < 0)
                return r;
        r = read_cells(ctx, dir, "#size-cells", dt->size_cells, &size_cells);
        if (r < 0)
                return r;

        for (char **node = nodes; *node; node++) {
                struct memrange tmpl = {
                        .type = MEMRANGE_TYPE_RESERVED,
                        .nid = MEMRANGE_NID_NONE,
                        .sources = MEMRANGE_SRC_DEVICETREE,
                };
                char child[512];

                r = dt_path(child, sizeof(child), dir, *node);
                if (r < 0)
                        return r;
                if (!node_is_available(ctx, child))
                        continue;
                if (property_exists(ctx, child, "no-map"))
                        tmpl.flags |= MEMRANGE_F_NOMAP;
                r = read_tuples(ctx, child, "reg", address_cells, size_cells, &tmpl, *node,
                                &dt->reserved_memory);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

#define CHOSEN DT_ROOT "/chosen"

/* Where the ELF core header of the crashed kernel lies: set by kexec in a
 * capture kernel, exactly one tuple. */
static int read_elfcorehdr(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        static const char elfcorehdr_path[] = CHOSEN "/linux,elfcorehdr";
        static const struct memrange reserved = {
                .type = MEMRANGE_TYPE_RESERVED,
                .nid = MEMRANGE_NID_NONE,
                .sources = MEMRANGE_SRC_DEVICETREE,
        };
        _cleanup_(memrange_list_clear) struct memrange_list hdr = {};
        _cleanup_(freep) uint8_t *buf = NULL;
        size_t len, tuple = (size_t) (dt->address_cells + dt->size_cells) * 4;
        int r;

        r = read_property(ctx, elfcorehdr_path, &buf, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (len != tuple)
                return mr_error_at(ctx, EBADMSG, elfcorehdr_path, 0,
                                   "expected one %zu-byte tuple, got %zu bytes", tuple, len);
        r = parse_tuples(ctx, elfcorehdr_path, buf, len, dt->address_cells, dt->size_cells,
                         &reserved, NULL, &hdr);
        if (r < 0)
                return r;
        if (hdr.n != 1)
                return mr_error_at(ctx, EBADMSG, elfcorehdr_path, 0, "zero size");
        dt->has_elfcorehdr = true;
        dt->elfcorehdr = hdr.ranges[0];
        return 0;
}

/* A number of one or two cells, whatever the root's cell counts: the
 * powerpc kernel writes an unsigned long. -ENOENT (unrecorded) when
 * absent. */
int mr_dt_chosen_number(struct memrange_ctx *ctx, const char *path, uint64_t *ret) {
        _cleanup_(freep) uint8_t *buf = NULL;
        size_t len;
        int r;

        r = read_property(ctx, path, &buf, &len);
        if (r < 0)
                return r;
        if (len != 4 && len != 8)
                return mr_error_at(ctx, EBADMSG, path, 0, "expected 4 or 8 bytes, got %zu", len);
        *ret = mr_be_cells(buf, (unsigned) (len / 4));
        return 0;
}

/* The crash kernel region powerpc publishes in /chosen (pseries keeps it
 * out of /proc/iomem). The kernel writes both properties or neither. */
static int read_crashkernel(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        static const char base_path[] = CHOSEN "/linux,crashkernel-base";
        static const char size_path[] = CHOSEN "/linux,crashkernel-size";
        uint64_t base = 0, size = 0;
        int rb, rs;

        rb = mr_dt_chosen_number(ctx, base_path, &base);
        if (rb < 0 && rb != -ENOENT)
                return rb;
        rs = mr_dt_chosen_number(ctx, size_path, &size);
        if (rs < 0 && rs != -ENOENT)
                return rs;
        if (rb == -ENOENT && rs == -ENOENT)
                return 0;
        if (rb == -ENOENT || rs == -ENOENT)
                return mr_error_at(ctx, EBADMSG, rb == -ENOENT ? size_path : base_path, 0,
                                   "present without linux,crashkernel-%s", rb == -ENOENT ? "base" : "size");
        if (size == 0)
                return 0;
        if (size > UINT64_MAX - base)
                return mr_error_at(ctx, EBADMSG, size_path, 0,
                                   "crash region 0x%" PRIx64 "+0x%" PRIx64 " passes the end of memory", base, size);
        dt->has_crashkernel = true;
        dt->crashkernel = (struct memrange) {
                .start = base,
                .end = base + size,
                .type = MEMRANGE_TYPE_CRASHKERNEL,
                .nid = MEMRANGE_NID_NONE,
                .sources = MEMRANGE_SRC_DEVICETREE,
        };
        return 0;
}

/* /chosen: the memory a capture kernel may use, its ELF core header, and
 * the crash kernel region of powerpc. */
static int read_chosen(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        int r;

        r = read_tuples(ctx, CHOSEN, "linux,usable-memory-range", dt->address_cells, dt->size_cells, &dt_ram,
                        "chosen", &dt->usable_memory_range);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_elfcorehdr(ctx, dt);
        if (r < 0)
                return r;
        r = read_crashkernel(ctx, dt);
        if (r < 0)
                return r;
        return mr_dt_read_memory_limit(ctx, dt);
}

int mr_dt_root_cells(struct memrange_ctx *ctx, uint32_t *ret_address_cells, uint32_t *ret_size_cells) {
        uint32_t address_cells, size_cells;
        int r;

        r = read_cells(ctx, DT_ROOT, "#address-cells", DT_DEFAULT_ADDRESS_CELLS, &address_cells);
        if (r < 0)
                return r;
        r = read_cells(ctx, DT_ROOT, "#size-cells", DT_DEFAULT_SIZE_CELLS, &size_cells);
        if (r < 0)
                return r;
        *ret_address_cells = address_cells;
        *ret_size_cells = size_cells;
        return 0;
}

_public_ int memrange_devicetree_read(struct memrange_ctx *ctx, struct memrange_devicetree **ret_dt) {
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        int r;

        if (!ctx || !ret_dt)
                return -EINVAL;
        if (!mr_exists(ctx, DT_ROOT))
                return -ENOENT;

        dt = calloc(1, sizeof(*dt));
        if (!dt)
                return -ENOMEM;
        r = mr_dt_root_cells(ctx, &dt->address_cells, &dt->size_cells);
        if (r < 0)
                return r;
        r = read_memory_nodes(ctx, dt);
        if (r < 0)
                return r;
        r = read_reserved_memory(ctx, dt);
        if (r < 0)
                return r;
        r = read_chosen(ctx, dt);
        if (r < 0)
                return r;

        *ret_dt = TAKE_PTR(dt);
        return 0;
}

_public_ struct memrange_devicetree *memrange_devicetree_free(struct memrange_devicetree *dt) {
        if (!dt)
                return NULL;
        memrange_list_clear(&dt->memory);
        memrange_list_clear(&dt->usable_memory);
        memrange_list_clear(&dt->reserved_memory);
        memrange_list_clear(&dt->usable_memory_range);
        free(dt);
        return NULL;
}

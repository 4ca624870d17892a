/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrange_snapshot_write(): the kernel files the readers read, copied from
 * the sysroot into a ustar archive under their kernel paths, so that a bug
 * report carries a tree that works as --sysroot (the layout of
 * shared/fixtures and of capture-sysroot.sh). */
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-paths.h"
#include "memrange-private.h"
#include "tar.h"

/* procfs and sysfs files are far smaller; iomem has the library's bound. */
#define SNAPSHOT_FILE_MAX MR_READ_MAX_DEFAULT
/* Bounds on what a corrupt or hostile tree can make us walk. */
#define SNAPSHOT_ENTRIES_MAX (1u << 25)
#define DT_DEPTH_MAX 64u
#define DT_NODE_ENTRIES_MAX 65536u
#define DT_PENDING_MAX (1u << 20)
/* Listing bounds, as the readers': blocks, nodes, CPUs, memmap entries. */
#define BLOCKS_MAX (1u << 21)
#define NODES_MAX (1u << 16)
#define CPUS_MAX (1u << 16)
#define MEMMAP_MAX (1u << 17)
#define LINKS_PER_BLOCK_MAX 1024u

struct snapshot {
        struct memrange_ctx *ctx;
        struct mr_tar tar;
        const char *top;
        void *stored_dirs; /* tsearch() tree of the directories already in the archive */
        uint64_t entries;
        struct memrange_snapshot_stats stats;
};

static int compare_strings(const void *a, const void *b) {
        return strcmp(a, b);
}

/* "@top/@path" (@path "" is @top itself) into @buf. */
static int archive_path(const struct snapshot *s, const char *path, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s%s%s", s->top, *path ? "/" : "", path);

        if (n < 0 || (size_t) n >= size)
                return mr_error_at(s->ctx, ENAMETOOLONG, path, 0, "path too long");
        return 0;
}

/* "@dir/@name" into @buf (PATH_MAX bytes). */
static int join(struct snapshot *s, char *buf, const char *dir, const char *name) {
        int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

        if (n < 0 || n >= PATH_MAX)
                return mr_error_at(s->ctx, ENAMETOOLONG, dir, 0, "entry '%.64s': path too long", name);
        return 0;
}

/* "@dir/@prefix@index" into @buf (PATH_MAX bytes). */
static int join_indexed(struct snapshot *s, char *buf, const char *dir, const char *prefix, uint64_t index) {
        char name[64];

        snprintf(name, sizeof(name), "%.32s%llu", prefix, (unsigned long long) index);
        return join(s, buf, dir, name);
}

static int count_entry(struct snapshot *s, const char *path) {
        if (s->entries >= SNAPSHOT_ENTRIES_MAX)
                return mr_error_at(s->ctx, EFBIG, path, 0, "more than %u entries in the snapshot",
                                   SNAPSHOT_ENTRIES_MAX);
        s->entries++;
        return 0;
}

/* Stores directory @dir (sysroot-relative, "" for the top) once. */
static int store_directory(struct snapshot *s, const char *dir) {
        char name[PATH_MAX], *key;
        int r;

        if (tfind(dir, &s->stored_dirs, compare_strings))
                return 0;
        r = count_entry(s, dir);
        if (r >= 0)
                r = archive_path(s, dir, name, sizeof(name));
        if (r >= 0)
                r = mr_tar_add_directory(&s->tar, name);
        if (r < 0)
                return r;
        key = strdup(dir);
        if (!key)
                return -ENOMEM;
        if (!tsearch(key, &s->stored_dirs, compare_strings)) {
                free(key);
                return -ENOMEM;
        }
        s->stats.directories++;
        return 0;
}

/* Stores the top and every directory on the way to @path, so that the
 * archive lists a directory before its contents and only when it holds
 * something. */
static int store_parents(struct snapshot *s, const char *path) {
        char dir[PATH_MAX];
        int r;

        r = store_directory(s, "");
        for (const char *slash = strchr(path, '/'); r >= 0 && slash; slash = strchr(slash + 1, '/')) {
                size_t len = (size_t) (slash - path);

                if (len >= sizeof(dir))
                        return mr_error_at(s->ctx, ENAMETOOLONG, path, 0, "path too long");
                memcpy(dir, path, len);
                dir[len] = '\0';
                r = store_directory(s, dir);
        }
        return r;
}

/* An unreadable file (EACCES: debugfs as non-root) is left out, noted
 * and counted; not a failure. */
static int skip_unreadable(struct snapshot *s, const char *path, int err) {
        mr_info(s->ctx, "%s: left out, cannot read: %s", path, strerror(-err));
        s->stats.skipped++;
        return 0;
}

static bool is_denied(int r) {
        return r == -EACCES || r == -EPERM;
}

/* A failed read of @path: -ENOENT passed on (absent or vanished: the
 * caller knows which), unreadable skipped, anything else recorded. */
static int read_failed(struct snapshot *s, const char *path, int r) {
        if (r == -ENOENT)
                return r;
        if (is_denied(r))
                return skip_unreadable(s, path, r);
        if (r == -EFBIG)
                return mr_error_at(s->ctx, r, path, 0, "larger than %u bytes", SNAPSHOT_FILE_MAX);
        return mr_error_at(s->ctx, r, path, 0, "cannot read: %s", strerror(-r));
}

/* The parents, then the entry itself: a file that vanished before it was
 * read leaves no trace. */
static int add_prepared(struct snapshot *s, const char *path, char type, const char *data, size_t size) {
        char name[PATH_MAX];
        int r;

        r = archive_path(s, path, name, sizeof(name));
        if (r >= 0)
                r = store_parents(s, path);
        if (r >= 0)
                r = count_entry(s, path);
        if (r < 0)
                return r;
        if (type == MR_TAR_SYMLINK) {
                r = mr_tar_add_symlink(&s->tar, name, data);
                s->stats.links += r >= 0;
        } else {
                r = mr_tar_add_file(&s->tar, name, data, size);
                s->stats.files += r >= 0;
                s->stats.bytes += r >= 0 ? size : 0;
        }
        return r;
}

static int store_symlink(struct snapshot *s, const char *path) {
        char target[PATH_MAX];
        ssize_t n = mr_readlink(s->ctx, path, target, sizeof(target));

        if (n < 0)
                return read_failed(s, path, (int) n);
        return add_prepared(s, path, MR_TAR_SYMLINK, target, 0);
}

static int store_regular(struct snapshot *s, const char *path) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = mr_read_file(s->ctx, path, SNAPSHOT_FILE_MAX, &data, &size);
        if (r < 0)
                return read_failed(s, path, r);
        return add_prepared(s, path, MR_TAR_REGULAR, data, size);
}

/* Stores the file or symlink @path as it is on disk. -ENOENT (recorded
 * nowhere) when it does not exist: the caller knows whether that means
 * absent or vanished. */
static int store_file(struct snapshot *s, const char *path) {
        struct stat st;
        int r = mr_lstat(s->ctx, path, &st);

        if (r < 0)
                return read_failed(s, path, r);
        if (S_ISLNK(st.st_mode))
                return store_symlink(s, path);
        if (S_ISREG(st.st_mode))
                return store_regular(s, path);
        /* A fifo or a device could block or never end. */
        return mr_error_at(s->ctx, EBADMSG, path, 0, "neither a regular file nor a symbolic link");
}

/* A file that may be absent (crash_hotplug on old kernels). */
static int store_optional(struct snapshot *s, const char *path) {
        int r = store_file(s, path);

        return r == -ENOENT ? 0 : r;
}

static int store_optional_in(struct snapshot *s, const char *dir, const char *const *names, size_t n) {
        char path[PATH_MAX];
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = join(s, path, dir, names[i]);
                if (r >= 0)
                        r = store_optional(s, path);
        }
        return r;
}

static void note_vanished(struct snapshot *s, const char *path) {
        mr_note_vanished(s->ctx, "%s", path);
        s->stats.vanished++;
}

/* @path of an entry listed a moment ago: gone now means vanished. */
static int store_listed(struct snapshot *s, const char *path) {
        int r = store_file(s, path);

        if (r == -ENOENT) {
                note_vanished(s, path);
                return 0;
        }
        return r;
}

/* The files @names of the listed directory @dir, then its @link_prefix<N>
 * entries (links, or files standing for them). An entry that vanished
 * meanwhile is noted and left out, not a failure. */
static int store_entry(struct snapshot *s, const char *dir, const char *const *names, size_t n,
                       const char *link_prefix, size_t max_links) {
        _cleanup_(freep) uint64_t *links = NULL;
        char path[PATH_MAX];
        size_t n_links = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = join(s, path, dir, names[i]);
                if (r < 0)
                        return r;
                r = store_file(s, path);
                if (r == -ENOENT && mr_dir_vanished(s->ctx, dir))
                        goto vanished;
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (!link_prefix)
                return 0;
        r = mr_list_indexed(s->ctx, dir, link_prefix, max_links, &links, &n_links);
        if (r == -ENOENT)
                goto vanished;
        if (is_denied(r))
                return skip_unreadable(s, dir, r);
        for (size_t i = 0; r >= 0 && i < n_links; i++) {
                r = join_indexed(s, path, dir, link_prefix, links[i]);
                if (r >= 0)
                        r = store_listed(s, path);
        }
        return r;

vanished:
        note_vanished(s, dir);
        return 0;
}

/* Every @prefix<N> entry of @dir, each with store_entry(). */
static int store_entries(struct snapshot *s, const char *dir, const char *prefix, size_t max,
                         const char *const *names, size_t n, const char *link_prefix, size_t max_links) {
        _cleanup_(freep) uint64_t *indices = NULL;
        char path[PATH_MAX];
        size_t n_indices = 0;
        int r;

        r = mr_list_indexed(s->ctx, dir, prefix, max, &indices, &n_indices);
        if (r == -ENOENT)
                return 0;
        if (is_denied(r))
                return skip_unreadable(s, dir, r);
        for (size_t i = 0; r >= 0 && i < n_indices; i++) {
                r = join_indexed(s, path, dir, prefix, indices[i]);
                if (r >= 0)
                        r = store_entry(s, path, names, n, link_prefix, max_links);
        }
        return r;
}

/* ---- the device tree: every node and property ---- */

/* A list of strings: a directory's entries, the directories still to walk. */
struct names {
        size_t n;
        char **items;
};

static void names_clear(struct names *names) {
        if (!names->items)
                return;
        for (size_t i = 0; i < names->n; i++)
                free(names->items[i]);
        free(names->items);
        *names = (struct names) {};
}

/* Appends a copy of @name, the list holding at most @max. */
static int names_push(struct snapshot *s, struct names *names, const char *name, size_t max) {
        char **bigger;

        if (names->n >= max)
                return mr_error_at(s->ctx, EFBIG, name, 0, "more than %zu entries in the device tree", max);
        bigger = reallocarray(names->items, names->n + 1, sizeof(*bigger));
        if (!bigger)
                return -ENOMEM;
        names->items = bigger;
        names->items[names->n] = strdup(name);
        if (!names->items[names->n])
                return -ENOMEM;
        names->n++;
        return 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The entries of directory @dir, sorted (so archives of one tree are
 * identical). */
static int list_names(struct snapshot *s, const char *dir, struct names *ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_(names_clear) struct names names = {};
        struct dirent *de;
        int r;

        r = mr_opendir(s->ctx, dir, &d);
        if (r == -ENOENT || is_denied(r))
                return r;
        if (r < 0)
                return mr_error_at(s->ctx, r, dir, 0, "cannot open directory: %s", strerror(-r));
        while ((errno = 0, de = readdir(d))) {
                if (mr_streq(de->d_name, ".") || mr_streq(de->d_name, ".."))
                        continue;
                r = names_push(s, &names, de->d_name, DT_NODE_ENTRIES_MAX);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return mr_error_at(s->ctx, errno, dir, 0, "cannot list directory: %s", strerror(errno));
        if (names.n > 0)
                qsort(names.items, names.n, sizeof(*names.items), compare_names);
        *ret = (struct names) { .n = names.n, .items = TAKE_PTR(names.items) };
        return 0;
}

/* How deep @path lies below DT_ROOT. */
static unsigned tree_depth(const char *path) {
        unsigned depth = 0;

        for (const char *p = path + strlen(DT_ROOT); *p; p++)
                depth += *p == '/';
        return depth;
}

/* Entry @path of the tree: a file or link stored, a directory appended
 * to @subdirs. */
static int store_tree_entry(struct snapshot *s, const char *path, struct names *subdirs) {
        struct stat st;
        int r = mr_lstat(s->ctx, path, &st);

        if (r < 0) {
                if (r != -ENOENT)
                        return mr_error_at(s->ctx, r, path, 0, "cannot stat: %s", strerror(-r));
                note_vanished(s, path);
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return store_listed(s, path);
        if (tree_depth(path) > DT_DEPTH_MAX)
                return mr_error_at(s->ctx, ELOOP, path, 0, "nested deeper than %u directories", DT_DEPTH_MAX);
        return names_push(s, subdirs, path, DT_NODE_ENTRIES_MAX);
}

/* Directory @dir of the tree with its files; its subdirectories go on
 * @pending, last first, so that they are walked in order. */
static int store_tree_dir(struct snapshot *s, const char *dir, struct names *pending) {
        _cleanup_(names_clear) struct names names = {}, subdirs = {};
        char path[PATH_MAX];
        int r;

        r = list_names(s, dir, &names);
        if (r == -ENOENT) {
                if (!mr_streq(dir, DT_ROOT))
                        note_vanished(s, dir);
                return 0;
        }
        if (is_denied(r))
                return skip_unreadable(s, dir, r);
        if (r < 0)
                return r;
        r = store_parents(s, dir);
        if (r >= 0)
                r = store_directory(s, dir);
        for (size_t i = 0; r >= 0 && i < names.n; i++) {
                r = join(s, path, dir, names.items[i]);
                if (r >= 0)
                        r = store_tree_entry(s, path, &subdirs);
        }
        for (size_t i = subdirs.n; r >= 0 && i-- > 0;)
                r = names_push(s, pending, subdirs.items[i], DT_PENDING_MAX);
        return r;
}

/* The whole device tree, when there is one, depth first without recursion. */
static int store_tree(struct snapshot *s) {
        _cleanup_(names_clear) struct names pending = {};
        int r;

        r = names_push(s, &pending, DT_ROOT, DT_PENDING_MAX);
        while (r >= 0 && pending.n > 0) {
                _cleanup_(freep) char *dir = pending.items[--pending.n];

                r = store_tree_dir(s, dir, &pending);
        }
        return r;
}

/* ---- the whole snapshot ---- */

static int store_all(struct snapshot *s) {
        static const char *const proc_files[] = { IOMEM_PATH, CMDLINE_PATH, MEMINFO_PATH, KERNEL_ARCH_PATH };
        static const char *const kernel_files[] = { SYS_KERNEL_FILES };
        static const char *const memblock_files[] = { MEMBLOCK_MEMORY, MEMBLOCK_RESERVED, MEMBLOCK_PHYSMEM };
        static const char *const memmap_attrs[] = { MEMMAP_ATTRS };
        static const char *const memory_files[] = { MEMORY_FILES };
        static const char *const block_attrs[] = { BLOCK_ATTRS };
        static const char *const node_files[] = { NODE_FILES };
        static const char *const node_attrs[] = { NODE_ATTRS };
        static const char *const cpu_files[] = { CPU_FILES };
        static const char *const cpu_attrs[] = { CPU_ATTRS };
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(proc_files); i++)
                r = store_optional(s, proc_files[i]);
        if (r >= 0)
                r = store_optional_in(s, SYS_KERNEL, kernel_files, ELEMENTSOF(kernel_files));
        if (r >= 0)
                r = store_entries(s, MEMMAP_DIR, "", MEMMAP_MAX, memmap_attrs, ELEMENTSOF(memmap_attrs), NULL, 0);
        if (r >= 0)
                r = store_optional_in(s, MEMORY_DIR, memory_files, ELEMENTSOF(memory_files));
        if (r >= 0)
                r = store_entries(s, MEMORY_DIR, "memory", BLOCKS_MAX, block_attrs, ELEMENTSOF(block_attrs),
                                  "node", LINKS_PER_BLOCK_MAX);
        if (r >= 0)
                r = store_entries(s, NODE_DIR, "node", NODES_MAX, node_attrs, ELEMENTSOF(node_attrs), "memory",
                                  BLOCKS_MAX);
        if (r >= 0)
                r = store_optional_in(s, NODE_DIR, node_files, ELEMENTSOF(node_files));
        if (r >= 0)
                r = store_optional_in(s, CPU_DIR, cpu_files, ELEMENTSOF(cpu_files));
        if (r >= 0)
                r = store_entries(s, CPU_DIR, "cpu", CPUS_MAX, cpu_attrs, ELEMENTSOF(cpu_attrs), NULL, 0);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(memblock_files); i++)
                r = store_optional(s, memblock_files[i]);
        if (r >= 0)
                r = store_tree(s);
        return r;
}

static bool valid_top(const char *top) {
        return top && *top && !strchr(top, '/') && !mr_streq(top, ".") && !mr_streq(top, "..");
}

_public_ int memrange_snapshot_write(struct memrange_ctx *ctx, const char *top, int64_t mtime,
                                    memrange_write_fn write, void *userdata,
                                    struct memrange_snapshot_stats *ret_stats) {
        struct snapshot s = {
                .ctx = ctx,
                .tar = { .ctx = ctx, .write = write, .userdata = userdata, .mtime = mtime },
                .top = top,
        };
        int r;

        if (!ctx || !write)
                return -EINVAL;
        mr_clear_error(ctx);
        if (!valid_top(top))
                return mr_error_at(ctx, EINVAL, NULL, 0, "snapshot directory name '%s' is not one path component",
                                   top ?: "");
        r = store_all(&s);
        if (r >= 0)
                r = store_directory(&s, ""); /* an empty sysroot still gives the top */
        if (r >= 0)
                r = mr_tar_finish(&s.tar);
        tdestroy(s.stored_dirs, free);
        if (r < 0)
                return r;
        if (ret_stats)
                *ret_stats = s.stats;
        return 0;
}

static int write_fd(void *userdata, const void *buf, size_t size) {
        int fd = *(const int *) userdata;

        while (size > 0) {
                ssize_t n = write(fd, buf, size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                buf = (const char *) buf + n;
                size -= (size_t) n;
        }
        return 0;
}

_public_ int memrange_snapshot_write_fd(struct memrange_ctx *ctx, const char *top, int64_t mtime, int fd,
                                       struct memrange_snapshot_stats *ret_stats) {
        if (fd < 0)
                return -EBADF;
        return memrange_snapshot_write(ctx, top, mtime, write_fd, &fd, ret_stats);
}

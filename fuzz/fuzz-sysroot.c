/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scratch sysroot of the fuzz targets (see fuzz-sysroot.h). Each input
 * removes exactly what the previous one created, children before their
 * parents, so one tmpfs directory serves the whole run. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

#define MAX_COMPONENT 64u
/* Deeper than any kernel path the readers open (memoryN/nodeX is 6). */
#define MAX_DEPTH 12u
/* Every record can create its directories and its file. */
#define MAX_CREATED (FUZZ_SYSROOT_MAX_FILES * (MAX_DEPTH + 1u))

struct created {
        char path[FUZZ_SYSROOT_MAX_PATH + 1];
        bool is_dir;
};

static struct {
        char root[64];
        int root_fd;
        struct memrange_ctx *ctx;
        struct created created[MAX_CREATED];
        size_t n_created;
} sr = { .root_fd = -1 };

static void clear_tree(void) {
        for (size_t i = sr.n_created; i > 0; i--)
                (void) unlinkat(sr.root_fd, sr.created[i - 1].path, sr.created[i - 1].is_dir ? AT_REMOVEDIR : 0);
        sr.n_created = 0;
}

static void remove_root(void) {
        clear_tree();
        (void) rmdir(sr.root);
}

static void setup(void) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

        snprintf(sr.root, sizeof(sr.root), "%s/memrange-fuzz-XXXXXX", base);
        if (!mkdtemp(sr.root)) {
                perror("fuzz-sysroot: mkdtemp");
                abort();
        }
        sr.root_fd = open(sr.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sr.root_fd < 0 || memrange_ctx_new(sr.root, &sr.ctx) < 0) {
                perror("fuzz-sysroot: opening the scratch directory");
                abort();
        }
        atexit(remove_root);
}

static void remember(const char *path, bool is_dir) {
        if (sr.n_created == MAX_CREATED)
                abort(); /* MAX_CREATED bounds what the records can make */
        snprintf(sr.created[sr.n_created].path, sizeof(sr.created[0].path), "%s", path);
        sr.created[sr.n_created++].is_dir = is_dir;
}

static bool component_is_valid(const char *c, size_t len) {
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,@#+-";

        if (len == 0 || len > MAX_COMPONENT)
                return false;
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!memchr(allowed, c[i], sizeof(allowed) - 1))
                        return false;
        return true;
}

/* A relative path of at most MAX_DEPTH valid components; a trailing '/'
 * is allowed (a directory record). */
static bool path_is_valid(const char *path) {
        const char *p = path;
        unsigned depth = 0;

        if (*p == '\0')
                return false;
        while (*p) {
                size_t len = strcspn(p, "/");

                if (!component_is_valid(p, len) || ++depth > MAX_DEPTH)
                        return false;
                p += len;
                if (*p == '/')
                        p++;
        }
        return true;
}

/* Creates each directory along @path (all of it when @whole, else all
 * but the last component). Returns false when something in the way is
 * not a directory. */
static bool make_directories(char *path, bool whole) {
        char *p = path;

        for (;;) {
                char *slash = strchr(p, '/');
                bool made;

                if (!slash && !whole)
                        return true;
                if (slash)
                        *slash = '\0';
                made = mkdirat(sr.root_fd, path, 0755) == 0;
                if (made)
                        remember(path, true);
                if (slash)
                        *slash = '/';
                if (!made && errno != EEXIST)
                        return false;
                if (!slash)
                        return true;
                p = slash + 1;
        }
}

static void write_file(const char *path, const uint8_t *content, size_t len) {
        struct stat st;
        bool existed = fstatat(sr.root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
        int fd = openat(sr.root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

        if (fd < 0)
                return; /* a directory of that name, say: skip the record */
        if (!existed)
                remember(path, false);
        while (len > 0) {
                ssize_t k = write(fd, content, len);

                if (k <= 0)
                        break;
                content += k;
                len -= (size_t) k;
        }
        close(fd);
}

static void add_record(const uint8_t *rec, size_t len) {
        const uint8_t *nl = memchr(rec, '\n', len);
        char path[FUZZ_SYSROOT_MAX_PATH + 1];
        size_t plen;

        if (!nl)
                return;
        plen = (size_t) (nl - rec);
        if (plen == 0 || plen > FUZZ_SYSROOT_MAX_PATH || memchr(rec, '\0', plen))
                return;
        memcpy(path, rec, plen);
        path[plen] = '\0';
        if (!path_is_valid(path))
                return;
        if (path[plen - 1] == '/') {
                path[plen - 1] = '\0';
                (void) make_directories(path, true);
                return;
        }
        if (make_directories(path, false))
                write_file(path, nl + 1, len - plen - 1);
}

/* The length of the record at @p (@size bytes left): up to the next
 * separator, or everything. (A loop rather than memmem(): gcc 12 with
 * -fsanitize=address,undefined warns, wrongly, that its argument may be
 * NULL.) */
static size_t record_length(const uint8_t *p, size_t size, bool *ret_last) {
        static const char sep[] = FUZZ_SYSROOT_SEPARATOR;
        const size_t n = sizeof(sep) - 1;

        for (size_t i = 0; i + n <= size; i++) {
                size_t k = 0;

                while (k < n && p[i + k] == (uint8_t) sep[k])
                        k++;
                if (k == n) {
                        *ret_last = false;
                        return i;
                }
        }
        *ret_last = true;
        return size;
}

struct memrange_ctx *fuzz_sysroot_load(const uint8_t *data, size_t size) {
        const size_t sep_len = sizeof(FUZZ_SYSROOT_SEPARATOR) - 1;
        size_t offset = 0, n_records = 0;

        if (sr.root_fd < 0)
                setup();
        clear_tree();
        while (offset < size && n_records < FUZZ_SYSROOT_MAX_FILES) {
                bool last;
                size_t len = record_length(data + offset, size - offset, &last);

                add_record(data + offset, len);
                n_records++;
                if (last)
                        break;
                offset += len + sep_len;
        }
        mr_clear_error(sr.ctx);
        return sr.ctx;
}

void fuzz_check_failure(struct memrange_ctx *ctx, int r) {
        const char *error;

        if (r >= 0 || r == -ENOENT || r == -ENOMEM)
                return;
        error = memrange_ctx_get_error(ctx);
        if (!error || (strncmp(error, "sys/", 4) != 0 && strncmp(error, "proc/", 5) != 0)) {
                fprintf(stderr, "read failed with %d (%s) without an error naming its file: %s\n", r,
                        strerror(-r), error ?: "(none)");
                abort();
        }
}

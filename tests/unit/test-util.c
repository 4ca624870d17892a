/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

const char *const all_fixtures[] = {
        "x86_64-6.1-dimm/boot",
        "x86_64-6.1-dimm/hotplug",
        "x86_64-6.1-dimm/offline",
        "x86_64-6.12-virtiomem/boot",
        "x86_64-6.12-virtiomem/hotplug",
        "arm64-6.12-virt/boot",
        "ppc64le-6.1-pseries/boot",
        "ppc64le-6.1-pseries/hotplug",
        "x86_64-6.18-microvm/boot",
        "kdump-cases/x86_64-6.1-kexec_load-noreload/root",
        "kdump-cases/x86_64-6.1-kexec_load-reload/root",
        "kdump-cases/x86_64-6.12-kexec_file-noreload/root",
        NULL,
};

static const char *fixtures_root(void) {
        const char *env = getenv("MEMRANGE_FIXTURES");
        return env && *env ? env : FIXTURES_DIR;
}

const char *fixture_path(const char *relative) {
        static char buf[4096];
        snprintf(buf, sizeof(buf), "%s/%s", fixtures_root(), relative);
        return buf;
}

static void log_to_stderr(void *userdata, int priority, const char *file, int line,
                          const char *fn, const char *format, va_list args) _printf_(6, 0);
static void log_to_stderr(void *userdata, int priority, const char *file, int line,
                          const char *fn, const char *format, va_list args) {
        fprintf(stderr, "libmemrange <%d> %s: ", priority, fn);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
}

static struct memrange_ctx *ctx_at(const char *path) {
        struct memrange_ctx *ctx = NULL;
        int r = memrange_ctx_new(path, &ctx);
        if (r < 0)
                fprintf(stderr, "cannot open sysroot %s: %s\n", path, strerror(-r));
        assert_int_equal(r, 0);
        memrange_ctx_set_log_fn(ctx, log_to_stderr, NULL);
        memrange_ctx_set_log_priority(ctx, LOG_ERR);
        return ctx;
}

struct memrange_ctx *fixture_ctx(const char *relative) {
        return ctx_at(fixture_path(relative));
}

void scratch_init(struct scratch *s) {
        snprintf(s->path, sizeof(s->path), "%s/memrange-test-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        assert_non_null(mkdtemp(s->path));
}

static void make_parents(struct scratch *s, const char *relpath) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s/%s", s->path, relpath);
        for (char *p = buf + strlen(s->path) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %s", buf, strerror(errno));
                *p = '/';
        }
}

void scratch_write(struct scratch *s, const char *relpath, const void *data, size_t len) {
        char buf[4096];
        FILE *f;

        make_parents(s, relpath);
        snprintf(buf, sizeof(buf), "%s/%s", s->path, relpath);
        f = fopen(buf, "we");
        assert_non_null(f);
        if (len == (size_t) -1)
                len = strlen(data);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

void scratch_mkdir(struct scratch *s, const char *relpath) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s/%s/x", s->path, relpath);
        make_parents(s, buf + strlen(s->path) + 1);
}

void scratch_symlink(struct scratch *s, const char *target, const char *relpath) {
        char buf[4096];
        make_parents(s, relpath);
        snprintf(buf, sizeof(buf), "%s/%s", s->path, relpath);
        assert_int_equal(symlink(target, buf), 0);
}

struct memrange_ctx *scratch_ctx(struct scratch *s) {
        return ctx_at(s->path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void scratch_free(struct scratch *s) {
        if (s->path[0])
                nftw(s->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        s->path[0] = '\0';
}

void stderr_capture_begin(struct stderr_capture *c) {
        fflush(stderr);
        c->file = tmpfile();
        assert_non_null(c->file);
        c->saved = dup(STDERR_FILENO);
        assert_true(c->saved >= 0);
        assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

char *stderr_capture_end(struct stderr_capture *c) {
        char *text;
        long size;

        fflush(stderr);
        assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
        close(c->saved);
        size = ftell(c->file);
        assert_true(size >= 0);
        text = calloc(1, (size_t) size + 1);
        assert_non_null(text);
        rewind(c->file);
        assert_int_equal(fread(text, 1, (size_t) size, c->file), (size_t) size);
        fclose(c->file);
        return text;
}

void assert_same_ranges(const struct memrange_table *a, const struct memrange_table *b) {
        const struct memrange *y = memrange_table_first(b);

        assert_int_equal(memrange_table_count(a), memrange_table_count(b));
        memrange_table_foreach(x, a) {
                assert_int_equal(x->start, y->start);
                assert_int_equal(x->end, y->end);
                assert_int_equal(x->type, y->type);
                assert_int_equal(x->flags, y->flags);
                assert_int_equal(x->nid, y->nid);
                assert_int_equal(x->sources, y->sources);
                y = memrange_table_next(b, y);
        }
}

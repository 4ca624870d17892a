/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: sysroot directory fd, log hook, last error. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-private.h"

struct memrange_ctx {
        unsigned refcount;
        int root_fd;
        char *sysroot;
        memrange_log_fn log_fn;
        void *log_data;
        int log_priority;
        char *error;
        unsigned vanished; /* entries removed while being read, ever (mr_note_vanished) */
};

_public_ int memrange_ctx_new(const char *sysroot, struct memrange_ctx **ret_ctx) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;

        if (!ret_ctx)
                return -EINVAL;
        if (!sysroot || !*sysroot)
                sysroot = "/";

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->refcount = 1;
        ctx->log_priority = LOG_ERR;
        ctx->root_fd = -1;
        ctx->sysroot = strdup(sysroot);
        if (!ctx->sysroot)
                return -ENOMEM;
        ctx->root_fd = open(sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctx->root_fd < 0)
                return negative_errno();

        *ret_ctx = TAKE_PTR(ctx);
        return 0;
}

_public_ struct memrange_ctx *memrange_ctx_ref(struct memrange_ctx *ctx) {
        if (ctx)
                ctx->refcount++;
        return ctx;
}

_public_ struct memrange_ctx *memrange_ctx_unref(struct memrange_ctx *ctx) {
        if (!ctx || --ctx->refcount > 0)
                return NULL;
        if (ctx->root_fd >= 0)
                close(ctx->root_fd);
        free(ctx->sysroot);
        free(ctx->error);
        free(ctx);
        return NULL;
}

_public_ void memrange_ctx_set_log_fn(struct memrange_ctx *ctx, memrange_log_fn fn, void *userdata) {
        if (!ctx)
                return;
        ctx->log_fn = fn;
        ctx->log_data = userdata;
}

_public_ void memrange_ctx_set_log_priority(struct memrange_ctx *ctx, int priority) {
        if (ctx)
                ctx->log_priority = priority;
}

_public_ int memrange_ctx_get_log_priority(const struct memrange_ctx *ctx) {
        return ctx ? ctx->log_priority : -EINVAL;
}

_public_ const char *memrange_ctx_get_sysroot(const struct memrange_ctx *ctx) {
        return ctx ? ctx->sysroot : NULL;
}

_public_ const char *memrange_ctx_get_error(const struct memrange_ctx *ctx) {
        return ctx ? ctx->error : NULL;
}

_public_ int memrange_ctx_get_sysroot_fd(const struct memrange_ctx *ctx) {
        return ctx ? ctx->root_fd : -EINVAL;
}

int mr_sysroot_fd(const struct memrange_ctx *ctx) {
        return ctx->root_fd;
}

static void log_va(struct memrange_ctx *ctx, int priority, const char *file, int line,
                   const char *fn, const char *format, va_list ap) {
        if (!ctx->log_fn || priority > ctx->log_priority)
                return;
        ctx->log_fn(ctx->log_data, priority, file, line, fn, format, ap);
}

void mr_log(struct memrange_ctx *ctx, int priority, const char *file, int line, const char *fn,
            const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_va(ctx, priority, file, line, fn, format, ap);
        va_end(ap);
}

static void log_plain(struct memrange_ctx *ctx, int priority, const char *format, ...) _printf_(3, 4);
static void log_plain(struct memrange_ctx *ctx, int priority, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_va(ctx, priority, __FILE__, __LINE__, __func__, format, ap);
        va_end(ap);
}

/* The name in parentheses: memrange-private.h wraps it in a macro for the
 * static analyzer. */
int (mr_error_at)(struct memrange_ctx *ctx, int err, const char *path, unsigned line,
                  const char *format, ...) {
        char msg[512], *full = NULL;
        va_list ap;
        int r;

        err = err < 0 ? -err : err;
        if (err == 0)
                err = EIO;

        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (path && line > 0)
                r = asprintf(&full, "%s:%u: %s", path, line, msg);
        else if (path)
                r = asprintf(&full, "%s: %s", path, msg);
        else
                r = asprintf(&full, "%s", msg);
        if (r < 0)
                full = NULL;

        free(ctx->error);
        ctx->error = full;
        log_plain(ctx, LOG_ERR, "%s", full ? full : msg);
        return -err;
}

void mr_clear_error(struct memrange_ctx *ctx) {
        free(ctx->error);
        ctx->error = NULL;
}

void mr_note_vanished(struct memrange_ctx *ctx, const char *format, ...) {
        char path[256];
        va_list ap;

        va_start(ap, format);
        vsnprintf(path, sizeof(path), format, ap);
        va_end(ap);
        ctx->vanished++;
        mr_info(ctx, "%s vanished while being read (removed by hotplug?)", path);
}

unsigned mr_vanished_count(const struct memrange_ctx *ctx) {
        return ctx->vanished;
}

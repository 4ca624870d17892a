/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: calling memranged, and saying clearly why a call failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "online.h"


/* "io.memranged.GetStatus" into @buf. */
static const char *qualified(const char *method, char *buf, size_t size) {
        snprintf(buf, size, "%s.%s", IO_MEMRANGED_INTERFACE, method);
        return buf;
}

/* The call itself failed (connect, send, receive, parse): no reply. */
static int report_transport(const struct cli_global *g, const char *method, int error, bool answered) {
        switch (error) {
        case -ENOENT:
        case -ECONNREFUSED:
        case -ENOTSOCK:
        case -ENOTDIR:
                cli_error("cannot reach memranged at %s: %s (is memranged running? use --offline to read "
                          "the kernel files directly)",
                          g->socket, strerror(-error));
                return EXIT_NO_SOURCES;
        case -EACCES:
        case -EPERM:
                cli_error("cannot reach memranged at %s: %s (use --offline to read the kernel files directly)",
                          g->socket, strerror(-error));
                return EXIT_DENIED;
        case -EINVAL:
                cli_error("invalid socket path '%s'", g->socket);
                return EXIT_USAGE;
        case -ETIMEDOUT:
                cli_error("memranged at %s did not answer %s within %g s", g->socket, method,
                          (double) g->timeout_usec / 1e6);
                return EXIT_NO_SOURCES;
        case -ECONNRESET:
                cli_error("memranged at %s closed the connection %s %s", g->socket,
                          answered ? "during" : "before answering", method);
                return EXIT_NO_SOURCES;
        case -EBADMSG:
        case -ELOOP:
                cli_error("memranged at %s sent a malformed reply to %s (not varlink JSON)", g->socket, method);
                return EXIT_NO_SOURCES;
        case -EMSGSIZE:
                cli_error("memranged at %s sent a reply to %s longer than %u MiB", g->socket, method,
                          VARLINK_CLIENT_MAX_REPLY >> 20);
                return EXIT_NO_SOURCES;
        default:
                cli_error("calling %s on memranged at %s: %s", method, g->socket, strerror(-error));
                return EXIT_FINDINGS;
        }
}

/* The daemon answered with a named error. */
static int report_error_reply(const struct cli_global *g, const char *method, const char *error,
                              struct json_object *params) {
        const char *parameter = NULL, *reason = NULL;
        int64_t errnum = 0;

        if (mr_streq(error, IO_MEMRANGED_ERROR_ADDRESSES_HIDDEN)) {
                cli_error("memranged shows addresses only to root and members of group memrange");
                return EXIT_DENIED;
        }
        if (mr_streq(error, VARLINK_ERROR_PERMISSION_DENIED)) {
                cli_error("memranged allows %s only to root: permission denied", method);
                return EXIT_DENIED;
        }
        if (mr_streq(error, IO_MEMRANGED_ERROR_INVALID_PARAMETER) || mr_streq(error, VARLINK_ERROR_INVALID_PARAMETER)) {
                (void) mj_get_string(params, "parameter", false, &parameter, NULL);
                (void) mj_get_string(params, "reason", false, &reason, NULL);
                cli_error("memranged refused parameter '%s' of %s%s%s", parameter ?: "?", method,
                          reason ? ": " : "", reason ?: "");
                return EXIT_USAGE;
        }
        if (mr_streq(error, IO_MEMRANGED_ERROR_INTERNAL)) {
                (void) mj_get_i64(params, "errno", false, &errnum, NULL);
                cli_error("memranged failed to answer %s: %s", method,
                          errnum > 0 && errnum < 4096 ? strerror((int) errnum) : "internal error");
                return EXIT_FINDINGS;
        }
        if (mr_streq(error, VARLINK_ERROR_METHOD_NOT_FOUND) || mr_streq(error, VARLINK_ERROR_INTERFACE_NOT_FOUND)) {
                cli_error("memranged at %s does not know %s (is it older than memrangectl?)", g->socket, method);
                return EXIT_FINDINGS;
        }
        cli_error("memranged answered %s with error %s", method, error);
        return EXIT_FINDINGS;
}

static bool is_tolerated(const char *error, const char *const *tolerated) {
        for (; tolerated && *tolerated; tolerated++)
                if (strcmp(error, *tolerated) == 0)
                        return true;
        return false;
}

int cli_call_tolerant(const struct cli_global *g, const char *method, struct json_object *params,
                      const char *const *tolerated, struct json_object **ret_params, char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *reply = NULL;
        _cleanup_(freep) char *error = NULL;
        char name[128];
        int r;

        r = varlink_client_call_one(g->socket, qualified(method, name, sizeof(name)), params, g->timeout_usec,
                                    &reply, &error);
        if (r < 0)
                return report_transport(g, method, r, false);
        if (error) {
                if (!is_tolerated(error, tolerated))
                        return report_error_reply(g, method, error, reply);
                if (ret_error) {
                        *ret_error = TAKE_PTR(error);
                        *ret_params = TAKE_PTR(reply);
                }
                return CLI_TOLERATED;
        }
        *ret_params = TAKE_PTR(reply);
        return 0;
}

int cli_call(const struct cli_global *g, const char *method, struct json_object *params,
             const char *const *tolerated, struct json_object **ret_params) {
        return cli_call_tolerant(g, method, params, tolerated, ret_params, NULL);
}

struct stream {
        int (*fn)(struct json_object *params, void *userdata);
        void *userdata;
        bool answered;
        char *error;                /* the daemon's error name, if it sent one */
        struct json_object *params; /* and its parameters */
};

/* Sentinel: the daemon sent an error reply, kept in struct stream. */
#define STREAM_ERROR_REPLY (-EREMOTE)

static int stream_reply(struct json_object *params, const char *error, bool continues, void *userdata) {
        struct stream *s = userdata;
        int r;

        if (error) {
                s->error = strdup(error);
                if (!s->error)
                        return -ENOMEM;
                s->params = json_object_get(params);
                return STREAM_ERROR_REPLY;
        }
        r = s->fn(params, s->userdata);
        s->answered = true;
        if (r == STREAM_ERROR_REPLY)
                r = -EIO; /* not ours to use */
        return r;
}

int cli_call_stream(const struct cli_global *g, const char *method, struct json_object *params,
                    int (*fn)(struct json_object *params, void *userdata), void *userdata) {
        struct stream s = { .fn = fn, .userdata = userdata };
        char name[128];
        int r;

        r = varlink_client_call(g->socket, qualified(method, name, sizeof(name)), params, VARLINK_CLIENT_MORE,
                                UINT64_MAX, stream_reply, &s);
        if (r == STREAM_ERROR_REPLY)
                r = report_error_reply(g, method, s.error, s.params);
        else if (r == -ECANCELED || r == 0)
                r = 0;
        else
                r = report_transport(g, method, r, s.answered);
        free(s.error);
        json_object_put(s.params);
        return r;
}

int cli_bad_reply(const struct cli_global *g, const char *method, const struct mj_error *error) {
        if (error && error->path[0])
                cli_error("memranged at %s sent a malformed reply to %s: %s: %s", g->socket, method, error->path,
                          error->reason);
        else
                cli_error("memranged at %s sent a malformed reply to %s%s%s", g->socket, method,
                          error ? ": " : "", error ? error->reason : "");
        return EXIT_NO_SOURCES;
}

int cli_reply_u64(const struct cli_global *g, const char *method, struct json_object *params, const char *key,
                  uint64_t *ret) {
        struct mj_error error = {};

        if (mj_get_u64(params, key, true, ret, &error) > 0)
                return 0;
        return cli_bad_reply(g, method, &error);
}

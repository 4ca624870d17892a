/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The call objects handed to method handlers: replies, errors, peer
 * credentials, references and the disconnect notification. */
#include <errno.h>
#include <stdlib.h>

#include "varlink-internal.h"

struct varlink_call *varlink_call_new(struct varlink_connection *c, struct varlink_call_message *m) {
        struct varlink_call *call = calloc(1, sizeof(*call));

        if (!call)
                return NULL;
        call->n_ref = 1;
        call->conn = varlink_connection_ref(c);
        call->message = *m;
        *m = (struct varlink_call_message) {};
        return call;
}

static void call_finish(struct varlink_call *call) {
        struct varlink_connection *c = call->conn;

        call->finished = true;
        if (c->current != call)
                return;
        c->current = NULL;
        if (!c->dispatching)
                varlink_connection_schedule(c);
        /* Not the last reference: whoever replied holds one. */
        varlink_call_unref(call);
}

/* What every reply checks first: 1 when it goes out, 0 when it is
 * dropped (oneway), < 0 when it cannot be sent. */
static int call_may_send(struct varlink_call *call, bool continues) {
        if (call->finished)
                return -EALREADY;
        if (continues && !call->message.more && !call->message.oneway)
                return -EINVAL;
        if (call->message.oneway)
                return 0;
        if (call->conn->dead || !call->conn->server)
                return -ENOTCONN;
        return 1;
}

static int call_send(struct varlink_call *call, const char *error, struct json_object *parameters,
                     bool continues) {
        _cleanup_(json_object_putp) struct json_object *params = parameters;
        int r;

        r = call_may_send(call, continues);
        if (r <= 0)
                return r;
        r = varlink_connection_send(call->conn, error, TAKE_PTR(params), continues);
        if (r < 0)
                return r;
        if (!continues)
                call_finish(call);
        return 0;
}

int varlink_call_reply(struct varlink_call *call, struct json_object *parameters) {
        return call_send(call, NULL, parameters, false);
}

int varlink_call_reply_serialized(struct varlink_call *call, const char *parameters, size_t len) {
        int r;

        r = call_may_send(call, false);
        if (r <= 0)
                return r;
        r = varlink_connection_send_serialized(call->conn, parameters, len);
        if (r < 0)
                return r;
        call_finish(call);
        return 0;
}

int varlink_call_reply_continues(struct varlink_call *call, struct json_object *parameters) {
        return call_send(call, NULL, parameters, true);
}

int varlink_call_error(struct varlink_call *call, const char *error, struct json_object *parameters) {
        if (!varlink_qualified_name_is_valid(error)) {
                json_object_put(parameters);
                return -EINVAL;
        }
        return call_send(call, error, parameters, false);
}

int varlink_call_error_invalid_parameter(struct varlink_call *call, const char *name) {
        struct json_object *params = json_object_new_object();

        if (!params || mj_add(params, "parameter", json_object_new_string(name)) < 0) {
                json_object_put(params);
                return -ENOMEM;
        }
        return varlink_call_error(call, VARLINK_ERROR_INVALID_PARAMETER, params);
}

int varlink_call_error_permission_denied(struct varlink_call *call) {
        return varlink_call_error(call, VARLINK_ERROR_PERMISSION_DENIED, NULL);
}

void varlink_call_fail(struct varlink_call *call, int error) {
        struct varlink_connection *c = call->conn;
        const char *name = c->server ? c->server->internal_error : NULL;

        if (call->finished || call->message.oneway)
                return;
        if (name) {
                struct json_object *params = json_object_new_object();

                if (params && mj_add(params, "errno", json_object_new_int(abs(error))) == 0) {
                        if (varlink_call_error(call, name, params) == 0)
                                return;
                } else
                        json_object_put(params);
        }
        varlink_connection_disconnect(c);
        call_finish(call);
}

const char *varlink_call_method(const struct varlink_call *call) {
        return call->message.method;
}

bool varlink_call_wants_more(const struct varlink_call *call) {
        return call->message.more;
}

bool varlink_call_is_oneway(const struct varlink_call *call) {
        return call->message.oneway;
}

bool varlink_call_is_open(const struct varlink_call *call) {
        return !call->finished && !call->conn->dead && call->conn->server;
}

uid_t varlink_call_peer_uid(const struct varlink_call *call) {
        return call->conn->cred.uid;
}

gid_t varlink_call_peer_gid(const struct varlink_call *call) {
        return call->conn->cred.gid;
}

pid_t varlink_call_peer_pid(const struct varlink_call *call) {
        return call->conn->cred.pid;
}

bool varlink_call_peer_in_group(const struct varlink_call *call, gid_t gid) {
        const struct varlink_connection *c = call->conn;

        if (c->cred.gid == gid)
                return true;
        for (size_t k = 0; k < c->n_groups; k++)
                if (c->groups[k] == gid)
                        return true;
        return false;
}

struct varlink_call *varlink_call_ref(struct varlink_call *call) {
        if (call)
                call->n_ref++;
        return call;
}

struct varlink_call *varlink_call_unref(struct varlink_call *call) {
        if (!call || --call->n_ref > 0)
                return NULL;
        varlink_call_message_done(&call->message);
        varlink_connection_unref(call->conn);
        free(call);
        return NULL;
}

void varlink_call_set_disconnect_handler(struct varlink_call *call, varlink_disconnect_fn fn,
                                         void *userdata) {
        call->on_disconnect = fn;
        call->disconnect_userdata = userdata;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small synchronous varlink client: connect to a socket path, send one
 * call, read its reply or its stream of replies. For memrangectl's online
 * mode and for tests. Needs only json-c; never prints. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "varlink-json.h"

/* Longest reply accepted (tables at scale are large) and its nesting. */
#define VARLINK_CLIENT_MAX_REPLY (64u * 1024u * 1024u)
#define VARLINK_CLIENT_MAX_DEPTH 64u

enum {
        VARLINK_CLIENT_MORE = 1 << 0,   /* ask for a stream ("more": true) */
        VARLINK_CLIENT_ONEWAY = 1 << 1, /* no reply expected */
};

/* Called for each reply. @parameters is borrowed (valid during the call),
 * @error is the error name or NULL, @continues is true while more replies
 * follow. Return 0 to go on, < 0 to stop (the value is returned). */
typedef int (*varlink_reply_fn)(struct json_object *parameters, const char *error, bool continues,
                                void *userdata);

/* Connects to @path, sends @method with @parameters (consumed; NULL means
 * {}) and hands every reply to @fn until the one without "continues".
 * @timeout_usec bounds the connect, the send and the wait for each reply
 * (UINT64_MAX: wait forever, e.g. for a subscription). Returns 0 after the
 * final reply (at once after sending for VARLINK_CLIENT_ONEWAY), or
 * -ENOENT/-ECONNREFUSED (nobody listens), -ETIMEDOUT, -ECONNRESET (server
 * closed early), -EBADMSG (malformed reply), -EMSGSIZE, or what @fn
 * returned. */
int varlink_client_call(const char *path, const char *method, struct json_object *parameters,
                        unsigned flags, uint64_t timeout_usec, varlink_reply_fn fn, void *userdata);

/* One call, one reply. On success (0) *ret_parameters owns a reference to
 * the reply's parameters and *ret_error is the error name (caller frees)
 * or NULL when the call succeeded. */
int varlink_client_call_one(const char *path, const char *method, struct json_object *parameters,
                            uint64_t timeout_usec, struct json_object **ret_parameters,
                            char **ret_error);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the in-process varlink server tests (test-varlink,
 * test-varlink-limits): the server runs on an sd-event loop that the test
 * steps between the actions of raw non-blocking clients. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "test-util.h"
#include "varlink-protocol.h"
#include "varlink.h"

struct fx {
        struct scratch dir;
        char path[300];                 /* the server's socket */
        sd_event *event;
        struct varlink_server *server;
        unsigned counter;               /* bumped by Count */
        struct varlink_call *kept;      /* the call kept by Subscribe */
        unsigned disconnects;           /* disconnect callbacks seen */
};

struct client {
        int fd;
        struct varlink_frame in;
};

/* Interface org.example.test: Add(a, b) -> (sum), Count() -> (count),
 * Stream(count) streams indexes (needs more), Subscribe() keeps the call
 * in fx->kept (needs more), Big(size) -> (data), Whoami() -> peer
 * credentials, Fail() returns -EIO, Forget() neither replies nor keeps the
 * call, Later is declared without handler. */
extern const char test_idl[];
extern const struct varlink_interface test_interface;
extern const struct varlink_service_info test_info; /* internal_error: org.example.test.InternalError */

#define ADD_2_3 "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":2,\"b\":3}}"

/* A server with org.example.test bound to a socket in a scratch dir;
 * @limits may be NULL. */
void fx_start(struct fx *fx, const struct varlink_limits *limits);
void fx_stop(struct fx *fx);
/* Runs @iterations loop iterations without waiting. */
void pump(struct fx *fx, unsigned iterations);

void client_open(struct fx *fx, struct client *c);
void client_close(struct client *c);
/* Writes everything, stepping the server while the socket is full; 0 or
 * -EPIPE/-ECONNRESET once the server hung up. */
int client_write(struct fx *fx, struct client *c, const void *data, size_t len);
/* Sends @json plus its terminating NUL. */
void client_call(struct fx *fx, struct client *c, const char *json);
/* The next message (caller puts it), or NULL when the server closed or
 * nothing came within @wait_usec. */
struct json_object *client_recv_for(struct fx *fx, struct client *c, uint64_t wait_usec);
/* The next message; fails the test when none comes. */
struct json_object *client_recv(struct fx *fx, struct client *c);
/* True when the server closed the connection (after any pending data). */
bool client_sees_close(struct fx *fx, struct client *c);
/* Steps the server a while and fails if anything arrives. */
void client_expect_nothing(struct fx *fx, struct client *c);

const char *member_string(struct json_object *o, const char *key);
struct json_object *params_of(struct json_object *reply);
int64_t param_int(struct json_object *reply, const char *key);
bool continues_of(struct json_object *reply);
/* Asserts error @name with string parameter @key = @value (@key NULL: no
 * parameters) and frees @reply. */
void assert_error(struct json_object *reply, const char *name, const char *key, const char *value);
/* Asserts a final Add reply with @sum and frees @reply. */
void assert_sum(struct json_object *reply, int64_t sum);
/* The connection still answers a plain call. */
void assert_still_served(struct fx *fx, struct client *c);
/* Sends @json and asserts the reply (see assert_error). */
void call_expect_error(struct fx *fx, struct client *c, const char *json, const char *name,
                       const char *key, const char *value);
/* Asserts org.example.test.InternalError with @error and frees @reply. */
void assert_internal_error(struct json_object *reply, int error);

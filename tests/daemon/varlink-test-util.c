/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the in-process varlink server tests: a server with a test
 * interface on an sd-event loop that the test steps, raw non-blocking
 * clients, and assertions on replies. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "varlink-test-util.h"
#include "time-util.h"

#define WAIT_USEC (5u * 1000u * 1000u)
#define STEP_USEC (2u * 1000u)

/* ---- the test interface ---- */

const char test_idl[] =
        "interface org.example.test\n"
        "method Add(a: int, b: int) -> (sum: int)\n"
        "method Count() -> (count: int)\n"
        "method Stream(count: int) -> (index: int)\n"
        "method Subscribe() -> (event: string)\n"
        "method Big(size: int) -> (data: string)\n"
        "method Whoami() -> (uid: int, gid: int, pid: int, in_gid: bool, in_other: bool)\n"
        "method Fail() -> ()\n"
        "method Forget() -> ()\n"
        "method Later() -> ()\n"
        "error InternalError (errno: int)\n";

static int reply_int(struct varlink_call *call, const char *key, int64_t value) {
        struct json_object *p = json_object_new_object();

        assert_int_equal(mj_add(p, key, json_object_new_int64(value)), 0);
        return varlink_call_reply(call, p);
}

static int method_add(struct varlink_call *call, struct json_object *params, void *userdata) {
        static const char *const known[] = { "a", "b", NULL };
        const char *unknown = varlink_json_find_unknown_key(params, known);
        int64_t a, b;

        if (unknown)
                return varlink_call_error_invalid_parameter(call, unknown);
        if (mj_get_i64(params, "a", false, &a, NULL) <= 0)
                return varlink_call_error_invalid_parameter(call, "a");
        if (mj_get_i64(params, "b", false, &b, NULL) <= 0)
                return varlink_call_error_invalid_parameter(call, "b");
        return reply_int(call, "sum", a + b);
}

static int method_count(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct fx *fx = userdata;

        return reply_int(call, "count", ++fx->counter);
}

static int method_stream(struct varlink_call *call, struct json_object *params, void *userdata) {
        int64_t count = 0;

        if (mj_get_i64(params, "count", false, &count, NULL) <= 0 || count < 1)
                return varlink_call_error_invalid_parameter(call, "count");
        for (int64_t k = 0; k < count - 1; k++) {
                struct json_object *p = json_object_new_object();

                assert_int_equal(mj_add(p, "index", json_object_new_int64(k)), 0);
                assert_int_equal(varlink_call_reply_continues(call, p), 0);
        }
        return reply_int(call, "index", count - 1);
}

static void on_subscriber_gone(struct varlink_call *call, void *userdata) {
        struct fx *fx = userdata;

        assert_ptr_equal(call, fx->kept);
        fx->disconnects++;
}

static int method_subscribe(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct fx *fx = userdata;

        assert_null(fx->kept);
        fx->kept = varlink_call_ref(call);
        varlink_call_set_disconnect_handler(call, on_subscriber_gone, fx);
        return 0;
}

static int method_big(struct varlink_call *call, struct json_object *params, void *userdata) {
        _cleanup_(freep) char *data = NULL;
        struct json_object *p;
        int64_t size = 0;

        assert_int_equal(mj_get_i64(params, "size", false, &size, NULL), 1);
        data = malloc((size_t) size);
        assert_non_null(data);
        memset(data, 'z', (size_t) size);
        p = json_object_new_object();
        assert_int_equal(mj_add(p, "data", json_object_new_string_len(data, (int) size)), 0);
        return varlink_call_reply(call, p);
}

static int method_whoami(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct json_object *p = json_object_new_object();

        assert_int_equal(mj_add(p, "uid", json_object_new_int64(varlink_call_peer_uid(call))), 0);
        assert_int_equal(mj_add(p, "gid", json_object_new_int64(varlink_call_peer_gid(call))), 0);
        assert_int_equal(mj_add(p, "pid", json_object_new_int64(varlink_call_peer_pid(call))), 0);
        assert_int_equal(mj_add(p, "in_gid", json_object_new_boolean(
                                varlink_call_peer_in_group(call, getgid()))), 0);
        /* A group nobody on a test machine is in. */
        assert_int_equal(mj_add(p, "in_other", json_object_new_boolean(
                                varlink_call_peer_in_group(call, 3999999))), 0);
        return varlink_call_reply(call, p);
}

static int method_fail(struct varlink_call *call, struct json_object *params, void *userdata) {
        return -EIO;
}

static int method_forget(struct varlink_call *call, struct json_object *params, void *userdata) {
        return 0; /* neither replies nor keeps the call: a handler bug */
}

static const struct varlink_method test_methods[] = {
        { "Add", method_add, 0 },
        { "Count", method_count, 0 },
        { "Stream", method_stream, VARLINK_METHOD_MORE_REQUIRED },
        { "Subscribe", method_subscribe, VARLINK_METHOD_MORE_REQUIRED },
        { "Big", method_big, 0 },
        { "Whoami", method_whoami, 0 },
        { "Fail", method_fail, 0 },
        { "Forget", method_forget, 0 },
        { "Later", NULL, 0 },
        {},
};

const struct varlink_interface test_interface = {
        .name = "org.example.test",
        .description = test_idl,
        .methods = test_methods,
};

const struct varlink_service_info test_info = {
        .vendor = "memranged tests",
        .product = "test-varlink",
        .version = "0.1.0",
        .url = "https://example.org/memranged",
        .internal_error = "org.example.test.InternalError",
};

/* ---- fixture ---- */

void fx_start(struct fx *fx, const struct varlink_limits *limits) {
        *fx = (struct fx) {};
        scratch_init(&fx->dir);
        snprintf(fx->path, sizeof(fx->path), "%s/io.test", fx->dir.path);
        assert_int_equal(sd_event_new(&fx->event), 0);
        assert_int_equal(varlink_server_new(fx->event, &test_info, limits, &fx->server), 0);
        assert_int_equal(varlink_server_add_interface(fx->server, &test_interface, fx), 0);
        assert_int_equal(varlink_server_listen_path(fx->server, fx->path), 0);
}

void fx_stop(struct fx *fx) {
        fx->server = varlink_server_free(fx->server);
        fx->kept = varlink_call_unref(fx->kept);
        fx->event = sd_event_unref(fx->event);
        scratch_free(&fx->dir);
}

void pump(struct fx *fx, unsigned iterations) {
        for (unsigned k = 0; k < iterations; k++)
                assert_true(sd_event_run(fx->event, 0) >= 0);
}

/* ---- raw clients ---- */

void client_open(struct fx *fx, struct client *c) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        strcpy(sa.sun_path, fx->path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(c->fd >= 0);
        assert_int_equal(connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        varlink_frame_init(&c->in, 64u * 1024u * 1024u);
        pump(fx, 2); /* accept */
}

void client_close(struct client *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        varlink_frame_done(&c->in);
}

int client_write(struct fx *fx, struct client *c, const void *data, size_t len) {
        const char *p = data;
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + WAIT_USEC;

        while (len > 0) {
                ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0) {
                        if (errno != EAGAIN)
                                return -errno;
                        assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                        assert_true(sd_event_run(fx->event, STEP_USEC) >= 0);
                        continue;
                }
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

void client_call(struct fx *fx, struct client *c, const char *json) {
        assert_int_equal(client_write(fx, c, json, strlen(json) + 1), 0);
}

struct json_object *client_recv_for(struct fx *fx, struct client *c, uint64_t wait_usec) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + wait_usec;

        for (;;) {
                char *msg, *space;
                size_t len, room;
                ssize_t k;

                if (varlink_frame_next(&c->in, &msg, &len) > 0) {
                        struct json_object *o = json_tokener_parse(msg);

                        assert_non_null(o);
                        return o;
                }
                assert_int_equal(varlink_frame_get_space(&c->in, 65536, &space, &room), 0);
                k = recv(c->fd, space, room, MSG_DONTWAIT);
                if (k > 0) {
                        varlink_frame_commit(&c->in, (size_t) k);
                        continue;
                }
                if (k == 0 || errno == ECONNRESET)
                        return NULL;
                assert_int_equal(errno, EAGAIN);
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return NULL;
                assert_true(sd_event_run(fx->event, STEP_USEC) >= 0);
        }
}

struct json_object *client_recv(struct fx *fx, struct client *c) {
        struct json_object *o = client_recv_for(fx, c, WAIT_USEC);

        if (!o)
                fail_msg("no reply from the server");
        return o;
}

bool client_sees_close(struct fx *fx, struct client *c) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + WAIT_USEC;

        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                struct json_object *o = client_recv_for(fx, c, STEP_USEC * 10);

                if (!o) {
                        char b;
                        ssize_t k = recv(c->fd, &b, 1, MSG_DONTWAIT);

                        if (k == 0 || (k < 0 && errno == ECONNRESET))
                                return true;
                }
                json_object_put(o);
        }
        return false;
}

void client_expect_nothing(struct fx *fx, struct client *c) {
        struct json_object *o = client_recv_for(fx, c, 50u * 1000u);

        if (o)
                fail_msg("unexpected message: %s", json_object_to_json_string(o));
}

const char *member_string(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

struct json_object *params_of(struct json_object *reply) {
        struct json_object *p;

        assert_true(json_object_object_get_ex(reply, "parameters", &p));
        assert_true(json_object_is_type(p, json_type_object));
        return p;
}

int64_t param_int(struct json_object *reply, const char *key) {
        struct json_object *v;

        assert_true(json_object_object_get_ex(params_of(reply), key, &v));
        assert_true(json_object_is_type(v, json_type_int));
        return json_object_get_int64(v);
}

bool continues_of(struct json_object *reply) {
        struct json_object *v;

        return json_object_object_get_ex(reply, "continues", &v) && json_object_get_boolean(v);
}

void assert_error(struct json_object *reply, const char *name, const char *key, const char *value) {
        assert_non_null(reply);
        assert_string_equal(member_string(reply, "error"), name);
        if (key)
                assert_string_equal(member_string(params_of(reply), key), value);
        else
                assert_int_equal(json_object_object_length(params_of(reply)), 0);
        json_object_put(reply);
}

void assert_sum(struct json_object *reply, int64_t sum) {
        assert_non_null(reply);
        assert_null(member_string(reply, "error"));
        assert_int_equal(param_int(reply, "sum"), sum);
        assert_false(continues_of(reply));
        json_object_put(reply);
}

void assert_still_served(struct fx *fx, struct client *c) {
        client_call(fx, c, ADD_2_3);
        assert_sum(client_recv(fx, c), 5);
}

void call_expect_error(struct fx *fx, struct client *c, const char *json, const char *name,
                       const char *key, const char *value) {
        client_call(fx, c, json);
        assert_error(client_recv(fx, c), name, key, value);
}

void assert_internal_error(struct json_object *reply, int error) {
        assert_string_equal(member_string(reply, "error"), "org.example.test.InternalError");
        assert_int_equal(param_int(reply, "errno"), error);
        json_object_put(reply);
}

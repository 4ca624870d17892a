/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The synchronous client helper against a real server running in a forked
 * child (the client blocks, so the server cannot share its loop). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-util.h"
#include "varlink-client.h"
#include "varlink.h"
#include "time-util.h"

#define SECOND (1000u * 1000u)
/* The bound of calls whose timing is not the point: generous, since the
 * server child may be slow (valgrind, a loaded machine). */
#define CALL_TIMEOUT (10u * SECOND)

struct child_state {
        sd_event *event;
        unsigned counter;
        struct varlink_call *hung;
};

static int method_quit(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct child_state *st = userdata;

        return sd_event_exit(st->event, 0);
}

static int method_count(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct child_state *st = userdata;
        struct json_object *p = json_object_new_object();

        if (mj_add(p, "count", json_object_new_int64(++st->counter)) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_reply(call, p);
}

/* The count without counting this call. */
static int method_peek(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct child_state *st = userdata;
        struct json_object *p = json_object_new_object();

        if (mj_add(p, "count", json_object_new_int64(st->counter)) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        return varlink_call_reply(call, p);
}

static int method_stream(struct varlink_call *call, struct json_object *params, void *userdata) {
        for (int k = 0; k < 3; k++) {
                struct json_object *p = json_object_new_object();
                int r;

                if (mj_add(p, "index", json_object_new_int(k)) < 0) {
                        json_object_put(p);
                        return -ENOMEM;
                }
                r = k < 2 ? varlink_call_reply_continues(call, p) : varlink_call_reply(call, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_hang(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct child_state *st = userdata;

        /* Never answers; keeps the call until the server goes. */
        varlink_call_unref(st->hung);
        st->hung = varlink_call_ref(call);
        return 0;
}

static const struct varlink_method client_test_methods[] = {
        { "Quit", method_quit, 0 },
        { "Count", method_count, 0 },
        { "Peek", method_peek, 0 },
        { "Stream", method_stream, VARLINK_METHOD_MORE_REQUIRED },
        { "Hang", method_hang, 0 },
        {},
};

static const struct varlink_interface client_test_interface = {
        .name = "org.example.client",
        .description = "interface org.example.client\n"
                       "method Quit() -> ()\n"
                       "method Count() -> (count: int)\n"
                       "method Peek() -> (count: int)\n"
                       "method Stream() -> (index: int)\n"
                       "method Hang() -> ()\n",
        .methods = client_test_methods,
};

static int run_server(const char *path) {
        static const struct varlink_service_info info = {
                .vendor = "memranged tests",
                .product = "test-varlink-client",
                .version = "1",
                .url = "https://example.org",
        };
        struct child_state st = {};
        struct varlink_server *server = NULL;
        int r;

        r = sd_event_new(&st.event);
        if (r >= 0)
                r = varlink_server_new(st.event, &info, NULL, &server);
        if (r >= 0)
                r = varlink_server_add_interface(server, &client_test_interface, &st);
        if (r >= 0)
                r = varlink_server_listen_path(server, path);
        if (r >= 0)
                r = sd_event_loop(st.event);
        varlink_server_free(server);
        varlink_call_unref(st.hung);
        sd_event_unref(st.event);
        return r;
}

struct group {
        struct scratch dir;
        char path[300];
        pid_t child;
};

/* One call with the generous timeout. */
static int call_one(const char *path, const char *method, struct json_object **ret_params,
                    char **ret_error) {
        return varlink_client_call_one(path, method, NULL, CALL_TIMEOUT, ret_params, ret_error);
}

static int group_setup(void **state) {
        struct group *g = calloc(1, sizeof(*g));
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10u * SECOND;

        assert_non_null(g);
        scratch_init(&g->dir);
        snprintf(g->path, sizeof(g->path), "%s/io.client-test", g->dir.path);
        g->child = fork();
        assert_true(g->child >= 0);
        if (g->child == 0)
                _exit(run_server(g->path) < 0 ? 1 : 0);

        /* Wait until the child answers. */
        for (;;) {
                struct json_object *p = NULL;
                char *error = NULL;
                int r = call_one(g->path, "org.varlink.service.GetInfo", &p, &error);

                if (r == 0) {
                        json_object_put(p);
                        free(error);
                        break;
                }
                assert_true(r == -ENOENT || r == -ECONNREFUSED);
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                usleep(10000);
        }
        *state = g;
        return 0;
}

static int group_teardown(void **state) {
        struct group *g = *state;
        int status = 0, r;

        r = varlink_client_call(g->path, "org.example.client.Quit", NULL, VARLINK_CLIENT_ONEWAY, CALL_TIMEOUT,
                                NULL, NULL);
        if (r < 0)
                kill(g->child, SIGKILL);
        if (waitpid(g->child, &status, 0) != g->child)
                r = -ECHILD;
        scratch_free(&g->dir);
        free(g);
        return r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ? -1 : 0;
}

static void call_one_returns_reply_parameters(void **state) {
        struct group *g = *state;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        struct json_object *v, *list;
        char *error = (char *) "untouched";

        assert_int_equal(call_one(g->path, "org.varlink.service.GetInfo", &p, &error),
                         0);
        assert_null(error);
        assert_true(json_object_object_get_ex(p, "product", &v));
        assert_string_equal(json_object_get_string(v), "test-varlink-client");
        assert_true(json_object_object_get_ex(p, "interfaces", &list));
        assert_int_equal(json_object_array_length(list), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)),
                            "org.example.client");
}

static void call_one_returns_error_name_and_parameters(void **state) {
        struct group *g = *state;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        _cleanup_(freep) char *error = NULL;
        struct json_object *v;

        assert_int_equal(call_one(g->path, "org.example.client.Missing", &p, &error),
                         0);
        assert_string_equal(error, "org.varlink.service.MethodNotFound");
        assert_true(json_object_object_get_ex(p, "method", &v));
        assert_string_equal(json_object_get_string(v), "org.example.client.Missing");
}

struct collected {
        int indexes[8];
        bool continues[8];
        unsigned n;
        int stop_with;
};

static int collect(struct json_object *parameters, const char *error, bool continues, void *userdata) {
        struct collected *c = userdata;
        struct json_object *v;

        assert_null(error);
        assert_true(c->n < ELEMENTSOF(c->indexes));
        assert_true(json_object_object_get_ex(parameters, "index", &v));
        c->indexes[c->n] = json_object_get_int(v);
        c->continues[c->n++] = continues;
        return c->stop_with;
}

static void call_with_more_delivers_the_whole_stream(void **state) {
        struct group *g = *state;
        struct collected c = {};

        assert_int_equal(varlink_client_call(g->path, "org.example.client.Stream", NULL, VARLINK_CLIENT_MORE,
                                             CALL_TIMEOUT, collect, &c),
                         0);
        assert_int_equal(c.n, 3);
        for (int k = 0; k < 3; k++) {
                assert_int_equal(c.indexes[k], k);
                assert_true(c.continues[k] == (k < 2));
        }
}

static void callback_can_stop_a_stream(void **state) {
        struct group *g = *state;
        struct collected c = { .stop_with = -ECANCELED };

        assert_int_equal(varlink_client_call(g->path, "org.example.client.Stream", NULL, VARLINK_CLIENT_MORE,
                                             CALL_TIMEOUT, collect, &c),
                         -ECANCELED);
        assert_int_equal(c.n, 1);
}

/* Until Peek says @count (10 s at most). */
static void wait_for_count(const struct group *g, int count) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10u * SECOND;

        for (;;) {
                _cleanup_(json_object_putp) struct json_object *p = NULL;
                _cleanup_(freep) char *error = NULL;
                struct json_object *v;

                assert_int_equal(call_one(g->path, "org.example.client.Peek", &p, &error), 0);
                assert_null(error);
                assert_true(json_object_object_get_ex(p, "count", &v));
                if (json_object_get_int(v) == count)
                        return;
                assert_true(json_object_get_int(v) < count);
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                usleep(10000);
        }
}

static void oneway_call_returns_without_reply(void **state) {
        struct group *g = *state;
        _cleanup_(json_object_putp) struct json_object *p = NULL;
        _cleanup_(freep) char *error = NULL;
        struct json_object *v;

        assert_int_equal(varlink_client_call(g->path, "org.example.client.Count", NULL,
                                             VARLINK_CLIENT_ONEWAY, CALL_TIMEOUT, NULL, NULL),
                         0);
        /* The oneway call came on its own connection, which the server may
         * read after the next one: wait until it has counted it. */
        wait_for_count(g, 1);
        assert_int_equal(call_one(g->path, "org.example.client.Count", &p, &error),
                         0);
        assert_null(error);
        assert_true(json_object_object_get_ex(p, "count", &v));
        assert_int_equal(json_object_get_int(v), 2);
}

static void missing_reply_times_out(void **state) {
        struct group *g = *state;
        struct json_object *p = NULL;
        char *error = NULL;
        uint64_t start = now_usec(CLOCK_MONOTONIC), elapsed;

        assert_int_equal(varlink_client_call_one(g->path, "org.example.client.Hang", NULL, 200u * 1000u, &p,
                                                 &error),
                         -ETIMEDOUT);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        assert_true(elapsed >= 200u * 1000u);
        assert_true(elapsed < 3u * SECOND);
        assert_null(p);
        assert_null(error);
}

static void socket_path(const struct group *g, const char *name, struct sockaddr_un *sa) {
        char path[400];

        snprintf(path, sizeof(path), "%s/%s", g->dir.path, name);
        assert_true(strlen(path) < sizeof(sa->sun_path));
        strcpy(sa->sun_path, path);
}

static void absent_or_dead_server_is_reported(void **state) {
        struct group *g = *state;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct json_object *p = NULL;
        char *error = NULL;
        int fd;

        socket_path(g, "nobody-here", &sa);
        assert_int_equal(call_one(sa.sun_path, "org.varlink.service.GetInfo", &p, &error),
                         -ENOENT);
        /* A socket file left behind by a dead daemon. */
        socket_path(g, "stale", &sa);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(fd);
        assert_int_equal(call_one(sa.sun_path, "org.varlink.service.GetInfo", &p, &error),
                         -ECONNREFUSED);
        assert_null(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(call_one_returns_reply_parameters),
                cmocka_unit_test(call_one_returns_error_name_and_parameters),
                cmocka_unit_test(call_with_more_delivers_the_whole_stream),
                cmocka_unit_test(callback_can_stop_a_stream),
                cmocka_unit_test(oneway_call_returns_without_reply),
                cmocka_unit_test(missing_reply_times_out),
                cmocka_unit_test(absent_or_dead_server_is_reported),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink server against hostile or greedy clients, in process:
 * oversized, too deep and malformed messages, clients that never read,
 * connection limits, peer credentials and the listening socket. Each cut
 * off client must leave the others served. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "varlink-test-util.h"

/* ---- tests: hostile clients ---- */

/* @message from @bad gets InvalidParameter naming @field, then the server
 * hangs up on @bad (closed here) alone: @good is still served. */
static void assert_refused_alone(struct fx *fx, struct client *bad, struct client *good, const char *message,
                                 const char *field) {
        call_expect_error(fx, bad, message, "org.varlink.service.InvalidParameter", "parameter", field);
        assert_true(client_sees_close(fx, bad));
        client_close(bad);
        assert_still_served(fx, good);
}

static void oversized_message_disconnects_only_that_client(void **state) {
        static const char head[] = "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":\"";
        size_t size = 2u * 1024u * 1024u;
        _cleanup_(freep) char *big = malloc(size);
        struct fx fx;
        struct client bad, good;
        int r;

        assert_non_null(big);
        memset(big, ' ', size);
        memcpy(big, head, strlen(head));
        fx_start(&fx, NULL);
        client_open(&fx, &good);
        client_open(&fx, &bad);
        assert_int_equal(varlink_server_n_connections(fx.server), 2);
        r = client_write(&fx, &bad, big, size);
        assert_true(r == -EPIPE || r == -ECONNRESET);
        assert_true(client_sees_close(&fx, &bad));
        assert_int_equal(varlink_server_n_connections(fx.server), 1);
        assert_still_served(&fx, &good);
        client_close(&bad);
        client_close(&good);
        fx_stop(&fx);
}

static void deeply_nested_json_is_rejected_and_disconnected(void **state) {
        char msg[400];
        struct fx fx;
        struct client bad, good;
        size_t p;

        p = (size_t) sprintf(msg, "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":");
        memset(msg + p, '[', 98);
        memset(msg + p + 98, ']', 98);
        strcpy(msg + p + 196, "}}"); /* 100 nested containers */
        fx_start(&fx, NULL);
        client_open(&fx, &good);
        client_open(&fx, &bad);
        assert_refused_alone(&fx, &bad, &good, msg, "");
        client_close(&good);
        fx_stop(&fx);
}

static void garbage_gets_invalid_parameter_then_disconnect(void **state) {
        static const struct {
                const char *message;
                const char *field;
        } cases[] = {
                { "{nope", "" },
                { "[1,2,3]", "" },
                { "{\"parameters\":{}}", "method" },
                { "{\"method\":7}", "method" },
                { "{\"method\":\"org.example.test.Add\",\"parameters\":\"x\"}", "parameters" },
                { "{\"method\":\"org.example.test.Add\",\"more\":\"yes\"}", "more" },
        };
        struct fx fx;
        struct client good;

        fx_start(&fx, NULL);
        client_open(&fx, &good);
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                struct client bad;

                client_open(&fx, &bad);
                assert_refused_alone(&fx, &bad, &good, cases[k].message, cases[k].field);
        }
        assert_int_equal(varlink_server_n_connections(fx.server), 1);
        client_close(&good);
        fx_stop(&fx);
}

static void invalid_utf8_gets_invalid_parameter_then_disconnect(void **state) {
        static const char *const cases[] = {
                "{\"method\":\"org.example.test.Add\xc0\xaf\"}",                   /* overlong '/' */
                "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\xed\xa0\x80\":1}}", /* surrogate */
                "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":\"\\ud800\"}}", /* lone escape */
                "{\"method\":\"org.example.test.Add\",\"x\":\"\xf4\x90\x80\x80\"}",        /* > U+10FFFF */
                "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\\u0000\":1}}",   /* NUL in a name */
        };
        struct fx fx;
        struct client good;

        fx_start(&fx, NULL);
        client_open(&fx, &good);
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                struct client bad;

                client_open(&fx, &bad);
                assert_refused_alone(&fx, &bad, &good, cases[k], "");
        }
        client_close(&good);
        fx_stop(&fx);
}

/* {"method":"org.example.test.Add","parameters":{"a":2,"b":3},"x":[0,...]}
 * with @values values in all (11 before the array's elements). */
static char *call_with_values(size_t values) {
        static const char head[] = "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":2,\"b\":3},\"x\":[";
        size_t n = values - 11, len = strlen(head) + 2 * n + 3;
        char *msg = malloc(len), *p;

        assert_non_null(msg);
        p = stpcpy(msg, head);
        for (size_t k = 0; k < n; k++)
                p = stpcpy(p, k ? ",0" : "0");
        strcpy(p, "]}");
        return msg;
}

static void calls_over_the_value_limit_are_refused_before_parsing(void **state) {
        _cleanup_(freep) char *at_limit = call_with_values(VARLINK_MAX_CALL_VALUES);
        _cleanup_(freep) char *over = call_with_values(VARLINK_MAX_CALL_VALUES + 1);
        struct fx fx;
        struct client good, bad;

        fx_start(&fx, NULL);
        client_open(&fx, &good);
        client_call(&fx, &good, at_limit);
        assert_sum(client_recv(&fx, &good), 5);
        client_open(&fx, &bad);
        assert_refused_alone(&fx, &bad, &good, over, "");
        client_close(&good);
        fx_stop(&fx);
}

static void strings_that_are_not_utf8_are_sent_repaired(void **state) {
        /* Valid UTF-8 stays; each byte that starts no sequence is U+FFFD. */
        static const char expected[] = "{\"ok\":\"\xc3\xa9\",\"bad\":\"0x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!\"}";
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        size_t len = 0;

        assert_int_equal(mj_add(o, "ok", json_object_new_string("\xc3\xa9")), 0);
        assert_int_equal(mj_add(o, "bad", json_object_new_string("0x\xff\xc0\xaf!")), 0);
        assert_string_equal(varlink_json_to_string(o, &len), expected);
        assert_int_equal(len, strlen(expected));
}

static void client_that_never_reads_is_cut_off_alone(void **state) {
        static const char call[] = "{\"method\":\"org.example.test.Big\",\"parameters\":{\"size\":262144}}";
        struct fx fx;
        struct client lazy, good;
        unsigned sent = 0;

        fx_start(&fx, NULL);
        client_open(&fx, &good);
        client_open(&fx, &lazy);
        /* 64 replies of 256 KiB are 16 MiB, far over the 4 MiB queue. */
        for (; sent < 64; sent++) {
                if (client_write(&fx, &lazy, call, sizeof(call)) < 0)
                        break;
                pump(&fx, 1);
                if (varlink_server_n_connections(fx.server) == 1)
                        break;
        }
        pump(&fx, 5);
        assert_int_equal(varlink_server_n_connections(fx.server), 1);
        assert_true(sent > 4 && sent < 64);
        assert_still_served(&fx, &good);
        client_close(&lazy);
        client_close(&good);
        fx_stop(&fx);
}

/* ---- tests: limits and credentials ---- */

static void per_uid_limit_refuses_extra_connections(void **state) {
        struct varlink_limits limits = { .max_connections_per_uid = 2, .per_uid_limit_for_root = true };
        struct fx fx;
        struct client a, b, extra, later;

        fx_start(&fx, &limits);
        client_open(&fx, &a);
        client_open(&fx, &b);
        client_open(&fx, &extra);
        assert_int_equal(varlink_server_n_connections(fx.server), 2);
        assert_true(client_sees_close(&fx, &extra));
        assert_still_served(&fx, &b);
        /* A freed slot can be taken again. */
        client_close(&a);
        pump(&fx, 5);
        client_open(&fx, &later);
        assert_int_equal(varlink_server_n_connections(fx.server), 2);
        assert_still_served(&fx, &later);
        client_close(&extra);
        client_close(&b);
        client_close(&later);
        fx_stop(&fx);
}

static void refused_connections_are_logged_once_per_interval(void **state) {
        struct varlink_limits limits = { .max_connections_per_uid = 1, .per_uid_limit_for_root = true };
        struct client kept, extra[32];
        struct stderr_capture capture;
        _cleanup_(freep) char *log = NULL;
        unsigned lines = 0;
        struct fx fx;

        fx_start(&fx, &limits);
        client_open(&fx, &kept);
        stderr_capture_begin(&capture);
        for (size_t k = 0; k < ELEMENTSOF(extra); k++) {
                client_open(&fx, &extra[k]);
                assert_true(client_sees_close(&fx, &extra[k]));
        }
        log = stderr_capture_end(&capture);
        /* A client connecting in a loop must not write a line each time. */
        for (const char *p = log; (p = strstr(p, "refusing")); p++)
                lines++;
        assert_int_equal(lines, 1);
        assert_non_null(strstr(log, "already has 1 connections, refusing"));
        assert_int_equal(varlink_server_n_connections(fx.server), 1);
        assert_still_served(&fx, &kept);
        for (size_t k = 0; k < ELEMENTSOF(extra); k++)
                client_close(&extra[k]);
        client_close(&kept);
        fx_stop(&fx);
}

static void root_is_exempt_from_per_uid_limit_but_not_total(void **state) {
        struct varlink_limits limits = { .max_connections_per_uid = 1, .max_connections = 3 };
        struct client c[4];
        struct fx fx;

        if (geteuid() != 0)
                skip();
        fx_start(&fx, &limits);
        for (size_t k = 0; k < ELEMENTSOF(c); k++)
                client_open(&fx, &c[k]);
        assert_int_equal(varlink_server_n_connections(fx.server), 3);
        assert_true(client_sees_close(&fx, &c[3]));
        assert_still_served(&fx, &c[2]);
        for (size_t k = 0; k < ELEMENTSOF(c); k++)
                client_close(&c[k]);
        fx_stop(&fx);
}

static void peer_credentials_come_from_the_socket(void **state) {
        struct fx fx;
        struct client c;
        struct json_object *reply, *v;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Whoami\"}");
        reply = client_recv(&fx, &c);
        assert_int_equal(param_int(reply, "uid"), getuid());
        assert_int_equal(param_int(reply, "gid"), getgid());
        assert_int_equal(param_int(reply, "pid"), getpid());
        assert_true(json_object_object_get_ex(params_of(reply), "in_gid", &v));
        assert_true(json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(params_of(reply), "in_other", &v));
        assert_false(json_object_get_boolean(v));
        json_object_put(reply);
        client_close(&c);
        fx_stop(&fx);
}

static void listen_path_refuses_live_socket_and_non_socket(void **state) {
        struct varlink_server *second = NULL;
        struct fx fx;

        fx_start(&fx, NULL);
        assert_int_equal(varlink_server_new(fx.event, &test_info, NULL, &second), 0);
        /* fx.server still listens there. */
        assert_int_equal(varlink_server_listen_path(second, fx.path), -EADDRINUSE);
        scratch_write(&fx.dir, "plain-file", "x", 1);
        {
                char file[320];

                snprintf(file, sizeof(file), "%s/plain-file", fx.dir.path);
                assert_int_equal(varlink_server_listen_path(second, file), -EEXIST);
        }
        assert_int_equal(varlink_server_add_interface(second, &test_interface, NULL), 0);
        assert_int_equal(varlink_server_add_interface(second, &test_interface, NULL), -EEXIST);
        second = varlink_server_free(second);
        fx_stop(&fx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(oversized_message_disconnects_only_that_client),
                cmocka_unit_test(deeply_nested_json_is_rejected_and_disconnected),
                cmocka_unit_test(garbage_gets_invalid_parameter_then_disconnect),
                cmocka_unit_test(invalid_utf8_gets_invalid_parameter_then_disconnect),
                cmocka_unit_test(calls_over_the_value_limit_are_refused_before_parsing),
                cmocka_unit_test(strings_that_are_not_utf8_are_sent_repaired),
                cmocka_unit_test(client_that_never_reads_is_cut_off_alone),
                cmocka_unit_test(per_uid_limit_refuses_extra_connections),
                cmocka_unit_test(refused_connections_are_logged_once_per_interval),
                cmocka_unit_test(root_is_exempt_from_per_uid_limit_but_not_total),
                cmocka_unit_test(peer_credentials_come_from_the_socket),
                cmocka_unit_test(listen_path_refuses_live_socket_and_non_socket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink protocol conformance of the server, in process: org.varlink.service,
 * dispatch and named errors, oneway, more/continues streams, calls kept
 * for later, framing across reads. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "varlink-test-util.h"

/* ---- tests: org.varlink.service ---- */

static void get_info_lists_service_and_interfaces(void **state) {
        struct fx fx;
        struct client c;
        struct json_object *reply, *p, *list;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.varlink.service.GetInfo\"}");
        reply = client_recv(&fx, &c);
        p = params_of(reply);
        assert_null(member_string(reply, "error"));
        assert_string_equal(member_string(p, "vendor"), "memranged tests");
        assert_string_equal(member_string(p, "product"), "test-varlink");
        assert_string_equal(member_string(p, "version"), "0.1.0");
        assert_string_equal(member_string(p, "url"), "https://example.org/memranged");
        assert_true(json_object_object_get_ex(p, "interfaces", &list));
        assert_int_equal(json_object_array_length(list), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)),
                            "org.varlink.service");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)),
                            "org.example.test");
        json_object_put(reply);
        client_close(&c);
        fx_stop(&fx);
}

static void get_interface_description_returns_registered_idl(void **state) {
        struct fx fx;
        struct client c;
        struct json_object *reply;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                             "\"parameters\":{\"interface\":\"org.example.test\"}}");
        reply = client_recv(&fx, &c);
        assert_string_equal(member_string(params_of(reply), "description"), test_idl);
        json_object_put(reply);

        client_call(&fx, &c, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                             "\"parameters\":{\"interface\":\"org.varlink.service\"}}");
        reply = client_recv(&fx, &c);
        assert_non_null(strstr(member_string(params_of(reply), "description"),
                               "interface org.varlink.service\n"));
        assert_non_null(strstr(member_string(params_of(reply), "description"),
                               "error ExpectedMore ()\n"));
        json_object_put(reply);

        call_expect_error(&fx, &c,
                          "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                          "\"parameters\":{\"interface\":\"org.example.none\"}}",
                          "org.varlink.service.InterfaceNotFound", "interface", "org.example.none");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.varlink.service.GetInterfaceDescription\"}",
                          "org.varlink.service.InvalidParameter", "parameter", "interface");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                          "\"parameters\":{\"interface\":\"org.example.test\",\"bogus\":1}}",
                          "org.varlink.service.InvalidParameter", "parameter", "bogus");
        client_close(&c);
        fx_stop(&fx);
}

/* ---- tests: dispatch and errors ---- */

static void method_with_parameters_replies_and_rejects_bad_ones(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":40,\"b\":-2}}");
        assert_sum(client_recv(&fx, &c), 38);
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":\"1\",\"b\":2}}",
                          "org.varlink.service.InvalidParameter", "parameter", "a");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":1}}",
                          "org.varlink.service.InvalidParameter", "parameter", "b");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Add\","
                          "\"parameters\":{\"a\":1,\"b\":2,\"c\":3}}",
                          "org.varlink.service.InvalidParameter", "parameter", "c");
        /* Errors are answers: the connection is still served. */
        assert_still_served(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

static void unknown_method_interface_and_unimplemented_are_named(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Nope\"}",
                          "org.varlink.service.MethodNotFound", "method", "org.example.test.Nope");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.nope.Add\"}",
                          "org.varlink.service.InterfaceNotFound", "interface", "org.example.nope");
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Later\"}",
                          "org.varlink.service.MethodNotImplemented", "method", "org.example.test.Later");
        assert_still_served(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

static void handler_failure_gives_internal_error(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Fail\"}");
        assert_internal_error(client_recv(&fx, &c), EIO);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Forget\"}");
        assert_internal_error(client_recv(&fx, &c), EPROTO);
        assert_still_served(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

static void oneway_call_runs_without_reply(void **state) {
        struct fx fx;
        struct client c;
        struct json_object *reply;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Count\",\"oneway\":true}");
        client_expect_nothing(&fx, &c);
        assert_int_equal(fx.counter, 1);
        /* The next reply is the second call's: the oneway one sent none. */
        client_call(&fx, &c, "{\"method\":\"org.example.test.Count\"}");
        reply = client_recv(&fx, &c);
        assert_int_equal(param_int(reply, "count"), 2);
        json_object_put(reply);
        client_close(&c);
        fx_stop(&fx);
}

static void upgrade_is_refused_and_connection_stays(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":1,\"b\":1},"
                          "\"upgrade\":true}",
                          "org.varlink.service.InvalidParameter", "parameter", "upgrade");
        assert_still_served(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

/* ---- tests: streams ---- */

static void more_call_streams_three_replies(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Stream\",\"parameters\":{\"count\":3},"
                             "\"more\":true}");
        for (int k = 0; k < 3; k++) {
                struct json_object *reply = client_recv(&fx, &c);

                assert_int_equal(param_int(reply, "index"), k);
                assert_true(continues_of(reply) == (k < 2));
                json_object_put(reply);
        }
        client_expect_nothing(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

static void streaming_method_without_more_gets_expected_more(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.test.Stream\",\"parameters\":{\"count\":3}}",
                          "org.varlink.service.ExpectedMore", NULL, NULL);
        client_close(&c);
        fx_stop(&fx);
}

static void kept_call_streams_later_and_holds_back_pipelined_calls(void **state) {
        static const char two[] = "{\"method\":\"org.example.test.Subscribe\",\"more\":true}\0" ADD_2_3;
        struct fx fx;
        struct client c;
        struct json_object *reply, *p;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, two, sizeof(two)), 0);
        client_expect_nothing(&fx, &c);
        assert_non_null(fx.kept);
        assert_true(varlink_call_wants_more(fx.kept));
        assert_string_equal(varlink_call_method(fx.kept), "org.example.test.Subscribe");

        for (int k = 0; k < 2; k++) {
                p = json_object_new_object();
                assert_int_equal(mj_add(p, "event", json_object_new_string("changed")), 0);
                assert_int_equal(varlink_call_reply_continues(fx.kept, p), 0);
                reply = client_recv(&fx, &c);
                assert_string_equal(member_string(params_of(reply), "event"), "changed");
                assert_true(continues_of(reply));
                json_object_put(reply);
        }
        /* The Add call waits behind the open stream. */
        client_expect_nothing(&fx, &c);
        assert_int_equal(varlink_call_reply(fx.kept, NULL), 0);
        assert_int_equal(varlink_call_reply(fx.kept, NULL), -EALREADY);
        reply = client_recv(&fx, &c);
        assert_false(continues_of(reply));
        assert_int_equal(json_object_object_length(params_of(reply)), 0);
        json_object_put(reply);
        assert_sum(client_recv(&fx, &c), 5);
        assert_int_equal(fx.disconnects, 0);
        client_close(&c);
        fx_stop(&fx);
}

static void closing_client_notifies_kept_call(void **state) {
        struct fx fx;
        struct client c, other;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_open(&fx, &other);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Subscribe\",\"more\":true}");
        client_expect_nothing(&fx, &c);
        assert_true(varlink_call_is_open(fx.kept));
        client_close(&c);
        pump(&fx, 5);
        assert_int_equal(fx.disconnects, 1);
        assert_false(varlink_call_is_open(fx.kept));
        assert_int_equal(varlink_call_reply_continues(fx.kept, NULL), -ENOTCONN);
        assert_int_equal(varlink_server_n_connections(fx.server), 1);
        assert_still_served(&fx, &other);
        client_close(&other);
        fx_stop(&fx);
}

static void server_free_notifies_kept_call(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Subscribe\",\"more\":true}");
        client_expect_nothing(&fx, &c);
        fx.server = varlink_server_free(fx.server);
        assert_int_equal(fx.disconnects, 1);
        assert_int_equal(access(fx.path, F_OK), -1); /* bound socket removed */
        client_close(&c);
        fx_stop(&fx);
}

/* ---- tests: framing ---- */

static void two_messages_in_one_write_get_two_replies_in_order(void **state) {
        static const char two[] = "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":1,\"b\":1}}\0"
                                  "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":2,\"b\":2}}";
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, two, sizeof(two)), 0);
        assert_sum(client_recv(&fx, &c), 2);
        assert_sum(client_recv(&fx, &c), 4);
        client_close(&c);
        fx_stop(&fx);
}

static void message_split_across_three_writes_is_reassembled(void **state) {
        static const char msg[] = ADD_2_3;
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, msg, 10), 0);
        client_expect_nothing(&fx, &c);
        assert_int_equal(client_write(&fx, &c, msg + 10, 30), 0);
        client_expect_nothing(&fx, &c);
        assert_int_equal(client_write(&fx, &c, msg + 40, sizeof(msg) - 40), 0);
        assert_sum(client_recv(&fx, &c), 5);
        client_close(&c);
        fx_stop(&fx);
}

static void half_closed_client_still_gets_its_reply(void **state) {
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, ADD_2_3);
        assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
        assert_sum(client_recv(&fx, &c), 5);
        assert_true(client_sees_close(&fx, &c));
        client_close(&c);
        fx_stop(&fx);
}

static void message_without_nul_at_eof_is_dropped(void **state) {
        static const char msg[] = ADD_2_3;
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, msg, strlen(msg)), 0);
        client_expect_nothing(&fx, &c);
        assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
        assert_true(client_sees_close(&fx, &c));
        assert_int_equal(varlink_server_n_connections(fx.server), 0);
        client_close(&c);
        fx_stop(&fx);
}

/* ---- tests: fairness ---- */

/* Replies waiting in @c's socket, read without stepping the server. */
static unsigned client_count_arrived(struct client *c) {
        unsigned n = 0;
        char buf[4096];
        ssize_t k;

        while ((k = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                for (ssize_t i = 0; i < k; i++)
                        n += buf[i] == '\0';
        return n;
}

static void pipelined_calls_take_turns_with_other_clients(void **state) {
        enum { PIPELINED = 200 };
        static const char one[] = ADD_2_3;
        _cleanup_(freep) char *many = malloc(sizeof(one) * PIPELINED);
        struct fx fx;
        struct client greedy, other;
        unsigned before;

        assert_non_null(many);
        for (unsigned i = 0; i < PIPELINED; i++)
                memcpy(many + i * sizeof(one), one, sizeof(one)); /* each with its NUL */
        fx_start(&fx, NULL);
        client_open(&fx, &greedy);
        client_open(&fx, &other);
        assert_int_equal(client_write(&fx, &greedy, many, sizeof(one) * PIPELINED), 0);
        pump(&fx, 3); /* the server reads every call of the greedy client */
        client_call(&fx, &other, "{\"method\":\"org.example.test.Add\",\"parameters\":{\"a\":40,\"b\":2}}");
        assert_sum(client_recv(&fx, &other), 42);
        /* One call per turn: the other client waited a few turns, not 200. */
        before = client_count_arrived(&greedy);
        assert_true(before < 10);

        /* The greedy client still gets every reply, in order. */
        for (unsigned i = before; i < PIPELINED; i++)
                assert_sum(client_recv(&fx, &greedy), 5);
        client_close(&greedy);
        client_close(&other);
        fx_stop(&fx);
}

/* More calls than one read takes: the server must read on without a new
 * event from the kernel. */
static void calls_beyond_one_read_are_all_answered(void **state) {
        enum { PIPELINED = 3000 }; /* about 190 KiB */
        static const char one[] = ADD_2_3;
        _cleanup_(freep) char *many = malloc(sizeof(one) * PIPELINED);
        struct fx fx;
        struct client c;

        assert_non_null(many);
        for (unsigned i = 0; i < PIPELINED; i++)
                memcpy(many + i * sizeof(one), one, sizeof(one));
        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, many, sizeof(one) * PIPELINED), 0);
        for (unsigned i = 0; i < PIPELINED; i++)
                assert_sum(client_recv(&fx, &c), 5);
        client_expect_nothing(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

/* A call written while another is open is read once that one ends, with
 * no new input to announce it. */
static void call_sent_during_an_open_stream_is_answered_after_it(void **state) {
        struct fx fx;
        struct client c;
        struct json_object *reply;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        client_call(&fx, &c, "{\"method\":\"org.example.test.Subscribe\",\"more\":true}");
        client_expect_nothing(&fx, &c);
        assert_non_null(fx.kept);
        client_call(&fx, &c, ADD_2_3);
        client_expect_nothing(&fx, &c);
        assert_int_equal(varlink_call_reply(fx.kept, NULL), 0);
        reply = client_recv(&fx, &c);
        assert_false(continues_of(reply));
        json_object_put(reply);
        assert_sum(client_recv(&fx, &c), 5);
        client_close(&c);
        fx_stop(&fx);
}

static void half_closed_client_gets_every_pipelined_reply(void **state) {
        static const char three[] = ADD_2_3 "\0" ADD_2_3 "\0" ADD_2_3;
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        client_open(&fx, &c);
        assert_int_equal(client_write(&fx, &c, three, sizeof(three)), 0);
        assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
        for (int i = 0; i < 3; i++)
                assert_sum(client_recv(&fx, &c), 5);
        assert_true(client_sees_close(&fx, &c));
        client_close(&c);
        fx_stop(&fx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(get_info_lists_service_and_interfaces),
                cmocka_unit_test(get_interface_description_returns_registered_idl),
                cmocka_unit_test(method_with_parameters_replies_and_rejects_bad_ones),
                cmocka_unit_test(unknown_method_interface_and_unimplemented_are_named),
                cmocka_unit_test(handler_failure_gives_internal_error),
                cmocka_unit_test(oneway_call_runs_without_reply),
                cmocka_unit_test(upgrade_is_refused_and_connection_stays),
                cmocka_unit_test(more_call_streams_three_replies),
                cmocka_unit_test(streaming_method_without_more_gets_expected_more),
                cmocka_unit_test(kept_call_streams_later_and_holds_back_pipelined_calls),
                cmocka_unit_test(closing_client_notifies_kept_call),
                cmocka_unit_test(server_free_notifies_kept_call),
                cmocka_unit_test(two_messages_in_one_write_get_two_replies_in_order),
                cmocka_unit_test(message_split_across_three_writes_is_reassembled),
                cmocka_unit_test(half_closed_client_still_gets_its_reply),
                cmocka_unit_test(message_without_nul_at_eof_is_dropped),
                cmocka_unit_test(pipelined_calls_take_turns_with_other_clients),
                cmocka_unit_test(half_closed_client_gets_every_pipelined_reply),
                cmocka_unit_test(calls_beyond_one_read_are_all_answered),
                cmocka_unit_test(call_sent_during_an_open_stream_is_answered_after_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

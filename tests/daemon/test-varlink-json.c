/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink message layer: strict JSON, typed members, the builder,
 * framing, envelopes and names. */
#include <errno.h>
#include <string.h>

#include "test-util.h"
#include "varlink-protocol.h"

static int parse(const char *text, unsigned depth, struct json_object **ret) {
        return varlink_json_parse(text, strlen(text), depth, ret, NULL);
}

static void assert_rejected(const char *text) {
        struct json_object *o = NULL;
        const char *detail = NULL;
        int r = varlink_json_parse(text, strlen(text), 64, &o, &detail);

        if (r != -EBADMSG)
                fail_msg("accepted or wrong error %d for: %s", r, text);
        assert_null(o);
        assert_non_null(detail);
}

static void json_accepts_rfc8259_and_serialises_compactly(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *text = "{ \"a\" : [1, {\"b\": null}, true, false],\n \"c\": \"x/y\", \"d\": -0.5e-3 }";
        size_t len;

        assert_int_equal(parse(text, 64, &o), 0);
        assert_string_equal(varlink_json_to_string(o, &len),
                            "{\"a\":[1,{\"b\":null},true,false],\"c\":\"x/y\",\"d\":-0.5e-3}");
        assert_int_equal(len, strlen("{\"a\":[1,{\"b\":null},true,false],\"c\":\"x/y\",\"d\":-0.5e-3}"));
}

static void json_accepts_integer_extremes_and_unicode(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        uint64_t u = 0;
        int64_t i = 0;
        const char *s = NULL;

        assert_int_equal(parse("{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
                               "\"s\":\"\\u00e9\xc3\xa9\\n\"}",
                               64, &o),
                         0);
        assert_int_equal(mj_get_u64(o, "u", false, &u, NULL), 1);
        assert_true(u == UINT64_MAX);
        assert_int_equal(mj_get_i64(o, "i", false, &i, NULL), 1);
        assert_true(i == INT64_MIN);
        assert_int_equal(mj_get_string(o, "s", false, &s, NULL), 1);
        assert_string_equal(s, "\xc3\xa9\xc3\xa9\n");
}

static void json_rejects_what_json_c_would_let_through(void **state) {
        assert_rejected("{'a':1}");
        assert_rejected("{\"a\":NaN}");
        assert_rejected("{\"a\":Infinity}");
        assert_rejected("{\"a\":-Infinity}");
        assert_rejected("{\"a\":1.}");
        assert_rejected("{\"a\":1e999}");
        assert_rejected("{\"a\":99999999999999999999}");
        assert_rejected("{\"a\":18446744073709551616}");
        assert_rejected("{\"a\":-9223372036854775809}");
        assert_rejected("{\"a\":\"tab\there\"}");
        assert_rejected("{\"a\":\"\xff\"}");
}

static void json_rejects_malformed_and_non_objects(void **state) {
        assert_rejected("");
        assert_rejected("{");
        assert_rejected("{} x");
        assert_rejected("{}{}");
        assert_rejected("{\"a\":1,}");
        assert_rejected("{\"a\":01}");
        assert_rejected("{\"a\":.5}");
        assert_rejected("{\"a\":tru}");
        assert_rejected("{/* c */}");
        assert_rejected("[1,2]");
        assert_rejected("\"string\"");
        assert_rejected("null");
        assert_rejected("42 ");
}

static void json_rejects_nul_inside_the_text(void **state) {
        struct json_object *o = NULL;

        assert_int_equal(varlink_json_parse("{\"a\":1}\0{}", 10, 64, &o, NULL), -EBADMSG);
        assert_null(o);
}

static void json_builds_the_tree_json_c_would(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *v = NULL;
        const char *s = NULL;

        assert_int_equal(parse("{\"a\":1,\"b\":[],\"a\":2,\"big\":9223372036854775808,\"neg\":-0,"
                               "\"d\":1E5,\"e\":\"\\ud83d\\ude00\\/\\b\\f\\r\\t\\\"\\\\\",\"nul\":\"x\\u0000y\"}",
                               64, &o),
                         0);
        /* A repeated name replaces the value where the name first was. */
        assert_string_equal(varlink_json_to_string(o, NULL),
                            "{\"a\":2,\"b\":[],\"big\":9223372036854775808,\"neg\":0,\"d\":1E5,"
                            "\"e\":\"\xf0\x9f\x98\x80/\\b\\f\\r\\t\\\"\\\\\",\"nul\":\"x\\u0000y\"}");
        assert_true(json_object_object_get_ex(o, "big", &v));
        assert_true(json_object_get_uint64(v) == UINT64_C(9223372036854775808));
        assert_true(json_object_object_get_ex(o, "d", &v));
        assert_true(json_object_is_type(v, json_type_double));
        assert_true(json_object_get_double(v) == 1e5);
        assert_true(json_object_object_get_ex(o, "nul", &v));
        assert_int_equal(json_object_get_string_len(v), 3);
        assert_int_equal(mj_get_string(o, "e", false, &s, NULL), 1);
        assert_string_equal(s, "\xf0\x9f\x98\x80/\b\f\r\t\"\\");
}

static void json_rejects_bad_escapes_and_structure(void **state) {
        assert_rejected("{\"a\":\"\\q\"}");
        assert_rejected("{\"a\":\"\\u12\"}");
        assert_rejected("{\"a\":\"\\ud800\"}");
        assert_rejected("{\"a\":\"\\udc00\\ud800\"}");
        assert_rejected("{\"\\u0000\":1}");
        assert_rejected("{\"a\"}");
        assert_rejected("{\"a\":}");
        assert_rejected("{\"a\"::1}");
        assert_rejected("{1:2}");
        assert_rejected("{\"a\":1\"b\":2}");
        assert_rejected("{\"a\":[,1]}");
        assert_rejected("{\"a\":[1,]}");
        assert_rejected("{\"a\":[1}");
        assert_rejected("{\"a\":1]");
        assert_rejected("{\"a\":1}}");
        assert_rejected("{\"a\":\"x");
        assert_rejected("{\"a\":nulll}");
        assert_rejected("{\"a\":True}");
        assert_rejected("{\"a\":--1}");
        assert_rejected("{\"a\":1e-}");
        assert_rejected("{\"a\":-1e400}");
}

static void json_counts_values_as_it_builds_them(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *none = NULL;
        const char *text = "{\"a\":[1,2],\"b\":{}}"; /* 7 values, names included */

        assert_int_equal(varlink_json_parse_limited(text, strlen(text), 64, 7, &o, NULL), 0);
        assert_int_equal(varlink_json_parse_limited(text, strlen(text), 64, 6, &none, NULL), -E2BIG);
        assert_null(none);
        assert_int_equal(varlink_json_parse(text, strlen(text), VARLINK_JSON_MAX_DEPTH + 1, &none, NULL), -EINVAL);
}

/* Writes {"a":[[...]]} with @containers nested containers in total. */
static const char *nested(char *buf, size_t size, unsigned containers) {
        size_t n = containers - 1, p;

        assert_true(2 * n + 8 <= size);
        p = (size_t) snprintf(buf, size, "{\"a\":");
        memset(buf + p, '[', n);
        memset(buf + p + n, ']', n);
        strcpy(buf + p + 2 * n, "}");
        return buf;
}

static void json_depth_limit_counts_nested_containers(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *none = NULL;
        char buf[256];

        assert_int_equal(parse(nested(buf, sizeof(buf), 64), 64, &o), 0);
        assert_int_equal(parse(nested(buf, sizeof(buf), 65), 64, &none), -ELOOP);
        assert_int_equal(parse(nested(buf, sizeof(buf), 100), 64, &none), -ELOOP);
        assert_null(none);
}

static void getters_return_value_absent_or_wrong_type(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *arr = NULL, *obj = NULL;
        const char *s = "untouched";
        int64_t i = 7;
        uint64_t u = 7;
        bool b = false;
        struct mj_error error;

        assert_int_equal(parse("{\"s\":\"x\",\"n\":null,\"i\":-5,\"big\":9223372036854775808,"
                               "\"d\":1.0,\"b\":true,\"arr\":[1],\"obj\":{},\"nul\":\"a\\u0000b\"}",
                               64, &o),
                         0);
        assert_int_equal(mj_get_string(o, "s", false, &s, NULL), 1);
        assert_string_equal(s, "x");
        assert_int_equal(mj_get_string(o, "missing", false, &s, NULL), 0);
        assert_int_equal(mj_get_string(o, "n", false, &s, NULL), 0);
        assert_string_equal(s, "x");
        assert_int_equal(mj_get_string(o, "i", false, &s, NULL), -EBADMSG);
        assert_int_equal(mj_get_string(o, "nul", false, &s, NULL), -EBADMSG);

        assert_int_equal(mj_get_i64(o, "i", false, &i, NULL), 1);
        assert_int_equal(i, -5);
        assert_int_equal(mj_get_i64(o, "big", false, &i, NULL), -EBADMSG);
        assert_int_equal(mj_get_i64(o, "d", false, &i, NULL), -EBADMSG);
        assert_int_equal(mj_get_i64(o, "s", false, &i, NULL), -EBADMSG);
        assert_int_equal(i, -5);

        assert_int_equal(mj_get_u64(o, "big", false, &u, NULL), 1);
        assert_true(u == 9223372036854775808u);
        assert_int_equal(mj_get_u64(o, "i", false, &u, NULL), -EBADMSG);
        assert_int_equal(mj_get_u64(o, "d", false, &u, NULL), -EBADMSG);

        assert_int_equal(mj_get_bool(o, "b", false, &b, NULL), 1);
        assert_true(b);
        assert_int_equal(mj_get_bool(o, "i", false, &b, NULL), -EBADMSG);
        assert_int_equal(mj_get_array(o, "arr", false, &arr, NULL), 1);
        assert_int_equal(json_object_array_length(arr), 1);
        assert_int_equal(mj_get_array(o, "obj", false, &arr, NULL), -EBADMSG);
        assert_int_equal(mj_get_object(o, "obj", false, &obj, NULL), 1);
        assert_int_equal(mj_get_object(NULL, "obj", false, &obj, NULL), 0);
        /* Required: absent and null fail, naming the member. */
        assert_int_equal(mj_get_string(o, "n", true, &s, &error), -EBADMSG);
        assert_string_equal(error.path, "n");
        assert_int_equal(mj_get_u64(NULL, "u", true, &u, &error), -EBADMSG);
        assert_string_equal(error.path, "u");
        /* Members of something that is not an object. */
        assert_int_equal(mj_get_bool(arr, "b", false, &b, &error), -EBADMSG);
        assert_string_equal(error.reason, "expected an object");
        assert_int_equal(mj_get_string(o, "nul", false, &s, &error), -EBADMSG);
        assert_string_equal(error.path, "nul");
        assert_string_equal(s, "x");
}

static void builder_keeps_its_first_error(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *array = NULL;
        struct mj_builder b = mj_builder_on(o), member = mj_builder_on(json_object_new_object());

        mj_build_u64(&b, "u", 1);
        mj_build_string(&b, "s", "x");
        mj_build_null(&b, "n");
        mj_build_u64(&member, "m", 2);
        mj_build_object(&b, "o", &member);
        assert_null(member.object);
        assert_int_equal(b.error, 0);
        assert_string_equal(varlink_json_to_string(o, NULL), "{\"u\":1,\"s\":\"x\",\"n\":null,\"o\":{\"m\":2}}");

        /* The failure of an encoder sticks; later members are dropped. */
        array = json_object_new_array();
        mj_build_encoded(&b, "lost", -EIO, &array);
        assert_null(array);
        assert_int_equal(b.error, -EIO);
        mj_build_bool(&b, "late", true);
        mj_build(&b, "late2", json_object_new_int(1));
        mj_build_result(&b, -ENOMEM);
        assert_int_equal(b.error, -EIO);
        assert_string_equal(varlink_json_to_string(o, NULL), "{\"u\":1,\"s\":\"x\",\"n\":null,\"o\":{\"m\":2}}");
}

static void builder_reports_a_failed_allocation(void **state) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct mj_builder none = mj_builder_on(NULL), b = mj_builder_on(o), member = mj_builder_on(json_object_new_object());

        assert_int_equal(none.error, -ENOMEM);
        mj_build_u64(&none, "u", 1); /* nothing to add to, nothing leaks */
        mj_build(&b, "null", NULL);
        assert_int_equal(b.error, -ENOMEM);

        /* A member that failed is freed and its error handed up. */
        b = mj_builder_on(o);
        mj_build_result(&member, -EINVAL);
        mj_build_object(&b, "m", &member);
        assert_int_equal(b.error, -EINVAL);
        assert_false(json_object_object_get_ex(o, "m", NULL));
}

static void unknown_key_is_reported_by_name(void **state) {
        static const char *const known[] = { "a", "b", NULL };
        _cleanup_(json_object_putp) struct json_object *o = NULL, *p = NULL;

        assert_int_equal(parse("{\"a\":1,\"b\":2}", 64, &o), 0);
        assert_null(varlink_json_find_unknown_key(o, known));
        assert_int_equal(parse("{\"a\":1,\"typo\":2}", 64, &p), 0);
        assert_string_equal(varlink_json_find_unknown_key(p, known), "typo");
}

static void feed(struct varlink_frame *f, const char *data, size_t len) {
        while (len > 0) {
                char *space;
                size_t room;

                assert_int_equal(varlink_frame_get_space(f, 4096, &space, &room), 0);
                assert_true(room > 0);
                if (room > len)
                        room = len;
                memcpy(space, data, room);
                varlink_frame_commit(f, room);
                data += room;
                len -= room;
        }
}

static void frame_splits_two_messages_from_one_read(void **state) {
        struct varlink_frame f;
        char *msg;
        size_t len;

        varlink_frame_init(&f, 1024);
        feed(&f, "{\"a\":1}\0{\"b\":2}\0{\"c\"", 20);
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 1);
        assert_string_equal(msg, "{\"a\":1}");
        assert_int_equal(len, 7);
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 1);
        assert_string_equal(msg, "{\"b\":2}");
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 0);
        assert_int_equal(varlink_frame_pending(&f), 4);
        feed(&f, ":3}", 4); /* includes the NUL */
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 1);
        assert_string_equal(msg, "{\"c\":3}");
        assert_int_equal(varlink_frame_pending(&f), 0);
        varlink_frame_done(&f);
}

static void frame_rejects_a_message_longer_than_the_limit(void **state) {
        char big[200];
        struct varlink_frame f;
        char *space, *msg;
        size_t room, len;

        memset(big, 'x', sizeof(big));
        varlink_frame_init(&f, 100);
        /* Room never exceeds what the longest message needs plus one. */
        assert_int_equal(varlink_frame_get_space(&f, 4096, &space, &room), 0);
        assert_int_equal(room, 101);
        memcpy(space, big, 100);
        varlink_frame_commit(&f, 100);
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 0);
        assert_int_equal(varlink_frame_get_space(&f, 4096, &space, &room), 0);
        assert_int_equal(room, 1);
        space[0] = 'x';
        varlink_frame_commit(&f, 1);
        assert_int_equal(varlink_frame_next(&f, &msg, &len), -EMSGSIZE);
        assert_true(f.size <= 101);
        varlink_frame_done(&f);
}

static void frame_accepts_a_message_of_exactly_the_limit(void **state) {
        char text[101];
        struct varlink_frame f;
        char *msg;
        size_t len;

        memset(text, 'y', 100);
        text[100] = '\0';
        varlink_frame_init(&f, 100);
        feed(&f, text, 101);
        assert_int_equal(varlink_frame_next(&f, &msg, &len), 1);
        assert_int_equal(len, 100);
        varlink_frame_done(&f);
}

static void call_envelope_fields_and_defaults(void **state) {
        struct varlink_call_message m;
        const char *text = "{\"method\":\"org.example.test.Add\",\"more\":true,\"extra\":1}";
        int64_t a = 0;

        assert_int_equal(varlink_call_message_parse(text, strlen(text), 64, &m, NULL, NULL), 0);
        assert_string_equal(m.method, "org.example.test.Add");
        assert_true(m.more);
        assert_false(m.oneway);
        assert_false(m.upgrade);
        assert_non_null(m.parameters);
        assert_int_equal(json_object_object_length(m.parameters), 0);
        varlink_call_message_done(&m);

        text = "{\"method\":\"a.b.C\",\"parameters\":{\"a\":4},\"oneway\":true}";
        assert_int_equal(varlink_call_message_parse(text, strlen(text), 64, &m, NULL, NULL), 0);
        assert_true(m.oneway);
        assert_int_equal(mj_get_i64(m.parameters, "a", false, &a, NULL), 1);
        assert_int_equal(a, 4);
        varlink_call_message_done(&m);
}

static void assert_call_rejected(const char *text, const char *expected_field) {
        struct varlink_call_message m = {};
        const char *field = NULL, *detail = NULL;

        assert_int_equal(varlink_call_message_parse(text, strlen(text), 64, &m, &field, &detail),
                         -EBADMSG);
        assert_string_equal(field, expected_field);
        assert_non_null(detail);
        assert_null(m.root);
}

static void call_envelope_names_the_bad_field(void **state) {
        assert_call_rejected("not json", "");
        assert_call_rejected("[\"method\"]", "");
        assert_call_rejected("{\"parameters\":{}}", "method");
        assert_call_rejected("{\"method\":42}", "method");
        assert_call_rejected("{\"method\":\"NoInterface\"}", "method");
        assert_call_rejected("{\"method\":\"a.b.lowercase\"}", "method");
        assert_call_rejected("{\"method\":\"a.b.C\",\"parameters\":[]}", "parameters");
        assert_call_rejected("{\"method\":\"a.b.C\",\"more\":1}", "more");
        assert_call_rejected("{\"method\":\"a.b.C\",\"oneway\":\"yes\"}", "oneway");
        assert_call_rejected("{\"method\":\"a.b.C\",\"upgrade\":{}}", "upgrade");
}

static void reply_envelope_error_and_continues(void **state) {
        struct varlink_reply_message m;
        const char *text = "{\"error\":\"org.varlink.service.MethodNotFound\","
                           "\"parameters\":{\"method\":\"x.y.Z\"}}";
        const char *method = NULL;

        assert_int_equal(varlink_reply_message_parse(text, strlen(text), 64, &m, NULL), 0);
        assert_string_equal(m.error, "org.varlink.service.MethodNotFound");
        assert_false(m.continues);
        assert_int_equal(mj_get_string(m.parameters, "method", false, &method, NULL), 1);
        assert_string_equal(method, "x.y.Z");
        varlink_reply_message_done(&m);

        text = "{\"continues\":true}";
        assert_int_equal(varlink_reply_message_parse(text, strlen(text), 64, &m, NULL), 0);
        assert_null(m.error);
        assert_true(m.continues);
        assert_int_equal(json_object_object_length(m.parameters), 0);
        varlink_reply_message_done(&m);

        text = "{\"error\":\"nodots\"}";
        assert_int_equal(varlink_reply_message_parse(text, strlen(text), 64, &m, NULL), -EBADMSG);
}

static void names_follow_the_varlink_grammar(void **state) {
        assert_true(varlink_interface_name_is_valid("org.varlink.service"));
        assert_true(varlink_interface_name_is_valid("io.memranged"));
        assert_true(varlink_interface_name_is_valid("a.b-c.9d"));
        assert_false(varlink_interface_name_is_valid("memranged"));
        assert_false(varlink_interface_name_is_valid("9a.b"));
        assert_false(varlink_interface_name_is_valid("a..b"));
        assert_false(varlink_interface_name_is_valid("a.b-"));
        assert_false(varlink_interface_name_is_valid("a.b."));
        assert_false(varlink_interface_name_is_valid("a.b_c"));
        assert_true(varlink_member_name_is_valid("GetInfo"));
        assert_false(varlink_member_name_is_valid("getInfo"));
        assert_false(varlink_member_name_is_valid("Get_Info"));
        assert_false(varlink_member_name_is_valid(""));
        assert_true(varlink_qualified_name_is_valid("io.memranged.GetStatus"));
        assert_false(varlink_qualified_name_is_valid("io.GetStatus"));
        assert_false(varlink_qualified_name_is_valid("io.memranged."));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(json_accepts_rfc8259_and_serialises_compactly),
                cmocka_unit_test(json_accepts_integer_extremes_and_unicode),
                cmocka_unit_test(json_rejects_what_json_c_would_let_through),
                cmocka_unit_test(json_rejects_malformed_and_non_objects),
                cmocka_unit_test(json_rejects_nul_inside_the_text),
                cmocka_unit_test(json_builds_the_tree_json_c_would),
                cmocka_unit_test(json_rejects_bad_escapes_and_structure),
                cmocka_unit_test(json_counts_values_as_it_builds_them),
                cmocka_unit_test(json_depth_limit_counts_nested_containers),
                cmocka_unit_test(getters_return_value_absent_or_wrong_type),
                cmocka_unit_test(builder_keeps_its_first_error),
                cmocka_unit_test(builder_reports_a_failed_allocation),
                cmocka_unit_test(unknown_key_is_reported_by_name),
                cmocka_unit_test(frame_splits_two_messages_from_one_read),
                cmocka_unit_test(frame_rejects_a_message_longer_than_the_limit),
                cmocka_unit_test(frame_accepts_a_message_of_exactly_the_limit),
                cmocka_unit_test(call_envelope_fields_and_defaults),
                cmocka_unit_test(call_envelope_names_the_bad_field),
                cmocka_unit_test(reply_envelope_error_and_continues),
                cmocka_unit_test(names_follow_the_varlink_grammar),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dispatcher's checks and the table they come from: the method table
 * of an interface must declare what its description declares, and a call
 * passes the access rule, then the parameter names of the description,
 * before its handler runs. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "strv.h"
#include "varlink-idl.h"
#include "varlink-test-util.h"

/* ---- the description parser ---- */

static void assert_parameters(const struct varlink_idl_methods *m, const char *method, const char *joined) {
        const struct varlink_idl_method *x = varlink_idl_methods_find(m, method);
        _cleanup_(freep) char *got = NULL;

        assert_non_null(x);
        got = strv_join_quoted(x->parameters);
        assert_non_null(got);
        assert_string_equal(got, joined);
}

static void description_gives_each_method_its_parameter_names(void **state) {
        static const char idl[] =
                "# method Commented(x: int) -> ()\n"
                "interface org.example.idl\n"
                "type Point (x: int, y: int, method: string)\n"
                "method None() -> ()\n"
                "method Many(\n"
                "  # a comment between parameters, with a ',' and a ')'\n"
                "  types: ?[]string,\n"
                "  where: ?(start: int, end: int),\n"
                "  tags: [string]string,\n"
                "  mode: (one, two),\n"
                "  point: Point\n"
                ") -> (method: string, nested: (method: int))\n"
                "method Last(force: ?bool) -> ()\n"
                "error Failed (method: string)\n";
        struct varlink_idl_methods m = {};

        assert_int_equal(varlink_idl_parse_methods(idl, &m), 0);
        assert_int_equal(m.n, 3);
        assert_parameters(&m, "None", "");
        assert_parameters(&m, "Many", "types where tags mode point");
        assert_parameters(&m, "Last", "force");
        assert_null(varlink_idl_methods_find(&m, "Commented"));
        assert_null(varlink_idl_methods_find(&m, "Point"));
        varlink_idl_methods_clear(&m);
}

static void malformed_method_declarations_are_refused(void **state) {
        static const char *const bad[] = {
                "interface a.b\nmethod Open(x: int -> ()\n",
                "interface a.b\nmethod NoColon(x int) -> ()\n",
                "interface a.b\nmethod (x: int) -> ()\n",
                "interface a.b\nmethod NoParens -> ()\n",
                "interface a.b\nmethod Extra() -> ())\n",
        };
        struct varlink_idl_methods m = { .n = 12345 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(varlink_idl_parse_methods(bad[i], &m), -EBADMSG);
                assert_int_equal(m.n, 12345); /* untouched */
        }
}

/* ---- org.example.guarded ---- */

struct guard {
        bool trusted;           /* what caller_is_trusted answers */
        unsigned handled;       /* handler calls */
        unsigned refused;       /* refuse_unknown_parameter calls */
};

static int method_ok(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct guard *g = userdata;

        g->handled++;
        return varlink_call_reply(call, NULL);
}

static bool guard_trusts(const struct varlink_call *call, void *userdata) {
        const struct guard *g = userdata;

        return g->trusted;
}

static int guard_refuses(struct varlink_call *call, const char *parameter, void *userdata) {
        struct guard *g = userdata;
        struct json_object *p = json_object_new_object();

        g->refused++;
        assert_int_equal(mj_add(p, "name", json_object_new_string(parameter)), 0);
        return varlink_call_error(call, "org.example.guarded.Unknown", p);
}

static const char guarded_idl[] =
        "interface org.example.guarded\n"
        "method Open(x: ?int) -> ()\n"
        "method Trusted(level: ?int) -> ()\n"
        "method Root(force: ?bool) -> ()\n"
        "error Hidden ()\n"
        "error Unknown (name: string)\n";

static const struct varlink_method guarded_methods[] = {
        { "Open", method_ok, 0, VARLINK_ACCESS_ANYONE },
        { "Trusted", method_ok, 0, VARLINK_ACCESS_TRUSTED },
        { "Root", method_ok, 0, VARLINK_ACCESS_ROOT },
        {},
};

static const struct varlink_interface guarded_interface = {
        .name = "org.example.guarded",
        .description = guarded_idl,
        .methods = guarded_methods,
        .caller_is_trusted = guard_trusts,
        .untrusted_error = "org.example.guarded.Hidden",
        .refuse_unknown_parameter = guard_refuses,
};

static void access_is_checked_before_parameters_and_both_before_the_handler(void **state) {
        struct guard g = {};
        struct fx fx;
        struct client c;

        fx_start(&fx, NULL);
        assert_int_equal(varlink_server_add_interface(fx.server, &guarded_interface, &g), 0);
        client_open(&fx, &c);

        /* Untrusted: the access error, whatever the parameters. */
        call_expect_error(&fx, &c, "{\"method\":\"org.example.guarded.Trusted\",\"parameters\":{\"bogus\":1}}",
                          "org.example.guarded.Hidden", NULL, NULL);
        call_expect_error(&fx, &c, "{\"method\":\"org.example.guarded.Trusted\",\"parameters\":{\"level\":1}}",
                          "org.example.guarded.Hidden", NULL, NULL);
        assert_int_equal(g.refused, 0);
        assert_int_equal(g.handled, 0);

        /* Trusted: a parameter the description does not declare is refused
         * through the interface's hook, before the handler. */
        g.trusted = true;
        call_expect_error(&fx, &c,
                          "{\"method\":\"org.example.guarded.Trusted\",\"parameters\":{\"level\":1,\"bogus\":1}}",
                          "org.example.guarded.Unknown", "name", "bogus");
        assert_int_equal(g.refused, 1);
        assert_int_equal(g.handled, 0);
        client_call(&fx, &c, "{\"method\":\"org.example.guarded.Trusted\",\"parameters\":{\"level\":1}}");
        json_object_put(client_recv(&fx, &c));
        assert_int_equal(g.handled, 1);

        /* Root only: an unknown parameter is named only to root. */
        if (geteuid() == 0)
                call_expect_error(&fx, &c, "{\"method\":\"org.example.guarded.Root\",\"parameters\":{\"bogus\":1}}",
                                  "org.example.guarded.Unknown", "name", "bogus");
        else
                call_expect_error(&fx, &c, "{\"method\":\"org.example.guarded.Root\",\"parameters\":{\"bogus\":1}}",
                                  "org.varlink.service.PermissionDenied", NULL, NULL);
        assert_int_equal(g.handled, 1);

        /* Open to anyone, parameters still checked. */
        call_expect_error(&fx, &c, "{\"method\":\"org.example.guarded.Open\",\"parameters\":{\"y\":1}}",
                          "org.example.guarded.Unknown", "name", "y");
        client_call(&fx, &c, "{\"method\":\"org.example.guarded.Open\",\"parameters\":{\"x\":1}}");
        json_object_put(client_recv(&fx, &c));
        assert_int_equal(g.handled, 2);

        /* Without a hook the standard error names the parameter. */
        call_expect_error(&fx, &c, "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":{\"x\":1}}",
                          "org.varlink.service.InvalidParameter", "parameter", "x");
        assert_still_served(&fx, &c);
        client_close(&c);
        fx_stop(&fx);
}

/* ---- registration ---- */

static void table_and_description_must_declare_the_same_methods(void **state) {
        static const struct varlink_method missing_from_idl[] = {
                { "Open", method_ok, 0, VARLINK_ACCESS_ANYONE },
                { "Trusted", method_ok, 0, VARLINK_ACCESS_TRUSTED },
                { "Root", method_ok, 0, VARLINK_ACCESS_ROOT },
                { "Extra", method_ok, 0, VARLINK_ACCESS_ANYONE },
                {},
        };
        static const struct varlink_method missing_from_table[] = {
                { "Open", method_ok, 0, VARLINK_ACCESS_ANYONE },
                { "Root", method_ok, 0, VARLINK_ACCESS_ROOT },
                {},
        };
        static const struct varlink_method listed_twice[] = {
                { "Open", method_ok, 0, VARLINK_ACCESS_ANYONE },
                { "Trusted", method_ok, 0, VARLINK_ACCESS_TRUSTED },
                { "Open", method_ok, 0, VARLINK_ACCESS_ANYONE },
                {},
        };
        struct varlink_interface iface = guarded_interface;
        struct guard g = {};
        struct fx fx;

        fx_start(&fx, NULL);
        iface.methods = missing_from_idl;
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);
        iface.methods = missing_from_table;
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);
        iface.methods = listed_twice;
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);

        /* TRUSTED needs the hook and the error. */
        iface = guarded_interface;
        iface.caller_is_trusted = NULL;
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);
        iface = guarded_interface;
        iface.untrusted_error = "Hidden";
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);

        /* A description that does not parse. */
        iface = guarded_interface;
        iface.description = "interface org.example.guarded\nmethod Open(x: ?int -> ()\n";
        assert_int_equal(varlink_server_add_interface(fx.server, &iface, &g), -EINVAL);

        /* None of those left a trace: the right one still registers. */
        assert_int_equal(varlink_server_add_interface(fx.server, &guarded_interface, &g), 0);
        fx_stop(&fx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(description_gives_each_method_its_parameter_names),
                cmocka_unit_test(malformed_method_declarations_are_refused),
                cmocka_unit_test(access_is_checked_before_parameters_and_both_before_the_handler),
                cmocka_unit_test(table_and_description_must_declare_the_same_methods),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

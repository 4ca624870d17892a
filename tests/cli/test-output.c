/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of memrangectl's output layer: lsmem-style sizes, ranges, id
 * lists, column selection and the --summary rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "memrangectl.h"

/* output.c reports selection errors through cli_error(); the real one lives
 * in memrangectl.c with main(). */
void cli_error(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static const char *human(uint64_t bytes) {
        static char buf[32];
        return out_format_human(bytes, buf, sizeof(buf));
}

static void test_human_size_whole_units(void **state) {
        assert_string_equal(human(0), "0B");
        assert_string_equal(human(1023), "1023B");
        assert_string_equal(human(1024), "1K");
        assert_string_equal(human(128ull << 20), "128M");
        assert_string_equal(human(1ull << 30), "1G");
        assert_string_equal(human(12ull << 30), "12G");
        assert_string_equal(human(1ull << 60), "1E");
}

static void test_human_size_one_rounded_decimal(void **state) {
        /* 0x9fbff - 0x1000 + 1 = 650240 = 635 KiB exactly (x86 low RAM). */
        assert_string_equal(human(650240), "635K");
        /* 1.875 GiB (15 of 16 blocks online) rounds half up to 1.9G. */
        assert_string_equal(human(15ull << 27), "1.9G");
        /* 0x11fe0000 = 287.875 MiB. */
        assert_string_equal(human(0x11fe0000), "287.9M");
        /* 1.650390625 GiB: the digit after the point is 6, then 5... -> 1.7G. */
        assert_string_equal(human(0x69a00000), "1.7G");
        /* 1.04 KiB rounds down to no decimal at all. */
        assert_string_equal(human(1065), "1K");
        /* 1023.96 KiB rounds up into the next whole number, like lsmem. */
        assert_string_equal(human(1048535), "1024K");
        /* The largest value still formats without overflow. */
        assert_string_equal(human(UINT64_MAX), "16E");
}

static void test_size_in_bytes(void **state) {
        char buf[32];

        assert_string_equal(out_format_size(134217728, true, buf, sizeof(buf)), "134217728");
        assert_string_equal(out_format_size(134217728, false, buf, sizeof(buf)), "128M");
}

static void test_range_is_inclusive_hex(void **state) {
        char buf[OUT_RANGE_MAX];

        assert_string_equal(out_format_range(0x1000, 0x9fc00, buf, sizeof(buf)),
                            "0x0000000000001000-0x000000000009fbff");
        assert_string_equal(out_format_range(0xfd00000000, 0x10000000000, buf, sizeof(buf)),
                            "0x000000fd00000000-0x000000ffffffffff");
        /* An empty range shows its start only. */
        assert_string_equal(out_format_range(0x2000, 0x2000, buf, sizeof(buf)), "0x0000000000002000");
}

static const struct out_column columns[] = {
        { "RANGE", 0, 0, OUT_JSON_STRING, "" },
        { "START", 0, 0, OUT_JSON_NUMBER, "" },
        { "SIZE", 0, 0, OUT_JSON_SIZE, "" },
        { "TYPE", 0, 0, OUT_JSON_STRING, "" },
};
static const size_t defaults[] = { 0, 2, 3 };

static int select_with(const char *list, bool all, struct out_selection *sel) {
        struct out_opts o = { .columns = list, .output_all = all };
        return out_select("test", columns, ELEMENTSOF(columns), defaults, ELEMENTSOF(defaults), &o, sel);
}

static void test_select_defaults_replace_and_append(void **state) {
        struct out_selection sel;

        assert_int_equal(select_with(NULL, false, &sel), 0);
        assert_int_equal(sel.n, 3);
        assert_int_equal(sel.idx[0], 0);
        assert_int_equal(sel.idx[1], 2);
        assert_int_equal(sel.idx[2], 3);

        /* A plain list replaces the defaults, names are case-insensitive. */
        assert_int_equal(select_with("type,start", false, &sel), 0);
        assert_int_equal(sel.n, 2);
        assert_int_equal(sel.idx[0], 3);
        assert_int_equal(sel.idx[1], 1);

        /* "+COL" appends to the defaults, as lsblk does. */
        assert_int_equal(select_with("+START", false, &sel), 0);
        assert_int_equal(sel.n, 4);
        assert_int_equal(sel.idx[3], 1);

        assert_int_equal(select_with(NULL, true, &sel), 0);
        assert_int_equal(sel.n, 4);
        assert_int_equal(sel.idx[1], 1);
}

static void test_select_rejects_unknown_and_empty_names(void **state) {
        struct out_selection sel = { .n = 99 };

        assert_int_equal(select_with("RANGE,COLOUR", false, &sel), -EINVAL);
        assert_int_equal(select_with("", false, &sel), -EINVAL);
        assert_int_equal(select_with("RANGE,", false, &sel), -EINVAL);
        assert_int_equal(select_with("+", false, &sel), -EINVAL);
        /* "RANG" is a prefix, not a column. */
        assert_int_equal(select_with("RANG", false, &sel), -EINVAL);
        /* The output parameter is untouched on failure. */
        assert_int_equal(sel.n, 99);
}

static void test_summary_modes_follow_lsmem(void **state) {
        enum out_summary s;
        struct out_opts table = {}, json = { .json = true }, raw = { .raw = true };

        assert_int_equal(out_parse_summary(NULL, &s), 0);
        assert_int_equal(s, SUMMARY_ONLY);
        assert_int_equal(out_parse_summary("never", &s), 0);
        assert_int_equal(s, SUMMARY_NEVER);
        assert_int_equal(out_parse_summary("always", &s), 0);
        assert_int_equal(s, SUMMARY_ALWAYS);
        assert_int_equal(out_parse_summary("sometimes", &s), -EINVAL);

        s = SUMMARY_DEFAULT;
        assert_int_equal(out_resolve_summary("test", &table, &s), 0);
        assert_int_equal(s, SUMMARY_ALWAYS);
        /* JSON and raw output stay a single table. */
        s = SUMMARY_DEFAULT;
        assert_int_equal(out_resolve_summary("test", &json, &s), 0);
        assert_int_equal(s, SUMMARY_NEVER);
        s = SUMMARY_ALWAYS;
        assert_int_equal(out_resolve_summary("test", &raw, &s), 0);
        assert_int_equal(s, SUMMARY_NEVER);
        s = SUMMARY_ONLY;
        assert_int_equal(out_resolve_summary("test", &json, &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_human_size_whole_units),
                cmocka_unit_test(test_human_size_one_rounded_decimal),
                cmocka_unit_test(test_size_in_bytes),
                cmocka_unit_test(test_range_is_inclusive_hex),
                cmocka_unit_test(test_select_defaults_replace_and_append),
                cmocka_unit_test(test_select_rejects_unknown_and_empty_names),
                cmocka_unit_test(test_summary_modes_follow_lsmem),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

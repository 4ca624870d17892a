/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The number, line and id-set parsers every reader relies on. */
#include <string.h>

#include "test-util.h"

static void hex_accepts_prefix_case_and_one_newline(void **state) {
        uint64_t v = 0;

        assert_int_equal(mr_parse_hex_u64("0x1f", &v), 0);
        assert_int_equal(v, 0x1f);
        assert_int_equal(mr_parse_hex_u64("8000000\n", &v), 0);
        assert_int_equal(v, 0x8000000);
        assert_int_equal(mr_parse_hex_u64("0XFFFFFFFFFFFFFFFF", &v), 0);
        assert_true(v == UINT64_MAX);
}

static void hex_rejects_garbage_and_overflow(void **state) {
        uint64_t v = 42;

        assert_int_equal(mr_parse_hex_u64("", &v), -EINVAL);
        assert_int_equal(mr_parse_hex_u64("0x", &v), -EINVAL);
        assert_int_equal(mr_parse_hex_u64("12g4", &v), -EINVAL);
        assert_int_equal(mr_parse_hex_u64(" 12", &v), -EINVAL);
        assert_int_equal(mr_parse_hex_u64("12\n\n", &v), -EINVAL);
        assert_int_equal(mr_parse_hex_u64("10000000000000000", &v), -ERANGE);
        assert_int_equal(v, 42); /* untouched on failure */
}

static void dec_and_int_parse_strictly(void **state) {
        uint64_t v = 0;
        int i = 0;

        assert_int_equal(mr_parse_dec_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(mr_parse_dec_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(mr_parse_dec_u64("-1", &v), -EINVAL);
        assert_int_equal(mr_parse_int("-1\n", &i), 0);
        assert_int_equal(i, -1);
        assert_int_equal(mr_parse_int("2147483648", &i), -ERANGE);
        assert_int_equal(mr_parse_int("-", &i), -EINVAL);
        assert_int_equal(mr_parse_bool01("1\n", &i), 0);
        assert_int_equal(i, 1);
        assert_int_equal(mr_parse_bool01("2", &i), -EINVAL);
        assert_int_equal(mr_parse_bool01("10", &i), -EINVAL);
}

static void next_line_splits_in_place(void **state) {
        char buf[] = "a\n\nbc\nd";
        char *cursor = buf;

        assert_string_equal(mr_next_line(&cursor), "a");
        assert_string_equal(mr_next_line(&cursor), "");
        assert_string_equal(mr_next_line(&cursor), "bc");
        assert_string_equal(mr_next_line(&cursor), "d");
        assert_null(mr_next_line(&cursor));
}

static void idset_parses_kernel_lists(void **state) {
        struct memrange_idset set = {};

        assert_int_equal(memrange_idset_parse("0-3,8,10-11\n", &set), 0);
        assert_int_equal(set.n, 7);
        assert_int_equal(set.ids[0], 0);
        assert_int_equal(set.ids[4], 8);
        assert_int_equal(set.ids[6], 11);
        assert_true(memrange_idset_contains(&set, 10));
        assert_false(memrange_idset_contains(&set, 9));
        memrange_idset_clear(&set);

        assert_int_equal(memrange_idset_parse("\n", &set), 0);
        assert_int_equal(set.n, 0);
        memrange_idset_clear(&set);
}

/* Formatting gives back the kernel's list; copy and difference keep the
 * ids ascending. */
static void idset_formats_copies_and_subtracts(void **state) {
        struct memrange_idset set = {}, copy = {}, other = {}, diff = {}, empty = {};
        char *text = NULL;

        assert_int_equal(memrange_idset_parse("0-3,8,10-11\n", &set), 0);
        assert_int_equal(memrange_idset_to_string(&set, &text), 0);
        assert_string_equal(text, "0-3,8,10-11");
        free(text);
        assert_int_equal(memrange_idset_to_string(&empty, &text), 0);
        assert_string_equal(text, "");
        free(text);

        assert_int_equal(memrange_idset_copy(&set, &copy), 0);
        assert_int_equal(copy.n, set.n);
        assert_ptr_not_equal(copy.ids, set.ids);
        assert_memory_equal(copy.ids, set.ids, set.n * sizeof(*set.ids));

        assert_int_equal(memrange_idset_parse("1,3-9,12", &other), 0);
        assert_int_equal(memrange_idset_difference(&set, &other, &diff), 0);
        assert_int_equal(memrange_idset_to_string(&diff, &text), 0);
        assert_string_equal(text, "0,2,10-11");
        free(text);
        memrange_idset_clear(&diff);
        assert_int_equal(memrange_idset_difference(&set, &copy, &diff), 0);
        assert_int_equal(diff.n, 0);
        assert_null(diff.ids);
        assert_int_equal(memrange_idset_difference(&empty, &set, &diff), 0);
        assert_int_equal(diff.n, 0);
        assert_int_equal(memrange_idset_difference(&set, &empty, &diff), 0);
        assert_int_equal(diff.n, set.n);
        memrange_idset_clear(&diff);
        memrange_idset_clear(&empty);
        memrange_idset_clear(&other);
        memrange_idset_clear(&copy);
        memrange_idset_clear(&set);
}

static void idset_rejects_bad_lists(void **state) {
        struct memrange_idset set = {};

        assert_int_equal(memrange_idset_parse("3-1", &set), -ERANGE);
        assert_int_equal(memrange_idset_parse("0-4294967295", &set), -ERANGE);
        assert_int_equal(memrange_idset_parse("1,,2", &set), -EINVAL);
        assert_int_equal(memrange_idset_parse("0-3,", &set), -EINVAL);
        assert_int_equal(memrange_idset_parse("2,1", &set), -EINVAL);
        assert_int_equal(memrange_idset_parse("0-1x", &set), -EINVAL);
        assert_int_equal(memrange_idset_parse("a", &set), -EINVAL);
        assert_null(set.ids);
}

static void names_round_trip(void **state) {
        char buf[128];

        for (int t = 0; t < _MEMRANGE_TYPE_MAX; t++)
                assert_int_equal(memrange_type_from_name(memrange_type_to_name(t)), t);
        for (uint32_t bit = 1; bit & _MEMRANGE_F_ALL; bit <<= 1)
                assert_int_equal(memrange_flag_from_name(memrange_flag_to_name(bit)), (int) bit);
        for (uint32_t bit = 1; bit & _MEMRANGE_SRC_ALL; bit <<= 1)
                assert_int_equal(memrange_source_from_name(memrange_source_to_name(bit)), (int) bit);
        assert_int_equal(memrange_type_from_name("bogus"), -EINVAL);
        assert_string_equal(memrange_flags_format(MEMRANGE_F_OFFLINE | MEMRANGE_F_HOTPLUG, ",", buf, sizeof(buf)),
                            "hotplug,offline");
        assert_string_equal(memrange_sources_format(0, ",", buf, sizeof(buf)), "");
        /* Too small for "driver-managed,hotplug": whole names only. */
        assert_string_equal(memrange_flags_format(MEMRANGE_F_DRIVER_MANAGED | MEMRANGE_F_HOTPLUG, ",", buf, 20),
                            "driver-managed");
        assert_string_equal(memrange_flags_format(MEMRANGE_F_DRIVER_MANAGED, ",", buf, 8), "");
}

static void list_append_keeps_names_aligned(void **state) {
        struct memrange_list list = {};
        struct memrange r = { .start = 1, .end = 2 };

        assert_int_equal(memrange_list_append(&list, &r, NULL), 0);
        assert_null(list.names);
        assert_int_equal(memrange_list_append(&list, &r, "second"), 0);
        assert_int_equal(list.n, 2);
        assert_null(list.names[0]);
        assert_string_equal(list.names[1], "second");
        memrange_list_clear(&list);
        assert_int_equal(list.n, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(hex_accepts_prefix_case_and_one_newline),
                cmocka_unit_test(hex_rejects_garbage_and_overflow),
                cmocka_unit_test(dec_and_int_parse_strictly),
                cmocka_unit_test(next_line_splits_in_place),
                cmocka_unit_test(idset_parses_kernel_lists),
                cmocka_unit_test(idset_rejects_bad_lists),
                cmocka_unit_test(idset_formats_copies_and_subtracts),
                cmocka_unit_test(names_round_trip),
                cmocka_unit_test(list_append_keeps_names_aligned),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

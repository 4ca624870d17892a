/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TODO(owner): being written. */
#include "test-util.h"

static void placeholder(void **state) {
        skip();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(placeholder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

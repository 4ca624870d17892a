/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged's record of the crash image it loaded: what is written is read
 * back the same, its path follows the socket, and a damaged record is
 * refused naming the file and line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-private.h"
#include "reload-record.h"
#include "test-util.h"

#define RECORD_TEXT                                                         \
        "state=done\n"                                                      \
        "boot_id=e9290565-d369-4540-90fe-c7b781846e0c\n"                    \
        "generation=2\n"                                                    \
        "policy=kexec-tools-x86\n"                                          \
        "arch=x86_64\n"                                                     \
        "cpus=0-1,3\n"                                                      \
        "range=0x1000-0x9fbff backup\n"                                     \
        "range=0x100000-0x1dffffff\n"                                       \
        "range=0x2e000000-0x3ffdffff\n"                                     \
        "range=0x100000000-0x13fffffff\n"

static void path(struct scratch *s, char *buf, size_t size) {
        snprintf(buf, size, "%s/" RELOAD_RECORD_NAME, s->path);
}

static void record_reads_the_dimm_hot_add_and_writes_it_back_the_same(void **state) {
        struct reload_record rec = {}, again = {};
        struct scratch s;
        char p[512], *text;
        size_t len;

        scratch_init(&s);
        scratch_write(&s, RELOAD_RECORD_NAME, RECORD_TEXT, (size_t) -1);
        path(&s, p, sizeof(p));
        assert_int_equal(reload_record_read(p, &rec), 0);
        assert_true(rec.done);
        assert_string_equal(rec.boot_id, "e9290565-d369-4540-90fe-c7b781846e0c");
        assert_int_equal(rec.generation, 2);
        assert_int_equal(rec.ranges->policy, MEMRANGE_DUMP_KEXEC_TOOLS_X86);
        assert_int_equal(rec.ranges->arch, MEMRANGE_ARCH_X86_64);
        assert_int_equal(rec.ranges->n, 4);
        assert_int_equal(rec.ranges->ranges[0].start, 0x1000);
        assert_int_equal(rec.ranges->ranges[0].end, 0x9fc00); /* exclusive */
        assert_int_equal(rec.ranges->ranges[0].flags, MEMRANGE_DUMP_F_BACKUP);
        assert_int_equal(rec.ranges->ranges[3].start, 0x100000000);
        assert_int_equal(rec.ranges->ranges[3].end, 0x140000000);
        assert_int_equal(rec.ranges->ranges[3].flags, 0);
        assert_int_equal(rec.ranges->cpus.n, 3);
        assert_int_equal(rec.ranges->cpus.ids[2], 3);

        /* Pending, written over it: read back equal, the rest unchanged. */
        rec.done = false;
        assert_int_equal(reload_record_write(p, &rec), 0);
        assert_int_equal(reload_record_read(p, &again), 0);
        assert_false(again.done);
        assert_string_equal(again.boot_id, rec.boot_id);
        assert_int_equal(again.generation, 2);
        assert_true(memrange_dump_ranges_equal(again.ranges, rec.ranges));
        assert_int_equal(again.ranges->cpus.n, 3);
        assert_memory_equal(again.ranges->cpus.ids, rec.ranges->cpus.ids, 3 * sizeof(unsigned));
        reload_record_clear(&again);
        rec.done = true;
        assert_int_equal(reload_record_write(p, &rec), 0);
        {
                struct memrange_ctx *ctx = scratch_ctx(&s);

                assert_int_equal(mr_read_file(ctx, RELOAD_RECORD_NAME, RELOAD_RECORD_MAX, &text, &len), 0);
                memrange_ctx_unref(ctx);
        }
        assert_non_null(strstr(text, RECORD_TEXT));
        free(text);
        reload_record_clear(&rec);
        scratch_free(&s);
}

static void record_path_is_next_to_the_socket(void **state) {
        char *p;

        p = reload_record_path("/tmp/x/memranged.sock", "/run/memranged/io.memranged");
        assert_string_equal(p, "/tmp/x/" RELOAD_RECORD_NAME);
        free(p);
        p = reload_record_path(NULL, "/run/memranged/io.memranged");
        assert_string_equal(p, "/run/memranged/kdump-loaded");
        free(p);
}

static void missing_record_is_enoent(void **state) {
        struct reload_record rec = {};
        struct scratch s;
        char p[512];

        scratch_init(&s);
        path(&s, p, sizeof(p));
        assert_int_equal(reload_record_read(p, &rec), -ENOENT);
        assert_null(rec.ranges);
        scratch_free(&s);
}

static void damaged_record_is_refused_naming_the_line(void **state) {
        static const struct {
                const char *text, *message;
        } cases[] = {
                { "state=maybe\npolicy=kernel\n", ":1: expected state done or pending, got 'maybe'" },
                { "state=done\npolicy=sometimes\n", ":2: unknown dump policy 'sometimes'" },
                { "state=done\npolicy=kernel\nrange=0x2000-0x1000\n", ":3: empty or unbounded range" },
                { "state=done\npolicy=kernel\nrange=0x1000-0x1fff\nrange=0x1000-0x2fff\n",
                  ":4: range out of order or overlapping" },
                { "state=done\npolicy=kernel\nrange=4096-8191\n", ":3: expected 0xSTART-0xEND" },
                { "state=done\npolicy=kernel\nrange=0x1000-0x1fff dirty\n", ":3: unknown range flag" },
                { "state=done\npolicy=kernel\ncolour=blue\n", ":3: unknown key in 'colour'" },
                { "state=done\npolicy=kernel\ncpus=3-1\n", ":3: expected a CPU list, got '3-1'" },
                { "state=done\npolicy=kernel\ngeneration=-1\n", ":3: expected a generation number" },
                { "state=done\n# no policy\n", ": no policy= line" },
                { "policy=kernel\n", ": no state= line" },
                { "state=done\npolicy=kernel\nno equals sign\n", ":3: expected key=value" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct reload_record rec = {};
                struct stderr_capture cap;
                struct scratch s;
                char p[512], want[600], *log;
                int r;

                scratch_init(&s);
                scratch_write(&s, RELOAD_RECORD_NAME, cases[i].text, (size_t) -1);
                path(&s, p, sizeof(p));
                stderr_capture_begin(&cap);
                r = reload_record_read(p, &rec);
                log = stderr_capture_end(&cap);
                assert_int_equal(r, -EBADMSG);
                assert_null(rec.ranges);
                snprintf(want, sizeof(want), "%s%s", p, cases[i].message);
                if (!strstr(log, want))
                        fail_msg("case %zu: expected '%s' in '%s'", i, want, log);
                free(log);
                scratch_free(&s);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(record_reads_the_dimm_hot_add_and_writes_it_back_the_same),
                cmocka_unit_test(record_path_is_next_to_the_socket),
                cmocka_unit_test(missing_record_is_enoent),
                cmocka_unit_test(damaged_record_is_refused_naming_the_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

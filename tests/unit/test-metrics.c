/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics renderer (varlink/memranged-metrics.c): the text format's
 * escapes, HELP and TYPE once per family and before its samples, the
 * families present online and offline, values in seconds, and the table
 * totals it counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memranged-metrics.h"
#include "test-util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static char *render(const struct memranged_metrics *m) {
        char *text = NULL;
        size_t len = 0;

        assert_int_equal(memranged_metrics_render(m, &text, &len), 0);
        assert_int_equal(strlen(text), len);
        return text;
}

/* A line of @text equal to @line. */
static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

static struct memranged_metrics everything(void) {
        return (struct memranged_metrics) {
                .has_table = true, .ranges = 12, .ram_online = 3 * GiB, .ram_offline = 128 * MiB,
                .findings = { 4, 1, 2 },
                .has_daemon = true, .version = "0.1.0", .generation = 7,
                .rescans = { 1, 5, 2, 1 }, .rebuild_failures = 3, .uevents = { 40, 9, 1, 2 },
                .has_kdump = true, .kdump_loaded = 1, .kdump_up_to_date = false,
                .kdump_stale_since_usec = UINT64_C(1765000000123456),
                .reloads_succeeded = 2, .reloads_failed = 3,
                .has_last_reload = true, .last_reload_duration_usec = 1500000,
        };
}

static void test_label_value_escapes_backslash_quote_and_newline(void **state) {
        struct memranged_metrics m = everything();
        _cleanup_(freep) char *text = NULL;

        m.version = "1.0\"rc\\2\nx";
        text = render(&m);
        assert_true(has_line(text, "memranged_info{version=\"1.0\\\"rc\\\\2\\nx\"} 1"));
        /* The newline did not end the line. */
        assert_false(has_line(text, "x\"} 1"));
}

/* Every "# HELP name" once, "# TYPE name" right after it, then that
 * family's samples and nothing of another family in between. */
static void test_help_and_type_once_per_family_before_its_samples(void **state) {
        struct memranged_metrics m = everything();
        _cleanup_(freep) char *text = render(&m);
        char seen[32][80] = {}, current[80] = "";
        size_t n_seen = 0, samples = 0;
        bool expect_type = false;
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[80];

                if (strncmp(line, "# HELP ", 7) == 0) {
                        assert_false(expect_type);
                        assert_int_equal(sscanf(line + 7, "%79s", name), 1);
                        for (size_t i = 0; i < n_seen; i++)
                                assert_string_not_equal(seen[i], name);
                        assert_true(n_seen < 32);
                        strcpy(seen[n_seen++], name);
                        strcpy(current, name);
                        expect_type = true;
                } else if (strncmp(line, "# TYPE ", 7) == 0) {
                        char type[16];

                        assert_true(expect_type);
                        assert_int_equal(sscanf(line + 7, "%79s %15s", name, type), 2);
                        assert_string_equal(name, current);
                        /* Counters end in _total, the others do not. */
                        assert_int_equal(strcmp(type, "counter") == 0,
                                         strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0);
                        expect_type = false;
                } else {
                        size_t len = strcspn(line, "{ ");

                        assert_false(expect_type);
                        assert_true(current[0]);
                        assert_int_equal(len, strlen(current));
                        assert_memory_equal(line, current, len);
                        samples++;
                }
        }
        assert_int_equal(n_seen, 13);
        assert_int_equal(samples, 23);
}

static void test_seconds_keep_microseconds_and_unknown_load_has_no_sample(void **state) {
        struct memranged_metrics m = everything();
        _cleanup_(freep) char *text = NULL, *unknown = NULL;

        text = render(&m);
        assert_true(has_line(text, "memranged_reload_duration_seconds 1.500000"));
        assert_true(has_line(text, "memranged_kdump_stale_since_timestamp_seconds 1765000000.123456"));
        assert_true(has_line(text, "memranged_kdump_loaded 1"));
        assert_true(has_line(text, "memranged_reloads_total{result=\"failure\"} 3"));
        assert_true(has_line(text, "memranged_uevents_total{outcome=\"lost\"} 2"));
        assert_true(has_line(text, "memranged_rescans_total{reason=\"lost-events\"} 1"));
        assert_true(has_line(text, "memranged_memory_bytes{state=\"offline\"} 134217728"));
        assert_true(has_line(text, "memranged_findings{severity=\"error\"} 2"));

        m.kdump_loaded = -1;
        m.has_last_reload = false;
        unknown = render(&m);
        assert_null(strstr(unknown, "memranged_kdump_loaded"));
        assert_null(strstr(unknown, "memranged_reload_duration_seconds"));
        assert_true(has_line(unknown, "memranged_kdump_up_to_date 0"));
}

static void test_offline_has_only_the_table_families(void **state) {
        struct memranged_metrics m = { .has_table = true, .ranges = 3, .ram_online = GiB, .kdump_loaded = -1 };
        _cleanup_(freep) char *text = render(&m);
        size_t families = 0;

        for (const char *p = strstr(text, "# TYPE "); p; p = strstr(p + 1, "# TYPE "))
                families++;
        assert_int_equal(families, 3);
        assert_true(has_line(text, "# TYPE memranged_ranges gauge"));
        assert_true(has_line(text, "# TYPE memranged_memory_bytes gauge"));
        assert_true(has_line(text, "# TYPE memranged_findings gauge"));
        assert_true(has_line(text, "memranged_memory_bytes{state=\"online\"} 1073741824"));
        assert_null(strstr(text, "memranged_info"));
        assert_null(strstr(text, "memranged_generation"));
        assert_null(strstr(text, "kdump"));
}

static void test_table_totals_count_ram_by_state_and_findings_by_severity(void **state) {
        struct memrange_table *table = NULL;
        struct memrange_finding items[] = {
                { .severity = MEMRANGE_SEVERITY_ERROR }, { .severity = MEMRANGE_SEVERITY_INFO },
                { .severity = MEMRANGE_SEVERITY_ERROR }, { .severity = 9 /* unknown: not counted */ },
        };
        struct memrange_findings findings = { .n = ELEMENTSOF(items), .items = items };
        struct memranged_metrics m = { .ranges = 99, .ram_online = 99 };

        assert_int_equal(memrange_table_new(&table), 0);
        assert_int_equal(memrange_table_add(table, &(struct memrange) { .start = 0, .end = 2 * GiB,
                                                                        .type = MEMRANGE_TYPE_RAM, .nid = MEMRANGE_NID_NONE }), 0);
        assert_int_equal(memrange_table_add(table, &(struct memrange) { .start = 2 * GiB, .end = 3 * GiB,
                                                                        .type = MEMRANGE_TYPE_RESERVED, .nid = MEMRANGE_NID_NONE }), 0);
        assert_int_equal(memrange_table_add(table, &(struct memrange) { .start = 4 * GiB, .end = 4 * GiB + 256 * MiB,
                                                                        .type = MEMRANGE_TYPE_RAM,
                                                                        .flags = MEMRANGE_F_OFFLINE, .nid = MEMRANGE_NID_NONE }), 0);
        memranged_metrics_set_table(&m, table, &findings);
        assert_true(m.has_table);
        assert_int_equal(m.ranges, 3);
        assert_int_equal(m.ram_online, 2 * GiB);
        assert_int_equal(m.ram_offline, 256 * MiB);
        assert_int_equal(m.findings[MEMRANGE_SEVERITY_INFO], 1);
        assert_int_equal(m.findings[MEMRANGE_SEVERITY_WARNING], 0);
        assert_int_equal(m.findings[MEMRANGE_SEVERITY_ERROR], 2);

        memranged_metrics_set_table(&m, NULL, NULL);
        assert_int_equal(m.ranges + m.ram_online + m.ram_offline + m.findings[MEMRANGE_SEVERITY_ERROR], 0);
        memrange_table_free(table);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_label_value_escapes_backslash_quote_and_newline),
                cmocka_unit_test(test_help_and_type_once_per_family_before_its_samples),
                cmocka_unit_test(test_seconds_keep_microseconds_and_unknown_load_has_no_sample),
                cmocka_unit_test(test_offline_has_only_the_table_families),
                cmocka_unit_test(test_table_totals_count_ram_by_state_and_findings_by_severity),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

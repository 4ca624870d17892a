/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/memranged.conf: every setting, the value syntaxes, and what a
 * malformed file does (each problem named by file:line, bad values keep
 * the value they had). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "test-util.h"

/* The daemon's log (stderr) is where file:line goes. */

/* Parses @text over the defaults; returns the error count, *ret_log what
 * was logged (caller frees). */
static int parse_logged(struct config *c, const char *text, char **ret_log) {
        struct stderr_capture cap;
        int r;

        config_init(c);
        stderr_capture_begin(&cap);
        r = config_parse(c, "test.conf", text);
        *ret_log = stderr_capture_end(&cap);
        return r;
}

/* ---------------------------------------------------------------------------
 * Settings
 */

static void test_defaults_are_the_documented_ones(void **state) {
        struct config c;

        config_init(&c);
        assert_int_equal(c.quiet_window, 250 * USEC_PER_MSEC);
        assert_int_equal(c.max_delay, 2 * USEC_PER_SEC);
        assert_int_equal(c.log_level, LOG_INFO);
        assert_int_equal(c.max_connections, 256);
        assert_int_equal(c.max_connections_per_user, 16);
        assert_int_equal(c.max_message_size, 1024 * 1024);
        assert_int_equal(c.max_output_queue, 4 * 1024 * 1024);
        assert_null(c.kdump.mode);
        assert_null(c.kdump.command);
        /* Off by default: no file in node_exporter's directory unless asked. */
        assert_null(c.metrics_directory);
        config_done(&c);
}

static void test_every_setting_is_read(void **state) {
        static const char text[] =
                "# memranged.conf\n"
                "[Daemon]\n"
                "QuietWindowSec=0.5\n"
                "MaxDelaySec = 3s\n"
                "LogLevel=debug\n"
                "\n"
                "[Socket]\n"
                "MaxConnections=100\n"
                "MaxConnectionsPerUser=4\n"
                "MaxMessageSize=2M\n"
                "MaxOutputQueue=512K\n"
                "; the reload engine's settings\n"
                "[Kdump]\n"
                "Mode=kexec-tools\n"
                "Kernel=/boot/vmlinuz-6.1.0-56-amd64\n"
                "Initrd=/var/lib/kdump/initrd.img\n"
                "CommandLine=console=ttyS0 irqpoll nr_cpus=1 reset_devices\n"
                "Command=kdumpctl reload\n";
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, text, &log), 0);
        assert_string_equal(log, "");
        assert_int_equal(c.quiet_window, 500 * USEC_PER_MSEC);
        assert_int_equal(c.max_delay, 3 * USEC_PER_SEC);
        assert_int_equal(c.log_level, LOG_DEBUG);
        assert_int_equal(c.max_connections, 100);
        assert_int_equal(c.max_connections_per_user, 4);
        assert_int_equal(c.max_message_size, 2 * 1024 * 1024);
        assert_int_equal(c.max_output_queue, 512 * 1024);
        assert_string_equal(c.kdump.mode, "kexec-tools");
        assert_string_equal(c.kdump.kernel, "/boot/vmlinuz-6.1.0-56-amd64");
        assert_string_equal(c.kdump.initrd, "/var/lib/kdump/initrd.img");
        /* Only the first '=' separates the key. */
        assert_string_equal(c.kdump.command_line, "console=ttyS0 irqpoll nr_cpus=1 reset_devices");
        assert_string_equal(c.kdump.command, "kdumpctl reload");
        config_done(&c);
}

static void test_later_assignment_wins_and_empty_restores_default(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "[Daemon]\nMaxDelaySec=5\nMaxDelaySec=1\nQuietWindowSec=1\n"
                                          "QuietWindowSec=\n[Kdump]\nKernel=/a\nKernel=\n", &log), 0);
        assert_int_equal(c.max_delay, 1 * USEC_PER_SEC);
        assert_int_equal(c.quiet_window, 250 * USEC_PER_MSEC);
        assert_null(c.kdump.kernel);
        config_done(&c);
}

static void test_crlf_and_indentation_are_accepted(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "  [Socket]  \r\n\tMaxConnections\t=\t32 \r\n   # note\r\n", &log), 0);
        assert_int_equal(c.max_connections, 32);
        config_done(&c);
}

/* ---------------------------------------------------------------------------
 * Malformed files
 */

static void test_unknown_key_and_section_are_warnings_naming_the_line(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "[Daemon]\nQuietWindow=1\n[Network]\nPort=1\n[Socket]\nMaxConnections=9\n",
                                      &log), 0);
        assert_non_null(strstr(log, "<4>test.conf:2: unknown key QuietWindow= in [Daemon]"));
        assert_non_null(strstr(log, "<4>test.conf:3: unknown section [Network]"));
        assert_null(strstr(log, "Port")); /* keys of an unknown section are not repeated */
        assert_int_equal(c.quiet_window, 250 * USEC_PER_MSEC);
        assert_int_equal(c.max_connections, 9);
        config_done(&c);
}

static void test_invalid_value_is_an_error_and_keeps_the_previous_value(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "[Daemon]\nQuietWindowSec=0.1\nQuietWindowSec=fast\nLogLevel=loud\n"
                                          "MaxDelaySec=2h\n[Socket]\nMaxConnections=0\nMaxMessageSize=1T\n",
                                      &log),
                         5);
        assert_non_null(strstr(log, "<3>test.conf:3: invalid QuietWindowSec=fast"));
        assert_non_null(strstr(log, "<3>test.conf:4: invalid LogLevel=loud"));
        /* h is no unit: the message names only units that parse (the
         * spans table checks 60min and 1.5min). */
        assert_non_null(strstr(log, "<3>test.conf:5: invalid MaxDelaySec=2h (expected a time span such as 0.25, "
                                    "250ms, 2s or 1.5min, at most 60min)"));
        assert_non_null(strstr(log, "<3>test.conf:7: invalid MaxConnections=0"));
        assert_non_null(strstr(log, "<3>test.conf:8: invalid MaxMessageSize=1T"));
        assert_int_equal(c.quiet_window, 100 * USEC_PER_MSEC);
        assert_int_equal(c.log_level, LOG_INFO);
        assert_int_equal(c.max_delay, 2 * USEC_PER_SEC);
        assert_int_equal(c.max_connections, 256);
        assert_int_equal(c.max_message_size, 1024 * 1024);
        config_done(&c);
}

static void test_malformed_lines_are_errors_naming_the_line(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "LogLevel=debug\n[Daemon\n[]\n[Daemon]\njust words\n=5\n", &log), 5);
        assert_non_null(strstr(log, "<3>test.conf:1: LogLevel= outside of any section"));
        assert_non_null(strstr(log, "<3>test.conf:2: invalid section header '[Daemon'"));
        assert_non_null(strstr(log, "<3>test.conf:3: invalid section header '[]'"));
        assert_non_null(strstr(log, "<3>test.conf:5: expected Key=Value"));
        assert_non_null(strstr(log, "<3>test.conf:6: missing key"));
        assert_int_equal(c.log_level, LOG_INFO);
        config_done(&c);
}

static void test_overlong_line_is_an_error(void **state) {
        char text[CONFIG_LINE_MAX + 64];
        _cleanup_(freep) char *log = NULL;
        struct config c;

        memset(text, 'x', sizeof(text));
        memcpy(text, "[Kdump]\nCommandLine=", 20);
        text[sizeof(text) - 1] = '\0';
        assert_int_equal(parse_logged(&c, text, &log), 1);
        assert_non_null(strstr(log, "test.conf:2: line longer than"));
        assert_null(c.kdump.command_line);
        config_done(&c);
}

/* ---------------------------------------------------------------------------
 * Files
 */

static void test_load_missing_file_is_fine_unless_required(void **state) {
        struct config c;
        struct stderr_capture cap;
        _cleanup_(freep) char *log = NULL;

        config_init(&c);
        assert_int_equal(config_load(&c, "/nonexistent/memranged.conf", false), 0);
        stderr_capture_begin(&cap);
        assert_int_equal(config_load(&c, "/nonexistent/memranged.conf", true), -ENOENT);
        log = stderr_capture_end(&cap);
        assert_non_null(strstr(log, "/nonexistent/memranged.conf"));
        config_done(&c);
}

static void test_load_reads_a_file_and_refuses_oversized_or_nul(void **state) {
        struct scratch s;
        char path[512], big[CONFIG_FILE_MAX + 2];
        struct stderr_capture cap;
        struct config c;
        _cleanup_(freep) char *log = NULL;

        scratch_init(&s);
        scratch_write(&s, "ok.conf", "[Daemon]\nQuietWindowSec=750ms\n", (size_t) -1);
        memset(big, '#', sizeof(big));
        scratch_write(&s, "big.conf", big, sizeof(big));
        scratch_write(&s, "nul.conf", "[Daemon]\nLogLevel=debug\0\n", 25);

        config_init(&c);
        snprintf(path, sizeof(path), "%s/ok.conf", s.path);
        assert_int_equal(config_load(&c, path, true), 0);
        assert_int_equal(c.quiet_window, 750 * USEC_PER_MSEC);

        stderr_capture_begin(&cap);
        snprintf(path, sizeof(path), "%s/big.conf", s.path);
        assert_int_equal(config_load(&c, path, true), -EFBIG);
        snprintf(path, sizeof(path), "%s/nul.conf", s.path);
        assert_int_equal(config_load(&c, path, true), 1);
        log = stderr_capture_end(&cap);
        assert_non_null(strstr(log, "NUL"));
        assert_int_equal(c.log_level, LOG_INFO);
        config_done(&c);
        scratch_free(&s);
}

/* ---------------------------------------------------------------------------
 * Value syntaxes, copies, change log
 */

static void test_timespan_syntax(void **state) {
        static const struct {
                const char *text;
                int r;
                usec_t usec;
        } cases[] = {
                { "0.25", 0, 250000 }, { "250ms", 0, 250000 }, { "2", 0, 2000000 }, { "2s", 0, 2000000 },
                { "2sec", 0, 2000000 }, { "1.5min", 0, 90000000 }, { "100us", 0, 100 }, { "0", 0, 0 },
                { "3600", 0, 3600000000 }, { "3601", -ERANGE, 0 }, { "60min", 0, 3600000000 },
                { "1.", -EINVAL, 0 }, { ".5", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "1 s", -EINVAL, 0 },
                { "", -EINVAL, 0 }, { "1h", -EINVAL, 0 }, { "9999999999999", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                usec_t v = 12345;
                int r = config_parse_timespan(cases[i].text, &v);

                if (r != cases[i].r || (r == 0 && v != cases[i].usec) || (r < 0 && v != 12345))
                        fail_msg("'%s': got %d %llu", cases[i].text, r, (unsigned long long) v);
        }
}

static void test_size_and_log_level_syntax(void **state) {
        size_t z = 0;
        int level = -1;

        assert_int_equal(config_parse_size("1M", &z), 0);
        assert_int_equal(z, 1048576);
        assert_int_equal(config_parse_size("512K", &z), 0);
        assert_int_equal(z, 524288);
        assert_int_equal(config_parse_size("4096", &z), 0);
        assert_int_equal(z, 4096);
        assert_int_equal(config_parse_size("1G", &z), 0);
        assert_int_equal(z, 1073741824);
        assert_int_equal(config_parse_size("1MB", &z), -EINVAL);
        assert_int_equal(config_parse_size("k", &z), -EINVAL);
        assert_int_equal(config_parse_size("", &z), -EINVAL);

        assert_int_equal(config_parse_log_level("warning", &level), 0);
        assert_int_equal(level, LOG_WARNING);
        assert_int_equal(config_parse_log_level("7", &level), 0);
        assert_int_equal(level, LOG_DEBUG);
        assert_int_equal(config_parse_log_level("8", &level), -EINVAL);
        assert_int_equal(config_parse_log_level("Info", &level), -EINVAL);
        assert_string_equal(config_log_level_to_string(LOG_NOTICE), "notice");
}

static void test_metrics_directory_must_be_absolute_and_empty_unsets_it(void **state) {
        _cleanup_(freep) char *log = NULL;
        struct config c;

        assert_int_equal(parse_logged(&c, "[Metrics]\nDirectory=/var/lib/prometheus/node-exporter\n"
                                          "Directory=prometheus\n", &log), 1);
        assert_non_null(strstr(log, "<3>test.conf:3: invalid Directory=prometheus (expected an absolute path)"));
        assert_string_equal(c.metrics_directory, "/var/lib/prometheus/node-exporter");
        assert_int_equal(config_parse(&c, "again.conf", "[Metrics]\nDirectory=\n"), 0);
        assert_null(c.metrics_directory);
        config_done(&c);
}

static void test_copy_is_deep_and_changes_are_logged(void **state) {
        struct config a, b;
        _cleanup_(freep) char *log = NULL;
        struct stderr_capture cap;

        config_init(&a);
        assert_int_equal(config_parse(&a, "a.conf", "[Kdump]\nCommand=kdump-config reload\n"), 0);
        assert_int_equal(config_copy(&a, &b), 0);
        assert_ptr_not_equal(a.kdump.command, b.kdump.command);
        assert_string_equal(b.kdump.command, "kdump-config reload");
        assert_int_equal(config_parse(&b, "b.conf", "[Daemon]\nQuietWindowSec=500ms\n[Kdump]\nCommand=\n"), 0);

        stderr_capture_begin(&cap);
        assert_int_equal(config_log_changes(&a, &b), 2);
        assert_int_equal(config_log_changes(&a, &a), 0);
        log = stderr_capture_end(&cap);
        assert_non_null(strstr(log, "[Daemon] QuietWindowSec: 250ms -> 500ms"));
        assert_non_null(strstr(log, "[Kdump] Command: kdump-config reload -> (unset)"));
        config_done(&a);
        config_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_are_the_documented_ones),
                cmocka_unit_test(test_every_setting_is_read),
                cmocka_unit_test(test_later_assignment_wins_and_empty_restores_default),
                cmocka_unit_test(test_crlf_and_indentation_are_accepted),
                cmocka_unit_test(test_unknown_key_and_section_are_warnings_naming_the_line),
                cmocka_unit_test(test_invalid_value_is_an_error_and_keeps_the_previous_value),
                cmocka_unit_test(test_malformed_lines_are_errors_naming_the_line),
                cmocka_unit_test(test_overlong_line_is_an_error),
                cmocka_unit_test(test_load_missing_file_is_fine_unless_required),
                cmocka_unit_test(test_load_reads_a_file_and_refuses_oversized_or_nul),
                cmocka_unit_test(test_timespan_syntax),
                cmocka_unit_test(test_size_and_log_level_syntax),
                cmocka_unit_test(test_metrics_directory_must_be_absolute_and_empty_unsets_it),
                cmocka_unit_test(test_copy_is_deep_and_changes_are_logged),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Debian's /etc/default/kdump-tools read without a shell: the assignments
 * kdump-config uses, shell quoting and expansion, what is refused (each
 * named by file:line), word splitting of kexec arguments and the capture
 * kernel's command line rules. */
#include <errno.h>
#include <string.h>

#include "kdump-cmdline.h"
#include "kdump-settings.h"
#include "test-util.h"

/* Parses @text as "test.conf"; returns the error count, *ret_log what was
 * logged (caller frees). */
static int parse_logged(const char *text, struct kdump_settings *s, char **ret_log) {
        struct stderr_capture cap;
        int r;

        stderr_capture_begin(&cap);
        r = kdump_settings_parse("test.conf", text, s);
        *ret_log = stderr_capture_end(&cap);
        return r;
}

/* The lines of kdump-tools 1.8's /etc/default/kdump-tools (Debian 12)
 * that are not comments, with some of its comments around them. */
static const char debian_default[] =
        "# kdump-tools configuration\n"
        "# ---------------------------------------------------------------------------\n"
        "# USE_KDUMP - controls kdump will be configured\n"
        "#     0 - kdump kernel will not be loaded\n"
        "#     1 - kdump kernel will be loaded and kdump is configured\n"
        "#\n"
        "USE_KDUMP=1\n"
        "\n"
        "KDUMP_KERNEL=/var/lib/kdump/vmlinuz\n"
        "KDUMP_INITRD=/var/lib/kdump/initrd.img\n"
        "\n"
        "KDUMP_COREDIR=\"/var/crash\"\n"
        "#KDUMP_FAIL_CMD=\"reboot -f\"\n"
        "#DEBUG_KERNEL=\n"
        "#MAKEDUMP_ARGS=\"-c -d 31\"\n"
        "#KDUMP_KEXEC_ARGS=\"\"\n"
        "#KDUMP_CMDLINE=\"\"\n"
        "#KDUMP_CMDLINE_APPEND=\"reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb\"\n"
        "#SSH=\"<user at server>\"\n";

static void debian_default_file_names_the_var_lib_kdump_kernel(void **state) {
        struct kdump_settings s;
        char *log;

        assert_int_equal(parse_logged(debian_default, &s, &log), 0);
        assert_string_equal(log, "");
        assert_true(s.use_kdump);
        assert_string_equal(s.kernel, "/var/lib/kdump/vmlinuz");
        assert_string_equal(s.initrd, "/var/lib/kdump/initrd.img");
        assert_null(s.kexec_args);
        assert_null(s.cmdline);
        assert_null(s.cmdline_append);
        kdump_settings_done(&s);
        free(log);
}

static void quotes_escapes_and_expansion_follow_the_shell(void **state) {
        static const char text[] =
                "KDUMP_CMDLINE='root=/dev/vda1 ro $HOME \"x\"'\n"
                "KDUMP_KEXEC_ARGS=\"--elf64-core-headers \\\"q\\\" \\$X \\\\ tail\"\n"
                "BASE=/srv\n"
                "KDUMP_KERNEL=$BASE/vmlinuz-\"6.1 a\"'b'\n"
                "KDUMP_INITRD=${BASE}/initrd\\ x#y # a comment\n"
                "  export USE_KDUMP=yes\n"
                "KDUMP_CMDLINE_APPEND=\"nr_cpus=1 # not a comment\n"
                " irqpoll $UNSET$\"\n";
        struct kdump_settings s;
        char *log;

        assert_int_equal(parse_logged(text, &s, &log), 0);
        assert_string_equal(log, "");
        assert_string_equal(s.cmdline, "root=/dev/vda1 ro $HOME \"x\"");
        assert_string_equal(s.kexec_args, "--elf64-core-headers \"q\" $X \\ tail");
        assert_string_equal(s.kernel, "/srv/vmlinuz-6.1 ab");
        assert_string_equal(s.initrd, "/srv/initrd x#y");
        assert_true(s.use_kdump);
        assert_string_equal(s.cmdline_append, "nr_cpus=1 # not a comment\n irqpoll $");
        kdump_settings_done(&s);
        free(log);
}

static void use_kdump_zero_empty_or_unset_disables_kdump(void **state) {
        static const struct {
                const char *text;
                bool enabled;
        } cases[] = {
                { "USE_KDUMP=1\n", true },  { "USE_KDUMP=0\n", false }, { "USE_KDUMP=\n", false },
                { "KDUMP_KERNEL=/k\n", false }, { "USE_KDUMP=1\nUSE_KDUMP=0\n", false },
                { "USE_KDUMP=\"0\"\n", false }, { "USE_KDUMP=true\n", true },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct kdump_settings s;

                assert_int_equal(kdump_settings_parse("t", cases[i].text, &s), 0);
                if (s.use_kdump != cases[i].enabled)
                        fail_msg("'%s': use_kdump %d", cases[i].text, s.use_kdump);
                kdump_settings_done(&s);
        }
}

static void empty_values_are_unset_and_the_last_assignment_wins(void **state) {
        struct kdump_settings s;

        assert_int_equal(kdump_settings_parse("t", "KDUMP_KERNEL=/a\nKDUMP_KERNEL=''\nKDUMP_INITRD=/x\n"
                                                    "KDUMP_INITRD=/y\n",
                                              &s),
                         0);
        assert_null(s.kernel);
        assert_string_equal(s.initrd, "/y");
        kdump_settings_done(&s);
}

static void shell_code_is_refused_line_by_line_and_the_rest_counts(void **state) {
        static const char text[] =
                "USE_KDUMP=1\n"                          /* 1 */
                "KDUMP_KERNEL=$(ls /boot | tail -1)\n"   /* 2: command substitution */
                "KDUMP_INITRD=`cat /x`\n"                /* 3: command substitution */
                "KDUMP_CMDLINE=a b\n"                    /* 4: runs b */
                "if [ -e /x ]; then\n"                   /* 5: not an assignment */
                "KDUMP_KEXEC_ARGS=${X:-y}\n"             /* 6: unsupported expansion */
                "fi\n"                                   /* 7: not an assignment */
                "KDUMP_CMDLINE_APPEND=ok;x\n"            /* 8: a second command */
                "\tKDUMP_COREDIR=/var/crash # fine\n";   /* 9 */
        struct kdump_settings s;
        char *log;

        assert_int_equal(parse_logged(text, &s, &log), 7);
        for (unsigned line = 2; line <= 8; line++) {
                char want[32];

                snprintf(want, sizeof(want), "test.conf:%u: ", line);
                if (!strstr(log, want))
                        fail_msg("no error for line %u in: %s", line, log);
        }
        assert_null(strstr(log, "test.conf:1:"));
        assert_null(strstr(log, "test.conf:9:"));
        assert_non_null(strstr(log, "test.conf:2: command substitution $(...) is not supported"));
        assert_true(s.use_kdump);
        assert_null(s.kernel);
        assert_null(s.initrd);
        assert_null(s.cmdline);
        assert_null(s.kexec_args);
        assert_null(s.cmdline_append);
        kdump_settings_done(&s);
        free(log);
}

static void unterminated_quote_ends_the_file_at_its_line(void **state) {
        struct kdump_settings s;
        char *log;

        assert_int_equal(parse_logged("USE_KDUMP=1\nKDUMP_CMDLINE=\"abc\nKDUMP_KERNEL=/x\n", &s, &log), 1);
        assert_non_null(strstr(log, "test.conf:2: unterminated double quote"));
        assert_true(s.use_kdump);
        assert_null(s.cmdline);
        assert_null(s.kernel);
        kdump_settings_done(&s);
        free(log);
}

static void file_is_read_through_the_sysroot_and_may_be_missing(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx;
        struct kdump_settings s = {};

        scratch_init(&root);
        ctx = scratch_ctx(&root);
        assert_int_equal(kdump_settings_read(ctx, KDUMP_SETTINGS_PATH, &s), -ENOENT);
        scratch_write(&root, KDUMP_SETTINGS_PATH, debian_default, (size_t) -1);
        assert_int_equal(kdump_settings_read(ctx, KDUMP_SETTINGS_PATH, &s), 0);
        assert_string_equal(s.kernel, "/var/lib/kdump/vmlinuz");
        kdump_settings_done(&s);
        scratch_write(&root, KDUMP_SETTINGS_PATH, "USE_KDUMP=1\0KDUMP_KERNEL=/x\n", 27);
        assert_int_equal(kdump_settings_read(ctx, KDUMP_SETTINGS_PATH, &s), -EBADMSG);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

/* ---------------------------------------------------------------------------
 * Words and command lines
 */

static void kexec_arguments_split_like_the_shell_without_expansion(void **state) {
        char **w;
        size_t n;

        assert_int_equal(shell_split_words("  -d --x 'b c' \"d\\\"e\" f\\ g $HOME\t", &w, &n), 0);
        assert_int_equal(n, 6);
        assert_string_equal(w[0], "-d");
        assert_string_equal(w[1], "--x");
        assert_string_equal(w[2], "b c");
        assert_string_equal(w[3], "d\"e");
        assert_string_equal(w[4], "f g");
        assert_string_equal(w[5], "$HOME");
        assert_null(w[6]);
        strv_free(w);

        assert_int_equal(shell_split_words(NULL, &w, &n), 0);
        assert_int_equal(n, 0);
        assert_null(w[0]);
        strv_free(w);
        assert_int_equal(shell_split_words("-s 'open", &w, &n), -EINVAL);
}

static void joined_words_quote_what_the_shell_would_split(void **state) {
        char *argv[] = { "kexec", "-p", "--command-line=a b", "it's", "", NULL };
        char *text = strv_join_quoted(argv);

        assert_string_equal(text, "kexec -p '--command-line=a b' 'it'\\''s' ''");
        assert_int_equal(strv_length(argv), 5);
        free(text);
}

static void filter_of(const char *cmdline, enum memrange_arch arch, const char *want) {
        char *got;

        assert_int_equal(kdump_cmdline_filter(cmdline, arch, &got), 0);
        if (strcmp(got, want) != 0)
                fail_msg("%s: got '%s', want '%s'", memrange_arch_to_name(arch) ?: "?", got, want);
        free(got);
}

static void capture_cmdline_drops_crashkernel_and_what_kdump_config_drops(void **state) {
        static const char mixed[] = "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=x ro crashkernel=1G-:256M iommu=pt "
                                    "intel_iommu=on hugepages=4 isolcpus=1 quiet iommu.strict=1 foo=\"a b c\" "
                                    "crashkernel abm=1\n";
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        char *fixture;

        /* The DIMM fixture booted with crashkernel=256M. */
        assert_int_equal(mr_read_file(ctx, "proc/cmdline", 4096, &fixture, NULL), 0);
        filter_of(fixture, MEMRANGE_ARCH_X86_64, "console=ttyS0 panic=1 quiet scn=x86_61_dimm offline=33");
        free(fixture);
        memrange_ctx_unref(ctx);

        filter_of(mixed, MEMRANGE_ARCH_X86_64, "root=UUID=x ro quiet iommu.strict=1 foo=\"a b c\" crashkernel");
        filter_of(mixed, MEMRANGE_ARCH_ARM64,
                  "root=UUID=x ro iommu=pt intel_iommu=on quiet foo=\"a b c\" crashkernel");
        filter_of(mixed, MEMRANGE_ARCH_PPC64,
                  "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=x ro iommu=pt intel_iommu=on isolcpus=1 quiet iommu.strict=1 "
                  "foo=\"a b c\" crashkernel");
        filter_of("crashkernel=256M\n", MEMRANGE_ARCH_X86_64, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(debian_default_file_names_the_var_lib_kdump_kernel),
                cmocka_unit_test(quotes_escapes_and_expansion_follow_the_shell),
                cmocka_unit_test(use_kdump_zero_empty_or_unset_disables_kdump),
                cmocka_unit_test(empty_values_are_unset_and_the_last_assignment_wins),
                cmocka_unit_test(shell_code_is_refused_line_by_line_and_the_rest_counts),
                cmocka_unit_test(unterminated_quote_ends_the_file_at_its_line),
                cmocka_unit_test(file_is_read_through_the_sysroot_and_may_be_missing),
                cmocka_unit_test(kexec_arguments_split_like_the_shell_without_expansion),
                cmocka_unit_test(joined_words_quote_what_the_shell_would_split),
                cmocka_unit_test(capture_cmdline_drops_crashkernel_and_what_kdump_config_drops),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

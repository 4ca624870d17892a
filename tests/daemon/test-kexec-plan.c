/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload command memranged builds: from kdump-tools' settings as
 * Debian ships them, from memranged.conf piece by piece, from the running
 * kernel in /boot, Command= mode, and when it tracks only. Never "-u". */
#include <errno.h>
#include <string.h>

#include "kdump-cmdline.h"
#include "config.h"
#include "kexec-plan.h"
#include "test-util.h"

#define RELEASE "6.1.0-56-amd64"
#define APPEND "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb"
/* What memranged adds on x86_64 so that the capture kernel leaves
 * hot-added memory alone. */
#define HOTPLUG_SAFE "acpi_no_memhotplug memhp_default_state=offline"
/* x86_64-6.1-dimm/boot/proc/cmdline without crashkernel=256M. */
#define DIMM_CMDLINE "console=ttyS0 panic=1 quiet scn=x86_61_dimm offline=33"

static const char debian_settings[] = "USE_KDUMP=1\n"
                                      "KDUMP_KERNEL=/var/lib/kdump/vmlinuz\n"
                                      "KDUMP_INITRD=/var/lib/kdump/initrd.img\n"
                                      "KDUMP_COREDIR=\"/var/crash\"\n";

/* A scratch root with the DIMM machine's command line. */
static struct memrange_ctx *machine(struct scratch *root) {
        struct memrange_ctx *fixture = fixture_ctx("x86_64-6.1-dimm/boot");
        char *cmdline;

        assert_int_equal(mr_read_file(fixture, "proc/cmdline", 4096, &cmdline, NULL), 0);
        scratch_init(root);
        scratch_write(root, "proc/cmdline", cmdline, (size_t) -1);
        free(cmdline);
        memrange_ctx_unref(fixture);
        return scratch_ctx(root);
}

/* The plan for memranged.conf @conf on @ctx (x86_64, RELEASE running). */
static void plan_for(struct memrange_ctx *ctx, const char *conf, struct kexec_plan *ret) {
        struct config c;

        config_init(&c);
        assert_int_equal(config_parse(&c, "memranged.conf", conf), 0);
        assert_int_equal(kexec_plan_build(&(const struct kexec_plan_input) {
                                                  .kdump = &c.kdump,
                                                  .config_name = "memranged.conf",
                                                  .ctx = ctx,
                                                  .release = RELEASE,
                                                  .arch = MEMRANGE_ARCH_X86_64,
                                          },
                                          ret),
                         0);
        config_done(&c);
}

static void assert_argv(const struct kexec_plan *p, const char *const *want) {
        size_t i = 0;

        assert_non_null(p->argv);
        for (; want[i]; i++) {
                if (!p->argv[i])
                        fail_msg("argv ends at %zu, want '%s'", i, want[i]);
                if (strcmp(p->argv[i], want[i]) != 0)
                        fail_msg("argv[%zu] = '%s', want '%s'", i, p->argv[i], want[i]);
        }
        if (p->argv[i])
                fail_msg("argv[%zu] = '%s', want the end", i, p->argv[i]);
        /* Loading replaces the crash image: never unload first. */
        for (i = 0; p->argv[i]; i++)
                if (strcmp(p->argv[i], "-u") == 0 || strcmp(p->argv[i], "--unload") == 0)
                        fail_msg("the command unloads: argv[%zu] = '%s'", i, p->argv[i]);
}

static void debian_kdump_tools_settings_give_kexec_p_c_with_the_cmdline_and_default_append(void **state) {
        static const char *const want[] = {
                /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one argument, concatenated */
                "kexec", "-p", "-c", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE,
                "--initrd=/var/lib/kdump/initrd.img", "/var/lib/kdump/vmlinuz", NULL,
        };
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        scratch_write(&root, "etc/default/kdump-tools", debian_settings, (size_t) -1);
        scratch_write(&root, "var/lib/kdump/initrd.img", "", 0);
        plan_for(ctx, "", &p);
        assert_int_equal(p.mode, RELOAD_MODE_KEXEC);
        assert_false(p.owns_loading); /* kdump-tools loads at boot; memranged keeps it current */
        assert_null(p.error);
        assert_non_null(strstr(p.origin, "kdump-tools"));
        assert_argv(&p, want);
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_LOAD);
        assert_false(p.hotplug);
        assert_int_equal(kexec_plan_dump_policy(&p), MEMRANGE_DUMP_AUTO);
        assert_int_equal(p.backoff_max, 300 * USEC_PER_SEC);
        assert_int_equal(p.timeout, 120 * USEC_PER_SEC);
        kexec_plan_done(&p);

        /* kdump-config passes KDUMP_INITRD only when the file exists. */
        scratch_free(&root);
        memrange_ctx_unref(ctx);
        ctx = machine(&root);
        scratch_write(&root, "etc/default/kdump-tools", debian_settings, (size_t) -1);
        plan_for(ctx, "", &p);
        assert_string_equal(p.argv[3], "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE);
        assert_string_equal(p.argv[4], "/var/lib/kdump/vmlinuz");
        assert_null(p.argv[5]);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void kdump_tools_cmdline_append_and_kexec_args_are_used(void **state) {
        static const char *const want[] = {
                /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one argument, concatenated */
                "kexec", "-p", "-c", "-d", "--elf64-core-headers", "--command-line=root=/dev/vda ro nr_cpus=1 irqpoll " HOTPLUG_SAFE,
                "/boot/vmlinuz-x", NULL,
        };
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        scratch_write(&root, "etc/default/kdump-tools",
                      "USE_KDUMP=1\nKDUMP_KERNEL=/boot/vmlinuz-x\nKDUMP_INITRD=/missing\n"
                      "KDUMP_CMDLINE='root=/dev/vda ro'\nKDUMP_CMDLINE_APPEND=\"nr_cpus=1 irqpoll\"\n"
                      "KDUMP_KEXEC_ARGS=\"-d --elf64-core-headers\"\n",
                      (size_t) -1);
        plan_for(ctx, "", &p);
        assert_argv(&p, want);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void without_a_kernel_setting_the_running_kernel_in_boot_is_loaded(void **state) {
        static const char *const want[] = {
                /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one argument, concatenated */
                "kexec", "-p", "-c", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE,
                "--initrd=/boot/initrd.img-" RELEASE, "/boot/vmlinuz-" RELEASE, NULL,
        };
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        /* USE_KDUMP=1 but no kernel anywhere: only tracking. */
        scratch_write(&root, "etc/default/kdump-tools", "USE_KDUMP=1\n", (size_t) -1);
        plan_for(ctx, "", &p);
        assert_int_equal(p.mode, RELOAD_MODE_OFF);
        assert_null(p.argv);
        assert_non_null(strstr(p.origin, "/boot/vmlinuz-" RELEASE " is missing"));
        kexec_plan_done(&p);

        scratch_write(&root, "boot/vmlinuz-" RELEASE, "", 0);
        scratch_write(&root, "boot/initrd.img-" RELEASE, "", 0);
        plan_for(ctx, "", &p);
        assert_int_equal(p.mode, RELOAD_MODE_KEXEC);
        assert_argv(&p, want);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void without_kdump_tools_or_with_use_kdump_0_memranged_only_tracks(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        scratch_write(&root, "boot/vmlinuz-" RELEASE, "", 0);
        plan_for(ctx, "", &p);
        assert_int_equal(p.mode, RELOAD_MODE_OFF);
        assert_null(p.argv);
        assert_null(p.error);
        assert_non_null(strstr(p.origin, "tracking only"));
        kexec_plan_done(&p);

        scratch_write(&root, "etc/default/kdump-tools", "USE_KDUMP=0\nKDUMP_KERNEL=/var/lib/kdump/vmlinuz\n",
                      (size_t) -1);
        plan_for(ctx, "", &p);
        assert_int_equal(p.mode, RELOAD_MODE_OFF);
        assert_non_null(strstr(p.origin, "USE_KDUMP"));
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void memranged_conf_overrides_each_piece_and_owns_loading(void **state) {
        static const char *const want[] = {
                "/opt/fake-kexec", "-p", "-s", "--hotplug", "x y", "--command-line=root=/dev/sda1 irqpoll",
                "--initrd=/i", "/k", NULL,
        };
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        scratch_write(&root, "etc/default/kdump-tools", debian_settings, (size_t) -1);
        plan_for(ctx,
                 "[Kdump]\nMode=kexec\nKernel=/k\nInitrd=/i\nCommandLine=root=/dev/sda1 irqpoll\n"
                 "ExtraArguments=-s --hotplug 'x y'\nKexecPath=/opt/fake-kexec\nMaxBackoffSec=30s\nTimeoutSec=5s\n",
                 &p);
        assert_int_equal(p.mode, RELOAD_MODE_KEXEC);
        assert_true(p.owns_loading);
        assert_string_equal(p.origin, "Mode=kexec in memranged.conf");
        assert_argv(&p, want);
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_FILE_LOAD);
        assert_true(p.hotplug);
        assert_int_equal(kexec_plan_dump_policy(&p), MEMRANGE_DUMP_KERNEL);
        assert_int_equal(p.backoff_max, 30 * USEC_PER_SEC);
        assert_int_equal(p.timeout, 5 * USEC_PER_SEC);
        kexec_plan_done(&p);

        /* Kernel= alone is enough, the rest comes from kdump-tools. */
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_KEXEC);
        assert_true(p.owns_loading);
        assert_string_equal(p.argv[4], "/k");
        assert_null(p.argv[5]);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void locked_down_kernel_is_loaded_with_kexec_file_load(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        scratch_write(&root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n", (size_t) -1);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_string_equal(p.argv[2], "-s");
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_FILE_LOAD);
        kexec_plan_done(&p);

        /* An explicit choice is kept. */
        plan_for(ctx, "[Kdump]\nKernel=/k\nExtraArguments=-c\n", &p);
        assert_string_equal(p.argv[2], "-c");
        assert_string_equal(p.argv[3], "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE);
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_LOAD);
        kexec_plan_done(&p);

        scratch_write(&root, "sys/kernel/security/lockdown", "[none] integrity confidentiality\n", (size_t) -1);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_string_equal(p.argv[2], "-c");
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void command_mode_runs_the_command_through_sh(void **state) {
        static const char *const want[] = { "/bin/sh", "-c", "kdump-config reload", NULL };
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        plan_for(ctx, "[Kdump]\nMode=command\nCommand=kdump-config reload\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_COMMAND);
        assert_true(p.owns_loading);
        assert_argv(&p, want);
        assert_int_equal(p.method, LOAD_METHOD_UNKNOWN);
        kexec_plan_done(&p);

        /* Command= alone picks the mode. */
        plan_for(ctx, "[Kdump]\nCommand=kdump-config reload\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_COMMAND);
        assert_argv(&p, want);
        kexec_plan_done(&p);

        plan_for(ctx, "[Kdump]\nMode=command\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_COMMAND);
        assert_null(p.argv);
        assert_string_equal(p.error, "Mode=command without Command=");
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void incomplete_or_unknown_settings_leave_nothing_to_run_and_say_why(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        plan_for(ctx, "[Kdump]\nMode=kexec-tools\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_OFF);
        assert_null(p.argv);
        assert_string_equal(p.error, "memranged.conf: [Kdump] Mode=kexec-tools is not kexec, command or off");
        kexec_plan_done(&p);

        plan_for(ctx, "[Kdump]\nMode=kexec\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_KEXEC);
        assert_null(p.argv);
        assert_non_null(strstr(p.error, "no kernel to load"));
        kexec_plan_done(&p);

        plan_for(ctx, "[Kdump]\nKernel=/k\nExtraArguments=--append='x\n", &p);
        assert_null(p.argv);
        assert_non_null(strstr(p.error, "unterminated quote"));
        kexec_plan_done(&p);

        plan_for(ctx, "[Kdump]\nMode=off\nKernel=/k\n", &p);
        assert_int_equal(p.mode, RELOAD_MODE_OFF);
        assert_null(p.argv);
        assert_null(p.error);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

static void engine_settings_follow_the_plan(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct reload_engine_settings s;
        struct kexec_plan p;

        plan_for(ctx, "[Kdump]\nKernel=/k\nMaxBackoffSec=0\n", &p);
        kexec_plan_engine_settings(&p, &s);
        assert_int_equal(s.mode, RELOAD_MODE_KEXEC);
        assert_true(s.can_load);
        assert_true(s.owns_loading);
        assert_int_equal(s.method, LOAD_METHOD_KEXEC_LOAD);
        assert_int_equal(s.backoff_min, USEC_PER_SEC);
        assert_int_equal(s.backoff_max, USEC_PER_SEC); /* at least the first delay */
        kexec_plan_done(&p);
        plan_for(ctx, "[Kdump]\nMode=kexec\n", &p);
        kexec_plan_engine_settings(&p, &s);
        assert_false(s.can_load);
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

/* The hotplug-safe parameters: per architecture, never twice, and an
 * administrator's own value of one of them wins. */
static void capture_cmdline_keeps_hot_added_memory_offline_unless_told_otherwise(void **state) {
        static const struct {
                const char *in;
                enum memrange_arch arch;
                const char *want;
        } cases[] = {
                { "root=/dev/vda ro", MEMRANGE_ARCH_X86_64, "root=/dev/vda ro " HOTPLUG_SAFE },
                { "", MEMRANGE_ARCH_X86_64, HOTPLUG_SAFE },
                { "root=/dev/vda", MEMRANGE_ARCH_ARM64, "root=/dev/vda memhp_default_state=offline" },
                { "root=/dev/sda2", MEMRANGE_ARCH_PPC64, "root=/dev/sda2 memhp_default_state=offline" },
                /* The administrator's value, wherever it stands, wins. */
                { "memhp_default_state=online ro", MEMRANGE_ARCH_X86_64,
                  "memhp_default_state=online ro acpi_no_memhotplug" },
                { "ro acpi_no_memhotplug", MEMRANGE_ARCH_X86_64, "ro acpi_no_memhotplug memhp_default_state=offline" },
                { "ro " HOTPLUG_SAFE, MEMRANGE_ARCH_X86_64, "ro " HOTPLUG_SAFE },
                /* Names are whole: a longer name or a value is not the same key. */
                { "acpi_no_memhotplugx memhp_default_state_x=1", MEMRANGE_ARCH_ARM64,
                  "acpi_no_memhotplugx memhp_default_state_x=1 memhp_default_state=offline" },
                { "x=\"memhp_default_state=online\"", MEMRANGE_ARCH_ARM64,
                  "x=\"memhp_default_state=online\" memhp_default_state=offline" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = NULL;

                assert_int_equal(kdump_cmdline_add_hotplug_safety(cases[i].in, cases[i].arch, &got), 0);
                if (strcmp(got, cases[i].want) != 0)
                        fail_msg("'%s': got '%s', want '%s'", cases[i].in, got, cases[i].want);
                free(got);
        }
}

/* argv[2] and argv[3] of step @i, as one string ("-c --hotplug"). */
static void assert_step(const struct kexec_plan *p, size_t i, const char *want2, const char *want3) {
        assert_true(i < p->n_steps);
        assert_string_equal(p->steps[i].argv[2], want2);
        assert_string_equal(p->steps[i].argv[3], want3);
}

/* A kernel that can update a loaded image: auto tries kexec_file_load,
 * then kexec_load --hotplug, then kexec_load; LoadMethod= picks one; the
 * arguments and lockdown win. */
static void load_method_follows_the_kernel_and_the_settings(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        /* No crash_elfcorehdr_size (6.1): kexec_load only. */
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_int_equal(p.n_steps, 1);
        assert_string_equal(p.argv[2], "-c");
        assert_non_null(strstr(p.method_reason, "cannot update"));
        assert_int_equal(kexec_plan_fall_back(&p, "exit status 1"), 0);
        kexec_plan_done(&p);

        scratch_write(&root, "sys/kernel/crash_elfcorehdr_size", "917616\n", (size_t) -1);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_int_equal(p.n_steps, 3);
        assert_step(&p, 0, "-s", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE);
        assert_step(&p, 1, "-c", "--hotplug");
        assert_step(&p, 2, "-c", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE);
        assert_ptr_equal(p.argv, p.steps[0].argv);
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_FILE_LOAD);
        assert_int_equal(kexec_plan_dump_policy(&p), MEMRANGE_DUMP_KERNEL);
        assert_null(p.fallback_reason);
        assert_int_equal(kexec_plan_fall_back(&p, "exit status 255"), 1);
        assert_ptr_equal(p.argv, p.steps[1].argv);
        assert_int_equal(p.method, LOAD_METHOD_KEXEC_LOAD);
        assert_true(p.hotplug);
        assert_string_equal(p.fallback_reason, "kexec_file_load failed (exit status 255)");
        assert_int_equal(kexec_plan_fall_back(&p, "exit status 1"), 1);
        assert_false(p.hotplug);
        assert_int_equal(kexec_plan_dump_policy(&p), MEMRANGE_DUMP_AUTO);
        assert_string_equal(p.fallback_reason, "kexec_load --hotplug failed (exit status 1)");
        assert_int_equal(kexec_plan_fall_back(&p, "exit status 1"), 0);
        assert_ptr_equal(p.argv, p.steps[2].argv);
        kexec_plan_done(&p);

        static const struct {
                const char *conf, *argv2, *argv3;
        } one[] = {
                { "LoadMethod=kexec_load\n", "-c", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE },
                { "LoadMethod=kexec_load_hotplug\n", "-c", "--hotplug" },
                { "LoadMethod=kexec_file_load\n", "-s", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE },
                /* The arguments' own choice wins, nothing added. */
                { "ExtraArguments=-a\n", "-a", "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE },
                { "LoadMethod=kexec_file_load\nExtraArguments=--kexec-syscall\n", "--kexec-syscall",
                  "--command-line=" DIMM_CMDLINE " " APPEND " " HOTPLUG_SAFE },
                { "ExtraArguments=--hotplug\n", "-c", "--hotplug" },
        };
        for (size_t i = 0; i < ELEMENTSOF(one); i++) {
                char conf[256];

                snprintf(conf, sizeof(conf), "[Kdump]\nKernel=/k\n%s", one[i].conf);
                plan_for(ctx, conf, &p);
                assert_null(p.error);
                assert_int_equal(p.n_steps, 1);
                assert_string_equal(p.argv[2], one[i].argv2);
                assert_string_equal(p.argv[3], one[i].argv3);
                kexec_plan_done(&p);
        }

        plan_for(ctx, "[Kdump]\nKernel=/k\nLoadMethod=fastest\n", &p);
        assert_non_null(p.error);
        assert_non_null(strstr(p.error, "LoadMethod=fastest"));
        assert_null(p.argv);
        kexec_plan_done(&p);

        /* Locked down: kexec_load is refused, only kexec_file_load. */
        scratch_write(&root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n", (size_t) -1);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_int_equal(p.n_steps, 1);
        assert_string_equal(p.argv[2], "-s");
        assert_non_null(strstr(p.method_reason, "locked down"));
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

/* The running kernel's memhp_default_state=online is not inherited (it is
 * what makes the capture kernel online hot-added DIMMs); one set in
 * kdump-tools' settings is the administrator's and kept. */
static void running_kernels_onlining_policy_is_not_inherited(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx;
        struct kexec_plan p;

        scratch_init(&root);
        scratch_write(&root, "proc/cmdline",
                      "root=/dev/vda ro memhp_default_state=online crashkernel=256M console=ttyS0\n", (size_t) -1);
        ctx = scratch_ctx(&root);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_string_equal(p.argv[3], "--command-line=root=/dev/vda ro console=ttyS0 " APPEND " " HOTPLUG_SAFE);
        kexec_plan_done(&p);

        scratch_write(&root, "etc/default/kdump-tools",
                      "USE_KDUMP=1\nKDUMP_CMDLINE_APPEND=\"nr_cpus=1 memhp_default_state=online_movable\"\n",
                      (size_t) -1);
        plan_for(ctx, "[Kdump]\nKernel=/k\n", &p);
        assert_string_equal(p.argv[3], "--command-line=root=/dev/vda ro console=ttyS0 nr_cpus=1 "
                                       "memhp_default_state=online_movable acpi_no_memhotplug");
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

/* CommandLine= is the whole line: nothing is added to it. */
static void command_line_setting_is_taken_as_it_is(void **state) {
        struct scratch root;
        struct memrange_ctx *ctx = machine(&root);
        struct kexec_plan p;

        plan_for(ctx, "[Kdump]\nKernel=/k\nCommandLine=root=/dev/vda memhp_default_state=online\n", &p);
        assert_string_equal(p.argv[3], "--command-line=root=/dev/vda memhp_default_state=online");
        kexec_plan_done(&p);
        memrange_ctx_unref(ctx);
        scratch_free(&root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(debian_kdump_tools_settings_give_kexec_p_c_with_the_cmdline_and_default_append),
                cmocka_unit_test(kdump_tools_cmdline_append_and_kexec_args_are_used),
                cmocka_unit_test(without_a_kernel_setting_the_running_kernel_in_boot_is_loaded),
                cmocka_unit_test(without_kdump_tools_or_with_use_kdump_0_memranged_only_tracks),
                cmocka_unit_test(memranged_conf_overrides_each_piece_and_owns_loading),
                cmocka_unit_test(locked_down_kernel_is_loaded_with_kexec_file_load),
                cmocka_unit_test(command_mode_runs_the_command_through_sh),
                cmocka_unit_test(incomplete_or_unknown_settings_leave_nothing_to_run_and_say_why),
                cmocka_unit_test(engine_settings_follow_the_plan),
                cmocka_unit_test(capture_cmdline_keeps_hot_added_memory_offline_unless_told_otherwise),
                cmocka_unit_test(command_line_setting_is_taken_as_it_is),
                cmocka_unit_test(running_kernels_onlining_policy_is_not_inherited),
                cmocka_unit_test(load_method_follows_the_kernel_and_the_settings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload mode and command from memranged.conf, kdump-tools' settings
 * and the running kernel. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kdump-cmdline.h"
#include "kdump-settings.h"
#include "kexec-method.h"
#include "kexec-plan.h"
#include "log.h"
#include "fileio.h"
#include "memrange-cleanup.h"

void kexec_plan_done(struct kexec_plan *p) {
        free(p->origin);
        free(p->error);
        free(p->method_reason);
        free(p->fallback_reason);
        if (p->mode == RELOAD_MODE_COMMAND)
                strv_free(p->argv); /* a kexec plan's argv is one of its steps' */
        for (size_t i = 0; i < p->n_steps; i++)
                strv_free(p->steps[i].argv);
        *p = (struct kexec_plan) {};
}

static int set_text(char **field, const char *format, ...) _printf_(2, 3);
static int set_text(char **field, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

void kexec_plan_use_step(struct kexec_plan *p, size_t i) {
        p->step = i;
        p->argv = p->steps[i].argv;
        p->method = p->steps[i].method;
        p->hotplug = p->steps[i].hotplug;
}

int kexec_plan_fall_back(struct kexec_plan *p, const char *why) {
        const char *failed = load_method_to_string(p->method) ?: "the load";

        if (p->mode != RELOAD_MODE_KEXEC || p->step + 1 >= p->n_steps)
                return 0;
        if (set_text(&p->fallback_reason, "%s%s failed (%s)", failed, p->hotplug ? " --hotplug" : "", why) < 0)
                return -ENOMEM;
        kexec_plan_use_step(p, p->step + 1);
        return 1;
}

/* ---------------------------------------------------------------------------
 * What the machine offers
 */

/* The running kernel's release: proc/sys/kernel/osrelease of the sysroot
 * (what `uname -r` prints there), else this machine's. */
static int running_release(struct memrange_ctx *ctx, char **ret) {
        struct utsname u;

        if (read_line_file_at(memrange_ctx_get_sysroot_fd(ctx), "proc/sys/kernel/osrelease", LINE_FILE_MAX, ret) >= 0 && (*ret)[0])
                return 0;
        if (uname(&u) < 0)
                return negative_errno();
        *ret = strdup(u.release);
        return *ret ? 0 : -ENOMEM;
}

/* The first of @prefixes followed by @release that exists under the
 * sysroot, as an absolute path; NULL when none does. */
static int find_boot_file(struct memrange_ctx *ctx, const char *release, const char *const *prefixes, char **ret) {
        for (; *prefixes; prefixes++) {
                _cleanup_(freep) char *path = NULL;

                if (asprintf(&path, "%s%s", *prefixes, release) < 0)
                        return -ENOMEM;
                if (file_exists_at(memrange_ctx_get_sysroot_fd(ctx), path)) {
                        *ret = TAKE_PTR(path);
                        return 1;
                }
        }
        *ret = NULL;
        return 0;
}

static int running_kernel(struct memrange_ctx *ctx, const char *release, char **ret_kernel, char **ret_initrd) {
        static const char *const kernels[] = { "/boot/vmlinuz-", "/boot/vmlinux-", NULL };
        static const char *const initrds[] = { "/boot/initrd.img-", NULL };
        int r;

        r = find_boot_file(ctx, release, kernels, ret_kernel);
        if (r <= 0)
                return r;
        r = find_boot_file(ctx, release, initrds, ret_initrd);
        return r < 0 ? r : 1;
}

/* ---------------------------------------------------------------------------
 * The pieces of the kexec command
 */

struct pieces {
        char *kernel, *initrd, *cmdline;
        char **args;
};

static void pieces_done(struct pieces *p) {
        free(p->kernel);
        free(p->initrd);
        free(p->cmdline);
        strv_free(p->args);
}

static int dup_into(char **field, const char *s) {
        if (!s)
                return 0;
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

static int choose_kernel(const struct kexec_plan_input *in, const struct kdump_settings *kt, const char *release,
                         struct pieces *p, struct kexec_plan *plan) {
        const struct config_kdump *c = in->kdump;
        int r;

        if (c->kernel || kt->kernel) {
                if (dup_into(&p->kernel, c->kernel ?: kt->kernel) < 0)
                        return -ENOMEM;
                /* kdump-config passes KDUMP_INITRD only when it exists. */
                if (!c->kernel && kt->initrd && file_exists_at(memrange_ctx_get_sysroot_fd(in->ctx), kt->initrd) && dup_into(&p->initrd, kt->initrd) < 0)
                        return -ENOMEM;
        } else {
                r = running_kernel(in->ctx, release, &p->kernel, &p->initrd);
                if (r < 0)
                        return r;
                if (r == 0)
                        return set_text(&plan->error,
                                        "no kernel to load: set Kernel= (or KDUMP_KERNEL in /%s), or install "
                                        "/boot/vmlinuz-%s",
                                        KDUMP_SETTINGS_PATH, release);
        }
        if (c->initrd) {
                free(p->initrd);
                p->initrd = NULL;
                return dup_into(&p->initrd, c->initrd);
        }
        return 0;
}

static int choose_cmdline(const struct kexec_plan_input *in, const struct kdump_settings *kt, struct pieces *p,
                          struct kexec_plan *plan) {
        _cleanup_(freep) char *running = NULL, *base = NULL, *joined = NULL;
        const char *append = kt->cmdline_append ?: KDUMP_DEFAULT_CMDLINE_APPEND;
        int r;

        /* CommandLine= is the whole line, taken as it is. */
        if (in->kdump->command_line)
                return dup_into(&p->cmdline, in->kdump->command_line);
        if (!kt->cmdline) {
                r = read_full_file_at(memrange_ctx_get_sysroot_fd(in->ctx), "proc/cmdline", LINE_FILE_MAX, &running, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return set_text(&plan->error, "cannot read /proc/cmdline (%s): set CommandLine=",
                                        strerror(-r));
                r = kdump_cmdline_filter(running, in->arch, &base);
                if (r < 0)
                        return r;
                /* The crashed kernel's onlining policy is no choice made for
                 * the capture kernel: with "online" it would take the
                 * hot-added memory as its own (see above). */
                kdump_cmdline_drop(base, "memhp_default_state");
        }
        if (asprintf(&joined, "%s%s%s", kt->cmdline ?: base, (kt->cmdline ?: base)[0] ? " " : "", append) < 0)
                return -ENOMEM;
        return kdump_cmdline_add_hotplug_safety(joined, in->arch, &p->cmdline);
}

static int choose_args(const struct kexec_plan_input *in, const struct kdump_settings *kt, struct pieces *p,
                       struct kexec_plan *plan) {
        const char *text = in->kdump->extra_arguments ?: kt->kexec_args;
        int r;

        r = shell_split_words(text, &p->args, NULL);
        if (r == -EINVAL)
                return set_text(&plan->error, "%s: unterminated quote in the kexec arguments '%s'",
                                in->kdump->extra_arguments ? "ExtraArguments=" : "KDUMP_KEXEC_ARGS", text);
        return r;
}

/* The command for one way of loading. */
static int kexec_argv(const struct kexec_plan_input *in, const struct pieces *p, const struct kexec_step *step,
                      char ***ret) {
        struct strv_builder a = {};

        strv_builder_addf(&a, "%s", in->kdump->kexec_path ?: KEXEC_DEFAULT_PATH);
        strv_builder_addf(&a, "-p");
        if (step->syscall_option)
                strv_builder_addf(&a, "%s", step->syscall_option);
        if (step->add_hotplug)
                strv_builder_addf(&a, "--hotplug");
        for (char **w = p->args; w && *w; w++)
                strv_builder_addf(&a, "%s", *w);
        strv_builder_addf(&a, "--command-line=%s", p->cmdline);
        if (p->initrd)
                strv_builder_addf(&a, "--initrd=%s", p->initrd);
        strv_builder_addf(&a, "%s", p->kernel);
        if (a.error) {
                strv_free(a.v);
                return a.error;
        }
        *ret = a.v;
        return 0;
}

static int assemble_kexec(const struct kexec_plan_input *in, struct pieces *p, struct kexec_plan *plan) {
        struct kexec_step steps[KEXEC_STEPS_MAX];
        const char *choice_text = in->kdump->load_method;
        int choice = choice_text ? load_choice_from_string(choice_text) : LOAD_CHOICE_AUTO;
        size_t n = 0;
        int r;

        if (choice < 0)
                return set_text(&plan->error, "%s: [Kdump] LoadMethod=%s is not auto, kexec_load, "
                                "kexec_load_hotplug or kexec_file_load", in->config_name, choice_text);
        r = kexec_method_steps(in->ctx, choice, p->args, steps, &n, &plan->method_reason);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct kexec_step_plan *s = &plan->steps[i];

                *s = (struct kexec_step_plan) {
                        .method = steps[i].method,
                        .hotplug = steps[i].hotplug,
                };
                r = kexec_argv(in, p, &steps[i], &s->argv);
                if (r >= 0)
                        plan->n_steps++;
        }
        if (r < 0)
                return r;
        kexec_plan_use_step(plan, 0);
        return 0;
}

static int build_kexec(const struct kexec_plan_input *in, const struct kdump_settings *kt, struct kexec_plan *plan) {
        _cleanup_(freep) char *release = NULL;
        struct pieces p = {};
        int r;

        r = in->release ? dup_into(&release, in->release) : running_release(in->ctx, &release);
        if (r >= 0)
                r = choose_kernel(in, kt, release, &p, plan);
        if (r >= 0 && !plan->error)
                r = choose_cmdline(in, kt, &p, plan);
        if (r >= 0 && !plan->error)
                r = choose_args(in, kt, &p, plan);
        if (r >= 0 && !plan->error)
                r = assemble_kexec(in, &p, plan);
        pieces_done(&p);
        return r;
}

static int build_command(const struct kexec_plan_input *in, struct kexec_plan *plan) {
        struct strv_builder a = {};

        if (!in->kdump->command)
                return set_text(&plan->error, "Mode=command without Command=");
        strv_builder_addf(&a, KEXEC_SHELL);
        strv_builder_addf(&a, "-c");
        strv_builder_addf(&a, "%s", in->kdump->command);
        if (a.error) {
                strv_free(a.v);
                return a.error;
        }
        plan->argv = a.v;
        return 0;
}

/* ---------------------------------------------------------------------------
 * The mode
 */

/* Mode unset: what memranged.conf or kdump-tools imply. */
static int choose_default_mode(const struct kexec_plan_input *in, int kt_read, const struct kdump_settings *kt,
                               struct kexec_plan *plan) {
        const struct config_kdump *c = in->kdump;
        _cleanup_(freep) char *release = NULL, *kernel = NULL, *initrd = NULL;
        int r;

        plan->owns_loading = true;
        if (c->command) {
                plan->mode = RELOAD_MODE_COMMAND;
                return set_text(&plan->origin, "Command= in %s", in->config_name);
        }
        if (c->kernel) {
                plan->mode = RELOAD_MODE_KEXEC;
                return set_text(&plan->origin, "Kernel= in %s", in->config_name);
        }
        plan->owns_loading = false;
        if (kt_read == -ENOENT)
                return set_text(&plan->origin, "no /%s and no Mode=, Kernel= or Command=: tracking only",
                                KDUMP_SETTINGS_PATH);
        if (kt_read < 0)
                return set_text(&plan->origin, "/%s cannot be read: tracking only", KDUMP_SETTINGS_PATH);
        if (!kt->use_kdump)
                return set_text(&plan->origin, "USE_KDUMP is not set in /%s: tracking only", KDUMP_SETTINGS_PATH);
        r = in->release ? dup_into(&release, in->release) : running_release(in->ctx, &release);
        if (r >= 0 && !kt->kernel)
                r = running_kernel(in->ctx, release, &kernel, &initrd);
        if (r < 0)
                return r;
        if (!kt->kernel && r == 0)
                return set_text(&plan->origin, "/%s names no kernel and /boot/vmlinuz-%s is missing: tracking only",
                                KDUMP_SETTINGS_PATH, release);
        plan->mode = RELOAD_MODE_KEXEC;
        return set_text(&plan->origin, "kdump-tools settings (/%s)", KDUMP_SETTINGS_PATH);
}

static int choose_mode(const struct kexec_plan_input *in, int kt_read, const struct kdump_settings *kt,
                       struct kexec_plan *plan) {
        const char *mode = in->kdump->mode;

        if (!mode)
                return choose_default_mode(in, kt_read, kt, plan);
        plan->owns_loading = true;
        if (strcmp(mode, "off") == 0)
                plan->mode = RELOAD_MODE_OFF;
        else if (strcmp(mode, "kexec") == 0)
                plan->mode = RELOAD_MODE_KEXEC;
        else if (strcmp(mode, "command") == 0)
                plan->mode = RELOAD_MODE_COMMAND;
        else {
                plan->mode = RELOAD_MODE_OFF;
                return set_text(&plan->error, "%s: [Kdump] Mode=%s is not kexec, command or off", in->config_name,
                                mode);
        }
        return set_text(&plan->origin, "Mode=%s in %s", mode, in->config_name);
}

int kexec_plan_build(const struct kexec_plan_input *in, struct kexec_plan *ret) {
        struct kdump_settings kt = {};
        struct kexec_plan plan = {
                .backoff_max = in->kdump->max_backoff < KEXEC_BACKOFF_MIN ? KEXEC_BACKOFF_MIN
                                                                                  : in->kdump->max_backoff,
                .timeout = in->kdump->timeout ?: CONFIG_KDUMP_TIMEOUT_DEFAULT,
        };
        int kt_read, r;

        kt_read = kdump_settings_read(in->ctx, KDUMP_SETTINGS_PATH, &kt);
        r = kt_read == -ENOMEM ? kt_read : choose_mode(in, kt_read, &kt, &plan);
        if (r >= 0 && !plan.error && plan.mode == RELOAD_MODE_KEXEC)
                r = build_kexec(in, &kt, &plan);
        else if (r >= 0 && !plan.error && plan.mode == RELOAD_MODE_COMMAND)
                r = build_command(in, &plan);
        kdump_settings_done(&kt);
        if (r < 0) {
                kexec_plan_done(&plan);
                return r;
        }
        *ret = plan;
        return 0;
}

void kexec_plan_engine_settings(const struct kexec_plan *p, struct reload_engine_settings *ret) {
        *ret = (struct reload_engine_settings) {
                .mode = p->mode,
                .can_load = p->argv != NULL,
                .owns_loading = p->owns_loading,
                .method = p->method,
                .backoff_min = KEXEC_BACKOFF_MIN,
                .backoff_max = p->backoff_max,
        };
}

enum memrange_dump_policy kexec_plan_dump_policy(const struct kexec_plan *p) {
        return p->method == LOAD_METHOD_KEXEC_FILE_LOAD ? MEMRANGE_DUMP_KERNEL : MEMRANGE_DUMP_AUTO;
}

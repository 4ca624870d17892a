/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The order in which memranged's kexec tries the ways of loading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexec-method.h"
#include "fileio.h"
#include "memrange-cleanup.h"
#include "string-table.h"

static const char *const load_choice_table[_LOAD_CHOICE_MAX] = {
        [LOAD_CHOICE_AUTO] = "auto",
        [LOAD_CHOICE_KEXEC_LOAD] = "kexec_load",
        [LOAD_CHOICE_KEXEC_LOAD_HOTPLUG] = "kexec_load_hotplug",
        [LOAD_CHOICE_KEXEC_FILE_LOAD] = "kexec_file_load",
};

DEFINE_STRING_TABLE_TO_STRING(load_choice, enum load_choice)
DEFINE_STRING_TABLE_FROM_STRING(load_choice)

static const struct kexec_step file_load = { "-s", false, false, LOAD_METHOD_KEXEC_FILE_LOAD };
static const struct kexec_step load_hotplug = { "-c", true, true, LOAD_METHOD_KEXEC_LOAD };
static const struct kexec_step load = { "-c", false, false, LOAD_METHOD_KEXEC_LOAD };

static bool has_word(char *const *words, const char *a, const char *b) {
        for (; words && *words; words++)
                if (mr_streq(*words, a) || mr_streq(*words, b))
                        return true;
        return false;
}

/* Integrity or confidentiality lockdown refuses kexec_load; kexec_file_load
 * of a signed kernel works (kdump-config adds -s on Secure Boot too). */
static bool locked_down(struct memrange_ctx *ctx) {
        _cleanup_(freep) char *text = NULL;

        if (read_line_file_at(memrange_ctx_get_sysroot_fd(ctx), "sys/kernel/security/lockdown", LINE_FILE_MAX, &text) < 0)
                return false;
        return !strstr(text, "[none]") && strchr(text, '[');
}

/* The kernel rewrites a loaded image's header after hotplug only with
 * CONFIG_CRASH_HOTPLUG, which also adds this file. */
static bool kernel_updates_images(struct memrange_ctx *ctx) {
        return file_exists_at(memrange_ctx_get_sysroot_fd(ctx), "sys/kernel/crash_elfcorehdr_size");
}

/* The arguments' own choice: the syscall options and --hotplug. */
static bool arguments_choose(char *const *args, struct kexec_step *ret) {
        bool file = has_word(args, "-s", "--kexec-file-syscall");
        bool classic = has_word(args, "-c", "--kexec-syscall");
        bool automatic = has_word(args, "-a", "--kexec-syscall-auto");
        bool hotplug = has_word(args, "--hotplug", NULL);

        if (!file && !classic && !automatic && !hotplug)
                return false;
        *ret = (struct kexec_step) {
                /* --hotplug alone: kexec_load, said explicitly (2.0.27+ would try the file call first). */
                .syscall_option = file || classic || automatic ? NULL : "-c",
                .hotplug = hotplug,
                .method = file ? LOAD_METHOD_KEXEC_FILE_LOAD : automatic ? LOAD_METHOD_UNKNOWN : LOAD_METHOD_KEXEC_LOAD,
        };
        return true;
}

int kexec_method_steps(struct memrange_ctx *ctx, enum load_choice choice, char *const *args,
                       struct kexec_step ret_steps[static KEXEC_STEPS_MAX], size_t *ret_n, char **ret_reason) {
        const char *reason;
        size_t n = 0;

        if (arguments_choose(args, &ret_steps[0])) {
                n = 1;
                reason = "as the kexec arguments say";
        } else if (locked_down(ctx)) {
                ret_steps[n++] = file_load;
                reason = "the kernel is locked down, which refuses kexec_load";
        } else if (choice == LOAD_CHOICE_KEXEC_LOAD) {
                ret_steps[n++] = load;
                reason = "LoadMethod=kexec_load";
        } else if (choice == LOAD_CHOICE_KEXEC_LOAD_HOTPLUG) {
                ret_steps[n++] = load_hotplug;
                reason = "LoadMethod=kexec_load_hotplug";
        } else if (choice == LOAD_CHOICE_KEXEC_FILE_LOAD) {
                ret_steps[n++] = file_load;
                reason = "LoadMethod=kexec_file_load";
        } else if (kernel_updates_images(ctx)) {
                ret_steps[n++] = file_load;
                ret_steps[n++] = load_hotplug;
                ret_steps[n++] = load;
                reason = "LoadMethod=auto: this kernel keeps a loaded image current after hotplug "
                         "(crash_elfcorehdr_size), when loaded so";
        } else {
                ret_steps[n++] = load;
                reason = "LoadMethod=auto: this kernel cannot update a loaded image (no crash_elfcorehdr_size)";
        }
        *ret_reason = strdup(reason);
        if (!*ret_reason)
                return -ENOMEM;
        *ret_n = n;
        return 0;
}

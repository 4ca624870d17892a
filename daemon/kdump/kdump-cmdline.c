/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capture kernel's command line: kdump-config's filter of the running
 * kernel's, and the parameters that keep hot-added memory out of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdump-cmdline.h"
#include "memrange-cleanup.h"

/* Parameters kdump-config drops from /proc/cmdline (kdump_load()). */
static const char *const dropped_everywhere[] = { "crashkernel", "hugepages", "hugepagesz", "abm", NULL };
static const char *const dropped_x86_arm64[] = {
        "isolcpus", "default_hugepagesz", "edac_core.edac_report", "edac_report", "BOOT_IMAGE",
        "processor.max_cstate", NULL,
};
static const char *const dropped_x86[] = { "intel_iommu", "iommu", "intel_idle.max_cstate", NULL };

static bool in_list(const char *const *list, const char *key, size_t len) {
        for (; *list; list++)
                if (strlen(*list) == len && strncmp(*list, key, len) == 0)
                        return true;
        return false;
}

/* Only "key=value" words are dropped, as kdump-config's sed matches
 * "key=". */
static bool dropped(const char *word, size_t len, enum memrange_arch arch) {
        const char *eq = memchr(word, '=', len);
        size_t key = eq ? (size_t) (eq - word) : 0;

        if (!eq)
                return false;
        if (in_list(dropped_everywhere, word, key))
                return true;
        if (arch == MEMRANGE_ARCH_X86_64)
                return in_list(dropped_x86_arm64, word, key) || in_list(dropped_x86, word, key);
        if (arch == MEMRANGE_ARCH_ARM64)
                return in_list(dropped_x86_arm64, word, key) || strncmp(word, "iommu.", 6) == 0;
        return false;
}

/* Length of the parameter at @p: up to a blank outside double quotes, as
 * the kernel splits its command line. */
static size_t parameter_length(const char *p) {
        bool quoted = false;
        size_t n = 0;

        for (; p[n] && (quoted || !strchr(" \t\n", p[n])); n++)
                if (p[n] == '"')
                        quoted = !quoted;
        return n;
}

/* Copies to @out (room for strlen(@in) + 1 bytes; may be @in itself) the
 * parameters of @in that @keep accepts, single spaces between them. */
static void filter_parameters(const char *in, char *out, bool (*keep)(const char *p, size_t len, const void *data),
                              const void *data) {
        char *q = out;

        for (const char *p = in;;) {
                size_t len;

                while (*p && strchr(" \t\n", *p))
                        p++;
                if (!*p)
                        break;
                len = parameter_length(p);
                if (keep(p, len, data)) {
                        if (q > out)
                                *q++ = ' ';
                        memmove(q, p, len); /* q never passes p */
                        q += len;
                }
                p += len;
        }
        *q = '\0';
}

static bool kept_by_kdump_config(const char *p, size_t len, const void *arch) {
        return !dropped(p, len, *(const enum memrange_arch *) arch);
}

int kdump_cmdline_filter(const char *cmdline, enum memrange_arch arch, char **ret) {
        /* The result is never longer than the input. */
        char *out = malloc(strlen(cmdline) + 1);

        if (!out)
                return -ENOMEM;
        filter_parameters(cmdline, out, kept_by_kdump_config, &arch);
        *ret = out;
        return 0;
}

/* The capture kernel must not take memory hot-added to the crashed one as
 * its own RAM: it would online it (memhp_default_state=online, udev rules)
 * and makedumpfile then fails reading it ("ioremap on RAM"). On x86_64
 * the DIMMs are found through ACPI, so ACPI memory hotplug is turned off
 * (RHEL's kdump does the same); everywhere memory that does appear (ACPI,
 * virtio-mem, DAX kmem, ppc64 DLPAR) stays offline. Added only when the
 * command line does not set the parameter already. */
static const char *const hotplug_safe_x86_64[] = { "acpi_no_memhotplug", "memhp_default_state=offline", NULL };
static const char *const hotplug_safe_other[] = { "memhp_default_state=offline", NULL };

static const char *const *hotplug_safe_parameters(enum memrange_arch arch) {
        return arch == MEMRANGE_ARCH_X86_64 ? hotplug_safe_x86_64 : hotplug_safe_other;
}

/* The key of the parameter at @p: up to '=' or its end. */
static size_t key_length(const char *p, size_t len) {
        const char *eq = memchr(p, '=', len);

        return eq ? (size_t) (eq - p) : len;
}

static bool not_named(const char *p, size_t len, const void *key) {
        return key_length(p, len) != strlen(key) || strncmp(p, key, strlen(key)) != 0;
}

void kdump_cmdline_drop(char *cmdline, const char *key) {
        filter_parameters(cmdline, cmdline, not_named, key);
}

/* Whether @cmdline has a parameter named like @param ("key" or "key=..."). */
static bool has_parameter(const char *cmdline, const char *param) {
        size_t key = strcspn(param, "=");

        for (const char *p = cmdline;;) {
                size_t len;

                while (*p && strchr(" \t\n", *p))
                        p++;
                if (!*p)
                        return false;
                len = parameter_length(p);
                if (key_length(p, len) == key && strncmp(p, param, key) == 0)
                        return true;
                p += len;
        }
}

int kdump_cmdline_add_hotplug_safety(const char *cmdline, enum memrange_arch arch, char **ret) {
        _cleanup_(freep) char *out = strdup(cmdline);

        if (!out)
                return -ENOMEM;
        for (const char *const *param = hotplug_safe_parameters(arch); *param; param++) {
                char *longer;

                if (has_parameter(out, *param))
                        continue;
                if (asprintf(&longer, "%s%s%s", out, out[0] ? " " : "", *param) < 0)
                        return -ENOMEM;
                free(out);
                out = longer;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

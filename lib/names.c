/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stable names of the library's enumerations (types, flags, sources, source
 * status, block state, severity, architecture, dump policy): the one place
 * the CLI, the JSON layer and the logs take them from. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memrange-private.h"
#include "string-table.h"

static const char *const type_names[_MEMRANGE_TYPE_MAX] = {
        [MEMRANGE_TYPE_UNKNOWN] = "unknown",
        [MEMRANGE_TYPE_RAM] = "ram",
        [MEMRANGE_TYPE_RESERVED] = "reserved",
        [MEMRANGE_TYPE_ACPI] = "acpi",
        [MEMRANGE_TYPE_ACPI_NVS] = "acpi-nvs",
        [MEMRANGE_TYPE_PMEM] = "pmem",
        [MEMRANGE_TYPE_PMEM_LEGACY] = "pmem-legacy",
        [MEMRANGE_TYPE_SOFT_RESERVED] = "soft-reserved",
        [MEMRANGE_TYPE_UNUSABLE] = "unusable",
        [MEMRANGE_TYPE_CRASHKERNEL] = "crashkernel",
        [MEMRANGE_TYPE_KERNEL] = "kernel",
};

/* Indexed by bit number. */
static const char *const flag_names[] = {
        "driver-managed", "hotplug", "nomap", "mirror", "offline",
        "crashkernel", "rsv-nit", "rsv-kern", "kho-scratch", "crash-low",
};

static const char *const source_names[] = {
        "iomem", "firmware-memmap", "memory-blocks", "memblock",
        "devicetree", "drmem", "numa", "crash",
};

static const char *const source_status_names[] = {
        [MEMRANGE_SOURCE_ABSENT] = "absent",
        [MEMRANGE_SOURCE_OK] = "ok",
        [MEMRANGE_SOURCE_HIDDEN] = "hidden",
        [MEMRANGE_SOURCE_ERROR] = "error",
};

static const char *const block_state_names[] = {
        [MEMRANGE_BLOCK_UNKNOWN] = "unknown",
        [MEMRANGE_BLOCK_ONLINE] = "online",
        [MEMRANGE_BLOCK_OFFLINE] = "offline",
        [MEMRANGE_BLOCK_GOING_OFFLINE] = "going-offline",
};

static const char *const severity_names[] = {
        [MEMRANGE_SEVERITY_INFO] = "info",
        [MEMRANGE_SEVERITY_WARNING] = "warning",
        [MEMRANGE_SEVERITY_ERROR] = "error",
};

static const char *const policy_names[_MEMRANGE_DUMP_POLICY_MAX] = {
        [MEMRANGE_DUMP_KEXEC_TOOLS_X86] = "kexec-tools-x86",
        [MEMRANGE_DUMP_KEXEC_TOOLS_ARM64] = "kexec-tools-arm64",
        [MEMRANGE_DUMP_KEXEC_TOOLS_PPC64] = "kexec-tools-ppc64",
        [MEMRANGE_DUMP_KERNEL] = "kernel",
        [MEMRANGE_DUMP_AUTO] = "auto",
        [MEMRANGE_DUMP_MEMRANGED_ARM64] = "memranged-arm64",
        [MEMRANGE_DUMP_MEMRANGED_PPC64] = "memranged-ppc64",
};

/* The first name of an architecture is the one printed. */
static const struct {
        const char *name;
        enum memrange_arch arch;
} arch_names[] = {
        { "x86_64", MEMRANGE_ARCH_X86_64 },
        { "arm64", MEMRANGE_ARCH_ARM64 },
        { "ppc64", MEMRANGE_ARCH_PPC64 },
        /* uname -m spellings */
        { "aarch64", MEMRANGE_ARCH_ARM64 },
        { "ppc64le", MEMRANGE_ARCH_PPC64 },
};

static int bit_index(uint32_t bit) {
        if (bit == 0 || (bit & (bit - 1)))
                return -1;
        return __builtin_ctz(bit);
}

/* PREFIX_to_name() and PREFIX_from_name() of an enumeration whose values
 * index @table. */
#define DEFINE_NAME_TABLE_LOOKUP(prefix, type, table)                                   \
        _public_ const char *prefix##_to_name(type value) {                             \
                return string_table_to_string(table, ELEMENTSOF(table), value);                     \
        }                                                                               \
        _public_ int prefix##_from_name(const char *name) {                             \
                return string_table_from_string(table, ELEMENTSOF(table), name);                          \
        }

/* The same for bit flags: @table is indexed by bit number, to_name takes
 * one bit, from_name returns the bit. */
#define DEFINE_BIT_NAME_LOOKUP(prefix, type, table)                                     \
        _public_ const char *prefix##_to_name(type bit) {                               \
                int i = bit_index(bit);                                                 \
                return i < 0 ? NULL : string_table_to_string(table, ELEMENTSOF(table), (size_t) i); \
        }                                                                               \
        _public_ int prefix##_from_name(const char *name) {                             \
                int i = string_table_from_string(table, ELEMENTSOF(table), name);                         \
                return i < 0 ? i : (int) (1u << i);                                     \
        }

DEFINE_NAME_TABLE_LOOKUP(memrange_type, enum memrange_type, type_names)
DEFINE_NAME_TABLE_LOOKUP(memrange_source_status, enum memrange_source_status, source_status_names)
DEFINE_NAME_TABLE_LOOKUP(memrange_block_state, enum memrange_block_state, block_state_names)
DEFINE_NAME_TABLE_LOOKUP(memrange_severity, enum memrange_severity, severity_names)
DEFINE_NAME_TABLE_LOOKUP(memrange_dump_policy, enum memrange_dump_policy, policy_names)

DEFINE_BIT_NAME_LOOKUP(memrange_flag, enum memrange_flag, flag_names)
DEFINE_BIT_NAME_LOOKUP(memrange_source, enum memrange_source, source_names)

_public_ const char *memrange_arch_to_name(enum memrange_arch arch) {
        for (size_t i = 0; i < ELEMENTSOF(arch_names); i++)
                if (arch_names[i].arch == arch)
                        return arch_names[i].name;
        return NULL;
}

_public_ int memrange_arch_from_name(const char *name) {
        for (size_t i = 0; name && i < ELEMENTSOF(arch_names); i++)
                if (strcmp(arch_names[i].name, name) == 0)
                        return (int) arch_names[i].arch;
        return -EINVAL;
}

static char *format_bits(uint32_t bits, const char *const *names, size_t n, const char *sep,
                         char *buf, size_t size) {
        size_t used = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                int w;

                if (!(bits & (1u << i)))
                        continue;
                w = snprintf(buf + used, size - used, "%s%s", used ? sep : "", names[i]);
                if (w < 0 || (size_t) w >= size - used) {
                        buf[used] = '\0'; /* keep whole names only */
                        break;
                }
                used += (size_t) w;
        }
        return buf;
}

_public_ char *memrange_flags_format(uint32_t flags, const char *sep, char *buf, size_t size) {
        return format_bits(flags, flag_names, ELEMENTSOF(flag_names), sep, buf, size);
}

_public_ char *memrange_sources_format(uint32_t sources, const char *sep, char *buf, size_t size) {
        return format_bits(sources, source_names, ELEMENTSOF(source_names), sep, buf, size);
}

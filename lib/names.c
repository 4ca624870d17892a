/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stable names of types, flags and sources: used by the CLI, JSON and logs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memrange-private.h"

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

static int bit_index(uint32_t bit) {
        if (bit == 0 || (bit & (bit - 1)))
                return -1;
        return __builtin_ctz(bit);
}

static int lookup(const char *const *names, size_t n, const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcmp(names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

_public_ const char *memrange_type_to_name(enum memrange_type type) {
        return (unsigned) type < _MEMRANGE_TYPE_MAX ? type_names[type] : NULL;
}

_public_ int memrange_type_from_name(const char *name) {
        return lookup(type_names, ELEMENTSOF(type_names), name);
}

_public_ const char *memrange_flag_to_name(enum memrange_flag flag) {
        int i = bit_index(flag);
        return i >= 0 && (size_t) i < ELEMENTSOF(flag_names) ? flag_names[i] : NULL;
}

_public_ int memrange_flag_from_name(const char *name) {
        int i = lookup(flag_names, ELEMENTSOF(flag_names), name);
        return i < 0 ? i : (int) (1u << i);
}

_public_ const char *memrange_source_to_name(enum memrange_source src) {
        int i = bit_index(src);
        return i >= 0 && (size_t) i < ELEMENTSOF(source_names) ? source_names[i] : NULL;
}

_public_ int memrange_source_from_name(const char *name) {
        int i = lookup(source_names, ELEMENTSOF(source_names), name);
        return i < 0 ? i : (int) (1u << i);
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

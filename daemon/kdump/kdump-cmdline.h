/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capture kernel's command line (see kexec-plan.h for where each part
 * comes from). */
#pragma once

#include "memrange.h"

/* The capture kernel's command line from the running one, as kdump-config
 * builds it when KDUMP_CMDLINE is unset: every crashkernel= (the capture
 * kernel must not reserve again), BOOT_IMAGE=, hugepages=... parameter
 * removed, per @arch as kdump-config does; the rest in order, single
 * spaces. Caller frees *ret. */
int kdump_cmdline_filter(const char *cmdline, enum memrange_arch arch, char **ret);

/* @cmdline plus the parameters that keep memory hot-added to the crashed
 * kernel out of the capture kernel's own RAM: acpi_no_memhotplug (x86_64)
 * and memhp_default_state=offline (every architecture), each only when
 * @cmdline does not name it already (the administrator's value wins; a
 * memhp_default_state= of the running kernel's own command line is
 * dropped before, as it is no choice for the capture kernel).
 * Caller frees *ret. */
int kdump_cmdline_add_hotplug_safety(const char *cmdline, enum memrange_arch arch, char **ret);

/* Removes, in place, every parameter of @cmdline named @key ("key" or
 * "key=..."). */
void kdump_cmdline_drop(char *cmdline, const char *key);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * powerpc's /chosen/linux,memory-limit, and whether it is a limit anyone
 * asked for.
 *
 * The kernel (arch/powerpc/kexec/core.c, export_crashk_values()) publishes
 * its memory_limit there for kexec-tools, which leaves every byte at and
 * above it out of a ppc64 crash header. Until 6.1 that property reads 0
 * unless mem= was given. Debian's 6.12 reads the size of the RAM it booted
 * with even without mem= (0x80000000 on a 2 GiB pseries guest), so a plain
 * kexec -p after a DLPAR hot-add dumps none of the new LMBs, although the
 * running kernel uses them. Such a value limits nothing the user chose: it
 * is the boot RAM, stale from the first hot-add on.
 *
 * How it is told apart: mem= on the kernel command line is the only way to
 * ask for a limit (fadump and the crash reservation only ever raise one
 * that mem= set), so without mem= the value reflects boot RAM; as a guard,
 * it must also cut none of the device tree's memory nodes, the RAM firmware
 * described at boot (DLPAR adds LMBs to ibm,dynamic-memory-v2, never
 * memory nodes). Then memranged's view reads 0 for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

#define MEMORY_LIMIT_PATH "proc/device-tree/chosen/linux,memory-limit"
#define CMDLINE_MAX (64u << 10)

/* Whether @cmdline holds a "mem=" word (not "memmap=", not inside a quoted
 * value). */
static bool has_mem_parameter(const char *cmdline) {
        bool quoted = false, word_start = true;

        for (const char *p = cmdline; *p; p++) {
                if (*p == '"')
                        quoted = !quoted;
                if (!quoted && word_start && strncmp(p, "mem=", 4) == 0)
                        return true;
                word_start = !quoted && (*p == ' ' || *p == '\t' || *p == '\n');
        }
        return false;
}

static uint64_t memory_nodes_end(const struct memrange_devicetree *dt) {
        uint64_t end = 0;

        for (size_t i = 0; i < dt->memory.n; i++)
                if (dt->memory.ranges[i].end > end)
                        end = dt->memory.ranges[i].end;
        return end;
}

int mr_dt_read_memory_limit(struct memrange_ctx *ctx, struct memrange_devicetree *dt) {
        _cleanup_(freep) char *cmdline = NULL;
        uint64_t limit = 0;
        int r;

        r = mr_dt_chosen_number(ctx, MEMORY_LIMIT_PATH, &limit);
        if (r == -ENOENT || (r >= 0 && limit == 0))
                return 0;
        if (r < 0)
                return r;
        dt->memory_limit = limit;

        r = mr_read_file(ctx, CMDLINE_PATH, CMDLINE_MAX, &cmdline, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* Without the command line nobody can tell: keep the limit. */
                mr_dbg(ctx, "%s not readable (%s): linux,memory-limit 0x%" PRIx64 " counts as asked for",
                       CMDLINE_PATH, strerror(-r), limit);
                return 0;
        }
        dt->memory_limit_boot_only = !has_mem_parameter(cmdline) && limit >= memory_nodes_end(dt);
        return 0;
}

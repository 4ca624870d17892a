/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the crash and CPU state reader (proc/iomem's Crash
 * kernel lines; sys/kernel/kexec_loaded, kexec_crash_loaded,
 * kexec_crash_size, crash_elfcorehdr_size, vmcoreinfo; the memory and cpu
 * crash_hotplug files; cpu/possible, present, online; cpuN/crash_notes and
 * crash_notes_size) on the scratch sysroot the input describes (see
 * fuzz-sysroot.h). Flags read as 0/1 or -1, sizes as -1 or more,
 * reservations non-empty, notes sorted by CPU. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_flag(int v) {
        if (v < -1 || v > 1)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        int r;

        r = memrange_crash_read(ctx, &crash);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return 0;
        }
        check_flag(crash->kexec_loaded);
        check_flag(crash->kexec_crash_loaded);
        check_flag(crash->crash_hotplug_memory);
        check_flag(crash->crash_hotplug_cpu);
        if (crash->kexec_crash_size < -1 || crash->crash_elfcorehdr_size < -1)
                abort();
        for (size_t i = 0; i < crash->reservations.n; i++)
                if (crash->reservations.ranges[i].start >= crash->reservations.ranges[i].end ||
                    crash->reservations.ranges[i].type != MEMRANGE_TYPE_CRASHKERNEL)
                        abort();
        for (size_t i = 1; i < crash->n_notes; i++)
                if (crash->notes[i].cpu <= crash->notes[i - 1].cpu)
                        abort();
        return 0;
}

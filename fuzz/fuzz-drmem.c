/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the powerpc drmem reader (proc/device-tree/
 * ibm,dynamic-reconfiguration-memory: ibm,lmb-size, ibm,dynamic-memory v1
 * and ibm,dynamic-memory-v2, with the root's cell counts) on the scratch
 * sysroot the input describes (see fuzz-sysroot.h). The LMB size must be a
 * power of two, and every LMB's exclusive end must fit in 64 bits. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_drmem_freep) struct memrange_drmem *drmem = NULL;
        int r;

        r = memrange_drmem_read(ctx, &drmem);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return 0;
        }
        if (drmem->version != 1 && drmem->version != 2)
                abort();
        if (drmem->lmb_size == 0 || (drmem->lmb_size & (drmem->lmb_size - 1)) != 0)
                abort();
        if (drmem->version == 1 && drmem->n_sets != 0)
                abort();
        /* Users take base + lmb_size as the LMB's exclusive end: it must fit. */
        for (size_t i = 0; i < drmem->n; i++)
                if (drmem->lmbs[i].base > UINT64_MAX - drmem->lmb_size)
                        abort();
        return 0;
}

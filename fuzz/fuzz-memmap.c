/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the firmware memmap reader (sys/firmware/memmap/N/
 * {start,end,type}) on a scratch sysroot described by the input (see
 * fuzz-sysroot.h). The result must be sorted by address, every range
 * non-empty and named by its type text. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_list_freep) struct memrange_list *list = NULL;
        int r;

        r = memrange_memmap_read(ctx, &list);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return 0;
        }
        if (list->n == 0)
                abort();
        for (size_t i = 0; i < list->n; i++) {
                const struct memrange *x = &list->ranges[i];

                if (x->start >= x->end || !list->names || !list->names[i] || !list->names[i][0])
                        abort();
                if (i > 0 && x->start < list->ranges[i - 1].start)
                        abort();
        }
        return 0;
}

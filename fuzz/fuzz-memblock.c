/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the memblock debugfs reader (sys/kernel/debug/
 * memblock/{memory,reserved}, with and without the node and flag columns)
 * on the scratch sysroot the input describes (see fuzz-sysroot.h). Every
 * region read must be non-empty and of its file's type. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct memrange_list *list, uint32_t type) {
        if (list->n == 0)
                abort(); /* the kernel always lists some memory and reservations */
        for (size_t i = 0; i < list->n; i++)
                if (list->ranges[i].start >= list->ranges[i].end || list->ranges[i].type != type)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;
        int r;

        r = memrange_memblock_read(ctx, &mb);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return 0;
        }
        check_list(&mb->memory, MEMRANGE_TYPE_RAM);
        check_list(&mb->reserved, MEMRANGE_TYPE_RESERVED);
        return 0;
}

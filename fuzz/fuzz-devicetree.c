/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the device tree reader (proc/device-tree: root
 * #address-cells/#size-cells, memory nodes' reg and linux,usable-memory,
 * status, /reserved-memory children with their own cell counts and
 * no-map, /chosen's linux,usable-memory-range, linux,elfcorehdr and
 * linux,crashkernel-base/-size) on the scratch sysroot the input describes
 * (see fuzz-sysroot.h). Every range read must be non-empty. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const struct memrange *r) {
        if (r->start >= r->end)
                abort();
}

static void check_list(const struct memrange_list *list) {
        for (size_t i = 0; i < list->n; i++)
                check_range(&list->ranges[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_devicetree_freep) struct memrange_devicetree *dt = NULL;
        int r;

        r = memrange_devicetree_read(ctx, &dt);
        if (r < 0) {
                fuzz_check_failure(ctx, r);
                return 0;
        }
        if (dt->address_cells < 1 || dt->address_cells > 2 || dt->size_cells < 1 || dt->size_cells > 2)
                abort();
        check_list(&dt->memory);
        check_list(&dt->usable_memory);
        check_list(&dt->reserved_memory);
        check_list(&dt->usable_memory_range);
        if (dt->has_elfcorehdr)
                check_range(&dt->elfcorehdr);
        if (dt->has_crashkernel)
                check_range(&dt->crashkernel);
        return 0;
}

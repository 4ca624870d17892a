/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: struct cli_data, what every command works on once it is
 * loaded (load.c), whichever way it came: releasing it and the questions
 * the commands ask of it. Nothing here reads files or calls memranged. */
#include <stdlib.h>

#include "memrangectl.h"

unsigned cli_source_index(uint32_t source_bit) {
        return source_bit ? (unsigned) __builtin_ctz(source_bit) : 0;
}

bool cli_range_is_crashkernel(const struct memrange *r) {
        return r->type == MEMRANGE_TYPE_CRASHKERNEL || (r->flags & MEMRANGE_F_CRASHKERNEL);
}

bool cli_iomem_hidden(const struct cli_data *d) {
        return d->sources &&
               d->sources->status[cli_source_index(MEMRANGE_SRC_IOMEM)] == MEMRANGE_SOURCE_HIDDEN;
}

void cli_warn_source_errors(const struct cli_data *d) {
        for (size_t i = 0; i < ELEMENTSOF(d->sources->status); i++)
                if (d->sources->status[i] == MEMRANGE_SOURCE_ERROR)
                        cli_error("warning: %s ignored: %s", memrange_source_to_name(1u << i),
                                  d->sources->error[i] ?: "unreadable");
        if (cli_iomem_hidden(d))
                cli_error("warning: %s", CLI_HIDDEN_EXPLANATION);
}

void cli_data_done(struct cli_data *d) {
        memrange_findings_free(d->findings);
        memrange_table_free(d->table);
        memrange_sources_free(d->sources);
        memrange_ctx_unref(d->ctx);
        cli_daemon_status_free(d->daemon);
        free(d->sysroot);
        *d = (struct cli_data) {};
}

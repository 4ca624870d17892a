/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: where the commands' data comes from. The one entry the
 * commands call; the two ways of filling struct cli_data sit below it and
 * never call back up: load-offline.c reads the kernel files under a
 * sysroot, load-online.c asks memranged. */
#include "memrangectl.h"

int cli_data_load(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret) {
        if (g->offline)
                return cli_data_load_offline(g, q, ret);
        return cli_data_load_online(g, q, ret);
}

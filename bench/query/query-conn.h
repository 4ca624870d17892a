/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A blocking (or, for the non-reader, non-blocking) AF_UNIX connection to
 * memranged with the daemon's own varlink framing, for bench-query-load. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "varlink-protocol.h"
#include "io.memranged.h"

/* The call every client sends, without its terminating NUL. */
#define QUERY_CALL_TEXT "{\"method\":\"" IO_MEMRANGED_INTERFACE "." IO_MEMRANGED_METHOD_LIST_RANGES "\",\"parameters\":{}}"

struct conn {
        int fd;                     /* -1 when closed */
        struct varlink_frame frame; /* replies received, up to VARLINK_CLIENT_MAX_REPLY */
};

/* Connects to @path. 0 or -errno. */
int conn_open(const char *path, bool nonblocking, struct conn *ret);
/* Closes; safe on a closed connection. */
void conn_close(struct conn *c);
/* Sends QUERY_CALL_TEXT with its NUL and waits for the reply: 0 and the
 * reply (NUL-terminated, valid until the next call on @c), or -errno
 * (-ECONNRESET when the daemon hung up). */
int conn_call(struct conn *c, char **ret_text, size_t *ret_len);

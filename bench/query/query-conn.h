/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A blocking (or, for the non-reader, non-blocking) AF_UNIX connection to
 * memranged for bench-query-load: the socket only; the framing is the
 * varlink library's (varlink_frame_*, varlink-protocol.h), and a reply is
 * parsed by varlink_reply_message_parse() when it is checked.
 *
 * Why not the library's client (varlink-client.h): it connects for every
 * call, parses every reply into json-c and waits for the reply of each
 * call. Figure 4 measures 64 persistent connections calling in a loop and
 * compares each reply's bytes with the first one (parsing megabytes of
 * JSON in the load generator would take the cores the daemon is measured
 * on: the client would be the bottleneck), and its non-reader pipelines
 * calls on a non-blocking socket and never reads a reply. */
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

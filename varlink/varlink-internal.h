/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the varlink server shared by varlink.c (listening, accept,
 * limits, method dispatch, org.varlink.service), varlink-connection.c
 * (per-connection I/O, framing, output queue) and varlink-call.c (the call
 * objects given to handlers). */
#pragma once

#include <sys/socket.h>

#include "varlink-idl.h"
#include "varlink-protocol.h"
#include "varlink.h"

struct varlink_registration {
        const struct varlink_interface *iface;
        void *userdata;
        struct varlink_idl_methods idl; /* parsed from iface->description */
};

/* Refused connections are logged at most once per interval. */
struct varlink_refusal_log {
        uint64_t logged_usec;          /* when one was last logged */
        unsigned unlogged;             /* refused since then */
};

struct varlink_server {
        sd_event *event;
        struct varlink_limits limits;
        char *vendor, *product, *version, *url, *internal_error;

        struct varlink_registration *interfaces;  /* [0] is org.varlink.service */
        size_t n_interfaces;

        sd_event_source **listeners;   /* each owns its listening fd */
        size_t n_listeners;
        sd_event_source *accept_retry; /* re-enables accepting after EMFILE & co */
        char *bound_path;              /* socket we created, unlinked at free */

        struct varlink_connection *connections;
        unsigned n_connections;

        /* Refused connections: over the total limit, over a user's. */
        struct varlink_refusal_log refused_total, refused_per_uid;
};

struct varlink_connection {
        unsigned n_ref;                /* the server's list holds one while open */
        struct varlink_server *server; /* NULL once closed */
        struct varlink_connection *prev, *next;

        int fd;                        /* owned by io_source */
        sd_event_source *io_source;
        sd_event_source *defer_source; /* continues work outside the I/O callback */
        sd_event_source *turn_source;  /* one-shot: the next buffered call's turn */
        struct ucred cred;
        gid_t *groups;
        size_t n_groups;

        struct varlink_frame input;
        char *out;                     /* NUL-terminated replies not yet sent */
        size_t out_start, out_end, out_size;

        struct varlink_call *current;  /* the open call (reference held) */
        bool dispatching;              /* inside the dispatch loop */
        uint32_t io_events;            /* what io_source waits for (edge-triggered) */
        bool readable;                 /* input may wait in the socket: no short read since the last edge */
        bool peer_shut_down;           /* EPOLLRDHUP seen: read until the end of file */
        bool read_eof;                 /* the client shut down its sending side */
        bool dead;                     /* closing: defer_source finishes the job */
};

struct varlink_call {
        unsigned n_ref;
        struct varlink_connection *conn; /* reference held */
        struct varlink_call_message message;
        bool finished;                 /* final reply sent (or the call failed) */
        varlink_disconnect_fn on_disconnect;
        void *disconnect_userdata;
};

/* While a handler runs, the dispatcher and the connection each hold one
 * reference: a count above this means the handler kept the call. */
#define VARLINK_CALL_DISPATCH_REFS 2u

/* varlink-connection.c */
/* Takes ownership of @fd (also on failure) and adds the connection to the
 * server's list. */
int varlink_connection_new(struct varlink_server *s, int fd, const struct ucred *cred);
struct varlink_connection *varlink_connection_ref(struct varlink_connection *c);
void varlink_connection_unref(struct varlink_connection *c);
/* Closes now: sources, fd, notification of the open call. Safe to call
 * for an already closed connection. Only from the loop or server free. */
void varlink_connection_close(struct varlink_connection *c);
/* Marks the connection for closing; the loop closes it soon after. Safe
 * inside handlers. */
void varlink_connection_disconnect(struct varlink_connection *c);
/* Resumes dispatching buffered calls from the loop (after a call that was
 * open ended outside the dispatch loop). */
void varlink_connection_schedule(struct varlink_connection *c);
/* Queues {"error"?, "parameters", "continues"?}; consumes @parameters
 * (NULL means {}). -ENOTCONN, -ENOBUFS (client cut off), -ENOMEM. */
int varlink_connection_send(struct varlink_connection *c, const char *error,
                            struct json_object *parameters, bool continues);
/* Queues the final reply {"parameters": @parameters}, where @parameters
 * is a serialised JSON object (copied): the same bytes as
 * varlink_connection_send() would write for that object. */
int varlink_connection_send_serialized(struct varlink_connection *c, const char *parameters, size_t len);

/* varlink-call.c */
/* Builds the call for a parsed message, taking over @m's contents. */
struct varlink_call *varlink_call_new(struct varlink_connection *c, struct varlink_call_message *m);
/* Ends the open call after a handler failure (internal error reply, or
 * disconnection when the service defines none). */
void varlink_call_fail(struct varlink_call *call, int error);

/* varlink.c */
/* Looks up and runs the handler of @call (also the built-in methods). */
void varlink_server_dispatch(struct varlink_server *s, struct varlink_call *call);

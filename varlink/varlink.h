/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A generic varlink server on sd-event.
 *
 * The server listens on AF_UNIX stream sockets (socket-activated fds or a
 * path it binds itself), reads NUL-terminated JSON calls, dispatches
 * "interface.Method" to registered interfaces and answers
 * org.varlink.service.GetInfo and GetInterfaceDescription itself.
 *
 * Calls on one connection are handled strictly in order: while a call is
 * open (a `more` stream, or a reply the handler sends later) the next call
 * of that connection waits, so replies never interleave.
 *
 * Protocol errors. A message that is not a JSON object, is nested deeper
 * than the limit, or has a missing/malformed "method" or mistyped
 * "parameters"/"more"/"oneway"/"upgrade" is answered (best effort, never
 * blocking) with org.varlink.service.InvalidParameter whose "parameter"
 * names the offending top-level key ("" when the message is not a JSON
 * object at all, or not valid JSON text: invalid UTF-8, an integer beyond
 * 64 bits, a number beyond a double); then that connection is closed. A
 * message longer than the size limit, a client whose unsent output exceeds
 * the queue limit, and input left incomplete at end of file are logged
 * and disconnected without a reply. Calls with "upgrade" are refused with
 * InvalidParameter {"parameter": "upgrade"} and the connection stays
 * usable. Every other client keeps being served.
 *
 * Method errors: unknown interface -> InterfaceNotFound {"interface"},
 * unknown method -> MethodNotFound {"method"}, a declared method without a
 * handler -> MethodNotImplemented {"method"}, a streaming-only method
 * called without "more" -> ExpectedMore; then a caller the method's access
 * rule refuses -> PermissionDenied (root-only methods) or the interface's
 * own error; then a parameter the interface description does not declare
 * -> InvalidParameter {"parameter"} or the interface's own reply. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "varlink-json.h" /* handlers read parameters with its getters */

struct varlink_server;
struct varlink_call;
struct ucred;

/* ---- limits ---- */

#define VARLINK_DEFAULT_MAX_MESSAGE_SIZE (1024u * 1024u)
#define VARLINK_DEFAULT_MAX_DEPTH 64u
#define VARLINK_DEFAULT_MAX_CONNECTIONS 256u
#define VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID 16u
#define VARLINK_DEFAULT_MAX_OUTPUT_QUEUE (4u * 1024u * 1024u)
/* One in this many of max_connections is kept for root (16 of 256). */
#define VARLINK_ROOT_SHARE 16u

/* Zero fields take the defaults above. */
struct varlink_limits {
        size_t max_message_size;        /* longest incoming message, NUL excluded */
        unsigned max_depth;             /* nested arrays/objects in one message */
        unsigned max_connections;       /* in total; others leave 1/VARLINK_ROOT_SHARE to root */
        unsigned max_connections_per_uid;
        bool per_uid_limit_for_root;    /* root is exempt from the per-uid limit unless set */
        size_t max_output_queue;        /* unsent reply bytes before a client is cut off */
};

/* ---- service description (GetInfo) ---- */

struct varlink_service_info {
        const char *vendor;
        const char *product;
        const char *version;
        const char *url;
        /* Error sent when a handler fails (returns < 0) before finishing
         * its call, e.g. "io.memranged.InternalError" with {"errno": N}.
         * NULL: such a connection is closed instead. */
        const char *internal_error;
};

/* ---- interfaces ---- */

/* Handles one call. @parameters is the call's "parameters" object (an
 * empty object when absent), borrowed: it lives as long as @call. Return
 * 0 after replying, or after taking a reference on @call to answer later
 * (streams, subscriptions); a negative errno reports a failure (logged;
 * the client gets service_info.internal_error). A handler that returns 0
 * without replying and without keeping a reference gets the same error. */
typedef int (*varlink_method_fn)(struct varlink_call *call, struct json_object *parameters,
                                 void *userdata);

enum {
        /* Streams only: a call without "more" gets ExpectedMore. */
        VARLINK_METHOD_MORE_REQUIRED = 1 << 0,
};

/* Who may call a method; the dispatcher checks it before anything about
 * the parameters. */
enum varlink_access {
        VARLINK_ACCESS_ANYONE = 0,
        /* uid 0 only; others get org.varlink.service.PermissionDenied. */
        VARLINK_ACCESS_ROOT,
        /* Callers the interface's caller_is_trusted() accepts; others get
         * the interface's untrusted_error (without parameters). */
        VARLINK_ACCESS_TRUSTED,
};

struct varlink_method {
        const char *name;               /* member name, e.g. "GetStatus" */
        varlink_method_fn callback;     /* NULL: MethodNotImplemented */
        unsigned flags;
        enum varlink_access access;
};

/* Replies to a call that passed @parameter, which the method's signature
 * in the interface description does not declare; returns what the reply
 * returned. */
typedef int (*varlink_unknown_parameter_fn)(struct varlink_call *call, const char *parameter, void *userdata);
typedef bool (*varlink_trust_fn)(const struct varlink_call *call, void *userdata);

/* A call is dispatched in this order: the method is looked up (unknown
 * interface or method, no handler, ExpectedMore), the caller's access
 * checked, parameters the description does not declare refused; only
 * then the handler runs. Handlers still check the values they read. */
struct varlink_interface {
        const char *name;               /* e.g. "io.memranged" */
        /* IDL text for GetInterfaceDescription; its method signatures are
         * the known parameters. It must declare exactly the methods of
         * @methods. */
        const char *description;
        const struct varlink_method *methods; /* ends with an entry whose name is NULL */
        /* Required by VARLINK_ACCESS_TRUSTED methods. */
        varlink_trust_fn caller_is_trusted;
        const char *untrusted_error;    /* "iface.Name" */
        /* NULL: org.varlink.service.InvalidParameter {"parameter"}. */
        varlink_unknown_parameter_fn refuse_unknown_parameter;
};

/* ---- server ---- */

/* Creates a server on @event (a reference is taken). @info strings and
 * @limits are copied; @limits may be NULL. */
int varlink_server_new(sd_event *event, const struct varlink_service_info *info,
                       const struct varlink_limits *limits, struct varlink_server **ret);
/* Closes every connection (their open calls get their disconnect
 * callbacks), unlinks a socket path the server bound, frees the server.
 * Calls still referenced by the caller stay valid but disconnected. */
struct varlink_server *varlink_server_free(struct varlink_server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct varlink_server *, varlink_server_free)

/* Registers @iface (not copied: it must outlive the server, typically a
 * static const table). @userdata is passed to its handlers and hooks.
 * -EEXIST for a duplicate name; -EINVAL for invalid names, a description
 * that does not parse or does not declare exactly the table's methods, a
 * method listed twice, VARLINK_ACCESS_TRUSTED without its hook or error. */
int varlink_server_add_interface(struct varlink_server *s, const struct varlink_interface *iface,
                                 void *userdata);

/* Listens on an already bound and listening AF_UNIX stream socket (e.g.
 * from sd_listen_fds()). Takes ownership of @fd, also on failure. */
int varlink_server_listen_fd(struct varlink_server *s, int fd);
/* Binds @path (replacing a stale socket there), mode 0666: anyone may
 * connect, privileges are checked per method. */
int varlink_server_listen_path(struct varlink_server *s, const char *path);

/* Serves @fd, a connected AF_UNIX stream socket set up elsewhere (a
 * socket pair of an in-process client, e.g. a fuzz target), as if accepted
 * from a peer with @peer's pid, uid and gid; its groups are those the socket
 * reports. Subject to the connection limits (-EUSERS over them). Takes
 * ownership of @fd, also on failure. */
int varlink_server_add_connection(struct varlink_server *s, int fd, const struct ucred *peer);

unsigned varlink_server_n_connections(const struct varlink_server *s);

/* ---- calls ---- */

/* The reply functions take ownership of @parameters (NULL means {}), also
 * on failure. They return -ENOTCONN once the connection is gone, -EALREADY
 * after the final reply, -ENOBUFS when the client was cut off for not
 * reading. For a oneway call, replies made while its handler runs are
 * dropped (0); the call is over when the handler returns. */
int varlink_call_reply(struct varlink_call *call, struct json_object *parameters);
/* The same with @parameters already serialised (a JSON object as
 * varlink_json_to_string() writes it; copied, not checked): for replies a
 * method caches, such as a table many clients ask for. */
int varlink_call_reply_serialized(struct varlink_call *call, const char *parameters, size_t len);
/* Sends one element of a stream ("continues": true); -EINVAL unless the
 * client asked for "more". */
int varlink_call_reply_continues(struct varlink_call *call, struct json_object *parameters);
/* Ends the call with error @error ("iface.Name"). */
int varlink_call_error(struct varlink_call *call, const char *error, struct json_object *parameters);
/* org.varlink.service.InvalidParameter {"parameter": @name}. */
int varlink_call_error_invalid_parameter(struct varlink_call *call, const char *name);
/* org.varlink.service.PermissionDenied. */
int varlink_call_error_permission_denied(struct varlink_call *call);

const char *varlink_call_method(const struct varlink_call *call);  /* "iface.Method" */
bool varlink_call_wants_more(const struct varlink_call *call);
bool varlink_call_is_oneway(const struct varlink_call *call);
/* True while the client is connected and the call has no final reply. */
bool varlink_call_is_open(const struct varlink_call *call);

/* Peer credentials from SO_PEERCRED at accept time. */
uid_t varlink_call_peer_uid(const struct varlink_call *call);
gid_t varlink_call_peer_gid(const struct varlink_call *call);
pid_t varlink_call_peer_pid(const struct varlink_call *call);
/* True when @gid is the peer's primary group or one of its supplementary
 * groups (SO_PEERGROUPS). */
bool varlink_call_peer_in_group(const struct varlink_call *call, gid_t gid);

struct varlink_call *varlink_call_ref(struct varlink_call *call);
struct varlink_call *varlink_call_unref(struct varlink_call *call);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct varlink_call *, varlink_call_unref)

/* Called once, from the event loop, when the connection of an open call
 * closes (client gone or cut off, server freed). The callee typically
 * drops its reference there. */
typedef void (*varlink_disconnect_fn)(struct varlink_call *call, void *userdata);
void varlink_call_set_disconnect_handler(struct varlink_call *call, varlink_disconnect_fn fn,
                                         void *userdata);

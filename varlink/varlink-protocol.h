/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink wire format above JSON: framing of NUL-terminated messages in
 * a byte stream, the call and reply envelopes and the syntax of interface
 * and member names. Shared by the server, the client helper and the fuzz
 * target; nothing here logs or touches a socket. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "varlink-json.h"

/* ---- framing: NUL-terminated messages in a byte stream ---- */

struct varlink_frame {
        char *buf;
        size_t size;      /* allocated */
        size_t start;     /* first byte not yet returned as a message */
        size_t end;       /* bytes filled */
        size_t scanned;   /* bytes after start known to hold no NUL */
        size_t max_message; /* longest message accepted, NUL excluded */
};

void varlink_frame_init(struct varlink_frame *f, size_t max_message);
void varlink_frame_done(struct varlink_frame *f);

/* Room to read into: at most @chunk bytes and never more than one byte
 * beyond what the longest message needs, so the buffer stays bounded by
 * max_message + 1. Returns 0 (0 bytes of room when a complete message is
 * still pending) or -ENOMEM. The room is valid until the next frame call. */
int varlink_frame_get_space(struct varlink_frame *f, size_t chunk, char **ret_space, size_t *ret_size);
/* Accounts @n bytes written into the room returned by get_space. */
void varlink_frame_commit(struct varlink_frame *f, size_t n);
/* Returns 1 and the next complete message (NUL-terminated in place, valid
 * until the next get_space), 0 when none is complete yet, -EMSGSIZE when
 * the incomplete message already exceeds max_message. */
int varlink_frame_next(struct varlink_frame *f, char **ret_message, size_t *ret_len);
/* Bytes received but not yet returned as a message. */
size_t varlink_frame_pending(const struct varlink_frame *f);
/* True when a complete message is waiting to be returned by _next(). */
bool varlink_frame_has_message(struct varlink_frame *f);

/* ---- envelopes ---- */

/* A call: {"method": "iface.Method", "parameters": {...}, "more": bool,
 * "oneway": bool, "upgrade": bool}. Unknown keys are ignored. */
struct varlink_call_message {
        struct json_object *root;       /* owned */
        const char *method;             /* borrowed from root */
        struct json_object *parameters; /* borrowed from root, never NULL */
        bool more;
        bool oneway;
        bool upgrade;
};

/* Values (objects, arrays, strings, numbers, literals; member names
 * included) one call may hold: a call needs a few dozen, and each costs
 * json-c far more than its bytes (an empty object about 700 bytes), so
 * that 1 MiB of them would take hundreds of MiB. */
#define VARLINK_MAX_CALL_VALUES 4096u

/* Parses one call. On failure returns -EBADMSG/-ELOOP (-E2BIG with more
 * than VARLINK_MAX_CALL_VALUES values), sets *error_field to the
 * offending top-level key ("method", "parameters", ...) or to "" when the
 * text is not a JSON object, and *error_detail to a static description
 * (both may be NULL). */
int varlink_call_message_parse(const char *text, size_t len, unsigned max_depth,
                               struct varlink_call_message *ret, const char **error_field,
                               const char **error_detail);
void varlink_call_message_done(struct varlink_call_message *m);

/* A reply: {"parameters": {...}, "continues": bool, "error": "iface.Name"}. */
struct varlink_reply_message {
        struct json_object *root;       /* owned */
        struct json_object *parameters; /* borrowed from root, never NULL */
        const char *error;              /* borrowed from root, NULL on success */
        bool continues;
};

int varlink_reply_message_parse(const char *text, size_t len, unsigned max_depth,
                                struct varlink_reply_message *ret, const char **error_detail);
void varlink_reply_message_done(struct varlink_reply_message *m);

/* ---- names ---- */

/* The errors of the varlink service interface every server implements. */
#define VARLINK_SERVICE_INTERFACE "org.varlink.service"
#define VARLINK_ERROR_INTERFACE_NOT_FOUND VARLINK_SERVICE_INTERFACE ".InterfaceNotFound"
#define VARLINK_ERROR_METHOD_NOT_FOUND VARLINK_SERVICE_INTERFACE ".MethodNotFound"
#define VARLINK_ERROR_METHOD_NOT_IMPLEMENTED VARLINK_SERVICE_INTERFACE ".MethodNotImplemented"
#define VARLINK_ERROR_INVALID_PARAMETER VARLINK_SERVICE_INTERFACE ".InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED VARLINK_SERVICE_INTERFACE ".PermissionDenied"
#define VARLINK_ERROR_EXPECTED_MORE VARLINK_SERVICE_INTERFACE ".ExpectedMore"

/* Reverse-domain interface name, e.g. "io.memranged", "org.varlink.service". */
bool varlink_interface_name_is_valid(const char *name);
/* Member name (method or error) without interface: [A-Z][A-Za-z0-9]*. */
bool varlink_member_name_is_valid(const char *name);
/* Fully qualified "interface.Member" (methods and errors). */
bool varlink_qualified_name_is_valid(const char *name);

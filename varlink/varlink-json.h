/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON for varlink: strict parsing, compact serialisation and the check
 * for unknown parameters (typed members: mj_get_*() of json-util.h). Shared by the server, the client
 * helper and the fuzz target; nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* json_object_putp, mj_add() and the other json-c helpers the library,
 * the daemon and memrangectl share. */
#include "json-util.h"

/* ASCII character classes for JSON tokens and varlink names: <ctype.h>
 * would follow the locale memrangectl sets. */
static inline bool ascii_is_digit(char c) {
        return c >= '0' && c <= '9';
}
static inline bool ascii_is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ascii_is_alnum(char c) {
        return ascii_is_digit(c) || ascii_is_alpha(c);
}

/* ---- strict JSON ---- */

/* The deepest nesting a caller may allow: the parser recurses once per
 * level. */
#define VARLINK_JSON_MAX_DEPTH 1024u

/* Parses exactly one JSON value from @text (@len bytes, no NUL needed)
 * in one pass that builds the tree as it checks the text.
 * Strict: RFC 8259 syntax only (no single quotes, NaN, Infinity, raw control
 * characters in strings or trailing garbage), valid UTF-8, integers within
 * int64/uint64, finite numbers, at most @max_depth nested arrays/objects.
 * The top level must be an object. On success *ret owns one reference. On
 * failure returns -EBADMSG (-ELOOP when too deep) and, when @error_detail
 * is non-NULL, points it at a static description. */
int varlink_json_parse(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
                       const char **error_detail);
/* As varlink_json_parse(), with at most @max_values values (objects,
 * arrays, strings, numbers, literals; member names included): -E2BIG
 * when the parser meets one more, so at most @max_values are ever built. */
int varlink_json_parse_limited(const char *text, size_t len, unsigned max_depth, size_t max_values,
                               struct json_object **ret, const char **error_detail);

/* Compact serialisation (no whitespace, "/" not escaped). The string
 * belongs to @o and lives until @o is freed or serialised again. String
 * values that are not UTF-8 (a quoted kernel file, a command's output) are
 * first repaired in @o: each byte that starts no well-formed sequence
 * becomes U+FFFD. NULL when out of memory. */
const char *varlink_json_to_string(struct json_object *o, size_t *ret_len);

/* ---- unknown members ----
 * Typed members are read with the mj_get_*() family of json-util.h. */

/* Returns the first key of @params not listed in the NULL-terminated
 * @known, or NULL when all are known (varlink rejects unknown fields). */
const char *varlink_json_find_unknown_key(struct json_object *params, const char *const *known);

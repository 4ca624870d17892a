/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varlink-json.h"

/* ---- strict JSON ---- */

/* @digits (no sign, no leading zeros) fits json-c's integer range:
 * down to INT64_MIN when negative, up to UINT64_MAX otherwise. Beyond
 * that json-c would silently clamp. */
static bool integer_fits(const char *digits, size_t n, bool negative) {
        const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
        size_t limit_len = strlen(limit);

        return n < limit_len || (n == limit_len && memcmp(digits, limit, n) <= 0);
}

/* Checks the number token at s[*i] against the RFC 8259 grammar (json-c
 * also takes "1." and "-Infinity") and advances *i past it. */
static int check_number(const char *s, size_t len, size_t *i, const char **detail) {
        size_t p = *i, int_start;
        bool negative = false, integral = true;

        if (s[p] == '-') {
                negative = true;
                p++;
        }
        int_start = p;
        if (p < len && s[p] == '0')
                p++;
        else if (p < len && ascii_is_digit(s[p]) && s[p] != '0')
                while (p < len && ascii_is_digit(s[p]))
                        p++;
        else
                goto malformed;
        if (p < len && s[p] == '.') {
                integral = false;
                if (++p >= len || !ascii_is_digit(s[p]))
                        goto malformed;
                while (p < len && ascii_is_digit(s[p]))
                        p++;
        }
        if (p < len && (s[p] == 'e' || s[p] == 'E')) {
                integral = false;
                if (++p < len && (s[p] == '+' || s[p] == '-'))
                        p++;
                if (p >= len || !ascii_is_digit(s[p]))
                        goto malformed;
                while (p < len && ascii_is_digit(s[p]))
                        p++;
        }
        if (p < len && (ascii_is_alnum(s[p]) || s[p] == '.' || s[p] == '+' || s[p] == '-'))
                goto malformed;
        if (integral && !integer_fits(s + int_start, p - int_start, negative))
                goto out_of_range;
        *i = p;
        return 0;

malformed:
        *detail = "malformed number";
        return -EBADMSG;
out_of_range:
        *detail = "integer out of range";
        return -EBADMSG;
}

static int check_literal(const char *s, size_t len, size_t *i, const char **detail) {
        static const char *const literals[] = { "true", "false", "null" };
        size_t p = *i;

        while (p < len && (ascii_is_alnum(s[p]) || s[p] == '_'))
                p++;
        for (size_t k = 0; k < ELEMENTSOF(literals); k++)
                if (p - *i == strlen(literals[k]) && memcmp(s + *i, literals[k], p - *i) == 0) {
                        *i = p;
                        return 0;
                }
        *detail = "invalid literal";
        return -EBADMSG;
}

/* json-c's strict mode still accepts single quotes, NaN/Infinity, raw
 * control characters inside strings, "1." and clamps huge integers. This
 * token-level pass, run after json-c accepted the structure, rejects them.
 * It also counts nesting exactly: json-c's own limit depends on whether
 * the innermost container is empty. */
static int check_tokens(const char *s, size_t len, unsigned max_depth, const char **detail) {
        unsigned depth = 0;
        size_t i = 0;
        int r;

        while (i < len) {
                char c = s[i];

                if (c == '"') {
                        for (i++; i < len && s[i] != '"'; i++) {
                                if ((unsigned char) s[i] < 0x20) {
                                        *detail = "control character in string";
                                        return -EBADMSG;
                                }
                                if (s[i] == '\\')
                                        i++;
                        }
                        i++;
                } else if (c == '-' || ascii_is_digit(c)) {
                        r = check_number(s, len, &i, detail);
                        if (r < 0)
                                return r;
                } else if (ascii_is_alpha(c)) {
                        r = check_literal(s, len, &i, detail);
                        if (r < 0)
                                return r;
                } else if (c == '{' || c == '[') {
                        if (++depth > max_depth) {
                                *detail = "JSON nested too deeply";
                                return -ELOOP;
                        }
                        i++;
                } else if (c == '}' || c == ']') {
                        depth--;
                        i++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':')
                        i++;
                else {
                        *detail = "unexpected character";
                        return -EBADMSG;
                }
        }
        return 0;
}

/* Overflowing exponents ("1e999") parse to infinity; reject them. */
static bool all_numbers_finite(struct json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_double:
                return isfinite(json_object_get_double(o));
        case json_type_array:
                for (size_t k = 0; k < json_object_array_length(o); k++)
                        if (!all_numbers_finite(json_object_array_get_idx(o, k)))
                                return false;
                return true;
        case json_type_object: {
                struct json_object_iterator it = json_object_iter_begin(o);
                struct json_object_iterator end = json_object_iter_end(o);

                for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
                        if (!all_numbers_finite(json_object_iter_peek_value(&it)))
                                return false;
                return true;
        }
        default:
                return true;
        }
}

static int tokenize(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
                    const char **detail) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_tokener *tok;
        enum json_tokener_error jerr;
        size_t end;

        /* A margin over json-c's level counting; check_tokens() enforces
         * the exact limit. json-c's limit still bounds its own stack. */
        tok = json_tokener_new_ex((int) max_depth + 2);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, text, (int) len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (jerr == json_tokener_error_depth) {
                *detail = "JSON nested too deeply";
                return -ELOOP;
        }
        if (jerr == json_tokener_continue) {
                *detail = "truncated JSON";
                return -EBADMSG;
        }
        if (jerr != json_tokener_success) {
                *detail = json_tokener_error_desc(jerr);
                return -EBADMSG;
        }
        if (end != len) {
                *detail = "trailing data after the JSON value";
                return -EBADMSG;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int varlink_json_parse(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
                       const char **error_detail) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *dummy;
        const char **detail = error_detail ?: &dummy;
        int r;

        if (!text || max_depth == 0 || max_depth >= INT_MAX - 2 || len >= INT_MAX)
                return -EINVAL;
        if (memchr(text, '\0', len)) {
                *detail = "NUL byte inside the message";
                return -EBADMSG;
        }
        r = tokenize(text, len, max_depth, &o, detail);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object)) {
                *detail = "top level is not a JSON object";
                return -EBADMSG;
        }
        r = check_tokens(text, len, max_depth, detail);
        if (r < 0)
                return r;
        if (!all_numbers_finite(o)) {
                *detail = "number out of range";
                return -EBADMSG;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

const char *varlink_json_to_string(struct json_object *o, size_t *ret_len) {
        return json_object_to_json_string_length(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, ret_len);
}

/* ---- typed parameter extraction ---- */

static int get_member(struct json_object *params, const char *key, enum json_type type,
                      struct json_object **ret) {
        struct json_object *v;

        if (!params)
                return 0;
        if (!json_object_is_type(params, json_type_object))
                return -EINVAL;
        /* A JSON null is stored as NULL: treat it like an absent key. */
        if (!json_object_object_get_ex(params, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, type))
                return -EINVAL;
        *ret = v;
        return 1;
}

int varlink_json_get_string(struct json_object *params, const char *key, const char **ret) {
        struct json_object *v;
        int r;

        r = get_member(params, key, json_type_string, &v);
        if (r <= 0)
                return r;
        /* "\u0000" would silently cut a C string short. */
        if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                return -EINVAL;
        *ret = json_object_get_string(v);
        return 1;
}

int varlink_json_get_int64(struct json_object *params, const char *key, int64_t *ret) {
        struct json_object *v;
        int64_t i;
        int r;

        r = get_member(params, key, json_type_int, &v);
        if (r <= 0)
                return r;
        /* json-c stores 2^63..2^64-1 unsigned and clamps them for get_int64. */
        i = json_object_get_int64(v);
        if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t) INT64_MAX)
                return -EINVAL;
        *ret = i;
        return 1;
}

int varlink_json_get_uint64(struct json_object *params, const char *key, uint64_t *ret) {
        struct json_object *v;
        int r;

        r = get_member(params, key, json_type_int, &v);
        if (r <= 0)
                return r;
        if (json_object_get_int64(v) < 0)
                return -EINVAL;
        *ret = json_object_get_uint64(v);
        return 1;
}

int varlink_json_get_bool(struct json_object *params, const char *key, bool *ret) {
        struct json_object *v;
        int r;

        r = get_member(params, key, json_type_boolean, &v);
        if (r <= 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 1;
}

int varlink_json_get_array(struct json_object *params, const char *key, struct json_object **ret) {
        return get_member(params, key, json_type_array, ret);
}

int varlink_json_get_object(struct json_object *params, const char *key, struct json_object **ret) {
        return get_member(params, key, json_type_object, ret);
}

const char *varlink_json_find_unknown_key(struct json_object *params, const char *const *known) {
        struct json_object_iterator it, end;

        if (!params || !json_object_is_type(params, json_type_object))
                return NULL;
        it = json_object_iter_begin(params);
        end = json_object_iter_end(params);
        for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
                const char *name = json_object_iter_peek_name(&it);
                bool found = false;

                for (const char *const *k = known; *k && !found; k++)
                        found = strcmp(*k, name) == 0;
                if (!found)
                        return name;
        }
        return NULL;
}

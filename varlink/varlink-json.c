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

/* Length of the well-formed UTF-8 sequence at s[0] (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 when there is
 * none. json-c's own check lets overlong forms, encoded surrogates and
 * code points above U+10FFFF through, and the daemon would echo them back
 * in error replies that are then not UTF-8 either. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left) {
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4;
        else
                return 0;
        /* The second byte's range rules out overlong forms (E0, F0),
         * surrogates (ED) and code points above U+10FFFF (F4). */
        if (s[0] == 0xe0)
                lo = 0xa0;
        else if (s[0] == 0xed)
                hi = 0x9f;
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        if (left < n || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t k = 2; k < n; k++)
                if (s[k] < 0x80 || s[k] > 0xbf)
                        return 0;
        return n;
}

/* The code unit of the "\uXXXX" escape at s[0], or -1. */
static long unicode_escape(const char *s, size_t left) {
        long v = 0;

        if (left < 6 || s[0] != '\\' || s[1] != 'u')
                return -1;
        for (size_t k = 2; k < 6; k++) {
                char c = s[k];
                int d = ascii_is_digit(c) ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                        : -1;

                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

/* A member name is a string followed by ':'. */
static bool is_member_name(const char *s, size_t len, size_t after) {
        while (after < len && (s[after] == ' ' || s[after] == '\t' || s[after] == '\r' || s[after] == '\n'))
                after++;
        return after < len && s[after] == ':';
}

/* Checks the string token at s[*i] (its opening quote) and advances *i
 * past its closing quote: no raw control characters, well-formed UTF-8,
 * no unpaired surrogate escape (json-c would silently turn it into
 * U+FFFD), and no "\u0000" in a member name (the name would be cut short
 * and an error would name another parameter). */
static int check_string(const char *s, size_t len, size_t *i, const char **detail) {
        bool has_nul = false;
        size_t p = *i + 1;

        while (p < len && s[p] != '"') {
                unsigned char c = (unsigned char) s[p];

                if (c < 0x20) {
                        *detail = "control character in string";
                        return -EBADMSG;
                }
                if (c >= 0x80) {
                        size_t n = utf8_sequence_length((const unsigned char *) s + p, len - p);

                        if (n == 0) {
                                *detail = "invalid UTF-8 in string";
                                return -EBADMSG;
                        }
                        p += n;
                } else if (c == '\\' && p + 1 < len && s[p + 1] == 'u') {
                        long u = unicode_escape(s + p, len - p);

                        if (u >= 0xd800 && u <= 0xdbff) {
                                long low = unicode_escape(s + p + 6, len - p - 6);

                                if (low < 0xdc00 || low > 0xdfff)
                                        goto lone_surrogate;
                                p += 6;
                        } else if (u >= 0xdc00 && u <= 0xdfff)
                                goto lone_surrogate;
                        has_nul = has_nul || u == 0;
                        p += 6;
                } else
                        p += c == '\\' ? 2 : 1;
        }
        if (has_nul && is_member_name(s, len, p + 1)) {
                *detail = "\\u0000 in a member name";
                return -EBADMSG;
        }
        *i = p + 1;
        return 0;

lone_surrogate:
        *detail = "unpaired surrogate escape in string";
        return -EBADMSG;
}

/* json-c's strict mode still accepts single quotes, NaN/Infinity, raw
 * control characters inside strings, malformed UTF-8, "1." and clamps
 * huge integers. This token-level pass rejects them. It also counts
 * nesting exactly (json-c's own limit depends on whether the innermost
 * container is empty) and counts values: it runs before json-c, so that
 * a message of many tiny values (each costs json-c far more memory and
 * time than its bytes) is refused before any is built. The structure is
 * left to json-c. */
static int check_tokens(const char *s, size_t len, unsigned max_depth, size_t max_values,
                        const char **detail) {
        unsigned depth = 0;
        size_t i = 0, values = 0;
        int r;

        while (i < len) {
                char c = s[i];

                if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':') {
                        i++;
                        continue;
                }
                if (c == '}' || c == ']') {
                        if (depth == 0) {
                                *detail = "unbalanced brackets";
                                return -EBADMSG;
                        }
                        depth--;
                        i++;
                        continue;
                }
                if (++values > max_values) {
                        *detail = "too many values in the message";
                        return -E2BIG;
                }
                if (c == '"')
                        r = check_string(s, len, &i, detail);
                else if (c == '-' || ascii_is_digit(c))
                        r = check_number(s, len, &i, detail);
                else if (ascii_is_alpha(c))
                        r = check_literal(s, len, &i, detail);
                else if (c == '{' || c == '[') {
                        i++;
                        r = 0;
                        if (++depth > max_depth) {
                                *detail = "JSON nested too deeply";
                                r = -ELOOP;
                        }
                } else {
                        *detail = "unexpected character";
                        r = -EBADMSG;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Overflowing exponents ("1e999") parse to infinity; reject them. */
/* NOLINTNEXTLINE(misc-no-recursion): as deep as the parser let it be, max_depth */
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

int varlink_json_parse_limited(const char *text, size_t len, unsigned max_depth, size_t max_values,
                               struct json_object **ret, const char **error_detail) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *dummy = NULL;
        const char **detail = error_detail ?: &dummy;
        int r;

        if (!text || max_depth == 0 || max_depth >= INT_MAX - 2 || len >= INT_MAX)
                return -EINVAL;
        if (memchr(text, '\0', len)) {
                *detail = "NUL byte inside the message";
                return -EBADMSG;
        }
        r = check_tokens(text, len, max_depth, max_values, detail);
        if (r < 0)
                return r;
        r = tokenize(text, len, max_depth, &o, detail);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object)) {
                *detail = "top level is not a JSON object";
                return -EBADMSG;
        }
        if (!all_numbers_finite(o)) {
                *detail = "number out of range";
                return -EBADMSG;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int varlink_json_parse(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
                       const char **error_detail) {
        return varlink_json_parse_limited(text, len, max_depth, SIZE_MAX, ret, error_detail);
}

static bool utf8_is_valid(const char *s, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t n;

                if ((unsigned char) s[i] < 0x80) {
                        i++; /* the common case, kept cheap for large replies */
                        continue;
                }
                n = utf8_sequence_length((const unsigned char *) s + i, len - i);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

/* @s with each byte that starts no well-formed sequence replaced by U+FFFD. */
static char *utf8_repaired(const char *s, size_t len) {
        static const char replacement[] = "\xef\xbf\xbd";
        char *out = malloc(len * 3 + 1), *p = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_sequence_length((const unsigned char *) s + i, len - i);

                if (n == 0) {
                        memcpy(p, replacement, 3);
                        p += 3;
                        i++;
                } else {
                        memcpy(p, s + i, n);
                        p += n;
                        i += n;
                }
        }
        *p = '\0';
        return out;
}

/* Repairs every string value below @o (member names are the daemon's own). */
/* NOLINTNEXTLINE(misc-no-recursion): a reply the daemon built, a few levels deep */
static int repair_strings(struct json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_string: {
                size_t len = (size_t) json_object_get_string_len(o);
                _cleanup_(freep) char *fixed = NULL;

                if (utf8_is_valid(json_object_get_string(o), len))
                        return 0;
                fixed = utf8_repaired(json_object_get_string(o), len);
                if (!fixed || !json_object_set_string(o, fixed))
                        return -ENOMEM;
                return 0;
        }
        case json_type_array:
                for (size_t k = 0; k < json_object_array_length(o); k++)
                        if (repair_strings(json_object_array_get_idx(o, k)) < 0)
                                return -ENOMEM;
                return 0;
        case json_type_object: {
                struct json_object_iterator it = json_object_iter_begin(o);
                struct json_object_iterator end = json_object_iter_end(o);

                for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
                        if (repair_strings(json_object_iter_peek_value(&it)) < 0)
                                return -ENOMEM;
                return 0;
        }
        default:
                return 0;
        }
}

const char *varlink_json_to_string(struct json_object *o, size_t *ret_len) {
        const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
        size_t len;
        const char *text = json_object_to_json_string_length(o, flags, &len);

        /* Strings may quote kernel files or a command's output: whatever
         * bytes they hold, what goes on the wire is UTF-8. */
        if (text && !utf8_is_valid(text, len))
                text = repair_strings(o) < 0 ? NULL : json_object_to_json_string_length(o, flags, &len);
        if (text && ret_len)
                *ret_len = len;
        return text;
}

/* ---- unknown members ---- */

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <locale.h>
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
 * also takes "1." and "-Infinity"), advances *i past it and tells whether
 * it is an integer (no fraction, no exponent). */
static int check_number(const char *s, size_t len, size_t *i, bool *ret_integral, const char **detail) {
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
        *ret_integral = integral;
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

/* One pass over the text that checks it and builds the json_object tree
 * at once. json-c's own tokener, even in strict mode, accepts single
 * quotes, NaN and Infinity, raw control characters in strings, malformed
 * UTF-8 and "1.", clamps huge integers, and counts nesting differently
 * depending on whether the innermost container is empty; a hand-written
 * check in front of it meant reading every message twice. Values are
 * counted as they are met, so a message of many tiny values (each costs
 * far more memory than its bytes) stops at @max_values. The tree is what
 * json-c's tokener would have built: integers as int64 (uint64 above
 * INT64_MAX), other numbers as doubles that keep their text, strings with
 * their length, a repeated member name replacing the earlier value. */
struct parser {
        const char *s;
        size_t len, i;
        unsigned depth, max_depth;
        size_t values, max_values;
        const char *detail;
        char *buf; /* decoded string, NUL-terminated */
        size_t buf_size;
};

static int parse_fail(struct parser *p, const char *detail, int error) {
        p->detail = detail;
        return error;
}

static void skip_whitespace(struct parser *p) {
        while (p->i < p->len &&
               (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' || p->s[p->i] == '\n'))
                p->i++;
}

static int count_value(struct parser *p) {
        if (++p->values > p->max_values)
                return parse_fail(p, "too many values in the message", -E2BIG);
        return 0;
}

/* Room for @n more bytes and a NUL after @used in p->buf. */
static int buf_reserve(struct parser *p, size_t used, size_t n) {
        size_t want = used + n + 1, size;
        char *b;

        if (want <= p->buf_size)
                return 0;
        size = p->buf_size < 32 ? 64 : p->buf_size * 2;
        if (size < want)
                size = want;
        b = realloc(p->buf, size);
        if (!b)
                return -ENOMEM;
        p->buf = b;
        p->buf_size = size;
        return 0;
}

static size_t utf8_encode(uint32_t cp, char out[static 4]) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* The escape after the backslash at s[p->i] into p->buf at *n. */
static int decode_escape(struct parser *p, size_t *n, bool *has_nul) {
        const char *s = p->s;
        char utf8[4];
        long u, low;
        size_t k;
        int r;

        if (p->i + 1 >= p->len)
                return parse_fail(p, "truncated JSON", -EBADMSG);
        r = buf_reserve(p, *n, 4);
        if (r < 0)
                return r;
        switch (s[p->i + 1]) {
        case '"': case '\\': case '/':
                p->buf[(*n)++] = s[p->i + 1];
                break;
        case 'b':
                p->buf[(*n)++] = '\b';
                break;
        case 'f':
                p->buf[(*n)++] = '\f';
                break;
        case 'n':
                p->buf[(*n)++] = '\n';
                break;
        case 'r':
                p->buf[(*n)++] = '\r';
                break;
        case 't':
                p->buf[(*n)++] = '\t';
                break;
        case 'u':
                u = unicode_escape(s + p->i, p->len - p->i);
                if (u < 0)
                        return parse_fail(p, "invalid \\u escape in string", -EBADMSG);
                if (u >= 0xdc00 && u <= 0xdfff)
                        return parse_fail(p, "unpaired surrogate escape in string", -EBADMSG);
                if (u >= 0xd800 && u <= 0xdbff) {
                        low = unicode_escape(s + p->i + 6, p->len - p->i - 6);
                        if (low < 0xdc00 || low > 0xdfff)
                                return parse_fail(p, "unpaired surrogate escape in string", -EBADMSG);
                        u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
                        p->i += 6;
                }
                *has_nul = *has_nul || u == 0;
                k = utf8_encode((uint32_t) u, utf8);
                memcpy(p->buf + *n, utf8, k);
                *n += k;
                p->i += 6;
                return 0;
        default:
                return parse_fail(p, "invalid escape in string", -EBADMSG);
        }
        p->i += 2;
        return 0;
}

/* The string whose opening quote is at s[p->i], decoded into p->buf
 * (*ret_len bytes; "\u0000" may put NULs inside): no raw control
 * characters, well-formed UTF-8, no unpaired surrogate escape (json-c
 * would silently turn it into U+FFFD). */
static int decode_string(struct parser *p, size_t *ret_len, bool *ret_has_nul) {
        const char *s = p->s;
        bool has_nul = false;
        size_t n = 0;
        int r;

        r = buf_reserve(p, 0, 0); /* the NUL of "" */
        if (r < 0)
                return r;
        p->i++;
        for (;;) {
                size_t run = p->i;

                /* Plain ASCII is copied in runs: most of every message. */
                while (run < p->len && s[run] != '"' && s[run] != '\\' && (unsigned char) s[run] >= 0x20 &&
                       (unsigned char) s[run] < 0x80)
                        run++;
                if (run > p->i) {
                        r = buf_reserve(p, n, run - p->i);
                        if (r < 0)
                                return r;
                        memcpy(p->buf + n, s + p->i, run - p->i);
                        n += run - p->i;
                        p->i = run;
                }
                if (p->i >= p->len)
                        return parse_fail(p, "truncated JSON", -EBADMSG);
                if (s[p->i] == '"')
                        break;
                if (s[p->i] == '\\') {
                        r = decode_escape(p, &n, &has_nul);
                        if (r < 0)
                                return r;
                } else if ((unsigned char) s[p->i] < 0x20) {
                        return parse_fail(p, "control character in string", -EBADMSG);
                } else {
                        size_t k = utf8_sequence_length((const unsigned char *) s + p->i, p->len - p->i);

                        if (k == 0)
                                return parse_fail(p, "invalid UTF-8 in string", -EBADMSG);
                        r = buf_reserve(p, n, k);
                        if (r < 0)
                                return r;
                        memcpy(p->buf + n, s + p->i, k);
                        n += k;
                        p->i += k;
                }
        }
        p->i++;
        p->buf[n] = '\0';
        *ret_len = n;
        *ret_has_nul = has_nul;
        return 0;
}

static int parse_string(struct parser *p, struct json_object **ret) {
        size_t n;
        bool has_nul;
        int r;

        r = decode_string(p, &n, &has_nul);
        if (r < 0)
                return r;
        *ret = json_object_new_string_len(p->buf, (int) n);
        return *ret ? 0 : -ENOMEM;
}

/* The value of the number @text (NUL-terminated, RFC 8259 form). strtod()
 * would follow LC_NUMERIC, which memrangectl takes from the environment. */
static double c_strtod(const char *text) {
        locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        double d;

        if (c_locale == (locale_t) 0)
                return strtod(text, NULL);
        d = strtod_l(text, NULL, c_locale);
        freelocale(c_locale);
        return d;
}

/* The number at s[p->i]. */
static int parse_number(struct parser *p, struct json_object **ret) {
        _cleanup_(freep) char *heap = NULL;
        char stack[64], *text = stack;
        size_t start = p->i, n;
        bool integral;
        double d;
        int r;

        r = check_number(p->s, p->len, &p->i, &integral, &p->detail);
        if (r < 0)
                return r;
        n = p->i - start;
        if (integral) {
                /* check_number() made sure the digits fit. */
                bool negative = p->s[start] == '-';
                uint64_t u = 0;

                for (size_t k = start + negative; k < p->i; k++)
                        u = u * 10 + (uint64_t) (p->s[k] - '0');
                if (negative)
                        *ret = json_object_new_int64(u > (uint64_t) INT64_MAX ? INT64_MIN : -(int64_t) u);
                else
                        *ret = u > (uint64_t) INT64_MAX ? json_object_new_uint64(u) : json_object_new_int64((int64_t) u);
                return *ret ? 0 : -ENOMEM;
        }
        if (n >= sizeof(stack)) {
                text = heap = malloc(n + 1);
                if (!heap)
                        return -ENOMEM;
        }
        memcpy(text, p->s + start, n);
        text[n] = '\0';
        /* As json-c: serialised as written. */
        d = c_strtod(text);

        /* Overflowing exponents ("1e999") parse to infinity. */
        if (!isfinite(d))
                return parse_fail(p, "number out of range", -EBADMSG);
        *ret = json_object_new_double_s(d, text);
        return *ret ? 0 : -ENOMEM;
}

static int parse_literal(struct parser *p, struct json_object **ret) {
        size_t start = p->i;
        int r;

        r = check_literal(p->s, p->len, &p->i, &p->detail);
        if (r < 0)
                return r;
        switch (p->s[start]) {
        case 't':
        case 'f':
                *ret = json_object_new_boolean(p->s[start] == 't');
                return *ret ? 0 : -ENOMEM;
        default:
                *ret = NULL; /* json-c's null */
                return 0;
        }
}

static int parse_value(struct parser *p, struct json_object **ret);

/* NOLINTNEXTLINE(misc-no-recursion): at most max_depth deep */
static int parse_array(struct parser *p, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *array = json_object_new_array();
        int r;

        if (!array)
                return -ENOMEM;
        p->i++;
        skip_whitespace(p);
        if (p->i < p->len && p->s[p->i] == ']') {
                p->i++;
                *ret = TAKE_PTR(array);
                return 0;
        }
        for (;;) {
                struct json_object *element = NULL;

                r = parse_value(p, &element);
                if (r < 0)
                        return r;
                if (json_object_array_add(array, element) < 0) {
                        json_object_put(element);
                        return -ENOMEM;
                }
                skip_whitespace(p);
                if (p->i >= p->len)
                        return parse_fail(p, "truncated JSON", -EBADMSG);
                if (p->s[p->i] == ']')
                        break;
                if (p->s[p->i] != ',')
                        return parse_fail(p, "expected ',' or ']' in array", -EBADMSG);
                p->i++;
        }
        p->i++;
        *ret = TAKE_PTR(array);
        return 0;
}

/* NOLINTNEXTLINE(misc-no-recursion): at most max_depth deep */
static int parse_object(struct parser *p, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *object = json_object_new_object();
        int r;

        if (!object)
                return -ENOMEM;
        p->i++;
        skip_whitespace(p);
        if (p->i < p->len && p->s[p->i] == '}') {
                p->i++;
                *ret = TAKE_PTR(object);
                return 0;
        }
        for (;;) {
                _cleanup_(freep) char *key = NULL;
                struct json_object *value = NULL;
                size_t n;
                bool has_nul;

                if (p->i >= p->len)
                        return parse_fail(p, "truncated JSON", -EBADMSG);
                if (p->s[p->i] != '"')
                        return parse_fail(p, "expected a member name", -EBADMSG);
                r = count_value(p);
                if (r < 0)
                        return r;
                r = decode_string(p, &n, &has_nul);
                if (r < 0)
                        return r;
                /* The name would be cut short and an error would name
                 * another parameter. */
                if (has_nul)
                        return parse_fail(p, "\\u0000 in a member name", -EBADMSG);
                key = malloc(n + 1);
                if (!key)
                        return -ENOMEM;
                memcpy(key, p->buf, n + 1);
                skip_whitespace(p);
                if (p->i >= p->len)
                        return parse_fail(p, "truncated JSON", -EBADMSG);
                if (p->s[p->i] != ':')
                        return parse_fail(p, "expected ':' after a member name", -EBADMSG);
                p->i++;
                r = parse_value(p, &value);
                if (r < 0)
                        return r;
                /* A repeated name replaces the earlier value, as in json-c. */
                if (json_object_object_add(object, key, value) < 0) {
                        json_object_put(value);
                        return -ENOMEM;
                }
                skip_whitespace(p);
                if (p->i >= p->len)
                        return parse_fail(p, "truncated JSON", -EBADMSG);
                if (p->s[p->i] == '}')
                        break;
                if (p->s[p->i] != ',')
                        return parse_fail(p, "expected ',' or '}' in object", -EBADMSG);
                p->i++;
                skip_whitespace(p);
        }
        p->i++;
        *ret = TAKE_PTR(object);
        return 0;
}

/* NOLINTNEXTLINE(misc-no-recursion): at most max_depth deep */
static int parse_value(struct parser *p, struct json_object **ret) {
        char c;
        int r;

        skip_whitespace(p);
        if (p->i >= p->len)
                return parse_fail(p, "truncated JSON", -EBADMSG);
        c = p->s[p->i];
        if (c != '"' && c != '-' && !ascii_is_alnum(c) && c != '{' && c != '[')
                return parse_fail(p, "unexpected character", -EBADMSG);
        r = count_value(p);
        if (r < 0)
                return r;
        if (c == '"')
                return parse_string(p, ret);
        if (c == '-' || ascii_is_digit(c))
                return parse_number(p, ret);
        if (ascii_is_alpha(c))
                return parse_literal(p, ret);
        if (++p->depth > p->max_depth)
                return parse_fail(p, "JSON nested too deeply", -ELOOP);
        r = c == '{' ? parse_object(p, ret) : parse_array(p, ret);
        p->depth--;
        return r;
}

int varlink_json_parse_limited(const char *text, size_t len, unsigned max_depth, size_t max_values,
                               struct json_object **ret, const char **error_detail) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct parser p = {
                .s = text, .len = len, .max_depth = max_depth, .max_values = max_values,
        };
        int r;

        if (!text || max_depth == 0 || max_depth > VARLINK_JSON_MAX_DEPTH || len >= INT_MAX)
                return -EINVAL;
        if (memchr(text, '\0', len))
                r = parse_fail(&p, "NUL byte inside the message", -EBADMSG);
        else
                r = parse_value(&p, &o);
        free(p.buf);
        if (r >= 0) {
                skip_whitespace(&p);
                if (p.i != len)
                        r = parse_fail(&p, "trailing data after the JSON value", -EBADMSG);
                else if (!json_object_is_type(o, json_type_object))
                        r = parse_fail(&p, "top level is not a JSON object", -EBADMSG);
        }
        if (r < 0) {
                if (error_detail && p.detail)
                        *error_detail = p.detail;
                return r;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict whole-string number parsers for kernel files, line splitting and
 * base64: pure helpers, shared by the library, the daemon and the tools. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Length of @s without one trailing newline. */
static size_t body_len(const char *s) {
        size_t len = strlen(s);
        return len > 0 && s[len - 1] == '\n' ? len - 1 : len;
}

int mr_parse_hex_u64_n(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                len -= 2;
        }
        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int d = hex_digit(s[i]);
                if (d < 0)
                        return -EINVAL;
                if (v > (UINT64_MAX >> 4))
                        return -ERANGE;
                v = (v << 4) | (uint64_t) d;
        }
        *ret = v;
        return 0;
}

int mr_parse_hex_u64(const char *s, uint64_t *ret) {
        return mr_parse_hex_u64_n(s, body_len(s), ret);
}

int mr_parse_dec_u64(const char *s, uint64_t *ret) {
        size_t len = body_len(s);
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (s[i] - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int mr_parse_int(const char *s, int *ret) {
        bool negative = s[0] == '-';
        uint64_t v;
        int r;

        r = mr_parse_dec_u64(negative ? s + 1 : s, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t) INT_MAX + (negative ? 1 : 0))
                return -ERANGE;
        *ret = negative ? (int) -(int64_t) v : (int) v;
        return 0;
}

int mr_parse_bool01(const char *s, int *ret) {
        if (body_len(s) != 1 || (s[0] != '0' && s[0] != '1'))
                return -EINVAL;
        *ret = s[0] - '0';
        return 0;
}

char *mr_next_line(char **cursor) {
        char *line = *cursor, *nl;

        if (!line || !*line)
                return NULL;
        nl = strchr(line, '\n');
        if (nl) {
                *nl = '\0';
                *cursor = nl + 1;
        } else
                *cursor = line + strlen(line);
        return line;
}

/* ---------------------------------------------------------------------------
 * Base64 (RFC 4648, standard alphabet, padded): binary data in JSON
 */

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mr_base64_encode(const void *data, size_t size, char **ret_text) {
        const uint8_t *in = data;
        char *out, *p;

        if (size > (SIZE_MAX - 1) / 4 * 3 - 2)
                return -E2BIG;
        out = malloc((size + 2) / 3 * 4 + 1);
        if (!out)
                return -ENOMEM;
        p = out;
        for (size_t i = 0; i < size; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;
                size_t left = size - i;

                if (left > 1)
                        v |= (uint32_t) in[i + 1] << 8;
                if (left > 2)
                        v |= in[i + 2];
                *p++ = base64_alphabet[(v >> 18) & 63];
                *p++ = base64_alphabet[(v >> 12) & 63];
                *p++ = base64_alphabet[(v >> 6) & 63];
                *p++ = base64_alphabet[v & 63];
        }
        /* A last group of one or two bytes ends in "==" or "=". */
        if (size % 3 != 0)
                p[-1] = '=';
        if (size % 3 == 1)
                p[-2] = '=';
        *p = '\0';
        *ret_text = out;
        return 0;
}

static int base64_value(char c) {
        const char *p = c ? strchr(base64_alphabet, c) : NULL;

        return p ? (int) (p - base64_alphabet) : -1;
}

int mr_base64_decode(const char *text, void **ret_data, size_t *ret_size) {
        size_t len = strlen(text), n = 0;
        uint8_t *out;

        if (len % 4 != 0)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                bool last = i + 4 == len;
                unsigned pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;

                for (unsigned k = 0; k < 4; k++)
                        v[k] = k >= 4 - pad ? 0 : base64_value(text[i + k]);
                if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || (pad == 1 && text[i + 2] == '=')) {
                        free(out);
                        return -EINVAL;
                }
                out[n++] = (uint8_t) (v[0] << 2 | v[1] >> 4);
                if (pad < 2)
                        out[n++] = (uint8_t) ((v[1] & 15) << 4 | v[2] >> 2);
                if (pad < 1)
                        out[n++] = (uint8_t) ((v[2] & 3) << 6 | v[3]);
        }
        *ret_data = out;
        *ret_size = n;
        return 0;
}

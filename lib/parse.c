/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict whole-string number parsers for kernel files. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "memrange-private.h"

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int strbuf_putc(struct strbuf *b, char c) {
        if (b->len + 1 >= b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                char *s = realloc(b->s, cap);

                if (!s)
                        return -ENOMEM;
                b->s = s;
                b->cap = cap;
        }
        b->s[b->len++] = c;
        b->s[b->len] = '\0';
        return 0;
}

int strbuf_puts(struct strbuf *b, const char *s) {
        size_t len = b->len;

        for (; s && *s; s++)
                if (strbuf_putc(b, *s) < 0) {
                        b->len = len;
                        if (b->s)
                                b->s[len] = '\0';
                        return -ENOMEM;
                }
        return 0;
}

char *strbuf_take(struct strbuf *b) {
        char *s = b->s ? b->s : strdup("");

        *b = (struct strbuf) {};
        return s;
}

void strbuf_done(struct strbuf *b) {
        free(b->s);
        *b = (struct strbuf) {};
}

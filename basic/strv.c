/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "strv.h"

void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

size_t strv_length(char *const *v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

char *strv_join_quoted(char *const *v) {
        struct strbuf b = {};
        int r = 0;

        for (size_t i = 0; v && v[i] && r >= 0; i++) {
                bool quote = !v[i][0] || strpbrk(v[i], " \t\n'\"\\$`");

                if (i > 0)
                        r = strbuf_putc(&b, ' ');
                if (r < 0 || !quote) {
                        r = r < 0 ? r : strbuf_puts(&b, v[i]);
                        continue;
                }
                /* Single quotes, each ' written as '\'' as a shell would read it. */
                r = strbuf_putc(&b, '\'');
                for (const char *p = v[i]; *p && r >= 0; p++)
                        r = *p == '\'' ? strbuf_puts(&b, "'\\''") : strbuf_putc(&b, *p);
                if (r >= 0)
                        r = strbuf_putc(&b, '\'');
        }
        if (r < 0) {
                strbuf_done(&b);
                return NULL;
        }
        return strbuf_take(&b);
}

void strv_builder_addf(struct strv_builder *b, const char *format, ...) {
        char **grown;
        va_list ap;
        char *s;
        int r;

        if (b->error)
                return;
        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        grown = r >= 0 ? reallocarray(b->v, b->n + 2, sizeof(*b->v)) : NULL;
        if (!grown) {
                if (r >= 0)
                        free(s);
                b->error = -ENOMEM;
                return;
        }
        b->v = grown;
        b->v[b->n++] = s;
        b->v[b->n] = NULL;
}

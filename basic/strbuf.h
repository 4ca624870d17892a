/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growing NUL-terminated string. Zero-initialise; the buffer owns s until
 * strbuf_take() hands it out or strbuf_done() frees it. */
#pragma once

#include <stddef.h>

struct strbuf {
        char *s;
        size_t len, cap;
};

/* Append one character or a string (NULL: nothing): 0 or -ENOMEM, leaving
 * the buffer as it was on failure. */
int strbuf_putc(struct strbuf *b, char c);
int strbuf_puts(struct strbuf *b, const char *s);
/* Hands out the text ("" for an empty buffer) and empties the buffer; NULL
 * on ENOMEM. The caller frees the result. */
char *strbuf_take(struct strbuf *b);
void strbuf_done(struct strbuf *b);

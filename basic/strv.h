/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated vectors of owned strings. */
#pragma once

#include <stddef.h>

#include "macro.h"

void strv_free(char **v);
size_t strv_length(char *const *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

/* The words joined by single spaces, each single-quoted as a shell would
 * read it back when it holds a blank or a quote (for the log). The caller
 * frees the result; NULL on ENOMEM. */
char *strv_join_quoted(char *const *v);

/* Builds a vector one formatted string at a time. The first failure sticks
 * in @error and later additions are ignored, so a caller adds everything
 * and checks once. Zero-initialise; the caller owns v (strv_free()). */
struct strv_builder {
        char **v;
        size_t n;
        int error;
};
void strv_builder_addf(struct strv_builder *b, const char *format, ...) _printf_(2, 3);

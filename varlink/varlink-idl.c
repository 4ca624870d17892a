/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Method signatures from a varlink interface description. The scanner
 * walks the text once, counting parentheses: a "method" keyword counts
 * only outside every parenthesis (a field may be called "method" too),
 * and the members of the parenthesis right after the method's name are
 * its parameters. Comments run from '#' to the end of the line. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "varlink-idl.h"

static bool is_word_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static const char *skip_blanks(const char *p) {
        for (;;) {
                if (*p == '#')
                        p += strcspn(p, "\n");
                else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                else
                        return p;
        }
}

static const char *skip_word(const char *p) {
        while (is_word_char(*p))
                p++;
        return p;
}

/* Skips a parameter's type, up to the ',' or ')' that ends it at @p's
 * level; NULL when the text ends first. */
static const char *skip_type(const char *p) {
        unsigned depth = 0;

        for (p = skip_blanks(p); *p; p = skip_blanks(p + 1)) {
                if (*p == '(')
                        depth++;
                else if (*p == ')' && depth == 0)
                        return p;
                else if (*p == ')')
                        depth--;
                else if (*p == ',' && depth == 0)
                        return p;
        }
        return NULL;
}

/* Adds the parameter names of the list at @p (just past its '(') to @b;
 * returns the closing ')' or NULL when the list is malformed. */
static const char *parse_parameters(const char *p, struct strv_builder *b) {
        for (p = skip_blanks(p); *p != ')'; ) {
                const char *field_end = skip_word(p);

                if (field_end == p)
                        return NULL;
                strv_builder_addf(b, "%.*s", (int) (field_end - p), p);
                p = skip_blanks(field_end);
                if (*p != ':')
                        return NULL;
                p = skip_type(p + 1);
                if (!p)
                        return NULL;
                if (*p == ',')
                        p = skip_blanks(p + 1);
        }
        return p;
}

/* Parses "Name(field: type, ...)" at @p, after the keyword; *ret_end is
 * just past the closing parenthesis. */
static int parse_method(const char *p, struct varlink_idl_method *ret, const char **ret_end) {
        _cleanup_(strv_freep) char **parameters = NULL;
        _cleanup_(freep) char *name = NULL;
        struct strv_builder b = {};
        const char *start, *end;

        start = skip_blanks(p);
        end = skip_word(start);
        if (end == start)
                return -EBADMSG;
        p = skip_blanks(end);
        if (*p != '(')
                return -EBADMSG;
        p = parse_parameters(p + 1, &b);
        parameters = b.v;
        if (!p)
                return -EBADMSG;
        if (b.error < 0)
                return b.error;
        /* A method without parameters still gets its (empty) vector. */
        if (!parameters)
                parameters = calloc(1, sizeof(char *));
        name = strndup(start, (size_t) (end - start));
        if (!parameters || !name)
                return -ENOMEM;
        *ret = (struct varlink_idl_method) { .name = TAKE_PTR(name), .parameters = TAKE_PTR(parameters) };
        *ret_end = p + 1;
        return 0;
}

int varlink_idl_parse_methods(const char *idl, struct varlink_idl_methods *ret) {
        struct varlink_idl_methods found = {};
        unsigned depth = 0;
        const char *p;
        int r = 0;

        if (!idl || !ret)
                return -EINVAL;
        for (p = skip_blanks(idl); *p; p = skip_blanks(p)) {
                const char *word_end = skip_word(p);

                if (word_end == p) {
                        if (*p == '(')
                                depth++;
                        else if (*p == ')' && depth == 0)
                                r = -EBADMSG;
                        else if (*p == ')')
                                depth--;
                        if (r < 0)
                                break;
                        p++;
                        continue;
                }
                if (depth == 0 && word_end - p == 6 && memcmp(p, "method", 6) == 0) {
                        struct varlink_idl_method *items = reallocarray(found.items, found.n + 1, sizeof(*items));

                        if (!items) {
                                r = -ENOMEM;
                                break;
                        }
                        found.items = items;
                        r = parse_method(word_end, &found.items[found.n], &word_end);
                        if (r < 0)
                                break;
                        found.n++;
                }
                p = word_end;
        }
        if (r >= 0 && depth != 0)
                r = -EBADMSG;
        if (r < 0) {
                varlink_idl_methods_clear(&found);
                return r;
        }
        *ret = found;
        return 0;
}

void varlink_idl_methods_clear(struct varlink_idl_methods *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->items[i].name);
                strv_free(m->items[i].parameters);
        }
        free(m->items);
        *m = (struct varlink_idl_methods) {};
}

const struct varlink_idl_method *varlink_idl_methods_find(const struct varlink_idl_methods *m, const char *name) {
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->items[i].name, name) == 0)
                        return &m->items[i];
        return NULL;
}

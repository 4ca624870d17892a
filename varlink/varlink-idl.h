/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method signatures of a varlink interface description (IDL): each
 * method's name and the names of its input parameters. Only as much of
 * the grammar as that needs: types are skipped, not checked (the server
 * registers descriptions compiled into it, not ones read from clients). */
#pragma once

#include <stddef.h>

struct varlink_idl_method {
        char *name;
        char **parameters;      /* NULL-terminated, in declaration order */
};

struct varlink_idl_methods {
        struct varlink_idl_method *items;
        size_t n;
};

/* Collects the methods declared in @idl. -EBADMSG when a method
 * declaration is malformed or the parentheses do not balance, -ENOMEM;
 * *ret is filled only on success and owned by the caller
 * (varlink_idl_methods_clear()). */
int varlink_idl_parse_methods(const char *idl, struct varlink_idl_methods *ret);
void varlink_idl_methods_clear(struct varlink_idl_methods *m);
/* The method called @name, or NULL. */
const struct varlink_idl_method *varlink_idl_methods_find(const struct varlink_idl_methods *m, const char *name);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enumerations and their names: a table indexed by value, NULL for gaps. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

/* table[value], NULL when @value is out of range or a gap. */
static inline const char *string_table_to_string(const char *const *table, size_t n, size_t value) {
        return value < n ? table[value] : NULL;
}

/* The index of @name in @table; -EINVAL when @name is NULL or absent. */
static inline int string_table_from_string(const char *const *table, size_t n, const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

/* type_to_string() and type_from_string() over name##_table. */
#define DEFINE_STRING_TABLE_TO_STRING(name, type)                                          \
        const char *name##_to_string(type value) {                                         \
                return string_table_to_string(name##_table, ELEMENTSOF(name##_table),       \
                                              (size_t) value);                              \
        }
#define DEFINE_STRING_TABLE_FROM_STRING(name)                                              \
        int name##_from_string(const char *text) {                                         \
                return string_table_from_string(name##_table, ELEMENTSOF(name##_table), text); \
        }

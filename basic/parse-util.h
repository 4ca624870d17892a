/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict whole-string parsers for kernel files, line splitting and base64.
 * Pure functions: no allocation except where the result says so. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Whole-string parsers: no sign, no leading space, an optional single
 * trailing newline; -EINVAL for bad syntax, -ERANGE on overflow. *ret is
 * untouched on failure. */
int mr_parse_hex_u64(const char *s, uint64_t *ret);               /* "0x1f", "1f", "0X1F" */
int mr_parse_hex_u64_n(const char *s, size_t len, uint64_t *ret); /* exactly len chars */
int mr_parse_dec_u64(const char *s, uint64_t *ret);
int mr_parse_int(const char *s, int *ret);                        /* decimal, may be negative */
int mr_parse_bool01(const char *s, int *ret);                     /* "0" or "1" */

/* Splits @buf in place at newlines: returns the next line (without '\n')
 * and advances *cursor; NULL at end. */
char *mr_next_line(char **cursor);

/* Base64 (RFC 4648, padded) for binary data in JSON (the ELF core header
 * of GetElfCoreHeader). The caller frees the result. decode: -EINVAL for a
 * length that is not a multiple of 4 or a character outside the alphabet. */
int mr_base64_encode(const void *data, size_t size, char **ret_text);
int mr_base64_decode(const char *text, void **ret_data, size_t *ret_size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one home of the json-c helpers: the io.memranged records
 * (memrange-json*.c), the varlink wire code (through varlink-json.h), the
 * daemon and memrangectl include it. Typed member
 * getters that report failures into struct mj_error, the
 * consuming adders, and the name-array encoders shared by ranges, findings
 * and filters. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "macro.h"

/* Where and why parsing failed. Both strings are always NUL-terminated
 * (truncated when long). */
struct mj_error {
        char path[96];    /* "ranges[3].end", "" for the value itself */
        char reason[160]; /* "expected an unsigned integer" */
};


DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)

/* Records @path and the formatted reason in @error (may be NULL) and
 * returns -EBADMSG. */
int mj_fail(struct mj_error *error, const char *path, const char *format, ...) _printf_(3, 4);
#ifdef __clang_analyzer__
/* As mr_error_at(): the static analyzer does not follow variadic functions;
 * tell it that this one always fails. */
#define mj_fail(...)                                      \
        ({                                                \
                int _mj_fail_r_ = (mj_fail)(__VA_ARGS__); \
                ANALYZER_ASSUME(_mj_fail_r_ < 0);         \
                _mj_fail_r_;                              \
        })
#endif
/* Puts "@prefix" in front of the recorded path ("blocks" + "[3].end" ->
 * "blocks[3].end", "ranges[2]" + "end" -> "ranges[2].end"). */
void mj_prefix(struct mj_error *error, const char *format, ...) _printf_(2, 3);

/* Checks that @v is a JSON object; @what names it in the message. */
int mj_expect_object(struct json_object *v, struct mj_error *error);

/* Member getters: 1 when present and well typed (*ret set), 0 when absent
 * or null and optional (*ret untouched), -EBADMSG when required and
 * absent, or of the wrong type or out of range. */
int mj_get_u64(struct json_object *o, const char *key, bool required, uint64_t *ret,
               struct mj_error *error);
int mj_get_i32(struct json_object *o, const char *key, bool required, int32_t *ret,
               struct mj_error *error); /* 0..INT32_MAX */
int mj_get_bool(struct json_object *o, const char *key, bool required, bool *ret,
                struct mj_error *error);
int mj_get_string(struct json_object *o, const char *key, bool required, const char **ret,
                  struct mj_error *error);
int mj_get_array(struct json_object *o, const char *key, bool required, struct json_object **ret,
                 struct mj_error *error);
int mj_get_object(struct json_object *o, const char *key, bool required, struct json_object **ret,
                  struct mj_error *error);

/* The unsigned integer @v (a JSON integer >= 0) in *ret, else -EBADMSG
 * with @path. */
int mj_u64_value(struct json_object *v, const char *path, uint64_t *ret, struct mj_error *error);

/* An inclusive wire range {start, end[, size]} of @o into [*ret_start,
 * *ret_end) with the consistency checks (end >= start, end below the last
 * address, size = end - start + 1 when @with_size). */
int mj_get_span(struct json_object *o, bool with_size, uint64_t *ret_start, uint64_t *ret_end,
                struct mj_error *error);
/* Adds start, end (inclusive) and, when @with_size, size for [start, end). */
int mj_add_span(struct json_object *o, uint64_t start, uint64_t end, bool with_size);

/* Adds @value under @key (mj_append: at the end of @array), consuming it;
 * NULL @value (a failed json_object_new_*()) gives -ENOMEM. */
int mj_add(struct json_object *o, const char *key, struct json_object *value);
int mj_append(struct json_object *array, struct json_object *value);

/* An array holding the encoding of each of the @n items of @size bytes at
 * @items. */
typedef int (*mj_encode_fn)(const void *item, struct json_object **ret_object);
int mj_encode_array(const void *items, size_t n, size_t size, mj_encode_fn encode, struct json_object **ret_array);

/* Checks that @array is a JSON array and hands each element with its index
 * to @decode; a failure's path gets "@prefix[i]" in front. */
typedef int (*mj_decode_fn)(struct json_object *element, size_t i, void *userdata,
                            struct mj_error *error);
int mj_decode_array(struct json_object *array, const char *prefix, mj_decode_fn decode, void *userdata,
                    struct mj_error *error);

/* A bit set as an array of names (@to_name of each set bit, -EINVAL for a
 * bit without a name) and back (@from_name gives the bit; an unknown name
 * is refused naming @key). */
int mj_add_bit_names(struct json_object *o, const char *key, uint32_t bits, const char *(*to_name)(uint32_t bit));
int mj_get_bit_names(struct json_object *o, const char *key, int (*from_name)(const char *name), uint32_t *ret,
                     struct mj_error *error);

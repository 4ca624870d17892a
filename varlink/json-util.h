/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one vocabulary for reading and building JSON objects: the
 * io.memranged records (memrange-json*.c), the varlink wire code (through
 * varlink-json.h), the daemon and memrangectl include it. Typed member
 * getters (mj_get_*) that report failures into an optional struct
 * mj_error, the builder (struct mj_builder, mj_build_*) for objects of
 * several members, the consuming adders, and the name-array encoders
 * shared by ranges, findings and filters. */
#pragma once

#include <errno.h>
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

struct mj_builder; /* below, with the mj_build_*() that fill an object */

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

/* Member getters, the one family for every JSON object the tree reads
 * (varlink parameters and envelopes, io.memranged records, replies in
 * memrangectl). Each looks up @key in the object @o (NULL: no member at
 * all) and returns
 *   1        present and well typed: *ret set (borrowed results live as
 *            long as @o);
 *   0        absent or JSON null and not @required: *ret untouched, so
 *            preset a default;
 *   -EBADMSG absent or null and @required, of the wrong type or out of
 *            range, a string holding "\u0000", or @o not an object.
 * @error may be NULL: callers that report the failure themselves (the
 * daemon answers InvalidParameter naming @key) need only the return. */
int mj_get_u64(struct json_object *o, const char *key, bool required, uint64_t *ret,
               struct mj_error *error);
int mj_get_i64(struct json_object *o, const char *key, bool required, int64_t *ret,
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
/* Adds start, end (inclusive) and, when @with_size, size for [start, end)
 * (-EINVAL when empty). */
void mj_build_span(struct mj_builder *b, uint64_t start, uint64_t end, bool with_size);

/* The one idiom for an object of several members: a builder whose first
 * failure sticks. Each mj_build*() adds one member to @object, or, once
 * @error is set, only frees what it was given; the caller checks @error
 * once at the end. @object is borrowed (it belongs to the caller, who
 * frees it on failure). mj_builder_on(NULL), a failed
 * json_object_new_object(), starts with -ENOMEM.
 *
 *         struct mj_builder b = mj_builder_on(o);
 *
 *         mj_build_u64(&b, "generation", generation);
 *         mj_build_string(&b, "reason", reason);
 *         if (b.error < 0)
 *                 return b.error;
 */
struct mj_builder {
        struct json_object *object;
        int error;
};
/* A function, not a macro: callers pass json_object_new_object(), which
 * must run once. */
static inline struct mj_builder mj_builder_on(struct json_object *o) {
        return (struct mj_builder) { .object = o, .error = o ? 0 : -ENOMEM };
}

/* Adds @value under @key, consuming it; NULL @value (a failed
 * json_object_new_*()) records -ENOMEM. */
void mj_build(struct mj_builder *b, const char *key, struct json_object *value);
/* As mj_build() for what an encoder returned: @r its return, *@value its
 * result, taken (set to NULL) either way. When @r is negative the error is
 * recorded and *@value, which the encoder left untouched, must be NULL or
 * owned. Taking a pointer lets the call read the result only after the
 * encoder ran: mj_build_encoded(&b, "ranges", encode(x, &a), &a). */
void mj_build_encoded(struct mj_builder *b, const char *key, int r, struct json_object **value);
/* Adds the object that the builder @member filled under @key, consuming
 * it; when @member failed, frees its object and records its error. */
void mj_build_object(struct mj_builder *b, const char *key, struct mj_builder *member);
/* Records @r when negative: a helper that added members itself failed. */
void mj_build_result(struct mj_builder *b, int r);
/* A JSON null under @key (a member that is known to be unknown). */
void mj_build_null(struct mj_builder *b, const char *key);
void mj_build_u64(struct mj_builder *b, const char *key, uint64_t value);
void mj_build_i64(struct mj_builder *b, const char *key, int64_t value);
void mj_build_int(struct mj_builder *b, const char *key, int value);
void mj_build_bool(struct mj_builder *b, const char *key, bool value);
/* @value must not be NULL (use mj_build_null() for a missing string). */
void mj_build_string(struct mj_builder *b, const char *key, const char *value);

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
void mj_build_bit_names(struct mj_builder *b, const char *key, uint32_t bits, const char *(*to_name)(uint32_t bit));
int mj_get_bit_names(struct json_object *o, const char *key, int (*from_name)(const char *name), uint32_t *ret,
                     struct mj_error *error);

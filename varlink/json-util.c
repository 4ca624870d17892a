/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The json-c helpers declared in json-util.h. Part of the "basic" static
 * library that both libmemrange and the tools (memrangectl, the daemon's
 * varlink wire code) link, like systemd's libbasic. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"

/* ---------------------------------------------------------------------------
 * Errors
 */

/* The name in parentheses: json-util.h wraps it in a macro for the static
 * analyzer. */
int (mj_fail)(struct mj_error *error, const char *path, const char *format, ...) {
        va_list ap;

        if (error) {
                snprintf(error->path, sizeof(error->path), "%s", path);
                va_start(ap, format);
                vsnprintf(error->reason, sizeof(error->reason), format, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

void mj_prefix(struct mj_error *error, const char *format, ...) {
        char prefix[sizeof(error->path)], joined[sizeof(error->path)];
        const char *sep;
        va_list ap;

        if (!error)
                return;
        va_start(ap, format);
        vsnprintf(prefix, sizeof(prefix), format, ap);
        va_end(ap);
        /* Members are joined with '.', array indices follow directly. */
        sep = error->path[0] == '\0' || error->path[0] == '[' || prefix[0] == '\0' ? "" : ".";
        /* A path too deep to keep whole is cut at its end; the prefix,
         * which says where in the document, matters most. */
        if (snprintf(joined, sizeof(joined), "%s%s%s", prefix, sep, error->path) < 0)
                return;
        memcpy(error->path, joined, sizeof(joined));
}

int mj_expect_object(struct json_object *v, struct mj_error *error) {
        if (!json_object_is_type(v, json_type_object))
                return mj_fail(error, "", "expected an object");
        return 0;
}

/* ---------------------------------------------------------------------------
 * Member getters
 */

/* The member @key of @o: 1 with *ret set, 0 when absent or null. */
static int member(struct json_object *o, const char *key, bool required, struct json_object **ret,
                  struct mj_error *error) {
        struct json_object *v = NULL;

        if (o && !json_object_is_type(o, json_type_object))
                return mj_fail(error, "", "expected an object");
        /* A JSON null is stored as NULL: it counts as absent. */
        if (!o || !json_object_object_get_ex(o, key, &v) || !v) {
                if (required)
                        return mj_fail(error, key, "missing");
                return 0;
        }
        *ret = v;
        return 1;
}

int mj_u64_value(struct json_object *v, const char *path, uint64_t *ret, struct mj_error *error) {
        if (!json_object_is_type(v, json_type_int))
                return mj_fail(error, path, "expected an unsigned integer");
        /* json-c keeps 2^63..2^64-1 as unsigned and clamps get_int64 to
         * INT64_MAX for them, so a negative int64 is a negative number. */
        if (json_object_get_int64(v) < 0)
                return mj_fail(error, path, "negative number");
        *ret = json_object_get_uint64(v);
        return 0;
}

int mj_get_u64(struct json_object *o, const char *key, bool required, uint64_t *ret,
               struct mj_error *error) {
        struct json_object *v = NULL;
        uint64_t u = 0; /* set on success; gcc -O3 cannot tell through mj_fail() */
        int r;

        r = member(o, key, required, &v, error);
        if (r <= 0)
                return r;
        r = mj_u64_value(v, key, &u, error);
        if (r < 0)
                return r;
        *ret = u;
        return 1;
}

int mj_get_i64(struct json_object *o, const char *key, bool required, int64_t *ret,
               struct mj_error *error) {
        struct json_object *v = NULL;
        int64_t i;
        int r;

        r = member(o, key, required, &v, error);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_int))
                return mj_fail(error, key, "expected an integer");
        /* json-c stores 2^63..2^64-1 unsigned and clamps get_int64 to
         * INT64_MAX for them. */
        i = json_object_get_int64(v);
        if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t) INT64_MAX)
                return mj_fail(error, key, "number too large");
        *ret = i;
        return 1;
}

int mj_get_i32(struct json_object *o, const char *key, bool required, int32_t *ret,
               struct mj_error *error) {
        uint64_t u = 0;
        int r;

        r = mj_get_u64(o, key, required, &u, error);
        if (r <= 0)
                return r;
        if (u > INT32_MAX)
                return mj_fail(error, key, "number %" PRIu64 " is too large", u);
        *ret = (int32_t) u;
        return 1;
}

/* The member @key of @o when it has JSON type @type (@expected names it). */
static int member_typed(struct json_object *o, const char *key, bool required, json_type type,
                        const char *expected, struct json_object **ret, struct mj_error *error) {
        struct json_object *v = NULL;
        int r;

        r = member(o, key, required, &v, error);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, type))
                return mj_fail(error, key, "expected %s", expected);
        *ret = v;
        return 1;
}

int mj_get_bool(struct json_object *o, const char *key, bool required, bool *ret,
                struct mj_error *error) {
        struct json_object *v = NULL;
        int r = member_typed(o, key, required, json_type_boolean, "a boolean", &v, error);

        if (r > 0)
                *ret = json_object_get_boolean(v);
        return r;
}

int mj_get_string(struct json_object *o, const char *key, bool required, const char **ret,
                  struct mj_error *error) {
        struct json_object *v = NULL;
        int r = member_typed(o, key, required, json_type_string, "a string", &v, error);

        if (r <= 0)
                return r;
        /* "\u0000" would silently cut the C string short. */
        if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                return mj_fail(error, key, "string contains \\u0000");
        *ret = json_object_get_string(v);
        return 1;
}

int mj_get_array(struct json_object *o, const char *key, bool required, struct json_object **ret,
                 struct mj_error *error) {
        return member_typed(o, key, required, json_type_array, "an array", ret, error);
}

int mj_get_object(struct json_object *o, const char *key, bool required, struct json_object **ret,
                  struct mj_error *error) {
        return member_typed(o, key, required, json_type_object, "an object", ret, error);
}

int mj_get_span(struct json_object *o, bool with_size, uint64_t *ret_start, uint64_t *ret_end,
                struct mj_error *error) {
        uint64_t start = 0, last = 0, size = 0;
        int r;

        r = mj_get_u64(o, "start", true, &start, error);
        if (r < 0)
                return r;
        r = mj_get_u64(o, "end", true, &last, error);
        if (r < 0)
                return r;
        if (last < start)
                return mj_fail(error, "end", "end 0x%" PRIx64 " is below start 0x%" PRIx64, last, start);
        /* The exclusive end must fit: the last byte of the address space is
         * never part of a range (memrange_table's limit). */
        if (last == UINT64_MAX)
                return mj_fail(error, "end", "end is the last byte of the address space");
        if (with_size) {
                r = mj_get_u64(o, "size", true, &size, error);
                if (r < 0)
                        return r;
                if (size != last - start + 1)
                        return mj_fail(error, "size", "size %" PRIu64 " disagrees with start and end", size);
        }
        *ret_start = start;
        *ret_end = last + 1;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Encoders
 */

int mj_add(struct json_object *o, const char *key, struct json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

void mj_build(struct mj_builder *b, const char *key, struct json_object *value) {
        if (b->error < 0) {
                json_object_put(value);
                return;
        }
        b->error = mj_add(b->object, key, value);
}

void mj_build_encoded(struct mj_builder *b, const char *key, int r, struct json_object **value) {
        struct json_object *o = TAKE_PTR(*value);

        if (r < 0) {
                json_object_put(o);
                mj_build_result(b, r);
                return;
        }
        mj_build(b, key, o);
}

void mj_build_object(struct mj_builder *b, const char *key, struct mj_builder *member) {
        struct json_object *o = TAKE_PTR(member->object);

        if (member->error < 0) {
                json_object_put(o);
                mj_build_result(b, member->error);
                return;
        }
        mj_build(b, key, o);
}

void mj_build_result(struct mj_builder *b, int r) {
        if (b->error >= 0 && r < 0)
                b->error = r;
}

void mj_build_null(struct mj_builder *b, const char *key) {
        /* json-c stores a JSON null as a NULL member value. */
        if (b->error >= 0 && json_object_object_add(b->object, key, NULL) < 0)
                b->error = -ENOMEM;
}

void mj_build_u64(struct mj_builder *b, const char *key, uint64_t value) {
        if (b->error >= 0)
                mj_build(b, key, json_object_new_uint64(value));
}

void mj_build_i64(struct mj_builder *b, const char *key, int64_t value) {
        if (b->error >= 0)
                mj_build(b, key, json_object_new_int64(value));
}

void mj_build_int(struct mj_builder *b, const char *key, int value) {
        if (b->error >= 0)
                mj_build(b, key, json_object_new_int(value));
}

void mj_build_bool(struct mj_builder *b, const char *key, bool value) {
        if (b->error >= 0)
                mj_build(b, key, json_object_new_boolean(value));
}

void mj_build_string(struct mj_builder *b, const char *key, const char *value) {
        if (b->error >= 0)
                mj_build(b, key, json_object_new_string(value));
}

void mj_build_span(struct mj_builder *b, uint64_t start, uint64_t end, bool with_size) {
        if (end <= start)
                return mj_build_result(b, -EINVAL);
        mj_build_u64(b, "start", start);
        mj_build_u64(b, "end", end - 1);
        if (with_size)
                mj_build_u64(b, "size", end - start);
}

int mj_append(struct json_object *array, struct json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_array_add(array, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int mj_encode_array(const void *items, size_t n, size_t size, mj_encode_fn encode, struct json_object **ret_array) {
        _cleanup_(json_object_putp) struct json_object *array = json_object_new_array_ext((int) n);
        int r;

        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *o;

                r = encode((const char *) items + i * size, &o);
                if (r >= 0)
                        r = mj_append(array, o);
                if (r < 0)
                        return r;
        }
        *ret_array = TAKE_PTR(array);
        return 0;
}

int mj_decode_array(struct json_object *array, const char *prefix, mj_decode_fn decode, void *userdata,
                    struct mj_error *error) {
        int r;

        if (!json_object_is_type(array, json_type_array))
                return mj_fail(error, prefix, "expected an array");
        for (size_t i = 0; i < json_object_array_length(array); i++) {
                r = decode(json_object_array_get_idx(array, i), i, userdata, error);
                if (r < 0) {
                        mj_prefix(error, "%s[%zu]", prefix, i);
                        return r;
                }
        }
        return 0;
}

static int bit_names(uint32_t bits, const char *(*to_name)(uint32_t bit), struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *array = json_object_new_array();
        int r;

        if (!array)
                return -ENOMEM;
        for (unsigned i = 0; i < 32; i++) {
                const char *name;

                if (!(bits & (1u << i)))
                        continue;
                name = to_name(1u << i);
                if (!name)
                        return -EINVAL;
                r = mj_append(array, json_object_new_string(name));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(array);
        return 0;
}

void mj_build_bit_names(struct mj_builder *b, const char *key, uint32_t bits, const char *(*to_name)(uint32_t bit)) {
        struct json_object *array = NULL;

        if (b->error >= 0)
                mj_build_encoded(b, key, bit_names(bits, to_name, &array), &array);
}

int mj_get_bit_names(struct json_object *o, const char *key, int (*from_name)(const char *name), uint32_t *ret,
                     struct mj_error *error) {
        struct json_object *array = NULL;
        uint32_t bits = 0;
        int r;

        r = mj_get_array(o, key, true, &array, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(array); i++) {
                struct json_object *v = json_object_array_get_idx(array, i);
                int bit;

                if (!json_object_is_type(v, json_type_string))
                        return mj_fail(error, key, "element %zu is not a string", i);
                bit = from_name(json_object_get_string(v));
                if (bit < 0)
                        return mj_fail(error, key, "unknown name '%s'", json_object_get_string(v));
                bits |= (uint32_t) bit;
        }
        *ret = bits;
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON of the io.memranged interface: the strict member getters, ranges,
 * range arrays, tables and the ListRanges filter. Blocks, findings and
 * source status are in json-records.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"

/* ---------------------------------------------------------------------------
 * Errors
 */

int mj_fail(struct memrange_json_error *error, const char *path, const char *format, ...) {
        va_list ap;

        if (error) {
                snprintf(error->path, sizeof(error->path), "%s", path);
                va_start(ap, format);
                vsnprintf(error->reason, sizeof(error->reason), format, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

void mj_prefix(struct memrange_json_error *error, const char *format, ...) {
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

int mj_expect_object(struct json_object *v, struct memrange_json_error *error) {
        if (!json_object_is_type(v, json_type_object))
                return mj_fail(error, "", "expected an object");
        return 0;
}

/* ---------------------------------------------------------------------------
 * Member getters
 */

/* The member @key of @o: 1 with *ret set, 0 when absent or null. */
static int member(struct json_object *o, const char *key, bool required, struct json_object **ret,
                  struct memrange_json_error *error) {
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !v) {
                if (required)
                        return mj_fail(error, key, "missing");
                return 0;
        }
        *ret = v;
        return 1;
}

int mj_u64_value(struct json_object *v, const char *path, uint64_t *ret, struct memrange_json_error *error) {
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
               struct memrange_json_error *error) {
        struct json_object *v = NULL;
        uint64_t u;
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

int mj_get_i32(struct json_object *o, const char *key, bool required, int32_t *ret,
               struct memrange_json_error *error) {
        uint64_t u;
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
                        const char *expected, struct json_object **ret, struct memrange_json_error *error) {
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
                struct memrange_json_error *error) {
        struct json_object *v = NULL;
        int r = member_typed(o, key, required, json_type_boolean, "a boolean", &v, error);

        if (r > 0)
                *ret = json_object_get_boolean(v);
        return r;
}

int mj_get_string(struct json_object *o, const char *key, bool required, const char **ret,
                  struct memrange_json_error *error) {
        struct json_object *v = NULL;
        int r = member_typed(o, key, required, json_type_string, "a string", &v, error);

        if (r > 0)
                *ret = json_object_get_string(v);
        return r;
}

int mj_get_array(struct json_object *o, const char *key, bool required, struct json_object **ret,
                 struct memrange_json_error *error) {
        return member_typed(o, key, required, json_type_array, "an array", ret, error);
}

int mj_get_object(struct json_object *o, const char *key, bool required, struct json_object **ret,
                  struct memrange_json_error *error) {
        return member_typed(o, key, required, json_type_object, "an object", ret, error);
}

int mj_get_span(struct json_object *o, bool with_size, uint64_t *ret_start, uint64_t *ret_end,
                struct memrange_json_error *error) {
        uint64_t start, last, size;
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

int mj_add_span(struct json_object *o, uint64_t start, uint64_t end, bool with_size) {
        int r;

        if (end <= start)
                return -EINVAL;
        r = mj_add(o, "start", json_object_new_uint64(start));
        if (r >= 0)
                r = mj_add(o, "end", json_object_new_uint64(end - 1));
        if (r >= 0 && with_size)
                r = mj_add(o, "size", json_object_new_uint64(end - start));
        return r;
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
                    struct memrange_json_error *error) {
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

int mj_add_bit_names(struct json_object *o, const char *key, uint32_t bits, const char *(*to_name)(uint32_t bit)) {
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
        return mj_add(o, key, TAKE_PTR(array));
}

int mj_get_bit_names(struct json_object *o, const char *key, int (*from_name)(const char *name), uint32_t *ret,
                     struct memrange_json_error *error) {
        struct json_object *array;
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

static const char *flag_name(uint32_t bit) {
        return memrange_flag_to_name(bit);
}
static const char *source_name(uint32_t bit) {
        return memrange_source_to_name(bit);
}

/* ---------------------------------------------------------------------------
 * Range
 */

_public_ int memrange_json_from_range(const struct memrange *r, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *type = NULL;
        int k;

        if (!r || !ret_object)
                return -EINVAL;
        type = memrange_type_to_name(r->type);
        if (!type)
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        k = mj_add_span(o, r->start, r->end, true);
        if (k >= 0)
                k = mj_add(o, "type", json_object_new_string(type));
        if (k >= 0)
                k = mj_add_bit_names(o, "flags", r->flags, flag_name);
        if (k >= 0 && r->nid >= 0)
                k = mj_add(o, "node", json_object_new_int(r->nid));
        if (k >= 0)
                k = mj_add_bit_names(o, "sources", r->sources, source_name);
        if (k < 0)
                return k;
        *ret_object = TAKE_PTR(o);
        return 0;
}

static int flag_from_name(const char *name) {
        return memrange_flag_from_name(name);
}
static int source_from_name(const char *name) {
        return memrange_source_from_name(name);
}

_public_ int memrange_json_to_range(struct json_object *object, struct memrange *ret_range,
                                   struct memrange_json_error *error) {
        struct memrange m = { .nid = MEMRANGE_NID_NONE };
        const char *type = NULL;
        int r, t;

        if (!ret_range)
                return -EINVAL;
        r = mj_expect_object(object, error);
        if (r < 0)
                return r;
        r = mj_get_span(object, true, &m.start, &m.end, error);
        if (r < 0)
                return r;
        r = mj_get_string(object, "type", true, &type, error);
        if (r < 0)
                return r;
        t = memrange_type_from_name(type);
        if (t < 0)
                return mj_fail(error, "type", "unknown type '%s'", type);
        m.type = (uint32_t) t;
        r = mj_get_bit_names(object, "flags", flag_from_name, &m.flags, error);
        if (r < 0)
                return r;
        r = mj_get_i32(object, "node", false, &m.nid, error);
        if (r < 0)
                return r;
        r = mj_get_bit_names(object, "sources", source_from_name, &m.sources, error);
        if (r < 0)
                return r;
        *ret_range = m;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Range arrays, tables
 */

static int encode_range(const void *item, struct json_object **ret_object) {
        return memrange_json_from_range(item, ret_object);
}

_public_ int memrange_json_from_list(const struct memrange_list *list, struct json_object **ret_array) {
        if (!list || !ret_array)
                return -EINVAL;
        return mj_encode_array(list->ranges, list->n, sizeof(*list->ranges), encode_range, ret_array);
}

static int decode_list_range(struct json_object *element, size_t i, void *userdata,
                             struct memrange_json_error *error) {
        struct memrange m;
        int r;

        r = memrange_json_to_range(element, &m, error);
        if (r < 0)
                return r;
        return memrange_list_append(userdata, &m, NULL);
}

_public_ int memrange_json_to_list(struct json_object *array, struct memrange_list **ret_list,
                                  struct memrange_json_error *error) {
        _cleanup_(memrange_list_freep) struct memrange_list *list = NULL;
        int r;

        if (!ret_list)
                return -EINVAL;
        list = calloc(1, sizeof(*list));
        if (!list)
                return -ENOMEM;
        r = mj_decode_array(array, "", decode_list_range, list, error);
        if (r < 0)
                return r;
        *ret_list = TAKE_PTR(list);
        return 0;
}

_public_ int memrange_json_from_table(const struct memrange_table *table, const struct memrange_json_filter *filter,
                                     struct json_object **ret_array) {
        _cleanup_(json_object_putp) struct json_object *array = NULL;
        int r;

        if (!table || !ret_array)
                return -EINVAL;
        array = json_object_new_array();
        if (!array)
                return -ENOMEM;
        memrange_table_foreach(m, table) {
                struct json_object *o;

                if (filter && !memrange_json_filter_match(filter, m))
                        continue;
                r = memrange_json_from_range(m, &o);
                if (r < 0)
                        return r;
                r = mj_append(array, o);
                if (r < 0)
                        return r;
        }
        *ret_array = TAKE_PTR(array);
        return 0;
}

struct table_decoder {
        struct memrange_table *table;
        uint64_t prev_end;
};

static int decode_table_range(struct json_object *element, size_t i, void *userdata,
                              struct memrange_json_error *error) {
        struct table_decoder *d = userdata;
        struct memrange m;
        int r;

        r = memrange_json_to_range(element, &m, error);
        if (r < 0)
                return r;
        /* A table has one record per address: the wire must agree. */
        if (i > 0 && m.start < d->prev_end)
                return mj_fail(error, "start", "range overlaps or precedes the one before");
        d->prev_end = m.end;
        return memrange_table_add(d->table, &m);
}

_public_ int memrange_json_to_table(struct json_object *array, struct memrange_table **ret_table,
                                   struct memrange_json_error *error) {
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        struct table_decoder d = {};
        int r;

        if (!ret_table)
                return -EINVAL;
        r = memrange_table_new(&table);
        if (r < 0)
                return r;
        d.table = table;
        r = mj_decode_array(array, "", decode_table_range, &d, error);
        if (r < 0)
                return r;
        *ret_table = TAKE_PTR(table);
        return 0;
}

/* ---------------------------------------------------------------------------
 * ListRanges filter
 */

_public_ bool memrange_json_filter_match(const struct memrange_json_filter *filter, const struct memrange *r) {
        if (!filter)
                return true;
        if (filter->types && (r->type >= 32 || !(filter->types & (1u << r->type))))
                return false;
        if (filter->has_node && r->nid != filter->node)
                return false;
        if (filter->has_window && !(r->start < filter->end && r->end > filter->start))
                return false;
        return true;
}

static const char *type_name(uint32_t bit) {
        return memrange_type_to_name((enum memrange_type) __builtin_ctz(bit));
}

_public_ int memrange_json_filter_to_json(const struct memrange_json_filter *filter, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        int r = 0;

        if (!ret_object)
                return -EINVAL;
        if (!o)
                return -ENOMEM;
        if (filter && filter->types)
                r = mj_add_bit_names(o, "types", filter->types, type_name);
        if (r >= 0 && filter && filter->has_node) {
                if (filter->node < 0)
                        return -EINVAL;
                r = mj_add(o, "node", json_object_new_int(filter->node));
        }
        if (r >= 0 && filter && filter->has_window)
                r = mj_add_span(o, filter->start, filter->end, false);
        if (r < 0)
                return r;
        *ret_object = TAKE_PTR(o);
        return 0;
}

static int types_from_json(struct json_object *parameters, uint32_t *ret, struct memrange_json_error *error) {
        struct json_object *array;
        uint32_t types = 0;
        int r;

        r = mj_get_array(parameters, "types", false, &array, error);
        if (r <= 0)
                return r;
        if (json_object_array_length(array) == 0)
                return mj_fail(error, "types", "empty list (omit it to list every type)");
        for (size_t i = 0; i < json_object_array_length(array); i++) {
                struct json_object *v = json_object_array_get_idx(array, i);
                int t;

                if (!json_object_is_type(v, json_type_string))
                        return mj_fail(error, "types", "element %zu is not a string", i);
                t = memrange_type_from_name(json_object_get_string(v));
                if (t < 0)
                        return mj_fail(error, "types", "unknown type name '%s'", json_object_get_string(v));
                types |= 1u << t;
        }
        *ret = types;
        return 1;
}

_public_ int memrange_json_filter_from_json(struct json_object *parameters, struct memrange_json_filter *ret_filter,
                                           struct memrange_json_error *error) {
        static const char *const known[] = { "types", "node", "start", "end" };
        struct memrange_json_filter f = { .start = 0, .end = UINT64_MAX };
        uint64_t last = UINT64_MAX;
        int r, has_start, has_end;

        if (!ret_filter)
                return -EINVAL;
        r = mj_expect_object(parameters, error);
        if (r < 0)
                return r;
        json_object_object_foreach(parameters, key, value) {
                bool found = false;

                (void) value;
                for (size_t i = 0; i < ELEMENTSOF(known); i++)
                        found = found || strcmp(key, known[i]) == 0;
                if (!found)
                        return mj_fail(error, key, "unknown parameter");
        }
        r = types_from_json(parameters, &f.types, error);
        if (r < 0)
                return r;
        r = mj_get_i32(parameters, "node", false, &f.node, error);
        if (r < 0)
                return r;
        f.has_node = r > 0;
        has_start = mj_get_u64(parameters, "start", false, &f.start, error);
        if (has_start < 0)
                return has_start;
        has_end = mj_get_u64(parameters, "end", false, &last, error);
        if (has_end < 0)
                return has_end;
        if (f.start > last)
                return mj_fail(error, "start", "start 0x%" PRIx64 " is above end 0x%" PRIx64, f.start, last);
        /* The window's end is inclusive on the wire; no range holds the
         * last byte, so saturating loses nothing. */
        f.end = last == UINT64_MAX ? UINT64_MAX : last + 1;
        f.has_window = has_start > 0 || has_end > 0;
        if (!f.has_window)
                f.end = 0;
        *ret_filter = f;
        return 0;
}

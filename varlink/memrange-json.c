/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON of the io.memranged interface: ranges, range arrays, tables and the
 * ListRanges filter (the member getters are in json-util.c). Blocks, findings and
 * source status are in json-records.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memrange-cleanup.h"
#include "memrange-json.h"

static const char *flag_name(uint32_t bit) {
        return memrange_flag_to_name(bit);
}
static const char *source_name(uint32_t bit) {
        return memrange_source_to_name(bit);
}

/* ---------------------------------------------------------------------------
 * Range
 */

int memrange_json_from_range(const struct memrange *r, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *type = NULL;
        struct mj_builder b;

        if (!r || !ret_object)
                return -EINVAL;
        type = memrange_type_to_name(r->type);
        if (!type)
                return -EINVAL;
        o = json_object_new_object();
        b = mj_builder_on(o);
        mj_build_span(&b, r->start, r->end, true);
        mj_build_string(&b, "type", type);
        mj_build_bit_names(&b, "flags", r->flags, flag_name);
        if (r->nid >= 0)
                mj_build_int(&b, "node", r->nid);
        mj_build_bit_names(&b, "sources", r->sources, source_name);
        if (b.error < 0)
                return b.error;
        *ret_object = TAKE_PTR(o);
        return 0;
}

static int flag_from_name(const char *name) {
        return memrange_flag_from_name(name);
}
static int source_from_name(const char *name) {
        return memrange_source_from_name(name);
}

int memrange_json_to_range(struct json_object *object, struct memrange *ret_range,
                                   struct mj_error *error) {
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

int memrange_json_from_list(const struct memrange_list *list, struct json_object **ret_array) {
        if (!list || !ret_array)
                return -EINVAL;
        return mj_encode_array(list->ranges, list->n, sizeof(*list->ranges), encode_range, ret_array);
}

static int decode_list_range(struct json_object *element, size_t i, void *userdata,
                             struct mj_error *error) {
        struct memrange m;
        int r;

        r = memrange_json_to_range(element, &m, error);
        if (r < 0)
                return r;
        return memrange_list_append(userdata, &m, NULL);
}

int memrange_json_to_list(struct json_object *array, struct memrange_list **ret_list,
                                  struct mj_error *error) {
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

int memrange_json_from_table(const struct memrange_table *table, const struct memrange_json_filter *filter,
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
                              struct mj_error *error) {
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

int memrange_json_to_table(struct json_object *array, struct memrange_table **ret_table,
                                   struct mj_error *error) {
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

bool memrange_json_filter_match(const struct memrange_json_filter *filter, const struct memrange *r) {
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

int memrange_json_filter_to_json(const struct memrange_json_filter *filter, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct mj_builder b = mj_builder_on(o);

        if (!ret_object)
                return -EINVAL;
        if (filter && filter->has_node && filter->node < 0)
                return -EINVAL;
        if (filter && filter->types)
                mj_build_bit_names(&b, "types", filter->types, type_name);
        if (filter && filter->has_node)
                mj_build_int(&b, "node", filter->node);
        if (filter && filter->has_window)
                mj_build_span(&b, filter->start, filter->end, false);
        if (b.error < 0)
                return b.error;
        *ret_object = TAKE_PTR(o);
        return 0;
}

static int types_from_json(struct json_object *parameters, uint32_t *ret, struct mj_error *error) {
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

int memrange_json_filter_from_json(struct json_object *parameters, struct memrange_json_filter *ret_filter,
                                           struct mj_error *error) {
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON of the io.memranged interface: memory blocks, findings and the
 * status of each kernel source (ranges and tables are in json.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-cleanup.h"
#include "memrange-json.h"

static const char *source_name(uint32_t bit) {
        return memrange_source_to_name(bit);
}
static int source_from_name(const char *name) {
        return memrange_source_from_name(name);
}

/* ---------------------------------------------------------------------------
 * Blocks
 */

/* Absent when unknown (negative). */
static void build_optional_bool(struct mj_builder *b, const char *key, int value) {
        if (value >= 0)
                mj_build_bool(b, key, value > 0);
}

static int nodes_to_json(const struct memrange_block *block, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *array = json_object_new_array();
        int r;

        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < block->n_nodes; i++) {
                r = mj_append(array, json_object_new_int(block->nodes[i]));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(array);
        return 0;
}

int memrange_json_from_block(const struct memrange_block *block, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *nodes = NULL;
        struct mj_builder b;
        const char *state;

        if (!block || !ret_object)
                return -EINVAL;
        state = memrange_block_state_to_name(block->state);
        if (!state)
                return -EINVAL;
        o = json_object_new_object();
        b = mj_builder_on(o);
        mj_build_u64(&b, "index", block->index);
        mj_build_span(&b, block->start, block->end, true);
        mj_build_string(&b, "state", state);
        build_optional_bool(&b, "online", block->online);
        build_optional_bool(&b, "removable", block->removable);
        if (block->valid_zones)
                mj_build_string(&b, "zones", block->valid_zones);
        mj_build_encoded(&b, "nodes", nodes_to_json(block, &nodes), &nodes);
        if (b.error < 0)
                return b.error;
        *ret_object = TAKE_PTR(o);
        return 0;
}

/* An optional boolean member as the block's -1/0/1. */
static int get_tristate(struct json_object *o, const char *key, int *ret, struct mj_error *error) {
        bool b;
        int r;

        r = mj_get_bool(o, key, false, &b, error);
        if (r < 0)
                return r;
        *ret = r == 0 ? -1 : b;
        return 0;
}

/* "nodes": node numbers in strictly ascending order (the reader's order). */
static int get_nodes(struct json_object *o, int32_t **ret_nodes, size_t *ret_n, struct mj_error *error) {
        _cleanup_(freep) int32_t *nodes = NULL;
        struct json_object *array;
        size_t n;
        int r;

        r = mj_get_array(o, "nodes", true, &array, error);
        if (r < 0)
                return r;
        n = json_object_array_length(array);
        if (n > 0) {
                nodes = calloc(n, sizeof(*nodes));
                if (!nodes)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(array, i);
                uint64_t u;

                r = mj_u64_value(v, "nodes", &u, error);
                if (r < 0)
                        return r;
                if (u > INT32_MAX || (i > 0 && (int32_t) u <= nodes[i - 1]))
                        return mj_fail(error, "nodes", "element %zu is out of range or out of order", i);
                nodes[i] = (int32_t) u;
        }
        *ret_nodes = TAKE_PTR(nodes);
        *ret_n = n;
        return 0;
}

int memrange_json_to_block(struct json_object *object, struct memrange_block *ret_block,
                                   struct mj_error *error) {
        _cleanup_(memrange_block_clear) struct memrange_block b = { .phys_device = -1 };
        const char *state = NULL, *zones = NULL;
        int r, s;

        if (!ret_block)
                return -EINVAL;
        r = mj_expect_object(object, error);
        if (r < 0)
                return r;
        r = mj_get_u64(object, "index", true, &b.index, error);
        if (r < 0)
                return r;
        r = mj_get_span(object, true, &b.start, &b.end, error);
        if (r < 0)
                return r;
        r = mj_get_string(object, "state", true, &state, error);
        if (r < 0)
                return r;
        s = memrange_block_state_from_name(state);
        if (s < 0)
                return mj_fail(error, "state", "unknown block state '%s'", state);
        b.state = (uint32_t) s;
        r = get_tristate(object, "online", &b.online, error);
        if (r >= 0)
                r = get_tristate(object, "removable", &b.removable, error);
        if (r >= 0)
                r = mj_get_string(object, "zones", false, &zones, error);
        if (r < 0)
                return r;
        if (zones) {
                b.valid_zones = strdup(zones);
                if (!b.valid_zones)
                        return -ENOMEM;
        }
        r = get_nodes(object, &b.nodes, &b.n_nodes, error);
        if (r < 0)
                return r;
        *ret_block = b;
        /* cppcheck-suppress unreadVariable ; read by the _cleanup_ handler */
        b = (struct memrange_block) {}; /* NOLINT(clang-analyzer-deadcode.DeadStores) */
        return 0;
}

static int encode_block(const void *item, struct json_object **ret_object) {
        return memrange_json_from_block(item, ret_object);
}

int memrange_json_from_blocks(const struct memrange_blocks *blocks, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *array = NULL;
        struct mj_builder b;
        int r;

        if (!blocks || !ret_object)
                return -EINVAL;
        o = json_object_new_object();
        b = mj_builder_on(o);
        mj_build_u64(&b, "block_size", blocks->block_size);
        if (blocks->auto_online_blocks)
                mj_build_string(&b, "auto_online_blocks", blocks->auto_online_blocks);
        build_optional_bool(&b, "crash_hotplug", blocks->crash_hotplug);
        r = mj_encode_array(blocks->blocks, blocks->n, sizeof(*blocks->blocks), encode_block, &array);
        mj_build_encoded(&b, "blocks", r, &array);
        if (b.error < 0)
                return b.error;
        *ret_object = TAKE_PTR(o);
        return 0;
}

/* Block @i of the array: it must follow the previous one and be exactly
 * block @index of block_size bytes. */
static int decode_block(struct json_object *v, size_t i, void *userdata, struct mj_error *error) {
        struct memrange_blocks *blocks = userdata;
        struct memrange_block *b = &blocks->blocks[i];
        int r;

        r = memrange_json_to_block(v, b, error);
        if (r < 0)
                return r;
        blocks->n = i + 1; /* owned by @blocks from here on */
        if (i > 0 && b->index <= blocks->blocks[i - 1].index)
                return mj_fail(error, "index", "block %" PRIu64 " is out of order", b->index);
        if (b->index > UINT64_MAX / blocks->block_size || b->start != b->index * blocks->block_size ||
            b->end - b->start != blocks->block_size)
                return mj_fail(error, "start", "block %" PRIu64 " is not at index * block_size", b->index);
        return 0;
}

int memrange_json_to_blocks(struct json_object *object, struct memrange_blocks **ret_blocks,
                                    struct mj_error *error) {
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL;
        struct json_object *array;
        const char *auto_online = NULL;
        bool crash_hotplug;
        size_t n;
        int r;

        if (!ret_blocks)
                return -EINVAL;
        r = mj_expect_object(object, error);
        if (r < 0)
                return r;
        blocks = calloc(1, sizeof(*blocks));
        if (!blocks)
                return -ENOMEM;
        r = mj_get_u64(object, "block_size", true, &blocks->block_size, error);
        if (r < 0)
                return r;
        if (blocks->block_size == 0)
                return mj_fail(error, "block_size", "zero block size");
        r = mj_get_string(object, "auto_online_blocks", false, &auto_online, error);
        if (r < 0)
                return r;
        if (auto_online) {
                blocks->auto_online_blocks = strdup(auto_online);
                if (!blocks->auto_online_blocks)
                        return -ENOMEM;
        }
        r = mj_get_bool(object, "crash_hotplug", false, &crash_hotplug, error);
        if (r < 0)
                return r;
        blocks->crash_hotplug = r == 0 ? -1 : crash_hotplug;
        r = mj_get_array(object, "blocks", true, &array, error);
        if (r < 0)
                return r;
        n = json_object_array_length(array);
        if (n > 0) {
                blocks->blocks = calloc(n, sizeof(*blocks->blocks));
                if (!blocks->blocks)
                        return -ENOMEM;
        }
        r = mj_decode_array(array, "blocks", decode_block, blocks, error);
        if (r < 0)
                return r;
        *ret_blocks = TAKE_PTR(blocks);
        return 0;
}

/* ---------------------------------------------------------------------------
 * Findings
 */

int memrange_json_from_finding(const struct memrange_finding *finding, struct json_object **ret_object) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        const char *severity;
        struct mj_builder b;

        if (!finding || !ret_object)
                return -EINVAL;
        severity = memrange_severity_to_name(finding->severity);
        if (!severity)
                return -EINVAL;
        o = json_object_new_object();
        b = mj_builder_on(o);
        mj_build_string(&b, "severity", severity);
        mj_build_string(&b, "code", finding->code ?: "");
        /* A finding about a whole source has no range (start == end). */
        if (finding->end > finding->start)
                mj_build_span(&b, finding->start, finding->end, false);
        mj_build_bit_names(&b, "sources", finding->sources, source_name);
        mj_build_string(&b, "message", finding->message ?: "");
        if (b.error < 0)
                return b.error;
        *ret_object = TAKE_PTR(o);
        return 0;
}

int memrange_json_to_finding(struct json_object *object, struct memrange_finding *ret_finding,
                                     struct mj_error *error) {
        struct memrange_finding f = {};
        const char *severity = NULL, *code = NULL, *message = NULL;
        int r, s;

        if (!ret_finding)
                return -EINVAL;
        r = mj_expect_object(object, error);
        if (r < 0)
                return r;
        r = mj_get_string(object, "severity", true, &severity, error);
        if (r < 0)
                return r;
        s = memrange_severity_from_name(severity);
        if (s < 0)
                return mj_fail(error, "severity", "unknown severity '%s'", severity);
        f.severity = (uint32_t) s;
        r = mj_get_string(object, "code", true, &code, error);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(object, "start", NULL) || json_object_object_get_ex(object, "end", NULL)) {
                r = mj_get_span(object, false, &f.start, &f.end, error);
                if (r < 0)
                        return r;
        }
        r = mj_get_bit_names(object, "sources", source_from_name, &f.sources, error);
        if (r < 0)
                return r;
        r = mj_get_string(object, "message", true, &message, error);
        if (r < 0)
                return r;
        f.code = strdup(code);
        f.message = strdup(message);
        if (!f.code || !f.message) {
                free(f.code);
                free(f.message);
                return -ENOMEM;
        }
        *ret_finding = f;
        return 0;
}

static int encode_finding(const void *item, struct json_object **ret_object) {
        return memrange_json_from_finding(item, ret_object);
}

int memrange_json_from_findings(const struct memrange_findings *findings, struct json_object **ret_array) {
        if (!findings || !ret_array)
                return -EINVAL;
        return mj_encode_array(findings->items, findings->n, sizeof(*findings->items), encode_finding, ret_array);
}

static int decode_finding(struct json_object *v, size_t i, void *userdata, struct mj_error *error) {
        struct memrange_findings *findings = userdata;
        int r;

        r = memrange_json_to_finding(v, &findings->items[i], error);
        if (r >= 0)
                findings->n = i + 1;
        return r;
}

int memrange_json_to_findings(struct json_object *array, struct memrange_findings **ret_findings,
                                      struct mj_error *error) {
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        size_t n;
        int r;

        if (!ret_findings)
                return -EINVAL;
        if (!json_object_is_type(array, json_type_array))
                return mj_fail(error, "", "expected an array");
        findings = calloc(1, sizeof(*findings));
        if (!findings)
                return -ENOMEM;
        n = json_object_array_length(array);
        if (n > 0) {
                findings->items = calloc(n, sizeof(*findings->items));
                if (!findings->items)
                        return -ENOMEM;
        }
        r = mj_decode_array(array, "", decode_finding, findings, error);
        if (r < 0)
                return r;
        *ret_findings = TAKE_PTR(findings);
        return 0;
}

/* ---------------------------------------------------------------------------
 * Source status
 */

int memrange_json_from_sources_status(const struct memrange_sources *sources, struct json_object **ret_array) {
        _cleanup_(json_object_putp) struct json_object *array = NULL;
        int r;

        if (!sources || !ret_array)
                return -EINVAL;
        array = json_object_new_array();
        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(sources->status); i++) {
                _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
                const char *status = memrange_source_status_to_name(sources->status[i]);
                struct mj_builder b = mj_builder_on(o);

                if (!status)
                        return -EINVAL;
                mj_build_string(&b, "name", memrange_source_to_name(1u << i));
                mj_build_string(&b, "status", status);
                if (sources->error[i])
                        mj_build_string(&b, "error", sources->error[i]);
                if (b.error < 0)
                        return b.error;
                r = mj_append(array, TAKE_PTR(o));
                if (r < 0)
                        return r;
        }
        *ret_array = TAKE_PTR(array);
        return 0;
}

struct status_decoder {
        struct memrange_sources *sources;
        uint32_t seen; /* source bits already listed */
};

static int decode_source_status(struct json_object *o, size_t index, void *userdata,
                                struct mj_error *error) {
        struct status_decoder *d = userdata;
        struct memrange_sources *sources = d->sources;
        const char *name = NULL, *status = NULL, *message = NULL;
        int r, bit, s, i;

        r = mj_expect_object(o, error);
        if (r >= 0)
                r = mj_get_string(o, "name", true, &name, error);
        if (r < 0)
                return r;
        bit = memrange_source_from_name(name);
        if (bit < 0)
                return mj_fail(error, "name", "unknown source '%s'", name);
        i = __builtin_ctz((unsigned) bit);
        r = mj_get_string(o, "status", true, &status, error);
        if (r < 0)
                return r;
        s = memrange_source_status_from_name(status);
        if (s < 0)
                return mj_fail(error, "status", "unknown source status '%s'", status);
        r = mj_get_string(o, "error", false, &message, error);
        if (r < 0)
                return r;
        if (d->seen & (uint32_t) bit)
                return mj_fail(error, "name", "source '%s' is listed twice", name);
        d->seen |= (uint32_t) bit;
        if (message) {
                sources->error[i] = strdup(message);
                if (!sources->error[i])
                        return -ENOMEM;
        }
        sources->status[i] = (uint32_t) s;
        return 0;
}

int memrange_json_to_sources_status(struct json_object *array, struct memrange_sources **ret_sources,
                                            struct mj_error *error) {
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct status_decoder d = {};
        int r;

        if (!ret_sources)
                return -EINVAL;
        sources = calloc(1, sizeof(*sources));
        if (!sources)
                return -ENOMEM;
        d.sources = sources;
        r = mj_decode_array(array, "", decode_source_status, &d, error);
        if (r < 0)
                return r;
        *ret_sources = TAKE_PTR(sources);
        return 0;
}

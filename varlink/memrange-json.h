/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The records of libmemrange as the JSON objects of the io.memranged
 * varlink interface (varlink/io.memranged.varlink), both ways. Part of the
 * varlink library, not of libmemrange's ABI: the library itself knows no
 * JSON.
 *
 * Wire conventions (those of the interface description):
 *  - addresses and sizes are JSON integers (unsigned 64-bit); "end" is the
 *    last byte (inclusive), as the kernel prints /proc/iomem, while every
 *    C record keeps an exclusive end;
 *  - enumerations travel as their stable lowercase names ("ram",
 *    "driver-managed", "iomem", "online", "warning", "hidden");
 *  - optional members are absent (or null) when unknown.
 *
 * Parsing is strict: a missing member, a member of the wrong JSON type, a
 * negative or out-of-range number, an unknown name, an "end" below "start"
 * or a "size" that disagrees with them gives -EBADMSG. Members this
 * version does not know are ignored, so a newer daemon may add some.
 * On failure *ret_* is untouched and, when @error is non-NULL, it names
 * the offending member by its path ("ranges[3].end") and says why.
 *
 * The to-JSON functions return -ENOMEM (or -EINVAL for a record the wire
 * cannot carry, such as an empty range) and hand the caller one reference
 * (json_object_put() releases it).
 */
#ifndef MEMRANGE_JSON_H
#define MEMRANGE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "json-util.h"

#include "memrange.h"

#ifdef __cplusplus
extern "C" {
#endif


/* The enumerations travel as the names memrange.h gives them
 * (memrange_source_status_to_name(), memrange_block_state_to_name(),
 * memrange_severity_to_name()...). */

/* ---- Range: {start, end, size, type, flags, node?, sources} ---- */
int memrange_json_from_range(const struct memrange *r, struct json_object **ret_object);
int memrange_json_to_range(struct json_object *object, struct memrange *ret_range,
                           struct mj_error *error);

/* ---- Range arrays ----
 * An array of Range from a list (names are not carried) and back into a
 * new list the caller frees with memrange_list_free(); "added" and
 * "removed" of a Change are such arrays. */
int memrange_json_from_list(const struct memrange_list *list, struct json_object **ret_array);
int memrange_json_to_list(struct json_object *array, struct memrange_list **ret_list,
                          struct mj_error *error);

/* ---- Table with an optional filter (ListRanges) ----
 * A zeroed filter matches everything. */
struct memrange_json_filter {
        uint32_t types;  /* bit (1u << type) per wanted enum memrange_type; 0: every type */
        bool has_node;
        int32_t node;    /* only ranges on this NUMA node */
        bool has_window;
        uint64_t start;  /* only ranges overlapping [start, end); end exclusive */
        uint64_t end;
};
bool memrange_json_filter_match(const struct memrange_json_filter *filter, const struct memrange *r);
/* The ListRanges parameters for @filter (NULL: none): {"types": [...],
 * "node": N, "start": S, "end": E (inclusive)}, members only when set. */
int memrange_json_filter_to_json(const struct memrange_json_filter *filter, struct json_object **ret_object);
/* Reads ListRanges parameters. Stricter than records: an unknown member
 * is refused too, and error->path is then the parameter's name, as the
 * varlink InvalidParameter error wants it. "start" alone reaches to the end
 * of the address space, "end" alone starts at 0; start > end is refused. */
int memrange_json_filter_from_json(struct json_object *parameters, struct memrange_json_filter *ret_filter,
                                   struct mj_error *error);
/* The ranges of @table that @filter (NULL: all) matches, as an array of
 * Range in address order. */
int memrange_json_from_table(const struct memrange_table *table, const struct memrange_json_filter *filter,
                             struct json_object **ret_array);
/* An array of Range in ascending, non-overlapping order (-EBADMSG
 * otherwise) into a new table the caller frees with memrange_table_free().
 * Touching ranges with equal attributes merge, as in any table. */
int memrange_json_to_table(struct json_object *array, struct memrange_table **ret_table,
                           struct mj_error *error);

/* ---- Memory blocks ----
 * Block: {index, start, end, size, state, online?, removable?, zones?,
 * nodes}; phys_device is not carried (reads back as -1). to_block fills a
 * record the caller releases with memrange_block_clear(). */
int memrange_json_from_block(const struct memrange_block *block, struct json_object **ret_object);
int memrange_json_to_block(struct json_object *object, struct memrange_block *ret_block,
                           struct mj_error *error);
/* {block_size, auto_online_blocks?, crash_hotplug?, blocks: [Block]} (the
 * ListBlocks reply without its generation). Parsing checks that blocks
 * ascend by index and that each is the block @index of @block_size bytes.
 * The caller frees the result with memrange_blocks_free(). */
int memrange_json_from_blocks(const struct memrange_blocks *blocks, struct json_object **ret_object);
int memrange_json_to_blocks(struct json_object *object, struct memrange_blocks **ret_blocks,
                            struct mj_error *error);

/* ---- Findings ----
 * Finding: {severity, code, start?, end?, sources, message}; start and
 * end are absent for a finding about a whole source (start == end in C).
 * to_finding allocates code and message (the caller free()s both). */
int memrange_json_from_finding(const struct memrange_finding *finding, struct json_object **ret_object);
int memrange_json_to_finding(struct json_object *object, struct memrange_finding *ret_finding,
                             struct mj_error *error);
int memrange_json_from_findings(const struct memrange_findings *findings, struct json_object **ret_array);
/* The caller frees the result with memrange_findings_free(). */
int memrange_json_to_findings(struct json_object *array, struct memrange_findings **ret_findings,
                              struct mj_error *error);

/* ---- Source status ----
 * [Source]: one {name, status, error?} per kernel source, in bit order.
 * Parsing yields a new memrange_sources whose status[] and error[] are
 * filled and whose readers' pointers are all NULL (sources the array does
 * not name stay absent; a name given twice is refused). The caller frees
 * it with memrange_sources_free(). */
int memrange_json_from_sources_status(const struct memrange_sources *sources, struct json_object **ret_array);
int memrange_json_to_sources_status(struct json_object *array, struct memrange_sources **ret_sources,
                                    struct mj_error *error);

#ifdef __cplusplus
}
#endif
#endif

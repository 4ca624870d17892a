/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON of the io.memranged interface: the exact wire text of each record,
 * round trips of real fixture tables, blocks, findings and source status,
 * the ListRanges filter, and every way a malformed document is refused. */
#include <inttypes.h>
#include <string.h>

#include "memrange-json.h"
#include "test-util.h"


#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static const char *plain(struct json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct json_object *parse(const char *text) {
        struct json_object *o = json_tokener_parse(text);

        assert_non_null(o);
        return o;
}

/* Reads and reconciles a fixture; the caller frees all three. */
static void load_fixture(const char *name, struct memrange_ctx **ret_ctx, struct memrange_sources **ret_sources,
                         struct memrange_table **ret_table, struct memrange_findings **ret_findings) {
        struct memrange_ctx *ctx = fixture_ctx(name);

        assert_int_equal(memrange_sources_read(ctx, ret_sources), 0);
        assert_int_equal(memrange_reconcile(ctx, *ret_sources, ret_table, ret_findings), 0);
        *ret_ctx = ctx;
}

/* Expects @text to be refused by memrange_json_to_range with @path. */
static void assert_range_refused(const char *text, const char *path) {
        _cleanup_(json_object_putp) struct json_object *o = parse(text);
        struct mj_error e = {};
        struct memrange m = { .start = 7 };

        assert_int_equal(memrange_json_to_range(o, &m, &e), -EBADMSG);
        assert_string_equal(e.path, path);
        assert_true(strlen(e.reason) > 0);
        assert_int_equal(m.start, 7); /* untouched on failure */
}

/* ---------------------------------------------------------------------------
 * Range
 */

static void test_range_wire_text_has_inclusive_end_and_names(void **state) {
        struct memrange r = { .start = 4 * GiB, .end = 5 * GiB, .type = MEMRANGE_TYPE_RAM,
                              .flags = MEMRANGE_F_HOTPLUG | MEMRANGE_F_OFFLINE, .nid = 1,
                              .sources = MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_NUMA };
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        assert_int_equal(memrange_json_from_range(&r, &o), 0);
        assert_string_equal(plain(o), "{\"start\":4294967296,\"end\":5368709119,\"size\":1073741824,"
                                      "\"type\":\"ram\",\"flags\":[\"hotplug\",\"offline\"],\"node\":1,"
                                      "\"sources\":[\"iomem\",\"numa\"]}");
}

static void test_range_without_node_omits_it_and_reads_back_none(void **state) {
        struct memrange r = { .start = 0x9fc00, .end = 0xa0000, .type = MEMRANGE_TYPE_RESERVED,
                              .nid = MEMRANGE_NID_NONE, .sources = MEMRANGE_SRC_IOMEM };
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct memrange back;

        assert_int_equal(memrange_json_from_range(&r, &o), 0);
        assert_null(strstr(plain(o), "node"));
        assert_int_equal(memrange_json_to_range(o, &back, NULL), 0);
        assert_int_equal(back.start, 0x9fc00);
        assert_int_equal(back.end, 0xa0000);
        assert_int_equal(back.type, MEMRANGE_TYPE_RESERVED);
        assert_int_equal(back.flags, 0);
        assert_int_equal(back.nid, MEMRANGE_NID_NONE);
        assert_int_equal(back.sources, MEMRANGE_SRC_IOMEM);
}

static void test_range_that_the_wire_cannot_carry_is_refused(void **state) {
        struct memrange empty = { .start = 5, .end = 5, .type = MEMRANGE_TYPE_RAM };
        struct memrange bad_type = { .start = 0, .end = 5, .type = _MEMRANGE_TYPE_MAX };
        struct memrange bad_flag = { .start = 0, .end = 5, .flags = 1u << 31 };
        struct json_object *o = NULL;

        assert_int_equal(memrange_json_from_range(&empty, &o), -EINVAL);
        assert_int_equal(memrange_json_from_range(&bad_type, &o), -EINVAL);
        assert_int_equal(memrange_json_from_range(&bad_flag, &o), -EINVAL);
        assert_null(o);
}

static void test_malformed_range_is_refused_naming_the_member(void **state) {
#define OK_TAIL "\"type\":\"ram\",\"flags\":[],\"sources\":[\"iomem\"]"
        assert_range_refused("[1]", "");
        assert_range_refused("{\"end\":9,\"size\":10," OK_TAIL "}", "start");
        assert_range_refused("{\"start\":\"0\",\"end\":9,\"size\":10," OK_TAIL "}", "start");
        assert_range_refused("{\"start\":-1,\"end\":9,\"size\":10," OK_TAIL "}", "start");
        assert_range_refused("{\"start\":1.5,\"end\":9,\"size\":10," OK_TAIL "}", "start");
        assert_range_refused("{\"start\":10,\"end\":9,\"size\":0," OK_TAIL "}", "end");
        assert_range_refused("{\"start\":0,\"end\":18446744073709551615,\"size\":0," OK_TAIL "}", "end");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":9," OK_TAIL "}", "size");
        assert_range_refused("{\"start\":0,\"end\":9," OK_TAIL "}", "size");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"flags\":[],\"sources\":[]}", "type");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":\"rom\",\"flags\":[],\"sources\":[]}", "type");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":3,\"flags\":[],\"sources\":[]}", "type");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":\"ram\",\"flags\":[\"shiny\"],\"sources\":[]}", "flags");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":\"ram\",\"flags\":\"hotplug\",\"sources\":[]}", "flags");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":\"ram\",\"flags\":[1],\"sources\":[]}", "flags");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"type\":\"ram\",\"flags\":[]}", "sources");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"node\":2147483648," OK_TAIL "}", "node");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"node\":-1," OK_TAIL "}", "node");
        assert_range_refused("{\"start\":0,\"end\":9,\"size\":10,\"node\":true," OK_TAIL "}", "node");
#undef OK_TAIL
}

static void test_range_ignores_unknown_members_and_null_node(void **state) {
        _cleanup_(json_object_putp) struct json_object *o =
                parse("{\"start\":4096,\"end\":8191,\"size\":4096,\"type\":\"acpi-nvs\",\"flags\":[\"nomap\"],"
                      "\"node\":null,\"sources\":[\"memblock\"],\"color\":\"blue\"}");
        struct memrange m;

        assert_int_equal(memrange_json_to_range(o, &m, NULL), 0);
        assert_int_equal(m.start, 4096);
        assert_int_equal(m.end, 8192);
        assert_int_equal(m.type, MEMRANGE_TYPE_ACPI_NVS);
        assert_int_equal(m.flags, MEMRANGE_F_NOMAP);
        assert_int_equal(m.nid, MEMRANGE_NID_NONE);
        assert_int_equal(m.sources, MEMRANGE_SRC_MEMBLOCK);
}

/* ---------------------------------------------------------------------------
 * Tables and lists
 */

static void assert_tables_equal(const struct memrange_table *a, const struct memrange_table *b) {
        const struct memrange *y = memrange_table_first(b);

        assert_int_equal(memrange_table_count(a), memrange_table_count(b));
        memrange_table_foreach(x, a) {
                assert_non_null(y);
                assert_memory_equal(x, y, sizeof(*x));
                y = memrange_table_next(b, y);
        }
        assert_null(y);
}

static void test_fixture_table_round_trips_through_json(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL, *back = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        _cleanup_(json_object_putp) struct json_object *array = NULL;
        struct json_object *hot;

        load_fixture("x86_64-6.1-dimm/hotplug", &ctx, &sources, &table, &findings);
        assert_int_equal(memrange_json_from_table(table, NULL, &array), 0);
        assert_int_equal(json_object_array_length(array), 11);
        /* The hot-added DIMM, as the kernel's iomem line 100000000-13fffffff. */
        hot = json_object_array_get_idx(array, 9);
        assert_string_equal(plain(hot), "{\"start\":4294967296,\"end\":5368709119,\"size\":1073741824,"
                                        "\"type\":\"ram\",\"flags\":[\"hotplug\"],\"node\":0,\"sources\":"
                                        "[\"iomem\",\"firmware-memmap\",\"memory-blocks\",\"numa\"]}");
        assert_int_equal(memrange_json_to_table(array, &back, NULL), 0);
        assert_tables_equal(table, back);
}

static void test_every_fixture_table_round_trips(void **state) {
        for (size_t i = 0; all_fixtures[i]; i++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
                _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
                _cleanup_(memrange_table_freep) struct memrange_table *table = NULL, *back = NULL;
                _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL, *fback = NULL;
                _cleanup_(json_object_putp) struct json_object *array = NULL, *farray = NULL;

                load_fixture(all_fixtures[i], &ctx, &sources, &table, &findings);
                assert_int_equal(memrange_json_from_table(table, NULL, &array), 0);
                assert_int_equal(memrange_json_to_table(array, &back, NULL), 0);
                assert_tables_equal(table, back);
                assert_int_equal(memrange_json_from_findings(findings, &farray), 0);
                assert_int_equal(memrange_json_to_findings(farray, &fback, NULL), 0);
                assert_int_equal(fback->n, findings->n);
                for (size_t f = 0; f < findings->n; f++) {
                        assert_string_equal(fback->items[f].code, findings->items[f].code);
                        assert_string_equal(fback->items[f].message, findings->items[f].message);
                        assert_int_equal(fback->items[f].start, findings->items[f].start);
                        assert_int_equal(fback->items[f].end, findings->items[f].end);
                        assert_int_equal(fback->items[f].sources, findings->items[f].sources);
                        assert_int_equal(fback->items[f].severity, findings->items[f].severity);
                }
        }
}

static void test_table_refuses_overlapping_or_descending_ranges(void **state) {
        static const char *const cases[] = {
                "[{\"start\":4096,\"end\":8191,\"size\":4096,\"type\":\"ram\",\"flags\":[],\"sources\":[]},"
                " {\"start\":0,\"end\":4095,\"size\":4096,\"type\":\"ram\",\"flags\":[],\"sources\":[]}]",
                "[{\"start\":0,\"end\":8191,\"size\":8192,\"type\":\"ram\",\"flags\":[],\"sources\":[]},"
                " {\"start\":4096,\"end\":12287,\"size\":8192,\"type\":\"reserved\",\"flags\":[],\"sources\":[]}]",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) struct json_object *o = parse(cases[i]);
                struct memrange_table *t = NULL;
                struct mj_error e = {};

                assert_int_equal(memrange_json_to_table(o, &t, &e), -EBADMSG);
                assert_null(t);
                assert_string_equal(e.path, "[1].start");
                assert_non_null(strstr(e.reason, "overlaps or precedes"));
        }
}

static void test_nested_error_path_names_the_array_element(void **state) {
        _cleanup_(json_object_putp) struct json_object *o =
                parse("[{\"start\":0,\"end\":4095,\"size\":4096,\"type\":\"ram\",\"flags\":[],\"sources\":[]},"
                      " {\"start\":8192,\"end\":4095,\"size\":4096,\"type\":\"ram\",\"flags\":[],\"sources\":[]}]");
        struct memrange_list *list = NULL;
        struct mj_error e = {};

        assert_int_equal(memrange_json_to_list(o, &list, &e), -EBADMSG);
        assert_null(list);
        assert_string_equal(e.path, "[1].end");
        assert_non_null(strstr(e.reason, "below start"));
}

static void test_list_round_trip_keeps_order(void **state) {
        struct memrange_list list = {};
        _cleanup_(memrange_list_freep) struct memrange_list *back = NULL;
        _cleanup_(json_object_putp) struct json_object *array = NULL;
        struct memrange a = { .start = 4 * GiB, .end = 5 * GiB, .type = MEMRANGE_TYPE_RAM, .nid = 0 };
        struct memrange b = { .start = 1 * MiB, .end = 2 * MiB, .type = MEMRANGE_TYPE_RESERVED, .nid = -1 };

        /* A change list need not be sorted: removed and added are separate. */
        assert_int_equal(memrange_list_append(&list, &a, "dimm"), 0);
        assert_int_equal(memrange_list_append(&list, &b, NULL), 0);
        assert_int_equal(memrange_json_from_list(&list, &array), 0);
        assert_int_equal(memrange_json_to_list(array, &back, NULL), 0);
        assert_int_equal(back->n, 2);
        assert_memory_equal(&back->ranges[0], &a, sizeof(a));
        assert_memory_equal(&back->ranges[1], &b, sizeof(b));
        assert_null(back->names);
        memrange_list_clear(&list);
}

/* ---------------------------------------------------------------------------
 * ListRanges filter
 */

static size_t count_filtered(const struct memrange_table *table, const char *params) {
        _cleanup_(json_object_putp) struct json_object *p = parse(params), *array = NULL;
        struct memrange_json_filter f;

        assert_int_equal(memrange_json_filter_from_json(p, &f, NULL), 0);
        assert_int_equal(memrange_json_from_table(table, &f, &array), 0);
        return json_object_array_length(array);
}

static void test_filter_selects_types_node_and_window(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;

        load_fixture("x86_64-6.1-dimm/hotplug", &ctx, &sources, &table, &findings);
        assert_int_equal(count_filtered(table, "{}"), 11);
        assert_int_equal(count_filtered(table, "{\"types\":[\"reserved\"]}"), 6);
        assert_int_equal(count_filtered(table, "{\"types\":[\"ram\"]}"), 5);
        assert_int_equal(count_filtered(table, "{\"types\":[\"ram\",\"reserved\"]}"), 11);
        assert_int_equal(count_filtered(table, "{\"node\":0}"), 5);
        assert_int_equal(count_filtered(table, "{\"node\":1}"), 0);
        /* One byte of the DIMM; the window is inclusive on the wire. */
        assert_int_equal(count_filtered(table, "{\"start\":4294967296,\"end\":4294967296}"), 1);
        /* [0x9fc00, 0xf0000]: the 1K reserved range and the first byte of
         * the 64K one; touching at 0xa0000 does not count. */
        assert_int_equal(count_filtered(table, "{\"start\":654336,\"end\":983040}"), 2);
        assert_int_equal(count_filtered(table, "{\"start\":654336,\"end\":983039}"), 1);
        assert_int_equal(count_filtered(table, "{\"start\":5368709120}"), 1);
        assert_int_equal(count_filtered(table, "{\"end\":4095,\"types\":[\"ram\"]}"), 0);
        assert_int_equal(count_filtered(table, "{\"end\":18446744073709551615,\"node\":0,\"types\":[\"ram\"]}"), 5);
}

static void assert_filter_refused(const char *params, const char *parameter, const char *reason_part) {
        _cleanup_(json_object_putp) struct json_object *p = parse(params);
        struct memrange_json_filter f = { .node = 42 };
        struct mj_error e = {};

        assert_int_equal(memrange_json_filter_from_json(p, &f, &e), -EBADMSG);
        assert_string_equal(e.path, parameter);
        assert_non_null(strstr(e.reason, reason_part));
        assert_int_equal(f.node, 42);
}

static void test_filter_refuses_bad_parameters_naming_them(void **state) {
        assert_filter_refused("{\"types\":[\"ram\",\"dram\"]}", "types", "'dram'");
        assert_filter_refused("{\"types\":[]}", "types", "empty");
        assert_filter_refused("{\"types\":\"ram\"}", "types", "array");
        assert_filter_refused("{\"types\":[7]}", "types", "not a string");
        assert_filter_refused("{\"node\":-2}", "node", "negative");
        assert_filter_refused("{\"start\":8192,\"end\":4096}", "start", "above end");
        assert_filter_refused("{\"end\":\"4096\"}", "end", "unsigned");
        assert_filter_refused("{\"node\":0,\"colour\":1}", "colour", "unknown parameter");
}

static void test_filter_parameters_round_trip(void **state) {
        struct memrange_json_filter f = { .types = (1u << MEMRANGE_TYPE_RAM) | (1u << MEMRANGE_TYPE_PMEM),
                                          .has_node = true, .node = 3,
                                          .has_window = true, .start = 4 * GiB, .end = UINT64_MAX };
        struct memrange_json_filter back;
        _cleanup_(json_object_putp) struct json_object *p = NULL, *none = NULL;

        assert_int_equal(memrange_json_filter_to_json(&f, &p), 0);
        assert_string_equal(plain(p), "{\"types\":[\"ram\",\"pmem\"],\"node\":3,\"start\":4294967296,"
                                      "\"end\":18446744073709551614}");
        assert_int_equal(memrange_json_filter_from_json(p, &back, NULL), 0);
        assert_int_equal(back.types, f.types);
        assert_true(back.has_node && back.node == 3);
        assert_true(back.has_window);
        assert_int_equal(back.start, 4 * GiB);
        assert_int_equal(back.end, UINT64_MAX);

        assert_int_equal(memrange_json_filter_to_json(NULL, &none), 0);
        assert_string_equal(plain(none), "{}");
        assert_int_equal(memrange_json_filter_from_json(none, &back, NULL), 0);
        assert_false(back.has_node || back.has_window || back.types);
}

/* ---------------------------------------------------------------------------
 * Blocks
 */

static void test_fixture_blocks_round_trip(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/offline");
        _cleanup_(memrange_blocks_freep) struct memrange_blocks *blocks = NULL, *back = NULL;
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *array;

        assert_int_equal(memrange_blocks_read(ctx, &blocks), 0);
        assert_int_equal(memrange_json_from_blocks(blocks, &o), 0);
        assert_true(json_object_object_get_ex(o, "blocks", &array));
        assert_int_equal(json_object_array_length(array), 16);
        /* memory33 is the block the fixture took offline. */
        assert_string_equal(plain(json_object_array_get_idx(array, 9)),
                            "{\"index\":33,\"start\":4429185024,\"end\":4563402751,\"size\":134217728,"
                            "\"state\":\"offline\",\"online\":false,\"removable\":true,\"zones\":\"Normal Movable\","
                            "\"nodes\":[0]}");
        assert_null(strstr(plain(o), "crash_hotplug")); /* 6.1 has no CRASH_HOTPLUG */

        assert_int_equal(memrange_json_to_blocks(o, &back, NULL), 0);
        assert_int_equal(back->block_size, 128 * MiB);
        assert_string_equal(back->auto_online_blocks, blocks->auto_online_blocks);
        assert_int_equal(back->crash_hotplug, -1);
        assert_int_equal(back->n, blocks->n);
        for (size_t i = 0; i < blocks->n; i++) {
                const struct memrange_block *x = &blocks->blocks[i], *y = &back->blocks[i];

                assert_int_equal(y->index, x->index);
                assert_int_equal(y->start, x->start);
                assert_int_equal(y->end, x->end);
                assert_int_equal(y->state, x->state);
                assert_int_equal(y->online, x->online);
                assert_int_equal(y->removable, x->removable);
                assert_int_equal(y->phys_device, -1);
                assert_string_equal(y->valid_zones, x->valid_zones);
                assert_int_equal(y->n_nodes, x->n_nodes);
                assert_memory_equal(y->nodes, x->nodes, x->n_nodes * sizeof(*x->nodes));
        }
}

static void assert_blocks_refused(const char *text, const char *path) {
        _cleanup_(json_object_putp) struct json_object *o = parse(text);
        struct memrange_blocks *b = NULL;
        struct mj_error e = {};

        assert_int_equal(memrange_json_to_blocks(o, &b, &e), -EBADMSG);
        assert_null(b);
        assert_string_equal(e.path, path);
}

static void test_malformed_blocks_are_refused(void **state) {
        /* Block 1 of 4 KiB blocks is [4096, 8191]. */
        assert_blocks_refused("{\"blocks\":[]}", "block_size");
        assert_blocks_refused("{\"block_size\":0,\"blocks\":[]}", "block_size");
        assert_blocks_refused("{\"block_size\":4096}", "blocks");
        assert_blocks_refused("{\"block_size\":4096,\"crash_hotplug\":1,\"blocks\":[]}", "crash_hotplug");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":0,\"end\":4095,"
                              "\"size\":4096,\"state\":\"online\",\"nodes\":[]}]}",
                              "blocks[0].start");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":4096,\"end\":8191,"
                              "\"size\":4096,\"state\":\"online\",\"nodes\":[]},{\"index\":0,\"start\":0,"
                              "\"end\":4095,\"size\":4096,\"state\":\"online\",\"nodes\":[]}]}",
                              "blocks[1].index");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":4096,\"end\":8191,"
                              "\"size\":4096,\"state\":\"asleep\",\"nodes\":[]}]}",
                              "blocks[0].state");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":4096,\"end\":8191,"
                              "\"size\":4096,\"state\":\"online\",\"nodes\":[1,0]}]}",
                              "blocks[0].nodes");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":4096,\"end\":8191,"
                              "\"size\":4096,\"state\":\"online\",\"online\":\"yes\",\"nodes\":[]}]}",
                              "blocks[0].online");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":1,\"start\":4096,\"end\":8191,"
                              "\"size\":4096,\"state\":\"online\"}]}",
                              "blocks[0].nodes");
        assert_blocks_refused("{\"block_size\":4096,\"blocks\":[{\"index\":4503599627370496,"
                              "\"start\":4096,\"end\":8191,\"size\":4096,\"state\":\"online\",\"nodes\":[]}]}",
                              "blocks[0].start");
}

/* ---------------------------------------------------------------------------
 * Findings and source status
 */

static void test_fixture_finding_wire_text(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        _cleanup_(json_object_putp) struct json_object *array = NULL;

        load_fixture("x86_64-6.1-dimm/hotplug", &ctx, &sources, &table, &findings);
        assert_int_equal(memrange_json_from_findings(findings, &array), 0);
        assert_int_equal(json_object_array_length(array), 1);
        assert_string_equal(plain(json_object_array_get_idx(array, 0)),
                            "{\"severity\":\"info\",\"code\":\"memmap-ram-reserved-in-iomem\",\"start\":0,"
                            "\"end\":4095,\"sources\":[\"iomem\",\"firmware-memmap\"],\"message\":\"The firmware "
                            "memmap lists System RAM at 0x0-0xfff that /proc/iomem shows as reserved (the "
                            "kernel reserved it at boot).\"}");
}

static void test_finding_about_a_whole_source_has_no_range(void **state) {
        struct memrange_finding f = { .severity = MEMRANGE_SEVERITY_ERROR, .sources = MEMRANGE_SRC_IOMEM,
                                      .code = (char *) "iomem-hidden", .message = (char *) "Addresses are zero." };
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct memrange_finding back;

        assert_int_equal(memrange_json_from_finding(&f, &o), 0);
        assert_string_equal(plain(o), "{\"severity\":\"error\",\"code\":\"iomem-hidden\",\"sources\":[\"iomem\"],"
                                      "\"message\":\"Addresses are zero.\"}");
        assert_int_equal(memrange_json_to_finding(o, &back, NULL), 0);
        assert_int_equal(back.severity, MEMRANGE_SEVERITY_ERROR);
        assert_int_equal(back.start, 0);
        assert_int_equal(back.end, 0);
        assert_string_equal(back.code, "iomem-hidden");
        assert_string_equal(back.message, "Addresses are zero.");
        free(back.code);
        free(back.message);
}

static void test_malformed_findings_are_refused(void **state) {
        static const struct {
                const char *text, *path;
        } cases[] = {
                { "[{\"severity\":\"fatal\",\"code\":\"x\",\"sources\":[],\"message\":\"m\"}]", "[0].severity" },
                { "[{\"severity\":\"info\",\"sources\":[],\"message\":\"m\"}]", "[0].code" },
                { "[{\"severity\":\"info\",\"code\":\"x\",\"start\":5,\"sources\":[],\"message\":\"m\"}]", "[0].end" },
                { "[{\"severity\":\"info\",\"code\":\"x\",\"end\":5,\"sources\":[],\"message\":\"m\"}]", "[0].start" },
                { "[{\"severity\":\"info\",\"code\":\"x\",\"sources\":[\"proc\"],\"message\":\"m\"}]", "[0].sources" },
                { "[{\"severity\":\"info\",\"code\":\"x\",\"sources\":[],\"message\":\"m\"},"
                  " {\"severity\":\"info\",\"code\":\"x\",\"sources\":[],\"message\":null}]", "[1].message" },
                { "{\"severity\":\"info\"}", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) struct json_object *o = parse(cases[i].text);
                struct memrange_findings *f = NULL;
                struct mj_error e = {};

                assert_int_equal(memrange_json_to_findings(o, &f, &e), -EBADMSG);
                assert_null(f);
                assert_string_equal(e.path, cases[i].path);
        }
}

static void test_fixture_source_status_round_trips(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL, *back = NULL;
        _cleanup_(memrange_table_freep) struct memrange_table *table = NULL;
        _cleanup_(memrange_findings_freep) struct memrange_findings *findings = NULL;
        _cleanup_(json_object_putp) struct json_object *array = NULL;

        load_fixture("arm64-6.12-virt/boot", &ctx, &sources, &table, &findings);
        assert_int_equal(memrange_json_from_sources_status(sources, &array), 0);
        assert_int_equal(json_object_array_length(array), 8);
        /* arm64: no firmware memmap, memblock kept, no drmem. */
        assert_string_equal(plain(json_object_array_get_idx(array, 1)),
                            "{\"name\":\"firmware-memmap\",\"status\":\"absent\"}");
        assert_string_equal(plain(json_object_array_get_idx(array, 3)), "{\"name\":\"memblock\",\"status\":\"ok\"}");
        assert_string_equal(plain(json_object_array_get_idx(array, 5)), "{\"name\":\"drmem\",\"status\":\"absent\"}");

        assert_int_equal(memrange_json_to_sources_status(array, &back, NULL), 0);
        assert_memory_equal(back->status, sources->status, sizeof(sources->status));
        assert_null(back->iomem);
        assert_null(back->blocks);
}

static void test_source_status_keeps_the_error_and_refuses_repeats(void **state) {
        _cleanup_(json_object_putp) struct json_object *ok =
                parse("[{\"name\":\"iomem\",\"status\":\"error\",\"error\":\"proc/iomem:3: bad hex\"},"
                      " {\"name\":\"crash\",\"status\":\"hidden\"}]");
        _cleanup_(json_object_putp) struct json_object *twice =
                parse("[{\"name\":\"numa\",\"status\":\"absent\"}, {\"name\":\"numa\",\"status\":\"ok\"}]");
        _cleanup_(json_object_putp) struct json_object *unknown = parse("[{\"name\":\"numa\",\"status\":\"fine\"}]");
        _cleanup_(memrange_sources_freep) struct memrange_sources *s = NULL;
        struct memrange_sources *bad = NULL;
        struct mj_error e = {};

        assert_int_equal(memrange_json_to_sources_status(ok, &s, NULL), 0);
        assert_int_equal(s->status[0], MEMRANGE_SOURCE_ERROR);
        assert_string_equal(s->error[0], "proc/iomem:3: bad hex");
        assert_int_equal(s->status[7], MEMRANGE_SOURCE_HIDDEN);
        assert_int_equal(s->status[6], MEMRANGE_SOURCE_ABSENT);
        assert_int_equal(memrange_json_to_sources_status(twice, &bad, &e), -EBADMSG);
        assert_string_equal(e.path, "[1].name");
        assert_int_equal(memrange_json_to_sources_status(unknown, &bad, &e), -EBADMSG);
        assert_string_equal(e.path, "[0].status");
        assert_null(bad);
}

static void test_enumeration_names_both_ways(void **state) {
        assert_string_equal(memrange_source_status_to_name(MEMRANGE_SOURCE_HIDDEN), "hidden");
        assert_int_equal(memrange_source_status_from_name("error"), MEMRANGE_SOURCE_ERROR);
        assert_null(memrange_source_status_to_name(4));
        assert_string_equal(memrange_block_state_to_name(MEMRANGE_BLOCK_GOING_OFFLINE), "going-offline");
        assert_int_equal(memrange_block_state_from_name("offline"), MEMRANGE_BLOCK_OFFLINE);
        assert_int_equal(memrange_block_state_from_name("Offline"), -EINVAL);
        assert_int_equal(memrange_severity_from_name("warning"), MEMRANGE_SEVERITY_WARNING);
        assert_int_equal(memrange_severity_from_name(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_range_wire_text_has_inclusive_end_and_names),
                cmocka_unit_test(test_range_without_node_omits_it_and_reads_back_none),
                cmocka_unit_test(test_range_that_the_wire_cannot_carry_is_refused),
                cmocka_unit_test(test_malformed_range_is_refused_naming_the_member),
                cmocka_unit_test(test_range_ignores_unknown_members_and_null_node),
                cmocka_unit_test(test_fixture_table_round_trips_through_json),
                cmocka_unit_test(test_every_fixture_table_round_trips),
                cmocka_unit_test(test_table_refuses_overlapping_or_descending_ranges),
                cmocka_unit_test(test_nested_error_path_names_the_array_element),
                cmocka_unit_test(test_list_round_trip_keeps_order),
                cmocka_unit_test(test_filter_selects_types_node_and_window),
                cmocka_unit_test(test_filter_refuses_bad_parameters_naming_them),
                cmocka_unit_test(test_filter_parameters_round_trip),
                cmocka_unit_test(test_fixture_blocks_round_trip),
                cmocka_unit_test(test_malformed_blocks_are_refused),
                cmocka_unit_test(test_fixture_finding_wire_text),
                cmocka_unit_test(test_finding_about_a_whole_source_has_no_range),
                cmocka_unit_test(test_malformed_findings_are_refused),
                cmocka_unit_test(test_fixture_source_status_round_trips),
                cmocka_unit_test(test_source_status_keeps_the_error_and_refuses_repeats),
                cmocka_unit_test(test_enumeration_names_both_ways),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysroot layer's sysfs helpers: one-line attributes read whole up to
 * MR_ATTR_MAX bytes and returned at their own size, messages naming the
 * file as the sysroot sees it, numbered entries listed from an open
 * directory. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-util.h"

#define MEM "sys/devices/system/memory"

static void write_bytes(struct scratch *s, const char *path, char c, size_t n, bool newline) {
        char *data = malloc(n + 1);

        assert_non_null(data);
        memset(data, c, n);
        data[n] = '\n';
        scratch_write(s, path, data, n + newline);
        free(data);
}

static void attribute_of_exactly_the_limit_is_read_whole(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        char *value = NULL;

        scratch_init(&s);
        /* MR_ATTR_MAX bytes with the newline counted: the kernel's page. */
        write_bytes(&s, "attr", 'z', MR_ATTR_MAX - 1, true);
        ctx = scratch_ctx(&s);
        assert_int_equal(mr_read_attr_line(ctx, "attr", &value), 0);
        assert_int_equal(strlen(value), MR_ATTR_MAX - 1);
        assert_int_equal(value[0], 'z');
        assert_int_equal(value[MR_ATTR_MAX - 2], 'z');
        free(value);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void attribute_one_byte_over_the_limit_is_refused_by_name(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        char *value = NULL;

        scratch_init(&s);
        write_bytes(&s, MEM "/memory7/valid_zones", 'z', MR_ATTR_MAX, true);
        ctx = scratch_ctx(&s);
        assert_int_equal(mr_read_attr_line(ctx, MEM "/memory7/valid_zones", &value), -EFBIG);
        assert_null(value);
        assert_string_equal(memrange_ctx_get_error(ctx), MEM "/memory7/valid_zones: larger than 4096 bytes");
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void value_is_returned_at_its_own_size(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        char *value = NULL;

        /* Each memory block keeps its valid_zones: a page per block was
         * 32 MiB on a 1 TiB machine. */
        scratch_init(&s);
        scratch_write(&s, "zones", "Normal Movable\n", (size_t) -1);
        ctx = scratch_ctx(&s);
        assert_int_equal(mr_read_attr_line(ctx, "zones", &value), 0);
        assert_string_equal(value, "Normal Movable");
        assert_true(malloc_usable_size(value) < 64);
        free(value);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void attribute_under_an_open_directory_is_named_with_it(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        char *value = NULL;
        int dir_fd;

        scratch_init(&s);
        scratch_write(&s, MEM "/memory3/state", "online\n", (size_t) -1);
        scratch_write(&s, MEM "/memory3/online", "1\0\n", 3);
        ctx = scratch_ctx(&s);
        dir_fd = mr_open(ctx, MEM "/memory3", O_RDONLY | O_DIRECTORY);
        assert_true(dir_fd >= 0);

        assert_int_equal(mr_read_attr_line_at(ctx, dir_fd, MEM "/memory3", "state", &value), 0);
        assert_string_equal(value, "online");
        free(value);
        value = NULL;
        assert_int_equal(mr_read_attr_line_at(ctx, dir_fd, MEM "/memory3", "removable", &value), -ENOENT);
        assert_int_equal(mr_read_attr_line_at(ctx, dir_fd, MEM "/memory3", "online", &value), -EBADMSG);
        assert_null(value);
        assert_string_equal(memrange_ctx_get_error(ctx), MEM "/memory3/online: control character 0x00 at byte 2");

        close(dir_fd);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void listing_from_an_fd_is_sorted_and_closes_the_fd(void **state) {
        static const char *const names[] = { "node12", "node3", "node0", "node03", "nodes", "node", "memory9", "x" };
        struct scratch s;
        struct memrange_ctx *ctx;
        uint64_t *ids = NULL;
        size_t n = 0;
        char path[64];
        int fd;

        scratch_init(&s);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof(path), MEM "/memory9/%s", names[i]);
                scratch_write(&s, path, "x\n", (size_t) -1);
        }
        ctx = scratch_ctx(&s);
        fd = mr_open(ctx, MEM "/memory9", O_RDONLY | O_DIRECTORY);
        assert_true(fd >= 0);
        assert_int_equal(mr_list_indexed_fd(ctx, fd, MEM "/memory9", "node", 16, &ids, &n), 0);
        /* node03 (a leading zero), nodes and node are not the kernel's spelling. */
        assert_int_equal(n, 3);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[1], 3);
        assert_int_equal(ids[2], 12);
        assert_int_equal(fcntl(fd, F_GETFD), -1);
        assert_int_equal(errno, EBADF);
        free(ids);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void listing_beyond_its_bound_is_refused_by_name(void **state) {
        struct scratch s;
        struct memrange_ctx *ctx;
        uint64_t *ids = NULL;
        size_t n = 0;
        char path[64];

        scratch_init(&s);
        for (int i = 0; i < 5; i++) {
                snprintf(path, sizeof(path), MEM "/memory1/node%d", i);
                scratch_write(&s, path, "x\n", (size_t) -1);
        }
        ctx = scratch_ctx(&s);
        assert_int_equal(mr_list_indexed_fd(ctx, mr_open(ctx, MEM "/memory1", O_RDONLY | O_DIRECTORY),
                                            MEM "/memory1", "node", 4, &ids, &n),
                         -EFBIG);
        assert_null(ids);
        assert_string_equal(memrange_ctx_get_error(ctx), MEM "/memory1: more than 4 nodeN entries");
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(attribute_of_exactly_the_limit_is_read_whole),
                cmocka_unit_test(attribute_one_byte_over_the_limit_is_refused_by_name),
                cmocka_unit_test(value_is_returned_at_its_own_size),
                cmocka_unit_test(attribute_under_an_open_directory_is_named_with_it),
                cmocka_unit_test(listing_from_an_fd_is_sorted_and_closes_the_fd),
                cmocka_unit_test(listing_beyond_its_bound_is_refused_by_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

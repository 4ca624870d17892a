/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ustar writer (lib/tar.c) and the snapshot built on it
 * (lib/snapshot.c): header bytes checked field by field, the checksum
 * recomputed, archives parsed back by a reader written here. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tar.h"
#include "test-util.h"

/* ---- a minimal ustar reader for the checks ---- */

struct entry {
        char path[260];
        char type;
        char link[101];
        uint64_t size;
        const uint8_t *data;
};

struct archive {
        uint8_t *buf;
        size_t size;
        int fail_with; /* the write callback fails with this once past 0 */
};

static int archive_write(void *userdata, const void *buf, size_t size) {
        struct archive *a = userdata;
        uint8_t *bigger;

        if (a->fail_with)
                return a->fail_with;
        bigger = realloc(a->buf, a->size + size);
        assert_non_null(bigger);
        memcpy(bigger + a->size, buf, size);
        a->buf = bigger;
        a->size += size;
        return 0;
}

static uint64_t octal(const uint8_t *field, size_t len) {
        uint64_t v = 0;

        for (size_t i = 0; i < len && field[i] >= '0' && field[i] <= '7'; i++)
                v = v * 8 + (field[i] - '0');
        return v;
}

/* The checksum as a reader computes it: the field counted as spaces. */
static unsigned checksum(const uint8_t *block) {
        unsigned sum = 0;

        for (size_t i = 0; i < MR_TAR_BLOCK; i++)
                sum += (i >= 148 && i < 156) ? ' ' : block[i];
        return sum;
}

static bool all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

/* Parses @a into *ret (caller frees): every header's checksum and magic
 * checked, and the archive must end with two zero blocks exactly. */
static size_t parse(const struct archive *a, struct entry **ret) {
        struct entry *entries = NULL;
        size_t n = 0, off = 0;

        assert_int_equal(a->size % MR_TAR_BLOCK, 0);
        while (off + MR_TAR_BLOCK <= a->size && !all_zero(a->buf + off, MR_TAR_BLOCK)) {
                const uint8_t *h = a->buf + off;
                struct entry *e, *bigger;

                assert_int_equal(octal(h + 148, 8), checksum(h));
                assert_memory_equal(h + 257, "ustar\0" "00", 8);
                bigger = realloc(entries, (n + 1) * sizeof(*entries));
                assert_non_null(bigger);
                entries = bigger;
                e = &entries[n++];
                *e = (struct entry) { .type = (char) h[156], .size = octal(h + 124, 12) };
                if (h[345])
                        snprintf(e->path, sizeof(e->path), "%.155s/%.100s", (const char *) h + 345,
                                 (const char *) h);
                else
                        snprintf(e->path, sizeof(e->path), "%.100s", (const char *) h);
                snprintf(e->link, sizeof(e->link), "%.100s", (const char *) h + 157);
                off += MR_TAR_BLOCK;
                e->data = a->buf + off;
                off += (e->size + MR_TAR_BLOCK - 1) / MR_TAR_BLOCK * MR_TAR_BLOCK;
                assert_true(off <= a->size);
        }
        assert_int_equal(a->size - off, 2 * MR_TAR_BLOCK);
        assert_true(all_zero(a->buf + off, 2 * MR_TAR_BLOCK));
        *ret = entries;
        return n;
}

static const struct entry *find(const struct entry *entries, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(entries[i].path, path) == 0)
                        return &entries[i];
        return NULL;
}

/* ---- header bytes ---- */

static void test_header_short_name_fields(void **state) {
        uint8_t h[MR_TAR_BLOCK];

        assert_int_equal(mr_tar_header(h, "snap/proc/iomem", MR_TAR_REGULAR, 909, NULL, 1700000000), 0);
        assert_string_equal((const char *) h, "snap/proc/iomem");
        assert_memory_equal(h + 100, "0000644\0", 8);                /* mode */
        assert_memory_equal(h + 108, "0000000\0" "0000000\0", 16);   /* uid, gid */
        assert_memory_equal(h + 124, "00000001615\0", 12);           /* 909 bytes */
        assert_memory_equal(h + 136, "14524770400\0", 12);           /* 1700000000 */
        assert_int_equal(h[156], '0');
        assert_true(all_zero(h + 157, 100));                          /* no link */
        assert_string_equal((const char *) h + 265, "root");
        assert_string_equal((const char *) h + 297, "root");
        assert_true(all_zero(h + 345, 155));                          /* no prefix */
        /* Six octal digits, a NUL, a space; the sum taken with spaces. */
        assert_int_equal(h[154], '\0');
        assert_int_equal(h[155], ' ');
        assert_int_equal(octal(h + 148, 6), checksum(h));
}

static void test_header_checksum_changes_with_content(void **state) {
        uint8_t a[MR_TAR_BLOCK], b[MR_TAR_BLOCK];

        assert_int_equal(mr_tar_header(a, "x/state", MR_TAR_REGULAR, 7, NULL, 0), 0);
        assert_int_equal(mr_tar_header(b, "x/statf", MR_TAR_REGULAR, 7, NULL, 0), 0);
        /* 'f' is one more than 'e': so is the sum. */
        assert_int_equal(octal(b + 148, 6), octal(a + 148, 6) + 1);
}

static void test_header_long_path_split_into_prefix_and_name(void **state) {
        char path[230], prefix[160];
        uint8_t h[MR_TAR_BLOCK];

        /* 120 bytes of directories, then a 99-byte name: only the last
         * '/' leaves a name of at most 100 bytes. */
        memset(prefix, 'd', 120);
        prefix[40] = prefix[80] = '/';
        prefix[120] = '\0';
        memcpy(path, prefix, 120);
        path[120] = '/';
        memset(path + 121, 'n', 99);
        path[220] = '\0';
        assert_int_equal(strlen(path), 220);
        assert_int_equal(mr_tar_header(h, path, MR_TAR_REGULAR, 0, NULL, 0), 0);
        assert_memory_equal(h + 345, prefix, 120);
        assert_int_equal(h[345 + 120], '\0');
        assert_memory_equal(h, path + 121, 99);
        assert_int_equal(h[99], '\0');
        assert_int_equal(octal(h + 148, 6), checksum(h));
}

static void test_header_name_of_exactly_100_bytes_needs_no_nul(void **state) {
        char path[101];
        uint8_t h[MR_TAR_BLOCK];

        memset(path, 'n', 100);
        path[100] = '\0';
        assert_int_equal(mr_tar_header(h, path, MR_TAR_REGULAR, 0, NULL, 0), 0);
        assert_memory_equal(h, path, 100);
        assert_true(all_zero(h + 345, 155));
}

static void test_header_symlink_carries_target(void **state) {
        uint8_t h[MR_TAR_BLOCK];

        assert_int_equal(mr_tar_header(h, "s/memory3/node0", MR_TAR_SYMLINK, 0, "../../node/node0", 0), 0);
        assert_int_equal(h[156], '2');
        assert_string_equal((const char *) h + 157, "../../node/node0");
        assert_memory_equal(h + 100, "0000777\0", 8);
        assert_memory_equal(h + 124, "00000000000\0", 12);
        assert_int_equal(octal(h + 148, 6), checksum(h));
}

static void test_header_over_long_paths_refused(void **state) {
        char path[400];
        uint8_t h[MR_TAR_BLOCK];

        /* A last component of 101 bytes fits no name field. */
        memset(path, 'a', sizeof(path));
        path[10] = '/';
        path[10 + 1 + 101] = '\0';
        assert_int_equal(mr_tar_header(h, path, MR_TAR_REGULAR, 0, NULL, 0), -ENAMETOOLONG);
        /* 160 bytes before the only '/' that would leave a short name. */
        memset(path, 'b', sizeof(path));
        path[160] = '/';
        path[170] = '\0';
        assert_int_equal(mr_tar_header(h, path, MR_TAR_REGULAR, 0, NULL, 0), -ENAMETOOLONG);
        /* A link target beyond 100 bytes. */
        memset(path, 'c', 101);
        path[101] = '\0';
        assert_int_equal(mr_tar_header(h, "l", MR_TAR_SYMLINK, 0, path, 0), -ENAMETOOLONG);
}

/* ---- the writer ---- */

static void test_writer_archive_parses_back(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct archive a = {};
        struct mr_tar t = { .ctx = ctx, .write = archive_write, .userdata = &a };
        _cleanup_(freep) struct entry *e = NULL;
        char data[513];

        memset(data, 'z', sizeof(data));
        assert_int_equal(mr_tar_add_directory(&t, "top"), 0);
        assert_int_equal(mr_tar_add_file(&t, "top/a", "online\n", 7), 0);
        assert_int_equal(mr_tar_add_file(&t, "top/big", data, sizeof(data)), 0);
        assert_int_equal(mr_tar_add_symlink(&t, "top/l", "a"), 0);
        assert_int_equal(mr_tar_finish(&t), 0);
        /* 4 headers, 1 + 2 data blocks, 2 end blocks. */
        assert_int_equal(a.size, 9 * MR_TAR_BLOCK);
        assert_int_equal(t.offset, a.size);
        assert_int_equal(parse(&a, &e), 4);
        assert_string_equal(e[0].path, "top/");
        assert_int_equal(e[0].type, '5');
        assert_string_equal(e[1].path, "top/a");
        assert_int_equal(e[1].size, 7);
        assert_memory_equal(e[1].data, "online\n", 7);
        assert_true(all_zero(e[1].data + 7, MR_TAR_BLOCK - 7)); /* padding */
        assert_int_equal(e[2].size, 513);
        assert_memory_equal(e[2].data, data, sizeof(data));
        assert_string_equal(e[3].link, "a");
        assert_int_equal(e[3].type, '2');
        free(a.buf);
}

static void test_writer_over_long_path_names_it(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct archive a = {};
        struct mr_tar t = { .ctx = ctx, .write = archive_write, .userdata = &a };
        char path[300];

        memset(path, 'p', sizeof(path));
        path[299] = '\0';
        assert_int_equal(mr_tar_add_file(&t, path, "", 0), -ENAMETOOLONG);
        assert_non_null(strstr(memrange_ctx_get_error(ctx), "pppp: path too long for a ustar archive"));
        assert_int_equal(a.size, 0); /* nothing written */
}

/* ---- the snapshot ---- */

static void test_snapshot_of_fixture_holds_its_files(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        _cleanup_(freep) struct entry *e = NULL;
        _cleanup_(freep) char *iomem = NULL;
        struct memrange_snapshot_stats stats = {};
        struct archive a = {};
        const struct entry *f;
        size_t n, iomem_len;

        assert_int_equal(memrange_snapshot_write(ctx, "snap", 1700000000, archive_write, &a, &stats), 0);
        /* find x86_64-6.1-dimm/boot -type f | wc -l: 107; -type d: 29
         * (none empty); their sizes add up to 4546 bytes. */
        assert_int_equal(stats.files, 107);
        assert_int_equal(stats.links, 0);
        assert_int_equal(stats.directories, 29);
        assert_int_equal(stats.bytes, 4546);
        assert_int_equal(stats.skipped + stats.vanished, 0);
        n = parse(&a, &e);
        assert_int_equal(n, 107 + 29);
        assert_string_equal(e[0].path, "snap/");
        f = find(e, n, "snap/proc/iomem");
        assert_non_null(f);
        assert_int_equal(mr_read_file(ctx, "proc/iomem", 65536, &iomem, &iomem_len), 0);
        assert_int_equal(f->size, 909);
        assert_memory_equal(f->data, iomem, iomem_len);
        /* The fixture's node link is a small file holding the target: stored as it is. */
        f = find(e, n, "snap/sys/devices/system/memory/memory3/node0");
        assert_non_null(f);
        assert_int_equal(f->type, '0');
        assert_memory_equal(f->data, "../../node/node0", 16);
        f = find(e, n, "snap/proc/cmdline");
        assert_non_null(f);
        assert_memory_equal(f->data, "console=ttyS0 panic=1 quiet scn=x86_61_dimm crashkernel=256M offline=33", 71);
        free(a.buf);
}

static void test_snapshot_keeps_symlinks_as_links(void **state) {
        _cleanup_(freep) struct entry *e = NULL;
        struct memrange_snapshot_stats stats = {};
        struct archive a = {};
        struct memrange_ctx *ctx;
        struct scratch s;
        const struct entry *f;
        size_t n;

        scratch_init(&s);
        scratch_write(&s, "sys/devices/system/memory/block_size_bytes", "8000000\n", (size_t) -1);
        scratch_write(&s, "sys/devices/system/memory/memory0/state", "online\n", (size_t) -1);
        scratch_write(&s, "sys/devices/system/node/node0/cpulist", "0-1\n", (size_t) -1);
        scratch_symlink(&s, "../../node/node0", "sys/devices/system/memory/memory0/node0");
        scratch_symlink(&s, "../memory/memory0", "sys/devices/system/node/node0/memory0");
        /* Not named by the kernel: left out. */
        scratch_write(&s, "sys/devices/system/memory/memory0/uevent", "", 0);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_snapshot_write(ctx, "t", 0, archive_write, &a, &stats), 0);
        assert_int_equal(stats.files, 3);
        assert_int_equal(stats.links, 2);
        n = parse(&a, &e);
        f = find(e, n, "t/sys/devices/system/memory/memory0/node0");
        assert_non_null(f);
        assert_int_equal(f->type, '2');
        assert_string_equal(f->link, "../../node/node0");
        f = find(e, n, "t/sys/devices/system/node/node0/memory0");
        assert_non_null(f);
        assert_string_equal(f->link, "../memory/memory0");
        assert_null(find(e, n, "t/sys/devices/system/memory/memory0/uevent"));
        free(a.buf);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void test_snapshot_device_tree_copied_whole(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("arm64-6.12-virt/boot");
        _cleanup_(freep) struct entry *e = NULL;
        struct memrange_snapshot_stats stats = {};
        struct archive a = {};
        const struct entry *f;
        size_t n;

        assert_int_equal(memrange_snapshot_write(ctx, "arm", 0, archive_write, &a, &stats), 0);
        /* find arm64-6.12-virt/boot -type f | wc -l */
        assert_int_equal(stats.files, 439);
        n = parse(&a, &e);
        /* The root's #address-cells: one big-endian cell holding 2. */
        f = find(e, n, "arm/proc/device-tree/#address-cells");
        assert_non_null(f);
        assert_int_equal(f->size, 4);
        assert_memory_equal(f->data, "\0\0\0\2", 4);
        assert_non_null(find(e, n, "arm/proc/device-tree/chosen/"));
        free(a.buf);
}

static void test_snapshot_file_over_16_mib_refused_naming_it(void **state) {
        struct archive a = {};
        struct memrange_ctx *ctx;
        struct scratch s;
        char path[512];
        int fd;

        scratch_init(&s);
        scratch_write(&s, "proc/iomem", "", 0);
        snprintf(path, sizeof(path), "%s/proc/iomem", s.path);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 16 * 1024 * 1024 + 1), 0); /* sparse: reads as zeros */
        close(fd);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_snapshot_write(ctx, "t", 0, archive_write, &a, NULL), -EFBIG);
        assert_string_equal(memrange_ctx_get_error(ctx), "proc/iomem: larger than 16777216 bytes");
        free(a.buf);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void test_snapshot_refuses_fifo(void **state) {
        struct archive a = {};
        struct memrange_ctx *ctx;
        struct scratch s;
        char path[512];

        scratch_init(&s);
        scratch_mkdir(&s, "proc");
        snprintf(path, sizeof(path), "%s/proc/iomem", s.path);
        assert_int_equal(mkfifo(path, 0600), 0);
        ctx = scratch_ctx(&s);
        assert_int_equal(memrange_snapshot_write(ctx, "t", 0, archive_write, &a, NULL), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "proc/iomem: neither a regular file nor a symbolic link");
        free(a.buf);
        memrange_ctx_unref(ctx);
        scratch_free(&s);
}

static void test_snapshot_write_failure_stops_it(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct archive a = { .fail_with = -ENOSPC };
        struct memrange_snapshot_stats stats = { .files = 12345 };

        assert_int_equal(memrange_snapshot_write(ctx, "snap", 0, archive_write, &a, &stats), -ENOSPC);
        assert_non_null(strstr(memrange_ctx_get_error(ctx), "cannot write the archive"));
        assert_int_equal(stats.files, 12345); /* untouched on failure */
}

static void test_snapshot_top_must_be_one_component(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        struct archive a = {};

        assert_int_equal(memrange_snapshot_write(ctx, "a/b", 0, archive_write, &a, NULL), -EINVAL);
        assert_int_equal(memrange_snapshot_write(ctx, "..", 0, archive_write, &a, NULL), -EINVAL);
        assert_int_equal(memrange_snapshot_write(ctx, "", 0, archive_write, &a, NULL), -EINVAL);
        assert_int_equal(a.size, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_short_name_fields),
                cmocka_unit_test(test_header_checksum_changes_with_content),
                cmocka_unit_test(test_header_long_path_split_into_prefix_and_name),
                cmocka_unit_test(test_header_name_of_exactly_100_bytes_needs_no_nul),
                cmocka_unit_test(test_header_symlink_carries_target),
                cmocka_unit_test(test_header_over_long_paths_refused),
                cmocka_unit_test(test_writer_archive_parses_back),
                cmocka_unit_test(test_writer_over_long_path_names_it),
                cmocka_unit_test(test_snapshot_of_fixture_holds_its_files),
                cmocka_unit_test(test_snapshot_keeps_symlinks_as_links),
                cmocka_unit_test(test_snapshot_device_tree_copied_whole),
                cmocka_unit_test(test_snapshot_file_over_16_mib_refused_naming_it),
                cmocka_unit_test(test_snapshot_refuses_fifo),
                cmocka_unit_test(test_snapshot_write_failure_stops_it),
                cmocka_unit_test(test_snapshot_top_must_be_one_component),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash and CPU state reader: the values of every fixture, read by hand
 * from its files, then the high/low reservation rule, a hidden or broken
 * iomem, and every attribute malformed in turn. */
#include <string.h>

#include "test-util.h"

#define GIB (UINT64_C(1) << 30)

struct crash_expect {
        const char *fixture;
        uint64_t res_start, res_end; /* 0, 0: no "Crash kernel" line */
        int kexec_loaded, kexec_crash_loaded;
        int64_t kexec_crash_size, crash_elfcorehdr_size;
        int crash_hotplug_memory, crash_hotplug_cpu;
        size_t n_notes;
        uint64_t note_addr[2], note_size;
        uint64_t vmcoreinfo_addr, vmcoreinfo_size;
};

/* vmcoreinfo sizes are hex: 0x1024 = a 4 KiB page plus 36 bytes of note
 * headers; ppc64 has 64 KiB pages, hence 0x10024. */
static const struct crash_expect expected[] = {
        { "x86_64-6.1-dimm/boot", 0x1e000000, 0x2e000000, 0, 1, 268435456, -1, -1, -1,
          2, { 0x3de3a400, 0x3df3a400 }, 368, 0x11e6000, 0x1024 },
        { "x86_64-6.1-dimm/hotplug", 0x1e000000, 0x2e000000, 0, 1, 268435456, -1, -1, -1,
          2, { 0x3de3a400, 0x3df3a400 }, 368, 0x11e6000, 0x1024 },
        { "x86_64-6.1-dimm/offline", 0x1e000000, 0x2e000000, 0, 1, 268435456, -1, -1, -1,
          2, { 0x3de3a400, 0x3df3a400 }, 368, 0x11e6000, 0x1024 },
        { "x86_64-6.12-virtiomem/boot", 0x25000000, 0x35000000, 0, 1, 268435456, 917616, 0, 0,
          2, { 0x3da3d800, 0x3db3d800 }, 368, 0x1878000, 0x1024 },
        { "x86_64-6.12-virtiomem/hotplug", 0x25000000, 0x35000000, 0, 1, 268435456, 917616, 0, 0,
          2, { 0x3da3d800, 0x3db3d800 }, 368, 0x1878000, 0x1024 },
        { "arm64-6.12-virt/boot", 0xa9a00000, 0xb9a00000, 0, 0, 268435456, -1, -1, -1,
          2, { 0xbfbb0400, 0xbfbd2400 }, 424, 0x43858000, 0x1024 },
        /* pseries reserves in the device tree; iomem has no "Crash kernel". */
        { "ppc64le-6.1-pseries/boot", 0, 0, 0, 0, 268435456, -1, -1, -1,
          2, { 0x7fdd6c00, 0x7fe76c00 }, 536, 0x4100000, 0x10024 },
        { "ppc64le-6.1-pseries/hotplug", 0, 0, 0, 0, 268435456, -1, -1, -1,
          2, { 0x7fdd6c00, 0x7fe76c00 }, 536, 0x4100000, 0x10024 },
        /* No kexec in this kernel; only cpu1 has a directory, without notes. */
        { "x86_64-6.18-microvm/boot", 0, 0, -1, -1, -1, -1, -1, -1,
          0, { 0, 0 }, 0, 0x100c66000, 0x1024 },
        { "kdump-cases/x86_64-6.1-kexec_load-noreload/root", 0x29000000, 0x39000000, 0, 1, 268435456,
          -1, -1, -1, 2, { 0x3de3a400, 0x3df3a400 }, 368, 0x3d020000, 0x1024 },
        { "kdump-cases/x86_64-6.1-kexec_load-reload/root", 0x2f000000, 0x3f000000, 0, 1, 268435456,
          -1, -1, -1, 2, { 0x2de3a400, 0x2df3a400 }, 368, 0x11e4000, 0x1024 },
        /* Loaded with kexec_file_load: the kernel keeps the header current. */
        { "kdump-cases/x86_64-6.12-kexec_file-noreload/root", 0x26000000, 0x36000000, 0, 1, 268435456,
          917616, 1, 1, 2, { 0x3da3d800, 0x3db3d800 }, 368, 0x120e000, 0x1024 },
};

static void assert_cpus_0_1(const struct memrange_idset *set) {
        assert_int_equal(set->n, 2);
        assert_int_equal(set->ids[0], 0);
        assert_int_equal(set->ids[1], 1);
}

static void check_crash(const struct crash_expect *e, const struct memrange_crash *crash) {
        if (e->res_end == 0)
                assert_int_equal(crash->reservations.n, 0);
        else {
                const struct memrange *r = &crash->reservations.ranges[0];

                assert_int_equal(crash->reservations.n, 1);
                assert_int_equal(r->start, e->res_start);
                assert_int_equal(r->end, e->res_end);
                assert_int_equal(r->type, MEMRANGE_TYPE_CRASHKERNEL);
                /* A single reservation is not "the low one". */
                assert_int_equal(r->flags, MEMRANGE_F_CRASHKERNEL);
                assert_true(r->sources & MEMRANGE_SRC_CRASH);
                assert_string_equal(crash->reservations.names[0], "Crash kernel");
        }
        assert_int_equal(crash->kexec_loaded, e->kexec_loaded);
        assert_int_equal(crash->kexec_crash_loaded, e->kexec_crash_loaded);
        assert_int_equal(crash->kexec_crash_size, e->kexec_crash_size);
        assert_int_equal(crash->crash_elfcorehdr_size, e->crash_elfcorehdr_size);
        assert_int_equal(crash->crash_hotplug_memory, e->crash_hotplug_memory);
        assert_int_equal(crash->crash_hotplug_cpu, e->crash_hotplug_cpu);
        assert_cpus_0_1(&crash->possible);
        assert_cpus_0_1(&crash->present);
        assert_cpus_0_1(&crash->online);
        assert_int_equal(crash->n_notes, e->n_notes);
        for (size_t i = 0; i < e->n_notes; i++) {
                assert_int_equal(crash->notes[i].cpu, i);
                assert_int_equal(crash->notes[i].addr, e->note_addr[i]);
                assert_int_equal(crash->notes[i].size, e->note_size);
        }
        assert_true(crash->has_vmcoreinfo);
        assert_int_equal(crash->vmcoreinfo_addr, e->vmcoreinfo_addr);
        assert_int_equal(crash->vmcoreinfo_size, e->vmcoreinfo_size);
}

/* Read alone and as part of every source (from the iomem read once): the
 * same values. */
static void check_fixture(const struct crash_expect *e) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = fixture_ctx(e->fixture);
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;

        print_message("%s\n", e->fixture);
        assert_int_equal(memrange_crash_read(ctx, &crash), 0);
        check_crash(e, crash);
        assert_int_equal(memrange_sources_read(ctx, &sources), 0);
        assert_int_equal(sources->status[7], MEMRANGE_SOURCE_OK);
        assert_non_null(sources->crash);
        check_crash(e, sources->crash);
}

static void every_fixture_reads_its_crash_state(void **state) {
        size_t checked = 0;

        /* The table must cover all_fixtures, so a new fixture is not skipped. */
        for (const char *const *f = all_fixtures; *f; f++) {
                bool found = false;

                for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                        if (strcmp(expected[i].fixture, *f) == 0) {
                                check_fixture(&expected[i]);
                                found = true;
                                checked++;
                        }
                if (!found)
                        fail_msg("no expected crash state for fixture %s", *f);
        }
        assert_int_equal(checked, ELEMENTSOF(expected));
}

/* ---- scratch sysroots ---- */

/* A minimal machine: 2 CPUs, a crash kernel loaded, notes for both CPUs. */
static void base_tree(struct scratch *s) {
        scratch_init(s);
        scratch_write(s, "proc/iomem",
                      "00000000-00000fff : Reserved\n"
                      "00001000-7fffffff : System RAM\n"
                      "  2f000000-3effffff : Crash kernel\n", (size_t) -1);
        scratch_write(s, "sys/kernel/kexec_loaded", "0\n", (size_t) -1);
        scratch_write(s, "sys/kernel/kexec_crash_loaded", "1\n", (size_t) -1);
        scratch_write(s, "sys/kernel/kexec_crash_size", "268435456\n", (size_t) -1);
        scratch_write(s, "sys/kernel/crash_elfcorehdr_size", "917616\n", (size_t) -1);
        scratch_write(s, "sys/kernel/vmcoreinfo", "0x000000000120e000 1024\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/memory/crash_hotplug", "1\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/crash_hotplug", "0\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/possible", "0-3\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/present", "0-1\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/online", "0\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/cpu0/crash_notes", "3da3d800\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/cpu0/crash_notes_size", "368\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/cpu1/crash_notes", "3db3d800\n", (size_t) -1);
        scratch_write(s, "sys/devices/system/cpu/cpu1/crash_notes_size", "368\n", (size_t) -1);
}

static int read_tree(struct scratch *s, struct memrange_ctx **ret_ctx, struct memrange_crash **ret_crash) {
        int r;

        *ret_ctx = scratch_ctx(s);
        r = memrange_crash_read(*ret_ctx, ret_crash);
        scratch_free(s);
        return r;
}

/* base_tree() with @path overwritten by @value; expects -@err and @where
 * in the error message. */
static void expect_failure(const char *path, const char *value, size_t len, int err, const char *where) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_crash *crash = NULL;
        struct scratch s;
        const char *msg;

        base_tree(&s);
        scratch_write(&s, path, value, len);
        assert_int_equal(read_tree(&s, &ctx, &crash), -err);
        assert_null(crash);
        msg = memrange_ctx_get_error(ctx);
        assert_non_null(msg);
        if (!strstr(msg, where))
                fail_msg("error '%s' does not name '%s'", msg, where);
}

static void scratch_tree_reads_every_field(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct scratch s;

        base_tree(&s);
        assert_int_equal(read_tree(&s, &ctx, &crash), 0);
        assert_int_equal(crash->reservations.n, 1);
        assert_int_equal(crash->reservations.ranges[0].start, 0x2f000000);
        assert_int_equal(crash->reservations.ranges[0].end, 0x3f000000);
        assert_int_equal(crash->kexec_loaded, 0);
        assert_int_equal(crash->kexec_crash_loaded, 1);
        assert_int_equal(crash->kexec_crash_size, 256 << 20);
        assert_int_equal(crash->crash_elfcorehdr_size, 917616);
        assert_int_equal(crash->crash_hotplug_memory, 1);
        assert_int_equal(crash->crash_hotplug_cpu, 0);
        assert_int_equal(crash->possible.n, 4);
        assert_int_equal(crash->present.n, 2);
        assert_int_equal(crash->online.n, 1);
        assert_true(memrange_idset_contains(&crash->possible, 3));
        assert_false(memrange_idset_contains(&crash->present, 2));
        assert_int_equal(crash->n_notes, 2);
        assert_int_equal(crash->notes[1].addr, 0x3db3d800);
        assert_int_equal(crash->vmcoreinfo_addr, 0x120e000);
        assert_int_equal(crash->vmcoreinfo_size, 0x1024);
}

static void low_reservation_is_the_one_below_4g(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct scratch s;

        /* crashkernel=256M,high with its default low part. */
        base_tree(&s);
        scratch_write(&s, "proc/iomem",
                      "00000000-00000fff : Reserved\n"
                      "00001000-bfffffff : System RAM\n"
                      "  b0000000-b7ffffff : Crash kernel\n"
                      "100000000-27fffffff : System RAM\n"
                      "  26f000000-27effffff : Crash kernel\n", (size_t) -1);
        assert_int_equal(read_tree(&s, &ctx, &crash), 0);
        assert_int_equal(crash->reservations.n, 2);
        assert_int_equal(crash->reservations.ranges[0].start, 0xb0000000);
        assert_int_equal(crash->reservations.ranges[0].end, 0xb8000000);
        assert_int_equal(crash->reservations.ranges[0].flags, MEMRANGE_F_CRASHKERNEL | MEMRANGE_F_CRASH_LOW);
        assert_int_equal(crash->reservations.ranges[1].start, 0x26f000000);
        assert_int_equal(crash->reservations.ranges[1].end, 0x27f000000);
        assert_int_equal(crash->reservations.ranges[1].flags, MEMRANGE_F_CRASHKERNEL);
}

/* A range ending exactly at 4 GiB is still wholly below it. */
static void low_reservation_may_end_at_4g(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct scratch s;

        base_tree(&s);
        scratch_write(&s, "proc/iomem",
                      "00001000-ffffffff : System RAM\n"
                      "  f0000000-ffffffff : Crash kernel\n"
                      "100000000-1ffffffff : System RAM\n"
                      "  100000000-10fffffff : Crash kernel\n", (size_t) -1);
        assert_int_equal(read_tree(&s, &ctx, &crash), 0);
        assert_int_equal(crash->reservations.n, 2);
        assert_int_equal(crash->reservations.ranges[0].end, 4 * GIB);
        assert_true(crash->reservations.ranges[0].flags & MEMRANGE_F_CRASH_LOW);
        assert_false(crash->reservations.ranges[1].flags & MEMRANGE_F_CRASH_LOW);
}

static void hidden_or_missing_iomem_leaves_no_reservations(void **state) {
        static const char hidden[] =
                "00000000-00000000 : Reserved\n"
                "00000000-00000000 : System RAM\n"
                "  00000000-00000000 : Crash kernel\n";

        for (int missing = 0; missing <= 1; missing++) {
                _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
                _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
                struct scratch s;
                char path[512];

                base_tree(&s);
                snprintf(path, sizeof(path), "%s/proc/iomem", s.path);
                if (missing)
                        assert_int_equal(unlink(path), 0);
                else
                        scratch_write(&s, "proc/iomem", hidden, (size_t) -1);
                assert_int_equal(read_tree(&s, &ctx, &crash), 0);
                assert_int_equal(crash->reservations.n, 0);
                assert_int_equal(crash->kexec_crash_loaded, 1);
                assert_int_equal(crash->n_notes, 2);
                /* The call succeeded: no stale iomem message remains. */
                assert_null(memrange_ctx_get_error(ctx));
        }
}

static void malformed_iomem_fails_the_read(void **state) {
        expect_failure("proc/iomem", "00001000-7fffffff : System RAM\n  zz000000-3effffff : Crash kernel\n",
                       (size_t) -1, EBADMSG, "proc/iomem:2:");
}

/* memrange_sources_read() hands the crash reader the iomem it already
 * read: the reservations come from that, not from a second read. */
static void reservations_come_from_the_iomem_given(void **state) {
        struct memrange_iomem_entry entry = {
                .range = { .start = 0x40000000, .end = 0x48000000, .type = MEMRANGE_TYPE_CRASHKERNEL,
                           .nid = MEMRANGE_NID_NONE, .sources = MEMRANGE_SRC_IOMEM },
                .name = (char *) "Crash kernel",
                .parent = -1,
        };
        const struct memrange_iomem given = { .n = 1, .entries = &entry };
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_crash *crash = NULL;
        struct scratch s;

        /* The file says 2f000000-3effffff. */
        base_tree(&s);
        ctx = scratch_ctx(&s);
        assert_int_equal(mr_crash_read_from_iomem(ctx, &given, &crash), 0);
        assert_int_equal(crash->reservations.n, 1);
        assert_int_equal(crash->reservations.ranges[0].start, 0x40000000);
        assert_int_equal(crash->reservations.ranges[0].end, 0x48000000);
        assert_int_equal(crash->reservations.ranges[0].flags, MEMRANGE_F_CRASHKERNEL);
        assert_int_equal(crash->reservations.ranges[0].sources, MEMRANGE_SRC_IOMEM | MEMRANGE_SRC_CRASH);
        assert_string_equal(crash->reservations.names[0], "Crash kernel");
        assert_int_equal(crash->kexec_crash_loaded, 1);
        crash = memrange_crash_free(crash);

        /* No iomem (missing or hidden): no reservation, the rest is read. */
        assert_int_equal(mr_crash_read_from_iomem(ctx, NULL, &crash), 0);
        assert_int_equal(crash->reservations.n, 0);
        assert_int_equal(crash->n_notes, 2);
        crash = memrange_crash_free(crash);
        scratch_free(&s);
}

static void count_iomem_messages(void *userdata, int priority, const char *file, int line, const char *fn,
                                 const char *format, va_list args) _printf_(6, 0);
static void count_iomem_messages(void *userdata, int priority, const char *file, int line, const char *fn,
                                 const char *format, va_list args) {
        char msg[512];

        vsnprintf(msg, sizeof(msg), format, args);
        if (strstr(msg, "proc/iomem"))
                (*(unsigned *) userdata)++;
}

/* The iomem reader says once per read that proc/iomem is missing: reading
 * every source reads it once, the crash source included. */
static void sources_read_reads_iomem_once(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        unsigned mentions = 0;
        struct scratch s;
        char path[512];

        base_tree(&s);
        snprintf(path, sizeof(path), "%s/proc/iomem", s.path);
        assert_int_equal(unlink(path), 0);
        ctx = scratch_ctx(&s);
        memrange_ctx_set_log_fn(ctx, count_iomem_messages, &mentions);
        memrange_ctx_set_log_priority(ctx, LOG_DEBUG);
        assert_int_equal(memrange_sources_read(ctx, &sources), 0);
        scratch_free(&s);
        assert_int_equal(mentions, 1);
        assert_int_equal(sources->status[7], MEMRANGE_SOURCE_OK);
        assert_int_equal(sources->crash->reservations.n, 0);
        assert_int_equal(sources->crash->kexec_crash_loaded, 1);
}

/* As memrange_crash_read() fails on it, the crash source of
 * memrange_sources_read() fails on a malformed iomem, with its message. */
static void malformed_iomem_fails_the_crash_source_too(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_sources_freep) struct memrange_sources *sources = NULL;
        struct scratch s;

        base_tree(&s);
        scratch_write(&s, "proc/iomem", "00001000-7fffffff : System RAM\n  zz000000-3effffff : Crash kernel\n",
                      (size_t) -1);
        ctx = scratch_ctx(&s);
        memrange_ctx_set_log_fn(ctx, NULL, NULL);
        assert_int_equal(memrange_sources_read(ctx, &sources), 0);
        scratch_free(&s);
        assert_int_equal(sources->status[0], MEMRANGE_SOURCE_ERROR);
        assert_int_equal(sources->status[7], MEMRANGE_SOURCE_ERROR);
        assert_null(sources->crash);
        assert_non_null(strstr(sources->error[0], "proc/iomem:2:"));
        assert_string_equal(sources->error[7], sources->error[0]);
}

static void malformed_kexec_attributes_are_rejected(void **state) {
        expect_failure("sys/kernel/kexec_crash_loaded", "2\n", (size_t) -1, EBADMSG,
                       "sys/kernel/kexec_crash_loaded:1: expected 0 or 1, got '2'");
        expect_failure("sys/kernel/kexec_loaded", "", 0, EBADMSG,
                       "sys/kernel/kexec_loaded:1: expected 0 or 1, got ''");
        /* Binary junk is refused before parsing. */
        expect_failure("sys/kernel/kexec_loaded", "1\0\x01", 3, EBADMSG,
                       "sys/kernel/kexec_loaded: control character");
        expect_failure("sys/kernel/kexec_crash_size", "0x10000000\n", (size_t) -1, EBADMSG,
                       "sys/kernel/kexec_crash_size:1: bad decimal number '0x10000000'");
        expect_failure("sys/kernel/kexec_crash_size", "-1\n", (size_t) -1, EBADMSG,
                       "sys/kernel/kexec_crash_size:1: bad decimal number '-1'");
        expect_failure("sys/kernel/kexec_crash_size", "268435456 \n", (size_t) -1, EBADMSG,
                       "sys/kernel/kexec_crash_size:1: bad decimal number");
        /* 2^63 does not fit the int64_t field. */
        expect_failure("sys/kernel/crash_elfcorehdr_size", "9223372036854775808\n", (size_t) -1, EBADMSG,
                       "sys/kernel/crash_elfcorehdr_size:1: bad decimal number");
        expect_failure("sys/kernel/crash_elfcorehdr_size", "99999999999999999999999\n", (size_t) -1,
                       EBADMSG, "sys/kernel/crash_elfcorehdr_size:1:");
        expect_failure("sys/devices/system/memory/crash_hotplug", "yes\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/memory/crash_hotplug:1: expected 0 or 1");
        expect_failure("sys/devices/system/cpu/crash_hotplug", "1\n1\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/crash_hotplug");
}

static void malformed_cpu_lists_are_rejected(void **state) {
        expect_failure("sys/devices/system/cpu/possible", "0-\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/possible:1: bad CPU list '0-'");
        expect_failure("sys/devices/system/cpu/present", "\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/present:1: empty CPU list");
        expect_failure("sys/devices/system/cpu/online", "3-1\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/online:1: bad CPU list '3-1'");
}

static void malformed_crash_notes_are_rejected(void **state) {
        expect_failure("sys/devices/system/cpu/cpu1/crash_notes", "zz\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/cpu1/crash_notes:1: bad hex address 'zz'");
        expect_failure("sys/devices/system/cpu/cpu1/crash_notes", "", 0, EBADMSG,
                       "sys/devices/system/cpu/cpu1/crash_notes:1: bad hex address ''");
        expect_failure("sys/devices/system/cpu/cpu0/crash_notes", "10000000000000000\n", (size_t) -1,
                       EBADMSG, "sys/devices/system/cpu/cpu0/crash_notes:1:");
        expect_failure("sys/devices/system/cpu/cpu0/crash_notes_size", "368 bytes\n", (size_t) -1, EBADMSG,
                       "sys/devices/system/cpu/cpu0/crash_notes_size:1: bad decimal number");
}

static void malformed_vmcoreinfo_is_rejected(void **state) {
        expect_failure("sys/kernel/vmcoreinfo", "0x000000000120e000\n", (size_t) -1, EBADMSG,
                       "sys/kernel/vmcoreinfo:1: expected 'ADDRESS SIZE' in hex");
        expect_failure("sys/kernel/vmcoreinfo", "0x000000000120e000 zz\n", (size_t) -1, EBADMSG,
                       "sys/kernel/vmcoreinfo:1:");
        expect_failure("sys/kernel/vmcoreinfo", "0x000000000120e000  1024\n", (size_t) -1, EBADMSG,
                       "sys/kernel/vmcoreinfo:1:");
        expect_failure("sys/kernel/vmcoreinfo", "", 0, EBADMSG, "sys/kernel/vmcoreinfo:1:");
}

static void notes_are_sorted_by_cpu_number(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct scratch s;

        base_tree(&s);
        /* cpu10 sorts after cpu2 numerically; cpufreq and cpuidle are not CPUs;
         * cpu3 has no notes; cpu2 predates crash_notes_size. */
        scratch_write(&s, "sys/devices/system/cpu/cpu10/crash_notes", "7fe76c00\n", (size_t) -1);
        scratch_write(&s, "sys/devices/system/cpu/cpu10/crash_notes_size", "536\n", (size_t) -1);
        scratch_write(&s, "sys/devices/system/cpu/cpu2/crash_notes", "7fdd6c00\n", (size_t) -1);
        scratch_mkdir(&s, "sys/devices/system/cpu/cpu3");
        scratch_write(&s, "sys/devices/system/cpu/cpufreq/crash_notes", "1\n", (size_t) -1);
        scratch_mkdir(&s, "sys/devices/system/cpu/cpuidle");

        assert_int_equal(read_tree(&s, &ctx, &crash), 0);
        assert_int_equal(crash->n_notes, 4);
        assert_int_equal(crash->notes[0].cpu, 0);
        assert_int_equal(crash->notes[1].cpu, 1);
        assert_int_equal(crash->notes[2].cpu, 2);
        assert_int_equal(crash->notes[2].addr, 0x7fdd6c00);
        assert_int_equal(crash->notes[2].size, 0);
        assert_int_equal(crash->notes[3].cpu, 10);
        assert_int_equal(crash->notes[3].addr, 0x7fe76c00);
        assert_int_equal(crash->notes[3].size, 536);
}

static void missing_files_leave_minus_one(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct scratch s;

        scratch_init(&s);
        scratch_write(&s, "sys/kernel/vmcoreinfo", "0x0000000100c66000 1024\n", (size_t) -1);
        assert_int_equal(read_tree(&s, &ctx, &crash), 0);
        assert_int_equal(crash->reservations.n, 0);
        assert_int_equal(crash->kexec_loaded, -1);
        assert_int_equal(crash->kexec_crash_loaded, -1);
        assert_int_equal(crash->kexec_crash_size, -1);
        assert_int_equal(crash->crash_elfcorehdr_size, -1);
        assert_int_equal(crash->crash_hotplug_memory, -1);
        assert_int_equal(crash->crash_hotplug_cpu, -1);
        assert_int_equal(crash->possible.n, 0);
        assert_int_equal(crash->n_notes, 0);
        assert_true(crash->has_vmcoreinfo);
        assert_int_equal(crash->vmcoreinfo_addr, 0x100c66000);
}

static void nothing_at_all_is_enoent(void **state) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct memrange_crash *crash = NULL;
        struct scratch s;

        scratch_init(&s);
        scratch_mkdir(&s, "sys/devices/system/cpu");
        scratch_mkdir(&s, "sys/kernel");
        assert_int_equal(read_tree(&s, &ctx, &crash), -ENOENT);
        assert_null(crash);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_fixture_reads_its_crash_state),
                cmocka_unit_test(scratch_tree_reads_every_field),
                cmocka_unit_test(low_reservation_is_the_one_below_4g),
                cmocka_unit_test(low_reservation_may_end_at_4g),
                cmocka_unit_test(hidden_or_missing_iomem_leaves_no_reservations),
                cmocka_unit_test(malformed_iomem_fails_the_read),
                cmocka_unit_test(reservations_come_from_the_iomem_given),
                cmocka_unit_test(sources_read_reads_iomem_once),
                cmocka_unit_test(malformed_iomem_fails_the_crash_source_too),
                cmocka_unit_test(malformed_kexec_attributes_are_rejected),
                cmocka_unit_test(malformed_cpu_lists_are_rejected),
                cmocka_unit_test(malformed_crash_notes_are_rejected),
                cmocka_unit_test(malformed_vmcoreinfo_is_rejected),
                cmocka_unit_test(notes_are_sorted_by_cpu_number),
                cmocka_unit_test(missing_files_leave_minus_one),
                cmocka_unit_test(nothing_at_all_is_enoent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

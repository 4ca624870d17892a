/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash and CPU state: the "Crash kernel" reservations of /proc/iomem, the
 * kexec and crash hotplug attributes, the CPU masks, the per-CPU crash note
 * buffers and vmcoreinfo. Every file but iomem is a small sysfs attribute;
 * a missing one leaves its field at -1 (or empty), a malformed one fails
 * the read naming the file. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

#define FOUR_GIB (UINT64_C(1) << 32)
/* Far above any kernel's NR_CPUS; a bound on what a corrupt tree can make us allocate. */
#define CRASH_CPUS_MAX (1u << 16)

struct crash_reader {
        struct memrange_ctx *ctx;
        unsigned found; /* files that existed: none at all means -ENOENT */
};

/* Reads an attribute; -ENOENT without an error when it is missing. */
static int read_attr(struct crash_reader *c, const char *path, char **ret_value) {
        int r;

        r = mr_read_attr_line(c->ctx, path, ret_value);
        if (r < 0)
                return r;
        c->found++;
        return 0;
}

static int read_bool01(struct crash_reader *c, const char *path, int *ret) {
        _cleanup_(freep) char *value = NULL;
        int r;

        r = read_attr(c, path, &value);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (mr_parse_bool01(value, ret) < 0)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "expected 0 or 1, got '%s'", value);
        return 0;
}

/* A decimal byte count that must fit an int64_t. */
static int read_dec(struct crash_reader *c, const char *path, bool *ret_found, uint64_t *ret) {
        _cleanup_(freep) char *value = NULL;
        uint64_t v;
        int r;

        *ret_found = false;
        r = read_attr(c, path, &value);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (mr_parse_dec_u64(value, &v) < 0 || v > INT64_MAX)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "bad decimal number '%s'", value);
        *ret_found = true;
        *ret = v;
        return 0;
}

static int read_size(struct crash_reader *c, const char *path, int64_t *ret) {
        bool found;
        uint64_t v;
        int r;

        r = read_dec(c, path, &found, &v);
        if (r < 0)
                return r;
        if (found)
                *ret = (int64_t) v;
        return 0;
}

static int read_idset(struct crash_reader *c, const char *path, struct memrange_idset *ret) {
        _cleanup_(freep) char *value = NULL;
        int r;

        r = read_attr(c, path, &value);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* The boot CPU is always possible, present and online. */
        if (!*value)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "empty CPU list");
        r = memrange_idset_parse(value, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "bad CPU list '%s'", value);
        return 0;
}

/* "%pa %x": the physical address of the vmcoreinfo note (with 0x) and its
 * size in hex (without 0x: 1024 is 4 KiB of page plus note headers). */
static int read_vmcoreinfo(struct crash_reader *c, struct memrange_crash *crash) {
        static const char path[] = SYS_KERNEL "/vmcoreinfo";
        _cleanup_(freep) char *value = NULL;
        uint64_t addr, size;
        char *space;
        int r;

        r = read_attr(c, path, &value);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        space = strchr(value, ' ');
        if (!space || mr_parse_hex_u64_n(value, (size_t) (space - value), &addr) < 0 ||
            mr_parse_hex_u64(space + 1, &size) < 0)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "expected 'ADDRESS SIZE' in hex, got '%s'",
                                   value);
        crash->has_vmcoreinfo = true;
        crash->vmcoreinfo_addr = addr;
        crash->vmcoreinfo_size = size;
        return 0;
}

/* cpuN/crash_notes ("%llx", no 0x) and crash_notes_size (decimal; 0 when
 * the kernel predates it). Returns 1 when the CPU has a note. */
static int read_crash_note(struct crash_reader *c, unsigned cpu, struct memrange_crash_note *ret) {
        _cleanup_(freep) char *value = NULL;
        char path[128];
        uint64_t addr, size = 0;
        bool found;
        int r;

        snprintf(path, sizeof(path), CPU_DIR "/cpu%u/crash_notes", cpu);
        r = read_attr(c, path, &value);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (mr_parse_hex_u64(value, &addr) < 0)
                return mr_error_at(c->ctx, EBADMSG, path, 1, "bad hex address '%s'", value);

        snprintf(path, sizeof(path), CPU_DIR "/cpu%u/crash_notes_size", cpu);
        r = read_dec(c, path, &found, &size);
        if (r < 0)
                return r;
        *ret = (struct memrange_crash_note) { .cpu = cpu, .addr = addr, .size = size };
        return 1;
}

static int read_crash_notes(struct crash_reader *c, struct memrange_crash *crash) {
        _cleanup_(freep) uint64_t *cpus = NULL;
        size_t n_cpus;
        int r;

        /* "cpuN" entries only (not cpufreq, cpuidle...), in ascending order. */
        r = mr_list_indexed(c->ctx, CPU_DIR, "cpu", CRASH_CPUS_MAX, &cpus, &n_cpus);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (n_cpus == 0)
                return 0;
        if (cpus[n_cpus - 1] >= CRASH_CPUS_MAX)
                return mr_error_at(c->ctx, EBADMSG, CPU_DIR, 0, "cpu%" PRIu64 " is beyond any CPU count",
                                   cpus[n_cpus - 1]);
        crash->notes = calloc(n_cpus, sizeof(*crash->notes));
        if (!crash->notes)
                return -ENOMEM;
        for (size_t i = 0; i < n_cpus; i++) {
                r = read_crash_note(c, (unsigned) cpus[i], &crash->notes[crash->n_notes]);
                if (r < 0)
                        return r;
                crash->n_notes += r;
        }
        return 0;
}

/* With a high and a low reservation (crashkernel=X,high), the one wholly
 * below 4 GiB while another reaches above is the low one. */
static void mark_low_reservation(struct memrange_list *list) {
        bool any_high = false;

        for (size_t i = 0; i < list->n; i++)
                any_high |= list->ranges[i].end > FOUR_GIB;
        if (!any_high)
                return;
        for (size_t i = 0; i < list->n; i++)
                if (list->ranges[i].end <= FOUR_GIB)
                        list->ranges[i].flags |= MEMRANGE_F_CRASH_LOW;
}

/* The "Crash kernel" entries of @iomem (NULL: missing or hiding its
 * addresses, so no reservation is known). */
static int read_reservations(struct crash_reader *c, const struct memrange_iomem *iomem,
                             struct memrange_crash *crash) {
        int r;

        for (size_t i = 0; iomem && i < iomem->n; i++) {
                struct memrange range = iomem->entries[i].range;

                if (range.type != MEMRANGE_TYPE_CRASHKERNEL)
                        continue;
                range.flags |= MEMRANGE_F_CRASHKERNEL;
                range.sources |= MEMRANGE_SRC_CRASH;
                r = memrange_list_append(&crash->reservations, &range, iomem->entries[i].name);
                if (r < 0)
                        return r;
                c->found++;
        }
        mark_low_reservation(&crash->reservations);
        return 0;
}

static int read_attributes(struct crash_reader *c, struct memrange_crash *crash) {
        int r;

        r = read_bool01(c, SYS_KERNEL "/kexec_loaded", &crash->kexec_loaded);
        if (r >= 0)
                r = read_bool01(c, SYS_KERNEL "/kexec_crash_loaded", &crash->kexec_crash_loaded);
        if (r >= 0)
                r = read_size(c, SYS_KERNEL "/kexec_crash_size", &crash->kexec_crash_size);
        if (r >= 0)
                r = read_size(c, SYS_KERNEL "/crash_elfcorehdr_size", &crash->crash_elfcorehdr_size);
        if (r >= 0)
                r = read_bool01(c, MEMORY_DIR "/crash_hotplug", &crash->crash_hotplug_memory);
        if (r >= 0)
                r = read_bool01(c, CPU_DIR "/crash_hotplug", &crash->crash_hotplug_cpu);
        if (r >= 0)
                r = read_idset(c, CPU_DIR "/possible", &crash->possible);
        if (r >= 0)
                r = read_idset(c, CPU_DIR "/present", &crash->present);
        if (r >= 0)
                r = read_idset(c, CPU_DIR "/online", &crash->online);
        return r;
}

int mr_crash_read_from_iomem(struct memrange_ctx *ctx, const struct memrange_iomem *iomem,
                             struct memrange_crash **ret_crash) {
        _cleanup_(memrange_crash_freep) struct memrange_crash *crash = NULL;
        struct crash_reader c = { .ctx = ctx };
        int r;

        if (!ctx || !ret_crash)
                return -EINVAL;

        crash = calloc(1, sizeof(*crash));
        if (!crash)
                return -ENOMEM;
        crash->kexec_loaded = -1;
        crash->kexec_crash_loaded = -1;
        crash->kexec_crash_size = -1;
        crash->crash_hotplug_memory = -1;
        crash->crash_hotplug_cpu = -1;
        crash->crash_elfcorehdr_size = -1;

        r = read_reservations(&c, iomem, crash);
        if (r < 0)
                return r;
        r = read_attributes(&c, crash);
        if (r < 0)
                return r;
        r = read_crash_notes(&c, crash);
        if (r < 0)
                return r;
        r = read_vmcoreinfo(&c, crash);
        if (r < 0)
                return r;
        if (c.found == 0)
                return -ENOENT;

        *ret_crash = TAKE_PTR(crash);
        return 0;
}

/* A missing or address-hiding iomem leaves the reservations empty; a
 * malformed one fails the read. */
_public_ int memrange_crash_read(struct memrange_ctx *ctx, struct memrange_crash **ret_crash) {
        _cleanup_(memrange_iomem_freep) struct memrange_iomem *iomem = NULL;
        int r;

        if (!ctx || !ret_crash)
                return -EINVAL;
        r = memrange_iomem_read(ctx, &iomem);
        if (r == -ENOENT || r == -EACCES)
                /* Not a failure of this read: drop the message iomem left. */
                mr_clear_error(ctx);
        else if (r < 0)
                return r;
        return mr_crash_read_from_iomem(ctx, iomem, ret_crash);
}

_public_ struct memrange_crash *memrange_crash_free(struct memrange_crash *crash) {
        if (!crash)
                return NULL;
        memrange_list_clear(&crash->reservations);
        memrange_idset_clear(&crash->possible);
        memrange_idset_clear(&crash->present);
        memrange_idset_clear(&crash->online);
        free(crash->notes);
        free(crash);
        return NULL;
}

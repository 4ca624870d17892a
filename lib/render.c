/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A table rendered as /proc/iomem, for kexec-tools: it reads only that
 * file, so the reload engine bind-mounts this rendering over it
 * (DOMAIN.md section 7) and the loaded header describes exactly the table.
 *
 * What kexec-tools looks for: "System RAM" lines at any depth (any
 * "System RAM (...)" too on x86), "Crash kernel" lines, "Kernel code" (x86
 * takes the kernel's physical load address from it and gives up without
 * it; arm64 also reads "Kernel data"), and on x86 the reserved and ACPI
 * lines it passes on to the capture kernel's memory map. So RAM is printed
 * as the kernel prints it, one line per contiguous run of one kind however
 * the table split it, with the crash reservations and the kernel image
 * nested under it; the other memory types follow the kernel's names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

#define DRIVER_MANAGED_NAME "System RAM (driver)"

/* iomem entries that lend their names or are copied, sorted by start. */
struct name_index {
        size_t n, cursor;
        const struct memrange_iomem_entry **entries;
};

struct render {
        FILE *out;
        struct name_index kernel;    /* Kernel code/rodata/data/bss, any depth */
        struct name_index driver;    /* System RAM (...) at any depth */
        struct name_index toplevel;  /* other top-level memory entries */
        bool driver_plain;           /* driver-managed RAM named "System RAM" (arm64) */
        /* The line being gathered. */
        bool open;
        uint64_t start, end;
        uint32_t type;
        bool driver_managed;
        size_t n_crash;
        struct memrange_dump_range *crash; /* crash runs inside the line */
};

static int compare_entry_start(const void *a, const void *b) {
        const struct memrange_iomem_entry *x = *(const struct memrange_iomem_entry *const *) a;
        const struct memrange_iomem_entry *y = *(const struct memrange_iomem_entry *const *) b;

        return x->range.start < y->range.start ? -1 : x->range.start > y->range.start;
}

static bool is_kernel(const struct memrange_iomem_entry *e) {
        return e->range.type == MEMRANGE_TYPE_KERNEL;
}
static bool is_driver_ram(const struct memrange_iomem_entry *e) {
        return e->range.type == MEMRANGE_TYPE_RAM && (e->range.flags & MEMRANGE_F_DRIVER_MANAGED);
}
static bool is_toplevel_other(const struct memrange_iomem_entry *e) {
        return e->depth == 0 && e->range.type != MEMRANGE_TYPE_RAM;
}

static int index_build(const struct memrange_iomem *iomem, bool (*want)(const struct memrange_iomem_entry *),
                       struct name_index *idx) {
        if (!iomem || iomem->n == 0)
                return 0;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        idx->entries = calloc(iomem->n, sizeof(*idx->entries));
        if (!idx->entries)
                return -ENOMEM;
        for (size_t i = 0; i < iomem->n; i++)
                if (want(&iomem->entries[i]))
                        idx->entries[idx->n++] = &iomem->entries[i];
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        qsort(idx->entries, idx->n, sizeof(*idx->entries), compare_entry_start);
        return 0;
}

/* Advances the index past entries that start below @start (lines come in
 * address order) and returns the first remaining one, or NULL. */
static const struct memrange_iomem_entry *index_seek(struct name_index *idx, uint64_t start) {
        while (idx->cursor < idx->n && idx->entries[idx->cursor]->range.start < start)
                idx->cursor++;
        return idx->cursor < idx->n ? idx->entries[idx->cursor] : NULL;
}

static const char *line_name(struct render *rd) {
        const struct memrange_iomem_entry *e;

        if (rd->type == MEMRANGE_TYPE_RAM && rd->driver_managed && !rd->driver_plain) {
                /* The driver's line may start before the rendered one. */
                for (size_t i = 0; i < rd->driver.n; i++) {
                        e = rd->driver.entries[i];
                        if (e->range.start <= rd->start && rd->start < e->range.end)
                                return e->name;
                }
                return DRIVER_MANAGED_NAME;
        }
        if (rd->type == MEMRANGE_TYPE_RAM)
                return mr_type_to_kernel_name(MEMRANGE_TYPE_RAM);
        e = index_seek(&rd->toplevel, rd->start);
        if (e && e->range.start == rd->start && e->range.end == rd->end && e->range.type == rd->type)
                return e->name;
        return mr_type_to_kernel_name(rd->type);
}

static void print_line(FILE *out, unsigned depth, uint64_t start, uint64_t end, const char *name) {
        fprintf(out, "%*s%08" PRIx64 "-%08" PRIx64 " : %s\n", (int) depth * 2, "", start, end - 1, name);
}

/* The children of a RAM line, in address order: crash runs and the kernel
 * image entries that lie inside it. */
static void print_children(struct render *rd) {
        size_t c = 0;

        index_seek(&rd->kernel, rd->start);
        for (;;) {
                const struct memrange_iomem_entry *k = NULL;

                if (rd->kernel.cursor < rd->kernel.n && rd->kernel.entries[rd->kernel.cursor]->range.start < rd->end)
                        k = rd->kernel.entries[rd->kernel.cursor];
                if (c < rd->n_crash && (!k || rd->crash[c].start <= k->range.start)) {
                        print_line(rd->out, 1, rd->crash[c].start, rd->crash[c].end,
                                   mr_type_to_kernel_name(MEMRANGE_TYPE_CRASHKERNEL));
                        c++;
                        continue;
                }
                if (!k)
                        return;
                /* An entry crossing the line's end belongs to no line. */
                if (k->range.end <= rd->end)
                        print_line(rd->out, 1, k->range.start, k->range.end, k->name);
                rd->kernel.cursor++;
        }
}

static void flush_line(struct render *rd) {
        if (!rd->open)
                return;
        print_line(rd->out, 0, rd->start, rd->end, line_name(rd));
        if (rd->type == MEMRANGE_TYPE_RAM)
                print_children(rd);
        rd->open = false;
        rd->n_crash = 0;
}

static bool extends_line(const struct render *rd, const struct memrange *r) {
        if (!rd->open || rd->end != r->start || rd->type != r->type)
                return false;
        return r->type != MEMRANGE_TYPE_RAM || rd->driver_managed == !!(r->flags & MEMRANGE_F_DRIVER_MANAGED);
}

static int add_region(struct render *rd, const struct memrange *r) {
        if (extends_line(rd, r))
                rd->end = r->end;
        else {
                flush_line(rd);
                rd->open = true;
                rd->start = r->start;
                rd->end = r->end;
                rd->type = r->type;
                rd->driver_managed = r->flags & MEMRANGE_F_DRIVER_MANAGED;
        }
        if (r->type != MEMRANGE_TYPE_RAM || !(r->flags & MEMRANGE_F_CRASHKERNEL))
                return 0;
        if (rd->n_crash > 0 && rd->crash[rd->n_crash - 1].end == r->start) {
                rd->crash[rd->n_crash - 1].end = r->end;
                return 0;
        }
        return mr_dump_push(&rd->crash, &rd->n_crash, r->start, r->end, 0);
}

static int render_all(struct render *rd, const struct memrange_table *table) {
        memrange_table_foreach(r, table) {
                int k = add_region(rd, r);
                if (k < 0)
                        return k;
        }
        flush_line(rd);
        return 0;
}

static int render_iomem(const struct memrange_table *table, const struct memrange_iomem *iomem, bool driver_plain,
                        char **ret_text, size_t *ret_len) {
        _cleanup_(freep) char *text = NULL;
        struct render rd = { .driver_plain = driver_plain };
        size_t len = 0;
        int r;

        if (!table || !ret_text)
                return -EINVAL;
        rd.out = open_memstream(&text, &len);
        if (!rd.out)
                return -ENOMEM;
        r = index_build(iomem, is_kernel, &rd.kernel);
        if (r >= 0)
                r = index_build(iomem, is_driver_ram, &rd.driver);
        if (r >= 0)
                r = index_build(iomem, is_toplevel_other, &rd.toplevel);
        if (r >= 0)
                r = render_all(&rd, table);
        if (r >= 0 && ferror(rd.out))
                r = -ENOMEM;
        if (fclose(rd.out) != 0 && r >= 0)
                r = -ENOMEM;
        free(rd.kernel.entries);
        free(rd.driver.entries);
        free(rd.toplevel.entries);
        free(rd.crash);
        if (r < 0)
                return r;
        if (ret_len)
                *ret_len = len;
        *ret_text = TAKE_PTR(text);
        return 0;
}

_public_ int memrange_render_iomem(const struct memrange_table *table, const struct memrange_iomem *iomem,
                                   char **ret_text, size_t *ret_len) {
        return render_iomem(table, iomem, false, ret_text, ret_len);
}

/* kexec-tools on arm64 (kexec/arch/arm64/crashdump-arm64.c) takes only
 * lines named exactly "System RAM" into a crash header: a line named
 * "System RAM (virtio_mem)" or "System RAM (kmem)" is skipped, and that
 * memory is missing from the dump whoever loads it. The kernel's own
 * header (kexec_file_load, which Debian's arm64 kernels lack) dumps it, so
 * in the view memranged hands kexec-tools on arm64 it is plain RAM. The
 * line stays a line of its own, so the dump policy for this view
 * (memranged-arm64) cuts the ranges where this rendering does. */
_public_ int memrange_render_iomem_arch(const struct memrange_table *table, const struct memrange_iomem *iomem,
                                        enum memrange_arch arch, char **ret_text, size_t *ret_len) {
        if ((unsigned) arch >= _MEMRANGE_ARCH_MAX)
                return -EINVAL;
        return render_iomem(table, iomem, arch == MEMRANGE_ARCH_ARM64, ret_text, ret_len);
}

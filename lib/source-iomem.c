/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/iomem reader: "%0*llx-%0*llx : name" lines, end inclusive, two spaces
 * of indentation per nesting level, kept as a tree in file order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernel-paths.h"
#include "memrange-private.h"

#define IOMEM_MAX_BYTES MR_READ_MAX_DEFAULT
#define IOMEM_MAX_ENTRIES (1u << 20)
#define IOMEM_MAX_LINE 4096u
/* The kernel prints at least 8 digits; 16 hold any 64-bit address. */
#define IOMEM_MIN_DIGITS 8u
#define IOMEM_MAX_DIGITS 16u

/* Resource names the kernel and the firmware use for memory. Compared
 * case-insensitively: "Reserved" and "reserved" both occur, and older
 * kernels spelled some e820 names in lowercase. The first name of a type
 * is the one the kernel prints for it. */
static const struct {
        const char *name;
        uint32_t type;
} kernel_type_names[] = {
        { "System RAM", MEMRANGE_TYPE_RAM },
        { "Crash kernel", MEMRANGE_TYPE_CRASHKERNEL },
        { "Kernel code", MEMRANGE_TYPE_KERNEL },
        { "Kernel rodata", MEMRANGE_TYPE_KERNEL },
        { "Kernel data", MEMRANGE_TYPE_KERNEL },
        { "Kernel bss", MEMRANGE_TYPE_KERNEL },
        { "Reserved", MEMRANGE_TYPE_RESERVED },
        { "ACPI Tables", MEMRANGE_TYPE_ACPI },
        { "ACPI Non-volatile Storage", MEMRANGE_TYPE_ACPI_NVS },
        { "Persistent Memory", MEMRANGE_TYPE_PMEM },
        { "Persistent Memory (legacy)", MEMRANGE_TYPE_PMEM_LEGACY },
        { "Soft Reserved", MEMRANGE_TYPE_SOFT_RESERVED },
        { "Unusable memory", MEMRANGE_TYPE_UNUSABLE },
        { "Unknown E820 type", MEMRANGE_TYPE_UNKNOWN },
};

/* "System RAM (kmem)", "System RAM (virtio_mem)": RAM added by a driver. */
static bool is_driver_managed_ram(const char *name) {
        static const char prefix[] = "System RAM (";
        size_t len = strlen(name);

        return len > sizeof(prefix) - 1 && strncasecmp(name, prefix, sizeof(prefix) - 1) == 0 &&
               name[len - 1] == ')';
}

uint32_t mr_kernel_name_to_type(const char *name, uint32_t *ret_flags) {
        uint32_t flags = 0, type = MEMRANGE_TYPE_UNKNOWN;

        if (is_driver_managed_ram(name)) {
                type = MEMRANGE_TYPE_RAM;
                flags = MEMRANGE_F_DRIVER_MANAGED;
        } else
                for (size_t i = 0; i < ELEMENTSOF(kernel_type_names); i++)
                        if (strcasecmp(name, kernel_type_names[i].name) == 0) {
                                type = kernel_type_names[i].type;
                                break;
                        }
        if (ret_flags)
                *ret_flags = flags;
        return type;
}

/* NOLINTNEXTLINE(misc-no-recursion): one level, UNKNOWN is in the table */
const char *mr_type_to_kernel_name(uint32_t type) {
        for (size_t i = 0; i < ELEMENTSOF(kernel_type_names); i++)
                if (kernel_type_names[i].type == type)
                        return kernel_type_names[i].name;
        return mr_type_to_kernel_name(MEMRANGE_TYPE_UNKNOWN);
}

_public_ struct memrange_iomem *memrange_iomem_free(struct memrange_iomem *iomem) {
        if (!iomem)
                return NULL;
        for (size_t i = 0; i < iomem->n; i++)
                free(iomem->entries[i].name);
        free(iomem->entries);
        free(iomem);
        return NULL;
}

/* One line as printed, before it is placed in the tree. */
struct iomem_line {
        unsigned depth;
        uint64_t start, last; /* last = inclusive end */
        const char *name;
};

/* Reads one address of 8 to 16 hex digits at *p and advances *p past it. */
static int parse_address(struct memrange_ctx *ctx, unsigned lineno, const char **p,
                         const char *what, uint64_t *ret) {
        const char *s = *p;
        size_t n = strspn(s, "0123456789abcdefABCDEF");
        int r;

        if (n == 0)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "expected a hex %s address at '%.16s'", what, s);
        if (n > IOMEM_MAX_DIGITS)
                return mr_error_at(ctx, ERANGE, IOMEM_PATH, lineno,
                                   "%s address '%.*s' has more than %u hex digits", what,
                                   (int) (n > 32 ? 32 : n), s, IOMEM_MAX_DIGITS);
        if (n < IOMEM_MIN_DIGITS)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "%s address '%.*s' has fewer than %u hex digits", what, (int) n,
                                   s, IOMEM_MIN_DIGITS);
        r = mr_parse_hex_u64_n(s, n, ret);
        if (r < 0)
                return mr_error_at(ctx, r, IOMEM_PATH, lineno, "bad hex %s address '%.*s'", what,
                                   (int) n, s);
        *p = s + n;
        return 0;
}

static int check_characters(struct memrange_ctx *ctx, unsigned lineno, const char *line,
                            size_t len) {
        if (len > IOMEM_MAX_LINE)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "line longer than %u bytes", IOMEM_MAX_LINE);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) line[i];
                if (c < 0x20 || c == 0x7f)
                        return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                           "control character 0x%02x at column %zu", c, i + 1);
        }
        return 0;
}

/* Splits "  start-end : name" into its fields. */
static int parse_line(struct memrange_ctx *ctx, unsigned lineno, const char *line,
                      struct iomem_line *ret) {
        struct iomem_line l = {};
        size_t indent = strspn(line, " ");
        const char *p = line + indent;
        int r;

        if (indent % 2 != 0)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "indentation of %zu spaces is not a multiple of two", indent);
        l.depth = (unsigned) (indent / 2);

        r = parse_address(ctx, lineno, &p, "start", &l.start);
        if (r < 0)
                return r;
        if (*p != '-')
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "expected '-' after the start address");
        p++;
        r = parse_address(ctx, lineno, &p, "end", &l.last);
        if (r < 0)
                return r;
        if (strncmp(p, " : ", 3) != 0)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "expected ' : ' between the range and the name");
        l.name = p + 3;
        if (*l.name == '\0')
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno, "empty resource name");

        if (l.start > l.last)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "start 0x%llx is above end 0x%llx",
                                   (unsigned long long) l.start, (unsigned long long) l.last);
        /* Ends are stored exclusive: the very last byte has no representation. */
        if (l.last == UINT64_MAX)
                return mr_error_at(ctx, EOVERFLOW, IOMEM_PATH, lineno,
                                   "end 0xffffffffffffffff cannot be stored as an exclusive end");
        *ret = l;
        return 0;
}

/* Finds the parent of @l among the entries read so far: the nearest preceding
 * entry one level up, which must enclose it. */
static int find_parent(struct memrange_ctx *ctx, unsigned lineno, const struct memrange_iomem *iomem,
                       const struct iomem_line *l, ssize_t *ret_parent) {
        const struct memrange_iomem_entry *parent;
        ssize_t p;

        if (l->depth == 0) {
                *ret_parent = -1;
                return 0;
        }
        if (iomem->n == 0)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno, "first entry is indented");
        if (l->depth > iomem->entries[iomem->n - 1].depth + 1)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "nested %u levels deep below an entry at level %u", l->depth,
                                   iomem->entries[iomem->n - 1].depth);

        /* Parent chains step up one level at a time, so this stops exactly at
         * depth - 1. */
        p = (ssize_t) iomem->n - 1;
        while (iomem->entries[p].depth >= l->depth)
                p = iomem->entries[p].parent;
        parent = &iomem->entries[p];

        if (l->start < parent->range.start || l->last > parent->range.end - 1)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                   "range %llx-%llx is outside its parent '%s' %llx-%llx",
                                   (unsigned long long) l->start, (unsigned long long) l->last,
                                   parent->name, (unsigned long long) parent->range.start,
                                   (unsigned long long) (parent->range.end - 1));
        *ret_parent = p;
        return 0;
}

static int append_entry(struct memrange_ctx *ctx, unsigned lineno, struct memrange_iomem *iomem,
                        size_t *cap, const struct iomem_line *l, ssize_t parent) {
        struct memrange_iomem_entry *e;
        uint32_t flags;

        if (iomem->n >= IOMEM_MAX_ENTRIES)
                return mr_error_at(ctx, EFBIG, IOMEM_PATH, lineno, "more than %u entries",
                                   IOMEM_MAX_ENTRIES);
        if (iomem->n == *cap) {
                size_t bigger = *cap ? *cap * 2 : 64;
                e = realloc(iomem->entries, bigger * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                iomem->entries = e;
                *cap = bigger;
        }
        e = &iomem->entries[iomem->n];
        *e = (struct memrange_iomem_entry) {
                .range = {
                        .start = l->start,
                        .end = l->last + 1,
                        .nid = MEMRANGE_NID_NONE,
                        .sources = MEMRANGE_SRC_IOMEM,
                },
                .depth = l->depth,
                .parent = parent,
        };
        e->range.type = mr_kernel_name_to_type(l->name, &flags);
        e->range.flags = flags;
        e->name = strdup(l->name);
        if (!e->name)
                return -ENOMEM;
        iomem->n++;
        return 0;
}

/* The kernel prints only zeros to readers without CAP_SYS_ADMIN. */
static bool all_addresses_zero(const struct memrange_iomem *iomem) {
        for (size_t i = 0; i < iomem->n; i++)
                if (iomem->entries[i].range.start != 0 || iomem->entries[i].range.end != 1)
                        return false;
        return true;
}

/* A NUL would end a line early and hide the rest of it: refuse the file. */
static int check_no_nul(struct memrange_ctx *ctx, const char *buf, size_t len) {
        const char *nul = memchr(buf, '\0', len);
        unsigned lineno = 1;

        if (!nul)
                return 0;
        for (const char *p = buf; p < nul; p++)
                if (*p == '\n')
                        lineno++;
        return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno, "NUL byte in line");
}

static int parse_iomem(struct memrange_ctx *ctx, char *buf, struct memrange_iomem *iomem) {
        char *cursor = buf, *line;
        unsigned lineno = 0;
        size_t cap = 0;
        int r;

        while ((line = mr_next_line(&cursor))) {
                size_t len = strlen(line);
                bool terminated = cursor != line + len;
                struct iomem_line l = {};
                ssize_t parent = -1;

                lineno++;
                if (!terminated)
                        return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno,
                                           "line not terminated by a newline (truncated file?)");
                if (len == 0) {
                        if (*cursor == '\0')
                                break; /* one trailing empty line is harmless */
                        return mr_error_at(ctx, EBADMSG, IOMEM_PATH, lineno, "empty line");
                }
                r = check_characters(ctx, lineno, line, len);
                if (r < 0)
                        return r;
                r = parse_line(ctx, lineno, line, &l);
                if (r < 0)
                        return r;
                r = find_parent(ctx, lineno, iomem, &l, &parent);
                if (r < 0)
                        return r;
                r = append_entry(ctx, lineno, iomem, &cap, &l, parent);
                if (r < 0)
                        return r;
        }
        return 0;
}

int mr_iomem_parse(struct memrange_ctx *ctx, char *buf, size_t len, struct memrange_iomem **ret_iomem) {
        _cleanup_(memrange_iomem_freep) struct memrange_iomem *iomem = NULL;
        int r;

        r = check_no_nul(ctx, buf, len);
        if (r < 0)
                return r;

        iomem = calloc(1, sizeof(*iomem));
        if (!iomem)
                return -ENOMEM;
        r = parse_iomem(ctx, buf, iomem);
        if (r < 0)
                return r;

        if (iomem->n == 0)
                return mr_error_at(ctx, EBADMSG, IOMEM_PATH, 0, "no entries");
        if (all_addresses_zero(iomem))
                return mr_error_at(ctx, EACCES, IOMEM_PATH, 0,
                                   "all addresses read as zero (the reader lacked CAP_SYS_ADMIN)");

        *ret_iomem = TAKE_PTR(iomem);
        return 0;
}

_public_ int memrange_iomem_read(struct memrange_ctx *ctx, struct memrange_iomem **ret_iomem) {
        _cleanup_(freep) char *buf = NULL;
        size_t len;
        int r;

        if (!ctx || !ret_iomem)
                return -EINVAL;

        r = mr_read_file(ctx, IOMEM_PATH, IOMEM_MAX_BYTES, &buf, &len);
        if (r == -ENOENT) {
                mr_dbg(ctx, "%s does not exist", IOMEM_PATH);
                return r;
        }
        if (r == -EFBIG)
                return mr_error_at(ctx, r, IOMEM_PATH, 0, "larger than %u bytes", IOMEM_MAX_BYTES);
        if (r < 0)
                return mr_error_at(ctx, r, IOMEM_PATH, 0, "cannot read: %s", strerror(-r));
        return mr_iomem_parse(ctx, buf, len, ret_iomem);
}

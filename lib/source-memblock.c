/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memblock debugfs: sys/kernel/debug/memblock/{memory,reserved}.
 *
 * Each line is "%4d: %pa..%pa" with an inclusive end; since 6.5 two more
 * columns follow: the node ("%4d", or "x" when the region has none) and the
 * name of the lowest set flag ("NONE" when no flag is set). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-paths.h"
#include "memrange-private.h"

/* A region table of a few thousand entries prints well under 1 MiB. */
#define MEMBLOCK_READ_MAX (4u * 1024 * 1024)

/* Fields of one line: index, range, and in the 6.5+ format node and flag. */
#define MEMBLOCK_FIELDS_OLD 2
#define MEMBLOCK_FIELDS_NEW 4

enum memblock_format {
        MEMBLOCK_FORMAT_UNKNOWN,
        MEMBLOCK_FORMAT_OLD, /* before 6.5: no node and flag columns */
        MEMBLOCK_FORMAT_NEW,
};

static const struct {
        const char *name;
        uint32_t flag;
} memblock_flags[] = {
        { "NONE", 0 },
        { "HOTPLUG", MEMRANGE_F_HOTPLUG },
        { "MIRROR", MEMRANGE_F_MIRROR },
        { "NOMAP", MEMRANGE_F_NOMAP },
        { "DRV_MNG", MEMRANGE_F_DRIVER_MANAGED },
        { "RSV_NIT", MEMRANGE_F_RSV_NIT },
        { "RSV_KERN", MEMRANGE_F_RSV_KERN },
        { "KHO_SCRATCH", MEMRANGE_F_KHO_SCRATCH },
};

/* Where a parse is: the file, the line, and the format the file uses. */
struct memblock_parser {
        struct memrange_ctx *ctx;
        const char *path;
        unsigned lineno;
        enum memblock_format format;
        uint32_t type;
};

static int memblock_flag_from_name(const char *name, uint32_t *ret_flag) {
        for (size_t i = 0; i < ELEMENTSOF(memblock_flags); i++)
                if (strcmp(memblock_flags[i].name, name) == 0) {
                        *ret_flag = memblock_flags[i].flag;
                        return 0;
                }
        return -EINVAL;
}

/* Splits @line in place at blanks into at most @max fields; returns the
 * number of fields, or @max + 1 when there are more. */
static size_t split_fields(char *line, char **fields, size_t max) {
        size_t n = 0;
        char *p = line;

        for (;;) {
                p += strspn(p, " \t");
                if (!*p)
                        return n;
                if (n == max)
                        return max + 1;
                fields[n++] = p;
                p += strcspn(p, " \t");
                if (*p)
                        *p++ = '\0';
        }
}

static int parse_index(struct memblock_parser *p, char *field, uint64_t expected) {
        size_t len = strlen(field);
        uint64_t index;

        if (len < 2 || field[len - 1] != ':')
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "expected 'N:' index, got '%s'", field);
        field[len - 1] = '\0';
        if (mr_parse_dec_u64(field, &index) < 0)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno, "bad index '%s'", field);
        if (index != expected)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "index %" PRIu64 " where %" PRIu64 " was expected", index,
                                   expected);
        return 0;
}

/* "0x<start>..0x<end>" with an inclusive end. */
static int parse_span(struct memblock_parser *p, const char *field, struct memrange *r) {
        const char *dots = strstr(field, "..");
        uint64_t start, last;

        if (!dots || mr_parse_hex_u64_n(field, (size_t) (dots - field), &start) < 0 ||
            mr_parse_hex_u64(dots + 2, &last) < 0)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "bad range '%s', expected 0xSTART..0xEND", field);
        if (last < start)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "range end below its start in '%s'", field);
        /* The last byte of the address space cannot be an exclusive end:
         * clip as memblock itself does (DOMAIN.md section 4). A region of
         * that byte alone would clip to nothing: memblock has no such
         * region, so the line is not the kernel's. */
        if (start == UINT64_MAX)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "range '%s' is empty once clipped to the address space", field);
        r->start = start;
        r->end = last == UINT64_MAX ? UINT64_MAX : last + 1;
        return 0;
}

static int parse_node(struct memblock_parser *p, const char *field, int32_t *ret_nid) {
        int nid;

        if (strcmp(field, "x") == 0) {
                *ret_nid = MEMRANGE_NID_NONE;
                return 0;
        }
        if (mr_parse_int(field, &nid) < 0 || nid < 0)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno, "bad node '%s'", field);
        *ret_nid = nid;
        return 0;
}

/* The first line fixes the format of the whole read; a later line in the
 * other format means the file is not what the kernel wrote. */
static int check_format(struct memblock_parser *p, size_t n_fields) {
        enum memblock_format format;

        if (n_fields == MEMBLOCK_FIELDS_OLD)
                format = MEMBLOCK_FORMAT_OLD;
        else if (n_fields == MEMBLOCK_FIELDS_NEW)
                format = MEMBLOCK_FORMAT_NEW;
        else
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "expected 2 or 4 fields, got %s%zu",
                                   n_fields > MEMBLOCK_FIELDS_NEW ? "more than " : "",
                                   n_fields > MEMBLOCK_FIELDS_NEW ? (size_t) MEMBLOCK_FIELDS_NEW : n_fields);
        if (p->format == MEMBLOCK_FORMAT_UNKNOWN)
                p->format = format;
        else if (p->format != format)
                return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                   "mixed formats: this line %s node and flag columns, earlier lines %s",
                                   format == MEMBLOCK_FORMAT_NEW ? "has" : "lacks",
                                   format == MEMBLOCK_FORMAT_NEW ? "do not" : "do");
        return 0;
}

static int parse_line(struct memblock_parser *p, char *line, uint64_t index, struct memrange *ret) {
        char *fields[MEMBLOCK_FIELDS_NEW] = {}; /* gcc -O3 cannot tell split_fields() filled the n used */
        struct memrange r = {
                .type = p->type,
                .nid = MEMRANGE_NID_NONE,
                .sources = MEMRANGE_SRC_MEMBLOCK,
        };
        size_t n;
        int rc;

        n = split_fields(line, fields, MEMBLOCK_FIELDS_NEW);
        rc = check_format(p, n);
        if (rc < 0)
                return rc;
        rc = parse_index(p, fields[0], index);
        if (rc < 0)
                return rc;
        rc = parse_span(p, fields[1], &r);
        if (rc < 0)
                return rc;
        if (n == MEMBLOCK_FIELDS_NEW) {
                rc = parse_node(p, fields[2], &r.nid);
                if (rc < 0)
                        return rc;
                if (memblock_flag_from_name(fields[3], &r.flags) < 0)
                        return mr_error_at(p->ctx, EBADMSG, p->path, p->lineno,
                                           "unknown memblock flag '%s'", fields[3]);
        }
        *ret = r;
        return 0;
}

static int read_memblock_file(struct memblock_parser *p, struct memrange_list *list) {
        _cleanup_(freep) char *buf = NULL;
        char *cursor, *line;
        size_t len;
        int r;

        r = mr_read_file(p->ctx, p->path, MEMBLOCK_READ_MAX, &buf, &len);
        if (r < 0)
                return mr_error_at(p->ctx, r, p->path, 0, "cannot read: %s", strerror(-r));
        if (strlen(buf) != len)
                return mr_error_at(p->ctx, EBADMSG, p->path, 0, "binary data (NUL byte) in file");

        p->lineno = 0;
        cursor = buf;
        while ((line = mr_next_line(&cursor))) {
                struct memrange range;

                p->lineno++;
                r = parse_line(p, line, list->n, &range);
                if (r < 0)
                        return r;
                r = memrange_list_append(list, &range, NULL);
                if (r < 0)
                        return r;
        }
        /* The kernel always lists memory and its own image as reserved. */
        if (list->n == 0)
                return mr_error_at(p->ctx, EBADMSG, p->path, 0, "no regions");
        return 0;
}

_public_ int memrange_memblock_read(struct memrange_ctx *ctx, struct memrange_memblock **ret_memblock) {
        _cleanup_(memrange_memblock_freep) struct memrange_memblock *mb = NULL;
        struct memblock_parser p = { .ctx = ctx };
        int r;

        if (!ctx || !ret_memblock)
                return -EINVAL;
        if (!mr_exists(ctx, MEMBLOCK_DIR))
                return -ENOENT;

        mb = calloc(1, sizeof(*mb));
        if (!mb)
                return -ENOMEM;

        p.path = MEMBLOCK_MEMORY;
        p.type = MEMRANGE_TYPE_RAM;
        r = read_memblock_file(&p, &mb->memory);
        if (r < 0)
                return r;
        p.path = MEMBLOCK_RESERVED;
        p.type = MEMRANGE_TYPE_RESERVED;
        r = read_memblock_file(&p, &mb->reserved);
        if (r < 0)
                return r;

        mb->has_node_column = p.format == MEMBLOCK_FORMAT_NEW;
        *ret_memblock = TAKE_PTR(mb);
        return 0;
}

_public_ struct memrange_memblock *memrange_memblock_free(struct memrange_memblock *memblock) {
        if (!memblock)
                return NULL;
        memrange_list_clear(&memblock->memory);
        memrange_list_clear(&memblock->reserved);
        free(memblock);
        return NULL;
}

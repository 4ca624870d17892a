/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged's record of the crash image it loaded (see reload-record.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "memrange-cleanup.h"
#include "parse-util.h"
#include "reload-record.h"

/* kexec-tools takes at most 32768 ranges; so does the record. */
#define RECORD_RANGES_MAX 32768u

void reload_record_clear(struct reload_record *rec) {
        memrange_dump_ranges_free(rec->ranges);
        *rec = (struct reload_record) {};
}

char *reload_record_path(const char *socket_path, const char *default_socket) {
        _cleanup_(freep) char *copy = strdup(socket_path ?: default_socket);
        char *path = NULL;

        if (!copy)
                return NULL;
        if (asprintf(&path, "%s/" RELOAD_RECORD_NAME, dirname(copy)) < 0)
                return NULL;
        return path;
}

/* ---------------------------------------------------------------------------
 * Writing
 */

static void write_text(FILE *f, const struct reload_record *rec) {
        const struct memrange_dump_ranges *d = rec->ranges;
        _cleanup_(freep) char *cpus = NULL;

        fprintf(f, "# memranged: the crash image it loaded (memranged(8)); do not edit\n");
        fprintf(f, "state=%s\n", rec->done ? "done" : "pending");
        fprintf(f, "boot_id=%s\n", rec->boot_id);
        fprintf(f, "generation=%" PRIu64 "\n", rec->generation);
        fprintf(f, "policy=%s\n", memrange_dump_policy_to_name(d->policy) ?: "");
        fprintf(f, "arch=%s\n", memrange_arch_to_name(d->arch) ?: "");
        /* Without it (unknown, or out of memory) the CPUs are not compared. */
        if (d->cpus.n > 0 && memrange_idset_to_string(&d->cpus, &cpus) >= 0)
                fprintf(f, "cpus=%s\n", cpus);
        for (size_t i = 0; i < d->n; i++)
                fprintf(f, "range=0x%" PRIx64 "-0x%" PRIx64 "%s\n", d->ranges[i].start, d->ranges[i].end - 1,
                        d->ranges[i].flags & MEMRANGE_DUMP_F_BACKUP ? " backup" : "");
}

int reload_record_write(const char *path, const struct reload_record *rec) {
        _cleanup_(freep) char *text = NULL, *dir = NULL;
        const char *slash = strrchr(path, '/');
        size_t len = 0;
        FILE *f;

        if (!rec->ranges)
                return -EINVAL;
        f = open_memstream(&text, &len);
        if (!f)
                return -errno;
        write_text(f, rec);
        if (ferror(f)) {
                fclose(f);
                return -ENOMEM;
        }
        if (fclose(f) != 0)
                return -errno;
        dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        /* No fsync() (write_file_atomic()): the record only has to outlive
         * memranged, not the machine (a record of another boot is ignored,
         * and it lives on /run), and the event loop must not wait on a
         * slow disk. */
        return write_file_atomic(dir, slash ? slash + 1 : path, text, len, 0644);
}

/* ---------------------------------------------------------------------------
 * Reading
 */

static int bad(const char *path, unsigned line, const char *what, const char *value) {
        log_error("%s:%u: %s '%.64s'", path, line, what, value);
        return -EBADMSG;
}

/* "0xSTART-0xEND" (end inclusive), optionally " backup". */
static int parse_range(const char *path, unsigned line, const char *value, struct memrange_dump_range *ret) {
        const char *dash = strchr(value, '-'), *space = strchr(value, ' ');
        uint64_t start, last;
        uint32_t flags = 0;
        size_t end_len;

        if (!dash || (space && space < dash))
                return bad(path, line, "expected 0xSTART-0xEND, got", value);
        end_len = space ? (size_t) (space - dash - 1) : strlen(dash + 1);
        if (space && strcmp(space, " backup") != 0)
                return bad(path, line, "unknown range flag in", value);
        if (space)
                flags = MEMRANGE_DUMP_F_BACKUP;
        if (dash - value < 3 || strncmp(value, "0x", 2) != 0 || end_len < 3 || strncmp(dash + 1, "0x", 2) != 0 ||
            mr_parse_hex_u64_n(value + 2, (size_t) (dash - value - 2), &start) < 0 ||
            mr_parse_hex_u64_n(dash + 3, end_len - 2, &last) < 0)
                return bad(path, line, "expected 0xSTART-0xEND, got", value);
        if (last < start || last == UINT64_MAX)
                return bad(path, line, "empty or unbounded range", value);
        *ret = (struct memrange_dump_range) { .start = start, .end = last + 1, .flags = flags };
        return 0;
}

static int append_range(const char *path, unsigned line, const char *value, struct memrange_dump_ranges *d) {
        struct memrange_dump_range r, *grown;
        int k;

        if (d->n >= RECORD_RANGES_MAX)
                return bad(path, line, "more than 32768 ranges at", value);
        k = parse_range(path, line, value, &r);
        if (k < 0)
                return k;
        if (d->n > 0 && r.start < d->ranges[d->n - 1].end)
                return bad(path, line, "range out of order or overlapping", value);
        grown = reallocarray(d->ranges, d->n + 1, sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        d->ranges = grown;
        d->ranges[d->n++] = r;
        return 0;
}

static int parse_line(const char *path, unsigned line, const char *key, const char *value, struct reload_record *rec,
                      unsigned *seen) {
        int k;

        if (strcmp(key, "state") == 0) {
                if (strcmp(value, "done") != 0 && strcmp(value, "pending") != 0)
                        return bad(path, line, "expected state done or pending, got", value);
                rec->done = strcmp(value, "done") == 0;
                *seen |= 1;
        } else if (strcmp(key, "boot_id") == 0) {
                if (strlen(value) >= sizeof(rec->boot_id))
                        return bad(path, line, "boot_id too long", value);
                strcpy(rec->boot_id, value);
        } else if (strcmp(key, "generation") == 0) {
                if (mr_parse_dec_u64(value, &rec->generation) < 0)
                        return bad(path, line, "expected a generation number, got", value);
        } else if (strcmp(key, "policy") == 0) {
                k = memrange_dump_policy_from_name(value);
                if (k < 0 || k == MEMRANGE_DUMP_AUTO)
                        return bad(path, line, "unknown dump policy", value);
                rec->ranges->policy = (uint32_t) k;
                *seen |= 2;
        } else if (strcmp(key, "arch") == 0) {
                k = memrange_arch_from_name(value);
                if (k < 0)
                        return bad(path, line, "unknown architecture", value);
                rec->ranges->arch = (uint32_t) k;
        } else if (strcmp(key, "cpus") == 0) {
                memrange_idset_clear(&rec->ranges->cpus);
                k = memrange_idset_parse(value, &rec->ranges->cpus);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return bad(path, line, "expected a CPU list, got", value);
        } else if (strcmp(key, "range") == 0)
                return append_range(path, line, value, rec->ranges);
        else
                return bad(path, line, "unknown key in", key);
        return 0;
}

static int parse_text(const char *path, char *text, struct reload_record *rec) {
        char *cursor = text, *l;
        unsigned line = 0, seen = 0;
        int r;

        while ((l = mr_next_line(&cursor))) {
                char *eq;

                line++;
                if (!l[0] || l[0] == '#')
                        continue;
                eq = strchr(l, '=');
                if (!eq)
                        return bad(path, line, "expected key=value, got", l);
                *eq = '\0';
                r = parse_line(path, line, l, eq + 1, rec, &seen);
                if (r < 0)
                        return r;
        }
        if (seen != 3) {
                log_error("%s: no %s line", path, seen & 1 ? "policy=" : "state=");
                return -EBADMSG;
        }
        return 0;
}

int reload_record_read(const char *path, struct reload_record *ret) {
        _cleanup_(freep) char *text = NULL;
        struct reload_record rec = {};
        size_t len;
        int r;

        r = read_full_file_at(AT_FDCWD, path, RELOAD_RECORD_MAX, &text, &len);
        if (r < 0)
                return r;
        if (memchr(text, '\0', len))
                return bad(path, 0, "contains a NUL byte", "");
        rec.ranges = calloc(1, sizeof(*rec.ranges));
        if (!rec.ranges)
                return -ENOMEM;
        r = parse_text(path, text, &rec);
        if (r < 0) {
                reload_record_clear(&rec);
                return r;
        }
        *ret = rec;
        return 0;
}

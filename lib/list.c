/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Range lists (what readers return) and id sets ("0-3,8"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memrange-private.h"

_public_ int memrange_list_append(struct memrange_list *list, const struct memrange *r, const char *name) {
        struct memrange *ranges;
        char **names, *copy = NULL;

        if (!list || !r)
                return -EINVAL;
        if (name) {
                copy = strdup(name);
                if (!copy)
                        return -ENOMEM;
        }
        ranges = realloc(list->ranges, (list->n + 1) * sizeof(*ranges));
        if (!ranges)
                goto oom;
        list->ranges = ranges;
        if (copy || list->names) {
                names = realloc(list->names, (list->n + 1) * sizeof(*names));
                if (!names)
                        goto oom;
                if (!list->names)
                        memset(names, 0, list->n * sizeof(*names));
                list->names = names;
                names[list->n] = copy;
        }
        ranges[list->n++] = *r;
        return 0;
oom:
        free(copy);
        return -ENOMEM;
}

_public_ void memrange_list_clear(struct memrange_list *list) {
        if (!list)
                return;
        if (list->names)
                for (size_t i = 0; i < list->n; i++)
                        free(list->names[i]);
        free(list->names);
        free(list->ranges);
        *list = (struct memrange_list) {};
}

_public_ struct memrange_list *memrange_list_free(struct memrange_list *list) {
        memrange_list_clear(list);
        free(list);
        return NULL;
}

/* Upper bound on ids in one set: far above any kernel's NR_CPUS or
 * MAX_NUMNODES, low enough that a hostile "0-4294967295" cannot exhaust
 * memory. */
#define IDSET_MAX_ID (1u << 20)

static int parse_id(const char **p, unsigned *ret) {
        uint64_t v = 0;
        const char *s = *p;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        while (*s >= '0' && *s <= '9') {
                v = v * 10 + (uint64_t) (*s - '0');
                if (v > IDSET_MAX_ID)
                        return -ERANGE;
                s++;
        }
        *p = s;
        *ret = (unsigned) v;
        return 0;
}

_public_ int memrange_idset_parse(const char *text, struct memrange_idset *ret_set) {
        _cleanup_(freep) unsigned *ids = NULL;
        size_t n = 0, cap = 0;
        const char *p = text;
        int r;

        if (!text || !ret_set)
                return -EINVAL;
        while (*p && *p != '\n') {
                unsigned lo, hi;

                r = parse_id(&p, &lo);
                if (r < 0)
                        return r;
                hi = lo;
                if (*p == '-') {
                        p++;
                        r = parse_id(&p, &hi);
                        if (r < 0)
                                return r;
                        if (hi < lo)
                                return -ERANGE;
                }
                if (n > 0 && lo <= ids[n - 1])
                        return -EINVAL; /* the kernel prints ascending, disjoint ranges */
                for (unsigned id = lo;; id++) {
                        if (n == cap) {
                                unsigned *bigger;

                                cap = cap ? cap * 2 : 16;
                                if (cap > IDSET_MAX_ID + 1)
                                        return -ERANGE;
                                bigger = realloc(ids, cap * sizeof(*ids));
                                if (!bigger)
                                        return -ENOMEM;
                                ids = bigger;
                        }
                        ids[n++] = id;
                        if (id == hi)
                                break;
                }
                if (*p == ',') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL; /* "0-3," or "1,,2" */
                } else if (*p && *p != '\n')
                        return -EINVAL;
        }
        if (*p == '\n' && p[1] != '\0')
                return -EINVAL;
        ret_set->n = n;
        ret_set->ids = TAKE_PTR(ids);
        return 0;
}

_public_ bool memrange_idset_contains(const struct memrange_idset *set, unsigned id) {
        size_t lo = 0, hi;

        if (!set)
                return false;
        hi = set->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (set->ids[mid] == id)
                        return true;
                if (set->ids[mid] < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

_public_ void memrange_idset_clear(struct memrange_idset *set) {
        if (!set)
                return;
        free(set->ids);
        *set = (struct memrange_idset) {};
}

_public_ int memrange_idset_copy(const struct memrange_idset *set, struct memrange_idset *ret_copy) {
        unsigned *ids = NULL;

        if (!set || !ret_copy)
                return -EINVAL;
        if (set->n > 0) {
                ids = malloc(set->n * sizeof(*ids));
                if (!ids)
                        return -ENOMEM;
                memcpy(ids, set->ids, set->n * sizeof(*ids));
        }
        *ret_copy = (struct memrange_idset) { .n = set->n, .ids = ids };
        return 0;
}

_public_ int memrange_idset_difference(const struct memrange_idset *a, const struct memrange_idset *b,
                                       struct memrange_idset *ret_diff) {
        unsigned *ids = NULL;
        size_t n = 0;

        if (!a || !b || !ret_diff)
                return -EINVAL;
        if (a->n > 0 && !(ids = malloc(a->n * sizeof(*ids))))
                return -ENOMEM;
        /* Both ascending: one merge-like pass. */
        for (size_t i = 0, j = 0; i < a->n; i++) {
                while (j < b->n && b->ids[j] < a->ids[i])
                        j++;
                if (j == b->n || b->ids[j] != a->ids[i])
                        ids[n++] = a->ids[i];
        }
        if (n == 0) {
                free(ids);
                ids = NULL;
        }
        *ret_diff = (struct memrange_idset) { .n = n, .ids = ids };
        return 0;
}

_public_ int memrange_idset_to_string(const struct memrange_idset *set, char **ret_text) {
        _cleanup_(freep) char *text = NULL;
        size_t size = 0;
        FILE *f;

        if (!set || !ret_text)
                return -EINVAL;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < set->n;) {
                size_t j = i;

                /* Consecutive ids as one range: "0-3". */
                while (j + 1 < set->n && set->ids[j + 1] == set->ids[j] + 1)
                        j++;
                if (j > i)
                        fprintf(f, "%s%u-%u", i ? "," : "", set->ids[i], set->ids[j]);
                else
                        fprintf(f, "%s%u", i ? "," : "", set->ids[i]);
                i = j + 1;
        }
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* Here rather than beside the blocks reader: a sum over records already
 * read, shared by memranged's GetStatus and memrangectl's summary. */
_public_ void memrange_blocks_totals(const struct memrange_blocks *blocks, uint64_t *ret_online,
                                    uint64_t *ret_offline) {
        uint64_t online = 0, offline = 0;

        for (size_t i = 0; blocks && i < blocks->n; i++) {
                uint64_t size = blocks->blocks[i].end - blocks->blocks[i].start;

                /* lsmem's rule: going-offline memory is not online any more. */
                if (blocks->blocks[i].state == MEMRANGE_BLOCK_ONLINE)
                        online += size;
                else
                        offline += size;
        }
        *ret_online = online;
        *ret_offline = offline;
}

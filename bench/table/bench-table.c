/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Range table benchmark.
 *
 * Figure 7 (issue 6): for each --sizes N (default 1000, 10000, 100000), a
 * table of N disjoint regions, then --ops random operations (add, remove,
 * and "reserve" = add into a second table of reserved regions) with a
 * fixed seed, applied once to memrange_table (the library's AVL tree) and
 * once to a memblock-style sorted array (sorted-array.c). Both must end
 * with identical tables (checked region by region: this guards the
 * comparison); ops/s of each, median over --runs.
 *
 * The foundation figures: 1,000,000 mixed operations on a table of
 * 100,000 regions, and a table of 1,000,000 regions built in address
 * order and searched.
 *
 * Prints "RESULT<TAB>id<TAB>figure<TAB>target<TAB>measured<TAB>INFO"
 * lines (no targets: these are reported, not judged); --smoke runs tiny
 * sizes in well under a second. Exits 1 when the two implementations
 * disagree or an operation fails.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "time-util.h"
#include "memrange.h"
#include "sorted-array.h"

#define STRIDE 0x10000ull /* each initial region: 32 KiB of RAM, then a 32 KiB hole */
#define MAX_SIZES 16
#define MAX_RUNS 99

struct options {
        uint64_t sizes[MAX_SIZES];
        size_t n_sizes;
        unsigned ops;           /* per size, figure 7 */
        unsigned runs;
        uint64_t mixed_regions; /* foundation figure: mixed operations */
        unsigned mixed_ops;
        uint64_t scale_regions; /* foundation figure: scale */
};

enum op_kind { OP_ADD, OP_REMOVE, OP_RESERVE };

struct op {
        enum op_kind kind;
        struct memrange range; /* OP_REMOVE uses start and end */
};

static double now(void) {
        return (double) now_nsec(CLOCK_MONOTONIC) / 1e9;
}

static void check(int r, const char *what) {
        if (r < 0) {
                fprintf(stderr, "bench-table: %s failed: %s\n", what, strerror(-r));
                exit(EXIT_FAILURE);
        }
}

static void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size);

        if (!p)
                check(-ENOMEM, "allocation");
        return p;
}

static uint64_t next_random(uint64_t *seed) {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        return *seed;
}

static struct memrange ram(uint64_t start, uint64_t end, uint32_t flags) {
        return (struct memrange) {
                .start = start, .end = end, .type = MEMRANGE_TYPE_RAM, .flags = flags, .nid = MEMRANGE_NID_NONE,
        };
}

static struct memrange initial_region(uint64_t i) {
        return ram(i * STRIDE, i * STRIDE + STRIDE / 2, i % 2 ? MEMRANGE_F_HOTPLUG : 0);
}

/* @n random operations somewhere in the span of @regions initial regions,
 * the same sequence for the same arguments. */
static struct op *generate_ops(uint64_t regions, unsigned n) {
        struct op *ops = xcalloc(n, sizeof(*ops));
        uint64_t seed = 0x853c49e6748fea9bull;

        for (unsigned i = 0; i < n; i++) {
                uint64_t start = next_random(&seed) % (regions * STRIDE);
                uint64_t len = 0x1000 + next_random(&seed) % (2 * STRIDE);

                switch (next_random(&seed) % 3) {
                case 0:
                        ops[i].kind = OP_ADD;
                        ops[i].range = ram(start, start + len, next_random(&seed) % 2 ? MEMRANGE_F_HOTPLUG : 0);
                        break;
                case 1:
                        ops[i].kind = OP_REMOVE;
                        ops[i].range = ram(start, start + len / 2, 0);
                        break;
                default:
                        ops[i].kind = OP_RESERVE;
                        ops[i].range = (struct memrange) {
                                .start = start, .end = start + len / 8, .type = MEMRANGE_TYPE_RESERVED,
                                .nid = MEMRANGE_NID_NONE,
                        };
                        break;
                }
        }
        return ops;
}

/* ---------------------------------------------------------------------------
 * The two implementations
 */

struct tree_pair {
        struct memrange_table *memory, *reserved;
};

static void tree_setup(struct tree_pair *t, uint64_t regions) {
        check(memrange_table_new(&t->memory), "new");
        check(memrange_table_new(&t->reserved), "new");
        for (uint64_t i = 0; i < regions; i++) {
                struct memrange r = initial_region(i);

                check(memrange_table_add(t->memory, &r), "initial add");
        }
}

static void tree_apply(struct tree_pair *t, const struct op *ops, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                const struct op *o = &ops[i];

                if (o->kind == OP_ADD)
                        check(memrange_table_add(t->memory, &o->range), "add");
                else if (o->kind == OP_REMOVE)
                        check(memrange_table_remove(t->memory, o->range.start, o->range.end), "remove");
                else
                        check(memrange_table_add(t->reserved, &o->range), "reserve");
        }
}

static void tree_free(struct tree_pair *t) {
        t->memory = memrange_table_free(t->memory);
        t->reserved = memrange_table_free(t->reserved);
}

struct array_pair {
        struct sorted_array memory, reserved;
};

static void array_setup(struct array_pair *a, uint64_t regions) {
        *a = (struct array_pair) {};
        for (uint64_t i = 0; i < regions; i++) {
                struct memrange r = initial_region(i);

                check(sorted_array_add(&a->memory, &r), "array initial add");
        }
}

static void array_apply(struct array_pair *a, const struct op *ops, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                const struct op *o = &ops[i];

                if (o->kind == OP_ADD)
                        check(sorted_array_add(&a->memory, &o->range), "array add");
                else if (o->kind == OP_REMOVE)
                        check(sorted_array_remove(&a->memory, o->range.start, o->range.end), "array remove");
                else
                        check(sorted_array_add(&a->reserved, &o->range), "array reserve");
        }
}

static void array_free(struct array_pair *a) {
        sorted_array_clear(&a->memory);
        sorted_array_clear(&a->reserved);
}

/* Region by region, every attribute. */
static bool same_regions(const struct memrange_table *t, const struct sorted_array *a, const char *what) {
        size_t i = 0;

        if (memrange_table_count(t) != a->n || memrange_table_total(t) != sorted_array_total(a)) {
                fprintf(stderr, "bench-table: %s: the tree has %zu regions (%" PRIu64 " bytes), the array %zu (%"
                        PRIu64 " bytes)\n", what, memrange_table_count(t), memrange_table_total(t), a->n,
                        sorted_array_total(a));
                return false;
        }
        memrange_table_foreach(x, t) {
                const struct memrange *y = &a->regions[i++];

                /* The counts agree (above), which the analyzer cannot see. */
                ANALYZER_ASSUME(a->regions != NULL);

                if (x->start != y->start || x->end != y->end || x->type != y->type || x->flags != y->flags ||
                    x->nid != y->nid || x->sources != y->sources) {
                        fprintf(stderr, "bench-table: %s: region %zu differs: tree %#" PRIx64 "-%#" PRIx64
                                ", array %#" PRIx64 "-%#" PRIx64 "\n", what, i - 1, x->start, x->end, y->start,
                                y->end);
                        return false;
                }
        }
        return true;
}

/* ---------------------------------------------------------------------------
 * Figures
 */

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(*v), compare_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void result(const char *id, const char *figure, const char *target, const char *measured) {
        printf("RESULT\t%s\t%s\t%s\t%s\tINFO\n", id, figure, target, measured);
        fflush(stdout);
}

/* Figure 7 at one size: both implementations on the same operations. */
static bool tree_vs_array(uint64_t regions, unsigned n_ops, unsigned runs) {
        _cleanup_(freep) struct op *ops = generate_ops(regions, n_ops);
        double tree_rate[MAX_RUNS] = {}, array_rate[MAX_RUNS] = {};
        size_t final_memory = 0, final_reserved = 0;
        char id[64], measured[256];

        /* Run 0 is a warm-up, not counted: the first run at the smallest
         * size otherwise pays for growing the heap (page faults) and showed
         * the tree 8 times slower than at 10k regions. */
        for (unsigned run = 0; run <= runs; run++) {
                struct tree_pair t;
                struct array_pair a;
                double t0, t1, t2;
                bool same;

                tree_setup(&t, regions);
                array_setup(&a, regions);
                t0 = now();
                tree_apply(&t, ops, n_ops);
                t1 = now();
                array_apply(&a, ops, n_ops);
                t2 = now();
                if (run > 0) {
                        tree_rate[run - 1] = n_ops / (t1 - t0);
                        array_rate[run - 1] = n_ops / (t2 - t1);
                }
                same = same_regions(t.memory, &a.memory, "memory") &&
                       same_regions(t.reserved, &a.reserved, "reserved");
                final_memory = a.memory.n;
                final_reserved = a.reserved.n;
                tree_free(&t);
                array_free(&a);
                if (!same)
                        return false;
        }
        double tree = median(tree_rate, runs), array = median(array_rate, runs);
        snprintf(id, sizeof(id), "table-vs-array-%" PRIu64, regions);
        snprintf(measured, sizeof(measured),
                 "tree %.0f ops/s, sorted array %.0f ops/s (%.1fx); %u ops, final %zu + %zu reserved regions, "
                 "identical", tree, array, tree / array, n_ops, final_memory, final_reserved);
        result(id, "7", "ops/s at this size, both reported", measured);
        return true;
}

/* The foundation figure: mixed operations on the tree alone. */
static void mixed_operations(uint64_t regions, unsigned n_ops, unsigned runs) {
        _cleanup_(freep) struct op *ops = generate_ops(regions, n_ops);
        double rate[MAX_RUNS] = {};
        size_t final = 0;
        char id[64], measured[256];

        for (unsigned run = 0; run < runs; run++) {
                struct tree_pair t;
                double t0;

                tree_setup(&t, regions);
                t0 = now();
                tree_apply(&t, ops, n_ops);
                rate[run] = n_ops / (now() - t0);
                final = memrange_table_count(t.memory);
                tree_free(&t);
        }
        snprintf(id, sizeof(id), "table-mixed-ops");
        snprintf(measured, sizeof(measured), "%.0f ops/s (%u ops on %" PRIu64 " regions, final %zu)",
                 median(rate, runs), n_ops, regions, final);
        result(id, "7", "reported (foundation figure)", measured);
}

/* Built in address order (the worst case for an unbalanced tree), then
 * every region looked up. */
static bool scale_check(uint64_t regions) {
        struct memrange_table *t = NULL;
        char measured[256];
        double t0, t1, t2;
        size_t found = 0, count;

        check(memrange_table_new(&t), "new");
        t0 = now();
        for (uint64_t i = 0; i < regions; i++) {
                struct memrange r = ram(i * 0x2000, i * 0x2000 + 0x1000, 0);

                check(memrange_table_add(t, &r), "scale add");
        }
        t1 = now();
        for (uint64_t i = 0; i < regions; i++)
                found += memrange_table_find(t, i * 0x2000 + 0x800) != NULL;
        t2 = now();
        count = memrange_table_count(t);
        memrange_table_free(t);
        snprintf(measured, sizeof(measured), "%zu regions built in %.3f s, %zu lookups in %.3f s", count, t1 - t0,
                 found, t2 - t1);
        result("table-scale", "7", "reported (foundation figure)", measured);
        if (found != regions || count != regions) {
                fprintf(stderr, "bench-table: scale: %zu regions, %zu found, expected %" PRIu64 "\n", count, found,
                        regions);
                return false;
        }
        return true;
}

/* ---------------------------------------------------------------------------
 * Main
 */

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
                fprintf(stderr, "bench-table: invalid number '%s' (%" PRIu64 "..%" PRIu64 ")\n", s, min, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int parse_sizes(const char *list, struct options *o) {
        _cleanup_(freep) char *copy = strdup(list);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        o->n_sizes = 0;
        for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
                if (o->n_sizes == MAX_SIZES || parse_u64(s, 1, UINT64_MAX / STRIDE, &o->sizes[o->n_sizes]) < 0)
                        return -EINVAL;
                o->n_sizes++;
        }
        return o->n_sizes > 0 ? 0 : -EINVAL;
}

static int parse_options(int argc, char **argv, struct options *o) {
        static const struct option longopts[] = {
                { "sizes", required_argument, NULL, 's' },
                { "ops", required_argument, NULL, 'o' },
                { "runs", required_argument, NULL, 'r' },
                { "smoke", no_argument, NULL, 'S' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *sizes = NULL;
        uint64_t ops = 0, runs = 3;
        bool smoke = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) >= 0)
                switch (opt) {
                case 's': sizes = optarg; break;
                case 'o': if (parse_u64(optarg, 1, 100000000, &ops) < 0) return -EINVAL; break;
                case 'r': if (parse_u64(optarg, 1, MAX_RUNS, &runs) < 0) return -EINVAL; break;
                case 'S': smoke = true; break;
                case 'h':
                        printf("Usage: bench-table [--sizes N,N,...] [--ops N] [--runs N] [--smoke]\n");
                        exit(EXIT_SUCCESS);
                default: return -EINVAL;
                }
        if (optind < argc)
                return -EINVAL;
        if (smoke && !ops)
                ops = 2000;
        if (!sizes)
                sizes = smoke ? "100,1000" : "1000,10000,100000";
        *o = (struct options) {
                .ops = ops ? (unsigned) ops : 20000,
                .runs = smoke ? 1 : (unsigned) runs,
                .mixed_regions = smoke ? 1000 : 100000,
                .mixed_ops = smoke ? 10000 : 1000000,
                .scale_regions = smoke ? 10000 : 1000000,
        };
        return parse_sizes(sizes, o);
}

int main(int argc, char **argv) {
        struct options o;

        if (parse_options(argc, argv, &o) < 0)
                return 2;
        for (size_t i = 0; i < o.n_sizes; i++)
                if (!tree_vs_array(o.sizes[i], o.ops, o.runs))
                        return EXIT_FAILURE;
        mixed_operations(o.mixed_regions, o.mixed_ops, o.runs);
        return scale_check(o.scale_regions) ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Range table benchmark: a table of 100,000 disjoint regions, then
 * 1,000,000 random operations (add, remove, and "reserve" = add into a
 * second table of reserved regions) with a fixed seed. Prints the time,
 * operations per second and the final region counts; then a scale check
 * that builds and searches a table of 1,000,000 regions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memrange.h"

#define INITIAL_REGIONS 100000u
#define OPERATIONS 1000000u
#define SCALE_REGIONS 1000000u
#define STRIDE 0x10000ull /* each initial region: 32 KiB of RAM, then a 32 KiB hole */

static uint64_t seed = 0x853c49e6748fea9bull;

static uint64_t next_random(void) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void check(int r, const char *what) {
        if (r < 0) {
                fprintf(stderr, "%s failed: %s\n", what, strerror(-r));
                exit(EXIT_FAILURE);
        }
}

static struct memrange ram(uint64_t start, uint64_t end, uint32_t flags) {
        return (struct memrange) {
                .start = start, .end = end, .type = MEMRANGE_TYPE_RAM, .flags = flags, .nid = MEMRANGE_NID_NONE,
        };
}

static void build_initial(struct memrange_table *memory) {
        for (uint64_t i = 0; i < INITIAL_REGIONS; i++) {
                struct memrange r = ram(i * STRIDE, i * STRIDE + STRIDE / 2, i % 2 ? MEMRANGE_F_HOTPLUG : 0);
                check(memrange_table_add(memory, &r), "initial add");
        }
}

/* One random operation somewhere in the initial address span. */
static void random_operation(struct memrange_table *memory, struct memrange_table *reserved) {
        uint64_t start = next_random() % (INITIAL_REGIONS * STRIDE);
        uint64_t len = 0x1000 + next_random() % (2 * STRIDE);
        struct memrange r;

        switch (next_random() % 3) {
        case 0:
                r = ram(start, start + len, next_random() % 2 ? MEMRANGE_F_HOTPLUG : 0);
                check(memrange_table_add(memory, &r), "add");
                break;
        case 1:
                check(memrange_table_remove(memory, start, start + len / 2), "remove");
                break;
        default:
                r = (struct memrange) {
                        .start = start, .end = start + len / 8, .type = MEMRANGE_TYPE_RESERVED,
                        .nid = MEMRANGE_NID_NONE,
                };
                check(memrange_table_add(reserved, &r), "reserve");
                break;
        }
}

static void mixed_operations(void) {
        struct memrange_table *memory = NULL, *reserved = NULL;
        double t0, t1, t2;

        check(memrange_table_new(&memory), "new");
        check(memrange_table_new(&reserved), "new");
        t0 = now();
        build_initial(memory);
        t1 = now();
        for (unsigned i = 0; i < OPERATIONS; i++)
                random_operation(memory, reserved);
        t2 = now();

        printf("initial table: %u regions in %.3f s\n", INITIAL_REGIONS, t1 - t0);
        printf("mixed operations: %u in %.3f s = %.0f ops/s\n", OPERATIONS, t2 - t1, OPERATIONS / (t2 - t1));
        printf("final memory regions: %zu (%" PRIu64 " bytes)\n", memrange_table_count(memory),
               memrange_table_total(memory));
        printf("final reserved regions: %zu (%" PRIu64 " bytes)\n", memrange_table_count(reserved),
               memrange_table_total(reserved));
        memrange_table_free(memory);
        memrange_table_free(reserved);
}

/* A million regions: build in address order (the worst case for an
 * unbalanced tree), then look every one up. */
static void scale_check(void) {
        struct memrange_table *t = NULL;
        double t0, t1, t2;
        size_t found = 0;

        check(memrange_table_new(&t), "new");
        t0 = now();
        for (uint64_t i = 0; i < SCALE_REGIONS; i++) {
                struct memrange r = ram(i * 0x2000, i * 0x2000 + 0x1000, 0);
                check(memrange_table_add(t, &r), "scale add");
        }
        t1 = now();
        for (uint64_t i = 0; i < SCALE_REGIONS; i++)
                found += memrange_table_find(t, i * 0x2000 + 0x800) != NULL;
        t2 = now();
        printf("scale: %zu regions built in %.3f s, %zu lookups in %.3f s\n", memrange_table_count(t), t1 - t0,
               found, t2 - t1);
        memrange_table_free(t);
        if (found != SCALE_REGIONS)
                exit(EXIT_FAILURE);
}

int main(void) {
        mixed_operations();
        scale_check();
        return EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How long the strict JSON parser takes over a large message: a
 * ListRanges reply of --ranges ranges (8192 by default) in the shape the
 * daemon sends, parsed as memrangectl does (varlink_reply_message_parse())
 * --rounds times. Prints the message size, the best and the median CPU
 * time of one parse (the thread's CPU clock: on a shared machine the wall
 * clock mostly measures the neighbours) and the rate, as "key=value"
 * lines.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "varlink-client.h"
#include "varlink-protocol.h"

static uint64_t cpu_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* {"parameters":{"generation":1,"ranges":[Range...]}} with @n ranges of
 * 128 MiB, alternately RAM and reserved, on two nodes. */
static char *list_ranges_reply(unsigned n, size_t *ret_len) {
        size_t size = 128 + (size_t) n * 256, len;
        char *text = malloc(size);
        FILE *f;

        if (!text)
                return NULL;
        f = fmemopen(text, size, "w");
        if (!f) {
                free(text);
                return NULL;
        }
        fputs("{\"parameters\":{\"generation\":1,\"ranges\":[", f);
        for (unsigned i = 0; i < n; i++) {
                uint64_t start = (uint64_t) i << 27, end = start + (UINT64_C(1) << 27) - 1;

                fprintf(f,
                        "%s{\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"size\":%" PRIu64
                        ",\"type\":\"%s\",\"flags\":[%s],\"node\":%u,\"sources\":[\"iomem\",\"memblock\",\"blocks\"]}",
                        i ? "," : "", start, end, end - start + 1, i % 2 ? "reserved" : "ram",
                        i % 7 ? "" : "\"offline\"", i % 2);
        }
        fputs("]}}", f);
        len = (size_t) ftell(f);
        if (fclose(f) != 0 || len + 1 >= size) {
                free(text);
                return NULL;
        }
        *ret_len = len;
        return text;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "ranges", required_argument, NULL, 'n' },
                { "rounds", required_argument, NULL, 'r' },
                {},
        };
        unsigned n = 8192, rounds = 50;
        uint64_t *times;
        size_t len;
        char *text;
        int c;

        while ((c = getopt_long(argc, argv, "n:r:", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: %s [--ranges N] [--rounds N]\n", argv[0]);
                        return 2;
                }
        if (n == 0 || rounds == 0)
                return 2;
        text = list_ranges_reply(n, &len);
        times = calloc(rounds, sizeof(*times));
        if (!text || !times)
                return 1;
        for (unsigned i = 0; i < rounds; i++) {
                struct varlink_reply_message reply;
                const char *detail = NULL;
                uint64_t t0 = cpu_nsec();
                int r = varlink_reply_message_parse(text, len, VARLINK_CLIENT_MAX_DEPTH, &reply, &detail);

                times[i] = cpu_nsec() - t0;
                if (r < 0) {
                        fprintf(stderr, "parse failed: %s (%s)\n", strerror(-r), detail ?: "");
                        return 1;
                }
                varlink_reply_message_done(&reply);
        }
        qsort(times, rounds, sizeof(*times), compare_u64);
        printf("ranges=%u\nbytes=%zu\nrounds=%u\ncpu_best_usec=%.1f\ncpu_median_usec=%.1f\nmib_per_sec=%.1f\n", n, len,
               rounds, times[0] / 1e3, times[rounds / 2] / 1e3, len / (times[rounds / 2] / 1e9) / (1024.0 * 1024.0));
        free(times);
        free(text);
        return 0;
}

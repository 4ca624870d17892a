/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load generator for io.memranged.ListRanges (issue 6, figure 4).
 *
 * N client threads, each on its own persistent connection, call
 * ListRanges in a loop (send, wait for the whole reply, send again) until
 * the duration ends, timing every call. With --stall one more client sends
 * pipelined ListRanges calls and never reads a reply: the daemon must cut
 * it off alone (once its unsent replies pass the limit); with
 * --stall-reconnect it connects again every time, so it stalls for the
 * whole run. --alternate N cuts the run into 2N slices, the non-reader
 * present in every second one (a new connection each time): the same
 * clients, in the same minute of the machine's load, measured without and
 * with it.
 *
 * Every reply is checked. The first one, taken before the clock starts,
 * is parsed strictly (varlink envelope, no error, every Range well formed
 * and in order through memrange_json_to_table()) and must hold
 * --expect-ranges ranges; the table does not change during a run, so
 * every later reply must be the same bytes, and one that differs is
 * parsed and counted again before it is accepted.
 *
 * Prints "key=value" lines for bench-query.py: clients, errors, seconds,
 * calls, calls_per_sec, p50_usec, p99_usec, max_usec (with --alternate:
 * the slices without the non-reader, and the same keys prefixed
 * "stalled_" for the others), reply_bytes, ranges, and stall_cutoffs,
 * stall_calls_sent, stall_first_cutoff_msec with a non-reader. Exits non-zero
 * when a reply was wrong or a client failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "memrange-json.h"
#include "query-conn.h"
#include "time-util.h"
#include "varlink-client.h"

struct options {
        const char *socket_path;
        unsigned clients;
        double duration;
        bool stall;
        bool stall_reconnect;
        unsigned alternate; /* pairs of slices without and with the non-reader; 0: none */
        long expect_ranges; /* < 0: not checked */
};

/* The reference reply every later reply is compared with. */
static char *reference;
static size_t reference_len;
static long expected_ranges = -1;

/* ---------------------------------------------------------------------------
 * Reply checks
 */

/* Parses a reply strictly: a ListRanges reply without error whose ranges
 * are all valid and ascending. Returns the number of ranges or < 0 (with a
 * message on stderr). */
static long reply_count_ranges(const char *text, size_t len) {
        _cleanup_(varlink_reply_message_done) struct varlink_reply_message reply = {};
        struct mj_error error = {};
        struct memrange_table *table = NULL;
        struct json_object *ranges;
        const char *detail = "";
        uint64_t generation;
        long n;
        int r;

        r = varlink_reply_message_parse(text, len, VARLINK_CLIENT_MAX_DEPTH, &reply, &detail);
        if (r < 0) {
                fprintf(stderr, "bench-query-load: malformed reply: %s\n", detail);
                return r;
        }
        if (reply.error || reply.continues) {
                fprintf(stderr, "bench-query-load: reply is %s\n", reply.error ?: "a stream");
                return -EBADMSG;
        }
        r = mj_get_u64(reply.parameters, "generation", true, &generation, &error);
        if (r >= 0)
                r = mj_get_array(reply.parameters, "ranges", true, &ranges, &error);
        if (r >= 0)
                r = memrange_json_to_table(ranges, &table, &error);
        if (r < 0) {
                fprintf(stderr, "bench-query-load: bad reply: %s: %s\n", error.path, error.reason);
                return r;
        }
        memrange_table_free(table);
        n = (long) json_object_array_length(ranges);
        if (expected_ranges >= 0 && n != expected_ranges) {
                fprintf(stderr, "bench-query-load: reply has %ld ranges, expected %ld\n", n, expected_ranges);
                return -EBADMSG;
        }
        return n;
}

static bool reply_is_correct(const char *text, size_t len) {
        if (len == reference_len && memcmp(text, reference, len) == 0)
                return true;
        return reply_count_ranges(text, len) >= 0;
}

/* ---------------------------------------------------------------------------
 * Clients
 */

/* Call latencies in nanoseconds. */
struct latencies {
        uint64_t *v;
        size_t n, size;
};

/* With --alternate the run is cut into slices, odd ones with the
 * non-reader: calls are counted in the set of the slice they started in. */
enum { SET_QUIET, SET_STALLED, _SET_MAX };

struct client {
        pthread_t thread;
        struct conn conn;
        struct latencies sets[_SET_MAX];
        uint64_t errors;
        uint64_t last_end;
        int failure; /* < 0: the connection failed */
};

static pthread_barrier_t start_barrier;
static uint64_t start_time, deadline;
static uint64_t slice_nsec; /* 0: no slices, the non-reader (if any) stalls throughout */
static atomic_bool stop_stalling;

static unsigned set_at(uint64_t t) {
        if (slice_nsec == 0)
                return SET_QUIET;
        return ((t - start_time) / slice_nsec) % 2 ? SET_STALLED : SET_QUIET;
}

static int latencies_add(struct latencies *l, uint64_t latency) {
        if (l->n == l->size) {
                size_t size = l->size ? l->size * 2 : 4096;
                uint64_t *p = reallocarray(l->v, size, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                l->v = p;
                l->size = size;
        }
        l->v[l->n++] = latency;
        return 0;
}

static void *client_run(void *userdata) {
        struct client *c = userdata;

        pthread_barrier_wait(&start_barrier);
        for (;;) {
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC), t1;
                char *text;
                size_t len;
                int r;

                if (t0 >= deadline)
                        break;
                r = conn_call(&c->conn, &text, &len);
                t1 = now_nsec(CLOCK_MONOTONIC);
                if (r < 0) {
                        c->failure = r;
                        break;
                }
                if (!reply_is_correct(text, len))
                        c->errors++;
                if (latencies_add(&c->sets[set_at(t0)], t1 - t0) < 0) {
                        c->failure = -ENOMEM;
                        break;
                }
                c->last_end = t1;
        }
        return NULL;
}

struct staller {
        pthread_t thread;
        const char *path;
        bool reconnect;
        uint64_t cutoffs, calls_sent;
        uint64_t first_cutoff; /* nanoseconds after the start, 0: never cut off */
        int failure;
};

/* Waits up to 10 ms for room in the socket (or for the end). */
static void wait_writable(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };

        (void) poll(&p, 1, 10);
}

/* Pipelines calls and never reads a reply. Once the daemon cuts it off it
 * stays away, or with @reconnect connects again and goes on, until the
 * clients are done. With slices it stalls in the odd ones only, on a new
 * connection each time, and hangs up at the end of each. */
static void *staller_run(void *userdata) {
        struct staller *s = userdata;
        struct conn c = { .fd = -1 };
        size_t sent = 0; /* bytes of the current call already written */
        bool gone = false;

        pthread_barrier_wait(&start_barrier);
        while (!atomic_load(&stop_stalling)) {
                ssize_t k;

                if (slice_nsec > 0 && set_at(now_nsec(CLOCK_MONOTONIC)) == SET_QUIET) {
                        conn_close(&c);
                        sent = 0;
                        gone = false;
                        usleep(1000);
                        continue;
                }
                if (gone) {
                        usleep(slice_nsec > 0 ? 1000 : 10000);
                        continue;
                }
                if (c.fd < 0 && (s->failure = conn_open(s->path, true, &c)) < 0)
                        break;
                k = send(c.fd, &QUERY_CALL_TEXT[sent], sizeof(QUERY_CALL_TEXT) - sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k >= 0) {
                        sent += (size_t) k;
                        if (sent == sizeof(QUERY_CALL_TEXT)) {
                                s->calls_sent++;
                                sent = 0;
                        } else
                                wait_writable(c.fd);
                        continue;
                }
                if (errno == EAGAIN || errno == EINTR) {
                        wait_writable(c.fd);
                        continue;
                }
                if (errno != EPIPE && errno != ECONNRESET) {
                        s->failure = -errno;
                        break;
                }
                if (s->cutoffs++ == 0)
                        s->first_cutoff = now_nsec(CLOCK_MONOTONIC) - start_time;
                conn_close(&c);
                sent = 0;
                gone = !s->reconnect;
        }
        conn_close(&c);
        return NULL;
}

/* ---------------------------------------------------------------------------
 * Results
 */

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* The nearest-rank percentile @p (0..100) of the sorted @v. */
static uint64_t percentile(const uint64_t *v, size_t n, double p) {
        size_t rank;

        if (n == 0)
                return 0;
        rank = (size_t) ((p / 100.0) * (double) n + 0.999999);
        return v[rank == 0 ? 0 : rank - 1];
}

/* "@prefix" calls, calls_per_sec (over @seconds), p50, p99 and max of
 * one set of every client. */
static int report_set(const char *prefix, struct client *clients, unsigned n, unsigned set, double seconds) {
        _cleanup_(freep) uint64_t *all = NULL;
        size_t total = 0, k = 0;

        for (unsigned i = 0; i < n; i++)
                total += clients[i].sets[set].n;
        all = calloc(total ? total : 1, sizeof(*all));
        if (!all)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                memcpy(all + k, clients[i].sets[set].v, clients[i].sets[set].n * sizeof(*all));
                k += clients[i].sets[set].n;
        }
        qsort(all, total, sizeof(*all), compare_u64);
        printf("%scalls=%zu\n%scalls_per_sec=%.0f\n", prefix, total, prefix,
               seconds > 0 ? (double) total / seconds : 0.0);
        printf("%sp50_usec=%.1f\n%sp99_usec=%.1f\n%smax_usec=%.1f\n", prefix, percentile(all, total, 50) / 1e3,
               prefix, percentile(all, total, 99) / 1e3, prefix, total ? all[total - 1] / 1e3 : 0.0);
        return 0;
}

static int report(struct client *clients, unsigned n, const struct staller *staller) {
        uint64_t errors = 0, end = start_time;
        double seconds;
        int r;

        for (unsigned i = 0; i < n; i++) {
                errors += clients[i].errors;
                if (clients[i].last_end > end)
                        end = clients[i].last_end;
        }
        seconds = (double) (end - start_time) / 1e9;
        printf("clients=%u\nerrors=%" PRIu64 "\nseconds=%.3f\n", n, errors, seconds);
        /* Each set has about half of the time when the run is sliced. */
        r = report_set("", clients, n, SET_QUIET, slice_nsec ? seconds / 2 : seconds);
        if (r >= 0 && slice_nsec)
                r = report_set("stalled_", clients, n, SET_STALLED, seconds / 2);
        if (r < 0)
                return r;
        printf("reply_bytes=%zu\nranges=%ld\n", reference_len, expected_ranges);
        if (staller)
                printf("stall_cutoffs=%" PRIu64 "\nstall_calls_sent=%" PRIu64 "\nstall_first_cutoff_msec=%.1f\n",
                       staller->cutoffs, staller->calls_sent, staller->first_cutoff / 1e6);
        return 0;
}

/* ---------------------------------------------------------------------------
 * Main
 */

static void usage(FILE *f) {
        fputs("Usage: bench-query-load --socket PATH [--clients N] [--duration SEC]\n"
              "                        [--stall | --stall-reconnect [--alternate N]] [--expect-ranges N]\n", f);
}

static int parse_options(int argc, char **argv, struct options *o) {
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },
                { "clients", required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "stall", no_argument, NULL, 'S' },
                { "stall-reconnect", no_argument, NULL, 'R' },
                { "alternate", required_argument, NULL, 'a' },
                { "expect-ranges", required_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int opt;

        *o = (struct options) { .clients = 1, .duration = 1.0, .expect_ranges = -1 };
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                char *end = NULL;

                errno = 0;
                switch (opt) {
                case 's': o->socket_path = optarg; break;
                case 'c': o->clients = (unsigned) strtoul(optarg, &end, 10); break;
                case 'd': o->duration = strtod(optarg, &end); break;
                case 'S': o->stall = true; break;
                case 'R': o->stall = o->stall_reconnect = true; break;
                case 'a': o->alternate = (unsigned) strtoul(optarg, &end, 10); break;
                case 'e': o->expect_ranges = strtol(optarg, &end, 10); break;
                case 'h': usage(stdout); exit(EXIT_SUCCESS);
                default: return -EINVAL;
                }
                if (end && (*end || errno || end == optarg)) {
                        fprintf(stderr, "bench-query-load: invalid number '%s'\n", optarg);
                        return -EINVAL;
                }
        }
        if (!o->socket_path || o->clients == 0 || o->clients > 4096 || !(o->duration > 0) || optind < argc ||
            o->alternate > 1000 || (o->alternate && !o->stall)) {
                usage(stderr);
                return -EINVAL;
        }
        return 0;
}

/* The first reply, parsed strictly, becomes the reference. */
static int take_reference(const char *path) {
        struct conn c;
        char *text;
        size_t len;
        long n = 0;
        int r;

        r = conn_open(path, false, &c);
        if (r < 0) {
                fprintf(stderr, "bench-query-load: cannot connect to %s: %s\n", path, strerror(-r));
                return r;
        }
        r = conn_call(&c, &text, &len);
        if (r >= 0) {
                n = reply_count_ranges(text, len);
                r = n < 0 ? (int) n : 0;
        }
        if (r >= 0) {
                reference = malloc(len);
                r = reference ? 0 : -ENOMEM;
        }
        if (r >= 0) {
                memcpy(reference, text, len);
                reference_len = len;
                expected_ranges = n;
        }
        conn_close(&c);
        return r;
}

int main(int argc, char **argv) {
        struct options o;
        struct client *clients;
        struct staller staller = {};
        uint64_t errors = 0;
        int r, failure = 0;

        if (parse_options(argc, argv, &o) < 0)
                return 2;
        expected_ranges = o.expect_ranges;
        if (take_reference(o.socket_path) < 0)
                return EXIT_FAILURE;

        clients = calloc(o.clients, sizeof(*clients));
        if (!clients)
                return EXIT_FAILURE;
        for (unsigned i = 0; i < o.clients; i++) {
                r = conn_open(o.socket_path, false, &clients[i].conn);
                if (r < 0) {
                        fprintf(stderr, "bench-query-load: client %u cannot connect: %s\n", i, strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        pthread_barrier_init(&start_barrier, NULL, o.clients + 1 + o.stall);
        for (unsigned i = 0; i < o.clients; i++)
                if (pthread_create(&clients[i].thread, NULL, client_run, &clients[i]) != 0)
                        return EXIT_FAILURE;
        staller.path = o.socket_path;
        staller.reconnect = o.stall_reconnect;
        if (o.stall && pthread_create(&staller.thread, NULL, staller_run, &staller) != 0)
                return EXIT_FAILURE;

        start_time = now_nsec(CLOCK_MONOTONIC);
        deadline = start_time + (uint64_t) (o.duration * 1e9);
        if (o.alternate > 0)
                slice_nsec = (uint64_t) (o.duration * 1e9) / (2 * o.alternate);
        pthread_barrier_wait(&start_barrier);
        for (unsigned i = 0; i < o.clients; i++)
                pthread_join(clients[i].thread, NULL);
        atomic_store(&stop_stalling, true);
        if (o.stall)
                pthread_join(staller.thread, NULL);

        for (unsigned i = 0; i < o.clients; i++) {
                if (clients[i].failure < 0) {
                        fprintf(stderr, "bench-query-load: client %u failed: %s\n", i,
                                strerror(-clients[i].failure));
                        failure = 1;
                }
                errors += clients[i].errors;
        }
        if (staller.failure < 0) {
                fprintf(stderr, "bench-query-load: stalled client failed: %s\n", strerror(-staller.failure));
                failure = 1;
        }
        if (report(clients, o.clients, o.stall ? &staller : NULL) < 0)
                failure = 1;

        for (unsigned i = 0; i < o.clients; i++) {
                conn_close(&clients[i].conn);
                for (unsigned k = 0; k < _SET_MAX; k++)
                        free(clients[i].sets[k].v);
        }
        free(clients);
        free(reference);
        pthread_barrier_destroy(&start_barrier);
        return failure || errors > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The coalescing scheduler: its pure core driven by a fake clock, then the
 * sd-event wrapper fed by the uevent receiver's test socket. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "scheduler.h"
#include "test-util.h"
#include "uevent.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC
/* An arbitrary monotonic start, far from 0 so that "0" is never a valid
 * deadline by accident. */
#define T0 (1000 * SEC)

static struct uevent memory_event(enum uevent_action action, uint64_t block) {
        return (struct uevent) {
                .action = action,
                .devpath = "/devices/system/memory/memoryN",
                .subsystem = UEVENT_SUBSYSTEM_MEMORY,
                .subsystem_text = "memory",
                .index = block,
        };
}

static struct uevent subsystem_event(enum uevent_subsystem subsystem, enum uevent_action action) {
        return (struct uevent) {
                .action = action,
                .devpath = "/devices/x",
                .subsystem = subsystem,
                .subsystem_text = uevent_subsystem_to_string(subsystem),
                .index = 1,
        };
}

static void new_core(struct coalescer *c) {
        assert_int_equal(coalescer_init(c, SCHEDULER_QUIET_DEFAULT, SCHEDULER_MAX_DELAY_DEFAULT), 0);
}

/* @work is a full rescan that names no block (none are worth re-reading). */
static void assert_full_rescan_naming_no_block(const struct rebuild_work *work, bool layout_changed) {
        assert_true(work->full_rescan);
        assert_int_equal(work->memory_layout_changed, layout_changed);
        assert_int_equal(work->n_blocks, 0);
        assert_null(work->blocks);
}

static void single_hint_fires_after_exactly_the_quiet_window(void **state) {
        struct uevent ev = memory_event(UEVENT_ACTION_ONLINE, 32);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        assert_false(coalescer_pending(&c));
        assert_true(coalescer_deadline(&c) == USEC_INFINITY);

        assert_true(coalescer_hint_event(&c, &ev, T0) == T0 + 250 * MS);
        assert_true(coalescer_pending(&c));
        assert_int_equal(coalescer_take_due(&c, T0 + 250 * MS - 1, &work), 0);
        assert_null(work.blocks);

        assert_int_equal(coalescer_take_due(&c, T0 + 250 * MS, &work), 1);
        assert_int_equal(work.n_blocks, 1);
        assert_int_equal(work.blocks[0], 32);
        assert_true(work.first_hint == T0);
        assert_int_equal(work.n_hints, 1);
        assert_false(work.full_rescan);
        assert_false(coalescer_pending(&c));
        assert_true(coalescer_deadline(&c) == USEC_INFINITY);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void each_hint_moves_the_deadline_to_now_plus_quiet(void **state) {
        struct uevent ev = memory_event(UEVENT_ACTION_OFFLINE, 33);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        assert_true(coalescer_hint_event(&c, &ev, T0) == T0 + 250 * MS);
        assert_true(coalescer_hint_event(&c, &ev, T0 + 100 * MS) == T0 + 350 * MS);
        assert_true(coalescer_hint_event(&c, &ev, T0 + 300 * MS) == T0 + 550 * MS);
        assert_int_equal(coalescer_take_due(&c, T0 + 549 * MS, &work), 0);
        assert_int_equal(coalescer_take_due(&c, T0 + 550 * MS, &work), 1);
        assert_int_equal(work.n_hints, 3);
        assert_int_equal(work.n_blocks, 1);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

struct fire {
        usec_t at;
        struct rebuild_work work;
};

/* Sends @n online hints for blocks 32..39, @spacing apart from T0, through
 * a perfect timer: whenever the armed deadline is reached before the next
 * hint, the cycle fires at exactly that deadline. Returns the fires. */
static size_t run_storm(struct coalescer *c, size_t n, usec_t spacing, struct fire *fires, size_t max) {
        size_t n_fires = 0;

        for (size_t i = 0; i <= n; i++) {
                usec_t now = i < n ? T0 + i * spacing : USEC_INFINITY - 1;

                while (coalescer_pending(c) && coalescer_deadline(c) <= now) {
                        assert_true(n_fires < max);
                        fires[n_fires].at = coalescer_deadline(c);
                        assert_int_equal(coalescer_take_due(c, fires[n_fires].at, &fires[n_fires].work), 1);
                        n_fires++;
                }
                if (i < n) {
                        struct uevent ev = memory_event(UEVENT_ACTION_ONLINE, 32 + i % 8);
                        coalescer_hint_event(c, &ev, now);
                }
        }
        return n_fires;
}

static void storm_is_cut_at_first_plus_max_delay_then_the_remainder_fires_once(void **state) {
        struct fire fires[4] = {};
        struct coalescer c;
        size_t n;

        /* A max delay longer than half the storm: exactly two rebuilds. */
        assert_int_equal(coalescer_init(&c, 250 * MS, 6 * SEC), 0);
        n = run_storm(&c, 10000, 1 * MS, fires, ELEMENTSOF(fires));
        assert_int_equal(n, 2);

        assert_true(fires[0].at == T0 + 6 * SEC);
        assert_true(fires[0].work.first_hint == T0);
        assert_int_equal(fires[0].work.n_memory_events, 6000);

        /* The remainder: hints 6000..9999; the last one at 9.999 s plus quiet. */
        assert_true(fires[1].at == T0 + 9999 * MS + 250 * MS);
        assert_true(fires[1].work.first_hint == T0 + 6 * SEC);
        assert_int_equal(fires[1].work.n_memory_events, 4000);

        for (size_t i = 0; i < n; i++) {
                assert_int_equal(fires[i].work.n_blocks, 8);
                assert_int_equal(fires[i].work.blocks[0], 32);
                assert_int_equal(fires[i].work.blocks[7], 39);
                rebuild_work_clear(&fires[i].work);
        }
        coalescer_done(&c);
}

static void storm_with_default_timing_fires_every_max_delay_and_loses_nothing(void **state) {
        struct fire fires[8] = {};
        struct coalescer c;
        uint64_t total = 0;
        size_t n;

        /* 10 s of hints 1 ms apart with the 2 s cap: one rebuild per 2 s,
         * each at its own first hint + 2 s, none in between. */
        new_core(&c);
        n = run_storm(&c, 10000, 1 * MS, fires, ELEMENTSOF(fires));
        assert_int_equal(n, 5);
        for (size_t i = 0; i < n; i++) {
                assert_true(fires[i].work.first_hint == T0 + i * 2 * SEC);
                assert_true(fires[i].at == T0 + (i + 1) * 2 * SEC);
                assert_int_equal(fires[i].work.n_memory_events, 2000);
                total += fires[i].work.n_memory_events;
                rebuild_work_clear(&fires[i].work);
        }
        assert_int_equal(total, 10000);
        coalescer_done(&c);
}

static void hints_after_a_fire_start_a_new_cycle(void **state) {
        struct uevent a = memory_event(UEVENT_ACTION_ONLINE, 32);
        struct uevent b = memory_event(UEVENT_ACTION_OFFLINE, 35);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        coalescer_hint_event(&c, &a, T0);
        assert_int_equal(coalescer_take_due(&c, T0 + 250 * MS, &work), 1);
        rebuild_work_clear(&work);

        /* The new cycle's cap counts from its own first hint. */
        assert_true(coalescer_hint_event(&c, &b, T0 + 10 * SEC) == T0 + 10 * SEC + 250 * MS);
        for (usec_t t = T0 + 10 * SEC; t < T0 + 12 * SEC; t += 200 * MS)
                coalescer_hint_event(&c, &b, t);
        assert_true(coalescer_deadline(&c) == T0 + 12 * SEC);
        assert_int_equal(coalescer_take_due(&c, T0 + 12 * SEC, &work), 1);
        assert_true(work.first_hint == T0 + 10 * SEC);
        assert_int_equal(work.n_blocks, 1);
        assert_int_equal(work.blocks[0], 35);
        assert_int_equal(work.n_memory_events, 11);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void touched_blocks_are_kept_sorted_and_unique(void **state) {
        static const uint64_t order[] = { 39, 32, 35, 32, 39, 33, 0, 1000000 };
        static const uint64_t want[] = { 0, 32, 33, 35, 39, 1000000 };
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                struct uevent ev = memory_event(i % 2 ? UEVENT_ACTION_OFFLINE : UEVENT_ACTION_ONLINE,
                                                order[i]);
                coalescer_hint_event(&c, &ev, T0 + i * MS);
        }
        assert_int_equal(coalescer_take_due(&c, T0 + SEC, &work), 1);
        assert_int_equal(work.n_blocks, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_int_equal(work.blocks[i], want[i]);
        assert_int_equal(work.n_memory_events, ELEMENTSOF(order));
        assert_false(work.full_rescan);
        assert_false(work.memory_layout_changed);
        assert_false(work.cpus_changed);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void memory_add_and_remove_keep_their_blocks_and_flag_the_layout(void **state) {
        static const enum uevent_action layout[] = { UEVENT_ACTION_ADD, UEVENT_ACTION_REMOVE };

        for (size_t i = 0; i < ELEMENTSOF(layout); i++) {
                struct uevent online = memory_event(UEVENT_ACTION_ONLINE, 32);
                struct uevent change = memory_event(layout[i], 40);
                struct rebuild_work work = {};
                struct coalescer c;

                new_core(&c);
                coalescer_hint_event(&c, &online, T0);
                coalescer_hint_event(&c, &change, T0 + MS);
                coalescer_hint_event(&c, &online, T0 + 2 * MS);
                assert_int_equal(coalescer_take_due(&c, T0 + SEC, &work), 1);
                assert_false(work.full_rescan);
                assert_true(work.memory_layout_changed);
                assert_int_equal(work.n_blocks, 2);
                assert_int_equal(work.blocks[0], 32);
                assert_int_equal(work.blocks[1], 40);
                assert_int_equal(work.n_memory_events, 3);
                rebuild_work_clear(&work);
                coalescer_done(&c);
        }
}

static void an_add_naming_no_block_escalates_to_a_full_rescan(void **state) {
        struct uevent online = memory_event(UEVENT_ACTION_ONLINE, 32);
        struct uevent add = memory_event(UEVENT_ACTION_ADD, UEVENT_INDEX_NONE);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        coalescer_hint_event(&c, &online, T0);
        coalescer_hint_event(&c, &add, T0 + MS);
        assert_int_equal(coalescer_take_due(&c, T0 + SEC, &work), 1);
        assert_full_rescan_naming_no_block(&work, true);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

/* The hot-add storm of issue 6 (figure 2): 2048 adds, then 2048 onlines
 * of the same blocks, is one layout rebuild of 2048 blocks. */
static void a_hot_add_storm_is_one_layout_rebuild_of_its_blocks(void **state) {
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        for (uint64_t i = 0; i < 2 * 2048; i++) {
                struct uevent ev = memory_event(i < 2048 ? UEVENT_ACTION_ADD : UEVENT_ACTION_ONLINE,
                                                8208 + i % 2048);
                coalescer_hint_event(&c, &ev, T0 + i);
        }
        assert_int_equal(coalescer_take_due(&c, T0 + 4096 + 250 * MS, &work), 1);
        assert_false(work.full_rescan);
        assert_true(work.memory_layout_changed);
        assert_int_equal(work.n_blocks, 2048);
        assert_int_equal(work.blocks[0], 8208);
        assert_int_equal(work.blocks[2047], 10255);
        assert_int_equal(work.n_memory_events, 4096);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void adds_of_more_than_4096_distinct_blocks_escalate_to_a_full_rescan(void **state) {
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        for (uint64_t b = 0; b <= SCHEDULER_BLOCKS_MAX; b++) {
                struct uevent ev = memory_event(UEVENT_ACTION_ADD, 100 + b);

                coalescer_hint_event(&c, &ev, T0);
                if (b == SCHEDULER_BLOCKS_MAX - 1) {
                        assert_false(c.work.full_rescan);
                        assert_int_equal(c.work.n_blocks, SCHEDULER_BLOCKS_MAX);
                }
        }
        assert_int_equal(coalescer_take_due(&c, T0 + SEC, &work), 1);
        assert_full_rescan_naming_no_block(&work, true);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void lost_events_and_unknown_memory_events_escalate(void **state) {
        struct uevent online = memory_event(UEVENT_ACTION_ONLINE, 32);
        struct uevent unknown = memory_event(UEVENT_ACTION_OTHER, UEVENT_INDEX_NONE);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        coalescer_hint_event(&c, &online, T0);
        assert_true(coalescer_hint_lost(&c, T0 + 10 * MS) == T0 + 260 * MS);
        assert_int_equal(coalescer_take_due(&c, T0 + 260 * MS, &work), 1);
        assert_true(work.full_rescan);
        assert_false(work.memory_layout_changed);
        assert_int_equal(work.n_lost, 1);
        assert_int_equal(work.n_blocks, 0);
        rebuild_work_clear(&work);

        coalescer_hint_event(&c, &unknown, T0 + SEC);
        assert_int_equal(coalescer_take_due(&c, T0 + 2 * SEC, &work), 1);
        assert_true(work.full_rescan);
        assert_int_equal(work.n_memory_events, 1);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void more_than_4096_distinct_blocks_escalate_to_a_full_rescan(void **state) {
        struct uevent repeat = memory_event(UEVENT_ACTION_OFFLINE, 7);
        struct uevent one_more = memory_event(UEVENT_ACTION_ONLINE, 5000);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        for (uint64_t b = 0; b < SCHEDULER_BLOCKS_MAX; b++) {
                struct uevent ev = memory_event(UEVENT_ACTION_ONLINE, SCHEDULER_BLOCKS_MAX - 1 - b);
                coalescer_hint_event(&c, &ev, T0);
        }
        assert_int_equal(c.work.n_blocks, SCHEDULER_BLOCKS_MAX);
        assert_false(c.work.full_rescan);
        /* A repeat does not count as a new block. */
        coalescer_hint_event(&c, &repeat, T0);
        assert_false(c.work.full_rescan);

        coalescer_hint_event(&c, &one_more, T0);
        assert_int_equal(coalescer_take_due(&c, T0 + SEC, &work), 1);
        assert_full_rescan_naming_no_block(&work, false);
        assert_int_equal(work.n_memory_events, SCHEDULER_BLOCKS_MAX + 2);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void cpu_node_and_foreign_events_set_their_own_flags(void **state) {
        struct uevent cpu = subsystem_event(UEVENT_SUBSYSTEM_CPU, UEVENT_ACTION_ONLINE);
        struct uevent node = subsystem_event(UEVENT_SUBSYSTEM_NODE, UEVENT_ACTION_ADD);
        struct uevent other = subsystem_event(UEVENT_SUBSYSTEM_OTHER, UEVENT_ACTION_ADD);
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        /* An unrelated subsystem arms nothing. */
        assert_true(coalescer_hint_event(&c, &other, T0) == USEC_INFINITY);
        assert_false(coalescer_pending(&c));

        cpu.synthetic = true;
        assert_true(coalescer_hint_event(&c, &cpu, T0) == T0 + 250 * MS);
        assert_true(coalescer_hint_event(&c, &other, T0 + 100 * MS) == T0 + 250 * MS);
        assert_int_equal(coalescer_take_due(&c, T0 + 250 * MS, &work), 1);
        assert_true(work.cpus_changed);
        assert_false(work.full_rescan);
        assert_false(work.nodes_changed);
        assert_int_equal(work.n_cpu_events, 1);
        assert_int_equal(work.n_synthetic_events, 1);
        assert_int_equal(work.n_hints, 1);
        rebuild_work_clear(&work);

        coalescer_hint_event(&c, &node, T0 + SEC);
        assert_int_equal(coalescer_take_due(&c, T0 + 2 * SEC, &work), 1);
        assert_true(work.nodes_changed);
        assert_true(work.full_rescan);
        assert_false(work.cpus_changed);
        assert_int_equal(work.n_node_events, 1);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void explicit_full_request_fires_after_the_quiet_window(void **state) {
        struct rebuild_work work = {};
        struct coalescer c;

        new_core(&c);
        assert_true(coalescer_request_full(&c, T0) == T0 + 250 * MS);
        assert_int_equal(coalescer_take_due(&c, T0 + 249 * MS, &work), 0);
        assert_int_equal(coalescer_take_due(&c, T0 + 250 * MS, &work), 1);
        assert_true(work.full_rescan);
        assert_int_equal(work.n_requests, 1);
        rebuild_work_clear(&work);
        coalescer_done(&c);
}

static void timing_is_configurable_and_bounded(void **state) {
        struct uevent ev = memory_event(UEVENT_ACTION_ONLINE, 1);
        struct rebuild_work work = {};
        struct coalescer c;

        assert_int_equal(coalescer_init(&c, SCHEDULER_TIMING_MAX + 1, SEC), -ERANGE);
        assert_int_equal(coalescer_init(&c, 100 * MS, 300 * MS), 0);
        assert_true(coalescer_hint_event(&c, &ev, T0) == T0 + 100 * MS);
        assert_true(coalescer_hint_event(&c, &ev, T0 + 250 * MS) == T0 + 300 * MS);
        assert_int_equal(coalescer_set_timing(&c, SEC, SCHEDULER_TIMING_MAX + 1), -ERANGE);
        assert_true(c.quiet == 100 * MS);
        assert_int_equal(coalescer_take_due(&c, T0 + 300 * MS, &work), 1);
        rebuild_work_clear(&work);

        /* A quiet window longer than the cap: the cap wins. */
        assert_int_equal(coalescer_set_timing(&c, 5 * SEC, 1 * SEC), 0);
        assert_true(coalescer_hint_event(&c, &ev, T0 + 10 * SEC) == T0 + 11 * SEC);
        coalescer_done(&c);
        assert_false(coalescer_pending(&c));
}

/* ---- the sd-event wrapper fed by the test socket ---- */

struct loop_test {
        sd_event *event;
        struct scheduler *scheduler;
        struct uevent_receiver *receiver;
        int sender;
        /* datagrams to send, in order */
        size_t n_payloads, next_payload;
        char *payloads[64];
        size_t sizes[64];
        /* what arrived */
        unsigned n_rebuilds, n_lost;
        int last_lost_error;
        struct rebuild_work first;
        uint64_t first_blocks[16];
        bool timed_out;
};

/* Appends one NUL-terminated string (printf format) to the payload. */
_printf_(3, 4) static void payload_add(char *buf, size_t *len, const char *format, ...) {
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(buf + *len, 1024 - *len, format, ap);
        va_end(ap);
        assert_true(n > 0 && (size_t) n < 1024 - *len - 1);
        *len += (size_t) n + 1;
}

/* A kernel event for @subsystem device N with the keys in kernel order. */
static void queue_event(struct loop_test *t, const char *action, const char *subsystem, unsigned n,
                        unsigned seqnum) {
        char *buf = calloc(1, 1024);
        char devpath[64];
        size_t len = 0;

        assert_non_null(buf);
        assert_true(t->n_payloads < ELEMENTSOF(t->payloads));
        snprintf(devpath, sizeof(devpath), "/devices/system/%s/%s%u", subsystem, subsystem, n);
        payload_add(buf, &len, "%s@%s", action, devpath);
        payload_add(buf, &len, "ACTION=%s", action);
        payload_add(buf, &len, "DEVPATH=%s", devpath);
        payload_add(buf, &len, "SUBSYSTEM=%s", subsystem);
        if (strcmp(subsystem, "cpu") == 0) {
                payload_add(buf, &len, "DRIVER=processor");
                payload_add(buf, &len, "MODALIAS=cpu:type:x86,ven0000fam0006mod00A7:feature:,0000,0001\n");
        }
        payload_add(buf, &len, "SEQNUM=%u", seqnum);
        t->payloads[t->n_payloads] = buf;
        t->sizes[t->n_payloads++] = len;
}

static void queue_raw(struct loop_test *t, const void *data, size_t size) {
        char *buf = malloc(size);

        assert_non_null(buf);
        memcpy(buf, data, size);
        t->payloads[t->n_payloads] = buf;
        t->sizes[t->n_payloads++] = size;
}

/* Sends while the receiver's queue has room (max_dgram_qlen is small), so
 * the loop drains and sends in turn, all in this one thread. */
static int on_sender_writable(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct loop_test *t = userdata;

        while (t->next_payload < t->n_payloads) {
                size_t i = t->next_payload;
                if (send(fd, t->payloads[i], t->sizes[i], MSG_DONTWAIT) < 0) {
                        if (errno == EAGAIN)
                                return 0;
                        fail_msg("send: %s", strerror(errno));
                }
                t->next_payload++;
        }
        return sd_event_source_set_enabled(source, SD_EVENT_OFF);
}

static int on_exit_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(source), 0);
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        struct loop_test *t = userdata;

        t->timed_out = true;
        return sd_event_exit(sd_event_source_get_event(source), 0);
}

static void on_rebuild(struct scheduler *s, const struct rebuild_work *work, void *userdata) {
        struct loop_test *t = userdata;

        if (t->n_rebuilds++ == 0) {
                t->first = *work;
                t->first.blocks = NULL;
                assert_true(work->n_blocks <= ELEMENTSOF(t->first_blocks));
                for (size_t i = 0; i < work->n_blocks; i++)
                        t->first_blocks[i] = work->blocks[i];
                /* Keep running three quiet windows more: a second rebuild
                 * would show up. */
                assert_int_equal(sd_event_add_time_relative(t->event, NULL, CLOCK_MONOTONIC,
                                                            3 * SCHEDULER_QUIET_DEFAULT, 0,
                                                            on_exit_timer, t), 0);
        }
}

static void on_uevent(struct uevent_receiver *r, const struct uevent *ev, void *userdata) {
        struct loop_test *t = userdata;

        assert_int_equal(scheduler_hint_event(t->scheduler, ev), 0);
}

static void on_lost(struct uevent_receiver *r, int error, void *userdata) {
        struct loop_test *t = userdata;

        t->n_lost++;
        t->last_lost_error = error;
        assert_int_equal(scheduler_hint_lost(t->scheduler), 0);
}

static void loop_test_start(struct loop_test *t, struct scratch *dir) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int n;

        *t = (struct loop_test) { .sender = -1 };
        scratch_init(dir);
        n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/uevent.sock", dir->path);
        assert_true(n > 0 && (size_t) n < sizeof(addr.sun_path));

        assert_int_equal(sd_event_new(&t->event), 0);
        assert_int_equal(scheduler_new(t->event, SCHEDULER_QUIET_DEFAULT, SCHEDULER_MAX_DELAY_DEFAULT,
                                       on_rebuild, t, &t->scheduler), 0);
        assert_int_equal(uevent_receiver_new(t->event, on_uevent, on_lost, t, &t->receiver), 0);
        assert_int_equal(uevent_receiver_open_test_socket(t->receiver, addr.sun_path), 0);
        assert_int_equal(uevent_receiver_open_test_socket(t->receiver, addr.sun_path), -EBUSY);

        t->sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(t->sender >= 0);
        assert_int_equal(connect(t->sender, (struct sockaddr *) &addr, sizeof(addr)), 0);
}

/* Sends everything queued and runs the loop until the rebuild has settled
 * (or 10 s, which fails the test). */
static void loop_test_run(struct loop_test *t) {
        assert_int_equal(sd_event_add_io(t->event, NULL, t->sender, EPOLLOUT, on_sender_writable, t), 0);
        assert_int_equal(sd_event_add_time_relative(t->event, NULL, CLOCK_MONOTONIC, 10 * SEC, 0,
                                                    on_timeout, t), 0);
        assert_int_equal(sd_event_loop(t->event), 0);
        assert_false(t->timed_out);
        assert_int_equal(t->next_payload, t->n_payloads);
}

static void loop_test_finish(struct loop_test *t, struct scratch *dir) {
        for (size_t i = 0; i < t->n_payloads; i++)
                free(t->payloads[i]);
        uevent_receiver_free(t->receiver);
        scheduler_free(t->scheduler);
        sd_event_unref(t->event);
        close(t->sender);
        scratch_free(dir);
}

static void burst_of_51_datagrams_gives_one_rebuild_with_blocks_and_cpus(void **state) {
        const struct uevent_stats *stats;
        struct scratch dir;
        struct loop_test t;

        loop_test_start(&t, &dir);
        for (unsigned i = 0; i < 50; i++)
                queue_event(&t, "online", "memory", 32 + i % 8, 1000 + i);
        queue_event(&t, "online", "cpu", 1, 1050);
        loop_test_run(&t);

        assert_int_equal(t.n_rebuilds, 1);
        assert_int_equal(scheduler_get_n_rebuilds(t.scheduler), 1);
        assert_false(scheduler_is_pending(t.scheduler));
        assert_int_equal(t.first.n_blocks, 8);
        for (unsigned i = 0; i < 8; i++)
                assert_int_equal(t.first_blocks[i], 32 + i);
        assert_true(t.first.cpus_changed);
        assert_false(t.first.full_rescan);
        assert_int_equal(t.first.n_memory_events, 50);
        assert_int_equal(t.first.n_cpu_events, 1);
        assert_int_equal(t.n_lost, 0);

        stats = uevent_receiver_get_stats(t.receiver);
        assert_int_equal(stats->received, 51);
        assert_int_equal(stats->delivered, 51);
        assert_int_equal(stats->malformed + stats->truncated + stats->dropped_sender, 0);
        loop_test_finish(&t, &dir);
}

static void oversized_datagram_reports_lost_events_and_forces_a_full_rescan(void **state) {
        const struct uevent_stats *stats;
        struct scratch dir;
        struct loop_test t;
        char *big;

        loop_test_start(&t, &dir);
        big = malloc(20 * 1024);
        assert_non_null(big);
        memset(big, 'a', 20 * 1024);
        queue_raw(&t, big, 20 * 1024);
        free(big);
        loop_test_run(&t);

        assert_int_equal(t.n_lost, 1);
        assert_int_equal(t.last_lost_error, -EMSGSIZE);
        assert_int_equal(t.n_rebuilds, 1);
        assert_true(t.first.full_rescan);
        assert_int_equal(t.first.n_lost, 1);
        stats = uevent_receiver_get_stats(t.receiver);
        assert_int_equal(stats->truncated, 1);
        assert_int_equal(stats->delivered, 0);
        loop_test_finish(&t, &dir);
}

static void udev_and_foreign_events_are_ignored_but_broken_memory_events_rescan(void **state) {
        static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
        static const char broken_memory[] =
                "online@/devices/system/memory/memory32\0ACTION=offline\0"
                "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=9\0";
        static const char net[] =
                "add@/devices/virtual/net/lo\0ACTION=add\0DEVPATH=/devices/virtual/net/lo\0"
                "SUBSYSTEM=net\0INTERFACE=lo\0IFINDEX=1\0SEQNUM=10\0";
        const struct uevent_stats *stats;
        struct scratch dir;
        struct loop_test t;

        loop_test_start(&t, &dir);
        queue_raw(&t, udev, sizeof(udev) - 1);
        queue_raw(&t, net, sizeof(net) - 1);
        queue_raw(&t, broken_memory, sizeof(broken_memory) - 1);
        loop_test_run(&t);

        stats = uevent_receiver_get_stats(t.receiver);
        assert_int_equal(stats->received, 3);
        assert_int_equal(stats->udev, 1);
        assert_int_equal(stats->ignored, 1);
        assert_int_equal(stats->malformed, 1);
        assert_int_equal(stats->delivered, 1);
        assert_int_equal(t.n_rebuilds, 1);
        assert_true(t.first.full_rescan);
        assert_int_equal(t.first.n_memory_events, 1);
        loop_test_finish(&t, &dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(single_hint_fires_after_exactly_the_quiet_window),
                cmocka_unit_test(each_hint_moves_the_deadline_to_now_plus_quiet),
                cmocka_unit_test(storm_is_cut_at_first_plus_max_delay_then_the_remainder_fires_once),
                cmocka_unit_test(storm_with_default_timing_fires_every_max_delay_and_loses_nothing),
                cmocka_unit_test(hints_after_a_fire_start_a_new_cycle),
                cmocka_unit_test(touched_blocks_are_kept_sorted_and_unique),
                cmocka_unit_test(memory_add_and_remove_keep_their_blocks_and_flag_the_layout),
                cmocka_unit_test(an_add_naming_no_block_escalates_to_a_full_rescan),
                cmocka_unit_test(a_hot_add_storm_is_one_layout_rebuild_of_its_blocks),
                cmocka_unit_test(adds_of_more_than_4096_distinct_blocks_escalate_to_a_full_rescan),
                cmocka_unit_test(lost_events_and_unknown_memory_events_escalate),
                cmocka_unit_test(more_than_4096_distinct_blocks_escalate_to_a_full_rescan),
                cmocka_unit_test(cpu_node_and_foreign_events_set_their_own_flags),
                cmocka_unit_test(explicit_full_request_fires_after_the_quiet_window),
                cmocka_unit_test(timing_is_configurable_and_bounded),
                cmocka_unit_test(burst_of_51_datagrams_gives_one_rebuild_with_blocks_and_cpus),
                cmocka_unit_test(oversized_datagram_reports_lost_events_and_forces_a_full_rescan),
                cmocka_unit_test(udev_and_foreign_events_are_ignored_but_broken_memory_events_rescan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

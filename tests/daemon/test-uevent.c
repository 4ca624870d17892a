/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uevent receiver on the kernel's netlink socket. (The test socket is
 * exercised with the scheduler in test-scheduler.c.) */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-util.h"
#include "uevent.h"

struct received {
        unsigned n_events, n_lost;
        bool seen_target;
        const char *target_devpath;
        struct uevent target; /* strings not kept */
};

static void on_event(struct uevent_receiver *r, const struct uevent *ev, void *userdata) {
        struct received *rc = userdata;

        rc->n_events++;
        if (rc->target_devpath && strcmp(ev->devpath, rc->target_devpath) == 0) {
                rc->seen_target = true;
                rc->target = *ev;
                rc->target.devpath = rc->target.subsystem_text = NULL;
        }
}

static void on_lost(struct uevent_receiver *r, int error, void *userdata) {
        struct received *rc = userdata;

        rc->n_lost++;
}

/* A loop with a netlink receiver, or false where this machine does not
 * allow one (no netlink uevents in a restricted container): skip then. */
static bool open_netlink(struct received *rc, sd_event **ret_event, struct uevent_receiver **ret_receiver) {
        struct uevent_receiver *r = NULL;
        sd_event *e = NULL;
        int k;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(uevent_receiver_new(e, on_event, on_lost, rc, &r), 0);
        k = uevent_receiver_open_netlink(r);
        if (k == -EPERM || k == -EAFNOSUPPORT || k == -EIO) {
                uevent_receiver_free(r);
                sd_event_unref(e);
                return false;
        }
        assert_int_equal(k, 0);
        *ret_event = e;
        *ret_receiver = r;
        return true;
}

static void close_netlink(sd_event *e, struct uevent_receiver *r) {
        uevent_receiver_free(r);
        sd_event_unref(e);
}

/* What this process can get for @size: SO_RCVBUFFORCE when allowed, else
 * SO_RCVBUF (capped by net.core.rmem_max); both doubled by the kernel. */
static int expected_rcvbuf(int size) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), actual = 0;
        socklen_t len = sizeof(actual);

        assert_true(fd >= 0);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
        assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len), 0);
        close(fd);
        return actual;
}

static void netlink_socket_gets_the_largest_receive_buffer_allowed(void **state) {
        struct received rc = {};
        struct uevent_receiver *r;
        sd_event *e;

        if (!open_netlink(&rc, &e, &r))
                skip();
        assert_int_equal(uevent_receiver_get_rcvbuf(r), expected_rcvbuf(UEVENT_RCVBUF_SIZE));
        assert_int_equal(uevent_receiver_open_netlink(r), -EBUSY);
        assert_int_equal(uevent_receiver_open_test_socket(r, "/nonexistent/x"), -EBUSY);
        close_netlink(e, r);
}

/* Runs the loop until @done says so or about 2 s pass. */
static void run_until(sd_event *e, bool (*done)(const struct uevent_receiver *, const struct received *),
                      const struct uevent_receiver *r, const struct received *rc) {
        for (int i = 0; i < 40 && !done(r, rc); i++)
                assert_true(sd_event_run(e, 50 * 1000) >= 0);
}

static bool dropped_one(const struct uevent_receiver *r, const struct received *rc) {
        return uevent_receiver_get_stats(r)->dropped_sender > 0;
}

static void message_from_a_process_on_the_kernel_group_is_dropped(void **state) {
        /* A harmless made-up device, so no other listener acts on it. */
        static const char forged[] =
                "add@/devices/virtual/memranged-test/forged0\0ACTION=add\0"
                "DEVPATH=/devices/virtual/memranged-test/forged0\0SUBSYSTEM=memory\0SEQNUM=1\0";
        struct sockaddr_nl group = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        struct received rc = { .target_devpath = "/devices/virtual/memranged-test/forged0" };
        struct uevent_receiver *r;
        sd_event *e;
        ssize_t sent;
        int fd;

        if (!open_netlink(&rc, &e, &r))
                skip();
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        assert_true(fd >= 0);
        /* Only CAP_NET_ADMIN may send to the group. */
        sent = sendto(fd, forged, sizeof(forged) - 1, 0, (struct sockaddr *) &group, sizeof(group));
        close(fd);
        if (sent < 0) {
                close_netlink(e, r);
                skip();
        }
        run_until(e, dropped_one, r, &rc);
        assert_true(uevent_receiver_get_stats(r)->dropped_sender >= 1);
        assert_false(rc.seen_target);
        close_netlink(e, r);
}

static bool saw_target(const struct uevent_receiver *r, const struct received *rc) {
        return rc->seen_target;
}

/* Asks the real kernel for a synthetic "change" on memory0, which changes
 * nothing (DOMAIN.md 3). It reaches every uevent listener of the machine,
 * so it only runs when MEMRANGED_TEST_KERNEL_UEVENT=1. */
static void kernel_event_from_a_uevent_file_is_received(void **state) {
        static const char trigger[] = "/sys/devices/system/memory/memory0/uevent";
        struct received rc = { .target_devpath = "/devices/system/memory/memory0" };
        struct uevent_receiver *r;
        sd_event *e;
        int fd;

        if (!mr_streq(getenv("MEMRANGED_TEST_KERNEL_UEVENT"), "1") || geteuid() != 0 ||
            access(trigger, W_OK) < 0 || !open_netlink(&rc, &e, &r)) {
                /* cmocka 1.1's skip() is not declared noreturn. */
                skip();
                return;
        }
        fd = open(trigger, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "change", 6), 6);
        close(fd);

        run_until(e, saw_target, r, &rc);
        assert_true(rc.seen_target);
        assert_int_equal(rc.target.action, UEVENT_ACTION_CHANGE);
        assert_int_equal(rc.target.subsystem, UEVENT_SUBSYSTEM_MEMORY);
        assert_int_equal(rc.target.index, 0);
        assert_true(rc.target.synthetic);
        assert_true(rc.target.seqnum > 0);
        assert_int_equal(rc.n_lost, 0);
        assert_int_equal(uevent_receiver_get_stats(r)->dropped_sender, 0);
        close_netlink(e, r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(netlink_socket_gets_the_largest_receive_buffer_allowed),
                cmocka_unit_test(message_from_a_process_on_the_kernel_group_is_dropped),
                cmocka_unit_test(kernel_event_from_a_uevent_file_is_received),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

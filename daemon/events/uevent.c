/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel uevent reception (see uevent.h). */
#include <errno.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "uevent.h"

/* Multicast group of the kernel's own messages (udev re-broadcasts on 2). */
#define UEVENT_GROUP_KERNEL 1

enum uevent_source_kind {
        UEVENT_SOURCE_NONE,
        UEVENT_SOURCE_NETLINK,
        UEVENT_SOURCE_TEST,
};

struct uevent_receiver {
        sd_event *event;
        sd_event_source *io;
        enum uevent_source_kind kind;
        struct nl_sock *nl; /* netlink: owns fd */
        int fd;             /* test socket: owned */
        int rcvbuf;
        uevent_event_fn on_event;
        uevent_lost_fn on_lost;
        void *userdata;
        struct uevent_stats stats;
        /* A message longer than this is truncated: events were lost. */
        uint8_t buf[UEVENT_PAYLOAD_MAX];
};

int uevent_receiver_new(sd_event *event, uevent_event_fn on_event, uevent_lost_fn on_lost,
                        void *userdata, struct uevent_receiver **ret_receiver) {
        struct uevent_receiver *r;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(event);
        r->fd = -1;
        r->on_event = on_event;
        r->on_lost = on_lost;
        r->userdata = userdata;
        *ret_receiver = r;
        return 0;
}

struct uevent_receiver *uevent_receiver_free(struct uevent_receiver *r) {
        if (!r)
                return NULL;
        sd_event_source_disable_unref(r->io);
        if (r->nl)
                nl_socket_free(r->nl);
        else if (r->fd >= 0)
                close(r->fd);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

int uevent_receiver_get_rcvbuf(const struct uevent_receiver *r) {
        return r->rcvbuf;
}

const struct uevent_stats *uevent_receiver_get_stats(const struct uevent_receiver *r) {
        return &r->stats;
}

/* ---- receiving ---- */

/* The SCM_CREDENTIALS of @msg, copied out (CMSG_DATA may be unaligned). */
static bool message_credentials(struct msghdr *msg, struct ucred *ret_cred) {
        if (msg->msg_flags & MSG_CTRUNC)
                return false;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                        memcpy(ret_cred, CMSG_DATA(c), sizeof(*ret_cred));
                        return true;
                }
        return false;
}

/* Only the kernel may send: on netlink port id 0, and uid 0 in the
 * credentials (a process with CAP_SYS_ADMIN can still forge, which is why an
 * event is only ever a hint). The test socket is guarded by its path's
 * permissions and accepts root and ourselves. */
static bool sender_is_trusted(const struct uevent_receiver *r, struct msghdr *msg,
                              const struct sockaddr_nl *from) {
        struct ucred cred;

        if (!message_credentials(msg, &cred)) {
                log_debug("Dropping uevent without sender credentials");
                return false;
        }
        if (r->kind == UEVENT_SOURCE_NETLINK) {
                if (msg->msg_namelen < sizeof(*from) || from->nl_family != AF_NETLINK ||
                    from->nl_pid != 0) {
                        log_debug("Dropping uevent from netlink port %" PRIu32 ", not the kernel",
                                  from->nl_pid);
                        return false;
                }
                if (cred.uid != 0) {
                        log_debug("Dropping uevent from uid %u, not root", (unsigned) cred.uid);
                        return false;
                }
                return true;
        }
        if (cred.uid != 0 && cred.uid != geteuid()) {
                log_debug("Dropping test uevent from uid %u", (unsigned) cred.uid);
                return false;
        }
        return true;
}

static void deliver(struct uevent_receiver *r, const struct uevent *ev) {
        r->stats.delivered++;
        r->on_event(r, ev, r->userdata);
}

/* A kernel message that names memory but cannot be parsed still means
 * memory may have changed: pass it on as an unknown memory event, which the
 * scheduler turns into a full rescan. */
static void handle_malformed(struct uevent_receiver *r, size_t size, const char *reason) {
        struct uevent ev = {
                .action = UEVENT_ACTION_OTHER,
                .devpath = "",
                .subsystem = UEVENT_SUBSYSTEM_MEMORY,
                .subsystem_text = "memory",
                .index = UEVENT_INDEX_NONE,
        };

        r->stats.malformed++;
        if (!uevent_payload_mentions_memory(r->buf, size)) {
                log_debug("Ignoring malformed uevent: %s", reason);
                return;
        }
        log_warning("Malformed memory uevent (%s), memory will be rescanned", reason);
        deliver(r, &ev);
}

static void handle_payload(struct uevent_receiver *r, size_t size) {
        const char *reason = NULL;
        struct uevent ev;
        int k;

        k = uevent_parse(r->buf, size, &ev, &reason);
        if (k == -EPROTO) {
                r->stats.udev++;
                log_debug("Ignoring uevent: %s", reason);
                return;
        }
        if (k < 0)
                return handle_malformed(r, size, reason);
        if (ev.subsystem == UEVENT_SUBSYSTEM_OTHER) {
                r->stats.ignored++;
                return;
        }
        log_debug("uevent %s %s seq %" PRIu64 "%s", ev.action_text, ev.devpath, ev.seqnum,
                  ev.synthetic ? " (synthetic)" : "");
        deliver(r, &ev);
}

static void report_lost(struct uevent_receiver *r, int error) {
        if (error == -ENOBUFS) {
                r->stats.lost_enobufs++;
                log_warning("uevent socket overflowed (ENOBUFS): events lost, full rescan");
        } else {
                r->stats.truncated++;
                log_warning("uevent larger than %u bytes truncated: event lost, full rescan",
                            UEVENT_PAYLOAD_MAX);
        }
        r->on_lost(r, error, r->userdata);
}

/* Handles one message. Returns 1 to go on draining, 0 when the socket is
 * empty (or failed: the next wakeup retries). */
static int receive_one(struct uevent_receiver *r) {
        struct sockaddr_nl from = {};
        union {
                struct cmsghdr header;
                /* cppcheck-suppress unusedStructMember ; it sizes the buffer */
                uint8_t space[CMSG_SPACE(sizeof(struct ucred))];
        } control = {};
        struct iovec iov = { .iov_base = r->buf, .iov_len = sizeof(r->buf) };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        if (r->kind == UEVENT_SOURCE_NETLINK) {
                msg.msg_name = &from;
                msg.msg_namelen = sizeof(from);
        }
        n = recvmsg(r->fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                if (errno == EINTR)
                        return 1;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return 0;
                if (errno == ENOBUFS) {
                        report_lost(r, -ENOBUFS);
                        return 1;
                }
                log_warning_errno(errno, "Failed to receive a uevent: %m");
                return 0;
        }

        r->stats.received++;
        if (!sender_is_trusted(r, &msg, &from)) {
                r->stats.dropped_sender++;
                return 1;
        }
        if ((size_t) n > sizeof(r->buf) || (msg.msg_flags & MSG_TRUNC)) {
                report_lost(r, -EMSGSIZE);
                return 1;
        }
        handle_payload(r, (size_t) n);
        return 1;
}

static int on_socket_ready(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct uevent_receiver *r = userdata;

        for (unsigned i = 0; i < UEVENT_DRAIN_MAX; i++)
                if (receive_one(r) == 0)
                        break;
        /* Never fail: sd-event would disable the source for good. */
        return 0;
}

/* ---- opening ---- */

static int add_io_source(struct uevent_receiver *r, int fd, const char *description) {
        int k;

        k = sd_event_add_io(r->event, &r->io, fd, EPOLLIN, on_socket_ready, r);
        if (k < 0)
                return log_error_errno(k, "Failed to watch the uevent socket: %m");
        (void) sd_event_source_set_description(r->io, description);
        return 0;
}

static int enable_credentials(int fd) {
        int one = 1;

        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return log_error_errno(errno, "Failed to enable SO_PASSCRED on the uevent socket: %m");
        return 0;
}

/* Events arrive in bursts of thousands (DOMAIN.md 6): ask for 8 MiB. Only
 * CAP_NET_ADMIN may exceed net.core.rmem_max. */
static int grow_receive_buffer(struct uevent_receiver *r, int fd) {
        int size = UEVENT_RCVBUF_SIZE, actual = 0, force_error = 0;
        socklen_t len = sizeof(actual);

        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
                force_error = errno;
                if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
                        return log_error_errno(errno, "Failed to set the uevent receive buffer: %m");
        }
        if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len) < 0)
                return log_error_errno(errno, "Failed to read the uevent receive buffer size: %m");
        r->rcvbuf = actual;
        if (force_error)
                log_warning_errno(force_error,
                                  "Cannot force a %u byte uevent receive buffer (%m); SO_RCVBUF gave %d "
                                  "bytes as the kernel reports it (doubled, capped by net.core.rmem_max): "
                                  "a burst may overflow it and force a full rescan",
                                  UEVENT_RCVBUF_SIZE, actual);
        else
                log_debug("uevent receive buffer: %d bytes", actual);
        return 0;
}

/* libnl reports its own NLE_* codes; the few that matter here as errno. */
static int nl_error_to_errno(int err) {
        switch (err < 0 ? -err : err) {
        case NLE_NOMEM:
                return -ENOMEM;
        case NLE_PERM:
                return -EPERM;
        case NLE_AF_NOSUPPORT:
                return -EAFNOSUPPORT;
        default:
                return -EIO;
        }
}

int uevent_receiver_open_netlink(struct uevent_receiver *r) {
        struct nl_sock *nl;
        int err, k;

        if (r->kind != UEVENT_SOURCE_NONE)
                return -EBUSY;
        nl = nl_socket_alloc();
        if (!nl)
                return -ENOMEM;
        err = nl_connect(nl, NETLINK_KOBJECT_UEVENT);
        if (err >= 0)
                err = nl_socket_add_membership(nl, UEVENT_GROUP_KERNEL);
        if (err >= 0)
                err = nl_socket_set_nonblocking(nl);
        if (err < 0) {
                log_error("Failed to open the kernel uevent socket: %s", nl_geterror(err));
                nl_socket_free(nl);
                return nl_error_to_errno(err);
        }

        r->nl = nl;
        r->fd = nl_socket_get_fd(nl);
        r->kind = UEVENT_SOURCE_NETLINK;
        k = enable_credentials(r->fd);
        if (k >= 0)
                k = grow_receive_buffer(r, r->fd);
        if (k >= 0)
                k = add_io_source(r, r->fd, "uevent-netlink");
        if (k < 0) {
                nl_socket_free(TAKE_PTR(r->nl));
                r->fd = -1;
                r->kind = UEVENT_SOURCE_NONE;
                r->rcvbuf = 0;
        }
        return k;
}

int uevent_receiver_open_test_socket(struct uevent_receiver *r, const char *path) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        socklen_t len = sizeof(int);
        int rcvbuf = 0, k;

        if (r->kind != UEVENT_SOURCE_NONE)
                return -EBUSY;
        if (strlen(path) >= sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        strcpy(addr.sun_path, path);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create the test uevent socket: %m");
        if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return log_error_errno(errno, "Failed to bind the test uevent socket %s: %m", path);
        k = enable_credentials(fd);
        if (k < 0)
                return k;
        (void) getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
        k = add_io_source(r, fd, "uevent-test");
        if (k < 0)
                return k;
        r->rcvbuf = rcvbuf;
        r->fd = TAKE_FD(fd);
        r->kind = UEVENT_SOURCE_TEST;
        return 0;
}

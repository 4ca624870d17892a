/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reception of kernel uevents on an sd-event loop (DESIGN.md, daemon
 * promise 1): a NETLINK_KOBJECT_UEVENT socket on kernel group 1, or, for
 * tests, an AF_UNIX datagram socket carrying the same raw payloads.
 *
 * Every message goes through the same checks: the sender must be the kernel
 * (netlink port id 0, credentials uid 0; the test socket accepts uid 0 and
 * our own uid), a truncated message or ENOBUFS means events were lost, the
 * payload goes through uevent_parse(), and only memory, cpu and node events
 * reach the owner. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "uevent-parse.h"

/* Receive buffer asked for on the netlink socket. */
#define UEVENT_RCVBUF_SIZE (8u * 1024 * 1024)
/* Messages handled per wakeup, so that a storm cannot starve the loop
 * (the io source is level-triggered and fires again). */
#define UEVENT_DRAIN_MAX 256u

struct uevent_receiver;

/* Callbacks run from the loop and must not free the receiver.
 *
 * A parsed memory, cpu or node event. @ev and its strings are valid only
 * during the call. A kernel message that names memory but fails to parse
 * arrives as subsystem memory, action other, index UEVENT_INDEX_NONE,
 * devpath "": the owner must rescan. */
typedef void (*uevent_event_fn)(struct uevent_receiver *r, const struct uevent *ev, void *userdata);
/* Events were lost: @error is -ENOBUFS (the socket overflowed) or
 * -EMSGSIZE (a message was truncated). The owner schedules a full rescan. */
typedef void (*uevent_lost_fn)(struct uevent_receiver *r, int error, void *userdata);

struct uevent_stats {
        uint64_t received;       /* messages read from the socket */
        uint64_t delivered;      /* passed to the event callback */
        uint64_t ignored;        /* parsed, other subsystems */
        uint64_t dropped_sender; /* not from the kernel (port id, uid, no credentials) */
        uint64_t udev;           /* udev's "libudev" re-broadcasts */
        uint64_t malformed;      /* rejected by the parser */
        uint64_t lost_enobufs;   /* ENOBUFS from recvmsg */
        uint64_t truncated;      /* messages larger than the buffer */
};

/* Creates a receiver for @event (a reference is taken); no socket yet. The
 * caller owns the result. */
int uevent_receiver_new(sd_event *event, uevent_event_fn on_event, uevent_lost_fn on_lost,
                        void *userdata, struct uevent_receiver **ret_receiver);
/* Closes the socket; accepts NULL, returns NULL. */
struct uevent_receiver *uevent_receiver_free(struct uevent_receiver *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct uevent_receiver *, uevent_receiver_free)

/* Opens the kernel's uevent socket (group 1) with a receive buffer of
 * UEVENT_RCVBUF_SIZE (SO_RCVBUFFORCE, else SO_RCVBUF with a warning) and
 * adds it to the loop. Call it before the first scan: events that arrive
 * during the scan wait in the buffer. -EBUSY when a socket is already open. */
int uevent_receiver_open_netlink(struct uevent_receiver *r);

/* Test source: an AF_UNIX SOCK_DGRAM socket bound at @path (which must not
 * exist; the caller removes it), each datagram one raw payload. -EBUSY when
 * a socket is already open. */
int uevent_receiver_open_test_socket(struct uevent_receiver *r, const char *path);

/* Bytes of receive buffer the kernel reports (SO_RCVBUF, which is twice
 * what was granted), 0 before a socket is open. */
int uevent_receiver_get_rcvbuf(const struct uevent_receiver *r);

/* Counters since creation (borrowed, updated in place). */
const struct uevent_stats *uevent_receiver_get_stats(const struct uevent_receiver *r);

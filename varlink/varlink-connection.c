/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client connection of the varlink server: non-blocking reads into the
 * framer, in-order dispatch, a bounded output queue written with EPOLLOUT
 * only while non-empty, and deferred closing.
 *
 * The socket is edge-triggered: with level-triggered events, sd-event's
 * epoll_wait() (one per dispatched source) handed back every connection
 * with a call waiting, again and again, and with 64 busy clients that cost
 * more than answering the calls. So the connection remembers that input
 * may be waiting (readable, until a read comes back short) and gives
 * itself turns (conn_yield) while it has work the kernel will not signal
 * again. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "varlink-internal.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* How much one read takes: bounds the work done for one client per loop
 * iteration. */
#define READ_CHUNK (64u * 1024u)
/* An idle connection gives back a large output buffer. */
#define OUT_KEEP_IDLE (64u * 1024u)
/* Calls answered per connection before the others get their turn: a
 * client that pipelines thousands of calls (or never reads its replies
 * until it is cut off) must not hold the loop while everyone waits. */
#define CALLS_PER_TURN 1u

#define PEER_FMT "pid %d uid %u"
#define PEER_ARGS(c) (int) (c)->cred.pid, (unsigned) (c)->cred.uid

static void conn_update_events(struct varlink_connection *c);
static void conn_turn(struct varlink_connection *c);

struct varlink_connection *varlink_connection_ref(struct varlink_connection *c) {
        c->n_ref++;
        return c;
}

void varlink_connection_unref(struct varlink_connection *c) {
        if (!c || --c->n_ref > 0)
                return;
        varlink_frame_done(&c->input);
        free(c->out);
        free(c->groups);
        free(c);
}

/* Close from the loop, never from inside a handler's reply: a handler
 * that broadcasts to many calls must not see them vanish mid-iteration. */
void varlink_connection_disconnect(struct varlink_connection *c) {
        if (c->dead || !c->server)
                return;
        c->dead = true;
        (void) sd_event_source_set_enabled(c->io_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
}

/* Asks for a turn (conn_turn()) from the loop: a call finished outside it. */
void varlink_connection_schedule(struct varlink_connection *c) {
        if (!c->dead && c->server)
                (void) sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
}

static size_t conn_unsent(const struct varlink_connection *c) {
        return c->out_end - c->out_start;
}

/* The client shut down its sending side and every call it sent is over. */
static bool conn_input_done(struct varlink_connection *c) {
        return c->read_eof && !c->current && !varlink_frame_has_message(&c->input);
}

/* Writes as much of the output queue as the socket takes now. */
static void conn_flush(struct varlink_connection *c) {
        while (!c->dead && conn_unsent(c) > 0) {
                ssize_t k = send(c->fd, c->out + c->out_start, conn_unsent(c),
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                varlink_connection_disconnect(c);
                        break;
                }
                c->out_start += (size_t) k;
        }
        if (conn_unsent(c) == 0) {
                c->out_start = c->out_end = 0;
                if (c->out_size > OUT_KEEP_IDLE) {
                        free(c->out);
                        c->out = NULL;
                        c->out_size = 0;
                }
        }
}

/* Appends one message made of @n @parts (plus its NUL) to the output queue
 * and tries to send it. A client that let more than the limit pile up is
 * cut off: checking before appending still lets a single large reply
 * through. */
static int conn_enqueue(struct varlink_connection *c, const struct iovec *parts, size_t n) {
        size_t len = 0, need;

        if (c->dead || !c->server)
                return -ENOTCONN;
        if (conn_unsent(c) > c->server->limits.max_output_queue) {
                log_warning("varlink: client " PEER_FMT " does not read its replies (%zu bytes unsent), "
                            "disconnecting", PEER_ARGS(c), conn_unsent(c));
                varlink_connection_disconnect(c);
                return -ENOBUFS;
        }
        for (size_t i = 0; i < n; i++)
                len += parts[i].iov_len;
        /* Compact only when out of room, so a long queue is not moved for
         * every small message. */
        if (c->out_end + len + 1 > c->out_size && c->out_start > 0) {
                memmove(c->out, c->out + c->out_start, conn_unsent(c));
                c->out_end -= c->out_start;
                c->out_start = 0;
        }
        need = c->out_end + len + 1;
        if (need > c->out_size) {
                size_t size = c->out_size * 2 > need ? c->out_size * 2 : need;
                char *p = realloc(c->out, size);

                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_size = size;
        }
        for (size_t i = 0; i < n; i++) {
                memcpy(c->out + c->out_end, parts[i].iov_base, parts[i].iov_len);
                c->out_end += parts[i].iov_len;
        }
        c->out[c->out_end++] = '\0';

        conn_flush(c);
        conn_update_events(c);
        return 0;
}

int varlink_connection_send(struct varlink_connection *c, const char *error,
                            struct json_object *parameters, bool continues) {
        _cleanup_(json_object_putp) struct json_object *params = parameters, *root = NULL;
        const char *text;
        size_t len;

        if (!params && !(params = json_object_new_object()))
                return -ENOMEM;
        root = json_object_new_object();
        if (!root)
                return -ENOMEM;
        if ((error && mj_add(root, "error", json_object_new_string(error)) < 0) ||
            mj_add(root, "parameters", TAKE_PTR(params)) < 0 ||
            (continues && mj_add(root, "continues", json_object_new_boolean(1)) < 0))
                return -ENOMEM;
        text = varlink_json_to_string(root, &len);
        if (!text)
                return -ENOMEM;
        return conn_enqueue(c, &(struct iovec) { .iov_base = (char *) text, .iov_len = len }, 1);
}

int varlink_connection_send_serialized(struct varlink_connection *c, const char *parameters, size_t len) {
        static const char head[] = "{\"parameters\":", tail[] = "}";
        const struct iovec parts[] = {
                { .iov_base = (char *) head, .iov_len = sizeof(head) - 1 },
                { .iov_base = (char *) parameters, .iov_len = len },
                { .iov_base = (char *) tail, .iov_len = sizeof(tail) - 1 },
        };

        return conn_enqueue(c, parts, ELEMENTSOF(parts));
}

/* EPOLLOUT only while replies wait. sd-event re-arms an edge-triggered
 * source on every call, so unchanged events are not passed on. */
static void conn_update_events(struct varlink_connection *c) {
        uint32_t events = EPOLLIN | EPOLLRDHUP | EPOLLET;

        if (c->dead || !c->server)
                return;
        if (conn_unsent(c) > 0)
                events |= EPOLLOUT;
        if (events == c->io_events)
                return;
        if (sd_event_source_set_io_events(c->io_source, events) < 0)
                varlink_connection_disconnect(c);
        c->io_events = events;
}

/* Garbage on the wire: a best-effort InvalidParameter, then goodbye. */
static void conn_protocol_error(struct varlink_connection *c, const char *field, const char *detail) {
        _cleanup_(json_object_putp) struct json_object *params = json_object_new_object();

        log_notice("varlink: invalid message from " PEER_FMT ": %s, disconnecting", PEER_ARGS(c), detail);
        if (params && mj_add(params, "parameter", json_object_new_string(field)) == 0)
                (void) varlink_connection_send(c, VARLINK_ERROR_INVALID_PARAMETER,
                                               TAKE_PTR(params), false);
        varlink_connection_disconnect(c);
}

static void conn_handle_message(struct varlink_connection *c, const char *text, size_t len) {
        _cleanup_(varlink_call_message_done) struct varlink_call_message m = {};
        _cleanup_(varlink_call_unrefp) struct varlink_call *call = NULL;
        const char *field = "", *detail = "";
        int r;

        r = varlink_call_message_parse(text, len, c->server->limits.max_depth, &m, &field, &detail);
        if (r == -ENOMEM) {
                log_error("varlink: out of memory parsing a call, disconnecting");
                varlink_connection_disconnect(c);
                return;
        }
        if (r < 0) {
                conn_protocol_error(c, field, detail);
                return;
        }

        call = varlink_call_new(c, &m);
        if (!call) {
                varlink_connection_disconnect(c);
                return;
        }
        if (!call->message.oneway)
                c->current = varlink_call_ref(call);
        varlink_server_dispatch(c->server, call);
        /* A oneway call is over when its handler returns. */
        if (call->message.oneway)
                call->finished = true;
}

static int on_turn(sd_event_source *source, void *userdata) {
        struct varlink_connection *c = userdata;

        c->turn_source = sd_event_source_disable_unref(c->turn_source);
        if (!c->dead)
                conn_turn(c);
        return 0;
}

/* Queues the connection's next turn behind every source pending now. A
 * new defer source each time: sd-event keeps a re-enabled defer source's
 * first pending iteration, so re-arming defer_source would put it ahead
 * of the other clients for ever. */
static void conn_yield(struct varlink_connection *c) {
        if (c->turn_source)
                return;
        if (sd_event_add_defer(c->server->event, &c->turn_source, on_turn, c) < 0)
                varlink_connection_schedule(c);
}

/* Handles up to CALLS_PER_TURN complete messages buffered, in order,
 * stopping while a call is open. */
static void conn_process(struct varlink_connection *c) {
        unsigned handled = 0;

        c->dispatching = true;
        while (!c->dead && c->server && !c->current && handled < CALLS_PER_TURN) {
                char *text;
                size_t len;
                int r;

                r = varlink_frame_next(&c->input, &text, &len);

                if (r == -EMSGSIZE) {
                        log_warning("varlink: message from " PEER_FMT " exceeds %zu bytes, disconnecting",
                                    PEER_ARGS(c), c->server->limits.max_message_size);
                        varlink_connection_disconnect(c);
                }
                if (r <= 0)
                        break;
                conn_handle_message(c, text, len);
                handled++;
        }
        c->dispatching = false;

        if (!c->dead && c->server && conn_input_done(c)) {
                /* The client said all it had to say: finish once the replies
                 * are out. Leftover bytes were a message without its NUL. */
                if (varlink_frame_pending(&c->input) > 0) {
                        log_notice("varlink: " PEER_FMT " closed with an unterminated message, "
                                   "disconnecting", PEER_ARGS(c));
                        varlink_connection_disconnect(c);
                } else if (conn_unsent(c) == 0)
                        varlink_connection_disconnect(c);
        }
        conn_update_events(c);
}

/* Reads once into the framer. A short read emptied the socket: new input,
 * and the peer's shutdown, bring a new edge. */
static void conn_read(struct varlink_connection *c) {
        char *space;
        size_t room;
        ssize_t k;

        if (varlink_frame_get_space(&c->input, READ_CHUNK, &space, &room) < 0) {
                log_error("varlink: out of memory reading from " PEER_FMT ", disconnecting",
                          PEER_ARGS(c));
                varlink_connection_disconnect(c);
                return;
        }
        if (room == 0)
                return; /* a message over the limit: conn_process() says so */
        k = recv(c->fd, space, room, MSG_DONTWAIT);
        if (k < 0) {
                if (errno == EINTR)
                        return;
                if (errno == EAGAIN) {
                        c->readable = false;
                        return;
                }
                if (errno != ECONNRESET)
                        log_debug_errno(-errno, "varlink: reading from " PEER_FMT " failed: %m",
                                        PEER_ARGS(c));
                varlink_connection_disconnect(c);
                return;
        }
        if (k == 0) {
                c->read_eof = true;
                return;
        }
        varlink_frame_commit(&c->input, (size_t) k);
        /* After the peer's shutdown, read on until the end of file: it
         * brings no edge of its own. */
        if ((size_t) k < room && !c->peer_shut_down)
                c->readable = false;
}

/* Input is read only while no call is open and none is buffered:
 * pipelined calls wait in the kernel's socket buffer, which keeps ours
 * bounded. */
static bool conn_wants_input(struct varlink_connection *c) {
        return !c->dead && c->server && !c->current && !c->read_eof && c->readable &&
               !varlink_frame_has_message(&c->input);
}

/* One turn: read once when input is needed, answer at most CALLS_PER_TURN
 * calls, and queue the next turn while work is left that no event will
 * announce (a buffered call, input not read yet). */
static void conn_turn(struct varlink_connection *c) {
        varlink_connection_ref(c);
        if (conn_wants_input(c))
                conn_read(c);
        conn_process(c);
        if (!c->dead && c->server && !c->current &&
            (varlink_frame_has_message(&c->input) || conn_wants_input(c)))
                conn_yield(c);
        varlink_connection_unref(c);
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct varlink_connection *c = userdata;

        varlink_connection_ref(c);
        if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                c->readable = true;
        if (revents & (EPOLLRDHUP | EPOLLHUP))
                c->peer_shut_down = true;
        if (revents & EPOLLOUT) {
                conn_flush(c);
                /* Half-closed clients are done once their replies are out. */
                if (conn_input_done(c) && conn_unsent(c) == 0)
                        varlink_connection_disconnect(c);
                conn_update_events(c);
        }
        if (!c->dead && (revents & (EPOLLHUP | EPOLLERR)) && (c->current || c->read_eof))
                /* Peer gone while we are not reading (an open stream, or
                 * replies to a client that had shut down its side). */
                varlink_connection_disconnect(c);
        if (!c->dead)
                conn_turn(c);
        varlink_connection_unref(c);
        return 0;
}

static int on_defer(sd_event_source *source, void *userdata) {
        struct varlink_connection *c = userdata;

        if (c->dead)
                varlink_connection_close(c);
        else
                conn_turn(c);
        return 0;
}

/* Supplementary groups of the peer; an old kernel without SO_PEERGROUPS
 * leaves the list empty (the primary group is still known). */
static int peer_groups(int fd, gid_t **ret, size_t *ret_n) {
        size_t n = 16;

        for (;;) {
                _cleanup_(freep) gid_t *gids = calloc(n, sizeof(gid_t));
                socklen_t len = (socklen_t) (n * sizeof(gid_t));

                if (!gids)
                        return -ENOMEM;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) == 0) {
                        *ret_n = len / sizeof(gid_t);
                        *ret = TAKE_PTR(gids);
                        return 0;
                }
                if (errno == ENOPROTOOPT || errno == ENODATA) {
                        *ret_n = 0;
                        *ret = NULL;
                        return 0;
                }
                if (errno != ERANGE || len / sizeof(gid_t) <= n || n >= NGROUPS_MAX)
                        return -errno;
                n = len / sizeof(gid_t);
        }
}

int varlink_connection_new(struct varlink_server *s, int fd, const struct ucred *cred) {
        _cleanup_(closep) int owned_fd = fd;
        struct varlink_connection *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->fd = fd;
        c->cred = *cred;
        c->io_events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        varlink_frame_init(&c->input, s->limits.max_message_size);

        r = peer_groups(fd, &c->groups, &c->n_groups);
        if (r >= 0)
                r = sd_event_add_io(s->event, &c->io_source, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, on_io, c);
        if (r >= 0) {
                (void) sd_event_source_set_io_fd_own(c->io_source, true);
                TAKE_FD(owned_fd);
                r = sd_event_add_defer(s->event, &c->defer_source, on_defer, c);
        }
        if (r >= 0)
                r = sd_event_source_set_enabled(c->defer_source, SD_EVENT_OFF);
        if (r < 0) {
                sd_event_source_disable_unref(c->io_source);
                sd_event_source_disable_unref(c->defer_source);
                varlink_connection_unref(c);
                return r;
        }

        c->server = s;
        c->next = s->connections;
        if (s->connections)
                s->connections->prev = c;
        s->connections = c;
        s->n_connections++;
        return 0;
}

void varlink_connection_close(struct varlink_connection *c) {
        struct varlink_server *s = c->server;
        struct varlink_call *call;

        if (!s)
                return;
        c->dead = true;
        c->io_source = sd_event_source_disable_unref(c->io_source); /* closes fd */
        c->fd = -1;
        c->defer_source = sd_event_source_disable_unref(c->defer_source);
        c->turn_source = sd_event_source_disable_unref(c->turn_source);
        if (c->prev)
                c->prev->next = c->next;
        else
                s->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        s->n_connections--;
        c->server = NULL;
        varlink_frame_done(&c->input);

        call = TAKE_PTR(c->current);
        if (call) {
                varlink_disconnect_fn fn = TAKE_PTR(call->on_disconnect);

                if (fn)
                        fn(call, call->disconnect_userdata);
                varlink_call_unref(call);
        }
        varlink_connection_unref(c);
}

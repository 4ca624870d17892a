/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"
#include "varlink-client.h"
#include "varlink-protocol.h"

#define READ_CHUNK (64u * 1024u)

static uint64_t deadline_after(uint64_t timeout_usec) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        return timeout_usec >= UINT64_MAX - now ? UINT64_MAX : now + timeout_usec;
}

/* Waits for @events on @fd until @deadline: 0 when ready, -ETIMEDOUT. */
static int wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int timeout_ms = -1, r;

                if (deadline != UINT64_MAX) {
                        uint64_t now = now_usec(CLOCK_MONOTONIC), left = deadline > now ? deadline - now : 0;

                        /* Round up so a short timeout does not become a busy loop. */
                        left = (left + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                        timeout_ms = left > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int) left;
                }
                r = poll(&p, 1, timeout_ms);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0)
                        return 0;
                if (r == 0 && deadline != UINT64_MAX && now_usec(CLOCK_MONOTONIC) >= deadline)
                        return -ETIMEDOUT;
        }
}

static int client_connect(const char *path, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;

        if (!path || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* A full backlog gives EAGAIN on a non-blocking AF_UNIX connect. */
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline) {
        while (len > 0) {
                ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);
                int r;

                if (k >= 0) {
                        buf += k;
                        len -= (size_t) k;
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return errno == EPIPE ? -ECONNRESET : -errno;
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int send_call(int fd, const char *method, struct json_object *parameters, unsigned flags,
                     uint64_t deadline) {
        _cleanup_(json_object_putp) struct json_object *params = parameters, *call = NULL;
        const char *text;
        size_t len;
        int r;

        if (!params && !(params = json_object_new_object()))
                return -ENOMEM;
        call = json_object_new_object();
        if (!call)
                return -ENOMEM;
        if (mj_add(call, "method", json_object_new_string(method)) < 0 ||
            mj_add(call, "parameters", TAKE_PTR(params)) < 0 ||
            ((flags & VARLINK_CLIENT_MORE) &&
             mj_add(call, "more", json_object_new_boolean(1)) < 0) ||
            ((flags & VARLINK_CLIENT_ONEWAY) &&
             mj_add(call, "oneway", json_object_new_boolean(1)) < 0))
                return -ENOMEM;
        text = varlink_json_to_string(call, &len);
        if (!text)
                return -ENOMEM;
        r = send_all(fd, text, len, deadline);
        if (r < 0)
                return r;
        return send_all(fd, "", 1, deadline); /* the terminating NUL */
}

static int read_reply(int fd, struct varlink_frame *f, uint64_t deadline,
                      struct varlink_reply_message *ret) {
        for (;;) {
                char *text, *space;
                size_t len, room;
                ssize_t k;
                int r;

                r = varlink_frame_next(f, &text, &len);
                if (r < 0)
                        return r;
                if (r > 0)
                        return varlink_reply_message_parse(text, len, VARLINK_CLIENT_MAX_DEPTH, ret,
                                                           NULL);
                r = varlink_frame_get_space(f, READ_CHUNK, &space, &room);
                if (r < 0)
                        return r;
                k = recv(fd, space, room, 0);
                if (k > 0) {
                        varlink_frame_commit(f, (size_t) k);
                        continue;
                }
                if (k == 0 || errno == ECONNRESET)
                        return -ECONNRESET;
                if (errno != EAGAIN && errno != EINTR)
                        return negative_errno(); /* never 0: the caller reads *ret on 0 */
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}

int varlink_client_call(const char *path, const char *method, struct json_object *parameters,
                        unsigned flags, uint64_t timeout_usec, varlink_reply_fn fn, void *userdata) {
        _cleanup_(closep) int fd = -1;
        struct varlink_frame frame;
        int r;

        r = client_connect(path, &fd);
        if (r < 0) {
                json_object_put(parameters);
                return r;
        }
        r = send_call(fd, method, parameters, flags, deadline_after(timeout_usec));
        if (r < 0 || (flags & VARLINK_CLIENT_ONEWAY))
                return r;

        varlink_frame_init(&frame, VARLINK_CLIENT_MAX_REPLY);
        for (;;) {
                struct varlink_reply_message reply;
                bool continues;

                r = read_reply(fd, &frame, deadline_after(timeout_usec), &reply);
                if (r < 0)
                        break;
                continues = reply.continues && !reply.error;
                r = fn ? fn(reply.parameters, reply.error, continues, userdata) : 0;
                varlink_reply_message_done(&reply);
                if (r < 0 || !continues)
                        break;
        }
        varlink_frame_done(&frame);
        return r < 0 ? r : 0;
}

struct one_reply {
        struct json_object *parameters;
        char *error;
};

static int collect_one(struct json_object *parameters, const char *error, bool continues,
                       void *userdata) {
        struct one_reply *one = userdata;

        if (continues)
                return -EBADMSG; /* we did not ask for a stream */
        if (error && !(one->error = strdup(error)))
                return -ENOMEM;
        one->parameters = json_object_get(parameters);
        return 0;
}

int varlink_client_call_one(const char *path, const char *method, struct json_object *parameters,
                            uint64_t timeout_usec, struct json_object **ret_parameters,
                            char **ret_error) {
        struct one_reply one = {};
        int r;

        r = varlink_client_call(path, method, parameters, 0, timeout_usec, collect_one, &one);
        if (r < 0) {
                json_object_put(one.parameters);
                free(one.error);
                return r;
        }
        *ret_parameters = one.parameters;
        *ret_error = one.error;
        return 0;
}

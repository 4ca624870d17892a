/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client connection of bench-query-load (see query-conn.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "query-conn.h"
#include "varlink-client.h"

#define READ_CHUNK (256u * 1024u)

int conn_open(const char *path, bool nonblocking, struct conn *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        ret->fd = fd;
        varlink_frame_init(&ret->frame, VARLINK_CLIENT_MAX_REPLY);
        return 0;
}

void conn_close(struct conn *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        varlink_frame_done(&c->frame);
}

static int send_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                buf += k;
                len -= (size_t) k;
        }
        return 0;
}

int conn_call(struct conn *c, char **ret_text, size_t *ret_len) {
        int r = send_all(c->fd, QUERY_CALL_TEXT, sizeof(QUERY_CALL_TEXT)); /* the NUL included */

        if (r < 0)
                return r;
        for (;;) {
                char *space;
                size_t room;
                ssize_t k;

                r = varlink_frame_next(&c->frame, ret_text, ret_len);
                if (r != 0)
                        return r < 0 ? r : 0;
                r = varlink_frame_get_space(&c->frame, READ_CHUNK, &space, &room);
                if (r < 0)
                        return r;
                k = recv(c->fd, space, room, 0);
                if (k == 0)
                        return -ECONNRESET;
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                varlink_frame_commit(&c->frame, (size_t) k);
        }
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink server: listening sockets, accept with connection limits,
 * interface registry, method dispatch and the built-in
 * org.varlink.service interface. Connections live in varlink-connection.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "varlink-internal.h"

/* After EMFILE and the like, accepting pauses instead of spinning. */
#define ACCEPT_RETRY_USEC (100u * 1000u)
/* At most one refused connection logged per interval. */
#define REFUSAL_LOG_INTERVAL_USEC (5u * 1000u * 1000u)

static int service_get_info(struct varlink_call *call, struct json_object *params, void *userdata);
static int service_get_interface_description(struct varlink_call *call, struct json_object *params,
                                             void *userdata);

static const struct varlink_method service_methods[] = {
        { "GetInfo", service_get_info, 0, VARLINK_ACCESS_ANYONE },
        { "GetInterfaceDescription", service_get_interface_description, 0, VARLINK_ACCESS_ANYONE },
        {},
};

static const struct varlink_interface service_interface = {
        .name = "org.varlink.service",
        .description =
                "# Introspection interface that every varlink service implements.\n"
                "interface org.varlink.service\n"
                "\n"
                "# Describes this service and lists the interfaces it serves.\n"
                "method GetInfo() -> (\n"
                "  vendor: string,\n"
                "  product: string,\n"
                "  version: string,\n"
                "  url: string,\n"
                "  interfaces: []string\n"
                ")\n"
                "\n"
                "# Returns the IDL text of one of the served interfaces.\n"
                "method GetInterfaceDescription(interface: string) -> (description: string)\n"
                "\n"
                "# No interface of that name is served here.\n"
                "error InterfaceNotFound (interface: string)\n"
                "\n"
                "# The interface has no method of that name.\n"
                "error MethodNotFound (method: string)\n"
                "\n"
                "# The method is declared but this service does not implement it.\n"
                "error MethodNotImplemented (method: string)\n"
                "\n"
                "# A parameter is missing, has the wrong type or an invalid value.\n"
                "error InvalidParameter (parameter: string)\n"
                "\n"
                "# The caller may not call this method.\n"
                "error PermissionDenied ()\n"
                "\n"
                "# The method streams its replies and must be called with \"more\".\n"
                "error ExpectedMore ()\n",
        .methods = service_methods,
};

static void limits_fill_defaults(struct varlink_limits *l) {
        if (l->max_message_size == 0)
                l->max_message_size = VARLINK_DEFAULT_MAX_MESSAGE_SIZE;
        if (l->max_depth == 0)
                l->max_depth = VARLINK_DEFAULT_MAX_DEPTH;
        if (l->max_connections == 0)
                l->max_connections = VARLINK_DEFAULT_MAX_CONNECTIONS;
        if (l->max_connections_per_uid == 0)
                l->max_connections_per_uid = VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID;
        if (l->max_output_queue == 0)
                l->max_output_queue = VARLINK_DEFAULT_MAX_OUTPUT_QUEUE;
}

static int strdup_or_empty(const char *s, char **ret) {
        *ret = strdup(s ?: "");
        return *ret ? 0 : -ENOMEM;
}

int varlink_server_new(sd_event *event, const struct varlink_service_info *info,
                       const struct varlink_limits *limits, struct varlink_server **ret) {
        _cleanup_(varlink_server_freep) struct varlink_server *s = NULL;
        int r;

        if (!event || !info || !ret)
                return -EINVAL;
        if (info->internal_error && !varlink_qualified_name_is_valid(info->internal_error))
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        if (limits)
                s->limits = *limits;
        limits_fill_defaults(&s->limits);

        if (strdup_or_empty(info->vendor, &s->vendor) < 0 ||
            strdup_or_empty(info->product, &s->product) < 0 ||
            strdup_or_empty(info->version, &s->version) < 0 ||
            strdup_or_empty(info->url, &s->url) < 0)
                return -ENOMEM;
        if (info->internal_error && !(s->internal_error = strdup(info->internal_error)))
                return -ENOMEM;

        r = varlink_server_add_interface(s, &service_interface, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

struct varlink_server *varlink_server_free(struct varlink_server *s) {
        if (!s)
                return NULL;
        while (s->connections)
                varlink_connection_close(s->connections);
        for (size_t k = 0; k < s->n_listeners; k++)
                sd_event_source_disable_unref(s->listeners[k]); /* closes the fd */
        free(s->listeners);
        sd_event_source_disable_unref(s->accept_retry);
        if (s->bound_path)
                (void) unlink(s->bound_path);
        free(s->bound_path);
        for (size_t k = 0; k < s->n_interfaces; k++)
                varlink_idl_methods_clear(&s->interfaces[k].idl);
        free(s->interfaces);
        free(s->vendor);
        free(s->product);
        free(s->version);
        free(s->url);
        free(s->internal_error);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

static const struct varlink_registration *find_interface(const struct varlink_server *s,
                                                         const char *name, size_t name_len) {
        for (size_t k = 0; k < s->n_interfaces; k++) {
                const char *n = s->interfaces[k].iface->name;

                if (strlen(n) == name_len && memcmp(n, name, name_len) == 0)
                        return &s->interfaces[k];
        }
        return NULL;
}

static const struct varlink_method *find_method(const struct varlink_interface *iface, const char *name) {
        for (const struct varlink_method *m = iface->methods; m && m->name; m++)
                if (strcmp(m->name, name) == 0)
                        return m;
        return NULL;
}

/* The table and the description declare the same methods: each of the
 * table's once and in the description, and as many. */
static int methods_agree(const struct varlink_interface *iface, const struct varlink_idl_methods *idl) {
        size_t n = 0;

        for (const struct varlink_method *m = iface->methods; m && m->name; m++, n++) {
                if (!varlink_member_name_is_valid(m->name) || find_method(iface, m->name) != m ||
                    !varlink_idl_methods_find(idl, m->name))
                        return -EINVAL;
                if (m->access == VARLINK_ACCESS_TRUSTED &&
                    (!iface->caller_is_trusted || !varlink_qualified_name_is_valid(iface->untrusted_error)))
                        return -EINVAL;
        }
        return n == idl->n ? 0 : -EINVAL;
}

int varlink_server_add_interface(struct varlink_server *s, const struct varlink_interface *iface,
                                 void *userdata) {
        struct varlink_idl_methods idl = {};
        struct varlink_registration *p;
        int r;

        if (!iface || !varlink_interface_name_is_valid(iface->name) || !iface->description)
                return -EINVAL;
        if (find_interface(s, iface->name, strlen(iface->name)))
                return -EEXIST;
        r = varlink_idl_parse_methods(iface->description, &idl);
        if (r == -EBADMSG)
                r = -EINVAL;
        if (r >= 0)
                r = methods_agree(iface, &idl);
        if (r < 0) {
                varlink_idl_methods_clear(&idl);
                return r;
        }

        p = reallocarray(s->interfaces, s->n_interfaces + 1, sizeof(*p));
        if (!p) {
                varlink_idl_methods_clear(&idl);
                return -ENOMEM;
        }
        s->interfaces = p;
        s->interfaces[s->n_interfaces++] = (struct varlink_registration) { iface, userdata, idl };
        return 0;
}

unsigned varlink_server_n_connections(const struct varlink_server *s) {
        return s->n_connections;
}

/* ---- accepting ---- */

static void listeners_enable(struct varlink_server *s, int enabled) {
        for (size_t k = 0; k < s->n_listeners; k++)
                (void) sd_event_source_set_enabled(s->listeners[k], enabled);
}

static int on_accept_retry(sd_event_source *source, uint64_t usec, void *userdata) {
        struct varlink_server *s = userdata;

        s->accept_retry = sd_event_source_disable_unref(s->accept_retry);
        listeners_enable(s, SD_EVENT_ON);
        return 0;
}

/* Out of fds or memory: the listening socket stays readable, so pause
 * instead of spinning on it. */
static void accept_pause(struct varlink_server *s, int error) {
        log_warning_errno(error, "varlink: cannot accept connections: %m; pausing");
        if (s->accept_retry)
                return;
        if (sd_event_add_time_relative(s->event, &s->accept_retry, CLOCK_MONOTONIC, ACCEPT_RETRY_USEC,
                                       0, on_accept_retry, s) >= 0)
                listeners_enable(s, SD_EVENT_OFF);
}

static unsigned connections_of_uid(const struct varlink_server *s, uid_t uid) {
        unsigned n = 0;

        for (const struct varlink_connection *c = s->connections; c; c = c->next)
                n += c->cred.uid == uid;
        return n;
}

/* A client that connects in a loop must not flood the journal, whose own
 * rate limit would then drop the daemon's other messages: true for at
 * most one refusal of a kind per interval, the others are counted. */
static bool refusal_log_allowed(struct varlink_server *s, struct varlink_refusal_log *l, const char *kind) {
        uint64_t now;

        if (sd_event_now(s->event, CLOCK_MONOTONIC, &now) < 0)
                return true;
        if (l->logged_usec > 0 && now - l->logged_usec < REFUSAL_LOG_INTERVAL_USEC) {
                l->unlogged++;
                return false;
        }
        if (l->unlogged > 0)
                log_notice("varlink: %u more connections refused (%s) since the last message", l->unlogged, kind);
        l->unlogged = 0;
        l->logged_usec = now;
        return true;
}

/* Root may use every slot; others leave one in VARLINK_ROOT_SHARE free for
 * it, so that users filling the socket (16 uids x 16 connections is the
 * default total) cannot lock root's memrangectl or monitoring out. */
static unsigned connection_limit_for(const struct varlink_server *s, uid_t uid) {
        unsigned total = s->limits.max_connections;

        return uid == 0 ? total : total - total / VARLINK_ROOT_SHARE;
}

static bool connection_allowed(struct varlink_server *s, const struct ucred *cred) {
        if (s->n_connections >= connection_limit_for(s, cred->uid)) {
                if (refusal_log_allowed(s, &s->refused_total, "connection limit"))
                        log_notice("varlink: %u connections open, refusing pid %d uid %u", s->n_connections,
                                   (int) cred->pid, (unsigned) cred->uid);
                return false;
        }
        if ((cred->uid != 0 || s->limits.per_uid_limit_for_root) &&
            connections_of_uid(s, cred->uid) >= s->limits.max_connections_per_uid) {
                if (refusal_log_allowed(s, &s->refused_per_uid, "per-user limit"))
                        log_notice("varlink: uid %u already has %u connections, refusing pid %d",
                                   (unsigned) cred->uid, s->limits.max_connections_per_uid, (int) cred->pid);
                return false;
        }
        return true;
}

int varlink_server_add_connection(struct varlink_server *s, int fd, const struct ucred *peer) {
        _cleanup_(closep) int owned_fd = fd;

        if (!connection_allowed(s, peer))
                return -EUSERS;
        return varlink_connection_new(s, TAKE_FD(owned_fd), peer);
}

static int on_listen(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct varlink_server *s = userdata;
        _cleanup_(closep) int cfd = -1;
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        accept_pause(s, -errno);
                else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_debug_errno(-errno, "varlink: accept failed: %m");
                return 0;
        }
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_debug_errno(-errno, "varlink: no peer credentials: %m");
                return 0;
        }
        if (!connection_allowed(s, &cred))
                return 0;
        r = varlink_connection_new(s, TAKE_FD(cfd), &cred);
        if (r < 0)
                log_warning_errno(r, "varlink: cannot set up connection of pid %d: %m", (int) cred.pid);
        return 0;
}

int varlink_server_listen_fd(struct varlink_server *s, int fd) {
        _cleanup_(closep) int owned_fd = fd;
        sd_event_source **p;
        int flags, r;

        r = sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOTSOCK;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;

        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        p = reallocarray(s->listeners, s->n_listeners + 1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        s->listeners = p;
        r = sd_event_add_io(s->event, &s->listeners[s->n_listeners], fd, EPOLLIN, on_listen, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(s->listeners[s->n_listeners], true);
        TAKE_FD(owned_fd);
        if (s->accept_retry)
                (void) sd_event_source_set_enabled(s->listeners[s->n_listeners], SD_EVENT_OFF);
        s->n_listeners++;
        return 0;
}

/* Removes a leftover socket at @path, but never a live one (another
 * daemon still answering) and never anything that is not a socket. */
static int remove_stale_socket(const struct sockaddr_un *sa) {
        _cleanup_(closep) int probe = -1;
        struct stat st;

        if (lstat(sa->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0)
                return -errno;
        if (connect(probe, (const struct sockaddr *) sa, sizeof(*sa)) == 0)
                return -EADDRINUSE;
        if (unlink(sa->sun_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int varlink_server_listen_path(struct varlink_server *s, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX }, final = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        int r;

        if (!path || path[0] != '/' || s->bound_path)
                return -EINVAL;
        /* Bound under a temporary name and renamed once listening, so a
         * client never finds the path before connect() can succeed. */
        r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d.tmp", path, (int) getpid());
        if (r < 0 || (size_t) r >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(final.sun_path, path);

        r = remove_stale_socket(&final);
        if (r < 0)
                return r;
        (void) unlink(sa.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* Anyone may connect; each method checks the caller's privileges. */
        if (chmod(sa.sun_path, 0666) < 0 || listen(fd, SOMAXCONN) < 0 ||
            rename(sa.sun_path, path) < 0) {
                r = -errno;
                (void) unlink(sa.sun_path);
                return r;
        }
        s->bound_path = strdup(path);
        if (!s->bound_path) {
                (void) unlink(path);
                return -ENOMEM;
        }
        return varlink_server_listen_fd(s, TAKE_FD(fd));
}

/* ---- dispatch ---- */

static int reply_error_string(struct varlink_call *call, const char *error, const char *key,
                              const char *value) {
        struct json_object *params = json_object_new_object();

        if (!params || mj_add(params, key, json_object_new_string(value)) < 0) {
                json_object_put(params);
                return -ENOMEM;
        }
        return varlink_call_error(call, error, params);
}

/* Finds the handler and reports the org.varlink.service errors; returns
 * NULL when the call was answered here. */
static const struct varlink_method *lookup(struct varlink_server *s, struct varlink_call *call,
                                           const struct varlink_registration **ret_reg) {
        const char *method = varlink_call_method(call);
        const char *dot = strrchr(method, '.'); /* the parser checked the name */
        const struct varlink_registration *reg;
        const struct varlink_method *m;
        _cleanup_(freep) char *iface = NULL;

        reg = find_interface(s, method, (size_t) (dot - method));
        if (!reg) {
                iface = strndup(method, (size_t) (dot - method));
                if (!iface || reply_error_string(call, VARLINK_ERROR_INTERFACE_NOT_FOUND,
                                                 "interface", iface) < 0)
                        varlink_call_fail(call, -ENOMEM);
                return NULL;
        }
        m = find_method(reg->iface, dot + 1);
        if (!m || !m->callback) {
                if (reply_error_string(call,
                                       m ? VARLINK_ERROR_METHOD_NOT_IMPLEMENTED
                                         : VARLINK_ERROR_METHOD_NOT_FOUND,
                                       "method", method) < 0)
                        varlink_call_fail(call, -ENOMEM);
                return NULL;
        }
        if ((m->flags & VARLINK_METHOD_MORE_REQUIRED) && !varlink_call_wants_more(call)) {
                (void) varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
                return NULL;
        }
        *ret_reg = reg;
        return m;
}

/* Replies (returning 1, the reply's result in *ret) when the caller may
 * not call @m. */
static int refuse_access(const struct varlink_registration *reg, const struct varlink_method *m,
                         struct varlink_call *call, int *ret) {
        switch (m->access) {
        case VARLINK_ACCESS_ROOT:
                if (varlink_call_peer_uid(call) == 0)
                        return 0;
                *ret = varlink_call_error_permission_denied(call);
                return 1;
        case VARLINK_ACCESS_TRUSTED:
                if (reg->iface->caller_is_trusted(call, reg->userdata))
                        return 0;
                *ret = varlink_call_error(call, reg->iface->untrusted_error, NULL);
                return 1;
        case VARLINK_ACCESS_ANYONE:
        default:
                return 0;
        }
}

/* Replies (returning 1) when the call passes a parameter the method's
 * signature does not declare. */
static int refuse_unknown_parameter(const struct varlink_registration *reg, const struct varlink_method *m,
                                    struct varlink_call *call, int *ret) {
        const struct varlink_idl_method *signature = varlink_idl_methods_find(&reg->idl, m->name);
        const char *key = varlink_json_find_unknown_key(call->message.parameters,
                                                        (const char *const *) signature->parameters);

        if (!key)
                return 0;
        *ret = reg->iface->refuse_unknown_parameter ? reg->iface->refuse_unknown_parameter(call, key, reg->userdata)
                                                    : varlink_call_error_invalid_parameter(call, key);
        return 1;
}

void varlink_server_dispatch(struct varlink_server *s, struct varlink_call *call) {
        const struct varlink_registration *reg = NULL;
        const struct varlink_method *m;
        int r;

        if (call->message.upgrade) {
                /* No upgraded protocols here; the connection stays usable. */
                (void) varlink_call_error_invalid_parameter(call, "upgrade");
                return;
        }
        m = lookup(s, call, &reg);
        if (!m)
                return;

        if (!refuse_access(reg, m, call, &r) && !refuse_unknown_parameter(reg, m, call, &r))
                r = m->callback(call, call->message.parameters, reg->userdata);
        if (r < 0 && varlink_call_is_open(call)) {
                log_warning_errno(r, "varlink: %s failed: %m", varlink_call_method(call));
                varlink_call_fail(call, r);
        } else if (r < 0)
                log_debug_errno(r, "varlink: %s: %m", varlink_call_method(call));
        else if (varlink_call_is_open(call) && !call->message.oneway &&
                 call->n_ref <= VARLINK_CALL_DISPATCH_REFS) {
                log_error("varlink: %s returned without replying or keeping the call",
                          varlink_call_method(call));
                varlink_call_fail(call, -EPROTO);
        }
}

/* ---- org.varlink.service ---- */

static int service_get_info(struct varlink_call *call, struct json_object *params, void *userdata) {
        struct varlink_server *s = userdata;
        _cleanup_(json_object_putp) struct json_object *reply = NULL;
        struct json_object *list;

        reply = json_object_new_object();
        list = json_object_new_array();
        if (!reply || !list || json_object_object_add(reply, "interfaces", list) < 0) {
                json_object_put(list);
                return -ENOMEM;
        }
        for (size_t k = 0; k < s->n_interfaces; k++) {
                struct json_object *name = json_object_new_string(s->interfaces[k].iface->name);

                if (!name || json_object_array_add(list, name) < 0) {
                        json_object_put(name);
                        return -ENOMEM;
                }
        }
        if (mj_add(reply, "vendor", json_object_new_string(s->vendor)) < 0 ||
            mj_add(reply, "product", json_object_new_string(s->product)) < 0 ||
            mj_add(reply, "version", json_object_new_string(s->version)) < 0 ||
            mj_add(reply, "url", json_object_new_string(s->url)) < 0)
                return -ENOMEM;
        return varlink_call_reply(call, TAKE_PTR(reply));
}

static int service_get_interface_description(struct varlink_call *call, struct json_object *params,
                                             void *userdata) {
        struct varlink_server *s = userdata;
        const struct varlink_registration *reg;
        struct json_object *reply;
        const char *name = NULL;

        if (mj_get_string(params, "interface", false, &name, NULL) <= 0)
                return varlink_call_error_invalid_parameter(call, "interface");
        reg = find_interface(s, name, strlen(name));
        if (!reg)
                return reply_error_string(call, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface",
                                          name);

        reply = json_object_new_object();
        if (!reply ||
            mj_add(reply, "description", json_object_new_string(reg->iface->description)) < 0) {
                json_object_put(reply);
                return -ENOMEM;
        }
        return varlink_call_reply(call, reply);
}

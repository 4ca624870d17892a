/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the varlink server end to end. The input's bytes are
 * what a client writes on a connection of the real server, which serves
 * io.memranged from a real manager whose table was built from a fixture
 * sysroot: framing, call parsing, dispatch, every method's parameter
 * checks and replies (GetStatus, ListRanges filters, GetCrashRanges
 * policies, Subscribe, Rescan, Reload...).
 *
 * The first byte picks the caller and the machine: bit 0 set makes the
 * peer root (else uid 1000, in no privileged group), bit 1 the ppc64
 * pseries fixture (else x86_64 with a hot-added DIMM). The rest is
 * written to the socket, whose sending side is then shut down; the loop
 * runs until the server has nothing left to do, the client hangs up, and
 * the connection must then be gone.
 *
 * Every reply must be a well-formed varlink reply, and an unprivileged
 * caller must never see an address: no "start" member and no ELF header
 * anywhere in its replies (DESIGN.md, daemon promise 6). Kdump reloads
 * are off ([Kdump] Mode=off), so nothing is ever spawned. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "varlink-protocol.h"
#include "varlink.h"

#ifndef FUZZ_FIXTURES
#define FUZZ_FIXTURES "../shared/fixtures"
#endif

#define MAX_ITERATIONS 10000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const machines[] = {
        "x86_64-6.1-dimm/hotplug",
        "ppc64le-6.1-pseries/hotplug",
};

static struct manager *managers[ELEMENTSOF(machines)];
static char config_path[64];

static void remove_config(void) {
        (void) unlink(config_path);
}

/* Kdump reloads off; a small message limit, so that it is reached, and a
 * smaller output queue than the default. */
static void write_config(void) {
        static const char text[] = "[Socket]\nMaxMessageSize=8192\nMaxOutputQueue=1048576\n"
                                   "[Kdump]\nMode=off\n";
        int fd;

        snprintf(config_path, sizeof(config_path), "/tmp/memranged-fuzz-XXXXXX");
        fd = mkstemp(config_path);
        if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t) sizeof(text) - 1)
                abort();
        close(fd);
        atexit(remove_config);
}

/* The daemon's own start-up short of its sockets: the first scan, then a
 * server with io.memranged (manager_start_in_process()). */
static struct manager *manager_for(const char *machine) {
        const char *fixtures = getenv("MEMRANGE_FIXTURES") ?: FUZZ_FIXTURES;
        char sysroot[4096];
        struct manager_options o = {
                .sysroot = sysroot,
                .config_path = config_path,
                .no_kernel_uevents = true,
                .log_level = LOG_EMERG,
        };
        struct manager *m;

        snprintf(sysroot, sizeof(sysroot), "%s/%s", fixtures, machine);
        if (manager_new(&o, &m) < 0 || manager_start_in_process(m) < 0) {
                fprintf(stderr, "fuzz-varlink-api: cannot build the state from %s (set MEMRANGE_FIXTURES)\n",
                        sysroot);
                abort();
        }
        return m;
}

static void setup(void) {
        write_config();
        for (size_t i = 0; i < ELEMENTSOF(machines); i++)
                managers[i] = manager_for(machines[i]);
        log_set_max_priority(LOG_EMERG);
}

/* True when @o has, at any depth, a member that carries an address. */
/* NOLINTNEXTLINE(misc-no-recursion): a reply the daemon built, a few levels deep */
static bool mentions_address(struct json_object *o) {
        if (json_object_is_type(o, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if (mentions_address(json_object_array_get_idx(o, i)))
                                return true;
                return false;
        }
        if (!json_object_is_type(o, json_type_object))
                return false;
        json_object_object_foreach(o, key, value) {
                if (strcmp(key, "start") == 0 || strcmp(key, "header") == 0 || mentions_address(value))
                        return true;
        }
        return false;
}

static void check_reply(const char *text, size_t len, bool privileged) {
        struct varlink_reply_message reply;

        if (varlink_reply_message_parse(text, len, VARLINK_DEFAULT_MAX_DEPTH, &reply, NULL) < 0) {
                fprintf(stderr, "the server sent an invalid reply: %.*s\n", (int) len, text);
                abort();
        }
        if (!privileged && mentions_address(reply.parameters)) {
                fprintf(stderr, "an unprivileged caller got an address: %.*s\n", (int) len, text);
                abort();
        }
        varlink_reply_message_done(&reply);
}

/* Reads and checks what the server sent so far. */
static void drain(int fd, struct varlink_frame *in, bool privileged) {
        for (;;) {
                char *space, *msg;
                size_t room, len;
                ssize_t k;
                int r;

                if (varlink_frame_get_space(in, 65536, &space, &room) < 0)
                        abort();
                k = recv(fd, space, room, MSG_DONTWAIT);
                if (k <= 0)
                        return;
                varlink_frame_commit(in, (size_t) k);
                while ((r = varlink_frame_next(in, &msg, &len)) > 0)
                        check_reply(msg, len, privileged);
                if (r < 0)
                        abort(); /* a reply over the client's generous limit */
        }
}

/* Runs the loop until it has nothing to do, reading the replies. */
static void pump(struct manager *m, int fd, struct varlink_frame *in, bool privileged) {
        for (unsigned i = 0; i < MAX_ITERATIONS; i++) {
                int r = sd_event_run(manager_get_event(m), 0);

                if (r < 0)
                        abort();
                drain(fd, in, privileged);
                if (r == 0)
                        return;
        }
        fprintf(stderr, "the server is still busy after %u loop iterations\n", MAX_ITERATIONS);
        abort();
}

static void send_all(struct manager *m, int fd, struct varlink_frame *in, bool privileged, const uint8_t *data,
                     size_t size) {
        while (size > 0) {
                ssize_t k = send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (k < 0 && errno == EAGAIN) {
                        pump(m, fd, in, privileged);
                        continue;
                }
                if (k < 0)
                        return; /* the server hung up: the rest is never read */
                data += k;
                size -= (size_t) k;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct varlink_frame in;
        struct manager *m;
        unsigned n_connections;
        size_t n_subscribers;
        struct ucred cred;
        bool privileged;
        int sv[2];

        if (size < 1)
                return 0;
        if (!managers[0])
                setup();
        privileged = data[0] & 1;
        m = managers[(data[0] >> 1) & 1];
        cred = (struct ucred) { .pid = 1, .uid = privileged ? 0 : 1000, .gid = privileged ? 0 : 1000 };
        data++;
        size--;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                abort();
        if (manager_add_connection(m, sv[0], &cred) < 0)
                abort();
        varlink_frame_init(&in, 64u * 1024u * 1024u);

        send_all(m, sv[1], &in, privileged, data, size);
        (void) shutdown(sv[1], SHUT_WR);
        pump(m, sv[1], &in, privileged);
        /* A stream (Subscribe) stays open until the client leaves. */
        close(sv[1]);
        pump(m, -1, &in, privileged);
        manager_count_clients(m, &n_connections, &n_subscribers);
        if (n_connections != 0 || n_subscribers != 0) {
                fprintf(stderr, "the connection outlived its client\n");
                abort();
        }
        varlink_frame_done(&in);
        return 0;
}

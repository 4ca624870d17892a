/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memranged: keeps the authoritative table of physical memory current and
 * serves it on a varlink socket. main() only parses options and runs the
 * manager. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "version.h"
#include "config.h"
#include "log.h"
#include "manager.h"

enum {
        ARG_SYSROOT = 0x100,
        ARG_SOCKET,
        ARG_CONFIG,
        ARG_FOREGROUND,
        ARG_UEVENT_SOCKET,
        ARG_NO_KERNEL_UEVENTS,
        ARG_LOG_LEVEL,
};

static void help(void) {
        printf("Usage: memranged [OPTIONS]\n"
               "\n"
               "Keep the authoritative table of physical memory current across hotplug\n"
               "and serve it on the varlink socket " MANAGER_DEFAULT_SOCKET ".\n"
               "\n"
               "Options:\n"
               "     --sysroot DIR          read kernel files under DIR instead of /\n"
               "     --socket PATH          listen on PATH (default " MANAGER_DEFAULT_SOCKET ")\n"
               "     --config FILE          configuration file (default " CONFIG_DEFAULT_PATH ")\n"
               "     --foreground           log to stderr with <N> priority prefixes (always so)\n"
               "     --uevent-socket PATH   also read raw uevents from datagram socket PATH (tests)\n"
               "     --no-kernel-uevents    do not open the kernel's uevent socket (tests)\n"
               "     --log-level LEVEL      err, warning, notice, info or debug (overrides LogLevel=)\n"
               " -V, --version              print the version and exit\n"
               " -h, --help                 print this help and exit\n");
}

/* 0 to run, 1 to exit successfully (help, version), -EINVAL on misuse. */
static int parse_argv(int argc, char **argv, struct manager_options *o) {
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, ARG_SYSROOT },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "foreground", no_argument, NULL, ARG_FOREGROUND },
                { "uevent-socket", required_argument, NULL, ARG_UEVENT_SOCKET },
                { "no-kernel-uevents", no_argument, NULL, ARG_NO_KERNEL_UEVENTS },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "hV", options, NULL)) >= 0)
                switch (c) {
                case ARG_SYSROOT:
                        o->sysroot = optarg;
                        break;
                case ARG_SOCKET:
                        o->socket_path = optarg;
                        break;
                case ARG_CONFIG:
                        o->config_path = optarg;
                        break;
                case ARG_FOREGROUND:
                        /* Logging goes to stderr with <N> prefixes in every
                         * mode; the journal reads them under systemd. */
                        break;
                case ARG_UEVENT_SOCKET:
                        o->uevent_socket = optarg;
                        break;
                case ARG_NO_KERNEL_UEVENTS:
                        o->no_kernel_uevents = true;
                        break;
                case ARG_LOG_LEVEL:
                        if (config_parse_log_level(optarg, &o->log_level) < 0) {
                                log_error("Invalid --log-level '%s'", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'V':
                        puts("memranged " PROJECT_VERSION);
                        return 1;
                case 'h':
                        help();
                        return 1;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv) {
        struct manager_options options = { .log_level = -1 };
        _cleanup_(manager_freep) struct manager *m = NULL;
        int r;

        r = parse_argv(argc, argv, &options);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : 2;
        r = manager_new(&options, &m);
        if (r >= 0)
                r = manager_start(m);
        if (r >= 0)
                r = manager_run(m);
        if (r < 0) {
                (void) sd_notifyf(false, "STOPPING=1\nERRNO=%d", -r);
                return EXIT_FAILURE;
        }
        log_info("Stopped");
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: global options and the command table. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "memrangectl.h"

static const struct cli_command commands[] = {
        { "list", "show the authoritative range table", cmd_list, CLI_MODE_BOTH },
        { "blocks", "show the memory blocks", cmd_blocks, CLI_MODE_BOTH },
        { "verify", "report where the kernel sources disagree", cmd_verify, CLI_MODE_BOTH },
        { "status", "show sources, totals, crash kernel state and findings", cmd_status, CLI_MODE_BOTH },
        { "monitor", "print the daemon's changes to the table as they happen", cmd_monitor, CLI_MODE_ONLINE_ONLY },
        { "rescan", "make the daemon re-read every source now (root only)", cmd_rescan, CLI_MODE_ONLINE_ONLY },
        { "reload", "make the daemon reload the crash kernel if needed (root only)", cmd_reload,
          CLI_MODE_ONLINE_ONLY },
        { "crash-ranges", "show the RAM a crash dump would hold", cmd_crash_ranges, CLI_MODE_BOTH },
        { "elfcorehdr", "write the ELF core header of a crash dump", cmd_elfcorehdr, CLI_MODE_BOTH },
        { "snapshot", "archive the kernel files read, for bug reports", cmd_snapshot, CLI_MODE_FILES_ONLY },
        { "metrics", "print memranged's metrics in Prometheus' text format", cmd_metrics, CLI_MODE_BOTH },
};

static void help(FILE *out) {
        fputs("Usage:\n"
              " memrangectl [options] COMMAND [command options]\n"
              "\n"
              "Show the physical memory layout that the kernel describes in\n"
              "/proc/iomem, the firmware map, the memory blocks, memblock, the\n"
              "device tree and the NUMA links, reconciled into one table.\n"
              "\n"
              "By default the commands ask the memranged daemon, which keeps the table\n"
              "current; with --offline or --sysroot they read the kernel files themselves.\n"
              "\n"
              "Options:\n"
              " -s, --sysroot <dir>  read the kernel files under <dir> instead of /\n"
              "                      (implies --offline)\n"
              "     --offline        read the kernel files directly, not asking memranged\n"
              "     --socket <path>  memranged's socket (default $" CLI_SOCKET_ENV " or\n"
              "                      " CLI_DEFAULT_SOCKET ")\n"
              "     --timeout <sec>  wait at most <sec> seconds for each answer of\n"
              "                      memranged (default 10; monitor waits forever)\n"
              " -h, --help           display this help\n"
              " -V, --version        display version\n"
              "\n"
              "Commands:\n",
              out);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(out, " %-12s %s\n", commands[i].name, commands[i].summary);
        fputs("\nmonitor, rescan and reload need memranged.\n"
              "snapshot always reads the kernel files itself.\n"
              "\nRun 'memrangectl COMMAND --help' for the options of a command.\n"
              "For more details see memrangectl(1).\n",
              out);
}

/* Seconds as a decimal ("10", "0.5") into microseconds; bounded so that
 * a typo does not wait for days. */
static int parse_timeout(const char *arg, uint64_t *ret) {
        char *end;
        double sec;

        errno = 0;
        sec = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !isfinite(sec) || sec <= 0 || sec > 24 * 3600) {
                cli_error("invalid timeout '%s' (seconds, more than 0, at most 86400)", arg);
                return -EINVAL;
        }
        *ret = (uint64_t) (sec * 1e6);
        if (*ret == 0)
                *ret = 1;
        return 0;
}

static const struct cli_command *find_command(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

/* Parses the options before the command; returns -1 to go on, or an exit
 * code. *ret_index is the argv index of the command. */
static int parse_global(int argc, char **argv, struct cli_global *g, int *ret_index) {
        enum { OPT_OFFLINE = 0x100, OPT_SOCKET, OPT_TIMEOUT, OPT_COMPLETE_WORDS };
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "offline", no_argument, NULL, OPT_OFFLINE },
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                /* Hidden: for the bash completion (completion.c). */
                { "complete-words", required_argument, NULL, OPT_COMPLETE_WORDS },
                {},
        };
        int c;

        /* '+': stop at the command name; its options are its own. */
        while ((c = getopt_long(argc, argv, "+s:hV", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        g->sysroot = optarg;
                        break;
                case OPT_OFFLINE:
                        g->offline = true;
                        break;
                case OPT_SOCKET:
                        g->socket = optarg;
                        break;
                case OPT_TIMEOUT:
                        if (parse_timeout(optarg, &g->timeout_usec) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("memrangectl %s\n", PROJECT_VERSION);
                        return EXIT_OK;
                case OPT_COMPLETE_WORDS:
                        return cli_complete_words(optarg, commands, ELEMENTSOF(commands));
                default:
                        fputs("Try 'memrangectl --help' for more information.\n", stderr);
                        return EXIT_USAGE;
                }
        *ret_index = optind;
        return -1;
}

/* Settles where @cmd gets its data: -1 to go on, or an exit code. */
static int resolve_mode(const struct cli_command *cmd, struct cli_global *g) {
        bool explicit_socket = g->socket;

        if (g->sysroot)
                g->offline = true;
        if (explicit_socket && g->offline) {
                cli_error("--socket asks memranged, but --offline/--sysroot read the files");
                return EXIT_USAGE;
        }
        if (cmd->mode == CLI_MODE_FILES_ONLY && explicit_socket) {
                cli_error("%s reads the kernel files itself: --socket does not apply", cmd->name);
                return EXIT_USAGE;
        }
        if (cmd->mode == CLI_MODE_FILES_ONLY)
                g->offline = true;
        if (cmd->mode == CLI_MODE_ONLINE_ONLY && g->offline) {
                cli_error("%s needs memranged: it cannot work with --offline or --sysroot", cmd->name);
                return EXIT_USAGE;
        }
        if (!g->socket) {
                const char *env = getenv(CLI_SOCKET_ENV);

                g->socket = env && *env ? env : CLI_DEFAULT_SOCKET;
        }
        return -1;
}

int main(int argc, char **argv) {
        struct cli_global g = { .timeout_usec = CLI_DEFAULT_TIMEOUT_USEC };
        const struct cli_command *cmd;
        int r, index = 0;

        r = parse_global(argc, argv, &g, &index);
        if (r >= 0)
                return r;
        if (index >= argc) {
                cli_error("no command given");
                help(stderr);
                return EXIT_USAGE;
        }
        cmd = find_command(argv[index]);
        if (!cmd) {
                cli_error("unknown command '%s'", argv[index]);
                fputs("Try 'memrangectl --help' for more information.\n", stderr);
                return EXIT_USAGE;
        }
        r = resolve_mode(cmd, &g);
        if (r >= 0)
                return r;

        optind = 0; /* re-initialise getopt for the command's own options */
        return cmd->run(&g, argc - index, argv + index);
}

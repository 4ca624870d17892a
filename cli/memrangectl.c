/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: global options and the command table. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memrangectl.h"

static const struct cli_command commands[] = {
        { "list", "show the authoritative range table", cmd_list },
        { "blocks", "show the memory blocks", cmd_blocks },
        { "verify", "report where the kernel sources disagree", cmd_verify },
        { "status", "show sources, totals, crash kernel state and findings", cmd_status },
        { "crash-ranges", "show the RAM a crash dump would hold", cmd_crash_ranges },
        { "elfcorehdr", "write the ELF core header of a crash dump", cmd_elfcorehdr },
};

void cli_error(const char *format, ...) {
        va_list ap;

        fputs("memrangectl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_option_fallback(const char *cmd, int c, void (*help)(void)) {
        if (c == 'h') {
                help();
                return EXIT_OK;
        }
        fprintf(stderr, "Try 'memrangectl %s --help' for more information.\n", cmd);
        return EXIT_USAGE;
}

int cli_no_arguments(const char *cmd, int argc, char **argv) {
        if (optind < argc) {
                cli_error("%s: unexpected argument '%s'", cmd, argv[optind]);
                return EXIT_USAGE;
        }
        return -1;
}

static void help(FILE *out) {
        fputs("Usage:\n"
              " memrangectl [options] COMMAND [command options]\n"
              "\n"
              "Show the physical memory layout that the kernel describes in\n"
              "/proc/iomem, the firmware map, the memory blocks, memblock, the\n"
              "device tree and the NUMA links, reconciled into one table.\n"
              "\n"
              "Options:\n"
              " -s, --sysroot <dir>  read the kernel files under <dir> instead of /\n"
              "     --offline        read the files directly (the only mode for now)\n"
              " -h, --help           display this help\n"
              " -V, --version        display version\n"
              "\n"
              "Commands:\n",
              out);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(out, " %-12s %s\n", commands[i].name, commands[i].summary);
        fputs("\nRun 'memrangectl COMMAND --help' for the options of a command.\n"
              "For more details see memrangectl(1).\n",
              out);
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
        enum { OPT_OFFLINE = 0x100 };
        static const struct option options[] = {
                { "sysroot", required_argument, NULL, 's' },
                { "offline", no_argument, NULL, OPT_OFFLINE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
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
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("memrangectl %s\n", PROJECT_VERSION);
                        return EXIT_OK;
                default:
                        fputs("Try 'memrangectl --help' for more information.\n", stderr);
                        return EXIT_USAGE;
                }
        *ret_index = optind;
        return -1;
}

int main(int argc, char **argv) {
        struct cli_global g = {};
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
        /* Without a daemon to ask, every command reads the files itself. */
        g.offline = true;

        optind = 0; /* re-initialise getopt for the command's own options */
        return cmd->run(&g, argc - index, argv + index);
}

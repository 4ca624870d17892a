/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl: the messages every command prints on stderr (the error
 * line, the end of an option loop, arguments left over), below the
 * command table so that the commands need not call up into it. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "memrangectl.h"

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

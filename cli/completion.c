/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl --complete-words KIND (hidden): the words the bash
 * completion offers, printed from the tables the program itself parses
 * with, so that the completion cannot drift from them. Options and column
 * names it reads from each command's --help. */
#include <stdio.h>
#include <string.h>

#include "memrangectl.h"

/* Every value of a name table whose name parses back to it. */
#define PRINT_NAMES(max, to_name, from_name)                                  \
        do {                                                                  \
                for (int v_ = 0; v_ < (max); v_++) {                          \
                        const char *name_ = to_name(v_);                      \
                        if (name_ && from_name(name_) == v_)                  \
                                puts(name_);                                  \
                }                                                             \
        } while (0)

int cli_complete_words(const char *kind, const struct cli_command *commands, size_t n_commands) {
        if (strcmp(kind, "commands") == 0)
                for (size_t i = 0; i < n_commands; i++)
                        puts(commands[i].name);
        else if (strcmp(kind, "policies") == 0)
                PRINT_NAMES(_MEMRANGE_DUMP_POLICY_MAX, memrange_dump_policy_to_name, memrange_dump_policy_from_name);
        else if (strcmp(kind, "archs") == 0)
                PRINT_NAMES(_MEMRANGE_ARCH_MAX, memrange_arch_to_name, memrange_arch_from_name);
        else if (strcmp(kind, "types") == 0)
                PRINT_NAMES(_MEMRANGE_TYPE_MAX, memrange_type_to_name, memrange_type_from_name);
        else if (strcmp(kind, "summary") == 0)
                for (int when = SUMMARY_NEVER; when <= SUMMARY_ONLY; when++)
                        puts(out_summary_to_name(when));
        else {
                cli_error("--complete-words: unknown kind '%s' (commands, policies, archs, types, summary)", kind);
                return EXIT_USAGE;
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FINDINGS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl reload: make memranged reload the crash kernel now when the
 * loaded image lacks the current dump ranges (or always, with --force),
 * and show how the attempt went. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "online.h"

/* A reload runs kexec (or Command=): wait longer than for other answers,
 * unless --timeout says otherwise. */
#define RELOAD_TIMEOUT_USEC (300u * 1000u * 1000u)

static void help(void) {
        fputs("Usage:\n"
              " memrangectl reload [--force]\n"
              "\n"
              "Make memranged reload the crash kernel now if the loaded one lacks the\n"
              "dump ranges of the current table, and wait for the attempt to end.\n"
              "Root only.\n"
              "\n"
              "Options:\n"
              " -f, --force          reload even when nothing changed (or load one when\n"
              "                      none is loaded)\n"
              " -h, --help           display this help\n",
              stdout);
}

/* Why nothing was done, for each reason the daemon gives; NULL: failure. */
static const char *nothing_to_do(const char *reason, bool *ret_ok) {
        static const struct {
                const char *reason, *text;
                bool ok;
        } table[] = {
                { "unchanged", "the loaded crash kernel already holds the current dump ranges", true },
                { "kernel keeps it current", "the kernel keeps the loaded crash kernel current (crash_hotplug)", true },
                { "not loaded", "no crash kernel is loaded, and loading one is kdump-tools' job (--force loads one)",
                  true },
                { "unavailable", "this kernel has no kexec crash support", false },
                { "ranges unknown", "memranged cannot compute the dump ranges of its table", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(reason, table[i].reason) == 0) {
                        *ret_ok = table[i].ok;
                        return table[i].text;
                }
        *ret_ok = false;
        return reason;
}

static void print_output(const char *output) {
        const char *line = output;

        while (line && *line) {
                const char *nl = strchr(line, '\n');
                int len = nl ? (int) (nl - line) : (int) strlen(line);

                fprintf(stderr, "  %.*s\n", len, line);
                line = nl ? nl + 1 : NULL;
        }
}

/* The attempt of a reply: generation, duration, error, namespace. */
static int describe_attempt(const struct cli_global *g, struct json_object *attempt, bool failed) {
        const char *error = NULL, *ns_error = NULL, *output = NULL;
        uint64_t generation, duration;
        bool in_namespace = true;

        if (mj_get_u64(attempt, "generation", false, &generation, NULL) <= 0 ||
            mj_get_u64(attempt, "duration_usec", false, &duration, NULL) <= 0)
                return cli_bad_reply(g, "Reload",
                                     &(struct mj_error) { "attempt", "expected generation and duration_usec" });
        (void) mj_get_string(attempt, "error", false, &error, NULL);
        (void) mj_get_string(attempt, "namespace_error", false, &ns_error, NULL);
        (void) mj_get_string(attempt, "output", false, &output, NULL);
        (void) mj_get_bool(attempt, "namespace", false, &in_namespace, NULL);
        if (failed) {
                cli_error("reload: reloading generation %" PRIu64 " failed after %.3f s: %s", generation,
                          (double) duration / 1e6, error ?: "failed");
                print_output(output);
                fputs("memranged retries it with backoff; see its log for every attempt.\n", stderr);
        } else
                printf("Reloaded the crash kernel with generation %" PRIu64 " in %.3f s.\n", generation,
                       (double) duration / 1e6);
        if (!in_namespace && ns_error)
                cli_error("reload: warning: kexec did not see the table's /proc/iomem: %s", ns_error);
        return failed ? EXIT_FINDINGS : EXIT_OK;
}

static int report(const struct cli_global *g, const char *error, struct json_object *reply) {
        const char *reason = NULL, *text;
        struct json_object *attempt = NULL;
        uint64_t generation = 0;
        bool reloaded, ok;

        if (mr_streq(error, VARLINK_ERROR_PERMISSION_DENIED)) {
                cli_error("reload: permission denied: only root may make memranged reload the crash kernel");
                return EXIT_DENIED;
        }
        if (mr_streq(error, IO_MEMRANGED_ERROR_RELOAD_UNAVAILABLE)) {
                (void) mj_get_string(reply, "reason", false, &reason, NULL);
                cli_error("reload: memranged does not reload the crash kernel: %s", reason ?: "reloading is off");
                return EXIT_FINDINGS;
        }
        if (mj_get_object(reply, "attempt", false, &attempt, NULL) < 0)
                return cli_bad_reply(g, "Reload", &(struct mj_error) { "attempt", "expected an object" });
        if (mr_streq(error, IO_MEMRANGED_ERROR_RELOAD_FAILED))
                return attempt ? describe_attempt(g, attempt, true)
                               : cli_bad_reply(g, "Reload", &(struct mj_error) { "attempt", "missing" });
        if (mj_get_bool(reply, "reloaded", false, &reloaded, NULL) <= 0 ||
            mj_get_string(reply, "reason", false, &reason, NULL) <= 0 ||
            mj_get_u64(reply, "generation", false, &generation, NULL) <= 0)
                return cli_bad_reply(g, "Reload",
                                     &(struct mj_error) { "", "expected reloaded, reason and generation" });
        if (reloaded && attempt)
                return describe_attempt(g, attempt, false);
        text = nothing_to_do(reason, &ok);
        if (!ok) {
                cli_error("reload: nothing reloaded: %s", text);
                return EXIT_FINDINGS;
        }
        printf("Nothing to reload at generation %" PRIu64 ": %s.\n", generation, text);
        return EXIT_OK;
}

int cmd_reload(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const tolerated[] = { VARLINK_ERROR_PERMISSION_DENIED, IO_MEMRANGED_ERROR_RELOAD_FAILED,
                                                 IO_MEMRANGED_ERROR_RELOAD_UNAVAILABLE, NULL };
        _cleanup_(json_object_putp) struct json_object *reply = NULL, *request = NULL;
        _cleanup_(freep) char *error = NULL;
        struct cli_global waiting = *g;
        bool force = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "fh", options, NULL)) >= 0) {
                if (c == 'f')
                        force = true;
                else
                        return cli_option_fallback("reload", c, help);
        }
        r = cli_no_arguments("reload", argc, argv);
        if (r >= 0)
                return r;
        if (force && (!(request = json_object_new_object()) ||
                      mj_add(request, "force", json_object_new_boolean(true)) < 0)) {
                cli_error("out of memory");
                return EXIT_FINDINGS;
        }
        if (waiting.timeout_usec == CLI_DEFAULT_TIMEOUT_USEC)
                waiting.timeout_usec = RELOAD_TIMEOUT_USEC;
        r = cli_call_tolerant(&waiting, "Reload", TAKE_PTR(request), tolerated, &reply, &error);
        if (r != 0 && r != CLI_TOLERATED)
                return r;
        r = report(g, error, reply);
        return fflush(stdout) == 0 ? r : EXIT_FINDINGS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl monitor and rescan: the commands that exist only with
 * memranged (its Subscribe stream, its Rescan method). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "online.h"

/* ---------------------------------------------------------------------------
 * monitor
 */

static void help_monitor(void) {
        fputs("Usage:\n"
              " memrangectl [--socket PATH] monitor [options]\n"
              "\n"
              "Print memranged's changes to the range table as they happen: first the\n"
              "current generation, then a line per range added or removed, with the\n"
              "generation that changed it and why. Runs until interrupted or until\n"
              "memranged closes the connection.\n"
              "\n"
              "Options:\n"
              " -J, --json           print each change as one JSON object per line\n"
              " -h, --help           display this help\n",
              stdout);
}

/* One Subscribe reply, checked and converted. */
struct change {
        uint64_t generation;
        const char *reason; /* borrowed from the reply */
        struct memrange_list *added, *removed;
};

static void change_done(struct change *c) {
        memrange_list_free(c->added);
        memrange_list_free(c->removed);
}

struct monitor {
        const struct cli_global *g;
        bool json;
        bool initial_done; /* the first reply (the whole table) was shown */
        int exit_code;
};

static int change_list(struct json_object *change, const char *key, struct memrange_list **ret,
                       struct mj_error *e) {
        struct json_object *array;
        int r;

        if (mj_get_array(change, key, false, &array, NULL) <= 0)
                return mj_fail(e, key, "expected an array");
        r = memrange_json_to_list(array, ret, e);
        if (r == -EBADMSG)
                mj_prefix(e, "%s", key);
        return r;
}

static int change_parse(struct json_object *params, struct change *ret, struct mj_error *e) {
        struct json_object *change;
        struct change c = {};
        int r;

        if (mj_get_object(params, "change", false, &change, NULL) <= 0)
                return mj_fail(e, "change", "expected an object");
        if (mj_get_u64(change, "generation", false, &c.generation, NULL) <= 0 ||
            mj_get_string(change, "reason", false, &c.reason, NULL) <= 0)
                return mj_fail(e, "change", "needs an unsigned generation and a reason");
        r = change_list(change, "added", &c.added, e);
        if (r >= 0)
                r = change_list(change, "removed", &c.removed, e);
        if (r < 0) {
                if (r == -EBADMSG)
                        mj_prefix(e, "change");
                change_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

/* "added 0x...-0x... 1G ram flags=hotplug node=0 sources=iomem,numa" */
static void print_range_line(const struct change *c, const char *what, const struct memrange *r) {
        char range[OUT_RANGE_MAX], size[32], flags[256], sources[256], node[32] = "";

        memrange_flags_format(r->flags, ",", flags, sizeof(flags));
        memrange_sources_format(r->sources, ",", sources, sizeof(sources));
        if (r->nid != MEMRANGE_NID_NONE)
                snprintf(node, sizeof(node), " node=%" PRIi32, r->nid);
        printf("generation %" PRIu64 " (%s): %s %s %s %s%s%s%s sources=%s\n", c->generation, c->reason, what,
               out_format_range(r->start, r->end, range, sizeof(range)),
               out_format_size(r->end - r->start, false, size, sizeof(size)),
               memrange_type_to_name(r->type) ?: "unknown", flags[0] ? " flags=" : "", flags, node, sources);
}

static void print_text(struct monitor *m, const struct change *c) {
        /* The first reply is the whole table: one line, not a line per range. */
        if (!m->initial_done) {
                printf("generation %" PRIu64 " (%s): %zu ranges; waiting for changes\n", c->generation, c->reason,
                       c->added->n);
                return;
        }
        for (size_t i = 0; i < c->removed->n; i++)
                print_range_line(c, "removed", &c->removed->ranges[i]);
        for (size_t i = 0; i < c->added->n; i++)
                print_range_line(c, "added", &c->added->ranges[i]);
        if (c->added->n == 0 && c->removed->n == 0)
                printf("generation %" PRIu64 " (%s): no range changed\n", c->generation, c->reason);
}

/* The change re-encoded from the checked records, on one line. */
static int print_json(const struct change *c) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct mj_builder b = mj_builder_on(o);
        struct json_object *added = NULL, *removed = NULL;
        const char *text;

        mj_build_u64(&b, "generation", c->generation);
        mj_build_string(&b, "reason", c->reason);
        mj_build_encoded(&b, "added", memrange_json_from_list(c->added, &added), &added);
        mj_build_encoded(&b, "removed", memrange_json_from_list(c->removed, &removed), &removed);
        if (b.error < 0)
                return b.error;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        return puts(text) < 0 ? -EIO : 0;
}

static int on_change(struct json_object *params, void *userdata) {
        struct monitor *m = userdata;
        struct mj_error e = {};
        struct change c;
        int r;

        r = change_parse(params, &c, &e);
        if (r < 0) {
                m->exit_code = r == -EBADMSG ? cli_bad_reply(m->g, "Subscribe", &e) : EXIT_FINDINGS;
                if (r != -EBADMSG)
                        cli_error("monitor: %s", strerror(-r));
                return -ECANCELED;
        }
        if (m->json)
                r = print_json(&c);
        else
                print_text(m, &c);
        m->initial_done = true;
        change_done(&c);
        /* Each change is seen at once, also through a pipe. */
        if (r < 0 || fflush(stdout) != 0) {
                cli_error("monitor: cannot print: %s", strerror(r < 0 ? -r : EIO));
                m->exit_code = EXIT_FINDINGS;
                return -ECANCELED;
        }
        return 0;
}

/* Ctrl-C and SIGTERM end the stream: every change printed so far has been
 * flushed, so leaving at once loses nothing. */
static void on_stop_signal(int sig) {
        _exit(EXIT_OK);
}

static int install_stop_signals(void) {
        struct sigaction sa = { .sa_handler = on_stop_signal };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
                return -errno;
        return 0;
}

int cmd_monitor(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct monitor m = { .g = g, .exit_code = EXIT_OK };
        int c, r;

        while ((c = getopt_long(argc, argv, "Jh", options, NULL)) >= 0) {
                if (c != 'J')
                        return cli_option_fallback("monitor", c, help_monitor);
                m.json = true;
        }
        r = cli_no_arguments("monitor", argc, argv);
        if (r >= 0)
                return r;

        r = install_stop_signals();
        if (r < 0) {
                cli_error("monitor: cannot handle signals: %s", strerror(-r));
                return EXIT_FINDINGS;
        }
        r = cli_call_stream(g, "Subscribe", NULL, on_change, &m);
        return r != 0 ? r : m.exit_code;
}

/* ---------------------------------------------------------------------------
 * rescan
 */

static void help_rescan(void) {
        fputs("Usage:\n"
              " memrangectl [--socket PATH] rescan\n"
              "\n"
              "Make memranged re-read every kernel source now and wait until the new\n"
              "table is built. Only root may do this.\n"
              "\n"
              "Options:\n"
              " -h, --help           display this help\n",
              stdout);
}

int cmd_rescan(const struct cli_global *g, int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const denied[] = { VARLINK_ERROR_PERMISSION_DENIED, NULL };
        _cleanup_(json_object_putp) struct json_object *reply = NULL;
        uint64_t generation;
        bool changed;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                return cli_option_fallback("rescan", c, help_rescan);
        r = cli_no_arguments("rescan", argc, argv);
        if (r >= 0)
                return r;

        r = cli_call(g, "Rescan", NULL, denied, &reply);
        if (r == CLI_TOLERATED) {
                cli_error("rescan: permission denied: only root may make memranged rescan");
                return EXIT_DENIED;
        }
        if (r != 0)
                return r;
        r = cli_reply_u64(g, "Rescan", reply, "generation", &generation);
        if (r != 0)
                return r;
        if (mj_get_bool(reply, "changed", false, &changed, NULL) <= 0)
                return cli_bad_reply(g, "Rescan",
                                     &(struct mj_error) { "changed", "expected a boolean" });
        printf("Rescan done: generation %" PRIu64 ", %s.\n", generation,
               changed ? "the table changed" : "nothing changed");
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FINDINGS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl, online: filling struct cli_data from memranged's replies,
 * converted by the io.memranged records (memrange-json.h) into the same
 * records that offline mode reads (load-offline.c), so that both print
 * through the same code. load.c chooses between the two. */
#include <errno.h>
#include <stdlib.h>

#include "online.h"

/* One consistent picture: every reply must carry the generation GetStatus
 * gave, else the table changed between the calls. */
struct load {
        const struct cli_global *g;
        struct cli_data *d;
        bool consistent;
};

static int check_generation(struct load *l, const char *method, struct json_object *params) {
        uint64_t generation;
        int r;

        r = cli_reply_u64(l->g, method, params, "generation", &generation);
        if (r > 0)
                return r;
        if (generation != l->d->daemon->generation)
                l->consistent = false;
        return 0;
}

/* Converts a JSON failure of the reply to @method into its exit code. */
static int conversion_failed(struct load *l, const char *method, const char *member, int error,
                             struct mj_error *e) {
        int r;

        if (error == -ENOMEM) {
                cli_error("out of memory");
                return EXIT_FINDINGS;
        }
        if (member && error == -EBADMSG)
                mj_prefix(e, "%s", member);
        r = cli_bad_reply(l->g, method, e);
        /* Never 0 (EXIT_NO_SOURCES), which the analyzer cannot see from
         * here: else it follows the callers on as if the call had worked. */
        ANALYZER_ASSUME(r != 0);
        return r;
}

static int load_status(struct load *l) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct mj_error e = {};
        int r;

        r = cli_call(l->g, "GetStatus", NULL, NULL, &params);
        if (r != 0)
                return r;
        r = cli_daemon_status_parse(params, &l->d->daemon, &l->d->sources, &e);
        if (r < 0)
                return conversion_failed(l, "GetStatus", NULL, r, &e);
        l->d->daemon->socket = l->g->socket;
        return 0;
}

/* The methods that carry addresses: with CLI_WANT_OPTIONAL a refusal
 * (AddressesHidden) is noted and the data stays NULL. */
static int call_addresses(struct load *l, unsigned want, const char *method, struct json_object *params,
                          struct json_object **ret) {
        static const char *const hidden[] = { IO_MEMRANGED_ERROR_ADDRESSES_HIDDEN, NULL };
        int r;

        r = cli_call(l->g, method, params, want & CLI_WANT_OPTIONAL ? hidden : NULL, ret);
        if (r == CLI_TOLERATED) {
                l->d->daemon->addresses_hidden = true;
                return 0;
        }
        if (r != 0)
                return r;
        return check_generation(l, method, *ret);
}

static int load_table(struct load *l, unsigned want, const struct memrange_json_filter *filter) {
        _cleanup_(json_object_putp) struct json_object *params = NULL, *request = NULL;
        struct mj_error e = {};
        struct json_object *ranges;
        int r;

        if (filter && memrange_json_filter_to_json(filter, &request) < 0)
                return conversion_failed(l, "ListRanges", NULL, -ENOMEM, &e);
        r = call_addresses(l, want, "ListRanges", TAKE_PTR(request), &params);
        if (r != 0 || !params)
                return r;
        if (mj_get_array(params, "ranges", false, &ranges, NULL) <= 0)
                return conversion_failed(l, "ListRanges", "ranges", mj_fail(&e, "", "expected an array"), &e);
        r = memrange_json_to_table(ranges, &l->d->table, &e);
        return r < 0 ? conversion_failed(l, "ListRanges", "ranges", r, &e) : 0;
}

static int load_blocks(struct load *l, unsigned want) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct mj_error e = {};
        int r;

        r = call_addresses(l, want, "ListBlocks", NULL, &params);
        if (r != 0 || !params)
                return r;
        r = memrange_json_to_blocks(params, &l->d->sources->blocks, &e);
        return r < 0 ? conversion_failed(l, "ListBlocks", NULL, r, &e) : 0;
}

static int load_findings(struct load *l, unsigned want) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct mj_error e = {};
        struct json_object *findings;
        int r;

        r = call_addresses(l, want, "ListFindings", NULL, &params);
        if (r != 0 || !params)
                return r;
        if (mj_get_array(params, "findings", false, &findings, NULL) <= 0)
                return conversion_failed(l, "ListFindings", "findings", mj_fail(&e, "", "expected an array"), &e);
        r = memrange_json_to_findings(findings, &l->d->findings, &e);
        return r < 0 ? conversion_failed(l, "ListFindings", "findings", r, &e) : 0;
}

static int load_once(const struct cli_global *g, const struct cli_query *q, struct cli_data *d,
                     bool *ret_consistent) {
        struct load l = { .g = g, .d = d, .consistent = true };
        unsigned want = q ? q->want : 0;
        int r;

        r = load_status(&l);
        /* Block totals from GetStatus spare a ListBlocks of every block. */
        if (r == 0 && (want & CLI_WANT_BLOCK_TOTALS) && !d->daemon->has_block_totals)
                want |= CLI_WANT_BLOCKS;
        if (r == 0 && (want & CLI_WANT_TABLE))
                r = load_table(&l, want, q->filter);
        if (r == 0 && (want & CLI_WANT_BLOCKS) && !d->daemon->addresses_hidden)
                r = load_blocks(&l, want);
        if (r == 0 && (want & CLI_WANT_FINDINGS) && !d->daemon->addresses_hidden)
                r = load_findings(&l, want);
        *ret_consistent = l.consistent;
        return r;
}

/* A table that changes between our calls is read again, a few times. */
#define LOAD_ATTEMPTS 3

int cli_data_load_online(const struct cli_global *g, const struct cli_query *q, struct cli_data *ret) {
        for (unsigned attempt = 1;; attempt++) {
                struct cli_data d = {};
                bool consistent;
                int r;

                r = load_once(g, q, &d, &consistent);
                if (r != 0 || (!consistent && attempt < LOAD_ATTEMPTS)) {
                        cli_data_done(&d);
                        if (r != 0)
                                return r;
                        continue;
                }
                *ret = d;
                return 0;
        }
}

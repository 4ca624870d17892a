/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl crash-ranges and elfcorehdr, online: the dump ranges and the
 * ELF core header of memranged's current table (GetCrashRanges,
 * GetElfCoreHeader), converted into the records the offline path
 * computes, so that both print through the same code. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "online.h"


/* Calls @method; -1 with *ret_params on success, else the exit code (the
 * daemon's DumpUnavailable reason printed as "@cmd: reason", as offline). */
static int call_dump(const struct cli_global *g, const char *cmd, const char *method, struct json_object *request,
                     struct json_object **ret_params) {
        static const char *const tolerated[] = { IO_MEMRANGED_ERROR_DUMP_UNAVAILABLE, NULL };
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        _cleanup_(freep) char *error = NULL;
        const char *reason = NULL;
        int r;

        r = cli_call_tolerant(g, method, request, tolerated, &params, &error);
        if (r == CLI_TOLERATED) {
                (void) mj_get_string(params, "reason", false, &reason, NULL);
                cli_error("%s: %s", cmd, reason ?: "memranged cannot compute the dump ranges");
                return EXIT_FINDINGS;
        }
        if (r != 0)
                return r;
        *ret_params = TAKE_PTR(params);
        return -1;
}

/* {"policy": P, "arch": A}: what both methods take. */
static struct json_object *dump_request(enum memrange_dump_policy policy, enum memrange_arch arch) {
        _cleanup_(json_object_putp) struct json_object *p = json_object_new_object();
        struct mj_builder b = mj_builder_on(p);

        mj_build_string(&b, "policy", memrange_dump_policy_to_name(policy));
        if (arch != MEMRANGE_ARCH_UNKNOWN)
                mj_build_string(&b, "arch", memrange_arch_to_name(arch));
        return b.error < 0 ? NULL : TAKE_PTR(p);
}

/* The resolved policy and the architecture of a reply. */
static int parse_policy(struct json_object *params, struct memrange_dump_ranges *d, struct mj_error *error) {
        const char *policy, *arch;
        int p, a;

        if (mj_get_string(params, "policy", true, &policy, error) < 0 ||
            mj_get_string(params, "arch", true, &arch, error) < 0)
                return -EBADMSG;
        p = memrange_dump_policy_from_name(policy);
        if (p < 0 || p == MEMRANGE_DUMP_AUTO)
                return mj_fail(error, "policy", "unknown or unresolved policy '%s'", policy);
        a = strcmp(arch, "unknown") == 0 ? MEMRANGE_ARCH_UNKNOWN : memrange_arch_from_name(arch);
        if (a < 0)
                return mj_fail(error, "arch", "unknown architecture '%s'", arch);
        d->policy = (uint32_t) p;
        d->arch = (uint32_t) a;
        return 0;
}

static int decode_dump_range(struct json_object *element, size_t i, void *userdata, struct mj_error *error) {
        struct memrange_dump_ranges *d = userdata;
        uint64_t start, end;
        bool backup;
        int r;

        if ((r = mj_expect_object(element, error)) < 0 || (r = mj_get_span(element, true, &start, &end, error)) < 0 ||
            (r = mj_get_bool(element, "backup", true, &backup, error)) < 0)
                return r;
        d->ranges[i] = (struct memrange_dump_range) {
                .start = start,
                .end = end,
                .flags = backup ? MEMRANGE_DUMP_F_BACKUP : 0,
        };
        return 0;
}

static int parse_crash_ranges(struct json_object *params, struct memrange_dump_ranges **ret_ranges,
                              struct memrange_list **ret_dropped, struct mj_error *error) {
        _cleanup_(memrange_dump_ranges_freep) struct memrange_dump_ranges *d = calloc(1, sizeof(*d));
        _cleanup_(memrange_list_freep) struct memrange_list *dropped = NULL;
        struct json_object *array;
        size_t n;
        int r;

        if (!d)
                return -ENOMEM;
        if ((r = parse_policy(params, d, error)) < 0 || (r = mj_get_array(params, "ranges", true, &array, error)) < 0)
                return r;
        n = json_object_array_length(array);
        if (n > 0 && !(d->ranges = calloc(n, sizeof(*d->ranges))))
                return -ENOMEM;
        r = mj_decode_array(array, "ranges", decode_dump_range, d, error);
        if (r < 0)
                return r;
        d->n = n;
        if ((r = mj_get_array(params, "dropped", true, &array, error)) < 0)
                return r;
        r = memrange_json_to_list(array, &dropped, error);
        if (r < 0) {
                if (r == -EBADMSG)
                        mj_prefix(error, "dropped");
                return r;
        }
        *ret_ranges = TAKE_PTR(d);
        *ret_dropped = TAKE_PTR(dropped);
        return 0;
}

/* A malformed reply or ENOMEM into the exit code. */
static int conversion_failed(const struct cli_global *g, const char *method, int error,
                             const struct mj_error *e) {
        if (error == -ENOMEM) {
                cli_error("out of memory");
                return EXIT_FINDINGS;
        }
        return cli_bad_reply(g, method, e);
}

int cli_crash_ranges_online(const struct cli_global *g, const char *cmd, enum memrange_dump_policy policy,
                            enum memrange_arch arch, struct memrange_dump_ranges **ret_ranges,
                            struct memrange_list **ret_dropped) {
        _cleanup_(json_object_putp) struct json_object *params = NULL;
        struct mj_error e = {};
        struct json_object *request = dump_request(policy, arch);
        int r;

        if (!request)
                return conversion_failed(g, "GetCrashRanges", -ENOMEM, &e);
        r = call_dump(g, cmd, "GetCrashRanges", request, &params);
        if (r >= 0)
                return r;
        r = parse_crash_ranges(params, ret_ranges, ret_dropped, &e);
        return r < 0 ? conversion_failed(g, "GetCrashRanges", r, &e) : -1;
}

int cli_elfcorehdr_online(const struct cli_global *g, const char *cmd, enum memrange_dump_policy policy,
                          enum memrange_arch arch, const struct memrange_elfcore_opts *opts,
                          struct memrange_dump_ranges *ret_info, void **ret_buf, size_t *ret_size) {
        _cleanup_(json_object_putp) struct json_object *params = NULL, *request = dump_request(policy, arch);
        struct mj_builder b = mj_builder_on(request);
        struct mj_error e = {};
        const char *header;
        uint64_t size;
        void *buf;
        size_t len;
        int r;

        if (opts->direct_map_base)
                mj_build_u64(&b, "direct_map_base", opts->direct_map_base);
        if (opts->backup_offset)
                mj_build_u64(&b, "backup_offset", opts->backup_offset);
        if (b.error < 0)
                return conversion_failed(g, "GetElfCoreHeader", b.error, &e);
        r = call_dump(g, cmd, "GetElfCoreHeader", TAKE_PTR(request), &params);
        if (r >= 0)
                return r;
        if ((r = parse_policy(params, ret_info, &e)) < 0 || (r = mj_get_u64(params, "size", true, &size, &e)) < 0 ||
            (r = mj_get_string(params, "header", true, &header, &e)) < 0)
                return conversion_failed(g, "GetElfCoreHeader", r, &e);
        r = mr_base64_decode(header, &buf, &len);
        if (r == -ENOMEM)
                return conversion_failed(g, "GetElfCoreHeader", r, &e);
        if (r < 0)
                return conversion_failed(g, "GetElfCoreHeader", mj_fail(&e, "header", "not base64"), &e);
        if (len != size) {
                free(buf);
                return conversion_failed(g, "GetElfCoreHeader", mj_fail(&e, "header", "not %" PRIu64 " bytes", size),
                                         &e);
        }
        *ret_buf = buf;
        *ret_size = len;
        return -1;
}

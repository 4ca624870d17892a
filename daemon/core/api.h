/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.memranged varlink interface (daemon/io.memranged.varlink, embedded
 * at build time): one handler per method, privilege checks, the
 * subscription streams. */
#pragma once

#include "manager.h"

/* The interface description, generated from io.memranged.varlink. */
extern const char io_memranged_idl[];

/* Registers io.memranged on @m->server with @m as userdata. */
int api_register(struct manager *m);

/* Sends @change to every open Subscribe call; a subscriber whose reply
 * fails (gone, cut off for not reading) is dropped. */
void api_notify_change(struct manager *m, const struct state_change *change);

/* Forgets every subscription without replying (on shutdown the server
 * then closes the connections). */
void api_drop_subscribers(struct manager *m);

/* ---- shared by the method files (api.c, api-kdump.c) ---- */

/* For methods without parameters. */
extern const char *const api_no_parameters[];
/* io.memranged.InvalidParameter {parameter, reason}. */
int api_error_invalid_parameter(struct varlink_call *call, const char *parameter, const char *reason);
/* Refuses parameters not in @known: returns 1 when it replied (*ret). */
int api_refuse_unknown(struct varlink_call *call, struct json_object *parameters, const char *const *known,
                       int *ret);
/* io.memranged.InternalError {errno}. */
int api_error_internal(struct varlink_call *call, int error);
/* AddressesHidden unless root or group memrange: returns 1 when it replied. */
int api_refuse_unprivileged(struct manager *m, struct varlink_call *call, int *ret);
/* {"generation": N}, to which a method adds its members; NULL on ENOMEM. */
struct json_object *api_reply_with_generation(const struct manager *m);

/* ---- kdump (api-kdump.c) ---- */

/* The "kdump" member of GetStatus; the command and the output of the last
 * attempt only for @privileged callers. */
void api_build_kdump(struct mj_builder *b, const struct manager *m, bool privileged);
int api_method_get_crash_ranges(struct varlink_call *call, struct json_object *parameters, void *userdata);
int api_method_get_elf_core_header(struct varlink_call *call, struct json_object *parameters, void *userdata);
int api_method_reload(struct varlink_call *call, struct json_object *parameters, void *userdata);
/* reload_loop_ops.reply: the answer to a Reload call. */
void api_reply_reload(struct varlink_call *call, const struct reload_outcome *outcome, void *userdata);

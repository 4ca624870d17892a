/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.memranged varlink interface (daemon/io.memranged.varlink, embedded
 * at build time): one handler per method, the access rule of each (the
 * server enforces it, and the parameters the description declares, before
 * the handler runs), the subscription streams. */
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

/* io.memranged.InvalidParameter {parameter, reason}. */
int api_error_invalid_parameter(struct varlink_call *call, const char *parameter, const char *reason);
/* io.memranged.InternalError {errno}. */
int api_error_internal(struct varlink_call *call, int error);
/* {"generation": N}, to which a method adds its members; NULL on ENOMEM. */
struct json_object *api_reply_with_generation(const struct manager *m);

/* ---- kdump (api-kdump.c) ---- */

/* The "kdump" member of GetStatus; the command and the output of the last
 * attempt only for @privileged callers. */
void api_build_kdump(struct mj_builder *b, const struct manager *m, bool privileged);
int api_method_get_crash_ranges(struct varlink_call *call, struct json_object *parameters, void *userdata);
int api_method_get_elf_core_header(struct varlink_call *call, struct json_object *parameters, void *userdata);
/* Waits for the reload loop's outcome and answers then. */
int api_method_reload(struct varlink_call *call, struct json_object *parameters, void *userdata);

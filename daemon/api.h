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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers on sd-event that every part of the daemon shares. */
#pragma once

#include <systemd/sd-event.h>

#include "time-util.h"

/* The loop's CLOCK_MONOTONIC time (the same for every callback of one
 * iteration); the clock itself before the loop first runs, or with no loop. */
usec_t event_now(sd_event *event);

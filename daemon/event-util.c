/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "event-util.h"

usec_t event_now(sd_event *event) {
        uint64_t now;

        if (event && sd_event_now(event, CLOCK_MONOTONIC, &now) >= 0)
                return now;
        return now_usec(CLOCK_MONOTONIC);
}

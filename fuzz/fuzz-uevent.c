/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: uevent_parse() on arbitrary bytes. Besides the
 * sanitizers' checks, it aborts when a result breaks the parser's contract. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uevent-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A borrowed string must start inside the input and end at a NUL there. */
static void check_borrowed(const char *s, const uint8_t *data, size_t size) {
        const uint8_t *p = (const uint8_t *) s;

        if (p < data || p >= data + size || !memchr(p, '\0', (size_t) (data + size - p)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *reason = NULL;
        struct uevent ev;
        int r;

        r = uevent_parse(data, size, &ev, &reason);
        if (r < 0) {
                if ((r != -EBADMSG && r != -EPROTO) || !reason)
                        abort();
                (void) uevent_payload_mentions_memory(data, size);
                return 0;
        }

        if (size > UEVENT_PAYLOAD_MAX || ev.devpath[0] != '/')
                abort();
        check_borrowed(ev.devpath, data, size);
        check_borrowed(ev.subsystem_text, data, size);
        if (strlen(ev.action_text) == 0 || strlen(ev.action_text) > UEVENT_ACTION_MAX)
                abort();
        if (ev.subsystem == UEVENT_SUBSYSTEM_OTHER && ev.index != UEVENT_INDEX_NONE)
                abort();
        if (strcmp(uevent_subsystem_to_string(ev.subsystem), "other") != 0 &&
            strcmp(uevent_subsystem_to_string(ev.subsystem), ev.subsystem_text) != 0)
                abort();
        return 0;
}

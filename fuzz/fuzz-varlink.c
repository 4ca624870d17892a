/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the varlink message layer: the first byte picks how
 * the rest is split into reads, which go through the framer exactly as the
 * server feeds socket data; each complete message is parsed as a call and
 * as a reply, its parameters are read with the typed getters, and whatever
 * parses must serialise to text that parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varlink-protocol.h"

#define MAX_MESSAGE 4096u /* small, so the size limit is reached often */
#define MAX_DEPTH 16u

static void exercise_getters(struct json_object *params) {
        static const char *const keys[] = { "interface", "a", "b", "count", "size", NULL };
        struct json_object *o;
        const char *s;
        int64_t i;
        uint64_t u;
        bool b;

        for (const char *const *k = keys; *k; k++) {
                (void) mj_get_string(params, *k, false, &s, NULL);
                (void) mj_get_i64(params, *k, false, &i, NULL);
                (void) mj_get_u64(params, *k, false, &u, NULL);
                (void) mj_get_bool(params, *k, false, &b, NULL);
                (void) mj_get_array(params, *k, false, &o, NULL);
                (void) mj_get_object(params, *k, false, &o, NULL);
        }
        (void) varlink_json_find_unknown_key(params, keys);
}

/* Our own output must be acceptable to our own parser. */
static void check_round_trip(struct json_object *root) {
        struct json_object *again = NULL;
        size_t len;
        const char *text = varlink_json_to_string(root, &len);

        if (!text)
                return; /* out of memory */
        if (varlink_json_parse(text, len, MAX_DEPTH, &again, NULL) < 0)
                abort();
        json_object_put(again);
}

static void handle_message(const char *text, size_t len) {
        struct varlink_call_message call;
        struct varlink_reply_message reply;

        if (varlink_call_message_parse(text, len, MAX_DEPTH, &call, NULL, NULL) >= 0) {
                if (!varlink_qualified_name_is_valid(call.method))
                        abort();
                exercise_getters(call.parameters);
                check_round_trip(call.root);
                varlink_call_message_done(&call);
        }
        if (varlink_reply_message_parse(text, len, MAX_DEPTH, &reply, NULL) >= 0) {
                exercise_getters(reply.parameters);
                check_round_trip(reply.root);
                varlink_reply_message_done(&reply);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct varlink_frame frame;
        size_t chunk;

        if (size < 1)
                return 0;
        chunk = (size_t) (data[0] & 0x7f) + 1;
        data++;
        size--;

        varlink_frame_init(&frame, MAX_MESSAGE);
        while (size > 0) {
                char *space, *msg;
                size_t room, len;
                int r;

                if (varlink_frame_get_space(&frame, chunk, &space, &room) < 0)
                        break;
                if (room == 0)
                        abort(); /* every complete message was taken below */
                if (room > size)
                        room = size;
                memcpy(space, data, room);
                varlink_frame_commit(&frame, room);
                data += room;
                size -= room;

                while ((r = varlink_frame_next(&frame, &msg, &len)) > 0) {
                        if (len > MAX_MESSAGE || msg[len] != '\0')
                                abort();
                        handle_message(msg, len);
                }
                if (r < 0) /* the server disconnects here */
                        break;
                if (frame.size > MAX_MESSAGE + 1)
                        abort();
        }
        varlink_frame_done(&frame);
        return 0;
}

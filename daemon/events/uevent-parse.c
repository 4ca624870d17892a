/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict parser of raw kernel uevent payloads (see uevent-parse.h). */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "string-table.h"
#include "uevent-parse.h"

static const char *const action_names[] = {
        [UEVENT_ACTION_OTHER] = "other",     [UEVENT_ACTION_ADD] = "add",
        [UEVENT_ACTION_REMOVE] = "remove",   [UEVENT_ACTION_ONLINE] = "online",
        [UEVENT_ACTION_OFFLINE] = "offline", [UEVENT_ACTION_CHANGE] = "change",
        [UEVENT_ACTION_MOVE] = "move",       [UEVENT_ACTION_BIND] = "bind",
        [UEVENT_ACTION_UNBIND] = "unbind",
};

/* Name of the subsystem and the devpath prefix of its numbered devices
 * (memoryN, cpuN, nodeN) happen to be the same word. */
static const char *const subsystem_names[] = {
        [UEVENT_SUBSYSTEM_OTHER] = "other",
        [UEVENT_SUBSYSTEM_MEMORY] = "memory",
        [UEVENT_SUBSYSTEM_CPU] = "cpu",
        [UEVENT_SUBSYSTEM_NODE] = "node",
};

/* Out of range: "other", never NULL (uevent logging). */
const char *uevent_action_to_string(enum uevent_action action) {
        return string_table_to_string(action_names, ELEMENTSOF(action_names), action) ?: "other";
}

const char *uevent_subsystem_to_string(enum uevent_subsystem subsystem) {
        return string_table_to_string(subsystem_names, ELEMENTSOF(subsystem_names), subsystem) ?: "other";
}

/* The keys the kernel always sends; each must appear exactly once. */
enum required_key {
        KEY_ACTION,
        KEY_DEVPATH,
        KEY_SUBSYSTEM,
        KEY_SEQNUM,
        _KEY_REQUIRED_MAX,
};

static const struct {
        const char *name, *duplicate, *missing;
} required_keys[_KEY_REQUIRED_MAX] = {
        [KEY_ACTION] = { "ACTION", "duplicate ACTION key", "missing ACTION key" },
        [KEY_DEVPATH] = { "DEVPATH", "duplicate DEVPATH key", "missing DEVPATH key" },
        [KEY_SUBSYSTEM] = { "SUBSYSTEM", "duplicate SUBSYSTEM key", "missing SUBSYSTEM key" },
        [KEY_SEQNUM] = { "SEQNUM", "duplicate SEQNUM key", "missing SEQNUM key" },
};

struct parse_state {
        struct uevent ev;
        bool seen[_KEY_REQUIRED_MAX];
        const char *reason;
};

static int malformed(struct parse_state *st, const char *reason) {
        st->reason = reason;
        return -EBADMSG;
}

/* Printable ASCII (space included) or UTF-8 bytes; a newline only as the
 * last byte when @trailing_newline (MODALIAS ends in one). */
static bool text_is_printable(const char *s, size_t len, bool trailing_newline) {
        if (trailing_newline && len > 0 && s[len - 1] == '\n')
                len--;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f)
                        return false;
        }
        return true;
}

/* Key names and actions: printable ASCII without spaces. */
static bool key_is_valid(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] <= 0x20 || s[i] >= 0x7f)
                        return false;
        return true;
}

static enum uevent_action action_from_text(const char *text) {
        int i = string_table_from_string(action_names, ELEMENTSOF(action_names), text);

        return i < 0 ? UEVENT_ACTION_OTHER : (enum uevent_action) i;
}

static enum uevent_subsystem subsystem_from_text(const char *text) {
        int i = string_table_from_string(subsystem_names, ELEMENTSOF(subsystem_names), text);

        return i < 0 ? UEVENT_SUBSYSTEM_OTHER : (enum uevent_subsystem) i;
}

/* "ACTION@DEVPATH": @header is NUL-terminated, @len = strlen(header). The
 * devpath may itself contain '@' ("soc@0"), so split at the first one. */
static int parse_header(struct parse_state *st, const char *header, size_t len) {
        const char *at = memchr(header, '@', len);
        size_t action_len, devpath_len;

        if (!at)
                return malformed(st, "no '@' in the header");
        action_len = (size_t) (at - header);
        if (action_len == 0)
                return malformed(st, "empty action");
        if (action_len > UEVENT_ACTION_MAX)
                return malformed(st, "action too long");
        if (!key_is_valid(header, action_len))
                return malformed(st, "action not printable");
        memcpy(st->ev.action_text, header, action_len);
        st->ev.action_text[action_len] = '\0';

        st->ev.devpath = at + 1;
        devpath_len = len - action_len - 1;
        if (devpath_len == 0)
                return malformed(st, "empty devpath");
        if (st->ev.devpath[0] != '/')
                return malformed(st, "devpath not absolute");
        if (!text_is_printable(st->ev.devpath, devpath_len, false))
                return malformed(st, "devpath not printable");
        return 0;
}

static int parse_seqnum(struct parse_state *st, const char *value) {
        /* mr_parse_dec_u64 tolerates one trailing newline; SEQNUM has none. */
        if (strchr(value, '\n') || mr_parse_dec_u64(value, &st->ev.seqnum) < 0)
                return malformed(st, "bad SEQNUM");
        return 0;
}

static bool key_equals(const char *key, size_t key_len, const char *name) {
        return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

/* The header must agree with the keys that repeat it. */
static int parse_required_value(struct parse_state *st, enum required_key k, const char *value) {
        switch (k) {
        case KEY_ACTION:
                if (strcmp(value, st->ev.action_text) != 0)
                        return malformed(st, "ACTION key disagrees with the header");
                return 0;
        case KEY_DEVPATH:
                if (strcmp(value, st->ev.devpath) != 0)
                        return malformed(st, "DEVPATH key disagrees with the header");
                return 0;
        case KEY_SUBSYSTEM:
                if (value[0] == '\0')
                        return malformed(st, "empty SUBSYSTEM");
                st->ev.subsystem_text = value;
                return 0;
        default:
                return parse_seqnum(st, value);
        }
}

/* One "KEY=VALUE" string; @len = strlen(kv) > 0. */
static int parse_key(struct parse_state *st, const char *kv, size_t len) {
        const char *eq = memchr(kv, '=', len);
        const char *value;
        size_t key_len;

        if (!eq)
                return malformed(st, "key without '='");
        key_len = (size_t) (eq - kv);
        value = eq + 1;
        if (!key_is_valid(kv, key_len))
                return malformed(st, "key name empty or not printable");
        if (!text_is_printable(value, len - key_len - 1, true))
                return malformed(st, "value not printable");

        for (size_t k = 0; k < _KEY_REQUIRED_MAX; k++)
                if (key_equals(kv, key_len, required_keys[k].name)) {
                        if (st->seen[k])
                                return malformed(st, required_keys[k].duplicate);
                        st->seen[k] = true;
                        return parse_required_value(st, (enum required_key) k, value);
                }
        if (key_equals(kv, key_len, "SYNTH_UUID"))
                st->ev.synthetic = true;
        /* Everything else (DRIVER, MODALIAS, OF_*, SYNTH_ARG_*...) is accepted
         * and ignored: only sysfs is trusted. */
        return 0;
}

/* N from the devpath's last component "<subsystem>N", UEVENT_INDEX_NONE when
 * it has another shape (a device of the subsystem that is not a numbered
 * block, cpu or node). */
static int parse_index(struct parse_state *st) {
        const char *last, *digits, *prefix;
        uint64_t v;

        st->ev.index = UEVENT_INDEX_NONE;
        if (st->ev.subsystem == UEVENT_SUBSYSTEM_OTHER)
                return 0;
        prefix = subsystem_names[st->ev.subsystem];
        last = strrchr(st->ev.devpath, '/') + 1; /* the devpath starts with '/' */
        if (strncmp(last, prefix, strlen(prefix)) != 0)
                return 0;
        digits = last + strlen(prefix);
        if (digits[0] == '\0' || strspn(digits, "0123456789") != strlen(digits))
                return 0;
        if (mr_parse_dec_u64(digits, &v) < 0 || v == UEVENT_INDEX_NONE)
                return malformed(st, "device index overflows");
        st->ev.index = v;
        return 0;
}

static int parse_payload(struct parse_state *st, const char *p, size_t size) {
        size_t pos, len;
        int r;

        if (size >= 7 && memcmp(p, "libudev", 7) == 0) {
                st->reason = "udev re-broadcast (libudev), not a kernel event";
                return -EPROTO;
        }
        if (size == 0)
                return malformed(st, "empty payload");
        if (size > UEVENT_PAYLOAD_MAX)
                return malformed(st, "payload larger than 8 KiB");
        /* With a final NUL, every strlen() below stops inside the buffer. */
        if (p[size - 1] != '\0')
                return malformed(st, "payload not NUL-terminated");

        len = strlen(p);
        r = parse_header(st, p, len);
        if (r < 0)
                return r;
        for (pos = len + 1; pos < size; pos += len + 1) {
                len = strlen(p + pos);
                if (len == 0)
                        return malformed(st, "empty key");
                r = parse_key(st, p + pos, len);
                if (r < 0)
                        return r;
        }

        for (size_t k = 0; k < _KEY_REQUIRED_MAX; k++)
                if (!st->seen[k])
                        return malformed(st, required_keys[k].missing);

        st->ev.action = action_from_text(st->ev.action_text);
        st->ev.subsystem = subsystem_from_text(st->ev.subsystem_text);
        return parse_index(st);
}

int uevent_parse(const void *data, size_t size, struct uevent *ret_event, const char **ret_reason) {
        struct parse_state st = {};
        int r;

        r = parse_payload(&st, data, size);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = st.reason;
                return r;
        }
        *ret_event = st.ev;
        return 0;
}

bool uevent_payload_mentions_memory(const void *data, size_t size) {
        static const char devpath[] = "/devices/system/memory/";
        /* With its NUL, so that "memory_tiering" does not match. */
        static const char subsystem[] = "SUBSYSTEM=memory";

        return memmem(data, size, devpath, sizeof(devpath) - 1) ||
               memmem(data, size, subsystem, sizeof(subsystem));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "varlink-protocol.h"

/* ---- framing ---- */

/* An idle connection does not keep a buffer sized for a large message. */
#define FRAME_KEEP_IDLE (64u * 1024)

void varlink_frame_init(struct varlink_frame *f, size_t max_message) {
        *f = (struct varlink_frame) { .max_message = max_message };
}

void varlink_frame_done(struct varlink_frame *f) {
        free(f->buf);
        varlink_frame_init(f, f->max_message);
}

size_t varlink_frame_pending(const struct varlink_frame *f) {
        return f->end - f->start;
}

/* Finds the NUL ending the next message; remembers how far it looked so a
 * large message arriving in small pieces is scanned once. */
static char *frame_find_nul(struct varlink_frame *f) {
        char *from = f->buf + f->start + f->scanned;
        char *nul = memchr(from, '\0', f->end - f->start - f->scanned);

        if (!nul)
                f->scanned = f->end - f->start;
        return nul;
}

bool varlink_frame_has_message(struct varlink_frame *f) {
        return f->buf && frame_find_nul(f);
}

int varlink_frame_get_space(struct varlink_frame *f, size_t chunk, char **ret_space, size_t *ret_size) {
        size_t pending = varlink_frame_pending(f), want, need;

        if (pending > f->max_message || varlink_frame_has_message(f)) {
                *ret_space = NULL;
                *ret_size = 0;
                return 0;
        }
        want = f->max_message + 1 - pending;
        if (want > chunk)
                want = chunk;

        if (pending == 0 && f->size > FRAME_KEEP_IDLE) {
                free(f->buf);
                f->buf = NULL;
                f->size = 0;
        } else if (f->start > 0) {
                memmove(f->buf, f->buf + f->start, pending);
        }
        f->start = 0;
        f->end = pending;

        need = pending + want;
        if (f->size < need) {
                size_t grown = f->size * 2 > need ? f->size * 2 : need;
                char *p;

                if (grown > f->max_message + 1)
                        grown = need > f->max_message + 1 ? need : f->max_message + 1;
                p = realloc(f->buf, grown);
                if (!p)
                        return -ENOMEM;
                f->buf = p;
                f->size = grown;
        }
        *ret_space = f->buf + f->end;
        *ret_size = want;
        return 0;
}

void varlink_frame_commit(struct varlink_frame *f, size_t n) {
        f->end += n;
}

int varlink_frame_next(struct varlink_frame *f, char **ret_message, size_t *ret_len) {
        char *msg, *nul;
        size_t len;

        if (!f->buf)
                return 0;
        nul = frame_find_nul(f);
        if (!nul)
                return varlink_frame_pending(f) > f->max_message ? -EMSGSIZE : 0;

        msg = f->buf + f->start;
        len = (size_t) (nul - msg);
        f->start += len + 1;
        f->scanned = 0;
        if (len > f->max_message)
                return -EMSGSIZE;
        *ret_message = msg;
        *ret_len = len;
        return 1;
}

/* ---- names ---- */

/* One label of a reverse-domain name: starts with a letter (or a digit
 * after the first label), letters and digits, inner dashes allowed. */
static size_t label_length(const char *s, bool first) {
        size_t n = 0;

        if (!(ascii_is_alpha(s[0]) || (!first && ascii_is_digit(s[0]))))
                return 0;
        while (ascii_is_alnum(s[n]) || s[n] == '-')
                n++;
        return s[n - 1] == '-' ? 0 : n;
}

bool varlink_interface_name_is_valid(const char *name) {
        size_t labels = 0, n;

        if (!name || strlen(name) > 255)
                return false;
        for (const char *p = name;; p += n + 1) {
                n = label_length(p, labels == 0);
                if (n == 0)
                        return false;
                labels++;
                if (p[n] == '\0')
                        return labels >= 2;
                if (p[n] != '.')
                        return false;
        }
}

bool varlink_member_name_is_valid(const char *name) {
        if (!name || !(name[0] >= 'A' && name[0] <= 'Z') || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++)
                if (!ascii_is_alnum(*p))
                        return false;
        return true;
}

bool varlink_qualified_name_is_valid(const char *name) {
        const char *dot = name ? strrchr(name, '.') : NULL;
        _cleanup_(freep) char *iface = NULL;

        if (!dot || !varlink_member_name_is_valid(dot + 1))
                return false;
        iface = strndup(name, (size_t) (dot - name));
        return iface && varlink_interface_name_is_valid(iface);
}

/* ---- envelopes ---- */

/* Absent "parameters" become an empty object owned by the root, so that
 * handlers always get an object. */
static int envelope_parameters(struct json_object *root, struct json_object **ret) {
        struct json_object *params = NULL;
        int r;

        r = mj_get_object(root, "parameters", false, &params, NULL);
        if (r < 0)
                return r;
        if (r == 0) {
                params = json_object_new_object();
                if (!params)
                        return -ENOMEM;
                if (json_object_object_add(root, "parameters", params) < 0) {
                        json_object_put(params);
                        return -ENOMEM;
                }
        }
        *ret = params;
        return 0;
}

int varlink_call_message_parse(const char *text, size_t len, unsigned max_depth,
                               struct varlink_call_message *ret, const char **error_field,
                               const char **error_detail) {
        static const char *const flag_names[] = { "more", "oneway", "upgrade" };
        static const char *const flag_details[] = {
                "\"more\" must be a boolean",
                "\"oneway\" must be a boolean",
                "\"upgrade\" must be a boolean",
        };
        struct varlink_call_message m = {};
        bool *flags[] = { &m.more, &m.oneway, &m.upgrade };
        const char *dummy_field = NULL, *dummy_detail = NULL;
        const char **field = error_field ?: &dummy_field, **detail = error_detail ?: &dummy_detail;
        int r;

        *field = "";
        r = varlink_json_parse_limited(text, len, max_depth, VARLINK_MAX_CALL_VALUES, &m.root, detail);
        if (r < 0)
                return r;

        r = -EBADMSG;
        *field = "method";
        *detail = "\"method\" must be a qualified method name";
        if (mj_get_string(m.root, "method", false, &m.method, NULL) <= 0 ||
            !varlink_qualified_name_is_valid(m.method))
                goto fail;
        *field = "parameters";
        *detail = "\"parameters\" must be an object";
        r = envelope_parameters(m.root, &m.parameters);
        if (r < 0)
                goto fail;
        r = -EBADMSG;
        for (size_t k = 0; k < ELEMENTSOF(flag_names); k++)
                if (mj_get_bool(m.root, flag_names[k], false, flags[k], NULL) < 0) {
                        *field = flag_names[k];
                        *detail = flag_details[k];
                        goto fail;
                }

        *ret = m;
        return 0;
fail:
        json_object_put(m.root);
        return r == -EINVAL ? -EBADMSG : r;
}

void varlink_call_message_done(struct varlink_call_message *m) {
        json_object_put(m->root);
        *m = (struct varlink_call_message) {};
}

int varlink_reply_message_parse(const char *text, size_t len, unsigned max_depth,
                                struct varlink_reply_message *ret, const char **error_detail) {
        struct varlink_reply_message m = {};
        const char *dummy = NULL;
        const char **detail = error_detail ?: &dummy;
        int r;

        r = varlink_json_parse(text, len, max_depth, &m.root, detail);
        if (r < 0)
                return r;

        *detail = "\"parameters\" must be an object";
        r = envelope_parameters(m.root, &m.parameters);
        if (r < 0)
                goto fail;
        r = -EBADMSG;
        *detail = "\"error\" must be a qualified error name";
        if (mj_get_string(m.root, "error", false, &m.error, NULL) < 0 ||
            (m.error && !varlink_qualified_name_is_valid(m.error)))
                goto fail;
        *detail = "\"continues\" must be a boolean";
        if (mj_get_bool(m.root, "continues", false, &m.continues, NULL) < 0)
                goto fail;

        *ret = m;
        return 0;
fail:
        json_object_put(m.root);
        return r == -EINVAL ? -EBADMSG : r;
}

void varlink_reply_message_done(struct varlink_reply_message *m) {
        json_object_put(m->root);
        *m = (struct varlink_reply_message) {};
}

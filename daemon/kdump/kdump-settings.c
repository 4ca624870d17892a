/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/default/kdump-tools without a shell: the assignment subset of
 * POSIX sh that the file uses, and kdump-config's command line rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdump-settings.h"
#include "strbuf.h"
#include "log.h"
#include "fileio.h"
#include "memrange-cleanup.h"

/* ---------------------------------------------------------------------------
 * A growable string
 */

/* ---------------------------------------------------------------------------
 * Words
 */

struct var {
        char *name, *value;
};

struct lexer {
        const char *name; /* file name for messages, NULL: no messages */
        const char *p;
        unsigned line;
        bool expand;      /* $NAME refers to earlier assignments */
        struct var *vars;
        size_t n_vars;
};

#define LEX_ERROR 1 /* a syntax error was logged; distinct from -errno */

static int lex_error(struct lexer *lx, const char *what) {
        if (lx->name)
                log_error("%s:%u: %s", lx->name, lx->line, what);
        return LEX_ERROR;
}

static bool is_name_start(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c) {
        return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t name_length(const char *p) {
        size_t n = 0;

        if (!is_name_start(p[0]))
                return 0;
        while (is_name_char(p[n]))
                n++;
        return n;
}

static const char *lookup(const struct lexer *lx, const char *name, size_t len) {
        /* The latest assignment wins, as in the shell. */
        for (size_t i = lx->n_vars; i > 0; i--)
                if (strlen(lx->vars[i - 1].name) == len && strncmp(lx->vars[i - 1].name, name, len) == 0)
                        return lx->vars[i - 1].value;
        return NULL;
}

/* At '$': $NAME or ${NAME}, expanded from earlier assignments (unset ones
 * are empty, as kdump-config's environment has none of these). A '$' that
 * starts nothing is literal. */
static int lex_dollar(struct lexer *lx, struct strbuf *out) {
        const char *p = lx->p + 1;
        bool braced = *p == '{';
        size_t len;

        if (*p == '(')
                return lex_error(lx, "command substitution $(...) is not supported");
        if (braced)
                p++;
        len = name_length(p);
        if (len == 0) {
                if (braced)
                        return lex_error(lx, "unsupported ${...} expansion");
                lx->p++;
                return strbuf_putc(out, '$');
        }
        if (braced && p[len] != '}')
                return lex_error(lx, "unsupported ${...} expansion (only ${NAME})");
        lx->p = p + len + braced;
        return strbuf_puts(out, lookup(lx, p, len));
}

/* An unterminated quote is reported at the line where it opened. */
static int lex_unterminated(struct lexer *lx, unsigned opened, const char *what) {
        lx->line = opened;
        return lex_error(lx, what);
}

static int lex_single_quoted(struct lexer *lx, struct strbuf *out) {
        unsigned opened = lx->line;
        int r;

        for (lx->p++; *lx->p != '\''; lx->p++) {
                if (*lx->p == '\0')
                        return lex_unterminated(lx, opened, "unterminated single quote");
                if (*lx->p == '\n')
                        lx->line++;
                r = strbuf_putc(out, *lx->p);
                if (r < 0)
                        return r;
        }
        lx->p++;
        return 0;
}

static int lex_double_quoted(struct lexer *lx, struct strbuf *out) {
        unsigned opened = lx->line;
        int r = 0;

        lx->p++;
        while (r == 0 && *lx->p != '"') {
                char c = *lx->p;

                if (c == '\0')
                        return lex_unterminated(lx, opened, "unterminated double quote");
                if (c == '`')
                        return lex_error(lx, "command substitution `...` is not supported");
                if (c == '$' && lx->expand) {
                        r = lex_dollar(lx, out);
                        continue;
                }
                if (c == '\\' && lx->p[1] == '\n') { /* line continuation */
                        lx->p += 2;
                        lx->line++;
                        continue;
                }
                if (c == '\\' && lx->p[1] && strchr("$`\"\\", lx->p[1]))
                        c = *++lx->p;
                else if (c == '\n')
                        lx->line++;
                r = strbuf_putc(out, c);
                lx->p++;
        }
        if (r == 0)
                lx->p++;
        return r;
}

static bool ends_word(char c) {
        return c == '\0' || c == '\n' || c == ' ' || c == '\t' || c == '\r';
}

/* One word at lx->p into @out: 0, LEX_ERROR (logged) or -ENOMEM. */
static int lex_word(struct lexer *lx, struct strbuf *out) {
        int r = 0;

        while (r == 0 && !ends_word(*lx->p)) {
                char c = *lx->p;

                if (c == '\'')
                        r = lex_single_quoted(lx, out);
                else if (c == '"')
                        r = lex_double_quoted(lx, out);
                else if (c == '$' && lx->expand)
                        r = lex_dollar(lx, out);
                else if (c == '`')
                        r = lex_error(lx, "command substitution `...` is not supported");
                else if (strchr(";&|<>()", c))
                        r = lex_error(lx, "shell syntax other than KEY=VALUE is not supported");
                else if (c == '\\' && lx->p[1] == '\n') {
                        lx->p += 2;
                        lx->line++;
                } else if (c == '\\' && lx->p[1]) {
                        r = strbuf_putc(out, lx->p[1]);
                        lx->p += 2;
                } else {
                        r = strbuf_putc(out, c);
                        lx->p++;
                }
        }
        return r;
}

static void skip_blanks(struct lexer *lx) {
        while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r')
                lx->p++;
}

int shell_split_words(const char *text, char ***ret_words, size_t *ret_n) {
        struct lexer lx = { .p = text ?: "", .line = 1 };
        char **words = NULL;
        size_t n = 0;
        int r;

        for (;;) {
                struct strbuf word = {};
                char **grown;

                while (*lx.p && ends_word(*lx.p))
                        lx.p++;
                if (!*lx.p)
                        break;
                r = lex_word(&lx, &word);
                grown = r == 0 ? reallocarray(words, n + 2, sizeof(*words)) : NULL;
                if (!grown) {
                        free(word.s);
                        strv_free(words);
                        return r == LEX_ERROR ? -EINVAL : -ENOMEM;
                }
                words = grown;
                words[n] = strbuf_take(&word);
                words[++n] = NULL;
                if (!words[n - 1]) {
                        strv_free(words);
                        return -ENOMEM;
                }
        }
        if (!words && !(words = calloc(1, sizeof(*words))))
                return -ENOMEM;
        *ret_words = words;
        if (ret_n)
                *ret_n = n;
        return 0;
}

/* ---------------------------------------------------------------------------
 * The file
 */

static int remember(struct lexer *lx, const char *name, size_t len, char *value) {
        struct var *vars = reallocarray(lx->vars, lx->n_vars + 1, sizeof(*vars));
        char *copy = strndup(name, len);

        if (vars)
                lx->vars = vars;
        if (!vars || !copy) {
                free(copy);
                free(value);
                return -ENOMEM;
        }
        lx->vars[lx->n_vars++] = (struct var) { .name = copy, .value = value };
        return 0;
}

static void skip_line(struct lexer *lx) {
        while (*lx->p && *lx->p != '\n')
                lx->p++;
}

/* One statement at lx->p (blanks skipped): 0, LEX_ERROR (logged, the rest
 * of the line skipped) or -ENOMEM. */
static int parse_statement(struct lexer *lx) {
        struct strbuf value = {};
        const char *name;
        size_t len;
        int r;

        len = name_length(lx->p);
        if (len == 6 && strncmp(lx->p, "export", 6) == 0 && (lx->p[6] == ' ' || lx->p[6] == '\t')) {
                lx->p += 6;
                skip_blanks(lx);
                len = name_length(lx->p);
        }
        name = lx->p;
        if (len == 0 || name[len] != '=') {
                r = lex_error(lx, "not a KEY=VALUE assignment, ignoring the line");
                skip_line(lx);
                return r;
        }
        lx->p += len + 1;
        r = lex_word(lx, &value);
        if (r == 0) {
                skip_blanks(lx);
                if (*lx->p == '#')
                        skip_line(lx);
                else if (*lx->p && *lx->p != '\n')
                        /* "A=b cmd" runs cmd with A in its environment only. */
                        r = lex_error(lx, "text after the value (quote values with spaces), ignoring the line");
        }
        if (r != 0) {
                free(value.s);
                if (r == LEX_ERROR)
                        skip_line(lx);
                return r;
        }
        return remember(lx, name, len, strbuf_take(&value));
}

static int take_setting(const struct lexer *lx, const char *name, char **ret) {
        const char *v = lookup(lx, name, strlen(name));

        if (!v || !v[0])
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int collect(const struct lexer *lx, struct kdump_settings *s) {
        const char *use = lookup(lx, "USE_KDUMP", strlen("USE_KDUMP"));
        int r;

        s->use_kdump = use && use[0] && strcmp(use, "0") != 0;
        if ((r = take_setting(lx, "KDUMP_KERNEL", &s->kernel)) < 0 ||
            (r = take_setting(lx, "KDUMP_INITRD", &s->initrd)) < 0 ||
            (r = take_setting(lx, "KDUMP_KEXEC_ARGS", &s->kexec_args)) < 0 ||
            (r = take_setting(lx, "KDUMP_CMDLINE", &s->cmdline)) < 0 ||
            (r = take_setting(lx, "KDUMP_CMDLINE_APPEND", &s->cmdline_append)) < 0)
                return r;
        return 0;
}

void kdump_settings_done(struct kdump_settings *s) {
        free(s->kernel);
        free(s->initrd);
        free(s->kexec_args);
        free(s->cmdline);
        free(s->cmdline_append);
        *s = (struct kdump_settings) {};
}

int kdump_settings_parse(const char *name, const char *text, struct kdump_settings *ret) {
        struct lexer lx = { .name = name, .p = text, .line = 1, .expand = true };
        int errors = 0, r = 0;

        *ret = (struct kdump_settings) {};
        while (*lx.p && r >= 0) {
                skip_blanks(&lx);
                if (*lx.p == '\n') {
                        lx.p++;
                        lx.line++;
                } else if (*lx.p == '#')
                        skip_line(&lx);
                else if (*lx.p) {
                        r = parse_statement(&lx);
                        errors += r == LEX_ERROR;
                }
        }
        if (r >= 0)
                r = collect(&lx, ret);
        for (size_t i = 0; i < lx.n_vars; i++) {
                free(lx.vars[i].name);
                free(lx.vars[i].value);
        }
        free(lx.vars);
        return r < 0 ? r : errors;
}

int kdump_settings_read(struct memrange_ctx *ctx, const char *path, struct kdump_settings *ret) {
        _cleanup_(freep) char *text = NULL, *name = NULL;
        size_t len;
        int r;

        /* Messages name the file as the machine does: /etc/default/... */
        if (asprintf(&name, "/%s", path + strspn(path, "/")) < 0)
                return -ENOMEM;
        r = read_full_file_at(memrange_ctx_get_sysroot_fd(ctx), path, KDUMP_SETTINGS_FILE_MAX, &text, &len);
        if (r == -ENOENT)
                return r;
        if (r == -EFBIG)
                return log_error_errno(r, "%s: larger than %u bytes, ignoring it", name, KDUMP_SETTINGS_FILE_MAX);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", name);
        if (memchr(text, '\0', len))
                return log_error_errno(EBADMSG, "%s: contains a NUL byte, ignoring it", name);
        return kdump_settings_parse(name, text, ret);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file: one table of settings drives parsing, defaults
 * and the change log of a reload. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "scheduler.h"
#include "log.h"
#include "memrange-cleanup.h"
#include "parse-util.h"
#include "varlink.h"
#include "string-table.h"

enum setting_kind {
        SETTING_TIMESPAN,  /* usec_t */
        SETTING_LOG_LEVEL, /* int */
        SETTING_UNSIGNED,  /* unsigned, within [min, max] */
        SETTING_SIZE,      /* size_t, within [min, max] */
        SETTING_STRING,    /* char *, NULL when empty */
        SETTING_PATH,      /* as SETTING_STRING, an absolute path */
};

struct setting {
        const char *section;
        const char *key;
        enum setting_kind kind;
        size_t offset;
        uint64_t min, max;
};

#define AT(field) offsetof(struct config, field)
static const struct setting settings[] = {
        { "Daemon", "QuietWindowSec", SETTING_TIMESPAN, AT(quiet_window), 0, SCHEDULER_TIMING_MAX },
        { "Daemon", "MaxDelaySec", SETTING_TIMESPAN, AT(max_delay), 0, SCHEDULER_TIMING_MAX },
        { "Daemon", "LogLevel", SETTING_LOG_LEVEL, AT(log_level), LOG_EMERG, LOG_DEBUG },
        { "Socket", "MaxConnections", SETTING_UNSIGNED, AT(max_connections), 1, 65536 },
        { "Socket", "MaxConnectionsPerUser", SETTING_UNSIGNED, AT(max_connections_per_user), 1, 65536 },
        { "Socket", "MaxMessageSize", SETTING_SIZE, AT(max_message_size), 4096, 64u * 1024 * 1024 },
        { "Socket", "MaxOutputQueue", SETTING_SIZE, AT(max_output_queue), 64u * 1024, 1024u * 1024 * 1024 },
        { "Kdump", "Mode", SETTING_STRING, AT(kdump.mode), 0, 0 },
        { "Kdump", "Kernel", SETTING_STRING, AT(kdump.kernel), 0, 0 },
        { "Kdump", "Initrd", SETTING_STRING, AT(kdump.initrd), 0, 0 },
        { "Kdump", "CommandLine", SETTING_STRING, AT(kdump.command_line), 0, 0 },
        { "Kdump", "Command", SETTING_STRING, AT(kdump.command), 0, 0 },
        { "Kdump", "ExtraArguments", SETTING_STRING, AT(kdump.extra_arguments), 0, 0 },
        { "Kdump", "KexecPath", SETTING_STRING, AT(kdump.kexec_path), 0, 0 },
        { "Kdump", "LoadMethod", SETTING_STRING, AT(kdump.load_method), 0, 0 },
        { "Kdump", "MaxBackoffSec", SETTING_TIMESPAN, AT(kdump.max_backoff), 0, SCHEDULER_TIMING_MAX },
        { "Kdump", "TimeoutSec", SETTING_TIMESPAN, AT(kdump.timeout), 0, SCHEDULER_TIMING_MAX },
        { "Metrics", "Directory", SETTING_PATH, AT(metrics_directory), 0, 0 },
};
#undef AT

static bool is_string(const struct setting *s) {
        return s->kind == SETTING_STRING || s->kind == SETTING_PATH;
}

static void *field(const struct config *c, const struct setting *s) {
        return (char *) c + s->offset;
}

static size_t field_size(const struct setting *s) {
        switch (s->kind) {
        case SETTING_TIMESPAN:
                return sizeof(usec_t);
        case SETTING_LOG_LEVEL:
                return sizeof(int);
        case SETTING_UNSIGNED:
                return sizeof(unsigned);
        case SETTING_SIZE:
                return sizeof(size_t);
        default:
                return sizeof(char *);
        }
}

void config_init(struct config *c) {
        *c = (struct config) {
                .quiet_window = SCHEDULER_QUIET_DEFAULT,
                .max_delay = SCHEDULER_MAX_DELAY_DEFAULT,
                .log_level = LOG_INFO,
                .max_connections = VARLINK_DEFAULT_MAX_CONNECTIONS,
                .max_connections_per_user = VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID,
                .max_message_size = VARLINK_DEFAULT_MAX_MESSAGE_SIZE,
                .max_output_queue = VARLINK_DEFAULT_MAX_OUTPUT_QUEUE,
                .kdump.max_backoff = CONFIG_KDUMP_MAX_BACKOFF_DEFAULT,
                .kdump.timeout = CONFIG_KDUMP_TIMEOUT_DEFAULT,
        };
}

void config_done(struct config *c) {
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                if (is_string(&settings[i]))
                        free(*(char **) field(c, &settings[i]));
        config_init(c);
}

int config_copy(const struct config *c, struct config *ret) {
        struct config copy = *c;

        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                char **p = field(&copy, &settings[i]);

                if (!is_string(&settings[i]) || !*p)
                        continue;
                *p = strdup(*p);
                if (!*p) {
                        /* Clear the strings not copied yet, then free the rest. */
                        for (size_t k = i + 1; k < ELEMENTSOF(settings); k++)
                                if (is_string(&settings[k]))
                                        *(char **) field(&copy, &settings[k]) = NULL;
                        config_done(&copy);
                        return -ENOMEM;
                }
        }
        *ret = copy;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Value parsers
 */

static const char *const config_log_level_table[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

DEFINE_STRING_TABLE_TO_STRING(config_log_level, int)

int config_parse_log_level(const char *s, int *ret) {
        int level = string_table_from_string(config_log_level_table, ELEMENTSOF(config_log_level_table), s);

        if (level >= 0) {
                *ret = level;
                return 0;
        }
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0') {
                *ret = s[0] - '0';
                return 0;
        }
        return -EINVAL;
}

/* Leading decimal digits of *p (at most @max_digits) into *ret; advances *p. */
static int take_digits(const char **p, unsigned max_digits, uint64_t *ret, unsigned *ret_n) {
        uint64_t v = 0;
        unsigned n = 0;

        while (**p >= '0' && **p <= '9') {
                if (++n > max_digits)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (**p - '0');
                (*p)++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int config_parse_timespan(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "", USEC_PER_SEC }, { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "ms", USEC_PER_MSEC },
                { "us", 1 }, { "min", 60 * USEC_PER_SEC },
        };
        uint64_t whole, frac = 0, scale = 1;
        unsigned n_whole, n_frac = 0;
        const char *p = s;
        int r;

        /* 12 whole digits and 9 fraction digits keep every product below 2^64. */
        r = take_digits(&p, 12, &whole, &n_whole);
        if (r >= 0 && *p == '.') {
                p++;
                r = take_digits(&p, 9, &frac, &n_frac);
                if (r >= 0 && n_frac == 0)
                        r = -EINVAL;
        }
        if (r < 0)
                return r;
        if (n_whole == 0)
                return -EINVAL;
        for (unsigned i = 0; i < n_frac; i++)
                scale *= 10;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                usec_t v;

                if (strcmp(p, units[i].suffix) != 0)
                        continue;
                v = whole * units[i].usec + frac * units[i].usec / scale;
                if (v > SCHEDULER_TIMING_MAX)
                        return -ERANGE;
                *ret = v;
                return 0;
        }
        return -EINVAL;
}

int config_parse_size(const char *s, size_t *ret) {
        static const char suffixes[] = "KMG";
        uint64_t v, mult = 1;
        unsigned n;
        const char *p = s;
        int r;

        r = take_digits(&p, 12, &v, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return -EINVAL;
        if (*p) {
                const char *k = strchr(suffixes, *p);

                if (!k || p[1])
                        return -EINVAL;
                mult = UINT64_C(1) << (10 * (k - suffixes + 1));
        }
        if (v > SIZE_MAX / mult)
                return -ERANGE;
        *ret = (size_t) (v * mult);
        return 0;
}

/* ---------------------------------------------------------------------------
 * Applying one setting
 */

static int apply_string(const struct setting *s, struct config *c, const char *value) {
        char **p = field(c, s), *copy = NULL;

        if (value[0]) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*p);
        *p = copy;
        return 0;
}

/* Parses @value for @s into @c. An empty value restores the default.
 * -EINVAL/-ERANGE leave @c unchanged; *ret_why says what was expected. */
static int apply(const struct setting *s, struct config *c, const char *value, const char **ret_why) {
        struct config defaults;
        uint64_t u;
        usec_t t;
        size_t z;
        int level, r;

        if (s->kind == SETTING_PATH && value[0] && value[0] != '/') {
                *ret_why = "an absolute path";
                return -EINVAL;
        }
        if (is_string(s))
                return apply_string(s, c, value);
        if (!value[0]) {
                config_init(&defaults);
                memcpy(field(c, s), field(&defaults, s), field_size(s));
                return 0;
        }
        switch (s->kind) {
        case SETTING_TIMESPAN:
                *ret_why = "a time span such as 0.25, 250ms, 2s or 1.5min, at most 60min";
                r = config_parse_timespan(value, &t);
                if (r >= 0)
                        *(usec_t *) field(c, s) = t;
                return r;
        case SETTING_LOG_LEVEL:
                *ret_why = "emerg, alert, crit, err, warning, notice, info, debug or 0-7";
                r = config_parse_log_level(value, &level);
                if (r >= 0)
                        *(int *) field(c, s) = level;
                return r;
        case SETTING_UNSIGNED:
                *ret_why = "an integer in range";
                r = mr_parse_dec_u64(value, &u);
                if (r >= 0 && (u < s->min || u > s->max))
                        r = -ERANGE;
                if (r >= 0)
                        *(unsigned *) field(c, s) = (unsigned) u;
                return r;
        case SETTING_SIZE:
                *ret_why = "a size in bytes, or with K, M or G, in range";
                r = config_parse_size(value, &z);
                if (r >= 0 && (z < s->min || z > s->max))
                        r = -ERANGE;
                if (r >= 0)
                        *(size_t *) field(c, s) = z;
                return r;
        default:
                return -EINVAL;
        }
}

/* ---------------------------------------------------------------------------
 * The file
 */

static char *strip(char *s) {
        char *end;

        while (*s == ' ' || *s == '\t')
                s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                *--end = '\0';
        return s;
}

static bool section_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                if (strcmp(settings[i].section, section) == 0)
                        return true;
        return false;
}

static const struct setting *find_setting(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
                        return &settings[i];
        return NULL;
}

/* One "[Section]" line into @section (empty when unknown); returns 1 for
 * an error. */
static int parse_section(const char *name, unsigned line, char *l, char *section, size_t size) {
        size_t len = strlen(l);

        section[0] = '\0';
        if (len < 3 || l[len - 1] != ']' || strcspn(l + 1, "[] \t") != len - 2) {
                log_error("%s:%u: invalid section header '%s'", name, line, l);
                return 1;
        }
        if (len - 2 >= size) {
                log_warning("%s:%u: unknown section %s, ignoring it", name, line, l);
                return 0;
        }
        memcpy(section, l + 1, len - 2);
        section[len - 2] = '\0';
        if (!section_known(section)) {
                log_warning("%s:%u: unknown section [%s], ignoring it", name, line, section);
                section[0] = '\0';
        }
        return 0;
}

/* One "Key=Value" line; returns 1 for an error, 0 otherwise, -ENOMEM. */
static int parse_assignment(struct config *c, const char *name, unsigned line, const char *section,
                            bool in_unknown_section, char *l) {
        const struct setting *s;
        const char *why = "";
        char *eq = strchr(l, '='), *key, *value;
        int r;

        if (!eq) {
                log_error("%s:%u: expected Key=Value, got '%s'", name, line, l);
                return 1;
        }
        *eq = '\0';
        key = strip(l);
        value = strip(eq + 1);
        if (!key[0]) {
                log_error("%s:%u: missing key before '='", name, line);
                return 1;
        }
        if (in_unknown_section)
                return 0;
        if (!section[0]) {
                log_error("%s:%u: %s= outside of any section", name, line, key);
                return 1;
        }
        s = find_setting(section, key);
        if (!s) {
                log_warning("%s:%u: unknown key %s= in [%s], ignoring it", name, line, key, section);
                return 0;
        }
        r = apply(s, c, value, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("%s:%u: invalid %s=%s (expected %s), keeping the previous value", name, line, key,
                          value, why);
                return 1;
        }
        return 0;
}

int config_parse(struct config *c, const char *name, const char *text) {
        _cleanup_(freep) char *copy = strdup(text);
        char section[64] = "", *cursor = copy, *l;
        bool unknown_section = false;
        unsigned line = 0;
        int errors = 0, r;

        if (!copy)
                return -ENOMEM;
        while ((l = mr_next_line(&cursor))) {
                line++;
                if (strlen(l) > CONFIG_LINE_MAX) {
                        log_error("%s:%u: line longer than %u bytes", name, line, CONFIG_LINE_MAX);
                        errors++;
                        continue;
                }
                l = strip(l);
                if (!l[0] || l[0] == '#' || l[0] == ';')
                        continue;
                if (l[0] == '[') {
                        errors += parse_section(name, line, l, section, sizeof(section));
                        unknown_section = !section[0];
                        continue;
                }
                r = parse_assignment(c, name, line, section, unknown_section, l);
                if (r < 0)
                        return r;
                errors += r;
        }
        return errors;
}

int config_load(struct config *c, const char *path, bool must_exist) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT && !must_exist)
                        return 0;
                return log_error_errno(errno, "Cannot open %s: %m", path);
        }
        buf = malloc(CONFIG_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        /* One byte more than allowed tells a too large file apart. */
        while (len <= CONFIG_FILE_MAX) {
                n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(errno, "Cannot read %s: %m", path);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > CONFIG_FILE_MAX)
                return log_error_errno(EFBIG, "%s is larger than %u bytes", path, CONFIG_FILE_MAX);
        if (memchr(buf, '\0', len)) {
                log_error("%s: contains a NUL byte, ignoring the file", path);
                return 1;
        }
        buf[len] = '\0';
        return config_parse(c, path, buf);
}

/* ---------------------------------------------------------------------------
 * Change log
 */

static void format_value(const struct config *c, const struct setting *s, char *buf, size_t size) {
        const void *p = field(c, s);

        switch (s->kind) {
        case SETTING_TIMESPAN:
                if (*(const usec_t *) p % USEC_PER_MSEC == 0)
                        snprintf(buf, size, "%" PRIu64 "ms", *(const usec_t *) p / USEC_PER_MSEC);
                else
                        snprintf(buf, size, "%" PRIu64 "us", *(const usec_t *) p);
                break;
        case SETTING_LOG_LEVEL:
                snprintf(buf, size, "%s", config_log_level_to_string(*(const int *) p) ?: "?");
                break;
        case SETTING_UNSIGNED:
                snprintf(buf, size, "%u", *(const unsigned *) p);
                break;
        case SETTING_SIZE:
                snprintf(buf, size, "%zu", *(const size_t *) p);
                break;
        case SETTING_STRING:
        case SETTING_PATH:
                snprintf(buf, size, "%s", *(char *const *) p ?: "(unset)");
                break;
        }
}

unsigned config_log_changes(const struct config *old, const struct config *new) {
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                char a[256], b[256];

                format_value(old, &settings[i], a, sizeof(a));
                format_value(new, &settings[i], b, sizeof(b));
                if (strcmp(a, b) == 0)
                        continue;
                log_info("Configuration: [%s] %s: %s -> %s", settings[i].section, settings[i].key, a, b);
                n++;
        }
        return n;
}

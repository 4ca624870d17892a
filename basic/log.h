/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Daemon logging: one line per message on stderr with a "<N>" syslog
 * priority prefix, which journald turns into the message priority. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_priority(int priority);
int log_get_max_priority(void);

/* Returns -abs(error) when error != 0, else 0, so callers can write
 * `return log_error_errno(r, "...: %m")` (%m prints strerror(-r)). */
int log_full_errno(int priority, int error, const char *format, ...) _printf_(3, 4);
void log_fullv(int priority, int error, const char *format, va_list ap) _printf_(3, 0);

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)

/* Adapter for memrange_ctx_set_log_fn(): library messages go to the same
 * stream. */
void log_memrange(void *userdata, int priority, const char *file, int line, const char *fn,
                  const char *format, va_list args) _printf_(6, 0);

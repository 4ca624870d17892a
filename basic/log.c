/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_priority = LOG_INFO;

void log_set_max_priority(int priority) {
        max_priority = priority;
}

int log_get_max_priority(void) {
        return max_priority;
}

void log_fullv(int priority, int error, const char *format, va_list ap) {
        char line[2048];

        if (priority > max_priority)
                return;
        /* %m in the format means the passed error, not whatever errno is now. */
        errno = error < 0 ? -error : error;
        vsnprintf(line, sizeof(line), format, ap);
        fprintf(stderr, "<%d>%s\n", priority, line);
}

int log_full_errno(int priority, int error, const char *format, ...) {
        int saved = errno;
        va_list ap;

        va_start(ap, format);
        log_fullv(priority, error, format, ap);
        va_end(ap);
        errno = saved;
        return error == 0 ? 0 : (error < 0 ? error : -error);
}

void log_memrange(void *userdata, int priority, const char *file, int line, const char *fn,
                  const char *format, va_list args) {
        log_fullv(priority, 0, format, args);
}

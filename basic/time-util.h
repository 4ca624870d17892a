/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Microseconds as the project's one time unit (sd-event's too). */
#pragma once

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define NSEC_PER_USEC ((uint64_t) 1000ULL)

/* @ts in microseconds. */
usec_t timespec_to_usec(const struct timespec *ts);
/* The time of @clock now in nanoseconds, for benchmarks; 0 as below. */
uint64_t now_nsec(clockid_t clock);
/* The time of @clock now; 0 if the clock cannot be read (a clock id the
 * kernel does not know), which callers treat as "no time". */
usec_t now_usec(clockid_t clock);

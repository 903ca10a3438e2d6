/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/clock.h - the monotonic clock of the threads and tools.
 */
/** \file
 * Monotonic milliseconds, for the timeouts, intervals and deadlines of the
 * sink, Redis and pass-through threads and the tools (the pure logic gets
 * its time as an argument instead). Header-only.
 */
#ifndef MXGUARD_CLOCK_H
#define MXGUARD_CLOCK_H
#include <stdint.h>
#include <time.h>

/** Monotonic milliseconds (CLOCK_MONOTONIC). */
static inline uint64_t
mxg_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif /* MXGUARD_CLOCK_H */

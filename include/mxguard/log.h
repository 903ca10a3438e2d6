/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/log.h - logging for the pure parts of mxguard.
 */
/** \file
 * The pure logic logs through these functions. In the module they go to
 * Unbound's log (module/log.c, prefix "mxguard: "); in unit tests and the
 * tools they go to stderr (tools/log_stderr.c).
 */
#ifndef MXGUARD_LOG_H
#define MXGUARD_LOG_H

/** Log an error (always shown). printf-style. */
void mxg_log_err(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/** Log a warning or an operational notice (always shown). */
void mxg_log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/** Log a detail shown at Unbound verbosity >= level (1 ops .. 4 algo). */
void mxg_log_verbose(int level, const char* fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* MXGUARD_LOG_H */

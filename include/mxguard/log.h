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

/** Level of an error (always shown). */
#define MXG_LOG_ERR (-1)
/** Level of a warning or an operational notice (always shown). */
#define MXG_LOG_INFO 0

/**
 * Log a message, printf-style. level: MXG_LOG_ERR, MXG_LOG_INFO, or a
 * detail shown at Unbound verbosity >= level (1 ops .. 4 algo). Each
 * backend (module/log.c, tools/log_stderr.c) defines only this.
 */
void mxg_log(int level, const char* fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Log an error (always shown). */
#define mxg_log_err(...) mxg_log(MXG_LOG_ERR, __VA_ARGS__)
/** Log a warning or an operational notice (always shown). */
#define mxg_log_info(...) mxg_log(MXG_LOG_INFO, __VA_ARGS__)
/** Log a detail shown at Unbound verbosity >= level (1 .. 4). */
#define mxg_log_verbose(level, ...) mxg_log(level, __VA_ARGS__)

#endif /* MXGUARD_LOG_H */

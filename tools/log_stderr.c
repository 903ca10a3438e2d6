/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/log_stderr.c - mxg_log_* for programs without Unbound.
 */
/** \file
 * The pure parts log through include/mxguard/log.h. Inside Unbound that goes
 * to Unbound's log (module/log.c); the unit tests and the tools link this file
 * instead, which writes to stderr. MXG_VERBOSITY in the environment sets the
 * verbose level (default 0). Messages are also kept in mxg_log_last so tests
 * can assert what was logged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "mxguard/log.h"

/** The last message logged (tests read it). */
char mxg_log_last[1024];

void
mxg_log(int level, const char* fmt, ...)
{
	const char* v = getenv("MXG_VERBOSITY");
	va_list ap;
	if(level > MXG_LOG_INFO && (!v || atoi(v) < level))
		return;
	va_start(ap, fmt);
	vsnprintf(mxg_log_last, sizeof(mxg_log_last), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mxguard: %s%s\n", level == MXG_LOG_ERR ? "error: " :
		"", mxg_log_last);
}

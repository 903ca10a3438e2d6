/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/log.c - mxg_log_* inside Unbound.
 */
/** \file
 * The pure parts of mxguard log through include/mxguard/log.h. Inside the
 * module those calls go to Unbound's own log (log_err, log_info, verbose),
 * which is thread-safe, with the prefix "mxguard: ". Programs without Unbound
 * link tools/log_stderr.c instead.
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include "util/log.h"
#include "mxguard/log.h"

void
mxg_log(int level, const char* fmt, ...)
{
	char buf[1024];
	va_list ap;
	if(level > MXG_LOG_INFO && verbosity < (enum verbosity_value)level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if(level == MXG_LOG_ERR)
		log_err("mxguard: %s", buf);
	else if(level == MXG_LOG_INFO)
		log_info("mxguard: %s", buf);
	else
		verbose((enum verbosity_value)level, "mxguard: %s", buf);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/msg.c - messages collected in a caller's buffer.
 */
/** \file
 * The one way a function appends a message to the error or findings text
 * it hands back (include/mxguard/msg.h): GeoIP ("; " between messages),
 * the category list and the module chain (one a line).
 */
#include <stdio.h>
#include <string.h>
#include "mxguard/msg.h"

void
mxg_msg_vappend(char* buf, size_t len, const char* sep, const char* fmt,
	va_list ap)
{
	size_t used;
	if(!buf || len == 0)
		return;
	used = strnlen(buf, len);
	if(used + 1 >= len)
		return;
	if(used > 0) {
		snprintf(buf + used, len - used, "%s", sep);
		used = strnlen(buf, len);
	}
	vsnprintf(buf + used, len - used, fmt, ap);
}

void
mxg_msg_append(char* buf, size_t len, const char* sep, const char* fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mxg_msg_vappend(buf, len, sep, fmt, ap);
	va_end(ap);
}

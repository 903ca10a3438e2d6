/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/msg.h - messages collected in a caller's buffer.
 */
/** \file
 * Functions that can find several problems (the GeoIP databases, the
 * category list, the module chain) hand them back as text in a buffer of
 * the caller's: one message after another, with a separator, truncated at
 * the end of the buffer and never past it. module/msg.c writes them.
 */
#ifndef MXGUARD_MSG_H
#define MXGUARD_MSG_H
#include <stdarg.h>
#include <stddef.h>

/**
 * Append a message (printf-style) to the NUL-terminated text in buf,
 * after sep when buf holds one already. A NULL or full buffer takes
 * nothing; a message that does not fit is cut.
 */
void mxg_msg_append(char* buf, size_t len, const char* sep,
	const char* fmt, ...) __attribute__((format(printf, 4, 5)));

/** mxg_msg_append with a va_list. */
void mxg_msg_vappend(char* buf, size_t len, const char* sep,
	const char* fmt, va_list ap) __attribute__((format(printf, 4, 0)));

#endif /* MXGUARD_MSG_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/conflib.h - what the tests of the config share.
 */
/** \file
 * test_conf (config text) and test_conf_files (files, printing, the docs)
 * were one program; what both use is here once: the error buffer of the
 * last parse, a parse of text into a fresh config, the messages on one
 * line for a test description, a line count and an allowlist match.
 * Header-only, static inline.
 */
#ifndef MXGUARD_CONFLIB_H
#define MXGUARD_CONFLIB_H
#include <string.h>
#include "mxguard/allowlist.h"
#include "mxguard/conf.h"

/** Error buffer of the last parse. */
static char err[8192];

/** s with newlines shown as " | " (for test descriptions). */
static inline const char*
flat(const char* s)
{
	static char b[sizeof(err) * 3];
	size_t i = 0;
	for(; *s && i + 4 < sizeof(b); s++) {
		if(*s == '\n') {
			memcpy(b + i, " | ", 3);
			i += 3;
		} else
			b[i++] = *s;
	}
	b[i] = 0;
	return b;
}

/** Parse text into a fresh config; *okp gets the result. */
static inline struct mxg_conf*
parse(const char* text, int* okp)
{
	struct mxg_conf* c = mxg_conf_new();
	if(!c) {
		*okp = 0;
		return NULL;
	}
	*okp = mxg_conf_read_string(c, "t.conf", text, err, sizeof(err));
	return c;
}

/** Number of lines in s. */
static inline int
count_lines(const char* s)
{
	int n = 0;
	for(; *s; s++)
		if(*s == '\n')
			n++;
	return n;
}

/** Match an address string against an allowlist. */
static inline int
match(const struct mxg_allowlist* al, const char* a)
{
	return mxg_allowlist_match_text(al, a);
}

#endif /* MXGUARD_CONFLIB_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/chain.c - is Unbound's module-config safe for mxguard?
 */
/** \file
 * The rules behind mxg_chain_check() (include/mxguard/chain.h), each found
 * in Unbound's module code and tested with Unbound's scenario driver
 * (tests/rpl/): which modules may stand before dynlib, which must, and which
 * must not, for each mode. docs/building.md lists the safe chains.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mxguard/chain.h"
#include "mxguard/msg.h"

/** Most modules a chain can have (Unbound's MAX_MODULE is 16). */
#define MAX_CHAIN 16
/** Longest module name kept. */
#define MAX_NAME 32

/** Append one finding line to msg and raise *worst to its level. */
static void
finding(char* msg, size_t len, int* worst, int level, const char* fmt, ...)
{
	va_list ap;
	if(level > *worst)
		*worst = level;
	va_start(ap, fmt);
	mxg_msg_vappend(msg, len, "\n", fmt, ap);
	va_end(ap);
}

/** Split chain into names. @return the number of modules. */
static int
split(const char* chain, char names[MAX_CHAIN][MAX_NAME])
{
	int n = 0;
	const char* p = chain ? chain : "";
	while(*p && n < MAX_CHAIN) {
		size_t k = 0;
		while(*p == ' ' || *p == '\t' || *p == '"')
			p++;
		if(!*p)
			break;
		while(*p && *p != ' ' && *p != '\t' && *p != '"') {
			if(k + 1 < MAX_NAME)
				names[n][k++] = *p;
			p++;
		}
		names[n][k] = 0;
		n++;
	}
	return n;
}

int
mxg_chain_check(const char* chain, int enforce, char* msg, size_t len)
{
	char names[MAX_CHAIN][MAX_NAME];
	int n = split(chain, names), i, me = -1, worst = 0;
	if(len)
		msg[0] = 0;
	for(i = 0; i < n; i++)
		if(strcmp(names[i], "dynlib") == 0) {
			me = i;
			break;
		}
	if(me < 0) {
		finding(msg, len, &worst, MXG_CHAIN_BROKEN, "module-config "
			"\"%s\" has no dynlib: mxguard is not loaded; use \"%s\"",
			chain ? chain : "", MXG_CHAIN_RECOMMENDED);
		return worst;
	}
	for(i = 0; i < me; i++) {
		const char* m = names[i];
		if(strcmp(m, "iterator") == 0) {
			finding(msg, len, &worst, MXG_CHAIN_BROKEN,
				"module-config \"%s\": iterator before dynlib "
				"answers every query itself, mxguard sees none; "
				"put dynlib before it (\"%s\")", chain,
				MXG_CHAIN_RECOMMENDED);
			return worst;
		}
		if(strcmp(m, "subnetcache") == 0 || strcmp(m, "cachedb") == 0)
			finding(msg, len, &worst, enforce ? MXG_CHAIN_UNSAFE :
				MXG_CHAIN_WARN, "module-config \"%s\": %s before "
				"dynlib answers MX lookups from its own cache "
				"before mxguard sees them (%s); put dynlib before "
				"%s", chain, m, enforce ? "refuse mode cannot hold" :
				"those lookups are not counted", m);
		else if(strcmp(m, "validator") == 0 && enforce)
			finding(msg, len, &worst, MXG_CHAIN_WARN, "module-config "
				"\"%s\": validator before dynlib validates the "
				"answers of mxguard's cache again at every lookup; "
				"put dynlib before validator", chain);
		else if(strcmp(m, "python") == 0)
			finding(msg, len, &worst, MXG_CHAIN_WARN, "module-config "
				"\"%s\": python before dynlib may answer queries "
				"mxguard never sees", chain);
	}
	for(i = me + 1; i < n; i++)
		if(strcmp(names[i], "dns64") == 0)
			finding(msg, len, &worst, MXG_CHAIN_WARN, "module-config "
				"\"%s\": dns64 after dynlib cannot synthesise AAAA "
				"records (it sets its state up only for queries it "
				"sees first); put dns64 before dynlib", chain);
	return worst;
}

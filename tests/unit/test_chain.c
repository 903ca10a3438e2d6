/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_chain.c - which module-configs mxguard accepts.
 */
/** \file
 * mxg_chain_check() on the chains real resolvers use: what is fine, what
 * only warns, what refuse mode cannot run in, and that each message names
 * the chain and the fix. tests/rpl/ shows the same through Unbound.
 */
#include <string.h>
#include "mxguard/chain.h"
#include "tap.h"

/** Check one chain in one mode. */
static void
check(const char* chain, int enforce, int want, const char* must_say)
{
	char msg[2048];
	int got = mxg_chain_check(chain, enforce, msg, sizeof(msg));
	ok(got == want, "\"%s\" %s: level %d (want %d)", chain,
		enforce ? "refuse" : "log", got, want);
	if(must_say)
		ok(strstr(msg, must_say) != NULL && strstr(msg, chain) != NULL,
			"\"%s\" says \"%s\" and names the chain: %s", chain,
			must_say, msg);
	else
		ok(msg[0] == 0, "\"%s\" has nothing to say: '%s'", chain, msg);
}

int
main(void)
{
	char small[16];
	check("dynlib validator iterator", 1, 0, NULL);
	check("dynlib validator iterator", 0, 0, NULL);
	check("dynlib iterator", 1, 0, NULL);
	check("dynlib respip validator iterator", 1, 0, NULL);
	check("respip dynlib validator iterator", 1, 0, NULL);
	check("dynlib subnetcache validator iterator", 1, 0, NULL);
	check("dns64 dynlib validator iterator", 1, 0, NULL);
	check("ipsecmod dynlib validator iterator", 1, 0, NULL);
	check("dynlib ipsecmod validator iterator", 1, 0, NULL);
	check("dynlib validator cachedb iterator", 1, 0, NULL);
	check("  dynlib\tvalidator   iterator ", 1, 0, NULL);
	check("\"dynlib validator iterator\"", 1, 0, NULL);

	check("subnetcache dynlib validator iterator", 1, MXG_CHAIN_UNSAFE,
		"put dynlib before subnetcache");
	check("subnetcache dynlib validator iterator", 0, MXG_CHAIN_WARN,
		"not counted");
	check("cachedb dynlib validator iterator", 1, MXG_CHAIN_UNSAFE,
		"put dynlib before cachedb");
	check("validator dynlib iterator", 1, MXG_CHAIN_WARN,
		"put dynlib before validator");
	check("validator dynlib iterator", 0, 0, NULL);
	check("dynlib dns64 validator iterator", 1, MXG_CHAIN_WARN,
		"put dns64 before dynlib");
	check("dynlib dns64 validator iterator", 0, MXG_CHAIN_WARN,
		"put dns64 before dynlib");
	check("python dynlib validator iterator", 0, MXG_CHAIN_WARN,
		"python before dynlib");
	check("iterator dynlib", 0, MXG_CHAIN_BROKEN, "put dynlib before it");
	check("validator iterator", 1, MXG_CHAIN_BROKEN, "no dynlib");
	check("", 0, MXG_CHAIN_BROKEN, "no dynlib");
	ok(mxg_chain_check(NULL, 1, small, sizeof(small)) == MXG_CHAIN_BROKEN &&
		strlen(small) < sizeof(small), "NULL chain, message cut to fit");
	ok(mxg_chain_check("subnetcache cachedb dynlib validator iterator", 1,
		small, sizeof(small)) == MXG_CHAIN_UNSAFE &&
		strlen(small) < sizeof(small), "two findings, cut to fit");
	return done_testing();
}

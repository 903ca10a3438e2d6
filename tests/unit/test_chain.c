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

/** Chains that are fine even in refuse mode. */
static const char* const fine[] = {
	"dynlib validator iterator",
	"dynlib iterator",
	"dynlib respip validator iterator",
	"respip dynlib validator iterator",
	"dynlib subnetcache validator iterator",
	"dns64 dynlib validator iterator",
	"ipsecmod dynlib validator iterator",
	"dynlib ipsecmod validator iterator",
	"dynlib validator cachedb iterator",
	"  dynlib\tvalidator   iterator ",
	"\"dynlib validator iterator\"",
};

/** A chain, the mode (1: refuse), the level expected and what the message
 * must say (NULL: no message). */
static const struct chain_case {
	const char* chain;
	int enforce, want;
	const char* must_say;
} cases[] = {
	{ "dynlib validator iterator", 0, 0, NULL },
	{ "validator dynlib iterator", 0, 0, NULL },
	{ "subnetcache dynlib validator iterator", 1, MXG_CHAIN_UNSAFE,
		"put dynlib before subnetcache" },
	{ "subnetcache dynlib validator iterator", 0, MXG_CHAIN_WARN,
		"not counted" },
	{ "cachedb dynlib validator iterator", 1, MXG_CHAIN_UNSAFE,
		"put dynlib before cachedb" },
	{ "validator dynlib iterator", 1, MXG_CHAIN_WARN,
		"put dynlib before validator" },
	{ "dynlib dns64 validator iterator", 1, MXG_CHAIN_WARN,
		"put dns64 before dynlib" },
	{ "dynlib dns64 validator iterator", 0, MXG_CHAIN_WARN,
		"put dns64 before dynlib" },
	{ "python dynlib validator iterator", 0, MXG_CHAIN_WARN,
		"python before dynlib" },
	{ "iterator dynlib", 0, MXG_CHAIN_BROKEN, "put dynlib before it" },
	{ "validator iterator", 1, MXG_CHAIN_BROKEN, "no dynlib" },
	{ "", 0, MXG_CHAIN_BROKEN, "no dynlib" },
};

int
main(void)
{
	char small[16];
	size_t i;
	for(i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		check(fine[i], 1, 0, NULL);
	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].chain, cases[i].enforce, cases[i].want,
			cases[i].must_say);
	ok(mxg_chain_check(NULL, 1, small, sizeof(small)) == MXG_CHAIN_BROKEN &&
		strlen(small) < sizeof(small), "NULL chain, message cut to fit");
	ok(mxg_chain_check("subnetcache cachedb dynlib validator iterator", 1,
		small, sizeof(small)) == MXG_CHAIN_UNSAFE &&
		strlen(small) < sizeof(small), "two findings, cut to fit");
	return done_testing();
}

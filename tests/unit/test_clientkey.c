/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_clientkey.c - one definition of a client.
 */
/** \file
 * mxg_client_key, mxg_client_text and mxg_client_parse: an IPv4-mapped
 * address is the IPv4 client whatever client-prefix-v6 is, masks of 0, 24,
 * 32, 64 and 128 bits, the text with and without /len, and parsing what a
 * person types (mapped addresses with a length, bad lengths).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "mxguard/clientkey.h"
#include "tap.h"

/** The text of the client of an address given as text. */
static const char*
key_text(const char* a, int p4, int p6)
{
	static char out[80];
	struct mxg_client_mask m;
	struct mxg_client k;
	uint8_t b[16];
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	memset(b, 0, sizeof(b));
	if(inet_pton(fam, a, b) != 1)
		return "(bad test address)";
	mxg_client_mask_init(&m, p4, p6);
	mxg_client_key(&k, &m, fam, b);
	mxg_client_text(&k, out, sizeof(out));
	return out;
}

/** The text of a parsed client, "(error)" when refused. */
static const char*
parse_text(const char* a, int p4, int p6)
{
	static char out[80];
	struct mxg_client_mask m;
	struct mxg_client k;
	mxg_client_mask_init(&m, p4, p6);
	if(!mxg_client_parse(&k, &m, a))
		return "(error)";
	mxg_client_text(&k, out, sizeof(out));
	return out;
}

/** One case: an address from a resolver (mxg_client_key) or what a person
 * types (mxg_client_parse, PARSE), with the prefix lengths of the config,
 * and the text of the client it gives ("(error)": refused). */
struct key_case {
	enum { KEY, PARSE } how;
	const char* addr;
	int p4, p6;
	const char* want;
};

static const struct key_case cases[] = {
	{ KEY, "10.1.2.3", 32, 64, "10.1.2.3" },
	{ KEY, "10.1.2.3", 24, 64, "10.1.2.0/24" },
	/* IPv4 /0: one client */
	{ KEY, "10.1.2.3", 0, 64, "0.0.0.0/0" },
	/* IPv4-mapped is IPv4 (not ::/64) and takes client-prefix-v4 */
	{ KEY, "::ffff:10.1.2.3", 32, 64, "10.1.2.3" },
	{ KEY, "::ffff:10.1.2.3", 24, 128, "10.1.2.0/24" },
	{ KEY, "2001:db8:1:2:3:4:5:6", 32, 64, "2001:db8:1:2::/64" },
	{ KEY, "2001:db8:1:2:3:4:5:6", 32, 128, "2001:db8:1:2:3:4:5:6" },
	{ KEY, "2001:db8:1:2:3:4:5:6", 32, 0, "::/0" },
	/* masked with the config, unless a length is given */
	{ PARSE, "10.1.2.3", 24, 64, "10.1.2.0/24" },
	{ PARSE, "10.1.2.3/32", 24, 64, "10.1.2.3" },
	/* mapped is IPv4, /120 is IPv4 /24, a length under 96 refused */
	{ PARSE, "::ffff:10.1.2.3", 32, 64, "10.1.2.3" },
	{ PARSE, "::ffff:10.1.2.0/120", 32, 64, "10.1.2.0/24" },
	{ PARSE, "::ffff:10.1.2.0/64", 32, 64, "(error)" },
	/* /33, an empty length and a name refused */
	{ PARSE, "10.1.2.3/33", 32, 64, "(error)" },
	{ PARSE, "10.1.2.3/", 32, 64, "(error)" },
	{ PARSE, "example.com", 32, 64, "(error)" },
	/* IPv6 masked with the config */
	{ PARSE, "2001:db8::1", 32, 56, "2001:db8::/56" },
};

int
main(void)
{
	size_t i;
	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct key_case* c = &cases[i];
		is_str(c->how == PARSE ? parse_text(c->addr, c->p4, c->p6) :
			key_text(c->addr, c->p4, c->p6), c->want,
			"%s %s with /%d and /%d", c->how == PARSE ? "parse" :
			"key", c->addr, c->p4, c->p6);
	}
	{
		/* the key is the same for the mapped and the plain address */
		struct mxg_client_mask m;
		struct mxg_client a, b;
		uint8_t v4[4] = { 192, 0, 2, 1 };
		uint8_t v6[16] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff,
			192, 0, 2, 1 };
		mxg_client_mask_init(&m, 32, 64);
		mxg_client_key(&a, &m, AF_INET, v4);
		mxg_client_key(&b, &m, AF_INET6, v6);
		ok(memcmp(&a, &b, sizeof(a)) == 0, "mapped and plain IPv4 "
			"give the same key");
	}
	return done_testing();
}

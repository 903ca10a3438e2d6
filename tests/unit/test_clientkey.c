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

int
main(void)
{
	is_str(key_text("10.1.2.3", 32, 64), "10.1.2.3", "IPv4 /32");
	is_str(key_text("10.1.2.3", 24, 64), "10.1.2.0/24", "IPv4 /24");
	is_str(key_text("10.1.2.3", 0, 64), "0.0.0.0/0", "IPv4 /0: one client");
	is_str(key_text("::ffff:10.1.2.3", 32, 64), "10.1.2.3",
		"IPv4-mapped is IPv4 (not ::/64)");
	is_str(key_text("::ffff:10.1.2.3", 24, 128), "10.1.2.0/24",
		"IPv4-mapped takes client-prefix-v4");
	is_str(key_text("2001:db8:1:2:3:4:5:6", 32, 64), "2001:db8:1:2::/64",
		"IPv6 /64");
	is_str(key_text("2001:db8:1:2:3:4:5:6", 32, 128),
		"2001:db8:1:2:3:4:5:6", "IPv6 /128");
	is_str(key_text("2001:db8:1:2:3:4:5:6", 32, 0), "::/0", "IPv6 /0");
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
	is_str(parse_text("10.1.2.3", 24, 64), "10.1.2.0/24",
		"parse: masked with the config");
	is_str(parse_text("10.1.2.3/32", 24, 64), "10.1.2.3",
		"parse: a length given is kept");
	is_str(parse_text("::ffff:10.1.2.3", 32, 64), "10.1.2.3",
		"parse: mapped is IPv4");
	is_str(parse_text("::ffff:10.1.2.0/120", 32, 64), "10.1.2.0/24",
		"parse: mapped /120 is IPv4 /24");
	is_str(parse_text("::ffff:10.1.2.0/64", 32, 64), "(error)",
		"parse: mapped with a length under 96 refused");
	is_str(parse_text("10.1.2.3/33", 32, 64), "(error)",
		"parse: /33 refused");
	is_str(parse_text("10.1.2.3/", 32, 64), "(error)",
		"parse: empty length refused");
	is_str(parse_text("example.com", 32, 64), "(error)",
		"parse: a name refused");
	is_str(parse_text("2001:db8::1", 32, 56), "2001:db8::/56",
		"parse: IPv6 masked with the config");
	return done_testing();
}

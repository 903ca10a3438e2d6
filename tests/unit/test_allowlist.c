/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_allowlist.c - the relay allowlist.
 */
/** \file
 * CIDR parsing and its errors, host bits, bare addresses, overlapping
 * prefixes, prefix edges (/0, /32, /128), IPv4-mapped IPv6 both ways,
 * sockaddr lookups, duplicates, and a randomised comparison with a naive
 * linear scan over tens of thousands of v4 and v6 netblocks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/allowlist.h"
#include "tap.h"
#include "testlib.h"

/** Match an address written as text; -1 if it does not parse. */
static int
m(const struct mxg_allowlist* al, const char* a)
{
	return mxg_allowlist_match_text(al, a);
}

/** Add a netblock, expecting success. */
static int
add(struct mxg_allowlist* al, const char* cidr)
{
	char err[128];
	int r = mxg_allowlist_add(al, cidr, err, sizeof(err));
	if(!r)
		diag("add %s: %s", cidr, err);
	return r;
}

/** Match an address given as text through a struct sockaddr_in or
 * sockaddr_in6. */
static int
match_sa(const struct mxg_allowlist* al, const char* a)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	s4.sin_family = AF_INET;
	s6.sin6_family = AF_INET6;
	if(inet_pton(AF_INET, a, &s4.sin_addr) == 1)
		return mxg_allowlist_match_sa(al, (struct sockaddr*)&s4);
	if(inet_pton(AF_INET6, a, &s6.sin6_addr) == 1)
		return mxg_allowlist_match_sa(al, (struct sockaddr*)&s6);
	return -1;
}

/** Addresses matched as text against the list of test_basic: 10/8,
 * 10.1/16, 192.0.2.7, 2001:db8::/32, 2001:db8:5::/48, 2001:db8:ffff::1,
 * fd00::1. */
static const struct {
	const char* addr;
	int want;
	const char* what;
} text_cases[] = {
	{ "10.0.0.0", 1, "first address of the /8" },
	{ "10.255.255.255", 1, "last address of the /8" },
	{ "11.0.0.0", 0, "just past the /8" },
	{ "9.255.255.255", 0, "just before the /8" },
	{ "10.1.2.3", 1, "inside both overlapping prefixes" },
	{ "192.0.2.7", 1, "the bare host" },
	{ "192.0.2.6", 0, "next to the bare host" },
	{ "192.0.2.8", 0, "other side of the bare host" },
	{ "2001:db8::", 1, "first of the v6 /32" },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1, "last of the v6 /32" },
	{ "2001:db9::", 0, "past the v6 /32" },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0, "before the v6 /32" },
	{ "fd00::1", 1, "the bare v6 host" },
	{ "fd00::2", 0, "next to the bare v6 host" },
	/* IPv4-mapped IPv6 matches the IPv4 entries; IPv4-compatible
	 * (not mapped) does not */
	{ "::ffff:10.9.8.7", 1, "IPv4-mapped IPv6 in the IPv4 /8" },
	{ "::ffff:11.9.8.7", 0, "IPv4-mapped IPv6 outside" },
	{ "::10.9.8.7", 0, "IPv4-compatible is not mapped" },
};

/** Addresses matched as sockaddrs against the list of test_basic (an
 * IPv4-mapped one among them), and whether they match. */
static const struct {
	const char* addr;
	int want;
} sa_cases[] = {
	{ "10.200.1.1", 1 },
	{ "172.16.0.1", 0 },
	{ "2001:db8:5:1::1", 1 },
	{ "::ffff:10.1.1.1", 1 },
	{ "2a00::1", 0 },
};

/** Adding cidr fails with exactly want. */
static void
add_fails(const char* cidr, const char* want)
{
	struct mxg_allowlist* al = mxg_allowlist_new();
	char err[128] = "";
	int r = mxg_allowlist_add(al, cidr, err, sizeof(err));
	ok(!r && strcmp(err, want) == 0, "'%s' is refused: %s", cidr, want);
	if(r || strcmp(err, want) != 0)
		diag("got r=%d '%s'", r, err);
	is_int(mxg_allowlist_count(al), 0, "and nothing was added");
	mxg_allowlist_free(al);
}

/** Every way mxg_allowlist_add refuses a netblock. */
static void
test_errors(void)
{
	add_fails("10.0.0.0/33", "bad prefix length 33 (0-32)");
	add_fails("10.1.2.0/16", "host bits set (did you mean 10.1.0.0/16?)");
	add_fails("10.0.0.1/31", "host bits set (did you mean 10.0.0.0/31?)");
	add_fails("0.0.0.1/0", "host bits set (did you mean 0.0.0.0/0?)");
	add_fails("2001:db8::1/64",
		"host bits set (did you mean 2001:db8::/64?)");
	add_fails("2001:db8::8000:0:0:1/65",
		"host bits set (did you mean 2001:db8:0:0:8000::/65?)");
	add_fails("2001:db8::/129", "bad prefix length 129 (0-128)");
	add_fails("10.0.0.0/", "missing prefix length (0-32)");
	add_fails("::/", "missing prefix length (0-128)");
	add_fails("10.0.0.0/-1", "bad prefix length -1 (0-32)");
	add_fails("10.0.0.0/0008", "bad prefix length 0008 (0-32)");
	add_fails("10.0.0.0/8/8", "bad prefix length 8/8 (0-32)");
	add_fails("10.0.0.256", "not an IPv4 address");
	add_fails("10.0.0", "not an IPv4 address");
	add_fails("relay.example", "not an IPv4 address");
	add_fails("2001:db8:::1", "not an IPv6 address");
	add_fails("", "not an IP address");
	add_fails("/8", "not an IP address");
	add_fails(" 10.0.0.0/8", "not an IPv4 address");
}

/** Matching v4, v6, overlaps, bare hosts, mapped and sockaddr. */
static void
test_basic(void)
{
	struct mxg_allowlist* al = mxg_allowlist_new();
	struct sockaddr sx;
	size_t mem0, i;
	ok(al != NULL, "a new allowlist");
	if(!al)
		return;
	is_int(m(al, "10.0.0.1"), 0, "an empty list matches nothing (v4)");
	is_int(m(al, "::1"), 0, "an empty list matches nothing (v6)");
	mem0 = mxg_allowlist_mem(al);
	ok(mem0 > 0, "an empty list reports its own size");
	ok(add(al, "10.0.0.0/8"), "add 10.0.0.0/8");
	ok(add(al, "10.1.0.0/16"), "add an overlapping 10.1.0.0/16");
	ok(add(al, "192.0.2.7"), "add a bare IPv4 address");
	ok(add(al, "2001:db8::/32"), "add 2001:db8::/32");
	ok(add(al, "2001:db8:5::/48"), "add an overlapping /48");
	ok(add(al, "2001:db8:ffff::1"), "add a bare IPv6 address (in the /32)");
	ok(add(al, "fd00::1"), "add a bare IPv6 host");
	ok(add(al, "10.0.0.0/8"), "adding a duplicate is fine");
	is_int(mxg_allowlist_count(al), 7, "a duplicate counts once");
	ok(mxg_allowlist_mem(al) > mem0, "memory grows with entries");

	for(i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++)
		is_int(m(al, text_cases[i].addr), text_cases[i].want, "%s",
			text_cases[i].what);
	is_int(mxg_allowlist_match(al, AF_UNIX, (const uint8_t*)"xxxx"), 0,
		"an unknown family does not match");
	is_int(mxg_allowlist_match(al, AF_INET, NULL), 0,
		"a NULL address does not match");
	is_int(mxg_allowlist_match(NULL, AF_INET, (const uint8_t*)"\x0a\0\0\1"),
		0, "a NULL list matches nothing");

	for(i = 0; i < sizeof(sa_cases) / sizeof(sa_cases[0]); i++)
		is_int(match_sa(al, sa_cases[i].addr), sa_cases[i].want,
			"sockaddr_in%s %s %s", strchr(sa_cases[i].addr, ':') ?
			"6" : "", sa_cases[i].addr, sa_cases[i].want ? "matches" :
			"does not match");
	memset(&sx, 0, sizeof(sx));
	sx.sa_family = AF_UNIX;
	is_int(mxg_allowlist_match_sa(al, &sx), 0, "AF_UNIX never matches");
	is_int(mxg_allowlist_match_sa(al, NULL), 0, "NULL sockaddr");
	mxg_allowlist_free(al);
	mxg_allowlist_free(NULL);
	ok(1, "mxg_allowlist_free(NULL) is fine");
	is_int(mxg_allowlist_count(NULL), 0, "count of NULL");
	is_int(mxg_allowlist_mem(NULL), 0, "mem of NULL");
}

/** The steps of test_edges: a netblock added to a new list (NEW) or to
 * the list (ADD), or an address matched (want 1) or not (want 0). */
static const struct edge {
	enum { NEW, ADD, MATCH } op;
	const char* text;
	int want;
	const char* what;
} edges[] = {
	{ NEW, "0.0.0.0/0", 1, "the IPv4 /0" },
	{ MATCH, "0.0.0.0", 1, "/0 matches 0.0.0.0" },
	{ MATCH, "255.255.255.255", 1, "/0 matches 255.255.255.255" },
	{ MATCH, "::1", 0, "the IPv4 /0 does not match IPv6" },
	{ MATCH, "::ffff:1.2.3.4", 1, "but matches IPv4-mapped IPv6" },
	{ NEW, "::/0", 1, "the IPv6 /0" },
	{ MATCH, "ffff::1", 1, "::/0 matches any IPv6" },
	{ MATCH, "::", 1, "::/0 matches ::" },
	{ MATCH, "1.2.3.4", 0, "::/0 does not match IPv4" },
	{ ADD, "0.0.0.0/32", 1, "the host 0.0.0.0" },
	{ MATCH, "0.0.0.0", 1, "0.0.0.0/32 matches 0.0.0.0" },
	{ MATCH, "0.0.0.1", 0, "0.0.0.0/32 is only that host" },
	{ NEW, "::ffff:192.0.2.0/120", 1, "an IPv4-mapped IPv6 netblock" },
	{ MATCH, "192.0.2.99", 1,
		"a mapped netblock is stored as IPv4 192.0.2.0/24" },
	{ MATCH, "::ffff:192.0.2.99", 1, "and matches mapped addresses" },
	{ MATCH, "192.0.3.1", 0, "but only that /24" },
	{ ADD, "::/96", 1, "::/96 (not mapped)" },
	{ MATCH, "::1.2.3.4", 1, "::/96 matches ::1.2.3.4" },
	{ MATCH, "1.2.3.4", 0, "::/96 does not match IPv4" },
	{ ADD, "128.0.0.0/1", 1, "128.0.0.0/1" },
	{ MATCH, "200.1.1.1", 1, "upper half matches" },
	{ MATCH, "127.255.255.255", 0, "lower half does not" },
	{ ADD, "8000::/1", 1, "8000::/1" },
	{ MATCH, "ffff::", 1, "upper v6 half matches" },
	{ MATCH, "7fff::", 0, "lower v6 half does not" },
	{ ADD, "2001:db8:0:0:8000::/65", 1, "a /65" },
	{ MATCH, "2001:db8::8000:0:0:1", 1, "inside the /65" },
	{ MATCH, "2001:db8::7fff:0:0:1", 0, "outside the /65" },
};

/** /0, /1, /32, /65, /96, /128 and IPv4-mapped netblocks. */
static void
test_edges(void)
{
	struct mxg_allowlist* al = NULL;
	size_t i;
	for(i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const struct edge* e = &edges[i];
		if(e->op == NEW) {
			mxg_allowlist_free(al);
			if(!(al = mxg_allowlist_new()))
				return;
		}
		if(e->op == MATCH)
			is_int(m(al, e->text), e->want, "%s", e->what);
		else
			ok(add(al, e->text), "%s", e->what);
	}
	mxg_allowlist_free(al);
}

/** A netblock of the randomised test. */
struct net {
	/** 4 or 16 bytes */
	uint8_t a[16];
	/** prefix length */
	int len;
};

/** Does addr fall in n (naive)? */
static int
naive_in(const struct net* n, const uint8_t* a)
{
	int full = n->len / 8, rest = n->len % 8;
	if(memcmp(n->a, a, (size_t)full) != 0)
		return 0;
	if(rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (n->a[full] & mask) == (a[full] & mask);
	}
	return 1;
}

/** A small deterministic generator. */
static uint64_t rng = 0x1234567887654321ULL;
/** Next random number. */
static uint32_t
rnd(void)
{
	return t_rnd32(&rng);
}

/** Compare with a naive scan: n random netblocks, many random addresses. */
static void
random_compare(int v6, int n)
{
	struct mxg_allowlist* al = mxg_allowlist_new();
	struct net* nets = calloc((size_t)n, sizeof(*nets));
	int i, j, k, bad = 0, hits = 0, alen = v6 ? 16 : 4;
	int bits = v6 ? 128 : 32;
	char text[INET6_ADDRSTRLEN + 8], buf[INET6_ADDRSTRLEN];
	if(!al || !nets)
		return;
	for(i = 0; i < n; i++) {
		/* lengths cluster like real lists, with a few odd ones */
		static const int l4[] = { 16, 20, 22, 24, 24, 24, 28, 32, 32,
			26 };
		static const int l6[] = { 32, 48, 48, 56, 64, 64, 64, 128, 44,
			96 };
		int len = v6 ? l6[rnd() % 10] : l4[rnd() % 10];
		for(k = 0; k < alen; k++)
			nets[i].a[k] = (uint8_t)rnd();
		/* keep v6 addresses in 2001:db8::/32-ish space, not mapped */
		if(v6) {
			nets[i].a[0] = 0x20;
			nets[i].a[1] = (uint8_t)(rnd() % 4);
		} else {
			nets[i].a[0] = (uint8_t)(10 + rnd() % 64);
		}
		for(k = len; k < bits; k++)
			nets[i].a[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
		nets[i].len = len;
		inet_ntop(v6 ? AF_INET6 : AF_INET, nets[i].a, buf, sizeof(buf));
		snprintf(text, sizeof(text), "%s/%d", buf, len);
		if(!add(al, text))
			bad++;
	}
	ok(bad == 0, "%d random %s netblocks added", n, v6 ? "v6" : "v4");
	ok(mxg_allowlist_count(al) <= (size_t)n &&
		mxg_allowlist_count(al) > (size_t)n / 2,
		"count %zu of %d (duplicates merged)", mxg_allowlist_count(al),
		n);
	bad = 0;
	for(j = 0; j < 20000; j++) {
		uint8_t a[16];
		int want = 0;
		if(j % 2) {
			/* near an entry: copy its network, vary low bits */
			const struct net* e = &nets[rnd() % (uint32_t)n];
			memcpy(a, e->a, 16);
			a[alen - 1] ^= (uint8_t)rnd();
			if(rnd() % 4 == 0)
				a[(e->len ? e->len - 1 : 0) / 8] ^=
					(uint8_t)(0x80 >> ((e->len ? e->len - 1
					: 0) % 8));
		} else {
			for(k = 0; k < alen; k++)
				a[k] = (uint8_t)rnd();
			a[0] = v6 ? 0x20 : (uint8_t)(10 + rnd() % 64);
			if(v6)
				a[1] = (uint8_t)(rnd() % 4);
		}
		for(i = 0; i < n && !want; i++)
			want = naive_in(&nets[i], a);
		hits += want;
		if(mxg_allowlist_match(al, v6 ? AF_INET6 : AF_INET, a) != want)
			bad++;
	}
	ok(bad == 0, "%s: 20000 lookups agree with a linear scan (%d hits, "
		"%d mismatches)", v6 ? "v6" : "v4", hits, bad);
	ok(hits > 1000 && hits < 19000, "%s: the sample has hits and misses",
		v6 ? "v6" : "v4");
	mxg_allowlist_free(al);
	free(nets);
}

/** 50,000 netblocks: all match, memory stays small. */
static void
test_large(void)
{
	struct mxg_allowlist* al = mxg_allowlist_new();
	char text[64];
	int i, bad = 0;
	uint8_t a[4];
	if(!al)
		return;
	for(i = 0; i < 50000; i++) {
		snprintf(text, sizeof(text), "100.%d.%d.0/24", (i >> 8) & 255,
			i & 255);
		if(!add(al, text))
			bad++;
	}
	ok(bad == 0, "50000 /24 netblocks added");
	is_int(mxg_allowlist_count(al), 50000, "all 50000 counted");
	ok(mxg_allowlist_mem(al) < 1024 * 1024,
		"50000 IPv4 netblocks fit in under 1 MB (%zu bytes)",
		mxg_allowlist_mem(al));
	for(i = 0; i < 50000 && !bad; i++) {
		a[0] = 100;
		a[1] = (uint8_t)((i >> 8) & 255);
		a[2] = (uint8_t)(i & 255);
		a[3] = (uint8_t)i;
		if(!mxg_allowlist_match(al, AF_INET, a))
			bad++;
	}
	ok(bad == 0, "every one of them matches");
	a[0] = 100;
	a[1] = 195;
	a[2] = 80;
	a[3] = 1;
	is_int(mxg_allowlist_match(al, AF_INET, a), 0,
		"100.195.80.1 is past the last one (50000 = 195*256+80)");
	mxg_allowlist_free(al);
}

int
main(void)
{
	test_errors();
	test_basic();
	test_edges();
	test_large();
	random_compare(0, 3000);
	random_compare(1, 3000);
	return done_testing();
}

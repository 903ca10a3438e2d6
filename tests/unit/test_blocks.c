/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_blocks.c - block records and blocks applied to the engine.
 */
/** \file
 * The text form of blocks in Redis (field and value round trip, malformed
 * input, '|' in free text), client and netblock parsing and covering, and
 * mxg_engine_block / mxg_block_apply: a block refuses the client (or only
 * its base domain) with the "blocked" rule, a netblock is spread over its
 * client keys, a too wide one is refused, a lift ends the block, a relay is
 * never blocked, and a block ends at its time.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "mxguard/blocks.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/names.h"
#include "tap.h"
#include "testlib.h"

/** Fake clock. */
#define T0 ((time_t)1700002800)

static void
test_records(void)
{
	struct mxg_block b, p;
	char f[MXG_BLOCK_TEXT_MAX], v[MXG_BLOCK_TEXT_MAX];
	size_t fl, vl;
	memset(&b, 0, sizeof(b));
	ok(mxg_block_set_client(&b, "192.0.2.77/24") &&
		strcmp(b.client, "192.0.2.0/24") == 0 && b.plen == 24,
		"a netblock is masked: %s", b.client);
	ok(mxg_block_set_client(&b, "2001:DB8::1") &&
		strcmp(b.client, "2001:db8::1") == 0 && b.plen == 128,
		"an IPv6 address is canonical: %s", b.client);
	ok(!mxg_block_set_client(&b, "192.0.2.1/33") &&
		!mxg_block_set_client(&b, "example.com") &&
		!mxg_block_set_client(&b, "10.0.0.1/") &&
		!mxg_block_set_client(&b, ""), "bad clients are refused");
	ok(mxg_block_set_client(&b, "::ffff:192.0.2.9") &&
		strcmp(b.client, "192.0.2.9") == 0 && b.family == AF_INET &&
		b.plen == 32, "an IPv4-mapped client is IPv4: %s", b.client);
	mxg_block_set_client(&b, "10.1.0.0/16");
	mxg_block_set_client(&p, "10.1.2.3");
	ok(mxg_block_covers(&b, p.family, p.addr, p.plen) &&
		!mxg_block_covers(&p, b.family, b.addr, b.plen),
		"a /16 covers an address in it, not the other way");
	mxg_block_set_client(&p, "10.2.2.3");
	ok(!mxg_block_covers(&b, p.family, p.addr, p.plen),
		"a /16 does not cover an address outside it");

	memset(&b, 0, sizeof(b));
	mxg_block_set_client(&b, "192.0.2.5");
	snprintf(b.base, sizeof(b.base), "evil.example");
	b.until = 1800000000;
	b.since = 1799999000;
	snprintf(b.rule, sizeof(b.rule), "staging-shape");
	mxg_block_text(b.instance, sizeof(b.instance), "res|1\n");
	mxg_block_text(b.reason, sizeof(b.reason), "a|b|c");
	ok(strcmp(b.instance, "res_1_") == 0, "'|' and control bytes are "
		"replaced in texts: %s", b.instance);
	fl = mxg_block_field(&b, f, sizeof(f));
	vl = mxg_block_value(&b, v, sizeof(v));
	ok(strcmp(f, "192.0.2.5|evil.example") == 0 && fl == strlen(f),
		"field %s", f);
	ok(strcmp(v, "1800000000|1799999000|staging-shape|res_1_|a_b_c") == 0
		&& vl == strlen(v), "value %s", v);
	ok(mxg_block_parse(f, fl, v, vl, &p) && strcmp(p.client,
		"192.0.2.5") == 0 && strcmp(p.base, "evil.example") == 0 &&
		p.until == b.until && p.since == b.since &&
		strcmp(p.rule, "staging-shape") == 0 &&
		strcmp(p.instance, "res_1_") == 0 &&
		strcmp(p.reason, "a_b_c") == 0, "field and value parse back");
	ok(mxg_block_parse("10.0.0.1|", 9, "0|5|unblock|me|why|and|more", 27,
		&p) && p.until == 0 && strcmp(p.reason, "why|and|more") == 0,
		"a lift; the reason is the rest of the value");
	ok(!mxg_block_parse("10.0.0.1", 8, "1|2|r|i|x", 9, &p) &&
		!mxg_block_parse("x|", 2, "1|2|r|i|x", 9, &p) &&
		!mxg_block_parse("10.0.0.1|", 9, "1|2|r|i", 7, &p) &&
		!mxg_block_parse("10.0.0.1|", 9, "a|2|r|i|x", 9, &p) &&
		!mxg_block_parse("10.0.0.1|", 9, "1||r|i|x", 8, &p) &&
		!mxg_block_parse("10.0.0.1|", 9, "1|2||i|x", 8, &p),
		"malformed fields and values are refused");
	ok(mxg_block_rule_id("volume") == MXG_RULE_VOLUME &&
		mxg_block_rule_id(MXG_BLOCK_MANUAL) == MXG_RULE_BLOCKED &&
		mxg_block_rule_id("nonsense") == MXG_RULE_BLOCKED,
		"rule names map to rules, others to the operator");
}

/** Observe one query of name by client; return the verdict. */
static struct mxg_verdict
q(struct mxg_engine* e, const char* client, const char* name, time_t now)
{
	struct mxg_obs o;
	struct mxg_verdict v;
	uint8_t wire[MXG_NAME_WIRE_MAX];
	t_obs(&o, wire, MXG_OBS_QUERY, client, name, now);
	mxg_engine_observe(e, &o, &v);
	return v;
}

/** Apply a block given as text. */
static int
apply(struct mxg_engine* e, const char* client, const char* base,
	uint64_t until, const char* rule, time_t now)
{
	struct mxg_block b;
	memset(&b, 0, sizeof(b));
	if(!mxg_block_set_client(&b, client))
		return -2;
	snprintf(b.base, sizeof(b.base), "%s", base);
	snprintf(b.rule, sizeof(b.rule), "%s", rule);
	b.until = until;
	return mxg_block_apply(e, &b, (uint64_t)now);
}

static void
test_engine(void)
{
	char err[256];
	struct mxg_conf* c = mxg_conf_new();
	struct mxg_engine* e;
	struct mxg_verdict v;
	if(!c || !mxg_conf_read_string(c, "t.conf", "mode: log\n"
		"non-relay-enable: no\nrelay: 192.0.2.25\n"
		"client-prefix-v6: 64\n", err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	e = mxg_engine_new(c, err, sizeof(err));
	if(!e) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	v = q(e, "192.0.2.1", "a.example.com", T0);
	ok(v.action == MXG_ACT_PASS, "no block: passed");
	ok(apply(e, "192.0.2.1", "", T0 + 600, MXG_BLOCK_MANUAL, T0) == 1,
		"a block of one client changes one key");
	v = q(e, "192.0.2.1", "a.example.com", T0 + 1);
	ok(v.action == MXG_ACT_REFUSE && v.rule == MXG_RULE_BLOCKED &&
		strstr(v.reason, "by the operator"), "the client is refused "
		"although mode is log: %s", v.reason);
	v = q(e, "192.0.2.2", "a.example.com", T0 + 1);
	ok(v.action == MXG_ACT_PASS, "its neighbour is not");
	ok(apply(e, "192.0.2.1", "", 0, MXG_BLOCK_LIFT, T0 + 2) == 1,
		"a lift changes the key");
	v = q(e, "192.0.2.1", "a.example.com", T0 + 3);
	ok(v.action == MXG_ACT_PASS, "lifted: passed again");
	ok(apply(e, "192.0.2.1", "", 0, MXG_BLOCK_LIFT, T0 + 2) == 0,
		"lifting again changes nothing");

	ok(apply(e, "198.51.100.9", "evil.example", T0 + 600, "staging-shape",
		T0) == 1, "a block of a client for a base domain");
	v = q(e, "198.51.100.9", "7.evil.example", T0 + 5);
	ok(v.action == MXG_ACT_REFUSE && v.rule == MXG_RULE_BLOCKED &&
		strstr(v.reason, "by rule staging-shape"),
		"refused for a name under it: %s", v.reason);
	v = q(e, "198.51.100.9", "good.example", T0 + 5);
	ok(v.action == MXG_ACT_PASS, "not for another domain");
	v = q(e, "198.51.100.9", "evil.example", T0 + 601);
	ok(v.action == MXG_ACT_PASS, "the block ends at its time");

	ok(apply(e, "203.0.113.0/30", "", T0 + 600, MXG_BLOCK_MANUAL, T0) == 4,
		"a /30 is spread over its 4 client keys");
	ok(q(e, "203.0.113.3", "x.example", T0 + 1).action == MXG_ACT_REFUSE
		&& q(e, "203.0.113.4", "x.example", T0 + 1).action ==
		MXG_ACT_PASS, "inside refused, outside passed");
	ok(apply(e, "2001:db8:1:2:3::1", "", T0 + 600, MXG_BLOCK_MANUAL, T0)
		== 1 && q(e, "2001:db8:1:2:ffff::9", "x.example", T0 + 1).action
		== MXG_ACT_REFUSE, "an IPv6 address blocks its /64 key");
	ok(apply(e, "2001:db8:9::/56", "", T0 + 600, MXG_BLOCK_MANUAL, T0)
		== 256, "an IPv6 /56 is 256 keys of /64");
	ok(apply(e, "10.0.0.0/16", "", T0 + 600, MXG_BLOCK_MANUAL, T0) == -1,
		"a /16 (65536 keys) is refused");
	ok(apply(e, "192.0.2.25", "", T0 + 600, MXG_BLOCK_MANUAL, T0) == 1 &&
		q(e, "192.0.2.25", "x.example", T0 + 1).action == MXG_ACT_PASS,
		"a relay is never blocked");
	ok(apply(e, "192.0.2.40", "", T0 + 100, "volume", T0) == 1 &&
		apply(e, "192.0.2.40", "", T0 + 50, "volume", T0) == 0 &&
		q(e, "192.0.2.40", "x.example", T0 + 80).action ==
		MXG_ACT_REFUSE, "an earlier end does not shorten a block");
	mxg_engine_free(e);
	mxg_conf_free(c);
}

int
main(void)
{
	test_records();
	test_engine();
	return done_testing();
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_engine.c - the detection engine, rule by rule.
 */
/** \file
 * Each rule at its threshold (one lookup below and at the crossing), the
 * windows at their edges with a fake clock, verdicts fired once per period,
 * refuse and blocks with their expiry, dry-run, per-rule actions, relays,
 * client aggregation (IPv6 /64, IPv4-mapped), memory under a flood of a
 * million clients, and exact counts from concurrent threads.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/names.h"
#include "../../module/engine_int.h"
#include "tap.h"
#include "testlib.h"

/** Fake clock start: a multiple of 3600. */
#define T0 ((time_t)1700002800)

/** One test lookup: the wire name lives in the struct. */
struct look {
	/** the observation */
	struct mxg_obs obs;
	/** its name */
	uint8_t wire[MXG_NAME_WIRE_MAX];
};

/** Fill a lookup of name by client at time now. */
static void
mk(struct look* l, enum mxg_obs_stage stage, const char* client,
	const char* name, time_t now)
{
	t_obs(&l->obs, l->wire, stage, client, name, now);
}

/** Observe one query; return the verdict in v. */
static void
q(struct mxg_engine* e, const char* client, const char* name, time_t now,
	struct mxg_verdict* v)
{
	struct look l;
	mk(&l, MXG_OBS_QUERY, client, name, now);
	mxg_engine_observe(e, &l.obs, v);
}

/** Observe n queries of a name; return the rule of the last one that
 * fired (MXG_RULE_COUNT if none) and the number that fired. */
static int
qn(struct mxg_engine* e, const char* client, const char* name, time_t now,
	int n, struct mxg_verdict* v)
{
	int i, fired = 0;
	for(i = 0; i < n; i++) {
		q(e, client, name, now, v);
		if(v->rule != MXG_RULE_COUNT)
			fired++;
	}
	return fired;
}

/** Observe queries of the names fmt (with one %d) for i = from..to, the
 * i-th at now + i * step; return how many fired (v: the last verdict). */
static int
qfmt(struct mxg_engine* e, const char* client, const char* fmt, int from,
	int to, time_t now, time_t step, struct mxg_verdict* v)
{
	char name[64];
	int i, fired = 0;
	for(i = from; i <= to; i++) {
		snprintf(name, sizeof(name), fmt, i);
		q(e, client, name, now + i * step, v);
		if(v->rule != MXG_RULE_COUNT)
			fired++;
	}
	return fired;
}

static void
test_staging_window(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n");
	struct mxg_verdict v;
	int fired;
	/* 10 lookups, 4 of them numeric: not more than 10 */
	fired = qfmt(e, "10.1.2.3", "%d.evil.example", 1, 4, T0, 1, &v);
	fired += qn(e, "10.1.2.3", "www.evil.example", T0 + 5, 6, &v);
	is_int(fired, 0, "10 lookups with 4 numeric prefixes do not fire");
	q(e, "10.1.2.3", "mx.evil.example", T0 + 6, &v);
	is_int(v.rule, MXG_RULE_STAGING_WINDOW,
		"the 11th lookup fires staging-window");
	is_int(v.action, MXG_ACT_LOG, "in log mode it logs");
	ok(strncmp(v.reason, "client 10.1.2.3 made 11 MX lookups (4 numeric "
		"prefixes) for evil.example in 1h", 77) == 0,
		"reason in the seed's style: %s", v.reason);
	ok(strstr(v.reason, "4 distinct prefixes") != NULL,
		"reason has the dcount of prefixes");
	ok(strstr(v.reason, "1.evil.example,2.evil.example") != NULL,
		"reason has sample names");
	ok(strstr(v.reason, "first seen 5s ago") != NULL,
		"reason has the first seen time");
	q(e, "10.1.2.3", "mx.evil.example", T0 + 7, &v);
	is_int(v.rule, MXG_RULE_COUNT, "the 12th lookup does not fire again");
	q(e, "10.1.2.3", "mx.evil.example", T0 + 3599 + 4, &v);
	is_int(v.rule, MXG_RULE_COUNT,
		"at the end of the hour the window no longer holds 4 numeric");

	/* 11+ lookups, only 3 numeric, then the 4th numeric */
	fired = qfmt(e, "10.1.2.4", "%d.bad.example", 1, 3, T0, 0, &v);
	fired += qn(e, "10.1.2.4", "bad.example", T0, 10, &v);
	is_int(fired, 0, "13 lookups with 3 numeric prefixes do not fire");
	q(e, "10.1.2.4", "4.bad.example", T0 + 1, &v);
	is_int(v.rule, MXG_RULE_STAGING_WINDOW,
		"the 4th numeric-prefixed lookup fires");
	ok(strstr(v.reason, "made 14 MX lookups (4 numeric prefixes) for "
		"bad.example in 1h") != NULL, "reason: %s", v.reason);
	t_free(e, c);
}

static void
test_volume(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n");
	struct mxg_verdict v;
	int i, fired = 0;
	for(i = 0; i < 30; i++) {
		q(e, "10.0.0.1", "example.com", T0 + i, &v);
		fired += v.rule != MXG_RULE_COUNT;
	}
	is_int(fired, 0, "30 lookups in 60 s do not fire volume");
	q(e, "10.0.0.1", "example.com", T0 + 30, &v);
	is_int(v.rule, MXG_RULE_VOLUME, "the 31st lookup fires volume");
	is_str(v.reason, "client 10.0.0.1 made 31 MX lookups in 60s",
		"volume reason");
	is_int(qn(e, "10.0.0.1", "example.com", T0 + 31, 20, &v), 0,
		"more lookups above the threshold do not fire again in log mode");
	/* at T0+90 the window holds the 20 lookups of T0+31; 20 more cross
	 * 30 again, one period after the first verdict */
	is_int(qn(e, "10.0.0.1", "example.com", T0 + 90, 20, &v), 1,
		"one period later it fires once more while still above");
	/* a lookup sliding out: new client, 30 lookups at T0, 1 at T0+60 */
	qn(e, "10.0.0.2", "example.com", T0, 30, &v);
	q(e, "10.0.0.2", "example.com", T0 + 60, &v);
	is_int(v.rule, MXG_RULE_COUNT,
		"30 lookups slid out after 60 s: the 31st does not fire");
	q(e, "10.0.0.3", "example.com", T0, &v);
	qn(e, "10.0.0.3", "example.com", T0 + 1, 29, &v);
	q(e, "10.0.0.3", "example.com", T0 + 59, &v);
	is_int(v.rule, MXG_RULE_VOLUME,
		"31 lookups within 59 s fire");
	t_free(e, c);
}

/** The window table's keys are keyed with each engine's random seed (the
 * engine's inline key functions, module/engine_int.h): one client, and one
 * base domain, get different keys in two engines, so client addresses or
 * names chosen to share a hash chain cannot be computed offline. */
static void
test_seeded_keys(void)
{
	struct mxg_conf* c = t_conf("");
	struct mxg_engine* e1 = t_engine(c), *e2 = t_engine(c);
	struct look l;
	struct feat f1, f2;
	int same_c = 0, same_b = 0, i;
	char client[32];
	for(i = 0; i < 8; i++) {
		snprintf(client, sizeof(client), "10.7.7.%d", i);
		mk(&l, MXG_OBS_QUERY, client, "x.example", T0);
		client_key(e1, &l.obs, &f1);
		client_key(e2, &l.obs, &f2);
		same_c += f1.ckey == f2.ckey;
		same_b += base_hash(l.obs.qname, l.obs.qname_len, e1->seed[1]) ==
			base_hash(l.obs.qname, l.obs.qname_len, e2->seed[1]);
	}
	is_int(same_c, 0, "each of 8 clients gets different keys in two "
		"engines (seeded)");
	is_int(same_b, 0, "two engines: a base domain hashes differently "
		"(seeded)");
	ok(e1->seed[0] != e2->seed[0] && e1->seed[1] != e2->seed[1] &&
		e1->seed[2] != e2->seed[2], "each engine draws its own seeds");
	mxg_engine_free(e2);
	t_free(e1, c);
}

/** A truncated UDP answer and its TCP retry are one lookup: 15 names
 * asked over UDP and again over TCP (the retry of a TC answer) count 15,
 * so volume (limit 30) does not fire; a TCP lookup without a UDP one
 * before it counts, and a retry is consumed once. */
static void
test_tc_retry(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n");
	struct mxg_verdict v;
	struct look l;
	char name[64];
	int i, fired = 0;
	for(i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "big%d.example", i);
		mk(&l, MXG_OBS_QUERY, "10.9.0.1", name, T0 + i);
		mxg_engine_observe(e, &l.obs, &v);
		fired += v.rule != MXG_RULE_COUNT;
		l.obs.tcp = 1;
		mxg_engine_observe(e, &l.obs, &v);
		fired += v.rule != MXG_RULE_COUNT;
	}
	is_int(fired, 0, "20 UDP lookups and their 20 TCP retries count 20: "
		"volume (30 in 60 s) does not fire");
	/* TCP alone counts: 11 more (each once) cross 30 */
	for(i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "tcp%d.example", i);
		mk(&l, MXG_OBS_QUERY, "10.9.0.1", name, T0 + 21);
		l.obs.tcp = 1;
		mxg_engine_observe(e, &l.obs, &v);
	}
	is_int(v.rule, MXG_RULE_VOLUME, "TCP lookups without a UDP one count");
	/* a second TCP query after one UDP counts: the retry is used once.
	 * 1 UDP + 30 TCP of one name count 30 (no verdict), the next 31 */
	fired = 0;
	for(i = 0; i < 31; i++) {
		mk(&l, MXG_OBS_QUERY, "10.9.0.2", "once.example", T0 + 30);
		l.obs.tcp = i > 0;
		mxg_engine_observe(e, &l.obs, &v);
		fired += v.rule != MXG_RULE_COUNT;
	}
	is_int(fired, 0, "1 UDP and 30 TCP lookups of a name count 30");
	mk(&l, MXG_OBS_QUERY, "10.9.0.2", "once.example", T0 + 30);
	l.obs.tcp = 1;
	mxg_engine_observe(e, &l.obs, &v);
	is_int(v.rule, MXG_RULE_VOLUME, "the next TCP lookup is the 31st: a "
		"UDP lookup excuses one retry, not more");
	/* in Unbound the retry is a cache hit (the UDP lookup cached the
	 * answer), and so is the UDP lookup when the answer was cached
	 * before: 10 UDP misses and 10 UDP hits, each with its TCP retry
	 * from the cache, count 20 */
	fired = 0;
	for(i = 0; i < 20; i++) {
		int retries = 0;
		snprintf(name, sizeof(name), "hit%d.example", i);
		mk(&l, i < 10 ? MXG_OBS_QUERY : MXG_OBS_CACHED, "10.9.0.3",
			name, T0 + 40 + i / 2);
		mxg_engine_observe(e, &l.obs, &v);
		fired += v.rule != MXG_RULE_COUNT;
		retries += v.retry;
		mk(&l, MXG_OBS_CACHED, "10.9.0.3", name, T0 + 41 + i / 2);
		l.obs.tcp = 1;
		mxg_engine_observe(e, &l.obs, &v);
		fired += v.rule != MXG_RULE_COUNT;
		if(!v.retry || retries)
			fired += 100;
	}
	is_int(fired, 0, "20 UDP lookups (10 cache misses, 10 hits) and their "
		"20 TCP retries from the cache count 20, each retry marked "
		"retry in the verdict, no UDP lookup");
	for(i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "hit%d.example", i);
		mk(&l, MXG_OBS_CACHED, "10.9.0.3", name, T0 + 52);
		mxg_engine_observe(e, &l.obs, &v);
	}
	is_int(v.rule, MXG_RULE_VOLUME, "11 more cache hits count: the 31st "
		"in 60 s fires volume");
	t_free(e, c);
}

static void
test_fanout(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n");
	struct mxg_verdict v;
	char name[64];
	int i, fired = 0;
	fired = qfmt(e, "192.0.2.7", "domain%d.com", 1, 20, T0, 20, &v);
	q(e, "192.0.2.7", "domain3.com", T0 + 420, &v);
	fired += v.rule != MXG_RULE_COUNT;
	is_int(fired, 0, "20 distinct base domains in 10 min do not fire");
	q(e, "192.0.2.7", "mail.domain21.com", T0 + 421, &v);
	is_int(v.rule, MXG_RULE_FANOUT, "the 21st base domain fires fanout");
	is_str(v.reason, "client 192.0.2.7 looked up MX of 21 base domains "
		"in 10m", "fanout reason");
	q(e, "192.0.2.7", "domain22.com", T0 + 422, &v);
	is_int(v.rule, MXG_RULE_COUNT, "the 22nd does not fire again");
	/* domain1 seen at T0+20 leaves the window at T0+620 */
	mxg_engine_free(e);
	e = t_engine(c);
	for(i = 1; i <= 20; i++) {
		snprintf(name, sizeof(name), "domain%d.com", i);
		q(e, "192.0.2.8", name, T0 + (i == 1 ? 0 : 100), &v);
	}
	q(e, "192.0.2.8", "domain21.com", T0 + 600, &v);
	is_int(v.rule, MXG_RULE_COUNT,
		"the base domain of T0 slid out at T0+600: 20, no fire");
	q(e, "192.0.2.8", "domain22.com", T0 + 601, &v);
	is_int(v.rule, MXG_RULE_FANOUT, "one more fires");
	t_free(e, c);
}

static void
test_non_relay(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"relay: 10.9.0.0/16\nrelay: 2001:db8:99::/48\n"
		"non-relay-period: 1h\n");
	struct mxg_verdict v;
	q(e, "10.1.1.1", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_NON_RELAY, "a non-relay MX lookup fires");
	is_int(v.action, MXG_ACT_LOG, "non-relay logs by default");
	is_str(v.reason, "client 10.1.1.1, not a mail relay, looked up MX of "
		"example.com (1 lookups in 1h)", "non-relay reason");
	q(e, "10.1.1.1", "www.example.com", T0 + 10, &v);
	is_int(v.rule, MXG_RULE_COUNT,
		"another lookup of the same base domain passes");
	q(e, "10.1.1.1", "example.org", T0 + 11, &v);
	is_int(v.rule, MXG_RULE_NON_RELAY, "another base domain fires");
	q(e, "10.1.1.1", "example.com", T0 + 3599, &v);
	is_int(v.rule, MXG_RULE_COUNT, "still within the period");
	q(e, "10.1.1.1", "example.com", T0 + 3600, &v);
	is_int(v.rule, MXG_RULE_NON_RELAY, "logged again after the period");
	q(e, "10.9.3.4", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_COUNT, "a relay's lookup passes");
	ok(v.is_relay, "and is marked as a relay");
	q(e, "::ffff:10.9.3.5", "example.com", T0, &v);
	ok(v.is_relay && v.rule == MXG_RULE_COUNT,
		"an IPv4-mapped relay address is a relay");
	q(e, "2001:db8:99:1::25", "example.com", T0, &v);
	ok(v.is_relay && v.rule == MXG_RULE_COUNT, "an IPv6 relay passes");
	t_free(e, c);
}

static void
test_refuse_and_blocks(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"mode: refuse\nnon-relay-enable: no\n"
		"block-duration: 10m\n");
	struct mxg_verdict v;
	int i, refused = 0;
	ok(mxg_engine_can_refuse(e), "refuse mode can refuse");
	qn(e, "10.0.0.1", "example.com", T0, 30, &v);
	is_int(v.action, MXG_ACT_PASS, "30 lookups pass");
	for(i = 0; i < 5; i++) {
		q(e, "10.0.0.1", "example.com", T0 + 1, &v);
		refused += v.action == MXG_ACT_REFUSE &&
			v.rule == MXG_RULE_VOLUME;
	}
	is_int(refused, 5, "every lookup above the threshold is refused");
	ok(!v.would_refuse, "a real refuse is not a would-refuse");
	q(e, "10.0.0.1", "other.example", T0 + 200, &v);
	is_int(v.rule, MXG_RULE_BLOCKED,
		"after the window the client is still blocked");
	is_int(v.action, MXG_ACT_REFUSE, "blocked lookups are refused");
	is_str(v.reason, "client 10.0.0.1 blocked by rule volume for 401s "
		"more", "blocked reason names the rule and the time left");
	q(e, "10.0.0.1", "example.com", T0 + 1 + 599, &v);
	is_int(v.rule, MXG_RULE_BLOCKED, "blocked until block-duration");
	q(e, "10.0.0.1", "example.com", T0 + 1 + 600, &v);
	is_int(v.action, MXG_ACT_PASS, "the block expires after 10m");
	q(e, "10.0.0.2", "example.com", T0 + 300, &v);
	is_int(v.action, MXG_ACT_PASS, "other clients are not blocked");

	/* staging-window refuses and blocks the client+base only */
	qfmt(e, "10.0.0.5", "%d.evil.example", 1, 11, T0 + 1000, 1, &v);
	is_int(v.rule, MXG_RULE_STAGING_WINDOW, "staging-window fires");
	is_int(v.action, MXG_ACT_REFUSE, "and refuses");
	q(e, "10.0.0.5", "evil.example", T0 + 1500, &v);
	ok(v.rule == MXG_RULE_STAGING_WINDOW && v.action == MXG_ACT_REFUSE,
		"a refusing rule refuses every lookup while it holds");
	q(e, "10.0.0.5", "good.example", T0 + 1000 + 20, &v);
	is_int(v.action, MXG_ACT_PASS, "other base domains pass");
	q(e, "10.0.0.5", "x.evil.example", T0 + 1000 + 3600 + 12 + 700, &v);
	is_int(v.action, MXG_ACT_PASS, "the pair block expires");
	t_free(e, c);
}

static void
test_dry_run_and_overrides(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "mode: refuse\ndry-run: yes\n"
		"non-relay-enable: no\n");
	struct mxg_verdict v;
	ok(!mxg_engine_can_refuse(e), "dry-run never refuses");
	qn(e, "10.0.0.1", "example.com", T0, 31, &v);
	is_int(v.rule, MXG_RULE_VOLUME, "dry-run: volume fires");
	is_int(v.action, MXG_ACT_LOG, "dry-run: as a log");
	ok(v.would_refuse, "dry-run: marked would-refuse");
	q(e, "10.0.0.1", "example.com", T0 + 1, &v);
	ok(v.rule == MXG_RULE_VOLUME && v.would_refuse,
		"dry-run: every lookup above shows what refuse would do");
	q(e, "10.0.0.1", "example.com", T0 + 100, &v);
	ok(v.rule == MXG_RULE_BLOCKED && v.action == MXG_ACT_LOG &&
		v.would_refuse, "dry-run: the would-be block is logged");
	t_free(e, c);

	e = t_engine_text(&c,
		"mode: log\nvolume-action: refuse\nfanout-action: tag\n"
		"non-relay-enable: no\n");
	ok(mxg_engine_can_refuse(e), "a per-rule refuse makes can_refuse true");
	q(e, "10.0.0.1", "example.com", T0, &v);
	is_int(v.action, MXG_ACT_PASS, "non-relay disabled: nothing");
	qn(e, "10.0.0.1", "example.com", T0, 30, &v);
	is_int(v.rule, MXG_RULE_VOLUME, "volume-action refuse in log mode");
	is_int(v.action, MXG_ACT_REFUSE, "refuses");
	{
		char name[32];
		int i;
		for(i = 1; i <= 21; i++) {
			snprintf(name, sizeof(name), "d%d.example", i);
			q(e, "10.0.0.2", name, T0 + i, &v);
		}
	}
	is_int(v.rule, MXG_RULE_FANOUT, "fanout fires");
	is_int(v.action, MXG_ACT_TAG, "fanout-action tag tags");
	t_free(e, c);

	e = t_engine_text(&c, "mode: log\n");
	ok(!mxg_engine_can_refuse(e), "log mode cannot refuse");
	t_free(e, c);
}

static void
test_relays_never_blocked(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"mode: refuse\nrelay: 10.9.0.0/16\n");
	struct mxg_verdict v;
	char name[32];
	int i, worst = MXG_ACT_PASS;
	for(i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "%d.d%d.example", i, i % 40);
		q(e, "10.9.1.1", name, T0 + i / 10, &v);
		if((int)v.action > worst)
			worst = v.action;
	}
	is_int(worst, MXG_ACT_PASS, "a relay over the volume and fanout "
		"thresholds in refuse mode passes");
	for(i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "%d.evil.example", i);
		q(e, "10.9.1.1", name, T0 + 30, &v);
	}
	ok(v.rule == MXG_RULE_STAGING_WINDOW && v.action == MXG_ACT_LOG &&
		!v.would_refuse, "staging-window of a relay only logs");
	q(e, "10.9.1.1", "12.evil.example", T0 + 31, &v);
	is_int(v.rule, MXG_RULE_COUNT, "and is not repeated for every lookup");
	q(e, "10.9.1.1", "example.com", T0 + 60, &v);
	is_int(v.action, MXG_ACT_PASS, "a relay is never blocked");
	ok(!v.would_refuse, "nor would be");
	/* a relay's pair remembers that its client is a relay (its lookups
	 * skip the client entry): blocks written from outside on the pair
	 * and on the client (the blocks thread) are still ignored, before
	 * and after the pair learns it again; a client that is not a relay
	 * is refused for the same base domain */
	{
		uint8_t a[4] = { 10, 9, 1, 1 }, b[4] = { 10, 8, 1, 1 };
		uint8_t w[MXG_NAME_WIRE_MAX];
		size_t wl = 0;
		char err[128];
		mxg_names_from_str("evil.example", w, sizeof(w), &wl);
		is_int(mxg_engine_block(e, AF_INET, a, 32, w, wl,
			MXG_RULE_STAGING_WINDOW, T0 + 4000, T0 + 61, err,
			sizeof(err)), 1, "a block is written on the relay's pair");
		is_int(mxg_engine_block(e, AF_INET, a, 32, NULL, 0,
			MXG_RULE_VOLUME, T0 + 4000, T0 + 61, err, sizeof(err)),
			1, "and on the relay");
		for(i = 0; i < 3; i++) {
			q(e, "10.9.1.1", "13.evil.example", T0 + 62 + i, &v);
			if(v.action != MXG_ACT_PASS || !v.is_relay)
				break;
		}
		is_int(i, 3, "the relay's lookups of the blocked pair pass");
		is_int(mxg_engine_block(e, AF_INET, b, 32, w, wl,
			MXG_RULE_STAGING_WINDOW, T0 + 4000, T0 + 61, err,
			sizeof(err)), 1, "the same block for a non-relay");
		q(e, "10.8.1.1", "13.evil.example", T0 + 62, &v);
		ok(v.rule == MXG_RULE_BLOCKED && v.action == MXG_ACT_REFUSE &&
			!v.is_relay, "refuses the non-relay");
	}
	t_free(e, c);
}

static void
test_aggregation(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n"
		"client-prefix-v6: 64\nclient-prefix-v4: 32\n");
	struct mxg_verdict v;
	char a[64];
	int i;
	for(i = 1; i <= 30; i++) {
		snprintf(a, sizeof(a), "2001:db8:1:2::%x", i);
		q(e, a, "example.com", T0, &v);
	}
	q(e, "2001:db8:1:3::1", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_COUNT, "another /64 is another client");
	q(e, "2001:db8:1:2:ffff:1:2:3", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_VOLUME,
		"31 lookups from 31 addresses of one /64 fire volume");
	is_str(v.reason, "client 2001:db8:1:2::/64 made 31 MX lookups in 60s",
		"the client is named by its /64");
	qn(e, "10.1.2.3", "example.com", T0, 15, &v);
	qn(e, "::ffff:10.1.2.3", "example.com", T0, 15, &v);
	q(e, "::ffff:10.1.2.3", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_VOLUME,
		"IPv4-mapped and plain IPv4 addresses are one client");
	is_str(v.reason, "client 10.1.2.3 made 31 MX lookups in 60s",
		"an IPv4-mapped client is named in IPv4");
	t_free(e, c);

	e = t_engine_text(&c, "non-relay-enable: no\nclient-prefix-v4: 24\n");
	qn(e, "10.1.2.3", "example.com", T0, 30, &v);
	q(e, "10.1.2.200", "example.com", T0, &v);
	is_str(v.reason, "client 10.1.2.0/24 made 31 MX lookups in 60s",
		"client-prefix-v4 24 aggregates a /24");
	t_free(e, c);
}

/** A staged-payload answer: 100 MX of 4 hex labels of 50 chars. */
static void
staged_answer(struct look* l, struct mxg_mx_rr* rr, uint8_t (*ex)[256])
{
	int i, j, k;
	size_t off;
	const uint8_t* base = l->wire + l->wire[0] + 1;
	size_t blen = l->obs.qname_len - (l->wire[0] + 1);
	for(i = 0; i < 100; i++) {
		off = 0;
		for(j = 0; j < 4; j++) {
			ex[i][off++] = 50;
			for(k = 0; k < 50; k++)
				ex[i][off++] = "0123456789abcdef"[(i * 7 + j *
					13 + k * 5) % 16];
		}
		memcpy(ex[i] + off, base, blen);
		rr[i].pref = (uint16_t)(10 * (i + 1));
		rr[i].exchange = ex[i];
		rr[i].exchange_len = off + blen;
	}
	l->obs.mx = rr;
	l->obs.n_mx = 100;
}

static void
test_answer_rules(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"mode: refuse\nnon-relay-enable: no\n"
		"deny-country: RU KP\n");
	struct mxg_verdict v;
	struct look l;
	static struct mxg_mx_rr rr[100];
	static uint8_t ex[100][256];
	static const char cc[2][3] = { "DE", "RU" };
	mk(&l, MXG_OBS_QUERY, "10.0.0.9", "1.evil.example", T0);
	mxg_engine_observe(e, &l.obs, &v);
	is_int(v.action, MXG_ACT_PASS, "the query alone passes");
	mk(&l, MXG_OBS_ANSWER, "10.0.0.9", "1.evil.example", T0);
	staged_answer(&l, rr, ex);
	mxg_engine_observe(e, &l.obs, &v);
	ok(v.shape_score >= 60, "the staged answer scores %u", v.shape_score);
	is_int(v.rule, MXG_RULE_STAGING_SHAPE, "staging-shape fires on the "
		"first answer");
	is_int(v.action, MXG_ACT_REFUSE, "and refuses");
	ok(strncmp(v.reason, "client 10.0.0.9 got ", 20) == 0,
		"shape reason: %s", v.reason);
	q(e, "10.0.0.9", "2.evil.example", T0 + 5, &v);
	is_int(v.rule, MXG_RULE_BLOCKED, "the next lookup of the base domain "
		"is blocked");
	ok(strstr(v.reason, "blocked for evil.example by rule staging-shape "
		"for 595s more") != NULL, "reason: %s", v.reason);
	q(e, "10.0.0.9", "example.com", T0 + 5, &v);
	is_int(v.action, MXG_ACT_PASS, "other base domains pass");

	mk(&l, MXG_OBS_CACHED, "10.0.0.10", "mail.example.net", T0);
	l.obs.countries = cc;
	l.obs.n_countries = 1;
	mxg_engine_observe(e, &l.obs, &v);
	is_int(v.action, MXG_ACT_PASS, "an MX host in DE passes");
	l.obs.n_countries = 2;
	mxg_engine_observe(e, &l.obs, &v);
	is_int(v.rule, MXG_RULE_COUNTRY, "an MX host in RU fires country");
	is_str(v.reason, "client 10.0.0.10 looked up MX of example.net hosted "
		"in RU (deny-country)", "country reason");
	t_free(e, c);
}

static void
test_flood_memory(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "max-memory: 4m\n");
	struct mxg_engine_stats st;
	struct mxg_verdict v;
	struct look l;
	uint32_t i;
	uint64_t over = 0;
	mk(&l, MXG_OBS_QUERY, "10.0.0.0", "x.example", T0);
	for(i = 0; i < 1000000; i++) {
		char name[32];
		size_t len;
		l.obs.client_addr[0] = 10;
		l.obs.client_addr[1] = (uint8_t)(i >> 16);
		l.obs.client_addr[2] = (uint8_t)(i >> 8);
		l.obs.client_addr[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "%u.d%u.com", i & 7, i);
		mxg_names_from_str(name, l.wire, sizeof(l.wire), &len);
		l.obs.qname_len = len;
		l.obs.now = T0 + i / 1000;
		mxg_engine_observe(e, &l.obs, &v);
		if((i & 0xffff) == 0) {
			mxg_engine_get_stats(e, &st);
			if(st.mem > 4u << 20)
				over++;
		}
	}
	mxg_engine_get_stats(e, &st);
	is_int(over, 0, "memory stayed under max-memory during the flood");
	ok(st.mem <= 4u << 20, "1M clients and domains: %llu bytes <= 4m",
		(unsigned long long)st.mem);
	ok(st.evictions > 0, "keys were evicted (%llu)",
		(unsigned long long)st.evictions);
	is_int(st.observed, 1000000, "every observation counted");
	is_int(st.verdicts[MXG_ACT_LOG], 1000000,
		"every one was a new non-relay client + base domain");
	t_free(e, c);
}

/** Shared by the threads. */
static struct mxg_engine* thr_e;

static void*
thr_main(void* arg)
{
	struct mxg_verdict v;
	int i;
	for(i = 0; i < 2000; i++)
		q(thr_e, "10.7.7.7", (i & 1) ? "a.example" : "b.example", T0,
			&v);
	(void)arg;
	return NULL;
}

static void
test_threads(void)
{
	struct mxg_conf* c = t_conf("volume-limit: 8000\nnon-relay-enable: no\n"
		"staging-window-limit: 1000000\n");
	struct mxg_engine_stats st;
	struct mxg_verdict v;
	pthread_t th[4];
	int i;
	thr_e = t_engine(c);
	for(i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thr_main, NULL);
	for(i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	mxg_engine_get_stats(thr_e, &st);
	is_int(st.observed, 8000, "4 threads x 2000 observations counted");
	is_int(st.verdicts[MXG_ACT_PASS], 8000, "none above the limit");
	q(thr_e, "10.7.7.7", "a.example", T0, &v);
	is_str(v.reason, "client 10.7.7.7 made 8001 MX lookups in 60s",
		"the window counted every concurrent lookup exactly");
	mxg_engine_free(thr_e);
	mxg_conf_free(c);
}

static void
test_misc(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "");
	struct mxg_engine_stats st;
	struct mxg_verdict v;
	struct look l;
	static const uint8_t bad[] = { 70, 'a', 0 };
	mk(&l, MXG_OBS_QUERY, "10.0.0.1", "example.com", T0);
	l.obs.qname = bad;
	l.obs.qname_len = sizeof(bad);
	mxg_engine_observe(e, &l.obs, &v);
	is_int(v.action, MXG_ACT_PASS, "a malformed name passes");
	q(e, "10.0.0.1", "MX.Example.COM", T0, &v);
	is_int(v.rule, MXG_RULE_NON_RELAY, "non-relay fires");
	is_int(v.base_off, 3, "base_off points at example.com");
	q(e, "10.0.0.1", "example.com", T0, &v);
	is_int(v.rule, MXG_RULE_COUNT, "the base domain is case-insensitive");
	mxg_engine_observe(NULL, &l.obs, &v);
	is_int(v.action, MXG_ACT_PASS, "no engine: pass");
	mxg_engine_get_stats(e, &st);
	is_int(st.observed, 3, "3 observations");
	is_int(st.keys, 2, "two keys: the client and its base domain");
	ok(st.mem > 0, "memory is reported (%llu)", (unsigned long long)st.mem);
	mxg_engine_free(e);
	mxg_engine_free(NULL);
	mxg_conf_free(c);
}

int
main(void)
{
	test_staging_window();
	test_volume();
	test_tc_retry();
	test_seeded_keys();
	test_fanout();
	test_non_relay();
	test_refuse_and_blocks();
	test_dry_run_and_overrides();
	test_relays_never_blocked();
	test_aggregation();
	test_answer_rules();
	test_flood_memory();
	test_threads();
	test_misc();
	return done_testing();
}

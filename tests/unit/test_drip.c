/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_drip.c - the staging-drip rule and the provider corpus.
 */
/** \file
 * staging-drip keeps, per client and base domain, a budget of the encoded
 * bytes received in MX exchange names (docs/detection.md). Here:
 * - slow staging variants, one MX record per answer with one encoded label,
 *   under numeric or word names, hex, base32 and base64url, 20 to 63
 *   characters: how many answers get through in refuse mode (at most 3);
 * - repeated and reordered answers count once, the window slides, log mode
 *   reports once per period, relays are only logged, blocks name the rule;
 * - the MX sets of real mail hosting (tests/data/mx-providers.txt) score 0
 *   encoded bytes and far below the staging-shape threshold, alone, all
 *   looked up by one client, and all under one base domain: no verdict.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"
#include "tap.h"
#include "testlib.h"

/** Fake clock start: a multiple of 3600. */
#define T0 ((time_t)1700002800)
/** Most records of one answer here. */
#define MAXRR 16
/** Most answers in the corpus. */
#define MAXANS 128

/** One answer: a query name and its MX records. */
struct answer {
	/** query name, text */
	char qname[256];
	/** records */
	struct mxg_mx_rr rr[MAXRR];
	/** wire exchanges */
	uint8_t x[MAXRR][MXG_NAME_WIRE_MAX];
	/** number of records */
	size_t n;
};

/** The provider corpus. */
static struct answer corpus[MAXANS];
/** Answers in it. */
static size_t ncorpus;

/** Add a record to an answer. */
static void
add_rr(struct answer* a, uint16_t pref, const char* exchange)
{
	size_t len = 0;
	if(a->n >= MAXRR || mxg_names_from_str(exchange, a->x[a->n],
		sizeof(a->x[a->n]), &len) != MXG_NAME_OK) {
		printf("Bail out! bad exchange %s\n", exchange);
		exit(1);
	}
	a->rr[a->n].pref = pref;
	a->rr[a->n].exchange = a->x[a->n];
	a->rr[a->n].exchange_len = len;
	a->n++;
}

/**
 * Observe one lookup as Unbound's glue does on a cache miss: the query,
 * then its answer. @return the stronger of the two verdicts' actions; the
 * answer verdict in v.
 */
static enum mxg_action
lookup(struct mxg_engine* e, const char* client, const char* qname,
	const struct answer* a, time_t now, struct mxg_verdict* v)
{
	struct mxg_obs o;
	struct mxg_verdict qv;
	uint8_t wire[MXG_NAME_WIRE_MAX];
	t_obs(&o, wire, MXG_OBS_QUERY, client, qname, now);
	mxg_engine_observe(e, &o, &qv);
	if(qv.action == MXG_ACT_REFUSE) {
		*v = qv;
		return qv.action;
	}
	o.stage = MXG_OBS_ANSWER;
	o.rcode = 0;
	o.mx = a->rr;
	o.n_mx = a->n;
	mxg_engine_observe(e, &o, v);
	if(qv.action > v->action)
		*v = qv;
	return v->action;
}

/** Deterministic payload bytes (xorshift). */
static uint64_t
rnd(uint64_t* s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/** Kinds of encoded label. */
enum kind { K_HEX, K_B32, K_B64 };

/** Write an encoded label of len characters of payload. */
static void
payload_label(enum kind k, size_t len, uint64_t* s, char* out)
{
	static const char hex[] = "0123456789abcdef";
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;
	for(i = 0; i < len; i++) {
		uint64_t r = rnd(s);
		out[i] = k == K_HEX ? hex[r & 15] : k == K_B32 ? b32[r & 31] :
			b64[r & 63];
	}
	out[len] = 0;
}

/** Make a a fresh answer of one MX record (preference 10): an encoded
 * label of len characters of payload under base. */
static void
payload_answer(struct answer* a, enum kind k, size_t len, uint64_t* s,
	const char* base)
{
	char lab[64], x[300];
	memset(a, 0, sizeof(*a));
	payload_label(k, len, s, lab);
	snprintf(x, sizeof(x), "%s.%s", lab, base);
	add_rr(a, 10, x);
}

/** Word subdomains: names that never look numeric. */
static const char* words[] = { "alpha", "bravo", "charlie", "delta", "echo",
	"foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
	"mike", "november", "oscar", "papa", "quebec", "romeo", "sierra",
	"tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
	"news", "mail", "cdn", "static" };

/**
 * A slow staging run: n answers of one MX record each, one encoded label of
 * len characters under base, looked up as "<i>.base" (numeric) or
 * "<word>.base" by client in refuse mode, one a minute.
 * @return answers delivered (not refused).
 */
static int
drip_run(struct mxg_engine* e, const char* client, const char* base,
	int numeric, enum kind k, size_t len, int n, uint64_t seed,
	struct mxg_verdict* first_refusal)
{
	struct answer a;
	struct mxg_verdict v;
	char qname[300];
	int i, delivered = 0, refused = 0;
	uint64_t s = seed;
	for(i = 0; i < n; i++) {
		payload_answer(&a, k, len, &s, base);
		if(numeric)
			snprintf(qname, sizeof(qname), "%d.%s", i + 1, base);
		else
			snprintf(qname, sizeof(qname), "%s.%s",
				words[i % (sizeof(words) / sizeof(words[0]))],
				base);
		if(lookup(e, client, qname, &a, T0 + 60 * i, &v) ==
			MXG_ACT_REFUSE) {
			if(!refused && first_refusal)
				*first_refusal = v;
			refused = 1;
		} else if(!refused) {
			delivered++;
		} else {
			/* once refused, the pair stays blocked */
			delivered += 1000;
		}
	}
	return delivered;
}

static void
test_variants(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"mode: refuse\nnon-relay-enable: no\n");
	struct mxg_verdict v;
	int d;
	static const struct {
		const char* what;
		int numeric;
		enum kind k;
		size_t len;
		int want;
	} vs[] = {
		{ "numeric names, 50-char hex", 1, K_HEX, 50, 1 },
		{ "word names, 50-char hex", 0, K_HEX, 50, 1 },
		{ "numeric names, 63-char hex", 1, K_HEX, 63, 1 },
		{ "word names, 32-char hex", 0, K_HEX, 32, 2 },
		{ "word names, 20-char hex", 0, K_HEX, 20, 3 },
		{ "numeric names, 52-char base32", 1, K_B32, 52, 1 },
		{ "word names, 32-char base32", 0, K_B32, 32, 2 },
		{ "word names, 40-char base64url", 0, K_B64, 40, 1 },
	};
	size_t i;
	char client[32], base[64];
	for(i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		snprintf(client, sizeof(client), "10.9.0.%d", (int)i + 1);
		snprintf(base, sizeof(base), "drip%d.example", (int)i + 1);
		memset(&v, 0, sizeof(v));
		d = drip_run(e, client, base, vs[i].numeric, vs[i].k,
			vs[i].len, 30, 0x9e3779b97f4a7c15ULL + i, &v);
		is_int(d, vs[i].want, "%s, one MX per answer: %d of 30 "
			"answers delivered in refuse mode", vs[i].what, d);
		ok(d <= 3 && v.rule == MXG_RULE_STAGING_DRIP,
			"at most 3, refused by staging-drip: %s", v.reason);
	}
	t_free(e, c);

	/* the same run with staging-drip off: the seed's staging-window
	 * rule lets 10 numeric answers through, and word names all 30 */
	e = t_engine_text(&c, "mode: refuse\nnon-relay-enable: no\n"
		"staging-drip-enable: no\n");
	d = drip_run(e, "10.9.1.1", "slow.example", 1, K_HEX, 50, 30, 7,
		NULL);
	is_int(d, 10, "without staging-drip, numeric names: %d of 30 "
		"delivered (staging-window fires at the 11th)", d);
	d = drip_run(e, "10.9.1.2", "slow.example", 0, K_HEX, 50, 30, 7,
		NULL);
	is_int(d, 30, "without staging-drip, word names: %d of 30 delivered",
		d);
	t_free(e, c);
}

static void
test_repeats(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"mode: refuse\nnon-relay-enable: no\n"
		"volume-enable: no\n");
	struct mxg_verdict v;
	struct answer a, b, ab, ba;
	uint64_t s = 42;
	int i, refused = 0;
	payload_answer(&a, K_HEX, 32, &s, "cdn.example");
	payload_answer(&b, K_HEX, 32, &s, "cdn.example");
	/* ab: the records of a and b (preferences 10, 20); ba: in the other
	 * order */
	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	ab.rr[0] = a.rr[0];
	ab.rr[1] = b.rr[0];
	ab.rr[1].pref = 20;
	ab.n = 2;
	ba.rr[0] = ab.rr[1];
	ba.rr[1] = ab.rr[0];
	ba.n = 2;

	/* one answer with a 32-hex label, asked 100 times: 32 bytes */
	for(i = 0; i < 100; i++)
		refused += lookup(e, "10.8.0.1", "www.cdn.example", &a,
			T0 + i, &v) == MXG_ACT_REFUSE;
	is_int(refused, 0, "the same answer 100 times counts once: no "
		"verdict");
	/* two records whose order changes (round robin): counted once */
	for(i = 0; i < 50; i++)
		refused += lookup(e, "10.8.0.2", "www.cdn.example",
			i % 2 ? &ab : &ba, T0 + i, &v) == MXG_ACT_REFUSE;
	is_int(refused, 0, "one answer in changing record order counts "
		"once (64 bytes, not above 64)");
	/* alternating two different answers is new data each time */
	lookup(e, "10.8.0.3", "a.cdn.example", &a, T0, &v);
	lookup(e, "10.8.0.3", "b.cdn.example", &b, T0 + 1, &v);
	is_int(v.rule, MXG_RULE_COUNT, "two 32-char labels: 64 bytes, no "
		"verdict");
	lookup(e, "10.8.0.3", "a.cdn.example", &a, T0 + 2, &v);
	is_int(v.rule, MXG_RULE_STAGING_DRIP, "A, B, A: the third answer "
		"differs from the one before: 96 bytes fire");
	is_int(v.action, MXG_ACT_REFUSE, "and refuse");
	ok(strstr(v.reason, "client 10.8.0.3 got 96 bytes of encoded labels "
		"in MX exchanges of cdn.example in 1h, 32 in this answer for "
		"a.cdn.example") != NULL, "reason: %s", v.reason);
	lookup(e, "10.8.0.3", "plain.cdn.example", &a, T0 + 3, &v);
	ok(v.rule == MXG_RULE_BLOCKED && strstr(v.reason,
		"by rule staging-drip") != NULL,
		"the pair is blocked: %s", v.reason);
	lookup(e, "10.8.0.3", "www.other.example", &a, T0 + 4, &v);
	is_int(v.action, MXG_ACT_PASS, "another base domain of the client "
		"passes");

	/* the boundary of "encoded": 20 characters count, 19 do not (a
	 * documented limit, docs/detection.md) */
	{
		struct answer s19, s20;
		memset(&s19, 0, sizeof(s19));
		memset(&s20, 0, sizeof(s20));
		add_rr(&s19, 10, "0123456789abcdef012.x.cdn.example");
		add_rr(&s20, 10, "0123456789abcdef0123.x.cdn.example");
		{
			struct mxg_shape d19, d20;
			mxg_shape_score(NULL, 0, 0, s19.rr, 1, &d19);
			mxg_shape_score(NULL, 0, 0, s20.rr, 1, &d20);
			ok(d19.enc_chars == 0 && d20.enc_chars == 20,
				"a 19-char hex label is no encoded byte, a "
				"20-char one is 20 (%zu, %zu)", d19.enc_chars,
				d20.enc_chars);
		}
	}

	/* the window slides: 64 bytes, an hour later 32 more do not fire */
	lookup(e, "10.8.0.4", "a.cdn.example", &a, T0, &v);
	lookup(e, "10.8.0.4", "b.cdn.example", &b, T0 + 60, &v);
	lookup(e, "10.8.0.4", "c.cdn.example", &a, T0 + 3600 + 60, &v);
	is_int(v.rule, MXG_RULE_COUNT, "the first answer left the 1h window: "
		"64 bytes, no verdict");
	t_free(e, c);
}

static void
test_modes(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c,
		"non-relay-enable: no\nrelay: 10.7.0.25\n");
	struct mxg_verdict v;
	int d;
	/* log mode: everything is delivered, reported once per period */
	d = drip_run(e, "10.7.0.1", "logged.example", 0, K_HEX, 50, 30, 3,
		NULL);
	is_int(d, 30, "log mode delivers every answer");
	t_free(e, c);

	/* per-rule refuse under mode log; relays only log */
	e = t_engine_text(&c, "non-relay-enable: no\nrelay: 10.7.0.25\n"
		"staging-drip-action: refuse\n");
	ok(mxg_engine_can_refuse(e), "staging-drip-action refuse can refuse");
	memset(&v, 0, sizeof(v));
	d = drip_run(e, "10.7.0.2", "refused.example", 0, K_B32, 40, 30, 5,
		&v);
	is_int(d, 1, "staging-drip-action refuse in log mode: 1 delivered");
	is_int(v.rule, MXG_RULE_STAGING_DRIP, "by staging-drip");
	d = drip_run(e, "10.7.0.25", "relayed.example", 0, K_B32, 40, 30, 5,
		NULL);
	is_int(d, 30, "a relay is never refused");
	t_free(e, c);

	/* dry-run and a limit of 0 (any encoded byte) */
	e = t_engine_text(&c,
		"mode: refuse\ndry-run: yes\nnon-relay-enable: no\n"
		"staging-drip-limit: 0\n");
	{
		struct answer a;
		memset(&a, 0, sizeof(a));
		add_rr(&a, 10, "0123456789abcdef0123.dry.example");
		lookup(e, "10.7.0.3", "x.dry.example", &a, T0, &v);
		ok(v.rule == MXG_RULE_STAGING_DRIP && v.action == MXG_ACT_LOG &&
			v.would_refuse, "dry-run, limit 0: one 20-char label "
			"would be refused: %s", v.reason);
	}
	t_free(e, c);
}

/** Once per period in log mode. */
static void
test_log_once(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e = t_engine_text(&c, "non-relay-enable: no\n");
	struct mxg_verdict v;
	struct answer a;
	char qname[64];
	uint64_t s = 99;
	int i, fired = 0, first = -1;
	for(i = 0; i < 30; i++) {
		payload_answer(&a, K_HEX, 40, &s, "logged.example");
		snprintf(qname, sizeof(qname), "%s.logged.example",
			words[i % 26]);
		lookup(e, "10.6.0.1", qname, &a, T0 + 60 * i, &v);
		if(v.rule == MXG_RULE_STAGING_DRIP) {
			fired++;
			if(first < 0)
				first = i;
			ok(v.action == MXG_ACT_LOG, "logged");
		}
	}
	is_int(first, 1, "log mode: the second 40-char answer crosses 64");
	is_int(fired, 1, "reported once in the 1h period (30 answers in "
		"30 minutes)");
	payload_answer(&a, K_HEX, 40, &s, "logged.example");
	lookup(e, "10.6.0.1", "late.logged.example", &a, T0 + 60 + 3600, &v);
	is_int(v.rule, MXG_RULE_STAGING_DRIP, "and again one period after "
		"the first report, while still above");
	t_free(e, c);
}

/** Read tests/data/mx-providers.txt. @return 1 if read. */
static int
load_corpus(void)
{
	char path[1024], line[512], q[256], x[256];
	unsigned pref;
	FILE* f;
	struct answer* cur = NULL;
	snprintf(path, sizeof(path), "%s/mx-providers.txt", t_datadir());
	f = fopen(path, "r");
	if(!f)
		return 0;
	while(fgets(line, sizeof(line), f)) {
		if(line[0] == '#' || line[0] == '\n')
			continue;
		if(sscanf(line, "%255s %u %255s", q, &pref, x) != 3 ||
			pref > 65535) {
			printf("Bail out! bad corpus line: %s", line);
			exit(1);
		}
		if(!cur || strcmp(cur->qname, q) != 0) {
			if(ncorpus >= MAXANS) {
				printf("Bail out! corpus too big\n");
				exit(1);
			}
			cur = &corpus[ncorpus++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->qname, sizeof(cur->qname), "%s", q);
		}
		add_rr(cur, (uint16_t)pref, x);
	}
	fclose(f);
	return ncorpus > 0;
}

static void
test_corpus_scores(void)
{
	struct mxg_shape d;
	uint8_t wire[MXG_NAME_WIRE_MAX];
	size_t i, len = 0, base_off = 0, worst_enc = 0;
	unsigned worst = 0, bound_ok = 1;
	for(i = 0; i < ncorpus; i++) {
		const struct answer* a = &corpus[i];
		mxg_names_from_str(a->qname, wire, sizeof(wire), &len);
		if(mxg_names_base(wire, len, &base_off) != MXG_NAME_OK)
			base_off = 0;
		mxg_shape_score(wire, len, base_off, a->rr, a->n, &d);
		diag("%-46s %2zu MX  shape %3u  encoded bytes %zu", a->qname,
			a->n, d.score, d.enc_chars);
		if(d.score > worst)
			worst = d.score;
		if(d.enc_chars > worst_enc)
			worst_enc = d.enc_chars;
		if(mxg_shape_bound(a->rr, a->n) < d.score)
			bound_ok = 0;
	}
	ok(ncorpus >= 50, "the corpus has %zu provider MX sets", ncorpus);
	is_int((int)worst_enc, 0, "no provider set has an encoded-looking "
		"label: staging-drip score 0 for all (limit 64)");
	ok(worst <= 15, "the highest staging-shape score is %u (count points "
		"only), far below 60", worst);
	ok(bound_ok, "the shape bound is never below the score");
}

/** Every corpus answer looked up by one client, rounds times, each time
 * under its own name or all under one base; count verdicts. */
static int
corpus_run(struct mxg_engine* e, const char* client, int one_base,
	int rounds, int* refused, int* staging)
{
	struct mxg_verdict v;
	char qname[300];
	size_t i;
	int r, verdicts = 0;
	time_t t = T0;
	*refused = *staging = 0;
	for(r = 0; r < rounds; r++) {
		for(i = 0; i < ncorpus; i++, t += 5) {
			if(one_base) {
				/* "google-workspace.test" -> under uni.test */
				snprintf(qname, sizeof(qname), "%.*s.uni.test",
					(int)strcspn(corpus[i].qname, "."),
					corpus[i].qname);
			} else {
				snprintf(qname, sizeof(qname), "%.255s",
					corpus[i].qname);
			}
			lookup(e, client, qname, &corpus[i], t, &v);
			verdicts += v.rule != MXG_RULE_COUNT;
			*refused += v.action == MXG_ACT_REFUSE;
			*staging += v.rule == MXG_RULE_STAGING_DRIP ||
				v.rule == MXG_RULE_STAGING_SHAPE ||
				v.rule == MXG_RULE_STAGING_WINDOW;
		}
	}
	return verdicts;
}

static void
test_corpus_engine(void)
{
	struct mxg_conf* c;
	struct mxg_engine* e;
	int refused, staging, n;
	/* refuse mode; the per-client counting rules (volume, fanout: a
	 * non-relay resolving MX of 50 domains is a spam bot by design) and
	 * non-relay are off, so any verdict is an answer rule's */
	e = t_engine_text(&c,
		"mode: refuse\nnon-relay-enable: no\nvolume-enable: no\n"
		"fanout-enable: no\n");
	n = corpus_run(e, "10.5.0.1", 0, 3, &refused, &staging);
	is_int(n, 0, "one client looks up all %zu provider sets 3 times in "
		"refuse mode: %d verdicts", ncorpus, n);
	n = corpus_run(e, "10.5.0.2", 1, 3, &refused, &staging);
	is_int(n, 0, "all of them as names under one base domain, 3 times: "
		"%d verdicts (the budget of uni.test stays 0)", n);
	t_free(e, c);

	/* every rule at its default, refuse mode: a relay looking them all
	 * up gets nothing; a laptop is only caught by fanout (a spam bot's
	 * shape), never by a staging rule */
	e = t_engine_text(&c, "mode: refuse\nrelay: 10.5.0.25\n");
	n = corpus_run(e, "10.5.0.25", 0, 3, &refused, &staging);
	is_int(n, 0, "a relay looking up all sets with every rule on: %d "
		"verdicts", n);
	n = corpus_run(e, "10.5.0.3", 0, 1, &refused, &staging);
	is_int(staging, 0, "a laptop looking up all sets: no staging verdict "
		"(%d verdicts, %d refusals, all non-relay or fanout)", n,
		refused);
	t_free(e, c);
}

int
main(void)
{
	test_variants();
	test_repeats();
	test_modes();
	test_log_once();
	if(load_corpus()) {
		test_corpus_scores();
		test_corpus_engine();
	} else {
		skip("tests/data/mx-providers.txt not found");
	}
	return done_testing();
}

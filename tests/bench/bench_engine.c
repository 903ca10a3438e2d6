/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/bench_engine.c - cost of one observation through the engine.
 */
/** \file
 * A micro-benchmark, not a test: the whole engine path (allowlist, client
 * key, name hash, base domain memo, window table, rules) with the default
 * config (log mode, 10 relay netblocks).
 *
 * Without arguments it times 1M observations of each case with
 * clock_gettime and prints ns per observation and bytes per tracked key:
 * - known:    a name seen before, from a known client (QUERY stage);
 * - distinct: every name new (a new base domain: memo miss, libpsl, new
 *             client + base entry, a non-relay verdict with its reason);
 * - cached:   a known name answered from Unbound's cache (CACHED stage:
 *             counting plus the shape score of a 2-record answer).
 * - encoded:  the same with a 1-record answer whose exchange has a 32-hex
 *             label that changes at every lookup of a client + base domain
 *             (the full shape score, and staging-drip adds to its budget
 *             each time: its worst case). `encoded-off` runs it with
 *             staging-drip-enable: no, so the difference is the rule's cost.
 *
 * `bench_engine N [known|distinct|cached|encoded|encoded-off]` runs the warm-up and then N
 * observations of one case, silently, for valgrind: instructions per
 * observation = (Ir(N2) - Ir(N1)) / (N2 - N1), e.g.
 *   valgrind --tool=cachegrind --cache-sim=no ./bench_engine 100000 known
 *   valgrind --tool=cachegrind --cache-sim=no ./bench_engine 200000 known
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/names.h"
#include "../unit/testlib.h"

/** Fake clock start. */
#define T0 ((time_t)1700002800)
/** Clients of the known case. */
#define NCLIENTS 4096
/** Names of the known case. */
#define NNAMES 256

/** A wire name. */
struct wname {
	/** bytes */
	uint8_t w[64];
	/** length */
	size_t len;
};

/** Names of the known case. */
static struct wname known[NNAMES];

/** Set the client of observation i. */
static inline void
set_client(struct mxg_obs* o, uint32_t c)
{
	o->client_addr[0] = 10;
	o->client_addr[1] = (uint8_t)(c >> 16);
	o->client_addr[2] = (uint8_t)(c >> 8);
	o->client_addr[3] = (uint8_t)c;
}

/** Exchanges with a 32-hex label, rotated by the encoded case. */
#define NENC 64

/** Run n observations of the known case from offset start; with enc, the
 * encoded case: the known case's names with a one-record answer whose
 * exchange (of the NENC in enc) changes with each round of clients. */
static uint64_t
run_known(struct mxg_engine* e, struct mxg_obs* o, uint64_t start,
	uint64_t n, struct mxg_mx_rr* enc)
{
	struct mxg_verdict v;
	uint64_t i, acts = 0;
	for(i = start; i < start + n; i++) {
		uint32_t c = (uint32_t)(i % NCLIENTS);
		const struct wname* nm = &known[(c + (i / NCLIENTS) % 4) %
			NNAMES];
		set_client(o, c);
		o->qname = nm->w;
		o->qname_len = nm->len;
		if(enc) {
			o->mx = &enc[(i / NCLIENTS) % NENC];
			o->n_mx = 1;
		}
		o->now = T0 + (time_t)(i / 1000);
		mxg_engine_observe(e, o, &v);
		acts += v.action;
	}
	return acts;
}

/** Run n observations of distinct names from offset start. */
static uint64_t
run_distinct(struct mxg_engine* e, struct mxg_obs* o, uint64_t start,
	uint64_t n)
{
	struct mxg_verdict v;
	struct wname nm;
	uint64_t i, acts = 0;
	char txt[64];
	for(i = start; i < start + n; i++) {
		/* the name is built outside the timed engine call's cost
		 * only roughly: snprintf and from_str add ~400 instructions,
		 * measured and subtracted by the "build" case below */
		snprintf(txt, sizeof(txt), "mx.d%llu.com", (unsigned long long)i);
		mxg_names_from_str(txt, nm.w, sizeof(nm.w), &nm.len);
		set_client(o, (uint32_t)(i % NCLIENTS));
		o->qname = nm.w;
		o->qname_len = nm.len;
		o->now = T0 + (time_t)(i / 1000);
		if(e)
			mxg_engine_observe(e, o, &v);
		acts += e ? v.action : nm.len;
	}
	return acts;
}

int
main(int argc, char** argv)
{
	static const char* relays = "relay: 192.0.2.0/24\nrelay: 198.51.100.0/24\n"
		"relay: 203.0.113.0/24\nrelay: 172.16.0.0/12\n"
		"relay: 2001:db8:1::/48\nrelay: 2001:db8:2::/48\n"
		"relay: 2001:db8:3::/48\nrelay: 100.64.0.0/10\n"
		"relay: 10.200.0.0/16\nrelay: 10.201.0.0/16\n";
	struct mxg_conf* cfg = mxg_conf_new();
	struct mxg_engine* e;
	struct mxg_engine_stats st;
	struct mxg_obs o;
	struct mxg_mx_rr rr[2], enc[NENC];
	uint8_t ex[2][32], exenc[NENC][64];
	char err[512];
	size_t i, len;
	uint64_t n = 0, sink = 0;
	const char* mode = argc > 2 ? argv[2] : "known";
	double t;
	if(!cfg || !mxg_conf_read_string(cfg, "bench", relays, err,
		sizeof(err)) || (strcmp(mode, "encoded-off") == 0 &&
		!mxg_conf_read_string(cfg, "bench", "staging-drip-enable: no\n",
		err, sizeof(err)))) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	e = mxg_engine_new(cfg, err, sizeof(err));
	if(!e) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	for(i = 0; i < NNAMES; i++) {
		char txt[64];
		snprintf(txt, sizeof(txt), "mail%zu.example%zu.com", i, i);
		mxg_names_from_str(txt, known[i].w, sizeof(known[i].w),
			&known[i].len);
	}
	mxg_names_from_str("mx1.example0.com", ex[0], sizeof(ex[0]), &len);
	rr[0].pref = 10; rr[0].exchange = ex[0]; rr[0].exchange_len = len;
	mxg_names_from_str("mx2.example0.com", ex[1], sizeof(ex[1]), &len);
	rr[1].pref = 20; rr[1].exchange = ex[1]; rr[1].exchange_len = len;
	for(i = 0; i < NENC; i++) {
		char txt[64];
		snprintf(txt, sizeof(txt), "%016llx%016llx.example0.com",
			(unsigned long long)i * 0x9e3779b97f4a7c15ULL,
			(unsigned long long)~i * 0xbf58476d1ce4e5b9ULL);
		mxg_names_from_str(txt, exenc[i], sizeof(exenc[i]), &len);
		enc[i].pref = 10;
		enc[i].exchange = exenc[i];
		enc[i].exchange_len = len;
	}

	memset(&o, 0, sizeof(o));
	o.stage = MXG_OBS_QUERY;
	o.client_family = AF_INET;
	o.qtype = 15;
	o.qclass = 1;
	o.rcode = -1;
	/* warm-up: every client has seen its names (memo, table, verdicts) */
	sink += run_known(e, &o, 0, NCLIENTS * 8, NULL);

	if(argc > 1) {
		n = strtoull(argv[1], NULL, 10);
		if(strcmp(mode, "known") == 0) {
			sink += run_known(e, &o, NCLIENTS * 8, n, NULL);
		} else if(strcmp(mode, "cached") == 0) {
			o.stage = MXG_OBS_CACHED;
			o.rcode = 0;
			o.mx = rr;
			o.n_mx = 2;
			sink += run_known(e, &o, NCLIENTS * 8, n, NULL);
		} else if(strncmp(mode, "encoded", 7) == 0) {
			o.stage = MXG_OBS_CACHED;
			o.rcode = 0;
			sink += run_known(e, &o, NCLIENTS * 8, n, enc);
		} else if(strcmp(mode, "distinct") == 0) {
			sink += run_distinct(e, &o, 0, n);
		} else if(strcmp(mode, "build") == 0) {
			sink += run_distinct(NULL, &o, 0, n);
		} else {
			fprintf(stderr, "usage: bench_engine [N "
				"[known|distinct|cached|encoded|encoded-off|"
				"build]]\n");
			return 1;
		}
		mxg_engine_free(e);
		mxg_conf_free(cfg);
		return sink == 0xffffffffffff ? 1 : 0;
	}

	n = 1000000;
	t = t_now_ns();
	sink += run_known(e, &o, NCLIENTS * 8, n, NULL);
	printf("known name, known client (query):   %6.1f ns/observation\n",
		(t_now_ns() - t) / (double)n);
	o.stage = MXG_OBS_CACHED;
	o.rcode = 0;
	o.mx = rr;
	o.n_mx = 2;
	t = t_now_ns();
	sink += run_known(e, &o, NCLIENTS * 8 + n, n, NULL);
	printf("known name, cache hit, 2 MX answer: %6.1f ns/observation\n",
		(t_now_ns() - t) / (double)n);
	t = t_now_ns();
	sink += run_known(e, &o, NCLIENTS * 8 + 2 * n, n, enc);
	printf("cache hit, 1 MX, new 32-hex label:  %6.1f ns/observation\n",
		(t_now_ns() - t) / (double)n);
	o.stage = MXG_OBS_QUERY;
	o.mx = NULL;
	o.n_mx = 0;
	o.rcode = -1;
	t = t_now_ns();
	sink += run_distinct(NULL, &o, 0, n);
	t = t_now_ns() - t;
	{
		double t2 = t_now_ns();
		sink += run_distinct(e, &o, 0, n);
		t2 = t_now_ns() - t2;
		printf("distinct names (query):             %6.1f "
			"ns/observation (name building, %.1f ns, "
			"subtracted)\n", (t2 - t) / (double)n,
			t / (double)n);
	}
	mxg_engine_get_stats(e, &st);
	printf("tracked keys %llu, memory %llu bytes (max-memory %zu), "
		"%.0f bytes per tracked key, %llu evictions\n",
		(unsigned long long)st.keys, (unsigned long long)st.mem,
		cfg->max_memory, st.keys ? (double)st.mem / (double)st.keys : 0,
		(unsigned long long)st.evictions);
	printf("(verdict sum %llu)\n", (unsigned long long)sink);
	mxg_engine_free(e);
	mxg_conf_free(cfg);
	return 0;
}

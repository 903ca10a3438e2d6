/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_anscache.c - the private MX answer cache of refuse mode.
 */
/** \file
 * module/anscache.c against real Unbound answers (parsed from wire format
 * by Unbound's own reply_info_parse, linked from the tree's libunbound.a):
 * TTLs counting down from the records' own TTLs, the message TTL of a copy
 * kept at 0, expiry, serve-expired copies, the key (name case, type, CD),
 * the byte budget and its least-recently-used eviction, the view attached
 * to an answer, the references that outlive the cache, and hash chains
 * bounded at 8 entries (names that share a chain found through
 * mxg_anscache_chain, since the hash is keyed).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/regional.h"
#include "util/alloc.h"
#include "util/data/msgreply.h"
#include "util/data/msgparse.h"
#include "util/data/packed_rrset.h"
#include "util/data/dname.h"
#include "sldns/sbuffer.h"
#include "sldns/rrdef.h"
#include "module/anscache.h"
#include "tap.h"

/** Most answers a test parses. */
#define MAX_PARSED 40
/** The parsed answers (malloc'd by Unbound), deleted at the end. */
static struct reply_info* parsed[MAX_PARSED];
/** Number of parsed answers. */
static int n_parsed;

/** A wire-format DNS message being written. */
struct pkt {
	uint8_t b[4096];
	size_t n;
};

static void
put16(struct pkt* p, unsigned v)
{
	p->b[p->n++] = (uint8_t)(v >> 8);
	p->b[p->n++] = (uint8_t)v;
}

static void
put32(struct pkt* p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)(v & 0xffff));
}

/** Append a name given as text ("mx.example.com"). */
static void
putname(struct pkt* p, const char* s)
{
	while(*s) {
		const char* dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		p->b[p->n++] = (uint8_t)len;
		memcpy(p->b + p->n, s, len);
		p->n += len;
		s += len + (dot ? 1 : 0);
	}
	p->b[p->n++] = 0;
}

/** Text form of a query name in wire format, for struct query_info. */
static size_t
wire(uint8_t* out, const char* s)
{
	struct pkt p;
	p.n = 0;
	putname(&p, s);
	memcpy(out, p.b, p.n);
	return p.n;
}

/**
 * An answer to "qname MX": n_mx MX records of TTL mx_ttl, and an A record
 * of TTL a_ttl for the first exchange in the additional section.
 * @return the answer in region, NULL on a parse failure.
 */
static struct reply_info*
answer(struct regional* region, struct alloc_cache* alloc, const char* qname,
	int n_mx, unsigned long mx_ttl, unsigned long a_ttl, int rcode)
{
	struct pkt p;
	struct query_info qi;
	struct reply_info* rep = NULL;
	struct edns_data edns;
	sldns_buffer* buf;
	int i;
	char ex[64];
	p.n = 0;
	put16(&p, 0x1234);
	put16(&p, 0x8180 | (unsigned)rcode);	/* QR RD RA */
	put16(&p, 1);
	put16(&p, (unsigned)n_mx);
	put16(&p, 0);
	put16(&p, n_mx ? 1 : 0);
	putname(&p, qname);
	put16(&p, LDNS_RR_TYPE_MX);
	put16(&p, LDNS_RR_CLASS_IN);
	for(i = 0; i < n_mx; i++) {
		snprintf(ex, sizeof(ex), "mx%d.example.net", i);
		putname(&p, qname);
		put16(&p, LDNS_RR_TYPE_MX);
		put16(&p, LDNS_RR_CLASS_IN);
		put32(&p, mx_ttl);
		put16(&p, (unsigned)(2 + strlen(ex) + 2));
		put16(&p, (unsigned)(10 * (i + 1)));
		putname(&p, ex);
	}
	if(n_mx) {
		putname(&p, "mx0.example.net");
		put16(&p, LDNS_RR_TYPE_A);
		put16(&p, LDNS_RR_CLASS_IN);
		put32(&p, a_ttl);
		put16(&p, 4);
		put32(&p, 0xc000020aUL);
	}
	buf = sldns_buffer_new(sizeof(p.b));
	if(!buf)
		return NULL;
	sldns_buffer_write(buf, p.b, p.n);
	sldns_buffer_flip(buf);
	memset(&qi, 0, sizeof(qi));
	memset(&edns, 0, sizeof(edns));
	if(reply_info_parse(buf, alloc, &qi, &rep, region, &edns) != 0)
		rep = NULL;
	free(qi.qname);
	sldns_buffer_free(buf);
	if(rep && n_parsed < MAX_PARSED)
		parsed[n_parsed++] = rep;
	return rep;
}

/** Smallest and largest record TTL of an answer, and its message TTL. */
static void
ttls(const struct reply_info* r, time_t* lo, time_t* hi)
{
	size_t i, j;
	*lo = 1 << 30;
	*hi = -1;
	for(i = 0; i < r->rrset_count; i++) {
		struct packed_rrset_data* d = (struct packed_rrset_data*)
			r->rrsets[i]->entry.data;
		for(j = 0; j < d->count; j++) {
			if(d->rr_ttl[j] < *lo)
				*lo = d->rr_ttl[j];
			if(d->rr_ttl[j] > *hi)
				*hi = d->rr_ttl[j];
		}
	}
}

/** Every record of r has the lowest trust. */
static int
untrusted(const struct reply_info* r)
{
	size_t i;
	for(i = 0; i < r->rrset_count; i++)
		if(((struct packed_rrset_data*)r->rrsets[i]->entry.data)->
			trust != rrset_trust_none)
			return 0;
	return 1;
}

/** aux_free that counts. */
static int freed;
static void
count_free(void* p)
{
	freed++;
	free(p);
}

int
main(void)
{
	struct regional* region = regional_create();
	struct alloc_cache alloc;
	struct mxg_anscache* c;
	struct query_info q, qup, qa;
	struct reply_info* rep, *got, *got2, *big;
	struct ac_copy* ref = NULL, *ref2 = NULL, *keep = NULL;
	uint8_t qn[256], qnup[256];
	time_t lo, hi, now = 1000000;
	uint64_t hits, misses, stores, evictions;
	int i, n_stored;
	enum mxg_ac_state st;
	size_t mem0;
	void* a1, *a2, *a3;

	alloc_init(&alloc, NULL, 1);
	memset(&q, 0, sizeof(q));
	q.qname = qn;
	q.qname_len = wire(qn, "example.com");
	q.qtype = LDNS_RR_TYPE_MX;
	q.qclass = LDNS_RR_CLASS_IN;
	qup = q;
	qup.qname = qnup;
	qup.qname_len = wire(qnup, "EXAMPLE.Com");

	rep = answer(region, &alloc, "example.com", 2, 300, 120, 0);
	ok(rep != NULL && rep->an_numrrsets == 1 && rep->rrset_count == 2,
		"Unbound parses the test answer (2 MX, 1 A)");
	c = mxg_anscache_new(64 << 20, count_free);
	is_int(mxg_anscache_buckets(c), 65536, "64 MiB: 65536 hash buckets "
		"(one per KiB, not a fixed 16 x 1024)");
	mxg_anscache_free(c);
	c = mxg_anscache_new(1 << 20, count_free);
	ok(c != NULL, "a cache of 1 MiB");
	is_int(mxg_anscache_buckets(c), 1024, "1 MiB: 1024 hash buckets");

	/* the message TTL does not matter: refuse mode gives it 0 */
	rep->ttl = 0;
	ok(mxg_anscache_store(c, &q, 0, rep, now, 64) == 1,
		"an answer with message TTL 0 is stored (its records live 120 s)");
	got = mxg_anscache_lookup(c, &qup, 0, now + 10, &ref, 0, NULL);
	ok(got != NULL && ref != NULL, "found under another case of the name");
	ttls(got, &lo, &hi);
	ok(lo == 110 && hi == 290, "TTLs count down: %d..%d after 10 s",
		(int)lo, (int)hi);
	ok(got->ttl == 0 && got->prefetch_ttl == 0 &&
		got->serve_expired_ttl == 0, "the copy's message TTL stays 0 "
		"(a module that stores it cannot put it in the message cache)");
	got2 = mxg_anscache_lookup(c, &q, 0, now + 10, &ref2, 0, NULL);
	ok(got2 == got && ref2 == ref, "lookups of one second share one copy");
	mxg_anscache_release(ref2);
	ok(mxg_anscache_lookup(c, &q, 0x0010, now + 10, &ref2, 0, NULL) == NULL &&
		ref2 == NULL, "the CD flag is part of the key");
	qa = q;
	qa.qtype = LDNS_RR_TYPE_A;
	ok(mxg_anscache_lookup(c, &qa, 0, now + 10, &ref2, 0, NULL) == NULL,
		"the type is part of the key");

	/* the view attached to an answer */
	a1 = malloc(16);
	a2 = malloc(16);
	ok(mxg_anscache_aux(ref) == NULL, "no view yet");
	ok(mxg_anscache_set_aux(ref, a1) == a1, "the first view is attached");
	ok(mxg_anscache_set_aux(ref, a2) == a1,
		"a second view loses to the first (the caller frees it)");
	free(a2);
	ok(mxg_anscache_aux(ref) == a1, "the view is read back");
	keep = ref;	/* held past the next second and the cache */

	got2 = mxg_anscache_lookup(c, &q, 0, now + 11, &ref2, 0, NULL);
	ok(got2 != NULL && got2 != got, "the next second makes a new copy");
	ttls(got2, &lo, &hi);
	ok(lo == 109, "its TTLs are one second lower (%d)", (int)lo);
	ttls(got, &lo, &hi);
	ok(lo == 110, "the held copy is unchanged (%d)", (int)lo);
	ok(mxg_anscache_aux(ref2) == NULL, "the new copy has no view yet");
	a3 = malloc(16);
	ok(mxg_anscache_set_aux(ref2, a3) == a3, "a view on the new copy");
	mxg_anscache_release(ref2);
	/* only the entry holds the new copy now: a later second lowers its
	 * TTLs in place, no copy, and its view stays */
	got = mxg_anscache_lookup(c, &q, 0, now + 13, &ref2, 0, NULL);
	ok(got == got2 && mxg_anscache_aux(ref2) == a3,
		"a copy no query holds is reused in a later second, view kept");
	ttls(got, &lo, &hi);
	ok(lo == 107 && hi == 287, "its TTLs are lowered in place: %d..%d",
		(int)lo, (int)hi);
	mxg_anscache_release(ref2);

	/* expiry, without serve-expired */
	ok(mxg_anscache_lookup(c, &q, 0, now + 120, &ref2, 1, &st) == NULL,
		"expired at the smallest record TTL, no stale copies by default");

	/* serve-expired */
	mxg_anscache_set_stale(c, 3600, 30);
	rep->ttl = 0;
	ok(mxg_anscache_store(c, &q, 0, rep, now, 0) == 1, "stored again");
	got = mxg_anscache_lookup(c, &q, 0, now + 130, &ref2, 0, NULL);
	ok(got == NULL, "expired: a miss for a caller that takes no stale");
	st = MXG_AC_FRESH;
	got = mxg_anscache_lookup(c, &q, 0, now + 130, &ref2, 1, &st);
	ok(got != NULL && st == MXG_AC_STALE, "expired: a stale copy when asked");
	if(got) {
		ttls(got, &lo, &hi);
		ok(lo == 30 && hi == 30 && untrusted(got), "stale: every TTL "
			"is the reply TTL (%d..%d) and trust the lowest",
			(int)lo, (int)hi);
		mxg_anscache_release(ref2);
	} else
		ok(0, "stale copy");
	got = mxg_anscache_lookup(c, &q, 0, now + 5, &ref2, 1, &st);
	ok(got != NULL && st == MXG_AC_FRESH, "a fresh answer is not stale");
	if(got) {
		ttls(got, &lo, &hi);
		ok(lo == 115 && !untrusted(got), "and keeps its TTLs and "
			"trust (%d)", (int)lo);
		mxg_anscache_release(ref2);
	} else
		ok(0, "fresh copy");
	got = mxg_anscache_lookup(c, &q, 0, now + 108, &ref2, 1, &st);
	ok(got != NULL && st == MXG_AC_PREFETCH, "in the last tenth of its "
		"120 s: due for a refresh");
	mxg_anscache_release(ref2);
	got = mxg_anscache_lookup(c, &q, 0, now + 107, &ref2, 1, &st);
	ok(got != NULL && st == MXG_AC_FRESH, "at 107 s: not yet");
	mxg_anscache_release(ref2);
	ok(mxg_anscache_lookup(c, &q, 0, now + 120 + 3600, &ref2, 1, &st) ==
		NULL, "gone once serve-expired-ttl has passed");

	/* what is not stored */
	rep = answer(region, &alloc, "empty.example.com", 0, 300, 300, 3);
	ok(rep != NULL && mxg_anscache_store(c, &q, 0, rep, now, 0) == 0,
		"an answer without records (no TTL) is not stored");

	/* the byte budget, least recently used out first */
	mxg_anscache_free(c);
	c = mxg_anscache_new(256 * 1024, NULL);
	big = answer(region, &alloc, "example.com", 4, 600, 600, 0);
	mem0 = mxg_anscache_mem(c);
	n_stored = 0;
	for(i = 0; i < 4000; i++) {
		char name[64];
		snprintf(name, sizeof(name), "d%d.example.com", i);
		q.qname_len = wire(qn, name);
		n_stored += mxg_anscache_store(c, &q, 0, big, now, 0);
		if(i == 0) {
			/* the first name stays in use */
			ok(mxg_anscache_lookup(c, &q, 0, now, &ref2, 0, NULL) !=
				NULL, "d0 found right after its store");
			mxg_anscache_release(ref2);
		}
	}
	mxg_anscache_stats(c, &hits, &misses, &stores, &evictions);
	ok(n_stored == 4000 && stores == 4000, "4000 answers stored");
	ok(mxg_anscache_mem(c) - mem0 <= 256 * 1024, "answers take %zu bytes, "
		"within the 256 KiB budget", mxg_anscache_mem(c) - mem0);
	ok(evictions > 2000, "the oldest were evicted (%llu)",
		(unsigned long long)evictions);
	q.qname_len = wire(qn, "d3999.example.com");
	ok(mxg_anscache_lookup(c, &q, 0, now, &ref2, 0, NULL) != NULL,
		"the newest is there");
	mxg_anscache_release(ref2);
	q.qname_len = wire(qn, "d1.example.com");
	ok(mxg_anscache_lookup(c, &q, 0, now, &ref2, 0, NULL) == NULL,
		"an old one is gone");

	/* a reference outlives its cache; the view goes with the copy */
	freed = 0;
	mxg_anscache_free(c);
	ok(freed == 0, "the held copy's view is not freed with the cache");
	mxg_anscache_release(keep);
	ok(freed == 1, "releasing the last reference frees the view");
	mxg_anscache_release(NULL);
	ok(1, "releasing NULL does nothing");

	/* bounded chains: 20 names that share one hash chain (found through
	 * the test hook, the hash is keyed), each with its own answer; the
	 * chain keeps the newest MXG_AC_CHAIN_MAX (8), so a lookup walks at
	 * most 8 entries under the shard lock, and finds the right answer */
	c = mxg_anscache_new(1 << 20, NULL);
	{
		enum { NCOL = 20, CHAIN_MAX = 8 };
		static uint8_t cn[NCOL][256];
		static char ctext[NCOL][64];
		struct query_info cq[NCOL];
		size_t chain = 0, len, maxlen = 0, cnt = 0;
		int k, tries, right = 0, gone = 0, stored = 0;
		char nm[64];
		uint64_t ev0;
		for(tries = 0; cnt < NCOL && tries < 200000; tries++) {
			struct query_info t = q;
			uint8_t tn[256];
			size_t ch;
			snprintf(nm, sizeof(nm), "c%d.example.org", tries);
			t.qname = tn;
			t.qname_len = wire(tn, nm);
			ch = mxg_anscache_chain(c, &t, 0, &len);
			if(tries == 0)
				chain = ch;
			if(ch != chain)
				continue;
			memcpy(cn[cnt], tn, t.qname_len);
			snprintf(ctext[cnt], sizeof(ctext[cnt]), "%s", nm);
			cq[cnt] = t;
			cq[cnt].qname = cn[cnt];
			cnt++;
		}
		ok(cnt == NCOL, "%zu names in one chain of %zu found in %d tries",
			cnt, mxg_anscache_buckets(c), tries);
		mxg_anscache_stats(c, &hits, &misses, &stores, &ev0);
		for(k = 0; k < (int)cnt; k++) {
			struct reply_info* a = answer(region, &alloc, ctext[k],
				1, 300, 120, 0);
			stored += a && mxg_anscache_store(c, &cq[k], 0, a, now,
				0);
			(void)mxg_anscache_chain(c, &cq[k], 0, &len);
			if(len > maxlen)
				maxlen = len;
		}
		is_int(stored, NCOL, "all 20 stored");
		ok(maxlen == CHAIN_MAX, "the chain never holds more than %d "
			"entries (longest %zu)", CHAIN_MAX, maxlen);
		mxg_anscache_stats(c, &hits, &misses, &stores, &evictions);
		is_int(evictions - ev0, NCOL - CHAIN_MAX, "each store into the "
			"full chain evicted its oldest entry");
		for(k = 0; k < (int)cnt; k++) {
			struct reply_info* g = mxg_anscache_lookup(c, &cq[k], 0,
				now + 1, &ref2, 0, NULL);
			if(k < NCOL - CHAIN_MAX)
				gone += g == NULL;
			else if(g && g->rrset_count > 0 && query_dname_compare(
				g->rrsets[0]->rk.dname, cq[k].qname) == 0)
				right++;
			mxg_anscache_release(ref2);
			ref2 = NULL;
		}
		is_int(gone, NCOL - CHAIN_MAX, "the 12 oldest of the chain "
			"are gone");
		is_int(right, CHAIN_MAX, "the 8 newest are found, each with "
			"its own answer");
		q.qname_len = wire(qn, "other.example.net");
		rep = answer(region, &alloc, "other.example.net", 1, 300, 120,
			0);
		ok(rep && mxg_anscache_store(c, &q, 0, rep, now, 0) &&
			mxg_anscache_lookup(c, &q, 0, now + 1, &ref2, 0, NULL),
			"a name in another chain is stored and found");
		mxg_anscache_release(ref2);
	}
	mxg_anscache_free(c);

	for(i = 0; i < n_parsed; i++)
		reply_info_parsedelete(parsed[i], &alloc);
	alloc_clear(&alloc);
	regional_destroy(region);
	return done_testing();
}

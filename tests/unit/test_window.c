/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_window.c - the bounded table of sliding windows.
 */
/** \file
 * Sliding-window counters at their edges (with a fake clock passed in),
 * distinct sets at their capacity, extensions and sample names, least
 * recently seen eviction under a flood of a million keys within max-memory,
 * exact totals from concurrent threads, and the engine's one call that finds
 * and counts an entry (mxg_window_get_count).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/window.h"
#include "tap.h"

/** A well-spread 64-bit key for number i (splitmix64). */
static uint64_t
key_of(uint64_t i)
{
	uint64_t z = i + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/** Layouts like the engine's defaults. */
static void
kinds_default(struct mxg_window_kind_conf k[MXG_WK_COUNT])
{
	static const struct mxg_window_kind_conf def[MXG_WK_COUNT] = {
		/* client: volume over 60 s, fanout set of 21 over 10 min */
		[MXG_WK_CLIENT] = { .period = 60, .counters = 1,
			.distinct = 21, .distinct_period = 600 },
		/* pair: lookups over 1 h; extension numeric and
		 * encoded-byte counters, prefixes, samples, staging-drip's
		 * two words */
		[MXG_WK_PAIR] = { .period = 3600, .counters = 1,
			.ext_counters = 2, .ext_distinct = 16,
			.ext_samples = 1, .ext_user = 2 },
		/* domain: lookups over a day */
		[MXG_WK_DOMAIN] = { .period = 86400, .counters = 1 },
	};
	memcpy(k, def, sizeof(def));
}

/** Count n events for a key at time now; return the total. */
static uint32_t
add(struct mxg_window* w, enum mxg_window_kind kind, uint64_t key,
	time_t now, uint32_t n)
{
	struct mxg_window_entry* e = mxg_window_lock(w, kind, key, now, 1);
	uint32_t t;
	if(!e)
		return 0xffffffff;
	t = mxg_window_count(w, e, 0, now, n);
	mxg_window_unlock(w, e);
	return t;
}

static void
test_create(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	char err[256];
	kinds_default(k);
	w = mxg_window_new(1000, k, err, sizeof(err));
	ok(w == NULL, "a table below 64k is refused: %s", err);
	k[MXG_WK_CLIENT].counters = MXG_WINDOW_MAX_COUNTERS + 1;
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	ok(w == NULL, "too many counters are refused: %s", err);
	kinds_default(k);
	k[MXG_WK_PAIR].period = 0;
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	ok(w == NULL, "counters without a period are refused: %s", err);
	kinds_default(k);
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	ok(w != NULL, "a 1 MiB table is made");
	ok(mxg_window_entry_bytes(w, MXG_WK_CLIENT, 0) > 0 &&
		mxg_window_entry_bytes(w, MXG_WK_PAIR, 1) >
		mxg_window_entry_bytes(w, MXG_WK_PAIR, 0),
		"entry sizes are known and the extension costs extra");
	diag("bytes per entry: client %zu, pair %zu (%zu extended), "
		"domain %zu", mxg_window_entry_bytes(w, MXG_WK_CLIENT, 0),
		mxg_window_entry_bytes(w, MXG_WK_PAIR, 0),
		mxg_window_entry_bytes(w, MXG_WK_PAIR, 1),
		mxg_window_entry_bytes(w, MXG_WK_DOMAIN, 0));
	mxg_window_free(w);
	mxg_window_free(NULL);
	ok(1, "freeing NULL is fine");
}

/** One step on a counter: add n at t0 + dt, the total is want. */
struct step {
	enum mxg_window_kind kind;
	uint64_t key;
	time_t dt;
	uint32_t n, want;
	const char* what;
};

/** Counter edges at t0 (a multiple of 60), after 30 lookups of client 1
 * in the 30 s from t0. Domains have a period of 10 s here (one bucket per
 * second), the other kinds their defaults. */
static const struct step edges[] = {
	/* 60 s window, 1 s buckets: exact */
	{ MXG_WK_CLIENT, 1, 30, 1, 31, "the 31st lookup counts 31" },
	{ MXG_WK_CLIENT, 1, 59, 0, 31, "at t0+59 the lookup of t0 counts" },
	{ MXG_WK_CLIENT, 1, 60, 0, 30, "at t0+60 it has slid out" },
	{ MXG_WK_CLIENT, 1, 75, 0, 15, "at t0+75 those of t0..t0+15 too" },
	{ MXG_WK_CLIENT, 1, 90, 0, 0, "at t0+90 every lookup has" },
	{ MXG_WK_CLIENT, 1, 5000, 2, 2, "after a pause it starts again" },
	/* a time before the newest bucket (the clock stepped back) is
	 * counted in the newest bucket */
	{ MXG_WK_CLIENT, 1, 4990, 1, 3, "clock back: the newest bucket" },
	/* 1 h window, 60 s buckets: slides by at most 1/60 */
	{ MXG_WK_PAIR, 2, 0, 1, 1, "1 h: the first lookup counts" },
	{ MXG_WK_PAIR, 2, 59, 1, 2, "1 h: the second, same bucket" },
	{ MXG_WK_PAIR, 2, 60, 1, 3, "1 h: the third, next bucket" },
	{ MXG_WK_PAIR, 2, 3599, 0, 3, "1 h: all three count at t0+3599" },
	{ MXG_WK_PAIR, 2, 3600, 0, 1, "1 h: at t0+3600 t0..t0+59 are gone" },
	{ MXG_WK_PAIR, 2, 3660, 0, 0, "1 h: at t0+3660 t0+60 is gone" },
	/* the period below 60 s: one bucket per second */
	{ MXG_WK_DOMAIN, 4, 0, 1, 1, "10 s: a lookup at t0" },
	{ MXG_WK_DOMAIN, 4, 9, 1, 2, "10 s: it counts at t0+9" },
	{ MXG_WK_DOMAIN, 4, 10, 0, 1, "10 s: and is gone at t0+10" },
};

/** One step on a distinct set: hash (0 only reads) seen at t0 + dt, the
 * count is want. */
struct seen {
	uint32_t hash;
	time_t dt;
	uint32_t want;
	const char* what;
};

/** The distinct set (capacity 21, 10 min) of a client after the values
 * 101..120 at t0+1..t0+20: hash (0 only reads) at t0 + dt counts want. */
static const struct seen distinct_steps[] = {
	{ 105, 21, 20, "a value seen does not count again" },
	{ 200, 22, 21, "the 21st counts 21 (exact)" },
	{ 201, 23, 21, "beyond the capacity: stays 21" },
	{ 0, 23, 21, "hash 0 only reads" },
	/* member 101 was seen at t0+1, and replaced by 201 (least
	 * recent); 102 at t0+2 expires at t0+602 */
	{ 0, 601, 21, "at t0+601 t0+2.. are still live" },
	{ 0, 602, 20, "at t0+602 t0+2 has expired" },
	{ 0, 620, 3, "at t0+620 only t0+21.. are live" },
	{ 300, 620, 4, "a new value takes an expired slot" },
	{ 0, 5000, 0, "much later nothing is live" },
};

static void
test_counter_edges(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	char err[256];
	time_t t0 = 1699999980; /* a multiple of 60 */
	size_t i;
	uint32_t tot = 0;

	/* saturation of a bucket (of the day-long domain window) */
	kinds_default(k);
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	e = mxg_window_lock(w, MXG_WK_DOMAIN, key_of(3), t0, 1);
	is_int(mxg_window_count(w, e, 0, t0, 70000), 65535,
		"a sub-bucket saturates at 65535");
	is_int(mxg_window_count(w, e, 0, t0 + 86400 / 60, 5), 65540,
		"the next bucket adds to the total");
	is_int(mxg_window_count(w, e, 5, t0, 1), 0,
		"a counter that does not exist reads 0");
	is_int(mxg_window_distinct(w, e, 0, 7, t0), 0,
		"a distinct set that does not exist reads 0");
	ok(!mxg_window_extend(w, e), "a kind without extension is not extended");
	mxg_window_unlock(w, e);
	mxg_window_free(w);

	k[MXG_WK_DOMAIN].period = 10;
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	for(i = 0; i < 30; i++)
		tot = add(w, MXG_WK_CLIENT, key_of(1), t0 + (time_t)i, 1);
	is_int(tot, 30, "30 lookups in 30 s count 30");
	for(i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		is_int(add(w, edges[i].kind, key_of(edges[i].key),
			t0 + edges[i].dt, edges[i].n), edges[i].want, "%s",
			edges[i].what);
	mxg_window_free(w);
}

static void
test_distinct(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	char err[256];
	time_t t0 = 1700000000;
	uint32_t i, n = 0;
	kinds_default(k);
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	e = mxg_window_lock(w, MXG_WK_CLIENT, key_of(10), t0, 1);
	for(i = 1; i <= 20; i++)
		n = mxg_window_distinct(w, e, 0, 100 + i, t0 + i);
	is_int(n, 20, "20 distinct values count 20");
	for(i = 0; i < sizeof(distinct_steps) / sizeof(distinct_steps[0]);
		i++) {
		const struct seen* s = &distinct_steps[i];
		is_int(mxg_window_distinct(w, e, 0, s->hash,
			t0 + s->dt), s->want, "%s", s->what);
	}
	is_int(mxg_window_distinct(w, e, 1, 5, t0), 0,
		"the extension set of a client does not exist");
	mxg_window_unlock(w, e);
	mxg_window_free(w);
}

/** The reference model of a distinct set: an unsorted array scanned in
 * full (the set's first implementation), to check the indexed one. */
struct model {
	uint32_t n, cap, period;
	uint32_t h[64], t[64];
};

/** The model's mxg_window_distinct. */
static uint32_t
model_distinct(struct model* m, uint32_t h, uint32_t now)
{
	uint32_t i, live = 0, oldest = 0;
	int found = 0;
	for(i = 0; i < m->n; i++) {
		int32_t age = (int32_t)(now - m->t[i]);
		if(h && m->h[i] == h) {
			if(age > 0)
				m->t[i] = now;
			found = 1;
			live++;
		} else if(age < (int32_t)m->period)
			live++;
	}
	if(!h || found)
		return live;
	if(m->n < m->cap) {
		m->h[m->n] = h;
		m->t[m->n++] = now;
		return live + 1;
	}
	/* the least recently seen; of equals, the smallest hash */
	for(i = 1; i < m->n; i++)
		if((int32_t)(m->t[i] - m->t[oldest]) < 0 ||
			(m->t[i] == m->t[oldest] && m->h[i] < m->h[oldest]))
			oldest = i;
	live += (int32_t)(now - m->t[oldest]) >= (int32_t)m->period;
	m->h[oldest] = h;
	m->t[oldest] = now;
	return live;
}

/** Random lookups, pauses and clock steps back: the set answers as the
 * model does at every step. @param mult: spreads the 61 hash values over
 * 32 bits (the usual case), or 1 keeps them clustered at the bottom (the
 * search cannot start where a hash should be). */
static void
test_distinct_model(uint32_t mult)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	struct model m;
	char err[256];
	uint32_t now = 1700000000, i, got, want, bad = 0, firstbad = 0;
	uint64_t r = 12345;
	kinds_default(k);
	k[MXG_WK_CLIENT].distinct = 40;
	k[MXG_WK_CLIENT].distinct_period = 50;
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	e = mxg_window_lock(w, MXG_WK_CLIENT, key_of(11), now, 1);
	memset(&m, 0, sizeof(m));
	m.cap = 40;
	m.period = 50;
	for(i = 0; i < 200000; i++) {
		uint32_t h;
		r = key_of(r);
		if(r % 100 < 3)
			now += (uint32_t)(r >> 8) % 60;	/* a pause */
		else if(r % 1000 == 7)
			now -= (uint32_t)(r >> 8) % 20;	/* clock back */
		else if(r % 10 < 4)
			now++;
		/* hashes from a pool of 60 (over the capacity), some 0 */
		h = (uint32_t)((r >> 20) % 61) * mult;
		got = mxg_window_distinct(w, e, 0, h, (time_t)now);
		want = model_distinct(&m, h, now);
		if(got != want && !bad++)
			firstbad = i;
	}
	ok(bad == 0, "200000 random lookups (hashes times %u) count as the "
		"reference set does (%u differ, first at step %u)", mult, bad,
		firstbad);
	mxg_window_unlock(w, e);
	mxg_window_free(w);
}

static void
test_extension(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	struct mxg_window_stats st;
	char err[256], buf[1024], name[64];
	time_t t0 = 1700000000;
	int i, kept = 0;
	kinds_default(k);
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	e = mxg_window_lock(w, MXG_WK_PAIR, key_of(20), t0, 1);
	ok(!mxg_window_extended(e), "a new pair has no extension");
	ok(mxg_window_ext_user(w, e) == NULL, "nor extension words");
	is_int(mxg_window_count(w, e, 1, t0, 1), 0,
		"its extension counter does not exist yet");
	is_int(mxg_window_sample(w, e, 1, "a", 1), 0,
		"and it keeps no samples");
	ok(mxg_window_extend(w, e) && mxg_window_extended(e),
		"the pair is extended");
	{
		uint32_t* x = mxg_window_ext_user(w, e);
		ok(x && x[0] == 0 && x[1] == 0,
			"its two extension words start at 0");
		if(x)
			x[1] = 0xdeadbeef;
	}
	ok(mxg_window_extend(w, e), "extending twice is fine");
	ok(mxg_window_ext_user(w, e) &&
		mxg_window_ext_user(w, e)[1] == 0xdeadbeef,
		"and keeps the words");
	is_int(mxg_window_count(w, e, 2, t0, 50), 50,
		"the second extension counter counts");
	is_int(mxg_window_count(w, e, 1, t0, 1), 1,
		"the extension counter counts");
	is_int(mxg_window_count(w, e, 0, t0, 1), 1,
		"the inline counter is separate");
	is_int(mxg_window_distinct(w, e, 1, 42, t0), 1,
		"the extension distinct set counts");
	for(i = 1; i <= 20; i++) {
		snprintf(name, sizeof(name), "%d.evil.example", i);
		kept += mxg_window_sample(w, e, key_of(1000 + i), name,
			strlen(name));
	}
	is_int(kept, 15, "at most 15 sample names are kept");
	ok(mxg_window_ext_user(w, e)[1] == 0xdeadbeef &&
		mxg_window_count(w, e, 2, t0, 0) == 50 &&
		mxg_window_count(w, e, 1, t0, 0) == 1,
		"samples, counters and words do not overlap");
	is_int(mxg_window_sample(w, e, key_of(1001), "1.evil.example", 14), 1,
		"a name already kept is recognised");
	is_int(mxg_window_sample_count(w, e), 15, "15 samples");
	is_int(mxg_window_samples(w, e, ",", buf, sizeof(buf)), 15,
		"all 15 names are written");
	ok(strncmp(buf, "1.evil.example,2.evil.example,", 30) == 0,
		"samples are in first-seen order: %.40s", buf);
	is_int(mxg_window_samples(w, e, ", ", buf, 20), 1,
		"a short buffer gets the names that fit");
	is_int((int)strlen(buf), 19, "and is filled and terminated");
	mxg_window_unlock(w, e);

	/* long names: the text budget limits what is kept */
	e = mxg_window_lock(w, MXG_WK_PAIR, key_of(21), t0, 1);
	mxg_window_extend(w, e);
	memset(buf, 'x', 250);
	kept = 0;
	for(i = 0; i < 5; i++) {
		buf[0] = (char)('a' + i);
		kept += mxg_window_sample(w, e, key_of(2000 + i), buf, 250);
	}
	is_int(kept, MXG_WINDOW_SAMPLE_BYTES / 251,
		"long names are kept while they fit the sample bytes");
	mxg_window_unlock(w, e);
	mxg_window_get_stats(w, &st);
	is_int(st.extended, 2, "two extended entries are counted");
	is_int(st.per_kind[MXG_WK_PAIR], 2, "two pair entries");
	ok(!mxg_window_peek(w, MXG_WK_CLIENT, key_of(20)),
		"the same key of another kind is another entry");
	e = mxg_window_peek(w, MXG_WK_PAIR, key_of(20));
	ok(e && e->first_seen == t0, "peek finds an entry without creating");
	if(e)
		mxg_window_unlock(w, e);
	mxg_window_free(w);
}

static void
test_eviction(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	struct mxg_window_stats st;
	char err[256];
	size_t maxmem = 8 << 20;
	time_t t0 = 1700000000;
	uint64_t i, over = 0;
	int found;
	kinds_default(k);
	w = mxg_window_new(maxmem, k, err, sizeof(err));
	/* a "hot" client looked up often must survive the flood */
	for(i = 0; i < 1000000; i++) {
		time_t now = t0 + (time_t)(i / 10000);
		e = mxg_window_lock(w, (i & 1) ? MXG_WK_PAIR : MXG_WK_DOMAIN,
			key_of(100000000 + i), now, 1);
		if(!e)
			continue;
		mxg_window_count(w, e, 0, now, 1);
		if((i % 7) == 0)
			mxg_window_extend(w, e);
		mxg_window_unlock(w, e);
		if((i % 1000) == 0) {
			e = mxg_window_lock(w, MXG_WK_CLIENT, key_of(5), now, 1);
			if(e) {
				mxg_window_count(w, e, 0, now, 1);
				mxg_window_unlock(w, e);
			}
			mxg_window_get_stats(w, &st);
			if(st.mem > maxmem)
				over++;
		}
	}
	mxg_window_get_stats(w, &st);
	is_int(over, 0, "memory never went over max-memory during the flood");
	ok(st.mem <= maxmem, "after 1M distinct keys memory %llu <= %zu",
		(unsigned long long)st.mem, maxmem);
	ok(st.mem > maxmem / 2, "the table is used (%llu bytes)",
		(unsigned long long)st.mem);
	ok(st.evictions > 900000, "keys were evicted (%llu), %llu live",
		(unsigned long long)st.evictions,
		(unsigned long long)st.entries);
	is_int(st.entries + st.evictions, 1000001,
		"every key is live or counted as evicted");
	is_int(st.refused, 0, "no insert was refused");
	ok(!mxg_window_peek(w, MXG_WK_DOMAIN, key_of(100000000)),
		"the first key of the flood is evicted");
	e = mxg_window_peek(w, MXG_WK_PAIR, key_of(100000000 + 999999));
	ok(e != NULL, "the last key of the flood is live");
	if(e)
		mxg_window_unlock(w, e);
	e = mxg_window_peek(w, MXG_WK_CLIENT, key_of(5));
	found = e != NULL;
	if(e)
		mxg_window_unlock(w, e);
	ok(found, "a key seen regularly during the flood survives it");
	mxg_window_free(w);
}

/** Fresh table; client top|1 first, then n domains of the same shard.
 * @return the table. */
static struct mxg_window*
pin_setup(uint64_t top, int n, int* client_alive)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e;
	char err[256];
	int i;
	kinds_default(k);
	w = mxg_window_new(256 << 10, k, err, sizeof(err));
	if(!w)
		return NULL;
	e = mxg_window_lock(w, MXG_WK_CLIENT, top | 1, 1700000000, 1);
	if(e)
		mxg_window_unlock(w, e);
	for(i = 0; i < n; i++) {
		e = mxg_window_lock(w, MXG_WK_DOMAIN, top | (1000 + i),
			1700000001, 1);
		if(e)
			mxg_window_unlock(w, e);
	}
	e = mxg_window_peek(w, MXG_WK_CLIENT, top | 1);
	*client_alive = e != NULL;
	if(e)
		mxg_window_unlock(w, e);
	return w;
}

static void
test_session_pins(void)
{
	struct mxg_window* w;
	struct mxg_window_entry* e, *c, *p;
	struct mxg_window_stats st, st2;
	const uint64_t top = 0x15ULL << 58;
	int n, alive = 1;
	/* how many domains push the (oldest) client out of its shard */
	for(n = 1; n < 200 && alive; n++) {
		w = pin_setup(top, n, &alive);
		mxg_window_free(w);
	}
	n--;
	ok(!alive && n > 1, "%d domains evict the oldest entry of a shard", n);
	/* one fewer: the client is the oldest of a full shard */
	w = pin_setup(top, n - 1, &alive);
	ok(w && alive, "with %d the client is still there", n - 1);
	if(!w)
		return;
	mxg_window_get_stats(w, &st);
	mxg_window_shard_lock(w, top);
	c = mxg_window_get(w, MXG_WK_CLIENT, top | 1, 1700000002, 0);
	p = mxg_window_get(w, MXG_WK_PAIR, top | 2, 1700000002,
		MXG_WINDOW_CREATE | MXG_WINDOW_TOUCH);
	ok(c && p && mxg_window_extend(w, p), "in one session a pair is made "
		"and extended next to the client");
	e = mxg_window_get(w, MXG_WK_CLIENT, top | 1, 1700000002, 0);
	ok(c && e == c, "the pinned client, oldest in the shard, was not "
		"evicted");
	mxg_window_shard_unlock(w, top);
	mxg_window_get_stats(w, &st2);
	ok(st2.evictions > st.evictions, "other entries were evicted instead "
		"(%llu)", (unsigned long long)(st2.evictions - st.evictions));
	ok(mxg_window_peek(w, MXG_WK_CLIENT, (top ^ (1ULL << 58)) | 1) == NULL,
		"another shard does not have the key");
	/* sample_wanted */
	e = mxg_window_lock(w, MXG_WK_PAIR, top | 2, 1700000005, 0);
	ok(e && mxg_window_sample_wanted(w, e, 77), "a new name is wanted");
	if(e) {
		mxg_window_sample(w, e, 77, "1.a.example", 11);
		ok(!mxg_window_sample_wanted(w, e, 77),
			"a kept name is not wanted again");
		mxg_window_unlock(w, e);
	}
	mxg_window_free(w);
}

/** mxg_window_get_count: one call finds (or makes) an entry and counts,
 * the same entry and totals as mxg_window_get then mxg_window_count. */
static void
test_get_count(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	struct mxg_window* w;
	struct mxg_window_entry* e, *g;
	const uint64_t key = key_of(7);
	const time_t t0 = 1700000000;
	uint32_t cnt = 99;
	char err[256];
	kinds_default(k);
	w = mxg_window_new(1 << 20, k, err, sizeof(err));
	ok(w != NULL, "table for get_count");
	if(!w)
		return;
	mxg_window_shard_lock(w, key);
	e = mxg_window_get_count(w, MXG_WK_PAIR, key, t0, 0, 0, 1, &cnt);
	ok(e == NULL && cnt == 0, "a missing key without create: no entry, "
		"count 0 (%u)", cnt);
	e = mxg_window_get_count(w, MXG_WK_PAIR, key, t0,
		MXG_WINDOW_CREATE | MXG_WINDOW_TOUCH, 0, 1, &cnt);
	ok(e != NULL && cnt == 1 && e->first_seen == t0, "with create: the "
		"new entry, counted once (%u)", cnt);
	e = mxg_window_get_count(w, MXG_WK_PAIR, key, t0 + 10,
		MXG_WINDOW_TOUCH, 0, 2, &cnt);
	g = mxg_window_get(w, MXG_WK_PAIR, key, t0 + 10, 0);
	ok(e != NULL && e == g && cnt == 3 && e->last_seen == t0 + 10,
		"found again: the same entry, seen, the total 3 (%u)", cnt);
	ok(e && mxg_window_count(w, e, 0, t0 + 10, 0) == 3,
		"mxg_window_count reads the same total");
	e = mxg_window_get_count(w, MXG_WK_PAIR, key, t0 + 3700,
		MXG_WINDOW_TOUCH, 0, 1, &cnt);
	ok(e != NULL && cnt == 1, "after the window (1 h) only the new "
		"lookup counts (%u)", cnt);
	e = mxg_window_get_count(w, MXG_WK_CLIENT, key, t0 + 3700, 0, 0, 1,
		&cnt);
	ok(e == NULL && cnt == 0, "another kind of the same key is another "
		"entry");
	mxg_window_shard_unlock(w, key);
	mxg_window_free(w);
}

/** Shared by the threads of test_threads. */
static struct mxg_window* thr_w;
/** Lookups per thread. */
#define THR_N 200000
/** Keys the threads share. */
#define THR_KEYS 100

static void*
thr_main(void* arg)
{
	uint64_t id = (uint64_t)(uintptr_t)arg, i;
	for(i = 0; i < THR_N; i++) {
		uint64_t k = (i + id) % THR_KEYS;
		struct mxg_window_entry* e = mxg_window_lock(thr_w,
			(k & 1) ? MXG_WK_PAIR : MXG_WK_CLIENT, key_of(k),
			1700000000, 1);
		if(!e)
			continue;
		mxg_window_count(thr_w, e, 0, 1700000000, 1);
		e->user[0]++;
		mxg_window_unlock(thr_w, e);
	}
	return NULL;
}

static void
test_threads(void)
{
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	pthread_t th[8];
	char err[256];
	uint64_t i, total = 0, users = 0;
	int bad = 0;
	kinds_default(k);
	thr_w = mxg_window_new(4 << 20, k, err, sizeof(err));
	for(i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, thr_main, (void*)(uintptr_t)i);
	for(i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for(i = 0; i < THR_KEYS; i++) {
		struct mxg_window_entry* e = mxg_window_lock(thr_w,
			(i & 1) ? MXG_WK_PAIR : MXG_WK_CLIENT, key_of(i),
			1700000000, 0);
		uint32_t c;
		if(!e) {
			bad++;
			continue;
		}
		c = mxg_window_count(thr_w, e, 0, 1700000000, 0);
		if(c != 8 * THR_N / THR_KEYS)
			bad++;
		total += c;
		users += e->user[0];
		mxg_window_unlock(thr_w, e);
	}
	is_int(bad, 0, "every key has exactly its share of the lookups");
	is_int(total, 8 * THR_N, "8 threads x %d lookups give the exact total",
		THR_N);
	is_int(users, 8 * THR_N, "caller words updated under the lock are "
		"exact too");
	mxg_window_free(thr_w);
}

int
main(void)
{
	test_create();
	test_counter_edges();
	test_distinct();
	test_distinct_model(2654435761u);
	test_distinct_model(1);
	test_extension();
	test_eviction();
	test_session_pins();
	test_get_count();
	test_threads();
	return done_testing();
}

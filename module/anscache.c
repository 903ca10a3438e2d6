/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/anscache.c - the private MX answer cache used when enforcing.
 */
/** \file
 * A sharded hash table of MX answers. Each answer is a reply_info copied with
 * Unbound's reply_info_copy() into a regional of its own, sized to the answer,
 * so an entry is freed with one regional_destroy(). Keyed by the lowercased
 * query name, type, class and the CD flag.
 *
 * A lookup does not copy the answer: the lookups of one second share one
 * copy whose TTLs are lowered to that second (struct ac_copy, refcounted).
 * The first lookup of a new second lowers the TTLs of the current copy in
 * place when no query holds it (the common case: a name is rarely asked
 * twice at once), else makes the next copy from it; the query holds a
 * reference until the module's clear() releases it, after Unbound has
 * encoded the reply. Encoding only reads the answer, so
 * workers share a copy as they share Unbound's own cached answers.
 *
 * Locking: MXG_AC_SHARDS shards, each with a pthread mutex that protects its
 * hash chains, its LRU list, its byte count and each entry's current copy
 * pointer, and the TTLs of a current copy that only the entry holds. A
 * copy's reference count is atomic: the entry holds one while the copy is
 * current, so it is raised only under the shard lock (a count of 1 seen
 * under the lock stays 1 until it is released), and whoever drops it to
 * zero frees the copy (no lock needed, nobody else can reach it). Counters are atomics. The byte budget is split evenly over the
 * shards.
 */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "util/data/msgreply.h"
#include "util/data/packed_rrset.h"
#include "util/data/dname.h"
#include "util/regional.h"
#include "module/anscache.h"
#include "mxguard/hash.h"

/** Number of shards (a power of two). */
#define MXG_AC_SHARDS 16
/** Bytes of cache per hash bucket when sizing the table (an MX answer and
 * its entry take about 1 to 2 KiB): about one entry per bucket when full. */
#define MXG_AC_BYTES_PER_BUCKET 1024
/** Fewest and most buckets of a shard (powers of two). */
#define MXG_AC_BUCKETS_MIN 64
#define MXG_AC_BUCKETS_MAX (1 << 18)
/** Longest hash chain: a store into a longer one evicts the chain's oldest
 * entry, so a lookup walks at most this many under the shard lock. */
#define MXG_AC_CHAIN_MAX 8

/** An answer with TTLs relative to second at, in a regional of its own
 * (which holds this struct too). */
struct ac_copy {
	/** the memory of the copy */
	struct regional* region;
	/** the answer */
	struct reply_info* rep;
	/** the second its TTLs count from */
	time_t at;
	/** references: the entry's while current, and queries' */
	atomic_int refs;
	/** the caller's data about this answer (set once by
	 * mxg_anscache_set_aux), freed with aux_free */
	_Atomic(void*) aux;
	/** frees aux */
	void (*aux_free)(void*);
};

/** One cached answer. */
struct ac_entry {
	/** next in the hash chain */
	struct ac_entry* hnext;
	/** LRU neighbours (head is most recent) */
	struct ac_entry* lprev, *lnext;
	/** hash of the key */
	uint32_t hash;
	/** query type, class, flags */
	uint16_t qtype, qclass, flags;
	/** the answer as of the latest second it was looked up */
	struct ac_copy* cur;
	/** when it expires */
	time_t expire;
	/** when it is due for a refresh (the last tenth of its TTL) */
	time_t prefetch_at;
	/** bytes accounted to this entry; need: for one copy */
	size_t size, need;
	/** length of qname */
	size_t qname_len;
	/** lowercased qname */
	uint8_t qname[];
};

/** One shard. */
struct ac_shard {
	/** protects everything in the shard */
	pthread_mutex_t lock;
	/** hash chains (bmask + 1 of them) */
	struct ac_entry** buckets;
	/** LRU list, most recent first */
	struct ac_entry* lru_first, *lru_last;
	/** bytes used (written under the lock, read without it by
	 * mxg_anscache_mem) */
	_Atomic size_t bytes;
};

struct mxg_anscache {
	/** frees the aux data of a copy */
	void (*aux_free)(void*);
	/** shards by hash */
	struct ac_shard shards[MXG_AC_SHARDS];
	/** byte budget of one shard */
	size_t shard_max;
	/** buckets per shard minus one (from the budget) */
	uint32_t bmask;
	/** random key of the hash: names chosen to collide cannot be
	 * computed without it */
	uint64_t seed;
	/** seconds an answer is kept past its expiry to be served stale
	 * (Unbound's serve-expired), 0: not at all; set before use */
	time_t stale_max;
	/** TTL of a stale answer (serve-expired-reply-ttl) */
	time_t stale_ttl;
	/** counters */
	_Atomic uint64_t hits, misses, stores, evictions;
};

/** Add add and take sub from a shard's byte count. Shard locked: the one
 * writer, so a relaxed load and store (no read-modify-write) do. */
static void
shard_bytes(struct ac_shard* s, size_t add, size_t sub)
{
	atomic_store_explicit(&s->bytes, atomic_load_explicit(&s->bytes,
		memory_order_relaxed) + add - sub, memory_order_relaxed);
}

/** Hash of a lowercased key, keyed with the cache's seed. */
static uint32_t
key_hash(const struct mxg_anscache* c, const uint8_t* qname, size_t len,
	uint16_t qtype, uint16_t qclass, uint16_t flags)
{
	uint64_t h = mxg_hash_bytes_lower(c->seed ^ ((uint64_t)qtype << 32 |
		(uint64_t)qclass << 16 | flags), qname, len);
	return (uint32_t)(h ^ (h >> 32));
}

struct mxg_anscache*
mxg_anscache_new(size_t max_bytes, void (*aux_free)(void*))
{
	struct mxg_anscache* c = calloc(1, sizeof(*c));
	size_t nb;
	int i;
	if(!c)
		return NULL;
	c->aux_free = aux_free;
	c->shard_max = max_bytes / MXG_AC_SHARDS;
	if(c->shard_max < 4096)
		c->shard_max = 4096;
	nb = MXG_AC_BUCKETS_MIN;
	while(nb < MXG_AC_BUCKETS_MAX &&
		nb * MXG_AC_BYTES_PER_BUCKET < c->shard_max)
		nb <<= 1;
	c->bmask = (uint32_t)(nb - 1);
	if(getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
		(ssize_t)sizeof(c->seed))
		c->seed = mxg_fmix64((uint64_t)(uintptr_t)c ^
			(uint64_t)time(NULL));
	for(i = 0; i < MXG_AC_SHARDS; i++) {
		pthread_mutex_init(&c->shards[i].lock, NULL);
		if(!(c->shards[i].buckets = calloc(nb,
			sizeof(*c->shards[i].buckets)))) {
			mxg_anscache_free(c);
			return NULL;
		}
	}
	return c;
}

/** Unlink from LRU. */
static void
ac_lru_remove(struct ac_shard* s, struct ac_entry* e)
{
	if(e->lprev)
		e->lprev->lnext = e->lnext;
	else
		s->lru_first = e->lnext;
	if(e->lnext)
		e->lnext->lprev = e->lprev;
	else
		s->lru_last = e->lprev;
	e->lprev = e->lnext = NULL;
}

/** Put at the LRU head. */
static void
ac_lru_front(struct ac_shard* s, struct ac_entry* e)
{
	e->lprev = NULL;
	e->lnext = s->lru_first;
	if(s->lru_first)
		s->lru_first->lprev = e;
	s->lru_first = e;
	if(!s->lru_last)
		s->lru_last = e;
}

/** Remove an entry from its shard and free it. Shard locked. */
static void
entry_delete(struct ac_shard* s, uint32_t bmask, struct ac_entry* e)
{
	struct ac_entry** p = &s->buckets[e->hash & bmask];
	while(*p && *p != e)
		p = &(*p)->hnext;
	if(*p)
		*p = e->hnext;
	ac_lru_remove(s, e);
	shard_bytes(s, 0, e->size);
	mxg_anscache_release(e->cur);
	free(e);
}

void
mxg_anscache_free(struct mxg_anscache* c)
{
	int i;
	if(!c)
		return;
	for(i = 0; i < MXG_AC_SHARDS; i++) {
		struct ac_shard* s = &c->shards[i];
		while(s->buckets && s->lru_first)
			entry_delete(s, c->bmask, s->lru_first);
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}

/** Find an entry. Shard locked. */
static struct ac_entry*
find(struct ac_shard* s, uint32_t bmask, uint32_t h,
	const struct query_info* q, uint16_t flags)
{
	struct ac_entry* e = s->buckets[h & bmask];
	for(; e; e = e->hnext) {
		if(e->hash == h && e->qtype == q->qtype &&
			e->qclass == q->qclass && e->flags == flags &&
			e->qname_len == q->qname_len &&
			query_dname_compare(e->qname, q->qname) == 0)
			return e;
	}
	return NULL;
}

/** Bytes an answer needs in its own region (an upper bound). */
static size_t
answer_size(const struct reply_info* rep)
{
	size_t i, n = sizeof(struct reply_info) +
		rep->rrset_count * (sizeof(struct ub_packed_rrset_key*) +
		sizeof(struct rrset_ref)) + 256;
	for(i = 0; i < rep->rrset_count; i++) {
		struct ub_packed_rrset_key* k = rep->rrsets[i];
		n += sizeof(*k) + k->rk.dname_len + 16 +
			packed_rrset_sizeof((struct packed_rrset_data*)
			k->entry.data) + 16;
	}
	return n;
}

/** How long an answer lives: the smallest TTL of its RRsets (the message
 * TTL of an MX answer is 0 in enforce mode, see mxg_hooks_upstream()).
 * @return the TTL, 0 for an answer without records. */
static time_t
answer_ttl(const struct reply_info* rep)
{
	time_t ttl = 0;
	size_t i;
	for(i = 0; i < rep->rrset_count; i++) {
		const struct packed_rrset_data* d = (const struct
			packed_rrset_data*)rep->rrsets[i]->entry.data;
		if(i == 0 || d->ttl < ttl)
			ttl = d->ttl;
	}
	return ttl;
}

/** Make a copy stale: every TTL of its records the reply TTL, and the
 * lowest trust, so that if a module before mxguard stores the records
 * (dns64, the validator) Unbound's record cache takes fresh data from the
 * authority over them. */
static void
set_ttls(struct reply_info* r, time_t ttl)
{
	size_t i, j;
	for(i = 0; i < r->rrset_count; i++) {
		struct packed_rrset_data* d = (struct packed_rrset_data*)
			r->rrsets[i]->entry.data;
		d->ttl = ttl;
		d->trust = rrset_trust_none;
		for(j = 0; j < d->count + d->rrsig_count; j++)
			d->rr_ttl[j] = ttl;
	}
}

size_t
mxg_anscache_chain(struct mxg_anscache* c, const struct query_info* q,
	uint16_t flags, size_t* len)
{
	uint32_t h = key_hash(c, q->qname, q->qname_len, q->qtype, q->qclass,
		flags);
	unsigned si = (h >> 24) & (MXG_AC_SHARDS - 1);
	struct ac_shard* s = &c->shards[si];
	struct ac_entry* e;
	size_t n = 0;
	pthread_mutex_lock(&s->lock);
	for(e = s->buckets[h & c->bmask]; e; e = e->hnext)
		n++;
	pthread_mutex_unlock(&s->lock);
	*len = n;
	return (size_t)si * (c->bmask + 1) + (h & c->bmask);
}

void
mxg_anscache_set_stale(struct mxg_anscache* c, time_t keep, time_t reply_ttl)
{
	c->stale_max = keep;
	c->stale_ttl = reply_ttl;
}

/** Lower a TTL by elapsed seconds, not below 0. */
static time_t
lower(time_t ttl, time_t elapsed)
{
	return ttl > elapsed ? ttl - elapsed : 0;
}

/** Lower every TTL of an answer by elapsed seconds. */
static void
lower_ttls(struct reply_info* r, time_t elapsed)
{
	size_t i, j;
	if(elapsed <= 0)
		return;
	r->ttl = lower(r->ttl, elapsed);
	r->prefetch_ttl = lower(r->prefetch_ttl, elapsed);
	r->serve_expired_ttl = lower(r->serve_expired_ttl, elapsed);
	for(i = 0; i < r->rrset_count; i++) {
		struct packed_rrset_data* d = (struct packed_rrset_data*)
			r->rrsets[i]->entry.data;
		d->ttl = lower(d->ttl, elapsed);
		for(j = 0; j < d->count + d->rrsig_count; j++)
			d->rr_ttl[j] = lower(d->rr_ttl[j], elapsed);
	}
}

/**
 * Copy an answer into a new ac_copy (one reference) with its TTLs lowered
 * by elapsed seconds. @return the copy, or NULL (no memory).
 */
static struct ac_copy*
copy_new(const struct mxg_anscache* c, const struct reply_info* rep,
	size_t need, time_t at, time_t elapsed)
{
	struct regional* region = regional_create_custom(need +
		sizeof(struct ac_copy));
	struct ac_copy* cp;
	struct reply_info* r;
	if(!region)
		return NULL;
	cp = regional_alloc(region, sizeof(*cp));
	r = cp ? reply_info_copy((struct reply_info*)rep, NULL, region) : NULL;
	if(!r) {
		regional_destroy(region);
		return NULL;
	}
	cp->region = region;
	cp->rep = r;
	cp->at = at;
	atomic_init(&cp->refs, 1);
	atomic_init(&cp->aux, NULL);
	cp->aux_free = c->aux_free;
	lower_ttls(r, elapsed);
	return cp;
}

void
mxg_anscache_release(struct ac_copy* cp)
{
	if(cp && atomic_fetch_sub_explicit(&cp->refs, 1,
		memory_order_acq_rel) == 1) {
		void* aux = atomic_load_explicit(&cp->aux,
			memory_order_relaxed);
		if(aux && cp->aux_free)
			cp->aux_free(aux);
		regional_destroy(cp->region);
	}
}

void*
mxg_anscache_aux(const struct ac_copy* ref)
{
	return ref ? atomic_load_explicit(&((struct ac_copy*)ref)->aux,
		memory_order_acquire) : NULL;
}

void*
mxg_anscache_set_aux(struct ac_copy* ref, void* aux)
{
	void* expected = NULL;
	if(atomic_compare_exchange_strong_explicit(&ref->aux, &expected, aux,
		memory_order_acq_rel, memory_order_acquire))
		return aux;
	return expected;
}

int
mxg_anscache_store(struct mxg_anscache* c, const struct query_info* q,
	uint16_t flags, const struct reply_info* rep, time_t now,
	size_t aux_bytes)
{
	uint32_t h;
	struct ac_shard* s;
	struct ac_entry* e, *old;
	size_t need;
	time_t ttl;
	if(!c || !rep || q->qname_len > 255 || (ttl = answer_ttl(rep)) <= 0)
		return 0;
	need = answer_size(rep);
	if(need + q->qname_len > c->shard_max / 4)
		return 0;
	e = calloc(1, sizeof(*e) + q->qname_len);
	if(!e)
		return 0;
	e->cur = copy_new(c, rep, need, now, 0);
	if(!e->cur) {
		free(e);
		return 0;
	}
	/* a module before mxguard that stores what it passes up (dns64)
	 * must not put the copy in Unbound's message cache: TTL 0 messages
	 * are not stored there (their records' own TTLs reach the client) */
	e->cur->rep->ttl = 0;
	e->cur->rep->prefetch_ttl = 0;
	e->cur->rep->serve_expired_ttl = 0;
	memcpy(e->qname, q->qname, q->qname_len);
	query_dname_tolower(e->qname);
	e->qname_len = q->qname_len;
	e->qtype = q->qtype;
	e->qclass = q->qclass;
	e->flags = flags;
	e->hash = h = key_hash(c, e->qname, e->qname_len, q->qtype, q->qclass,
		flags);
	e->expire = now + ttl;
	e->prefetch_at = now + ttl - ttl / 10;
	e->need = need;
	e->size = need + sizeof(struct ac_copy) + sizeof(*e) + q->qname_len +
		aux_bytes;
	s = &c->shards[(h >> 24) & (MXG_AC_SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	if((old = find(s, c->bmask, h, q, flags)) != NULL)
		entry_delete(s, c->bmask, old);
	while(atomic_load_explicit(&s->bytes, memory_order_relaxed) +
		e->size > c->shard_max && s->lru_last) {
		entry_delete(s, c->bmask, s->lru_last);
		atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
	}
	{
		/* bounded chain: the oldest entry of a full chain goes (new
		 * entries go to the head, so it is the last one) */
		struct ac_entry* t = s->buckets[h & c->bmask], *last = NULL;
		int n = 0;
		for(; t; t = t->hnext, n++)
			last = t;
		if(n >= MXG_AC_CHAIN_MAX && last) {
			entry_delete(s, c->bmask, last);
			atomic_fetch_add_explicit(&c->evictions, 1,
				memory_order_relaxed);
		}
	}
	e->hnext = s->buckets[h & c->bmask];
	s->buckets[h & c->bmask] = e;
	ac_lru_front(s, e);
	shard_bytes(s, e->size, 0);
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add_explicit(&c->stores, 1, memory_order_relaxed);
	return 1;
}

struct reply_info*
mxg_anscache_lookup(struct mxg_anscache* c, const struct query_info* q,
	uint16_t flags, time_t now, struct ac_copy** ref, int allow_stale,
	enum mxg_ac_state* state)
{
	enum mxg_ac_state st = MXG_AC_FRESH;
	uint32_t h;
	struct ac_shard* s;
	struct ac_entry* e;
	struct ac_copy* cp = NULL;
	*ref = NULL;
	if(!c || q->qname_len > 255)
		return NULL;
	/* key_hash lowers as it goes and find() compares without case: no
	 * lowered copy of the name */
	h = key_hash(c, q->qname, q->qname_len, q->qtype, q->qclass, flags);
	s = &c->shards[(h >> 24) & (MXG_AC_SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	e = find(s, c->bmask, h, q, flags);
	if(e && now >= e->expire) {
		if(now >= e->expire + c->stale_max) {
			entry_delete(s, c->bmask, e);
			e = NULL;
		} else if(allow_stale) {
			/* serve-expired: a copy of its own, every TTL the
			 * reply TTL, the entry left as it is */
			cp = copy_new(c, e->cur->rep, e->need, now, 0);
			if(cp) {
				set_ttls(cp->rep, c->stale_ttl);
				st = MXG_AC_STALE;
			}
			pthread_mutex_unlock(&s->lock);
			goto done;
		} else
			e = NULL;
	}
	if(e && now >= e->prefetch_at)
		st = MXG_AC_PREFETCH;
	if(e && now > e->cur->at) {
		if(atomic_load_explicit(&e->cur->refs, memory_order_acquire) == 1) {
			/* only the entry holds the copy (no query reads it:
			 * references are taken under this lock, and the
			 * last release happened before this load): lower
			 * its TTLs in place; its view stays valid */
			lower_ttls(e->cur->rep, now - e->cur->at);
			e->cur->at = now;
		} else {
			/* queries still read the current copy: the first
			 * lookup of this second makes the next one; the
			 * previous goes when its last query is done */
			struct ac_copy* next = copy_new(c, e->cur->rep,
				e->need, now, now - e->cur->at);
			if(next) {
				mxg_anscache_release(e->cur);
				e->cur = next;
			}
		}
	}
	if(e) {
		cp = e->cur;
		atomic_fetch_add_explicit(&cp->refs, 1, memory_order_relaxed);
		ac_lru_remove(s, e);
		ac_lru_front(s, e);
	}
	pthread_mutex_unlock(&s->lock);
done:
	if(state)
		*state = st;
	if(!cp) {
		atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
		return NULL;
	}
	atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
	*ref = cp;
	return cp->rep;
}

size_t
mxg_anscache_mem(const struct mxg_anscache* c)
{
	size_t n = 0;
	int i;
	if(!c)
		return 0;
	n = sizeof(*c);
	for(i = 0; i < MXG_AC_SHARDS; i++)
		n += atomic_load_explicit(&c->shards[i].bytes, memory_order_relaxed);
	return n;
}

void
mxg_anscache_stats(const struct mxg_anscache* c, uint64_t* hits,
	uint64_t* misses, uint64_t* stores, uint64_t* evictions)
{
	*hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
	*misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
	*stores = atomic_load_explicit(&c->stores, memory_order_relaxed);
	*evictions = atomic_load_explicit(&c->evictions, memory_order_relaxed);
}

size_t
mxg_anscache_buckets(const struct mxg_anscache* c)
{
	return c ? ((size_t)c->bmask + 1) * MXG_AC_SHARDS : 0;
}

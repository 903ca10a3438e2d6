/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/anscache.h - the private MX answer cache used when enforcing.
 */
/** \file
 * When a rule can refuse, MX answers are kept out of Unbound's message cache
 * (a cache hit never reaches operate(), so it could not be refused). This
 * cache gives allowed clients their fast answers back: answers are stored at
 * moddone and served at the next query, TTLs counting down, bounded in bytes
 * with least-recently-used eviction.
 */
#ifndef MXGUARD_ANSCACHE_H
#define MXGUARD_ANSCACHE_H
#include "config.h"
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct reply_info;
struct regional;
struct query_info;
struct mxg_anscache;
struct ac_copy;

/** Create a cache holding at most max_bytes of answers.
 * @param aux_free: frees what mxg_anscache_set_aux() attached to an answer
 *	(NULL: nothing is attached). */
struct mxg_anscache* mxg_anscache_new(size_t max_bytes,
	void (*aux_free)(void*));

/** Free the cache and every answer. NULL is fine. */
void mxg_anscache_free(struct mxg_anscache* c);

/**
 * Store a copy of an answer (NOERROR or NXDOMAIN, TTLs relative to now).
 * @param flags: query flags that select the answer (the CD bit).
 * @param aux_bytes: what the caller may attach to it later
 *	(mxg_anscache_set_aux), counted against the budget.
 * @return 1 if stored, 0 if not (zero TTL, too big, no memory).
 */
int mxg_anscache_store(struct mxg_anscache* c, const struct query_info* q,
	uint16_t flags, const struct reply_info* rep, time_t now,
	size_t aux_bytes);

/**
 * Keep answers past their expiry to serve them stale, as Unbound's
 * serve-expired does for its own cache. Call before the first lookup.
 * @param keep: seconds past expiry (serve-expired-ttl), 0: never stale.
 * @param reply_ttl: the TTL a stale answer is given
 *	(serve-expired-reply-ttl).
 */
void mxg_anscache_set_stale(struct mxg_anscache* c, time_t keep,
	time_t reply_ttl);

/** What a lookup found. */
enum mxg_ac_state {
	/** a fresh answer */
	MXG_AC_FRESH = 0,
	/** a fresh answer in the last tenth of its TTL: time to refresh it,
	 * as Unbound's prefetch does (PREFETCH_TTL_CALC) */
	MXG_AC_PREFETCH,
	/** an expired answer kept for serve-expired */
	MXG_AC_STALE
};

/**
 * Look up an answer, with TTLs lowered by the time since it was stored. The
 * answer is shared with the other lookups of the same second and must not
 * be changed; it stays valid until *ref is released.
 * @param ref: set to the reference to give to mxg_anscache_release() when
 *	the reply has been sent (NULL on a miss).
 * @param allow_stale: return expired answers kept for serve-expired too
 *	(else they are a miss).
 * @param state: if not NULL, set to what was found.
 * @return the answer, or NULL on a miss or expiry.
 */
struct reply_info* mxg_anscache_lookup(struct mxg_anscache* c,
	const struct query_info* q, uint16_t flags, time_t now,
	struct ac_copy** ref, int allow_stale, enum mxg_ac_state* state);

/** Release a reference from mxg_anscache_lookup(). NULL is fine. Needs no
 * lock and not the cache (it may have been freed since). */
void mxg_anscache_release(struct ac_copy* ref);

/** What the caller attached to the answer of ref, NULL if nothing yet. */
void* mxg_anscache_aux(const struct ac_copy* ref);

/**
 * Attach data about the answer of ref (for example what the module reads
 * out of it), freed with the answer. Lookups of the same second share it.
 * @return aux, or the data another thread attached first (then the caller
 *	frees its aux and uses that).
 */
void* mxg_anscache_set_aux(struct ac_copy* ref, void* aux);

/** Bytes in use. */
size_t mxg_anscache_mem(const struct mxg_anscache* c);

/** Hash buckets of all shards (sized from max_bytes: about one per KiB). */
size_t mxg_anscache_buckets(const struct mxg_anscache* c);

/**
 * The hash chain the key of q falls in, for tests (the keyed hash gives
 * no other way to find names that share one): its number (shard and
 * bucket, below mxg_anscache_buckets()) and, in *len, the entries it holds
 * now (at most MXG_AC_CHAIN_MAX in anscache.c).
 */
size_t mxg_anscache_chain(struct mxg_anscache* c, const struct query_info* q,
	uint16_t flags, size_t* len);

/** Counters: hits, misses, stores, evictions. */
void mxg_anscache_stats(const struct mxg_anscache* c, uint64_t* hits,
	uint64_t* misses, uint64_t* stores, uint64_t* evictions);

#endif /* MXGUARD_ANSCACHE_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/window.c - bounded, sharded table of sliding windows.
 */
/** \file
 * The table behind include/mxguard/window.h (its distinct sets and sample
 * names are in module/window_sets.c). MXG_WINDOW_SHARDS shards, picked
 * by the top 6 bits of the key hash; each has a spinlock (held for a few
 * hundred instructions: a lookup, its counters; as Unbound's own hash
 * tables, lock_quick), a fixed-size chained
 * hash index (picked by the low bits), a doubly linked least-recently-seen
 * list and a byte budget of max_memory / shards. Entries are malloc'd with a
 * size fixed per kind (layout computed once in mxg_window_new); the optional
 * extension is a second allocation. Every byte allocated is accounted to its
 * shard (plus MALLOC_OVERHEAD per allocation) and inserting or extending
 * evicts from the tail of the shard's list first, so the table never holds
 * more than max_memory.
 *
 * Bytes per entry with the engine's default rules (x86-64, malloc overhead
 * of 16 per allocation included):
 *   client (volume 60 s counter + fanout set of 21)          416
 *   client + base domain (1 h staging counter)               232
 *   ... plus its extension (numeric and encoded-byte
 *       counters, 16 prefixes, 15 samples in 480 bytes of
 *       text, 2 words), when extended                      + 968
 * mxg_window_entry_bytes() gives the exact figures (test_window prints
 * them); a flood of new clients and domains averages about 240 bytes per
 * key with the hash index (bench_engine). 64 MB hold about 270,000 keys.
 *
 * Pins: entries handed out in one locked session (mxg_window_get) are
 * pinned, so creating or extending a second entry of the shard never evicts
 * the first; the shard budget is at least one entry of every kind with its
 * extension, so room can always be made.
 *
 * Counters: a ring of 16-bit sub-bucket counts plus the bucket number of
 * the newest bucket and a running total; moving the window clears the
 * buckets that fell out and subtracts them from the total, so a read or add
 * in the same bucket costs a few instructions and never a loop over the ring.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "window_int.h"

/** Bytes counted for malloc's own header per allocation. */
#define MALLOC_OVERHEAD 16

/** Round up to a multiple of 8. */
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/** A counter's header; nb 16-bit buckets follow. */
struct wctr {
	/** bucket number (time / width) of the newest bucket */
	uint32_t head;
	/** sum of the buckets */
	uint32_t total;
	/** the buckets, ring indexed by bucket number % nb */
	uint16_t b[];
};

/** Take a shard's spinlock: test and test-and-set, inline (the query path
 * takes one per lookup; glibc's pthread_spin_lock is the same loop behind
 * a call through the PLT). */
static inline void
spin_lock(atomic_int* l)
{
	while(atomic_exchange_explicit(l, 1, memory_order_acquire)) {
		while(atomic_load_explicit(l, memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
	}
}

/** Release a shard's spinlock. */
static inline void
spin_unlock(atomic_int* l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

/** Shard of a key. */
static inline struct wshard*
key_shard(struct mxg_window* w, uint64_t key)
{
	return &w->shards[key >> 58];
}

/** Counter number ctr of an entry, NULL if it does not exist. */
static inline struct wctr*
get_ctr(struct mxg_window* w, struct wentry* e, int ctr)
{
	const struct klayout* l = &w->k[e->kind];
	if(ctr < 0)
		return NULL;
	if(ctr < l->c.counters)
		return (struct wctr*)((uint8_t*)e->data + ctr * l->ctr_size);
	ctr -= l->c.counters;
	if(ctr < l->c.ext_counters && e->ext)
		return (struct wctr*)(e->ext + ctr * l->ctr_size);
	return NULL;
}

/** Compute the layout of a kind. @return 1 ok, 0 bad config. */
static int
layout_kind(struct klayout* l, const struct mxg_window_kind_conf* c,
	char* err, size_t errlen, int kind)
{
	memset(l, 0, sizeof(*l));
	l->c = *c;
	if(c->counters < 0 || c->ext_counters < 0 || c->counters +
		c->ext_counters > MXG_WINDOW_MAX_COUNTERS ||
		c->distinct > MXG_WINDOW_DISTINCT_MAX ||
		c->ext_distinct > MXG_WINDOW_DISTINCT_MAX ||
		c->ext_user < 0 || c->ext_user > MXG_WINDOW_EXT_USER) {
		snprintf(err, errlen, "window kind %d: too many counters or "
			"distinct values", kind);
		return 0;
	}
	if((c->counters || c->ext_counters || c->ext_distinct) &&
		c->period == 0) {
		snprintf(err, errlen, "window kind %d: period is 0", kind);
		return 0;
	}
	if(c->distinct && c->distinct_period == 0) {
		snprintf(err, errlen, "window kind %d: distinct period is 0",
			kind);
		return 0;
	}
	if(c->period) {
		l->nb = c->period < MXG_WINDOW_BUCKETS ? c->period :
			MXG_WINDOW_BUCKETS;
		l->width = (c->period + l->nb - 1) / l->nb;
	}
	l->ctr_size = ALIGN8(sizeof(struct wctr) + 2 * (size_t)l->nb);
	l->dist_off = c->counters * l->ctr_size;
	l->size = sizeof(struct wentry) + l->dist_off;
	if(c->distinct)
		l->size += sizeof(struct wdset) + c->distinct *
			sizeof(struct wmember);
	l->size = ALIGN8(l->size);
	if(c->ext_counters || c->ext_distinct || c->ext_samples ||
		c->ext_user) {
		l->ext_dist_off = c->ext_counters * l->ctr_size;
		l->ext_samp_off = l->ext_dist_off;
		if(c->ext_distinct)
			l->ext_samp_off += ALIGN8(sizeof(struct wdset) +
				c->ext_distinct * sizeof(struct wmember));
		l->ext_user_off = l->ext_samp_off;
		if(c->ext_samples)
			l->ext_user_off += ALIGN8(sizeof(struct wsamples));
		l->ext_size = ALIGN8(l->ext_user_off +
			(size_t)c->ext_user * sizeof(uint32_t));
	}
	return 1;
}

struct mxg_window*
mxg_window_new(size_t max_memory,
	const struct mxg_window_kind_conf kinds[MXG_WK_COUNT], char* err,
	size_t errlen)
{
	struct mxg_window* w;
	size_t i, min_size = 0, max_size = 0, per, est, chains;
	if(max_memory < 65536) {
		snprintf(err, errlen, "max-memory %zu is below 64k", max_memory);
		return NULL;
	}
	/* sizeof is a multiple of 64: the shards are cache-line aligned */
	w = aligned_alloc(64, sizeof(*w));
	if(!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	w->max_memory = max_memory;
	for(i = 0; i < MXG_WK_COUNT; i++) {
		size_t s;
		if(!layout_kind(&w->k[i], &kinds[i], err, errlen, (int)i)) {
			free(w);
			return NULL;
		}
		if(!kinds[i].counters && !kinds[i].distinct)
			continue;
		s = w->k[i].size + MALLOC_OVERHEAD;
		if(!min_size || s < min_size)
			min_size = s;
		s += w->k[i].ext_size ? w->k[i].ext_size + MALLOC_OVERHEAD : 0;
		/* a locked session holds one entry of each kind: all of them
		 * must fit a shard together */
		max_size += s;
	}
	if(!min_size)
		min_size = max_size = sizeof(struct wentry) + MALLOC_OVERHEAD;
	w->fixed = sizeof(*w);
	if(w->fixed >= max_memory) {
		snprintf(err, errlen, "max-memory %zu is too small", max_memory);
		free(w);
		return NULL;
	}
	per = (max_memory - w->fixed) / MXG_WINDOW_SHARDS;
	/* chains: about one per two entries of the smallest kind, a power of
	 * two, and at most an eighth of the shard's bytes */
	est = per / min_size;
	chains = 16;
	while(chains * 2 <= est / 2 && chains * 2 * sizeof(void*) <= per / 8)
		chains *= 2;
	if(per < chains * sizeof(void*) + MALLOC_OVERHEAD + max_size) {
		snprintf(err, errlen, "max-memory %zu is too small for %d "
			"shards of %zu-byte entries", max_memory,
			MXG_WINDOW_SHARDS, max_size);
		free(w);
		return NULL;
	}
	for(i = 0; i < MXG_WINDOW_SHARDS; i++) {
		struct wshard* sh = &w->shards[i];
		sh->index = calloc(chains, sizeof(struct wentry*));
		if(!sh->index) {
			snprintf(err, errlen, "out of memory");
			mxg_window_free(w);
			return NULL;
		}
		sh->mask = chains - 1;
		sh->budget = per - chains * sizeof(void*) - MALLOC_OVERHEAD;
		atomic_init(&sh->lock, 0);
		w->fixed += chains * sizeof(void*) + MALLOC_OVERHEAD;
	}
	return w;
}

/** Free one entry and its extension. */
static void
entry_free(struct wentry* e)
{
	free(e->ext);
	free(e);
}

void
mxg_window_free(struct mxg_window* w)
{
	size_t i;
	if(!w)
		return;
	for(i = 0; i < MXG_WINDOW_SHARDS; i++) {
		struct wshard* sh = &w->shards[i];
		struct wentry* e = sh->head, *n;
		if(!sh->index)
			continue;
		while(e) {
			n = e->next;
			entry_free(e);
			e = n;
		}
		free(sh->index);
	}
	free(w);
}

/** Bytes an entry holds now. */
static inline size_t
entry_bytes(const struct mxg_window* w, const struct wentry* e)
{
	const struct klayout* l = &w->k[e->kind];
	return l->size + MALLOC_OVERHEAD + (e->ext ? l->ext_size +
		MALLOC_OVERHEAD : 0);
}

/** Take an entry off the LRU list. */
static inline void
lru_unlink(struct wshard* sh, struct wentry* e)
{
	if(e->prev)
		e->prev->next = e->next;
	else	sh->head = e->next;
	if(e->next)
		e->next->prev = e->prev;
	else	sh->tail = e->prev;
}

/** Put an entry at the front of the LRU list. */
static inline void
lru_front(struct wshard* sh, struct wentry* e)
{
	e->prev = NULL;
	e->next = sh->head;
	if(sh->head)
		sh->head->prev = e;
	else	sh->tail = e;
	sh->head = e;
}

/** Is an entry pinned in its locked shard? */
static inline int
pinned(const struct wshard* sh, const struct wentry* e)
{
	int i;
	for(i = 0; i < sh->npin; i++)
		if(sh->pin[i] == e)
			return 1;
	return 0;
}

/** Evict the least recently seen entry that is not pinned.
 * @return 1 if one was. */
static int
evict_one(struct mxg_window* w, struct wshard* sh)
{
	struct wentry* e = sh->tail, **p;
	while(e && pinned(sh, e))
		e = e->prev;
	if(!e)
		return 0;
	for(p = &sh->index[e->key & sh->mask]; *p; p = &(*p)->hnext) {
		if(*p == e) {
			*p = e->hnext;
			break;
		}
	}
	lru_unlink(sh, e);
	sh->bytes -= entry_bytes(w, e);
	sh->count[e->kind]--;
	if(e->ext)
		sh->extended--;
	sh->evictions++;
	entry_free(e);
	return 1;
}

/** Make room for need more bytes. @return 1 if they fit now. */
static int
make_room(struct mxg_window* w, struct wshard* sh, size_t need)
{
	if(need > sh->budget)
		return 0;
	while(sh->bytes + need > sh->budget) {
		if(!evict_one(w, sh))
			return 0;
	}
	return 1;
}

/** Find an entry in its shard's index. */
static inline struct wentry*
find(struct wshard* sh, enum mxg_window_kind kind, uint64_t key)
{
	struct wentry* e;
	for(e = sh->index[key & sh->mask]; e; e = e->hnext)
		if(e->key == key && e->kind == kind)
			return e;
	return NULL;
}

void
mxg_window_shard_lock(struct mxg_window* w, uint64_t key)
{
	spin_lock(&key_shard(w, key)->lock);
}

void
mxg_window_shard_unlock(struct mxg_window* w, uint64_t key)
{
	struct wshard* sh = key_shard(w, key);
	sh->npin = 0;
	spin_unlock(&sh->lock);
}

/** Pin an entry for the rest of the locked session. */
static inline void
pin(struct wshard* sh, struct wentry* e)
{
	if(sh->npin < MXG_WINDOW_PINS)
		sh->pin[sh->npin++] = e;
}

/** Create the entry of a key that is not in its shard (mxg_window_get
 * with MXG_WINDOW_CREATE); out of line, the lookups of known keys do not
 * pay for its frame. */
static __attribute__((noinline)) struct mxg_window_entry*
window_create(struct mxg_window* w, struct wshard* sh,
	enum mxg_window_kind kind, uint64_t key, time_t now)
{
	struct wentry* e;
	size_t need;
	if((unsigned)kind >= MXG_WK_COUNT)
		return NULL;
	need = w->k[kind].size + MALLOC_OVERHEAD;
	if(sh->npin >= MXG_WINDOW_PINS || !make_room(w, sh, need)) {
		sh->refused++;
		return NULL;
	}
	e = calloc(1, w->k[kind].size);
	if(!e) {
		sh->refused++;
		return NULL;
	}
	e->key = key;
	e->kind = (uint8_t)kind;
	e->pub.first_seen = now;
	e->pub.last_seen = now;
	e->hnext = sh->index[key & sh->mask];
	sh->index[key & sh->mask] = e;
	lru_front(sh, e);
	sh->bytes += need;
	sh->count[kind]++;
	pin(sh, e);
	return &e->pub;
}

/** mxg_window_get, inline for mxg_window_get_count. */
static inline __attribute__((always_inline)) struct mxg_window_entry*
window_get(struct mxg_window* w, enum mxg_window_kind kind,
	uint64_t key, time_t now, int flags)
{
	struct wshard* sh = key_shard(w, key);
	struct wentry* e = find(sh, kind, key);
	if(e) {
		if((flags & MXG_WINDOW_TOUCH)) {
			if(sh->head != e) {
				lru_unlink(sh, e);
				lru_front(sh, e);
			}
			e->pub.last_seen = now;
		}
		pin(sh, e);
		return &e->pub;
	}
	if(!(flags & MXG_WINDOW_CREATE))
		return NULL;
	return window_create(w, sh, kind, key, now);
}

struct mxg_window_entry*
mxg_window_get(struct mxg_window* w, enum mxg_window_kind kind,
	uint64_t key, time_t now, int flags)
{
	return window_get(w, kind, key, now, flags);
}

struct mxg_window_entry*
mxg_window_lock(struct mxg_window* w, enum mxg_window_kind kind,
	uint64_t key, time_t now, int create)
{
	struct mxg_window_entry* e;
	mxg_window_shard_lock(w, key);
	e = mxg_window_get(w, kind, key, now, MXG_WINDOW_TOUCH |
		(create ? MXG_WINDOW_CREATE : 0));
	if(!e)
		mxg_window_shard_unlock(w, key);
	return e;
}

struct mxg_window_entry*
mxg_window_peek(struct mxg_window* w, enum mxg_window_kind kind,
	uint64_t key)
{
	struct mxg_window_entry* e;
	mxg_window_shard_lock(w, key);
	e = mxg_window_get(w, kind, key, 0, 0);
	if(!e)
		mxg_window_shard_unlock(w, key);
	return e;
}

void
mxg_window_unlock(struct mxg_window* w, struct mxg_window_entry* pub)
{
	mxg_window_shard_unlock(w, ((struct wentry*)pub)->key);
}

/** mxg_window_count, inline for mxg_window_get_count. */
static inline __attribute__((always_inline)) uint32_t
window_count(struct mxg_window* w, struct mxg_window_entry* pub,
	int ctr, time_t now, uint32_t n)
{
	struct wentry* e = (struct wentry*)pub;
	const struct klayout* l = &w->k[e->kind];
	struct wctr* c = get_ctr(w, e, ctr);
	uint32_t cur, i, steps, slot, room;
	if(!c)
		return 0;
	cur = (uint32_t)((uint64_t)now / l->width);
	if(cur > c->head) {
		steps = cur - c->head;
		if(c->total == 0) {
			/* every bucket is 0 already */
		} else if(steps >= l->nb) {
			memset(c->b, 0, l->nb * sizeof(uint16_t));
			c->total = 0;
		} else {
			slot = c->head % l->nb;
			for(i = 0; i < steps; i++) {
				if(++slot == l->nb)
					slot = 0;
				c->total -= c->b[slot];
				c->b[slot] = 0;
			}
		}
		c->head = cur;
	}
	/* a time before head (clock stepped back) counts in the head bucket */
	if(n) {
		slot = c->head % l->nb;
		room = 65535u - c->b[slot];
		if(n > room)
			n = room;
		c->b[slot] += (uint16_t)n;
		c->total += n;
	}
	return c->total;
}

uint32_t
mxg_window_count(struct mxg_window* w, struct mxg_window_entry* pub,
	int ctr, time_t now, uint32_t n)
{
	return window_count(w, pub, ctr, now, n);
}

struct mxg_window_entry*
mxg_window_get_count(struct mxg_window* w, enum mxg_window_kind kind,
	uint64_t key, time_t now, int flags, int ctr, uint32_t n,
	uint32_t* count)
{
	struct mxg_window_entry* e = window_get(w, kind, key, now, flags);
	*count = e ? window_count(w, e, ctr, now, n) : 0;
	return e;
}

int
mxg_window_extend(struct mxg_window* w, struct mxg_window_entry* pub)
{
	struct wentry* e = (struct wentry*)pub;
	struct wshard* sh = key_shard(w, e->key);
	const struct klayout* l = &w->k[e->kind];
	size_t need;
	uint32_t i;
	if(e->ext)
		return 1;
	if(!l->ext_size)
		return 0;
	need = l->ext_size + MALLOC_OVERHEAD;
	if(!make_room(w, sh, need)) {
		sh->refused++;
		return 0;
	}
	e->ext = calloc(1, l->ext_size);
	if(!e->ext) {
		sh->refused++;
		return 0;
	}
	/* new counters start at the current bucket of the inline ones so
	 * they do not see a jump from bucket 0 */
	for(i = 0; i < (uint32_t)l->c.ext_counters; i++)
		((struct wctr*)(e->ext + i * l->ctr_size))->head =
			(uint32_t)((uint64_t)pub->last_seen / l->width);
	sh->bytes += need;
	sh->extended++;
	return 1;
}

uint32_t*
mxg_window_ext_user(struct mxg_window* w, struct mxg_window_entry* pub)
{
	struct wentry* e = (struct wentry*)pub;
	const struct klayout* l = &w->k[e->kind];
	if(!e->ext || !l->c.ext_user)
		return NULL;
	return (uint32_t*)(e->ext + l->ext_user_off);
}

int
mxg_window_extended(const struct mxg_window_entry* pub)
{
	return ((const struct wentry*)pub)->ext != NULL;
}

size_t
mxg_window_entry_bytes(const struct mxg_window* w,
	enum mxg_window_kind kind, int with_ext)
{
	const struct klayout* l;
	if((unsigned)kind >= MXG_WK_COUNT)
		return 0;
	l = &w->k[kind];
	if(!l->c.counters && !l->c.distinct)
		return 0;
	return l->size + MALLOC_OVERHEAD + (with_ext && l->ext_size ?
		l->ext_size + MALLOC_OVERHEAD : 0);
}

void
mxg_window_get_stats(struct mxg_window* w, struct mxg_window_stats* st)
{
	size_t i, k;
	memset(st, 0, sizeof(*st));
	st->mem = w->fixed;
	st->max_mem = w->max_memory;
	for(i = 0; i < MXG_WINDOW_SHARDS; i++) {
		struct wshard* sh = &w->shards[i];
		spin_lock(&sh->lock);
		for(k = 0; k < MXG_WK_COUNT; k++) {
			st->per_kind[k] += sh->count[k];
			st->entries += sh->count[k];
		}
		st->extended += sh->extended;
		st->evictions += sh->evictions;
		st->refused += sh->refused;
		st->mem += sh->bytes;
		spin_unlock(&sh->lock);
	}
}

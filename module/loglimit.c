/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/loglimit.c - fair shares of the JSON log rate.
 */
/** \file
 * Implements include/mxguard/loglimit.h. Per line: (1) a "blocked" line
 * is dropped while the client's last one is younger than block-duration;
 * (2) the client's own bucket (a GCRA word in its slot, like
 * mxg_ratelimit); (3) the global buckets: refuse and tag verdicts take the
 * reserved share first, then the common one; other verdicts only the common
 * one. Slots are taken over by a new client with a plain store: two
 * clients racing for one slot at worst both get a fresh budget.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "mxguard/hash.h"
#include "mxguard/loglimit.h"

int
mxg_loglimit_init(struct mxg_loglimit* l, uint32_t rate, uint32_t block_s,
	int prefix_v4, int prefix_v6)
{
	size_t i;
	memset(l, 0, sizeof(*l));
	if(rate > MXG_RATELIMIT_MAX)
		rate = MXG_RATELIMIT_MAX;
	l->rate = rate;
	l->per_client = rate / 10 ? rate / 10 : 1;
	l->block_s = block_s ? block_s : 1;
	l->strong_rate = rate / 2;
	mxg_ratelimit_init(&l->any, rate - l->strong_rate);
	mxg_ratelimit_init(&l->strong, l->strong_rate);
	mxg_client_mask_init(&l->mask, prefix_v4, prefix_v6);
	atomic_init(&l->suppressed, 0);
	if(getrandom(l->seed, sizeof(l->seed), GRND_NONBLOCK) !=
		(ssize_t)sizeof(l->seed)) {
		l->seed[0] = (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ULL;
		l->seed[1] = (uint64_t)(uintptr_t)&i * 0xbf58476d1ce4e5b9ULL;
	}
	if(rate == 0)
		return 1;
	l->slot = calloc(MXG_LOGLIMIT_SLOTS, sizeof(*l->slot));
	if(!l->slot)
		return 0;
	for(i = 0; i < MXG_LOGLIMIT_SLOTS; i++) {
		atomic_init(&l->slot[i].key, 0);
		atomic_init(&l->slot[i].tat, 0);
		atomic_init(&l->slot[i].blocked_until, 0);
	}
	return 1;
}

void
mxg_loglimit_free(struct mxg_loglimit* l)
{
	free(l->slot);
	l->slot = NULL;
}

/** Keyed 64-bit hash of a client (never 0). */
static uint64_t
client_hash(const struct mxg_loglimit* l, const struct mxg_client* k)
{
	uint64_t h = mxg_hash_bytes(l->seed[0] ^ l->seed[1] ^
		(uint64_t)k->family << 56 ^ (uint64_t)k->plen << 48, k->addr, 16);
	return h ? h : 1;
}

/** One line from the client's own bucket? (GCRA, see module/jsonlog.c) */
static int
client_allow(const struct mxg_loglimit* l, struct mxg_loglimit_slot* s,
	uint64_t now_ms)
{
	uint64_t now = now_ms * l->per_client;
	uint64_t limit = (uint64_t)l->per_client * 1000;
	uint64_t tat = atomic_load_explicit(&s->tat, memory_order_relaxed);
	for(;;) {
		uint64_t base = tat > now ? tat : now, next = base + 1000;
		if(next - now > limit)
			return 0;
		if(atomic_compare_exchange_weak_explicit(&s->tat, &tat, next,
			memory_order_relaxed, memory_order_relaxed))
			return 1;
	}
}

/** Count a suppressed line. @return 0 */
static int
suppress(struct mxg_loglimit* l)
{
	atomic_fetch_add_explicit(&l->suppressed, 1, memory_order_relaxed);
	return 0;
}

int
mxg_loglimit_allow(struct mxg_loglimit* l, int family, const uint8_t* addr,
	int strong, int blocked, uint64_t now_ms)
{
	struct mxg_client k;
	struct mxg_loglimit_slot* s;
	uint64_t h, now_s = now_ms / 1000, until = 0;
	if(l->rate == 0 || !l->slot)
		return 1;
	mxg_client_key(&k, &l->mask, family, addr);
	h = client_hash(l, &k);
	s = &l->slot[h & (MXG_LOGLIMIT_SLOTS - 1)];
	if(atomic_load_explicit(&s->key, memory_order_relaxed) != h) {
		/* a new owner starts with a full budget and no block line */
		atomic_store_explicit(&s->tat, 0, memory_order_relaxed);
		atomic_store_explicit(&s->blocked_until, 0,
			memory_order_relaxed);
		atomic_store_explicit(&s->key, h, memory_order_relaxed);
	}
	if(blocked) {
		until = atomic_load_explicit(&s->blocked_until,
			memory_order_relaxed);
		if(until > now_s ||
			!atomic_compare_exchange_strong_explicit(
			&s->blocked_until, &until, now_s + l->block_s,
			memory_order_relaxed, memory_order_relaxed))
			return suppress(l);
	}
	if(!client_allow(l, s, now_ms) || !((strong && l->strong_rate &&
		mxg_ratelimit_allow(&l->strong, now_ms)) ||
		mxg_ratelimit_allow(&l->any, now_ms))) {
		/* the blocked line did not go out: the next one may */
		if(blocked)
			atomic_store_explicit(&s->blocked_until, until,
				memory_order_relaxed);
		return suppress(l);
	}
	return 1;
}

uint64_t
mxg_loglimit_suppressed(const struct mxg_loglimit* l)
{
	return atomic_load_explicit(&((struct mxg_loglimit*)l)->suppressed,
		memory_order_relaxed);
}

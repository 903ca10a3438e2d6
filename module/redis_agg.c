/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_agg.c - the Redis writer's merge and pre-aggregation tables.
 */
/** \file
 * Why a batch is small: the records of a batch are merged before anything
 * is written. The pre-aggregation table folds the lookups that write the
 * same keys and values into one record with a count; the merge table folds
 * the operations of those records on the same key and member into one
 * (one INCRBY for a client seen many times, the last HSET value) and keeps
 * every key and member once in its arena, already as a RESP bulk string;
 * the EXPIRE memo sends a key's TTL once a minute. What the tables become
 * as commands is module/redis_batch.c. See module/redis_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxguard/redis.h"
#include "mxguard/hash.h"
#include "mxguard/mxguard.h"
#include "redis_int.h"

/* ------------------------------------------------------------------ */
/* The merge table.                                                    */

/** Make room for n more bytes in the arena. @return 1, or 0 on OOM. */
static int
arena_room(struct agg* a, size_t n)
{
	if(a->alen + n <= a->acap)
		return 1;
	return redis_buf_grow(&a->arena, &a->acap, a->alen + n, &a->oom);
}

/** Copy bytes into the arena. @return offset, or (size_t)-1 on OOM. */
static size_t
arena_put(struct agg* a, const void* p, size_t n)
{
	size_t off;
	if(!arena_room(a, n))
		return (size_t)-1;
	off = a->alen;
	if(n)
		memcpy(a->arena + off, p, n);
	a->alen += n;
	return off;
}

/** Put a string into the arena as a RESP bulk string, once per batch.
 * @return the length of its header, or 0 on OOM. */
static uint8_t
arena_str(struct agg* a, struct agg_str* x)
{
	char* p;
	size_t hl;
	if(x->gen == a->gen)
		return x->hl;	/* in the arena already */
	if(!arena_room(a, x->len + 32))
		return 0;
	p = a->arena + a->alen;
	*p++ = '$';
	p += redis_u64_text(p, x->len);
	*p++ = '\r';
	*p++ = '\n';
	hl = (size_t)(p - (a->arena + a->alen));
	memcpy(p, x->s, x->len);
	p += x->len;
	*p++ = '\r';
	*p++ = '\n';
	x->off = a->alen;
	x->hl = (uint8_t)hl;
	x->gen = a->gen;
	a->alen = (size_t)(p - a->arena);
	return (uint8_t)hl;
}

/** Grow the index to twice its size and rehash. 1 ok, 0 OOM. */
static int
agg_grow_index(struct agg* a)
{
	size_t nc = a->icap ? a->icap * 2 : 4096, i;
	uint32_t* ni = calloc(nc, sizeof(*ni));
	if(!ni) {
		a->oom = 1;
		return 0;
	}
	for(i = 0; i < a->n; i++) {
		size_t s = (size_t)a->ent[i].hash & (nc - 1);
		while(ni[s])
			s = (s + 1) & (nc - 1);
		ni[s] = (uint32_t)(i + 1);
	}
	free(a->idx);
	a->idx = ni;
	a->icap = nc;
	return 1;
}

/** Replace the value of an HSET/HSETNX entry. */
static void
agg_set_val(struct agg* a, struct agg_ent* e, const char* val, size_t vallen,
	uint64_t seq)
{
	if(vallen <= e->vallen) {
		/* the old value's bytes belong to this entry alone */
		if(vallen)
			memcpy(a->arena + e->val, val, vallen);
	} else {
		size_t v = arena_put(a, val, vallen);
		if(v == (size_t)-1)
			return;
		e->val = v;
	}
	e->vallen = vallen;
	e->seq = seq;
}

/** Are the bytes of a string those of the arena string at off (header
 * length hl)? The same arena copy needs no comparison. */
static int
str_eq(const struct agg* a, size_t off, uint8_t hl, size_t len,
	const struct agg_str* x)
{
	if(len != x->len)
		return 0;
	if(x->gen == a->gen && off == x->off)
		return 1;
	return memcmp(a->arena + off + hl, x->s, len) == 0;
}

void
redis_agg_add(struct agg* a, int op, struct agg_str* key, struct agg_str* mem,
	const char* val, size_t vallen, int64_t n, uint64_t seq)
{
	uint64_t h;
	size_t s;
	struct agg_ent* e;
	if(a->oom)
		return;
	h = mxg_fmix64(key->h ^ ((uint64_t)(op + 1) * MXG_HASH_K) ^
		(mem ? mem->h * 0xc4ceb9fe1a85ec53ULL : 0));
	if((a->n + 1) * 2 > a->icap && !agg_grow_index(a))
		return;
	s = (size_t)h & (a->icap - 1);
	while(a->idx[s]) {
		e = &a->ent[a->idx[s] - 1];
		if(e->hash == h && e->op == op &&
			str_eq(a, e->key, e->khl, e->keylen, key) &&
			(mem ? str_eq(a, e->mem, e->mhl, e->memlen, mem) :
			e->memlen == 0)) {
			/* the same strings: later calls compare by offset */
			key->off = e->key;
			key->hl = e->khl;
			key->gen = a->gen;
			if(mem) {
				mem->off = e->mem;
				mem->hl = e->mhl;
				mem->gen = a->gen;
			}
			if(op == AG_INCR || op == AG_ZINCR || op == AG_HINCR)
				e->n += n;
			else if((op == AG_HSET && seq >= e->seq) ||
				(op == AG_HSETNX && seq < e->seq))
				agg_set_val(a, e, val, vallen, seq);
			return;
		}
		s = (s + 1) & (a->icap - 1);
	}
	if(a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 4096;
		struct agg_ent* ne = realloc(a->ent, nc * sizeof(*ne));
		if(!ne) {
			a->oom = 1;
			return;
		}
		a->ent = ne;
		a->cap = nc;
	}
	e = &a->ent[a->n];
	e->op = op;
	e->hash = h;
	e->n = n;
	e->seq = seq;
	e->khl = arena_str(a, key);
	e->key = key->off;
	e->keylen = key->len;
	if(mem) {
		e->mhl = arena_str(a, mem);
		e->mem = mem->off;
		e->memlen = mem->len;
	} else {
		e->mhl = 0;
		e->mem = 0;
		e->memlen = 0;
	}
	e->val = vallen ? arena_put(a, val, vallen) : 0;
	e->vallen = vallen;
	if(a->oom)
		return;
	a->idx[s] = (uint32_t)(a->n + 1);
	a->n++;
}

int
redis_agg_expire(struct mxg_redis* r, int op, struct agg_str* key,
	uint32_t ttl)
{
	if(r->memo) {
		/* the key got its TTL a moment ago: do not repeat it */
		uint64_t mk = key->h | 1;
		struct memo_ent* m = &r->memo[mk & (MEMO_SLOTS - 1)];
		if(m->hash == mk && m->when + MEMO_SECONDS > r->batch_s)
			return 0;
		m->hash = mk;
		m->when = r->batch_s;
	}
	redis_agg_add(&r->agg, op, key, NULL, NULL, 0, (int64_t)ttl, 0);
	return 1;
}

int
redis_agg_count(struct mxg_redis* r, int op, struct agg_str* key,
	struct agg_str* mem, int64_t n, int exp_op, uint32_t ttl)
{
	redis_agg_add(&r->agg, op, key, mem, NULL, 0, n, 0);
	return redis_agg_expire(r, exp_op, key, ttl);
}

/* ------------------------------------------------------------------ */
/* The pre-aggregation table.                                          */

/** Empty the table (clearing only the index slots in use). */
void
redis_pre_reset(struct pre* p)
{
	size_t i;
	if(p->idx)
		for(i = 0; i < p->n; i++)
			p->idx[p->ent[i].slot] = 0;
	p->n = 0;
	p->alen = 0;
}

/** Allocate the table. @return 1, or 0 (then p->off is set). */
static int
pre_alloc(struct pre* p)
{
	p->ent = malloc(PRE_MAX * sizeof(*p->ent));
	p->idx = calloc(PRE_SLOTS, sizeof(*p->idx));
	p->acap = 65536;
	p->arena = malloc(p->acap);
	if(!p->ent || !p->idx || !p->arena) {
		free(p->ent);
		free(p->idx);
		free(p->arena);
		p->ent = NULL;
		p->idx = NULL;
		p->arena = NULL;
		p->acap = 0;
		p->off = 1;
		return 0;
	}
	return 1;
}

void
redis_pre_drain(struct mxg_redis* r)
{
	size_t i;
	if(r->pre.n == 0)
		return;
	r->batch_s = (uint64_t)time(NULL);
	for(i = 0; i < r->pre.n; i++)
		redis_add_group(r, &r->pre.ent[i], r->pre.arena + r->pre.ent[i].off);
	redis_pre_reset(&r->pre);
}

/** Copy the strings of a record into blob (PRE_BLOB bytes), each with its
 * NUL, their lengths into sl. @return the blob length. */
static size_t
rec_blob(const struct mxg_redis_rec* x, char* blob, uint16_t* sl)
{
	const char* s[5];
	size_t cap[5], o = 0;
	int i;
	s[0] = x->client; cap[0] = sizeof(x->client);
	s[1] = x->base; cap[1] = sizeof(x->base);
	s[2] = x->country; cap[2] = sizeof(x->country);
	s[3] = x->as_org; cap[3] = sizeof(x->as_org);
	s[4] = x->category; cap[4] = sizeof(x->category);
	for(i = 0; i < 5; i++) {
		/* GeoIP and category are mostly empty */
		size_t l = s[i][0] ? strnlen(s[i], cap[i] - 1) : 0;
		if(l)
			memcpy(blob + o, s[i], l);
		blob[o + l] = 0;
		sl[i] = (uint16_t)l;
		o += l + 1;
	}
	return o;
}

void
redis_pre_add(struct mxg_redis* r, const struct mxg_redis_rec* x)
{
	struct pre* p = &r->pre;
	struct pre_ent k, *e;
	char blob[PRE_BLOB];
	uint64_t sec = x->time_ms / 1000;
	size_t s;
	k.len = rec_blob(x, blob, k.sl);
	k.minute = sec / 60;
	k.asn = x->asn;
	k.alert = x->action != MXG_ACT_PASS || x->would_refuse;
	k.rule = k.alert ? x->rule : -1;
	k.relay = x->relay ? 1 : 0;
	k.n = 1;
	k.first_s = k.last_s = sec;
	k.seq_first = k.seq_last = r->seq++;
	k.hash = mxg_hash_bytes(k.minute * MXG_HASH_K ^ (uint64_t)k.asn << 32 ^
		(uint64_t)(uint32_t)(k.rule + 1) << 2 ^ (uint64_t)k.alert << 1 ^
		k.relay, blob, k.len);
	if(p->off || (!p->ent && !pre_alloc(p))) {
		/* no table: the record on its own */
		r->batch_s = (uint64_t)time(NULL);
		redis_add_group(r, &k, blob);
		return;
	}
	s = (size_t)k.hash & (PRE_SLOTS - 1);
	while(p->idx[s]) {
		e = &p->ent[p->idx[s] - 1];
		/* the blob splits at its NULs, so equal blobs mean equal
		 * strings */
		if(e->hash == k.hash && e->len == k.len &&
			e->minute == k.minute && e->asn == k.asn &&
			e->rule == k.rule && e->alert == k.alert &&
			e->relay == k.relay &&
			memcmp(p->arena + e->off, blob, k.len) == 0) {
			e->n++;
			e->last_s = sec;
			e->seq_last = k.seq_last;
			return;
		}
		s = (s + 1) & (PRE_SLOTS - 1);
	}
	if(p->n == PRE_MAX || p->alen + k.len > PRE_ARENA_MAX) {
		redis_pre_drain(r);
		s = (size_t)k.hash & (PRE_SLOTS - 1);
	}
	if(p->alen + k.len > p->acap) {
		size_t nc = p->acap * 2;
		char* na;
		while(nc < p->alen + k.len)
			nc *= 2;
		if(nc > PRE_ARENA_MAX)
			nc = PRE_ARENA_MAX;
		if(!(na = realloc(p->arena, nc))) {
			/* keep the table as it is, this record on its own */
			r->batch_s = (uint64_t)time(NULL);
			redis_add_group(r, &k, blob);
			return;
		}
		p->arena = na;
		p->acap = nc;
	}
	memcpy(p->arena + p->alen, blob, k.len);
	k.off = p->alen;
	p->alen += k.len;
	k.slot = (uint32_t)s;
	p->ent[p->n] = k;
	p->idx[s] = (uint32_t)(p->n + 1);
	p->n++;
}

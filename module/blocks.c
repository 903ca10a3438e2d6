/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/blocks.c - blocks shared through Redis: records and I/O.
 */
/** \file
 * Implements include/mxguard/blocks.h: the text form of a block in the
 * P{blocks} hash, and reading and writing that hash. Kept apart from
 * module/redis.c (the counters' pipeline) because it is used by two
 * different callers, the module's background thread and mxguard-report,
 * and never on the query path. Values are split at the first four '|';
 * the writers replace '|' in every free text (mxg_block_text).
 */
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <hiredis/hiredis.h>
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/engine.h"
#include "mxguard/event.h"
#include "mxguard/hash.h"
#include "mxguard/log.h"
#include "mxguard/names.h"
#include "mxguard/redis.h"

/** Blocks waiting to be written, at most (more wait for the next one). */
#define PEND_MAX 64
/** Slots of the memo of blocks written (a power of two). */
#define MEMO_SLOTS 1024
/** Interval between two reads of P{blocks}:gen, milliseconds. */
#define READ_MS 1000
/** Interval between two reads of every block, milliseconds: they are
 * applied again in case the engine evicted one under memory pressure. */
#define FULL_MS 30000
/** Most lifts remembered as applied. */
#define LIFTS_MAX 4096

/** Mask addr to plen bits (len bytes). */
static void
mask_addr(uint8_t* addr, size_t len, int plen)
{
	size_t i;
	for(i = 0; i < len; i++) {
		int bits = plen - (int)i * 8;
		if(bits >= 8)
			continue;
		addr[i] &= bits > 0 ? (uint8_t)(0xff << (8 - bits)) : 0;
	}
}

int
mxg_block_set_client(struct mxg_block* b, const char* text)
{
	/* as written (full length without /len), an IPv4-mapped address is
	 * IPv4: include/mxguard/clientkey.h */
	struct mxg_client_mask full;
	struct mxg_client k;
	mxg_client_mask_init(&full, 32, 128);
	if(!*text || !mxg_client_parse(&k, &full, text) ||
		!mxg_client_text(&k, b->client, sizeof(b->client)))
		return 0;
	b->family = k.family;
	b->plen = k.plen;
	memcpy(b->addr, k.addr, sizeof(b->addr));
	return 1;
}

int
mxg_block_covers(const struct mxg_block* b, int family, const uint8_t* addr,
	int plen)
{
	uint8_t m[16];
	size_t len = family == AF_INET ? 4 : 16;
	if(family != b->family || plen < b->plen)
		return 0;
	memcpy(m, addr, len);
	mask_addr(m, len, b->plen);
	return memcmp(m, b->addr, len) == 0;
}

void
mxg_block_text(char* dst, size_t dstlen, const char* src)
{
	size_t i;
	if(dstlen == 0)
		return;
	for(i = 0; src && src[i] && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c == '|' || c < 0x20 || c >= 0x7f ? '_' : (char)c;
	}
	dst[i] = 0;
}

size_t
mxg_block_field(const struct mxg_block* b, char* buf, size_t len)
{
	return mxg_fit(buf, len, snprintf(buf, len, "%s|%s", b->client,
		b->base));
}

size_t
mxg_block_value(const struct mxg_block* b, char* buf, size_t len)
{
	return mxg_fit(buf, len, snprintf(buf, len, "%llu|%llu|%s|%s|%s",
		(unsigned long long)b->until, (unsigned long long)b->since,
		b->rule, b->instance, b->reason));
}

/** Copy the bytes [p, end) into dst (NUL-terminated). @return 0 when
 * they do not fit. */
static int
copy_part(char* dst, size_t dstlen, const char* p, const char* end)
{
	size_t n = (size_t)(end - p);
	if(n >= dstlen)
		return 0;
	memcpy(dst, p, n);
	dst[n] = 0;
	return 1;
}

int
mxg_block_parse(const char* field, size_t flen, const char* val,
	size_t vlen, struct mxg_block* b)
{
	char tmp[MXG_BLOCK_TEXT_MAX], client[sizeof(b->client)];
	const char* bar, *p, *end;
	char* e;
	int i;
	memset(b, 0, sizeof(*b));
	if(flen >= sizeof(tmp) || vlen >= sizeof(tmp))
		return 0;
	/* field: CLIENT|BASE */
	memcpy(tmp, field, flen);
	tmp[flen] = 0;
	if(strlen(tmp) != flen || !(bar = strchr(tmp, '|')))
		return 0;
	if(!copy_part(client, sizeof(client), tmp, bar) ||
		!mxg_block_set_client(b, client) ||
		!copy_part(b->base, sizeof(b->base), bar + 1, tmp + flen))
		return 0;
	/* value: UNTIL|SINCE|RULE|INSTANCE|REASON */
	memcpy(tmp, val, vlen);
	tmp[vlen] = 0;
	if(strlen(tmp) != vlen)
		return 0;
	p = tmp;
	for(i = 0; i < 4; i++) {
		if(!(end = strchr(p, '|')))
			return 0;
		switch(i) {
		case 0:
			b->until = strtoull(p, &e, 10);
			if(e != end || p == end)
				return 0;
			break;
		case 1:
			b->since = strtoull(p, &e, 10);
			if(e != end || p == end)
				return 0;
			break;
		case 2:
			if(!copy_part(b->rule, sizeof(b->rule), p, end) ||
				!b->rule[0])
				return 0;
			break;
		case 3:
			if(!copy_part(b->instance, sizeof(b->instance), p,
				end))
				return 0;
			break;
		}
		p = end + 1;
	}
	if(!copy_part(b->reason, sizeof(b->reason), p, p + strlen(p)))
		/* a longer reason is cut, not rejected */
		mxg_block_text(b->reason, sizeof(b->reason), p);
	return 1;
}

enum mxg_rule_id
mxg_block_rule_id(const char* name)
{
	int r;
	for(r = 0; r < MXG_RULE_BLOCKED; r++)
		if(mxg_rule_name((enum mxg_rule_id)r) &&
			strcmp(mxg_rule_name((enum mxg_rule_id)r), name) == 0)
			return (enum mxg_rule_id)r;
	return MXG_RULE_BLOCKED;
}

/** Build P{blocks} + suffix. */
static size_t
bkey(char* buf, size_t len, const char* prefix, const char* suffix)
{
	return mxg_redis_key(buf, len, prefix, "blocks", 6, suffix,
		strlen(suffix));
}

/** Read one reply; NULL: the connection failed (dropped, backoff armed). */
static redisReply*
get_reply(struct mxg_redis* r, uint64_t now_ms)
{
	redisContext* c = mxg_redis_context(r);
	void* rep = NULL;
	if(!c || !mxg_redis_get_reply(r, &rep)) {
		if(rep)
			freeReplyObject(rep);
		mxg_redis_fail(r, now_ms, "blocks: no reply");
		return NULL;
	}
	return (redisReply*)rep;
}

/** Read the generation P{blocks}:gen: GETRANGE of its first 21 bytes (a
 * 64-bit number), not GET, so that a huge value (a broken or hostile
 * writer) is never read whole. @return the reply; NULL: the connection
 * failed. */
static redisReply*
get_gen(struct mxg_redis* r, const char* key, uint64_t now_ms)
{
	const char* argv[4];
	size_t argl[4];
	argv[0] = "GETRANGE"; argl[0] = 8;
	argv[1] = key; argl[1] = strlen(key);
	argv[2] = "0"; argl[2] = 1;
	argv[3] = "20"; argl[3] = 2;
	if(redisAppendCommandArgv(mxg_redis_context(r), 4, argv, argl) !=
		REDIS_OK) {
		mxg_redis_fail(r, now_ms, "blocks: cannot send");
		return NULL;
	}
	return get_reply(r, now_ms);
}

/** Delete the fields of blocks that are over (HDEL, one command). */
static void
blocks_prune(struct mxg_redis* r, const char* hk, const char** del,
	size_t* dell, size_t ndel, uint64_t now_ms)
{
	redisContext* c = mxg_redis_context(r);
	redisReply* d;
	del[0] = "HDEL"; dell[0] = 4;
	del[1] = hk; dell[1] = strlen(hk);
	if(!c || redisAppendCommandArgv(c, (int)ndel + 2, del, dell) !=
		REDIS_OK)
		mxg_redis_fail(r, now_ms, "blocks: cannot send");
	else if((d = get_reply(r, now_ms)) != NULL)
		freeReplyObject(d);
}

/** Go through one page of HSCAN P{blocks} (field, value, ...): fn for
 * each block in force, HDEL for those over. *seen counts the entries;
 * the page stops at MXG_BLOCKS_READ_MAX. @return 1 when the cap was hit. */
static int
blocks_page(struct mxg_redis* r, const char* hk, const redisReply* a,
	size_t* seen, mxg_block_fn fn, void* arg, uint64_t now_s,
	uint64_t now_ms)
{
	const char** del = NULL;
	size_t* dell = NULL, ndel = 0, i;
	int capped = 0;
	if(a->elements >= 2) {
		del = malloc((a->elements / 2 + 2) * sizeof(*del));
		dell = malloc((a->elements / 2 + 2) * sizeof(*dell));
	}
	for(i = 0; i + 1 < a->elements; i += 2) {
		const redisReply* f = a->element[i], *v = a->element[i+1];
		struct mxg_block b;
		int over;
		if(*seen >= MXG_BLOCKS_READ_MAX) {
			capped = 1;
			break;
		}
		(*seen)++;
		if(f->type != REDIS_REPLY_STRING ||
			v->type != REDIS_REPLY_STRING)
			continue;
		if(!mxg_block_parse(f->str, f->len, v->str, v->len, &b))
			continue;
		over = b.until ? b.until <= now_s :
			b.since + MXG_BLOCK_LIFT_KEEP <= now_s;
		if(over) {
			if(del && dell) {
				del[2 + ndel] = f->str;
				dell[2 + ndel] = f->len;
				ndel++;
			}
			continue;
		}
		fn(arg, &b, v->str, v->len);
	}
	/* prune what is over; another reader may do the same */
	if(ndel)
		blocks_prune(r, hk, del, dell, ndel, now_ms);
	free(del);
	free(dell);
	return capped;
}

int
mxg_blocks_read(struct mxg_redis* r, const char* prefix, uint64_t* gen,
	int force, mxg_block_fn fn, void* arg, uint64_t now_s,
	uint64_t now_ms, int* capped)
{
	redisContext* c = mxg_redis_context(r);
	char hk[256], gk[256], cur[32], cnt[16];
	redisReply* rep;
	uint64_t g = 0;
	const char* argv[5];
	size_t argl[5], seen = 0;
	int cap = 0;
	if(capped)
		*capped = 0;
	if(!c || !bkey(hk, sizeof(hk), prefix, "") ||
		!bkey(gk, sizeof(gk), prefix, ":gen"))
		return -1;
	if(!(rep = get_gen(r, gk, now_ms)))
		return -1;
	if(rep->type == REDIS_REPLY_STRING)
		g = strtoull(rep->str, NULL, 10);
	freeReplyObject(rep);
	if(g == *gen && !force)
		return 0;
	*gen = g;
	/* HSCAN, not HGETALL: a page at a time, and no more than
	 * MXG_BLOCKS_READ_MAX entries, however big the hash has grown */
	snprintf(cur, sizeof(cur), "0");
	snprintf(cnt, sizeof(cnt), "%d", MXG_BLOCKS_SCAN_COUNT);
	do {
		const redisReply* cr, *a;
		argv[0] = "HSCAN"; argl[0] = 5;
		argv[1] = hk; argl[1] = strlen(hk);
		argv[2] = cur; argl[2] = strlen(cur);
		argv[3] = "COUNT"; argl[3] = 5;
		argv[4] = cnt; argl[4] = strlen(cnt);
		if(redisAppendCommandArgv(c, 5, argv, argl) != REDIS_OK) {
			mxg_redis_fail(r, now_ms, "blocks: cannot send");
			return -1;
		}
		if(!(rep = get_reply(r, now_ms)))
			return -1;
		if(rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
			(cr = rep->element[0])->type != REDIS_REPLY_STRING ||
			cr->len == 0 || cr->len >= sizeof(cur) ||
			(a = rep->element[1])->type != REDIS_REPLY_ARRAY) {
			/* not a hash (or an error): nothing to read */
			freeReplyObject(rep);
			break;
		}
		memcpy(cur, cr->str, cr->len);
		cur[cr->len] = 0;
		cap = blocks_page(r, hk, a, &seen, fn, arg, now_s, now_ms);
		freeReplyObject(rep);
		if(!mxg_redis_connected(r))
			return -1;
		if(!cap && seen >= MXG_BLOCKS_READ_MAX && strcmp(cur, "0") != 0)
			/* the cap reached with more to come */
			cap = 1;
	} while(!cap && strcmp(cur, "0") != 0);
	if(capped)
		*capped = cap;
	return mxg_redis_connected(r) ? 1 : -1;
}

int
mxg_blocks_write(struct mxg_redis* r, const char* prefix,
	const struct mxg_block* b, size_t n, uint32_t ttl, uint64_t now_ms)
{
	redisContext* c = mxg_redis_context(r);
	char hk[256], gk[256], f[MXG_BLOCK_TEXT_MAX], v[MXG_BLOCK_TEXT_MAX];
	char ts[24];
	const char* argv[4];
	size_t argl[4], i, ncmd = 0;
	int ok = 1;
	redisReply* rep;
	if(!c || !bkey(hk, sizeof(hk), prefix, "") ||
		!bkey(gk, sizeof(gk), prefix, ":gen"))
		return 0;
	snprintf(ts, sizeof(ts), "%u", ttl ? ttl : 691200);
	for(i = 0; i < n; i++) {
		argv[0] = "HSET"; argl[0] = 4;
		argv[1] = hk; argl[1] = strlen(hk);
		argv[2] = f; argl[2] = mxg_block_field(&b[i], f, sizeof(f));
		argv[3] = v; argl[3] = mxg_block_value(&b[i], v, sizeof(v));
		if(!argl[2] || !argl[3]) {
			ok = 0;
			continue;
		}
		if(redisAppendCommandArgv(c, 4, argv, argl) != REDIS_OK)
			goto lost;
		ncmd++;
	}
	argv[0] = "INCR"; argl[0] = 4;
	argv[1] = gk; argl[1] = strlen(gk);
	if(redisAppendCommandArgv(c, 2, argv, argl) != REDIS_OK)
		goto lost;
	argv[0] = "EXPIRE"; argl[0] = 6;
	argv[2] = ts; argl[2] = strlen(ts);
	if(redisAppendCommandArgv(c, 3, argv, argl) != REDIS_OK)
		goto lost;
	argv[1] = hk; argl[1] = strlen(hk);
	if(redisAppendCommandArgv(c, 3, argv, argl) != REDIS_OK)
		goto lost;
	for(i = 0; i < ncmd + 3; i++) {
		if(!(rep = get_reply(r, now_ms)))
			return 0;
		if(rep->type == REDIS_REPLY_ERROR)
			ok = 0;
		freeReplyObject(rep);
	}
	return ok;
lost:
	mxg_redis_fail(r, now_ms, "blocks: cannot send");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The background thread's side.                                       */

/** A block written, in the memo. */
struct memo_ent {
	/** hash of its field, 0 free */
	uint64_t h;
	/** start written */
	uint64_t since;
	/** end written */
	uint64_t until;
};

/** The thread's state (touched by the sink thread only, except apply_fn
 * and apply_arg: atomics, set by the module). */
struct mxg_blocksync {
	/** key prefix */
	char* prefix;
	/** instance name */
	char* instance;
	/** apply other resolvers' rule blocks */
	int fleet;
	/** block-duration */
	uint32_t duration;
	/** key TTL */
	uint32_t ttl;
	/** where blocks go */
	_Atomic(mxg_block_apply_fn) apply_fn;
	/** its argument */
	_Atomic(void*) apply_arg;
	/** apply_arg the last full read was made for */
	void* applied_to;
	/** blocks to write */
	struct mxg_block* pend;
	/** number of them */
	size_t npend;
	/** memo of blocks written (MEMO_SLOTS) */
	struct memo_ent* memo;
	/** generation read last */
	uint64_t gen;
	/** monotonic time of the next read, and of the next full read */
	uint64_t next_read, next_full;
	/** hashes of the lifts seen at the last read (sorted) */
	uint64_t* lifts;
	/** number of them */
	size_t nlifts;
	/** lifts seen in the read under way */
	uint64_t* lifts_new;
	/** number of them */
	size_t nlifts_new;
	/** now (epoch s) of the read under way */
	uint64_t now_s;
	/** the last read stopped at MXG_BLOCKS_READ_MAX (logged when it
	 * starts to) */
	int capped;
	/** state-file (malloc'd), NULL: Redis */
	char* file;
	/** blocks kept in the file */
	struct mxg_block* kept;
	/** number of them, allocated */
	size_t nkept, capkept;
	/** kept changed since the last save */
	int dirty;
	/** monotonic time of the next save */
	uint64_t next_save;
};

/** Most blocks kept in a state file. */
#define KEPT_MAX 65536
/** Interval between two saves of the state file, milliseconds. */
#define SAVE_MS 10000

/** Hash of a piece of text, continuing h (never 0: 0 marks a free slot). */
static uint64_t
hash_more(uint64_t h, const void* p, size_t n)
{
	h = mxg_hash_bytes(h, p, n);
	return h ? h : 1;
}

int
mxg_block_apply(void* engine, const struct mxg_block* b, uint64_t now_s)
{
	uint8_t wire[MXG_NAME_WIRE_MAX];
	size_t wl = 0;
	char err[256];
	int n;
	if(b->base[0] && mxg_names_from_str(b->base, wire, sizeof(wire),
		&wl) != MXG_NAME_OK) {
		mxg_log_err("block of %s for %s: not a domain name", b->client,
			b->base);
		return -1;
	}
	n = mxg_engine_block((struct mxg_engine*)engine, b->family, b->addr,
		b->plen, b->base[0] ? wire : NULL, wl,
		mxg_block_rule_id(b->rule), b->until, (time_t)now_s, err,
		sizeof(err));
	if(n < 0)
		mxg_log_err("block of %s: %s", b->client, err);
	return n;
}

struct mxg_blocksync*
mxg_blocksync_new(const char* prefix, const char* instance, int fleet,
	uint32_t block_duration, uint32_t ttl)
{
	struct mxg_blocksync* bs = calloc(1, sizeof(*bs));
	if(!bs)
		return NULL;
	bs->prefix = strdup(prefix ? prefix : "");
	bs->instance = strdup(instance ? instance : "");
	bs->fleet = fleet;
	bs->duration = block_duration;
	bs->ttl = ttl;
	bs->pend = calloc(PEND_MAX, sizeof(*bs->pend));
	bs->memo = calloc(MEMO_SLOTS, sizeof(*bs->memo));
	bs->lifts = calloc(LIFTS_MAX, sizeof(*bs->lifts));
	bs->lifts_new = calloc(LIFTS_MAX, sizeof(*bs->lifts_new));
	if(!bs->prefix || !bs->instance || !bs->pend || !bs->memo ||
		!bs->lifts || !bs->lifts_new) {
		mxg_blocksync_free(bs);
		return NULL;
	}
	return bs;
}

void
mxg_blocksync_free(struct mxg_blocksync* bs)
{
	if(!bs)
		return;
	free(bs->prefix);
	free(bs->instance);
	free(bs->pend);
	free(bs->memo);
	free(bs->lifts);
	free(bs->lifts_new);
	free(bs->file);
	free(bs->kept);
	free(bs);
}

int
mxg_blocksync_set_file(struct mxg_blocksync* bs, const char* path)
{
	if(!bs || !(bs->file = strdup(path)))
		return 0;
	return 1;
}

/** Add or update a block in the kept list. */
static void
keep(struct mxg_blocksync* bs, const struct mxg_block* b)
{
	size_t i;
	for(i = 0; i < bs->nkept; i++)
		if(strcmp(bs->kept[i].client, b->client) == 0 &&
			strcmp(bs->kept[i].base, b->base) == 0) {
			if(b->until > bs->kept[i].until) {
				bs->kept[i].until = b->until;
				bs->dirty = 1;
			}
			return;
		}
	if(bs->nkept == bs->capkept) {
		size_t nc = bs->capkept ? bs->capkept * 2 : 64;
		struct mxg_block* n;
		if(nc > KEPT_MAX || !(n = realloc(bs->kept, nc * sizeof(*n))))
			return;
		bs->kept = n;
		bs->capkept = nc;
	}
	bs->kept[bs->nkept++] = *b;
	bs->dirty = 1;
}

/** Read the state file and apply what is still in force. */
static void
load_file(struct mxg_blocksync* bs, mxg_block_apply_fn fn, void* arg,
	uint64_t now_s)
{
	FILE* f = fopen(bs->file, "re");
	char line[2 * MXG_BLOCK_TEXT_MAX + 4];
	size_t n = 0;
	if(!f)
		return;	/* none yet */
	while(fgets(line, sizeof(line), f)) {
		struct mxg_block b;
		char* tab = strchr(line, '\t');
		size_t ll = strcspn(line, "\n");
		line[ll] = 0;
		if(!tab || !mxg_block_parse(line, (size_t)(tab - line), tab + 1,
			strlen(tab + 1), &b) || b.until <= now_s)
			continue;
		if(fn(arg, &b, now_s) >= 0)
			n++;
		keep(bs, &b);
	}
	fclose(f);
	bs->dirty = 0;
	if(n)
		mxg_log_info("%zu blocks read back from %s", n, bs->file);
}

/** Write the kept blocks in force to the state file (atomically). */
static void
save_file(struct mxg_blocksync* bs, uint64_t now_s)
{
	char tmp[4200], f[MXG_BLOCK_TEXT_MAX], v[MXG_BLOCK_TEXT_MAX];
	size_t i, j = 0;
	FILE* out;
	for(i = 0; i < bs->nkept; i++)
		if(bs->kept[i].until > now_s)
			bs->kept[j++] = bs->kept[i];
	bs->nkept = j;
	snprintf(tmp, sizeof(tmp), "%s.tmp", bs->file);
	if(!(out = fopen(tmp, "we"))) {
		mxg_log_err("state-file %s: %s", tmp, strerror(errno));
		return;
	}
	for(i = 0; i < bs->nkept; i++)
		if(mxg_block_field(&bs->kept[i], f, sizeof(f)) &&
			mxg_block_value(&bs->kept[i], v, sizeof(v)))
			fprintf(out, "%s\t%s\n", f, v);
	if(fclose(out) != 0 || rename(tmp, bs->file) != 0) {
		mxg_log_err("state-file %s: %s", bs->file, strerror(errno));
		unlink(tmp);
		return;
	}
	bs->dirty = 0;
}

void
mxg_blocksync_run_file(struct mxg_blocksync* bs, uint64_t now_ms,
	int stopping)
{
	mxg_block_apply_fn fn;
	void* arg;
	uint64_t now_s = (uint64_t)time(NULL);
	size_t i;
	if(!bs || !bs->file)
		return;
	fn = atomic_load_explicit(&bs->apply_fn, memory_order_acquire);
	arg = atomic_load_explicit(&bs->apply_arg, memory_order_acquire);
	if(fn && arg != bs->applied_to) {
		load_file(bs, fn, arg, now_s);
		bs->applied_to = arg;
	}
	for(i = 0; i < bs->npend; i++)
		keep(bs, &bs->pend[i]);
	bs->npend = 0;
	if(bs->dirty && (stopping || now_ms >= bs->next_save)) {
		save_file(bs, now_s);
		bs->next_save = now_ms + SAVE_MS;
	}
}

void
mxg_blocksync_set_apply(struct mxg_blocksync* bs, mxg_block_apply_fn fn,
	void* arg)
{
	if(!bs)
		return;
	atomic_store_explicit(&bs->apply_arg, arg, memory_order_release);
	atomic_store_explicit(&bs->apply_fn, fn, memory_order_release);
}

void
mxg_blocksync_note(struct mxg_blocksync* bs, const struct mxg_event* ev,
	const char* client, const char* base)
{
	struct mxg_block* b;
	struct memo_ent* m;
	uint64_t h, until, now_s, step;
	int client_only;
	if(!bs || !bs->duration || (ev->flags & MXG_EV_RELAY) ||
		ev->rule >= MXG_RULE_BLOCKED)
		return;
	if(ev->action != MXG_ACT_REFUSE && !(ev->flags & MXG_EV_WOULD_REFUSE))
		return;
	/* the rules that judge the client alone block the client */
	client_only = ev->rule == MXG_RULE_VOLUME ||
		ev->rule == MXG_RULE_FANOUT;
	if(!client_only && !base[0])
		return;
	now_s = ev->time_ms / 1000;
	until = now_s + bs->duration;
	h = hash_more(hash_more(0, client, strlen(client)), "|", 1);
	if(!client_only)
		h = hash_more(h, base, strlen(base));
	m = &bs->memo[h & (MEMO_SLOTS - 1)];
	step = bs->duration / 10 < 30 ? bs->duration / 10 : 30;
	if(step == 0)
		step = 1;
	if(m->h == h && until < m->until + step)
		return;
	if(bs->npend >= PEND_MAX)
		return;
	b = &bs->pend[bs->npend];
	memset(b, 0, sizeof(*b));
	if(!mxg_block_set_client(b, client))
		return;
	if(!client_only)
		mxg_block_text(b->base, sizeof(b->base), base);
	b->until = until;
	b->since = m->h == h && m->until > now_s ? m->since : now_s;
	mxg_block_text(b->rule, sizeof(b->rule),
		mxg_rule_name((enum mxg_rule_id)ev->rule));
	mxg_block_text(b->instance, sizeof(b->instance), bs->instance);
	mxg_block_text(b->reason, sizeof(b->reason), ev->reason);
	bs->npend++;
	m->h = h;
	m->since = b->since;
	m->until = until;
}

int
mxg_blocksync_due(const struct mxg_blocksync* bs, uint64_t now_ms)
{
	if(bs && bs->file)
		return bs->npend || (bs->dirty && now_ms >= bs->next_save) ||
			atomic_load_explicit(&bs->apply_arg, memory_order_acquire) !=
			bs->applied_to;
	return bs && (bs->npend || now_ms >= bs->next_read);
}

/** qsort/bsearch order of hashes. */
static int
cmp64(const void* a, const void* b)
{
	uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
	return x < y ? -1 : x > y;
}

/** State of one read. */
struct read_arg {
	/** the thread state */
	struct mxg_blocksync* bs;
	/** where to apply */
	mxg_block_apply_fn fn;
	/** its argument */
	void* arg;
	/** first read for this engine: the lifts are only remembered */
	int first;
};

/** One block read from Redis. */
static void
read_one(void* arg, const struct mxg_block* b, const char* value,
	size_t vlen)
{
	struct read_arg* ra = arg;
	struct mxg_blocksync* bs = ra->bs;
	int n;
	if(b->until == 0) {
		/* a lift: apply it once, the first time it is seen (a block
		 * the engine started again after it stays) */
		uint64_t h = hash_more(hash_more(hash_more(0, b->client,
			strlen(b->client)), b->base, strlen(b->base)), value,
			vlen);
		int seen = bs->nlifts && bsearch(&h, bs->lifts, bs->nlifts,
			sizeof(h), cmp64) != NULL;
		if(bs->nlifts_new < LIFTS_MAX)
			bs->lifts_new[bs->nlifts_new++] = h;
		if(seen || ra->first || !ra->fn)
			return;
		/* a block the engine starts again is written again */
		h = hash_more(hash_more(hash_more(0, b->client,
			strlen(b->client)), "|", 1), b->base, strlen(b->base));
		if(bs->memo[h & (MEMO_SLOTS - 1)].h == h)
			bs->memo[h & (MEMO_SLOTS - 1)].h = 0;
		n = ra->fn(ra->arg, b, bs->now_s);
		mxg_log_info("block of %s%s%s lifted by %s (%d keys): %s",
			b->client, b->base[0] ? " for " : "", b->base,
			b->instance, n < 0 ? 0 : n, b->reason);
		return;
	}
	if(!ra->fn)
		return;
	if(strcmp(b->rule, MXG_BLOCK_MANUAL) != 0 && !bs->fleet &&
		strcmp(b->instance, bs->instance) != 0)
		/* another resolver's rule: its own business unless fleet */
		return;
	n = ra->fn(ra->arg, b, bs->now_s);
	if(n > 0 && strcmp(b->instance, bs->instance) != 0)
		mxg_log_info("block of %s%s%s by %s (%s) until %llu applied "
			"(%d keys): %s", b->client, b->base[0] ? " for " : "",
			b->base, b->instance, b->rule,
			(unsigned long long)b->until, n, b->reason);
}

void
mxg_blocksync_run(struct mxg_blocksync* bs, struct mxg_redis* r,
	uint64_t now_ms)
{
	struct read_arg ra;
	uint64_t* t;
	int rc, full, capped = 0;
	if(!bs || !mxg_redis_connected(r))
		return;
	if(bs->npend) {
		if(!mxg_blocks_write(r, bs->prefix, bs->pend, bs->npend,
			bs->ttl, now_ms))
			mxg_log_err("cannot write %zu blocks to Redis",
				bs->npend);
		bs->npend = 0;
		/* read back soon, so that the lift memo stays current */
	}
	if(now_ms < bs->next_read || !mxg_redis_connected(r))
		return;
	bs->next_read = now_ms + READ_MS;
	ra.bs = bs;
	ra.fn = atomic_load_explicit(&bs->apply_fn, memory_order_acquire);
	ra.arg = atomic_load_explicit(&bs->apply_arg, memory_order_acquire);
	ra.first = ra.arg != bs->applied_to;
	full = ra.first || now_ms >= bs->next_full;
	bs->now_s = (uint64_t)time(NULL);
	bs->nlifts_new = 0;
	rc = mxg_blocks_read(r, bs->prefix, &bs->gen, full, read_one, &ra,
		bs->now_s, now_ms, &capped);
	if(rc <= 0)
		return;
	if(capped && !bs->capped)
		mxg_log_err("blocks: %s{blocks} has more than %d entries: "
			"only %d are read (a writer that does not prune? see "
			"mxguard-report blocks)", bs->prefix,
			MXG_BLOCKS_READ_MAX, MXG_BLOCKS_READ_MAX);
	bs->capped = capped;
	if(full)
		bs->next_full = now_ms + FULL_MS;
	if(ra.fn)
		bs->applied_to = ra.arg;
	qsort(bs->lifts_new, bs->nlifts_new, sizeof(uint64_t), cmp64);
	t = bs->lifts;
	bs->lifts = bs->lifts_new;
	bs->lifts_new = t;
	bs->nlifts = bs->nlifts_new;
}

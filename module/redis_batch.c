/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_batch.c - the Redis writer's batch: merged commands as RESP.
 */
/** \file
 * The records of a batch are merged (one INCRBY for a client seen many
 * times, EXPIRE once a minute per key: the merge and pre-aggregation
 * tables), written as RESP text into one buffer and sent as one pipeline,
 * whose replies are read and counted. See module/redis_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/hash.h"
#include "mxguard/log.h"
#include "mxguard/mxguard.h"
#include "redis_int.h"

/* ------------------------------------------------------------------ */
/* Hashing and numbers.                                                */

/** Decimal text of v into buf (20 bytes; not NUL-terminated).
 * @return its length. */
size_t
redis_u64_text(char* buf, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	uint64_t t;
	size_t n = 1, i;
	/* most numbers here are lengths and counts of one or two digits */
	if(v < 10) {
		buf[0] = (char)('0' + v);
		return 1;
	}
	if(v < 100) {
		memcpy(buf, pairs + 2 * v, 2);
		return 2;
	}
	for(t = v; t >= 10; t /= 10)
		n++;
	i = n;
	while(v >= 100) {
		i -= 2;
		memcpy(buf + i, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if(v >= 10)
		memcpy(buf, pairs + 2 * v, 2);
	else	buf[0] = (char)('0' + v);
	return n;
}

/** Decimal text of a signed v into buf (21 bytes; not NUL-terminated).
 * @return its length. */
static size_t
i64_text(char* buf, int64_t v)
{
	if(v >= 0)
		return redis_u64_text(buf, (uint64_t)v);
	buf[0] = '-';
	return 1 + redis_u64_text(buf + 1, (uint64_t)0 - (uint64_t)v);
}

/* ------------------------------------------------------------------ */
/* The merge table.                                                    */

/** Reset the table for a new batch. */
void
redis_agg_reset(struct agg* a)
{
	a->alen = 0;
	a->n = 0;
	a->oom = 0;
	/* the strings of the last batch are gone from the arena */
	a->gen++;
	if(a->idx)
		memset(a->idx, 0, a->icap * sizeof(*a->idx));
}

/** Grow a byte buffer (the arena, the output) to hold need bytes: from
 * 64 KiB, doubling. @return 1, or 0 with *oom set when realloc fails. */
static int
buf_grow(char** b, size_t* cap, size_t need, int* oom)
{
	size_t nc = *cap ? *cap : 65536;
	char* nb;
	while(nc < need)
		nc *= 2;
	if(!(nb = realloc(*b, nc))) {
		*oom = 1;
		return 0;
	}
	*b = nb;
	*cap = nc;
	return 1;
}

/** Make room for n more bytes in the arena. @return 1, or 0 on OOM. */
static int
arena_room(struct agg* a, size_t n)
{
	if(a->alen + n <= a->acap)
		return 1;
	return buf_grow(&a->arena, &a->acap, a->alen + n, &a->oom);
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
/* The commands as RESP text.                                          */

/** Bytes of output buffer kept between batches; a larger one is freed. */
#define OUT_KEEP (4 * 1024 * 1024)

/** Grow the buffer for n more bytes. @return 1, or 0 on OOM (then
 * flagged). */
static int
out_grow(struct obuf* o, size_t n)
{
	if(o->oom)
		return 0;
	return buf_grow(&o->b, &o->cap, o->len + n, &o->oom);
}

/** Make room for n more bytes. @return 1, or 0 on OOM (then flagged). */
static inline int
out_room(struct obuf* o, size_t n)
{
	return o->len + n <= o->cap || out_grow(o, n);
}

/** Append bytes as they are (protocol text; inline, so that the command
 * literals are copied without a call). */
static inline void
out_raw(struct obuf* o, const char* s, size_t n)
{
	if(!out_room(o, n))
		return;
	memcpy(o->b + o->len, s, n);
	o->len += n;
}

/** Start a command: its header and name, a string literal such as
 * "*3\r\n$6\r\nINCRBY\r\n". */
#define OUT_CMD(o, lit) do { out_raw((o), lit, sizeof(lit) - 1); \
	(o)->cmds++; } while(0)

/** Append "*argc" (the header of a command built argument by argument). */
static void
out_head(struct obuf* o, unsigned argc)
{
	char* p;
	if(!out_room(o, 24))
		return;
	p = o->b + o->len;
	*p++ = '*';
	p += redis_u64_text(p, argc);
	*p++ = '\r';
	*p++ = '\n';
	o->len = (size_t)(p - o->b);
	o->cmds++;
}

/** Append one argument: its length, then its bytes (any bytes). */
static void
out_arg(struct obuf* o, const char* s, size_t n)
{
	char* p;
	if(!out_room(o, n + 32))
		return;
	p = o->b + o->len;
	*p++ = '$';
	p += redis_u64_text(p, n);
	*p++ = '\r';
	*p++ = '\n';
	if(n)
		memcpy(p, s, n);
	p += n;
	*p++ = '\r';
	*p++ = '\n';
	o->len = (size_t)(p - o->b);
}

/** Append a number argument. */
static void
out_num(struct obuf* o, int64_t v)
{
	char t[24];
	out_arg(o, t, i64_text(t, v));
}

/** Append a string of the merge table (a bulk string in the arena). */
static void
out_bulk(struct obuf* o, const char* A, size_t off, uint8_t hl, size_t len)
{
	out_raw(o, A + off, hl + len + 2);
}

/** Append one merged entry (any op but HSET) as a command. */
static void
out_ent(struct mxg_redis* r, const struct agg_ent* e)
{
	struct obuf* o = &r->out;
	const char* A = r->agg.arena;
	switch(e->op) {
	case AG_INCR:
		OUT_CMD(o, "*3\r\n$6\r\nINCRBY\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_num(o, e->n);
		break;
	case AG_ZINCR:
		OUT_CMD(o, "*4\r\n$7\r\nZINCRBY\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_num(o, e->n);
		out_bulk(o, A, e->mem, e->mhl, e->memlen);
		break;
	case AG_HINCR:
		OUT_CMD(o, "*4\r\n$7\r\nHINCRBY\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_bulk(o, A, e->mem, e->mhl, e->memlen);
		out_num(o, e->n);
		break;
	case AG_PFADD:
		OUT_CMD(o, "*3\r\n$5\r\nPFADD\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_bulk(o, A, e->mem, e->mhl, e->memlen);
		break;
	case AG_HSETNX:
		OUT_CMD(o, "*4\r\n$6\r\nHSETNX\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_bulk(o, A, e->mem, e->mhl, e->memlen);
		out_arg(o, A + e->val, e->vallen);
		break;
	case AG_EXPIRE:
	case AG_EXPIRE_NX:
		if(e->op == AG_EXPIRE_NX && r->expire_nx)
			OUT_CMD(o, "*4\r\n$6\r\nEXPIRE\r\n");
		else	OUT_CMD(o, "*3\r\n$6\r\nEXPIRE\r\n");
		out_bulk(o, A, e->key, e->khl, e->keylen);
		out_num(o, e->n);
		if(e->op == AG_EXPIRE_NX && r->expire_nx)
			out_raw(o, "$2\r\nNX\r\n", 8);
		break;
	default:
		break;
	}
}

/** Append consecutive HSETs of one key as one HSET with several fields
 * (at most 16). @return entries used (>= 1). */
static size_t
out_hset(struct mxg_redis* r, size_t first)
{
	const struct agg_ent* e0 = &r->agg.ent[first];
	const char* A = r->agg.arena;
	size_t i = first + 1, k;
	while(i < r->agg.n && i - first < 16) {
		const struct agg_ent* e = &r->agg.ent[i];
		if(e->op != AG_HSET || e->keylen != e0->keylen ||
			(e->key != e0->key && memcmp(A + e->key + e->khl,
			A + e0->key + e0->khl, e0->keylen) != 0))
			break;
		i++;
	}
	out_head(&r->out, (unsigned)(2 + 2 * (i - first)));
	out_raw(&r->out, "$4\r\nHSET\r\n", 10);
	out_bulk(&r->out, A, e0->key, e0->khl, e0->keylen);
	for(k = first; k < i; k++) {
		const struct agg_ent* e = &r->agg.ent[k];
		out_bulk(&r->out, A, e->mem, e->mhl, e->memlen);
		out_arg(&r->out, A + e->val, e->vallen);
	}
	return i - first;
}

/**
 * The next reply of a pipeline; a missing one (I/O error, timeout) fails the
 * connection. @param what: names the commands in the log line.
 * @return the reply (free it with freeReplyObject()), or NULL.
 */
redisReply*
redis_next_reply(struct mxg_redis* r, const char* what, uint64_t now_ms)
{
	void* v = NULL;
	if(!redis_get_reply(r, &v)) {
		char why[300];
		if(v)
			freeReplyObject(v);
		redis_describe(why, sizeof(why), what, r, NULL);
		redis_conn_failed(r, now_ms, why);
		return NULL;
	}
	return (redisReply*)v;
}

int
redis_reply_error(struct mxg_redis* r, const char* cmd, const redisReply* rep)
{
	char why[300];
	if(rep->type != REDIS_REPLY_ERROR)
		return 0;
	redis_describe(why, sizeof(why), cmd, r, rep);
	r->errors++;
	redis_log_failure(r, why);
	return 1;
}

/** An error reply to a pipeline command: counted and logged; one that
 * says this connection cannot write fails it. @return 1 to go on, 0 if the
 * connection failed. */
static int
pipeline_error(struct mxg_redis* r, const redisReply* rep, uint64_t now_ms)
{
	if(!redis_reply_error(r, "command", rep))
		return 1;
	/* an EXPIRE may be among the failed commands */
	if(r->memo)
		memset(r->memo, 0, MEMO_SLOTS * sizeof(*r->memo));
	/* lost authentication, read-only replica, or loading: a new
	 * connection may help */
	if(rep->str && (strncmp(rep->str, "NOAUTH", 6) == 0 ||
		strncmp(rep->str, "READONLY", 8) == 0)) {
		redis_conn_failed(r, now_ms, "server refuses writes on this "
			"connection, reconnecting");
		return 0;
	}
	return 1;
}

/** Read n replies with hiredis' reader (when it holds bytes already). */
static int
read_replies_hiredis(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	size_t i;
	for(i = 0; i < n; i++) {
		redisReply* rep = redis_next_reply(r, "pipeline", now_ms);
		int ok;
		if(!rep)
			return 0;
		ok = pipeline_error(r, rep, now_ms);
		freeReplyObject(rep);
		if(!ok)
			return 0;
	}
	return 1;
}

/** Bytes of the pipeline reply buffer: the longest reply line (an error
 * text, a bulk length) that is accepted; bulk strings of any length pass
 * through it. */
#define RBUF_SIZE 16384

/** The connection failed while reading a pipeline's replies. @return 0. */
static int
read_failed(struct mxg_redis* r, uint64_t now_ms, const char* why)
{
	char msg[300];
	if(why) {
		/* in the context's error, as hiredis' own failures are */
		r->c->err = REDIS_ERR_PROTOCOL;
		snprintf(r->c->errstr, sizeof(r->c->errstr), "%s", why);
	}
	redis_describe(msg, sizeof(msg), "pipeline", r, NULL);
	redis_conn_failed(r, now_ms, msg);
	return 0;
}

/**
 * Read n replies of a pipeline straight from the socket, without building
 * reply objects: the commands of a batch and of the heartbeat answer with
 * integers, bulk strings (ZINCRBY, XADD), status lines or errors, so only
 * the error texts matter and the rest is skipped. hiredis' generic reader
 * costs ~300 instructions per reply (an object per reply, malloc and free),
 * this ~40. Any other reply type is a protocol error (nothing we send
 * answers with one), as is a line longer than RBUF_SIZE. Bytes past the
 * n-th reply are handed to hiredis' reader for the next command.
 * @return 1 if all arrived, 0 if the connection failed.
 */
static int
read_replies_raw(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	char* b = r->rbuf;
	size_t have = 0, pos = 0;
	/* bytes of a bulk string (with its CRLF) still to skip */
	uint64_t skip = 0;
	while(n) {
		while(n) {
			char *l, *e, *end = b + have;
			if(skip) {
				size_t k = have - pos < skip ? have - pos
					: (size_t)skip;
				pos += k;
				skip -= k;
				if(skip)
					break;
				n--;
				continue;
			}
			l = b + pos;
			for(e = l; e < end && *e != '\n'; e++)
				;
			if(e == end)
				break;
			if(e - l < 2 || e[-1] != '\r')
				return read_failed(r, now_ms, "protocol error "
					"(line without CR)");
			pos = (size_t)(e + 1 - b);
			switch(*l) {
			case ':':
			case '+':
				n--;
				break;
			case '-': {
				redisReply rep;
				char t[256];
				size_t tl = (size_t)(e - 1 - (l + 1));
				if(tl > sizeof(t) - 1)
					tl = sizeof(t) - 1;
				memcpy(t, l + 1, tl);
				t[tl] = 0;
				memset(&rep, 0, sizeof(rep));
				rep.type = REDIS_REPLY_ERROR;
				rep.str = t;
				rep.len = tl;
				if(!pipeline_error(r, &rep, now_ms))
					return 0;
				n--;
				break;
			}
			case '$': {
				const char* d = l + 1;
				uint64_t v = 0;
				if(e - 1 - d == 2 && d[0] == '-' && d[1] == '1') {
					n--;	/* null */
					break;
				}
				if(d == e - 1 || e - 1 - d > 10)
					return read_failed(r, now_ms, "protocol "
						"error (bad bulk length)");
				for(; d < e - 1; d++) {
					if(*d < '0' || *d > '9')
						return read_failed(r, now_ms,
							"protocol error (bad bulk "
							"length)");
					v = v * 10 + (uint64_t)(*d - '0');
				}
				skip = v + 2;
				break;
			}
			default:
				return read_failed(r, now_ms, "protocol error "
					"(unexpected reply type)");
			}
		}
		if(!n)
			break;
		/* keep the start of an incomplete line, read more */
		if(pos == have)
			pos = have = 0;
		else if(pos) {
			memmove(b, b + pos, have - pos);
			have -= pos;
			pos = 0;
		}
		if(have == RBUF_SIZE)
			return read_failed(r, now_ms, "protocol error (reply "
				"line too long)");
		for(;;) {
			ssize_t k = recv(r->c->fd, b + have, RBUF_SIZE - have, 0);
			if(k > 0) {
				have += (size_t)k;
				break;
			}
			if(k == 0)
				return read_failed(r, now_ms, "connection closed "
					"by the server");
			if(errno == EINTR)
				continue;
			if((errno == EAGAIN || errno == EWOULDBLOCK) &&
				r->deadline_mode) {
				if(!redis_wait_in(r))
					return read_failed(r, now_ms, NULL);
				continue;
			}
			/* blocking mode: EAGAIN is redis-timeout passing */
			return read_failed(r, now_ms, strerror(errno));
		}
	}
	if(pos < have && redisReaderFeed(r->c->reader, b + pos, have - pos)
		!= REDIS_OK)
		return read_failed(r, now_ms, "out of memory");
	return 1;
}

/**
 * Read n replies of a pipeline. Error replies are counted (and logged,
 * rate-limited); a missing reply fails the connection.
 * @return 1 if all arrived, 0 if the connection failed.
 */
int
redis_read_replies(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	redisReader* rd = r->c->reader;
	redis_deadline_start(r);
	if(!n)
		return 1;
	if(!redis_flush_out(r))
		return read_failed(r, now_ms, NULL);
	if(!r->rbuf)
		r->rbuf = malloc(RBUF_SIZE);
	/* hiredis' reader may hold the start of these replies already */
	if(!r->rbuf || rd->pos < rd->len || rd->ridx >= 0)
		return read_replies_hiredis(r, n, now_ms);
	return read_replies_raw(r, n, now_ms);
}

/** Append a fully built argv command, counting it. */
int
redis_append_argv(struct mxg_redis* r, int argc, const char** argv,
	const size_t* len, size_t* ncmd)
{
	if(redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK)
		return 0;
	(*ncmd)++;
	return 1;
}

/** Key for an entity into buf: prefix{kind:name}suffix. */
size_t
redis_ekey(struct mxg_redis* r, char* buf, size_t buflen, const char* kind,
	const char* name, const char* suffix)
{
	char tag[1200];
	size_t kl = strlen(kind), nl = strlen(name);
	if(kl + 1 + nl > sizeof(tag))
		return 0;
	memcpy(tag, kind, kl);
	tag[kl] = ':';
	memcpy(tag + kl + 1, name, nl);
	return mxg_redis_key(buf, buflen, r->prefix, tag, kl + 1 + nl, suffix,
		strlen(suffix));
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

/** Move the records of the table into the merge table, in the order of
 * their first lookup, and empty it. */
static void
pre_drain(struct mxg_redis* r)
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

/** Merge a record into the pre-aggregation table: a record that writes
 * the same keys and values as one already there only adds to its count. */
static void
pre_add(struct mxg_redis* r, const struct mxg_redis_rec* x)
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
		pre_drain(r);
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

/** Append the XADD of one alert to the output. */
static void
append_alert(struct mxg_redis* r, const struct mxg_redis_rec* x)
{
	char key[256], ml[24];
	size_t kl = mxg_redis_key(key, sizeof(key), r->prefix, "alerts", 6,
		"", 0);
	int i, n = x->alert_n > 64 ? 64 : x->alert_n;
	if(!kl || n <= 0)
		return;
	out_head(&r->out, (unsigned)(6 + 2 * n));
	out_raw(&r->out, "$4\r\nXADD\r\n", 10);
	out_arg(&r->out, key, kl);
	out_raw(&r->out, "$6\r\nMAXLEN\r\n$1\r\n~\r\n", 19);
	out_arg(&r->out, ml, redis_u64_text(ml, r->stream_maxlen));
	out_raw(&r->out, "$1\r\n*\r\n", 7);
	for(i = 0; i < 2 * n; i++)
		out_arg(&r->out, x->alert_argv[i], x->alert_len[i]);
}

int
mxg_redis_add(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms)
{
	size_t i;
	if(!r->c)
		return 0;
	for(i = 0; i < n; i++)
		if(!recs[i].retry)	/* its UDP lookup counted it */
			pre_add(r, &recs[i]);
	/* alerts are not merged: each XADD goes to the output now (copied)
	 * and is sent with the next mxg_redis_send */
	for(i = 0; i < n; i++) {
		if(recs[i].alert_n <= 0)
			continue;
		append_alert(r, &recs[i]);
		if(r->out.oom) {
			redis_conn_failed(r, now_ms, "cannot queue commands (out of "
				"memory)");
			return 0;
		}
		r->acc_alerts = 1;
	}
	return 1;
}

size_t
mxg_redis_pending(const struct mxg_redis* r)
{
	/* a record not merged yet becomes up to PRE_REC_CMDS commands; the
	 * alerts already written weigh by their bytes too, so that the
	 * caller's limit bounds the memory of the next send */
	return r->c ? r->agg.n + r->out.cmds + r->pre.n * PRE_REC_CMDS +
		r->out.len / PENDING_BYTES_PER_CMD : 0;
}

int
mxg_redis_send(struct mxg_redis* r, uint64_t now_ms, size_t* ncmd_out)
{
	size_t i, ncmd;
	*ncmd_out = 0;
	if(!r->c)
		return 0;
	pre_drain(r);
	if(r->agg.oom) {
		r->errors++;
		redis_log_failure(r, "out of memory building a batch, counters lost");
		redis_agg_reset(&r->agg);
	}
	for(i = 0; i < r->agg.n; ) {
		if(r->agg.ent[i].op == AG_HSET)
			i += out_hset(r, i);
		else	out_ent(r, &r->agg.ent[i++]);
	}
	if(r->acc_alerts) {
		char key[256], ttl[24];
		size_t kl = mxg_redis_key(key, sizeof(key), r->prefix,
			"alerts", 6, "", 0);
		OUT_CMD(&r->out, "*3\r\n$6\r\nEXPIRE\r\n");
		out_arg(&r->out, key, kl);
		out_arg(&r->out, ttl, redis_u64_text(ttl, r->ttl));
	}
	redis_agg_reset(&r->agg);
	r->acc_alerts = 0;
	if(r->out.oom)
		goto append_fail;
	ncmd = r->out.cmds;
	/* hand the pipeline to the kernel now, so that Redis works on it
	 * while the caller prepares the next one: straight from our buffer
	 * (after anything hiredis still holds, normally nothing), not copied
	 * into hiredis' first */
	redis_deadline_start(r);
	if(!redis_flush_out(r) || !redis_write_all(r, r->out.b, r->out.len)) {
		char why[300];
		r->out.len = 0;
		r->out.cmds = 0;
		redis_describe(why, sizeof(why), "pipeline", r, NULL);
		redis_conn_failed(r, now_ms, why);
		return 0;
	}
	r->out.len = 0;
	r->out.cmds = 0;
	if(r->out.cap > OUT_KEEP) {
		free(r->out.b);
		r->out.b = NULL;
		r->out.cap = 0;
	}
	*ncmd_out = ncmd;
	return 1;
append_fail:
	/* out of memory in our buffer: the batch is lost */
	redis_conn_failed(r, now_ms, "cannot queue commands (out of memory)");
	return 0;
}

int
mxg_redis_read(struct mxg_redis* r, size_t ncmd, uint64_t now_ms)
{
	if(!r->c)
		return 0;
	return redis_read_replies(r, ncmd, now_ms);
}

int
mxg_redis_write(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms)
{
	size_t ncmd;
	if(!mxg_redis_add(r, recs, n, now_ms) ||
		!mxg_redis_send(r, now_ms, &ncmd))
		return 0;
	return redis_read_replies(r, ncmd, now_ms);
}


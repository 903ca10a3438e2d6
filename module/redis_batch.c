/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_batch.c - the Redis writer's batch: its commands as RESP.
 */
/** \file
 * A batch goes out as one pipeline: the XADD of each alert is written as
 * RESP text into one output buffer when its record is added, the merged
 * operations (module/redis_agg.c) are written after it at send, and the
 * buffer goes to the socket as it is; its replies are read by
 * module/redis_reply.c. The public calls of the batch (mxg_redis_add,
 * mxg_redis_send, mxg_redis_read, mxg_redis_write) are here. See
 * module/redis_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "redis_int.h"

/* ------------------------------------------------------------------ */
/* Numbers.                                                            */

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
	return redis_buf_grow(&o->b, &o->cap, o->len + n, &o->oom);
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
			redis_pre_add(r, &recs[i]);
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
	redis_pre_drain(r);
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


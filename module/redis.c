/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis.c - Redis connection, pipelined batches and the key schema.
 */
/** \file
 * The only module file that includes hiredis.h. A struct mxg_redis holds one
 * blocking hiredis context used by the sink thread alone: connect with a
 * timeout, AUTH (never logging the password), SELECT, command timeout via
 * redisSetTimeout, reconnect with exponential backoff plus jitter.
 *
 * mxg_redis_write() turns a batch of records into the commands of
 * docs/redis-schema.md. Counters of the batch are merged first in a small
 * hash table (one INCRBY/ZINCRBY/HINCRBY per key and member, one EXPIRE per
 * key), so a burst of lookups by one client costs a handful of commands, not
 * a dozen per event. Every command goes through redisAppendCommandArgv, then
 * all replies are read; an error reply is counted, a missing reply drops the
 * connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "mxguard/conf.h"
#include "mxguard/log.h"
#include "mxguard/mxguard.h"

/** Seconds between two log lines about a Redis that keeps failing. */
#define LOG_INTERVAL_S 60

/** Kinds of merged operations of a batch. */
enum agg_op {
	/** INCRBY key n */
	AG_INCR = 0,
	/** ZINCRBY key n member */
	AG_ZINCR,
	/** HINCRBY key member n */
	AG_HINCR,
	/** PFADD key member */
	AG_PFADD,
	/** HSET key member value (last value wins) */
	AG_HSET,
	/** HSETNX key member value (first value wins) */
	AG_HSETNX,
	/** EXPIRE key n (n seconds) */
	AG_EXPIRE,
	/** EXPIRE key n NX (if the server has it) */
	AG_EXPIRE_NX
};

/** One merged operation; strings are offsets into the arena. */
struct agg_ent {
	/** enum agg_op */
	int op;
	/** key offset in the arena */
	size_t key;
	/** key length */
	size_t keylen;
	/** member/field offset */
	size_t mem;
	/** member/field length */
	size_t memlen;
	/** value offset (HSET, HSETNX) */
	size_t val;
	/** value length */
	size_t vallen;
	/** amount (INCR, ZINCR, HINCR) or seconds (EXPIRE) */
	int64_t n;
	/** hash of op, key and member */
	uint64_t hash;
};

/** The merge table of one batch; reused from batch to batch. */
struct agg {
	/** byte arena holding every string of the batch */
	char* arena;
	/** bytes used in arena */
	size_t alen;
	/** bytes allocated in arena */
	size_t acap;
	/** entries in insertion order (the order commands are sent) */
	struct agg_ent* ent;
	/** entries used */
	size_t n;
	/** entries allocated */
	size_t cap;
	/** open-addressing index: entry number + 1, 0 empty */
	uint32_t* idx;
	/** slots of idx (a power of two) */
	size_t icap;
	/** malloc failed during this batch */
	int oom;
};

/** Slots of the EXPIRE memo (a power of two). */
#define MEMO_SLOTS 65536
/** Seconds an EXPIRE sent for a key is not repeated. */
#define MEMO_SECONDS 60

/** One EXPIRE memo slot: which key got its TTL set when. */
struct memo_ent {
	/** hash of the key (0: empty) */
	uint64_t hash;
	/** epoch seconds of the EXPIRE */
	uint64_t when;
};

/** The connection handle. */
struct mxg_redis {
	/** hiredis context, NULL while disconnected */
	redisContext* c;
	/** Unix socket path, or NULL for TCP */
	char* unix_path;
	/** TCP host (no brackets) */
	char* host;
	/** TCP port */
	int port;
	/** ACL user or NULL */
	char* user;
	/** password or NULL (never logged) */
	char* password;
	/** database number */
	int db;
	/** connect timeout, milliseconds */
	uint32_t connect_timeout_ms;
	/** command timeout, milliseconds */
	uint32_t timeout_ms;
	/** key prefix (never NULL) */
	char* prefix;
	/** counters TTL, seconds */
	uint32_t ttl;
	/** alert stream MAXLEN ~ */
	uint32_t stream_maxlen;
	/** server text for messages ("unix:/path" or "host:port") */
	char* name;
	/** the server understands EXPIRE ... NX (Redis >= 7) */
	int expire_nx;
	/** consecutive failures (0 while healthy) */
	unsigned fails;
	/** monotonic time before which no reconnect is tried */
	uint64_t retry_at_ms;
	/** errors counted */
	uint64_t errors;
	/** wall time of the last error log line */
	time_t last_log;
	/** errors since the last log line */
	uint64_t unlogged;
	/** jitter state */
	unsigned seed;
	/** merge table */
	struct agg agg;
	/** EXPIRE memo: keys whose TTL was set in the last MEMO_SECONDS
	 * (MEMO_SLOTS entries, NULL if it could not be allocated) */
	struct memo_ent* memo;
	/** epoch seconds of the batch being built */
	uint64_t batch_s;
	/** XADD commands appended since the last mxg_redis_send */
	size_t acc_cmds;
	/** an alert was appended since the last mxg_redis_send */
	int acc_alerts;
};

static void agg_reset(struct agg* a);
static void redact(char* buf, size_t len, const char* secret);
static void describe_raw(char* buf, size_t len, const char* cmd,
	struct mxg_redis* r, const redisReply* rep);

/** strdup that accepts NULL. */
static char*
dup_or_null(const char* s)
{
	return s ? strdup(s) : NULL;
}

void
mxg_redis_opts_from_conf(struct mxg_redis_opts* o, const struct mxg_conf* cfg)
{
	memset(o, 0, sizeof(*o));
	o->server = cfg->redis_server;
	o->user = cfg->redis_user;
	o->password = cfg->redis_password;
	o->db = cfg->redis_db;
	o->connect_timeout_ms = cfg->redis_connect_timeout_ms;
	o->timeout_ms = cfg->redis_timeout_ms;
	o->prefix = cfg->redis_prefix;
	o->ttl = cfg->redis_ttl;
	o->stream_maxlen = cfg->redis_stream_maxlen;
}

/** Parse "unix:/path", "[v6]:port", "host:port", "host" into r.
 * @return 1 or 0 with a reason in err. */
static int
parse_server(struct mxg_redis* r, const char* s, char* err, size_t errlen)
{
	const char* colon;
	char* end;
	long port = 6379;
	size_t hl;
	if(!s || !*s) {
		snprintf(err, errlen, "redis-server is empty");
		return 0;
	}
	if(strncmp(s, "unix:", 5) == 0) {
		if(s[5] == 0) {
			snprintf(err, errlen, "redis-server %s: no socket path", s);
			return 0;
		}
		r->unix_path = strdup(s + 5);
		r->name = strdup(s);
		return r->unix_path && r->name;
	}
	if(s[0] == '[') {
		const char* rb = strchr(s, ']');
		if(!rb || rb == s + 1) {
			snprintf(err, errlen, "redis-server %s: missing ']'", s);
			return 0;
		}
		hl = (size_t)(rb - s - 1);
		r->host = strndup(s + 1, hl);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if(rb[1] != 0 && !colon) {
			snprintf(err, errlen, "redis-server %s: junk after ']'", s);
			return 0;
		}
	} else {
		colon = strchr(s, ':');
		if(colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address, default port */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if(hl == 0) {
			snprintf(err, errlen, "redis-server %s: no host", s);
			return 0;
		}
		r->host = strndup(s, hl);
	}
	if(colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if(colon[1] == 0 || *end != 0 || errno || port < 1 ||
			port > 65535) {
			snprintf(err, errlen, "redis-server %s: bad port", s);
			return 0;
		}
	}
	r->port = (int)port;
	r->name = strdup(s);
	return r->host && r->name;
}

struct mxg_redis*
mxg_redis_new(const struct mxg_redis_opts* o, char* err, size_t errlen)
{
	struct mxg_redis* r = calloc(1, sizeof(*r));
	if(!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if(!parse_server(r, o->server, err, errlen))
		goto fail;
	r->user = dup_or_null(o->user);
	r->password = dup_or_null(o->password);
	r->prefix = strdup(o->prefix ? o->prefix : "");
	if((o->user && !r->user) || (o->password && !r->password) ||
		!r->prefix) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->db = o->db;
	r->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms
		: 500;
	r->timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	r->ttl = o->ttl ? o->ttl : 691200;
	r->stream_maxlen = o->stream_maxlen ? o->stream_maxlen : 100000;
	r->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)r;
	r->memo = calloc(MEMO_SLOTS, sizeof(*r->memo));
	return r;
fail:
	mxg_redis_free(r);
	return NULL;
}

/** Free a string holding a secret, wiping it first. */
static void
free_secret(char* s)
{
	if(s) {
		volatile char* v = s;
		while(*v)
			*v++ = 0;
		free(s);
	}
}

void
mxg_redis_free(struct mxg_redis* r)
{
	if(!r)
		return;
	mxg_redis_disconnect(r);
	free(r->unix_path);
	free(r->host);
	free(r->user);
	free_secret(r->password);
	free(r->prefix);
	free(r->name);
	free(r->agg.arena);
	free(r->agg.ent);
	free(r->agg.idx);
	free(r->memo);
	free(r);
}

void
mxg_redis_disconnect(struct mxg_redis* r)
{
	if(r && r->c) {
		redisFree(r->c);
		r->c = NULL;
	}
	if(r) {
		/* what was merged or appended for this connection is lost */
		agg_reset(&r->agg);
		r->acc_cmds = 0;
		r->acc_alerts = 0;
		/* TTLs of the last batches may not have been set */
		if(r->memo)
			memset(r->memo, 0, MEMO_SLOTS * sizeof(*r->memo));
	}
}

int
mxg_redis_connected(const struct mxg_redis* r)
{
	return r && r->c != NULL;
}

uint64_t
mxg_redis_errors(const struct mxg_redis* r)
{
	return r ? r->errors : 0;
}

struct redisContext*
mxg_redis_context(struct mxg_redis* r)
{
	return r ? r->c : NULL;
}

uint32_t
mxg_redis_backoff_ms(unsigned n)
{
	uint64_t d = MXG_REDIS_BACKOFF_MIN_MS;
	while(n > 1 && d < MXG_REDIS_BACKOFF_MAX_MS) {
		d *= 2;
		n--;
	}
	if(d > MXG_REDIS_BACKOFF_MAX_MS)
		d = MXG_REDIS_BACKOFF_MAX_MS;
	return (uint32_t)d;
}

int
mxg_redis_may_retry(const struct mxg_redis* r, uint64_t now_ms)
{
	return r->c != NULL || r->fails == 0 || now_ms >= r->retry_at_ms;
}

/** Log a failure, at most once per LOG_INTERVAL_S while it keeps failing. */
static void
log_failure(struct mxg_redis* r, const char* what)
{
	time_t now = time(NULL);
	if(r->last_log && now - r->last_log < LOG_INTERVAL_S) {
		r->unlogged++;
		return;
	}
	if(r->unlogged)
		mxg_log_err("redis %s: %s (and %llu more errors since the last "
			"message)", r->name, what,
			(unsigned long long)r->unlogged);
	else	mxg_log_err("redis %s: %s", r->name, what);
	r->last_log = now;
	r->unlogged = 0;
}

/** Count a failure of the connection: drop it, arm the backoff. */
static void
conn_failed(struct mxg_redis* r, uint64_t now_ms, const char* what)
{
	uint32_t d;
	r->errors++;
	log_failure(r, what);
	mxg_redis_disconnect(r);
	r->fails++;
	d = mxg_redis_backoff_ms(r->fails);
	/* jitter: 75 % .. 125 % of the delay */
	d = d - d / 4 + (uint32_t)(rand_r(&r->seed) % (d / 2 + 1));
	r->retry_at_ms = now_ms + d;
}

/** Milliseconds to a struct timeval. */
static struct timeval
ms_tv(uint32_t ms)
{
	struct timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/** Run one command on the connection (blocking).
 * @return the reply (free it) or NULL when the connection failed. */
static redisReply*
command(struct mxg_redis* r, int argc, const char** argv, const size_t* len)
{
	return (redisReply*)redisCommandArgv(r->c, argc, argv, len);
}

/** Is a reply an OK status? */
static int
reply_ok(const redisReply* rep)
{
	return rep && rep->type == REDIS_REPLY_STATUS && rep->str &&
		strcmp(rep->str, "OK") == 0;
}

/** Replace every occurrence of the password in a message by "***" (a
 * server may echo arguments in its error replies). */
static void
redact(char* buf, size_t len, const char* secret)
{
	size_t sl;
	char* p;
	if(!secret || !(sl = strlen(secret)))
		return;
	while((p = strstr(buf, secret)) != NULL) {
		size_t tail = strlen(p + sl);
		if(sl >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + sl, tail + 1);
		} else {
			/* too short to shrink: blank it out */
			memset(p, '*', sl);
			if(strstr(p + sl, secret) == NULL)
				break;
		}
	}
	(void)len;
}

/** Describe a failed command reply into buf (never with arguments, and
 * with the password redacted should the server echo it). */
static void
describe(char* buf, size_t len, const char* cmd, struct mxg_redis* r,
	const redisReply* rep)
{
	describe_raw(buf, len, cmd, r, rep);
	redact(buf, len, r->password);
}

/** describe() without the redaction. */
static void
describe_raw(char* buf, size_t len, const char* cmd, struct mxg_redis* r,
	const redisReply* rep)
{
	if(!rep)
		snprintf(buf, len, "%s: %s", cmd, r->c && r->c->errstr[0] ?
			r->c->errstr : "no reply (timeout or connection lost)");
	else if(rep->type == REDIS_REPLY_ERROR)
		snprintf(buf, len, "%s: %.*s", cmd, (int)(rep->len > 200 ? 200
			: rep->len), rep->str ? rep->str : "");
	else	snprintf(buf, len, "%s: unexpected reply type %d", cmd,
			rep->type);
}

/** Ask INFO server for the version; sets expire_nx. 1 ok, 0 no reply. */
static int
probe_version(struct mxg_redis* r)
{
	const char* argv[2] = { "INFO", "server" };
	size_t len[2] = { 4, 6 };
	redisReply* rep = command(r, 2, argv, len);
	if(!rep)
		return 0;
	r->expire_nx = 0;
	if(rep->type == REDIS_REPLY_STRING && rep->str) {
		const char* v = strstr(rep->str, "redis_version:");
		if(v && atoi(v + 14) >= 7)
			r->expire_nx = 1;
	}
	freeReplyObject(rep);
	return 1;
}

int
mxg_redis_connect(struct mxg_redis* r, uint64_t now_ms, char* err,
	size_t errlen)
{
	redisReply* rep;
	char why[300];
	mxg_redis_disconnect(r);
	if(r->unix_path)
		r->c = redisConnectUnixWithTimeout(r->unix_path,
			ms_tv(r->connect_timeout_ms));
	else	r->c = redisConnectWithTimeout(r->host, r->port,
			ms_tv(r->connect_timeout_ms));
	if(!r->c) {
		snprintf(why, sizeof(why), "connect: out of memory");
		goto fail;
	}
	if(r->c->err) {
		snprintf(why, sizeof(why), "connect: %s", r->c->errstr);
		goto fail;
	}
	if(redisSetTimeout(r->c, ms_tv(r->timeout_ms)) != REDIS_OK) {
		snprintf(why, sizeof(why), "cannot set timeout: %s",
			r->c->errstr);
		goto fail;
	}
	if(!r->unix_path)
		(void)redisEnableKeepAlive(r->c);
	if(r->password) {
		const char* argv[3];
		size_t len[3];
		int argc = 0;
		argv[argc] = "AUTH"; len[argc++] = 4;
		if(r->user) {
			argv[argc] = r->user; len[argc++] = strlen(r->user);
		}
		argv[argc] = r->password; len[argc++] = strlen(r->password);
		rep = command(r, argc, argv, len);
		if(!reply_ok(rep)) {
			describe(why, sizeof(why), r->user ? "AUTH (user and "
				"password)" : "AUTH (password)", r, rep);
			if(rep)
				freeReplyObject(rep);
			goto fail;
		}
		freeReplyObject(rep);
	}
	if(r->db != 0) {
		char db[16];
		const char* argv[2] = { "SELECT", db };
		size_t len[2] = { 6, 0 };
		len[1] = (size_t)snprintf(db, sizeof(db), "%d", r->db);
		rep = command(r, 2, argv, len);
		if(!reply_ok(rep)) {
			describe(why, sizeof(why), "SELECT", r, rep);
			if(rep)
				freeReplyObject(rep);
			goto fail;
		}
		freeReplyObject(rep);
	}
	if(!probe_version(r)) {
		describe(why, sizeof(why), "INFO", r, NULL);
		goto fail;
	}
	if(r->fails)
		mxg_log_info("redis %s: connected again after %u failed "
			"attempts", r->name, r->fails);
	else	mxg_log_verbose(1, "redis %s: connected", r->name);
	r->fails = 0;
	r->last_log = 0;
	r->unlogged = 0;
	return 1;
fail:
	redact(why, sizeof(why), r->password);
	snprintf(err, errlen, "redis %s: %s", r->name, why);
	conn_failed(r, now_ms, why);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Keys.                                                               */

size_t
mxg_redis_key(char* buf, size_t buflen, const char* prefix, const char* tag,
	size_t taglen, const char* suffix, size_t suffixlen)
{
	size_t pl = strlen(prefix);
	size_t need = pl + 1 + taglen + 1 + suffixlen;
	if(need + 1 > buflen) {
		if(buflen)
			buf[0] = 0;
		return 0;
	}
	memcpy(buf, prefix, pl);
	buf[pl] = '{';
	memcpy(buf + pl + 1, tag, taglen);
	buf[pl + 1 + taglen] = '}';
	memcpy(buf + pl + 2 + taglen, suffix, suffixlen);
	buf[need] = 0;
	return need;
}

void
mxg_redis_day(char* buf, uint64_t epoch_s)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 9, "%Y%m%d", &tm);
}

/* ------------------------------------------------------------------ */
/* The merge table.                                                    */

/** FNV-1a over bytes, continuing from h. */
static uint64_t
fnv(uint64_t h, const void* p, size_t n)
{
	const unsigned char* b = p;
	size_t i;
	for(i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/** Reset the table for a new batch. */
static void
agg_reset(struct agg* a)
{
	a->alen = 0;
	a->n = 0;
	a->oom = 0;
	if(a->idx)
		memset(a->idx, 0, a->icap * sizeof(*a->idx));
}

/** Copy bytes into the arena. @return offset, or (size_t)-1 on OOM. */
static size_t
arena_put(struct agg* a, const void* p, size_t n)
{
	size_t off;
	if(a->alen + n > a->acap) {
		size_t nc = a->acap ? a->acap : 65536;
		char* na;
		while(nc < a->alen + n)
			nc *= 2;
		na = realloc(a->arena, nc);
		if(!na) {
			a->oom = 1;
			return (size_t)-1;
		}
		a->arena = na;
		a->acap = nc;
	}
	off = a->alen;
	if(n)
		memcpy(a->arena + off, p, n);
	a->alen += n;
	return off;
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

/**
 * Add an operation, merging it with an equal one (same op, key, member).
 * INCR/ZINCR/HINCR add n; HSET replaces the value; HSETNX and EXPIRE keep
 * the first.
 */
static int
agg_add_m(struct agg* a, struct memo_ent* memo, uint64_t now_s, int op,
	const char* key, size_t keylen, const char* mem, size_t memlen,
	const char* val, size_t vallen, int64_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t s;
	struct agg_ent* e;
	if(a->oom)
		return 1;
	if((op == AG_EXPIRE || op == AG_EXPIRE_NX) && memo) {
		/* the key got its TTL a moment ago: do not repeat it */
		uint64_t kh = fnv(14695981039346656037ULL, key, keylen) | 1;
		struct memo_ent* m = &memo[kh & (MEMO_SLOTS - 1)];
		if(m->hash == kh && m->when + MEMO_SECONDS > now_s)
			return 0;
		m->hash = kh;
		m->when = now_s;
	}
	h = fnv(h, &op, sizeof(op));
	h = fnv(h, key, keylen);
	h = fnv(h, "\0", 1);
	h = fnv(h, mem, memlen);
	if((a->n + 1) * 2 > a->icap && !agg_grow_index(a))
		return 1;
	s = (size_t)h & (a->icap - 1);
	while(a->idx[s]) {
		e = &a->ent[a->idx[s] - 1];
		if(e->hash == h && e->op == op && e->keylen == keylen &&
			e->memlen == memlen &&
			memcmp(a->arena + e->key, key, keylen) == 0 &&
			memcmp(a->arena + e->mem, mem, memlen) == 0) {
			if(op == AG_INCR || op == AG_ZINCR || op == AG_HINCR)
				e->n += n;
			else if(op == AG_HSET) {
				size_t v = arena_put(a, val, vallen);
				if(v != (size_t)-1) {
					e->val = v;
					e->vallen = vallen;
				}
			}
			return 1;
		}
		s = (s + 1) & (a->icap - 1);
	}
	if(a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 4096;
		struct agg_ent* ne = realloc(a->ent, nc * sizeof(*ne));
		if(!ne) {
			a->oom = 1;
			return 1;
		}
		a->ent = ne;
		a->cap = nc;
	}
	e = &a->ent[a->n];
	e->op = op;
	e->hash = h;
	e->n = n;
	e->key = arena_put(a, key, keylen);
	e->keylen = keylen;
	e->mem = arena_put(a, mem, memlen);
	e->memlen = memlen;
	e->val = arena_put(a, val, vallen);
	e->vallen = vallen;
	if(a->oom)
		return 1;
	a->idx[s] = (uint32_t)(a->n + 1);
	a->n++;
	return 1;
}

/** agg_add_m without the EXPIRE memo (for the non-EXPIRE operations). */
#define agg_add(a, op, key, keylen, mem, memlen, val, vallen, n) \
	agg_add_m(a, NULL, 0, op, key, keylen, mem, memlen, val, vallen, n)

/** Shorthand: counter op plus its EXPIRE (skipped when the memo says the
 * TTL was set less than MEMO_SECONDS ago).
 * @return 1 if the key is fresh (EXPIRE added), 0 if it was skipped. */
static int
agg_count(struct mxg_redis* r, int op, const char* key, size_t keylen,
	const char* mem, size_t memlen, int64_t n, int exp_op, uint32_t ttl)
{
	agg_add(&r->agg, op, key, keylen, mem, memlen, "", 0, n);
	return agg_add_m(&r->agg, r->memo, r->batch_s, exp_op, key, keylen,
		"", 0, "", 0, (int64_t)ttl);
}

/** Append one merged entry as a command. @return 1 or 0 (append failed). */
static int
append_ent(struct mxg_redis* r, const struct agg_ent* e)
{
	const char* argv[5];
	size_t len[5];
	char num[24];
	int argc = 0;
	const char* A = r->agg.arena;
	size_t nl = (size_t)snprintf(num, sizeof(num), "%lld",
		(long long)e->n);
	switch(e->op) {
	case AG_INCR:
		argv[0] = "INCRBY"; len[0] = 6;
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = num; len[2] = nl;
		argc = 3;
		break;
	case AG_ZINCR:
		argv[0] = "ZINCRBY"; len[0] = 7;
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = num; len[2] = nl;
		argv[3] = A + e->mem; len[3] = e->memlen;
		argc = 4;
		break;
	case AG_HINCR:
		argv[0] = "HINCRBY"; len[0] = 7;
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = A + e->mem; len[2] = e->memlen;
		argv[3] = num; len[3] = nl;
		argc = 4;
		break;
	case AG_PFADD:
		argv[0] = "PFADD"; len[0] = 5;
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = A + e->mem; len[2] = e->memlen;
		argc = 3;
		break;
	case AG_HSET:
	case AG_HSETNX:
		argv[0] = e->op == AG_HSET ? "HSET" : "HSETNX";
		len[0] = strlen(argv[0]);
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = A + e->mem; len[2] = e->memlen;
		argv[3] = A + e->val; len[3] = e->vallen;
		argc = 4;
		break;
	case AG_EXPIRE:
	case AG_EXPIRE_NX:
		argv[0] = "EXPIRE"; len[0] = 6;
		argv[1] = A + e->key; len[1] = e->keylen;
		argv[2] = num; len[2] = nl;
		argc = 3;
		if(e->op == AG_EXPIRE_NX && r->expire_nx) {
			argv[3] = "NX"; len[3] = 2;
			argc = 4;
		}
		break;
	default:
		return 0;
	}
	return redisAppendCommandArgv(r->c, argc, argv, len) == REDIS_OK;
}

/**
 * The next reply of a pipeline; a missing one (I/O error, timeout) fails the
 * connection. @param what: names the commands in the log line.
 * @return the reply (free it with freeReplyObject()), or NULL.
 */
static redisReply*
next_reply(struct mxg_redis* r, const char* what, uint64_t now_ms)
{
	void* v = NULL;
	if(redisGetReply(r->c, &v) != REDIS_OK || !v) {
		char why[300];
		describe(why, sizeof(why), what, r, NULL);
		conn_failed(r, now_ms, why);
		return NULL;
	}
	return (redisReply*)v;
}

/**
 * Read n replies of a pipeline. Error replies and unexpected types are
 * counted (and logged, rate-limited); a missing reply fails the connection.
 * @return 1 if all arrived, 0 if the connection failed.
 */
static int
read_replies(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	size_t i;
	for(i = 0; i < n; i++) {
		redisReply* rep = next_reply(r, "pipeline", now_ms);
		if(!rep)
			return 0;
		if(rep->type == REDIS_REPLY_ERROR) {
			char why[300];
			describe(why, sizeof(why), "command", r, rep);
			r->errors++;
			log_failure(r, why);
			/* an EXPIRE may be among the failed commands */
			if(r->memo)
				memset(r->memo, 0, MEMO_SLOTS *
					sizeof(*r->memo));
			/* lost authentication, read-only replica, or
			 * loading: a new connection may help */
			if(rep->str && (strncmp(rep->str, "NOAUTH", 6) == 0 ||
				strncmp(rep->str, "READONLY", 8) == 0)) {
				freeReplyObject(rep);
				conn_failed(r, now_ms, "server refuses writes on "
					"this connection, reconnecting");
				return 0;
			}
		}
		freeReplyObject(rep);
	}
	return 1;
}

/** Append a fully built argv command, counting it. */
static int
append_argv(struct mxg_redis* r, int argc, const char** argv,
	const size_t* len, size_t* ncmd)
{
	if(redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK)
		return 0;
	(*ncmd)++;
	return 1;
}

/** Key for an entity into buf: prefix{kind:name}suffix. */
static size_t
ekey(struct mxg_redis* r, char* buf, size_t buflen, const char* kind,
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

/** The fields every entity hash (client, domain) gets per lookup: count,
 * alerts, last, and first when the key is new. */
static void
entity_hash(struct mxg_redis* r, const char* key, size_t kl, int alert,
	const char* ts, size_t tl)
{
	/* "first" needs setting only when the memo has not seen the key
	 * lately (then it exists with its first field) */
	if(agg_count(r, AG_HINCR, key, kl, "count", 5, 1, AG_EXPIRE, r->ttl))
		agg_add(&r->agg, AG_HSETNX, key, kl, "first", 5, ts, tl, 0);
	if(alert)
		agg_add(&r->agg, AG_HINCR, key, kl, "alerts", 6, "", 0, 1);
	agg_add(&r->agg, AG_HSET, key, kl, "last", 4, ts, tl, 0);
}

/** Merge the counter operations of one record. */
static void
add_rec(struct mxg_redis* r, const struct mxg_redis_rec* x)
{
	struct agg* a = &r->agg;
	char key[1400], suf[64], day[9], ts[24], num[24];
	size_t kl, cl = strlen(x->client), bl = strlen(x->base), tl;
	uint64_t sec = x->time_ms / 1000, minute = sec / 60;
	uint32_t minttl = r->ttl < MXG_REDIS_MINUTE_TTL ? r->ttl
		: MXG_REDIS_MINUTE_TTL;
	int alert = x->action != MXG_ACT_PASS || x->would_refuse;
	mxg_redis_day(day, sec);
	tl = (size_t)snprintf(ts, sizeof(ts), "%llu", (unsigned long long)sec);

	/* per-minute buckets of the client and the domain */
	snprintf(suf, sizeof(suf), ":m:%llu", (unsigned long long)minute);
	if((kl = ekey(r, key, sizeof(key), "c", x->client, suf)))
		agg_count(r, AG_INCR, key, kl, "", 0, 1, AG_EXPIRE_NX, minttl);
	if((kl = ekey(r, key, sizeof(key), "d", x->base, suf)))
		agg_count(r, AG_INCR, key, kl, "", 0, 1, AG_EXPIRE_NX, minttl);

	/* per client: hash, and domains of the day */
	if((kl = ekey(r, key, sizeof(key), "c", x->client, ":h"))) {
		entity_hash(r, key, kl, alert, ts, tl);
		agg_add(a, AG_HSET, key, kl, "relay", 5, x->relay ? "1" : "0",
			1, 0);
	}
	snprintf(suf, sizeof(suf), ":d:%s", day);
	if((kl = ekey(r, key, sizeof(key), "c", x->client, suf)))
		agg_count(r, AG_ZINCR, key, kl, x->base, bl, 1, AG_EXPIRE,
			r->ttl);

	/* per domain: hash, distinct clients (the count per domain per day
	 * is its score in the day's domains set below) */
	if((kl = ekey(r, key, sizeof(key), "d", x->base, ":h"))) {
		entity_hash(r, key, kl, alert, ts, tl);
		if(x->country[0])
			agg_add(a, AG_HSET, key, kl, "country", 7, x->country,
				strlen(x->country), 0);
		if(x->asn) {
			size_t nl = (size_t)snprintf(num, sizeof(num), "%u",
				(unsigned)x->asn);
			agg_add(a, AG_HSET, key, kl, "asn", 3, num, nl, 0);
		}
		if(x->as_org[0])
			agg_add(a, AG_HSET, key, kl, "as_org", 6, x->as_org,
				strlen(x->as_org), 0);
		if(x->category[0])
			agg_add(a, AG_HSET, key, kl, "category", 8,
				x->category, strlen(x->category), 0);
	}
	if((kl = ekey(r, key, sizeof(key), "d", x->base, ":hll")))
		agg_count(r, AG_PFADD, key, kl, x->client, cl, 0, AG_EXPIRE,
			r->ttl);

	/* top lists of the day */
	if((kl = ekey(r, key, sizeof(key), "day", day, ":clients")))
		agg_count(r, AG_ZINCR, key, kl, x->client, cl, 1, AG_EXPIRE,
			r->ttl);
	if((kl = ekey(r, key, sizeof(key), "day", day, ":domains")))
		agg_count(r, AG_ZINCR, key, kl, x->base, bl, 1, AG_EXPIRE,
			r->ttl);
	if(!x->relay && (kl = ekey(r, key, sizeof(key), "day", day,
		":nonrelay")))
		agg_count(r, AG_ZINCR, key, kl, x->client, cl, 1, AG_EXPIRE,
			r->ttl);
	if(alert && (kl = ekey(r, key, sizeof(key), "day", day, ":rules"))) {
		const char* rn = mxg_rule_name((enum mxg_rule_id)x->rule);
		if(!rn)
			rn = "none";
		agg_count(r, AG_HINCR, key, kl, rn, strlen(rn), 1, AG_EXPIRE,
			r->ttl);
	}
}

/** Append the XADD of one alert. */
static int
append_alert(struct mxg_redis* r, const struct mxg_redis_rec* x,
	size_t* ncmd)
{
	const char* argv[6 + 2 * 64];
	size_t len[6 + 2 * 64];
	char key[256], ml[24];
	size_t kl = mxg_redis_key(key, sizeof(key), r->prefix, "alerts", 6,
		"", 0);
	int argc = 0, i, n = x->alert_n > 64 ? 64 : x->alert_n;
	if(!kl || n <= 0)
		return 1;
	argv[argc] = "XADD"; len[argc++] = 4;
	argv[argc] = key; len[argc++] = kl;
	argv[argc] = "MAXLEN"; len[argc++] = 6;
	argv[argc] = "~"; len[argc++] = 1;
	argv[argc] = ml;
	len[argc++] = (size_t)snprintf(ml, sizeof(ml), "%u",
		(unsigned)r->stream_maxlen);
	argv[argc] = "*"; len[argc++] = 1;
	for(i = 0; i < 2 * n; i++) {
		argv[argc] = x->alert_argv[i];
		len[argc++] = x->alert_len[i];
	}
	return append_argv(r, argc, argv, len, ncmd);
}

/** Append consecutive HSETs of one key as one HSET with several fields.
 * @return entries used (>= 1), 0 if the append failed. */
static size_t
append_hset(struct mxg_redis* r, size_t first)
{
	const char* argv[2 + 2 * 16];
	size_t len[2 + 2 * 16];
	const struct agg_ent* e0 = &r->agg.ent[first];
	const char* A = r->agg.arena;
	size_t i = first;
	int argc = 2;
	argv[0] = "HSET"; len[0] = 4;
	argv[1] = A + e0->key; len[1] = e0->keylen;
	while(i < r->agg.n && argc < 2 + 2 * 16) {
		const struct agg_ent* e = &r->agg.ent[i];
		if(e->op != AG_HSET || e->keylen != e0->keylen ||
			memcmp(A + e->key, A + e0->key, e0->keylen) != 0)
			break;
		argv[argc] = A + e->mem; len[argc++] = e->memlen;
		argv[argc] = A + e->val; len[argc++] = e->vallen;
		i++;
	}
	if(redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK)
		return 0;
	return i - first;
}

int
mxg_redis_add(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms)
{
	size_t i;
	if(!r->c)
		return 0;
	r->batch_s = (uint64_t)time(NULL);
	for(i = 0; i < n; i++)
		add_rec(r, &recs[i]);
	/* alerts are not merged: their XADDs go to hiredis' buffer now
	 * (copied) and are counted with the next mxg_redis_send */
	for(i = 0; i < n; i++) {
		if(recs[i].alert_n <= 0)
			continue;
		if(!append_alert(r, &recs[i], &r->acc_cmds)) {
			conn_failed(r, now_ms, "cannot queue commands (out of "
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
	return r->c ? r->agg.n + r->acc_cmds : 0;
}

int
mxg_redis_send(struct mxg_redis* r, uint64_t now_ms, size_t* ncmd_out)
{
	size_t i, ncmd = r->acc_cmds;
	int done = 0;
	*ncmd_out = 0;
	if(!r->c)
		return 0;
	if(r->agg.oom) {
		r->errors++;
		log_failure(r, "out of memory building a batch, counters lost");
		agg_reset(&r->agg);
	}
	for(i = 0; i < r->agg.n; ) {
		if(r->agg.ent[i].op == AG_HSET) {
			size_t used = append_hset(r, i);
			if(!used)
				goto append_fail;
			i += used;
		} else {
			if(!append_ent(r, &r->agg.ent[i]))
				goto append_fail;
			i++;
		}
		ncmd++;
	}
	if(r->acc_alerts) {
		char key[256], ttl[24];
		const char* argv[3] = { "EXPIRE", key, ttl };
		size_t len[3] = { 6, 0, 0 };
		len[1] = mxg_redis_key(key, sizeof(key), r->prefix, "alerts", 6,
			"", 0);
		len[2] = (size_t)snprintf(ttl, sizeof(ttl), "%u",
			(unsigned)r->ttl);
		if(!append_argv(r, 3, argv, len, &ncmd))
			goto append_fail;
	}
	agg_reset(&r->agg);
	r->acc_cmds = 0;
	r->acc_alerts = 0;
	/* hand the pipeline to the kernel now, so that Redis works on it
	 * while the caller prepares the next one */
	while(!done) {
		if(redisBufferWrite(r->c, &done) != REDIS_OK) {
			char why[300];
			describe(why, sizeof(why), "pipeline", r, NULL);
			conn_failed(r, now_ms, why);
			return 0;
		}
	}
	*ncmd_out = ncmd;
	return 1;
append_fail:
	/* out of memory in hiredis' buffer: the context is unusable */
	conn_failed(r, now_ms, "cannot queue commands (out of memory)");
	return 0;
}

int
mxg_redis_read(struct mxg_redis* r, size_t ncmd, uint64_t now_ms)
{
	if(!r->c)
		return 0;
	return read_replies(r, ncmd, now_ms);
}

int
mxg_redis_write(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms)
{
	size_t ncmd;
	if(!mxg_redis_add(r, recs, n, now_ms) ||
		!mxg_redis_send(r, now_ms, &ncmd))
		return 0;
	return read_replies(r, ncmd, now_ms);
}

int
mxg_redis_heartbeat(struct mxg_redis* r, const struct mxg_redis_heartbeat* hb,
	uint64_t now_ms)
{
	char key[512], idx[256], skey[256];
	char v[12][24], ttl[24], hbttl[24], sv[24];
	const char* argv[2 + 2 * 16];
	size_t len[2 + 2 * 16];
	size_t kl, il, sl, ncmd = 0;
	int argc = 0, k = 0;
	const char* inst = hb->instance ? hb->instance : "";
	if(!r->c)
		return 0;
	kl = ekey(r, key, sizeof(key), "inst", inst, "");
	il = mxg_redis_key(idx, sizeof(idx), r->prefix, "inst", 4, ":all", 4);
	sl = mxg_redis_key(skey, sizeof(skey), r->prefix, "meta", 4,
		":schema", 7);
	if(!kl || !il || !sl)
		return 1;
#define HB_STR(f, s) do { argv[argc] = (f); len[argc++] = strlen(f); \
	argv[argc] = (s); len[argc++] = strlen(s); } while(0)
#define HB_NUM(f, x) do { snprintf(v[k], sizeof(v[k]), "%llu", \
	(unsigned long long)(x)); HB_STR(f, v[k]); k++; } while(0)
	argv[argc] = "HSET"; len[argc++] = 4;
	argv[argc] = key; len[argc++] = kl;
	HB_STR("version", MXG_VERSION);
	HB_NUM("schema", MXG_SCHEMA_VERSION);
	HB_STR("mode", hb->mode ? hb->mode : "");
	HB_NUM("started", hb->started);
	HB_NUM("last_seen", hb->now);
	HB_NUM("queued", hb->queued);
	HB_NUM("sent", hb->sent);
	HB_NUM("dropped", hb->dropped);
	HB_NUM("unsent", hb->unsent);
	HB_NUM("errors", hb->errors);
	HB_NUM("logged", hb->logged);
	HB_NUM("queue_size", hb->queue_size);
	HB_NUM("fleet", hb->fleet ? 1 : 0);
#undef HB_NUM
#undef HB_STR
	if(!append_argv(r, argc, argv, len, &ncmd))
		goto fail;
	snprintf(hbttl, sizeof(hbttl), "%d", MXG_REDIS_HEARTBEAT_TTL);
	{
		const char* a[3] = { "EXPIRE", key, hbttl };
		size_t l[3] = { 6, kl, strlen(hbttl) };
		if(!append_argv(r, 3, a, l, &ncmd))
			goto fail;
	}
	snprintf(sv, sizeof(sv), "%llu", (unsigned long long)hb->now);
	{
		const char* a[4] = { "ZADD", idx, sv, inst };
		size_t l[4] = { 4, il, strlen(sv), strlen(inst) };
		if(!append_argv(r, 4, a, l, &ncmd))
			goto fail;
	}
	snprintf(ttl, sizeof(ttl), "%u", (unsigned)r->ttl);
	{
		const char* a[3] = { "EXPIRE", idx, ttl };
		size_t l[3] = { 6, il, strlen(ttl) };
		if(!append_argv(r, 3, a, l, &ncmd))
			goto fail;
	}
	snprintf(sv, sizeof(sv), "%d", MXG_SCHEMA_VERSION);
	{
		const char* a[5] = { "SET", skey, sv, "EX", ttl };
		size_t l[5] = { 3, sl, strlen(sv), 2, strlen(ttl) };
		if(!append_argv(r, 5, a, l, &ncmd))
			goto fail;
	}
	return read_replies(r, ncmd, now_ms);
fail:
	conn_failed(r, now_ms, "cannot queue commands (out of memory)");
	return 0;
}

int
mxg_redis_read_minutes(struct mxg_redis* r, const char* const* clients,
	size_t nclients, uint64_t minute, unsigned nmin, uint64_t* out,
	uint64_t now_ms)
{
	char keys[60][128];
	const char* argv[61];
	size_t len[61];
	size_t i, ncmd = 0;
	unsigned m;
	if(!r->c)
		return 0;
	if(nmin > 60)
		nmin = 60;
	memset(out, 0, nclients * nmin * sizeof(*out));
	for(i = 0; i < nclients; i++) {
		argv[0] = "MGET";
		len[0] = 4;
		for(m = 0; m < nmin; m++) {
			char suf[32];
			snprintf(suf, sizeof(suf), ":m:%llu",
				(unsigned long long)(minute - m));
			len[1 + m] = ekey(r, keys[m], sizeof(keys[m]), "c",
				clients[i], suf);
			argv[1 + m] = keys[m];
		}
		if(!append_argv(r, (int)(1 + nmin), argv, len, &ncmd)) {
			conn_failed(r, now_ms, "cannot queue commands");
			return 0;
		}
	}
	for(i = 0; i < ncmd; i++) {
		redisReply* rep = next_reply(r, "MGET", now_ms);
		if(!rep)
			return 0;
		if(rep->type != REDIS_REPLY_ARRAY) {
			char why[300];
			describe(why, sizeof(why), "MGET", r, rep);
			r->errors++;
			log_failure(r, why);
		} else {
			for(m = 0; m < nmin && m < rep->elements; m++) {
				redisReply* e = rep->element[m];
				if(e && e->type == REDIS_REPLY_STRING && e->str)
					out[i * nmin + m] =
						strtoull(e->str, NULL, 10);
				else if(e && e->type == REDIS_REPLY_INTEGER &&
					e->integer > 0)
					out[i * nmin + m] =
						(uint64_t)e->integer;
			}
		}
		freeReplyObject(rep);
	}
	return 1;
}

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
 * docs/redis-schema.md, in three steps, so that the cost per lookup stays a
 * few hundred instructions:
 *
 * - records that write the same keys and values (same client, base domain,
 *   relay flag, verdict, rule, minute, GeoIP and category) are merged into
 *   one with a count (the pre-aggregation table, struct pre);
 * - each distinct record then adds its counter operations, multiplied by
 *   its count, to a merge table (struct agg: one INCRBY/ZINCRBY/HINCRBY per
 *   key and member, one EXPIRE per key), so a burst of lookups by one
 *   client costs a handful of commands, not a dozen per event; its keys
 *   and members go into the batch's arena once, already as RESP bulk
 *   strings, and a key's hash derives from its entity's (client, domain);
 * - the merged operations are written as RESP (the Redis protocol) into one
 *   buffer (struct obuf) with lengths, never with a format string, so any
 *   byte of a name is stored exactly, and the buffer is written to the
 *   socket as it is (redis_write_all). Then all replies are read straight from
 *   the socket by a parser for the reply types these commands have
 *   (integer, bulk string, status, error; module/redis_reply.c), without
 *   an object per reply: an error reply is counted, NOAUTH or READONLY
 *   reconnects, a missing reply or one of another type drops the
 *   connection.
 *
 * Alerts are never merged: every alert record gets its own XADD.
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
	r->wakefd = -1;
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
	r->prefix_len = strlen(r->prefix);
	r->txt_minute = UINT64_MAX;
	r->yk_day = UINT64_MAX;
	/* 0 is the generation of a string never put into the arena */
	r->agg.gen = 1;
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
	free(r->pre.arena);
	free(r->pre.ent);
	free(r->pre.idx);
	free(r->out.b);
	free(r->rbuf);
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
		redis_pre_reset(&r->pre);
		redis_agg_reset(&r->agg);
		r->out.len = 0;
		r->out.cmds = 0;
		r->out.oom = 0;
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
void
redis_log_failure(struct mxg_redis* r, const char* what)
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
void
redis_conn_failed(struct mxg_redis* r, uint64_t now_ms, const char* what)
{
	uint32_t d;
	if(r->stopping) {
		/* not a failure of the server: the owner is stopping */
		mxg_redis_disconnect(r);
		return;
	}
	r->errors++;
	redis_log_failure(r, what);
	mxg_redis_disconnect(r);
	r->fails++;
	d = mxg_redis_backoff_ms(r->fails);
	/* jitter: 75 % .. 125 % of the delay */
	d = d - d / 4 + (uint32_t)(rand_r(&r->seed) % (d / 2 + 1));
	r->retry_at_ms = now_ms + d;
}

void
mxg_redis_fail(struct mxg_redis* r, uint64_t now_ms, const char* what)
{
	if(r)
		redis_conn_failed(r, now_ms, what);
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
	void* v = NULL;
	if(!r->deadline_mode)
		return (redisReply*)redisCommandArgv(r->c, argc, argv, len);
	if(redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK)
		return NULL;
	redis_deadline_start(r);
	if(!redis_get_reply(r, &v))
		return NULL;
	return (redisReply*)v;
}

/* ------------------------------------------------------------------ */
/* Deadline mode: no wait on the server is longer than the deadline, and
 * the owner's wake descriptor ends any wait at once (a slow or hostile
 * Redis sending a byte a second cannot hold the thread, or a reload). */

/** The current pipeline or command must be done within timeout_ms. */
void
redis_deadline_start(struct mxg_redis* r)
{
	r->deadline = mxg_mono_ms() + r->timeout_ms;
}

/** Fail the context with a message (hiredis keeps it in errstr). */
static int
ctx_fail(struct mxg_redis* r, const char* why)
{
	r->c->err = REDIS_ERR_IO;
	snprintf(r->c->errstr, sizeof(r->c->errstr), "%s", why);
	return 0;
}

/** Wait until the socket is ready for events, the deadline passes or the
 * wake descriptor fires. @return 1 ready, 0 failed (context error set). */
static int
wait_io(struct mxg_redis* r, short events)
{
	struct pollfd p[2];
	int n = 1, rc;
	for(;;) {
		uint64_t now = mxg_mono_ms();
		if(now >= r->deadline)
			return ctx_fail(r, "no complete reply within "
				"redis-timeout");
		p[0].fd = r->c->fd;
		p[0].events = events;
		p[0].revents = 0;
		if(r->wakefd >= 0) {
			p[1].fd = r->wakefd;
			p[1].events = POLLIN;
			p[1].revents = 0;
			n = 2;
		}
		rc = poll(p, (nfds_t)n, (int)(r->deadline - now));
		if(rc < 0 && errno == EINTR)
			continue;
		if(rc < 0)
			return ctx_fail(r, strerror(errno));
		if(n == 2 && p[1].revents) {
			r->stopping = 1;
			return ctx_fail(r, "stopping");
		}
		if(rc > 0)
			return 1;
	}
}

/** Wait until the socket is readable (deadline mode). @return 1 ready, 0
 * failed (the context has the error). */
int
redis_wait_in(struct mxg_redis* r)
{
	return wait_io(r, POLLIN);
}

/** Write what hiredis has queued, within the deadline. @return 1 ok. */
int
redis_flush_out(struct mxg_redis* r)
{
	int done = 0;
	for(;;) {
		if(redisBufferWrite(r->c, &done) != REDIS_OK)
			return 0;
		if(done)
			return 1;
		/* a blocking socket blocks in the write (within the
		 * timeout of redisSetTimeout) */
		if(!r->deadline_mode)
			continue;
		if(!wait_io(r, POLLOUT))
			return 0;
	}
}

/** Write bytes to the server, within the deadline in deadline mode
 * (blocking mode: within redisSetTimeout's send timeout). @return 1 ok,
 * 0 failed (the context has the error). */
int
redis_write_all(struct mxg_redis* r, const char* p, size_t n)
{
	while(n) {
		ssize_t k = send(r->c->fd, p, n, MSG_NOSIGNAL);
		if(k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if(k < 0 && errno == EINTR)
			continue;
		if(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
			r->deadline_mode) {
			if(!wait_io(r, POLLOUT))
				return 0;
			continue;
		}
		/* blocking mode: EAGAIN is redis-timeout passing */
		return ctx_fail(r, k < 0 ? strerror(errno) : "write failed");
	}
	return 1;
}

/** One reply, within the deadline in deadline mode. @return 1 and *v, or
 * 0 (the context has the error). */
int
redis_get_reply(struct mxg_redis* r, void** v)
{
	*v = NULL;
	if(!r->deadline_mode)
		return redisGetReply(r->c, v) == REDIS_OK && *v;
	if(!redis_flush_out(r))
		return 0;
	for(;;) {
		if(redisGetReplyFromReader(r->c, v) != REDIS_OK)
			return 0;
		if(*v)
			return 1;
		if(!wait_io(r, POLLIN) || redisBufferRead(r->c) != REDIS_OK)
			return 0;
	}
}

int
mxg_redis_get_reply(struct mxg_redis* r, void** reply)
{
	*reply = NULL;
	if(!r || !r->c)
		return 0;
	if(r->deadline_mode)
		redis_deadline_start(r);
	return redis_get_reply(r, reply);
}

void
mxg_redis_set_wakefd(struct mxg_redis* r, int fd)
{
	r->wakefd = fd;
	r->deadline_mode = 1;
}

/** Is a reply an OK status? */
static int
reply_ok(const redisReply* rep)
{
	return rep && rep->type == REDIS_REPLY_STATUS && rep->str &&
		strcmp(rep->str, "OK") == 0;
}

void
mxg_redis_redact(char* buf, const char* secret)
{
	size_t sl;
	char* p = buf;
	if(!secret || !(sl = strlen(secret)))
		return;
	/* the search resumes after each replacement, so a password made of
	 * '*' (or any text) cannot match its own replacement again */
	while((p = strstr(p, secret)) != NULL) {
		if(sl >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + sl, strlen(p + sl) + 1);
			p += 3;
		} else {
			/* too short to shrink: blank it out */
			memset(p, '*', sl);
			p += sl;
		}
	}
}

/** Describe a failed command reply into buf (never with arguments, and
 * with the password redacted should the server echo it). */
void
redis_describe(char* buf, size_t len, const char* cmd, struct mxg_redis* r,
	const redisReply* rep)
{
	describe_raw(buf, len, cmd, r, rep);
	mxg_redis_redact(buf, r->password);
}

/** redis_describe() without the redaction. */
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

#ifndef MXG_HAVE_READER_MAXELEMENTS
/** hiredis before 1.0 (Debian 12 ships 0.14) has no reader->maxelements:
 * its reader allocates whatever element count an array reply announces,
 * and a negative count other than nil's -1 becomes a huge size_t. The
 * context's array creation is wrapped: more than MXG_REDIS_MAX_ELEMENTS,
 * or a negative count, is refused before anything is allocated (hiredis
 * takes the NULL as out of memory, and the connection fails). */
static void*
capped_array(const redisReadTask* task, int elements)
{
	const struct mxg_redis* r = task->privdata;
	if(!r || elements < 0 || elements > MXG_REDIS_MAX_ELEMENTS)
		return NULL;
	return r->hiredis_fn->createArray(task, elements);
}
#endif

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
	/* no reply of ours has more elements: a hostile server announcing
	 * billions is refused, not allocated */
#ifdef MXG_HAVE_READER_MAXELEMENTS
	r->c->reader->maxelements = MXG_REDIS_MAX_ELEMENTS;
#else
	r->hiredis_fn = r->c->reader->fn;
	r->capped_fn = *r->c->reader->fn;
	r->capped_fn.createArray = capped_array;
	r->c->reader->fn = &r->capped_fn;
	r->c->reader->privdata = r;
#endif
	if(r->deadline_mode) {
		/* our own waits from now on (get_reply): non-blocking socket,
		 * hiredis in its non-blocking mode */
		int fl = fcntl(r->c->fd, F_GETFL);
		if(fl < 0 || fcntl(r->c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			snprintf(why, sizeof(why), "cannot set O_NONBLOCK: %s",
				strerror(errno));
			goto fail;
		}
		r->c->flags &= ~REDIS_BLOCK;
	}
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
			redis_describe(why, sizeof(why), r->user ? "AUTH (user and "
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
			redis_describe(why, sizeof(why), "SELECT", r, rep);
			if(rep)
				freeReplyObject(rep);
			goto fail;
		}
		freeReplyObject(rep);
	}
	if(!probe_version(r)) {
		redis_describe(why, sizeof(why), "INFO", r, NULL);
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
	mxg_redis_redact(why, r->password);
	snprintf(err, errlen, "redis %s: %s", r->name, why);
	redis_conn_failed(r, now_ms, why);
	return 0;
}


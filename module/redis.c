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
 *   client costs a handful of commands, not a dozen per event;
 * - the merged operations are written as RESP (the Redis protocol) into one
 *   buffer (struct obuf) with lengths, never with a format string, so any
 *   byte of a name is stored exactly, and the buffer goes to hiredis with
 *   redisAppendFormattedCommand. Then all replies are read; an error reply
 *   is counted, a missing reply drops the connection.
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
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/hash.h"
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
	/** HSET, HSETNX: number of the record the value comes from (the
	 * highest wins for HSET, the lowest for HSETNX, whatever the order
	 * the merged records are added in) */
	uint64_t seq;
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

/** Most distinct records in the pre-aggregation table; a full table is
 * drained into the merge table. */
#define PRE_MAX 4096
/** Slots of the pre-aggregation index (a power of two, 2 * PRE_MAX). */
#define PRE_SLOTS 8192
/** Most bytes of record strings in the pre-aggregation table. */
#define PRE_ARENA_MAX (1024 * 1024)
/** Commands a record not merged yet counts for in mxg_redis_pending() (the
 * most one record makes: a new non-relay alert with country, ASN, AS
 * organisation and category gives 31 merge-table entries). */
#define PRE_REC_CMDS 31
/** Bytes of written commands that count as one more pending command. */
#define PENDING_BYTES_PER_CMD 256
/** Room for the strings of one record: client, base, country, AS
 * organisation and category, each with its NUL. */
#define PRE_BLOB (56 + 1025 + 3 + 64 + 32)

/** One pre-aggregated record: the lookups since the last drain that write
 * the same keys and values. Its strings are a blob in the arena: client,
 * base, country, as_org, category, each NUL-terminated. */
struct pre_ent {
	/** hash of the blob and the numeric fields */
	uint64_t hash;
	/** blob offset in the arena */
	size_t off;
	/** blob length */
	size_t len;
	/** minute of the lookups (epoch s / 60; it also gives the day) */
	uint64_t minute;
	/** lookups merged */
	uint64_t n;
	/** second of the first lookup (in the order added) */
	uint64_t first_s;
	/** second of the last lookup (in the order added) */
	uint64_t last_s;
	/** number of the first record merged (struct mxg_redis.seq) */
	uint64_t seq_first;
	/** number of the last record merged */
	uint64_t seq_last;
	/** ASN, 0 unknown */
	uint32_t asn;
	/** rule of an alert, -1 when not an alert */
	int rule;
	/** client is a relay */
	uint8_t relay;
	/** the lookups had a verdict (or a suppressed refuse) */
	uint8_t alert;
	/** lengths of client, base, country, as_org, category in the blob */
	uint16_t sl[5];
	/** slot in the index */
	uint32_t slot;
};

/** The pre-aggregation table; reused, memory bounded by PRE_MAX and
 * PRE_ARENA_MAX (allocated on first use). */
struct pre {
	/** blobs */
	char* arena;
	/** bytes used in arena */
	size_t alen;
	/** bytes allocated in arena */
	size_t acap;
	/** entries in order of their first record (PRE_MAX) */
	struct pre_ent* ent;
	/** entries used */
	size_t n;
	/** index (PRE_SLOTS): entry number + 1, 0 empty */
	uint32_t* idx;
	/** allocation failed: records go to the merge table one by one */
	int off;
};

/** The RESP text of the commands of a batch, handed to hiredis at once. */
struct obuf {
	/** bytes */
	char* b;
	/** bytes used */
	size_t len;
	/** bytes allocated */
	size_t cap;
	/** commands in b */
	size_t cmds;
	/** malloc failed while appending (the buffer is unusable) */
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
	/** deadline mode (the sink thread): non-blocking socket, every wait
	 * bounded by deadline and woken by wakefd */
	int deadline_mode;
	/** readable when the owner stops (-1: none) */
	int wakefd;
	/** monotonic ms by which the current pipeline or command must be
	 * done (deadline mode) */
	uint64_t deadline;
	/** the wake descriptor fired: the owner stops, failures are quiet */
	int stopping;
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
	/** an alert was appended since the last mxg_redis_send */
	int acc_alerts;
	/** pre-aggregation table */
	struct pre pre;
	/** number of the next record added (orders HSET values) */
	uint64_t seq;
	/** commands to send: XADDs as they come, the merged ones at send */
	struct obuf out;
	/** length of prefix */
	size_t prefix_len;
	/** minute whose texts follow (UINT64_MAX: none yet) */
	uint64_t txt_minute;
	/** that minute in decimal */
	char min_txt[24];
	/** length of min_txt */
	size_t min_len;
	/** its UTC day, YYYYMMDD */
	char day_txt[9];
};

static void agg_reset(struct agg* a);
static int get_reply(struct mxg_redis* r, void** v);
static int flush_out(struct mxg_redis* r);
static void deadline_start(struct mxg_redis* r);
static void pre_reset(struct pre* p);
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
		pre_reset(&r->pre);
		agg_reset(&r->agg);
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
	if(r->stopping) {
		/* not a failure of the server: the owner is stopping */
		mxg_redis_disconnect(r);
		return;
	}
	r->errors++;
	log_failure(r, what);
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
		conn_failed(r, now_ms, what);
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
	deadline_start(r);
	if(!get_reply(r, &v))
		return NULL;
	return (redisReply*)v;
}

/* ------------------------------------------------------------------ */
/* Deadline mode: no wait on the server is longer than the deadline, and
 * the owner's wake descriptor ends any wait at once (a slow or hostile
 * Redis sending a byte a second cannot hold the thread, or a reload). */

/** The current pipeline or command must be done within timeout_ms. */
static void
deadline_start(struct mxg_redis* r)
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

/** Write what hiredis has queued, within the deadline. @return 1 ok. */
static int
flush_out(struct mxg_redis* r)
{
	int done = 0;
	for(;;) {
		if(redisBufferWrite(r->c, &done) != REDIS_OK)
			return 0;
		if(done || !r->deadline_mode)
			return done;
		if(!wait_io(r, POLLOUT))
			return 0;
	}
}

/** One reply, within the deadline in deadline mode. @return 1 and *v, or
 * 0 (the context has the error). */
static int
get_reply(struct mxg_redis* r, void** v)
{
	*v = NULL;
	if(!r->deadline_mode)
		return redisGetReply(r->c, v) == REDIS_OK && *v;
	if(!flush_out(r))
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
		deadline_start(r);
	return get_reply(r, reply);
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
static void
describe(char* buf, size_t len, const char* cmd, struct mxg_redis* r,
	const redisReply* rep)
{
	describe_raw(buf, len, cmd, r, rep);
	mxg_redis_redact(buf, r->password);
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
#ifdef MXG_HAVE_READER_MAXELEMENTS
	/* no reply of ours has more elements: a hostile server announcing
	 * billions is refused, not allocated */
	r->c->reader->maxelements = MXG_REDIS_MAX_ELEMENTS;
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
	mxg_redis_redact(why, r->password);
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
/* Hashing and numbers.                                                */

/** Hash of a key (the merge table and the EXPIRE memo use it). */
static uint64_t
key_hash(const char* key, size_t len)
{
	return mxg_hash_bytes(0x6b6579, key, len);
}

/** Decimal text of v into buf (20 bytes; not NUL-terminated).
 * @return its length. */
static size_t
u64_text(char* buf, uint64_t v)
{
	char t[20];
	size_t n = 0, i;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while(v);
	for(i = 0; i < n; i++)
		buf[i] = t[n - 1 - i];
	return n;
}

/** Decimal text of a signed v into buf (21 bytes; not NUL-terminated).
 * @return its length. */
static size_t
i64_text(char* buf, int64_t v)
{
	if(v >= 0)
		return u64_text(buf, (uint64_t)v);
	buf[0] = '-';
	return 1 + u64_text(buf + 1, (uint64_t)0 - (uint64_t)v);
}

/* ------------------------------------------------------------------ */
/* The merge table.                                                    */

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

/**
 * Add an operation, merging it with an equal one (same op, key, member).
 * INCR/ZINCR/HINCR add n; HSET keeps the value of the highest seq (the
 * last record), HSETNX the value of the lowest (the first record); EXPIRE
 * keeps the first. With memo, an EXPIRE of a key that got its TTL less
 * than MEMO_SECONDS ago is skipped.
 * @param kh: key_hash() of the key.
 * @param seq: number of the record the value comes from (HSET, HSETNX).
 * @return 0 if an EXPIRE was skipped, else 1.
 */
static int
agg_add_m(struct agg* a, struct memo_ent* memo, uint64_t now_s, int op,
	const char* key, size_t keylen, uint64_t kh, const char* mem,
	size_t memlen, const char* val, size_t vallen, int64_t n, uint64_t seq)
{
	uint64_t h;
	size_t s;
	struct agg_ent* e;
	if(a->oom)
		return 1;
	if((op == AG_EXPIRE || op == AG_EXPIRE_NX) && memo) {
		/* the key got its TTL a moment ago: do not repeat it */
		uint64_t mk = kh | 1;
		struct memo_ent* m = &memo[mk & (MEMO_SLOTS - 1)];
		if(m->hash == mk && m->when + MEMO_SECONDS > now_s)
			return 0;
		m->hash = mk;
		m->when = now_s;
	}
	h = kh ^ ((uint64_t)(op + 1) * MXG_HASH_K);
	if(memlen)
		h ^= mxg_hash_bytes(h, mem, memlen);
	else	h = mxg_fmix64(h);
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
			else if((op == AG_HSET && seq >= e->seq) ||
				(op == AG_HSETNX && seq < e->seq))
				agg_set_val(a, e, val, vallen, seq);
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
	e->seq = seq;
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
#define agg_add(a, op, key, keylen, kh, mem, memlen, val, vallen, n, seq) \
	agg_add_m(a, NULL, 0, op, key, keylen, kh, mem, memlen, val, vallen, \
	n, seq)

/** Shorthand: counter op plus its EXPIRE (skipped when the memo says the
 * TTL was set less than MEMO_SECONDS ago).
 * @return 1 if the key is fresh (EXPIRE added), 0 if it was skipped. */
static int
agg_count(struct mxg_redis* r, int op, const char* key, size_t keylen,
	uint64_t kh, const char* mem, size_t memlen, int64_t n, int exp_op,
	uint32_t ttl)
{
	agg_add(&r->agg, op, key, keylen, kh, mem, memlen, "", 0, n, 0);
	return agg_add_m(&r->agg, r->memo, r->batch_s, exp_op, key, keylen,
		kh, "", 0, "", 0, (int64_t)ttl, 0);
}

/* ------------------------------------------------------------------ */
/* The commands as RESP text.                                          */

/** Bytes of output buffer kept between batches; a larger one is freed. */
#define OUT_KEEP (4 * 1024 * 1024)

/** Make room for n more bytes. @return 1, or 0 on OOM (then flagged). */
static int
out_room(struct obuf* o, size_t n)
{
	size_t nc;
	char* nb;
	if(o->len + n <= o->cap)
		return 1;
	if(o->oom)
		return 0;
	nc = o->cap ? o->cap : 65536;
	while(nc < o->len + n)
		nc *= 2;
	if(!(nb = realloc(o->b, nc))) {
		o->oom = 1;
		return 0;
	}
	o->b = nb;
	o->cap = nc;
	return 1;
}

/** Append bytes as they are (protocol text). */
static void
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
	p += u64_text(p, argc);
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
	p += u64_text(p, n);
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

/** Append one merged entry (any op but HSET) as a command. */
static void
out_ent(struct mxg_redis* r, const struct agg_ent* e)
{
	struct obuf* o = &r->out;
	const char* A = r->agg.arena;
	switch(e->op) {
	case AG_INCR:
		OUT_CMD(o, "*3\r\n$6\r\nINCRBY\r\n");
		out_arg(o, A + e->key, e->keylen);
		out_num(o, e->n);
		break;
	case AG_ZINCR:
		OUT_CMD(o, "*4\r\n$7\r\nZINCRBY\r\n");
		out_arg(o, A + e->key, e->keylen);
		out_num(o, e->n);
		out_arg(o, A + e->mem, e->memlen);
		break;
	case AG_HINCR:
		OUT_CMD(o, "*4\r\n$7\r\nHINCRBY\r\n");
		out_arg(o, A + e->key, e->keylen);
		out_arg(o, A + e->mem, e->memlen);
		out_num(o, e->n);
		break;
	case AG_PFADD:
		OUT_CMD(o, "*3\r\n$5\r\nPFADD\r\n");
		out_arg(o, A + e->key, e->keylen);
		out_arg(o, A + e->mem, e->memlen);
		break;
	case AG_HSETNX:
		OUT_CMD(o, "*4\r\n$6\r\nHSETNX\r\n");
		out_arg(o, A + e->key, e->keylen);
		out_arg(o, A + e->mem, e->memlen);
		out_arg(o, A + e->val, e->vallen);
		break;
	case AG_EXPIRE:
	case AG_EXPIRE_NX:
		if(e->op == AG_EXPIRE_NX && r->expire_nx)
			OUT_CMD(o, "*4\r\n$6\r\nEXPIRE\r\n");
		else	OUT_CMD(o, "*3\r\n$6\r\nEXPIRE\r\n");
		out_arg(o, A + e->key, e->keylen);
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
			memcmp(A + e->key, A + e0->key, e0->keylen) != 0)
			break;
		i++;
	}
	out_head(&r->out, (unsigned)(2 + 2 * (i - first)));
	out_raw(&r->out, "$4\r\nHSET\r\n", 10);
	out_arg(&r->out, A + e0->key, e0->keylen);
	for(k = first; k < i; k++) {
		const struct agg_ent* e = &r->agg.ent[k];
		out_arg(&r->out, A + e->mem, e->memlen);
		out_arg(&r->out, A + e->val, e->vallen);
	}
	return i - first;
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
	if(!get_reply(r, &v)) {
		char why[300];
		if(v)
			freeReplyObject(v);
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
	deadline_start(r);
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

/* ------------------------------------------------------------------ */
/* The keys of a record.                                               */

/** Size of a key buffer of a record (a longer key is not written). */
#define KEY_MAX 1400
/** Longest hash tag ("kind:name") of a record's key. */
#define TAG_MAX 1200

/** Start an entity key in buf (KEY_MAX bytes): prefix{kind:name}.
 * @return its length, or 0 if the tag is longer than TAG_MAX or no key of
 *	the entity fits (its keys are then not written). */
static size_t
ent_start(const struct mxg_redis* r, char* buf, const char* kind, size_t kl,
	const char* name, size_t nl)
{
	size_t pl = r->prefix_len;
	if(kl + 1 + nl > TAG_MAX || pl + 3 + kl + nl + 1 > KEY_MAX)
		return 0;
	memcpy(buf, r->prefix, pl);
	buf[pl] = '{';
	memcpy(buf + pl + 1, kind, kl);
	buf[pl + 1 + kl] = ':';
	memcpy(buf + pl + 2 + kl, name, nl);
	buf[pl + 2 + kl + nl] = '}';
	return pl + 3 + kl + nl;
}

/** Put a suffix (s1 then s2) after an entity key of length el.
 * @return the key length, or 0 if el is 0 or the key does not fit. */
static size_t
ent_key(char* buf, size_t el, const char* s1, size_t l1, const char* s2,
	size_t l2)
{
	if(!el || el >= KEY_MAX || KEY_MAX - el < l1 + l2 + 1)
		return 0;
	memcpy(buf + el, s1, l1);
	if(l2)
		memcpy(buf + el + l1, s2, l2);
	return el + l1 + l2;
}

/** Texts of a minute (its number, its UTC day), kept while the minute
 * stays the same. */
static void
minute_texts(struct mxg_redis* r, uint64_t minute)
{
	if(minute == r->txt_minute)
		return;
	r->min_len = u64_text(r->min_txt, minute);
	/* a day is a whole number of minutes */
	mxg_redis_day(r->day_txt, minute * 60);
	r->txt_minute = minute;
}

/** The fields every entity hash (client, domain) gets per lookup: count,
 * alerts, last, and first when the key is new. */
static void
entity_hash(struct mxg_redis* r, const char* key, size_t kl, uint64_t kh,
	const struct pre_ent* g, const char* ft, size_t fl, const char* lt,
	size_t ll)
{
	/* "first" needs setting only when the memo has not seen the key
	 * lately (then it exists with its first field) */
	if(agg_count(r, AG_HINCR, key, kl, kh, "count", 5, (int64_t)g->n,
		AG_EXPIRE, r->ttl))
		agg_add(&r->agg, AG_HSETNX, key, kl, kh, "first", 5, ft, fl, 0,
			g->seq_first);
	if(g->alert)
		agg_add(&r->agg, AG_HINCR, key, kl, kh, "alerts", 6, "", 0,
			(int64_t)g->n, 0);
	agg_add(&r->agg, AG_HSET, key, kl, kh, "last", 4, lt, ll, 0,
		g->seq_last);
}

/** Merge the counter operations of a (pre-aggregated) record: every
 * amount is multiplied by its number of lookups. */
static void
add_group(struct mxg_redis* r, const struct pre_ent* g, const char* blob)
{
	struct agg* a = &r->agg;
	char ck[KEY_MAX], dk[KEY_MAX], yk[KEY_MAX], ft[24], lt[24], num[24];
	const char* client = blob;
	const char* base = client + g->sl[0] + 1;
	const char* country = base + g->sl[1] + 1;
	const char* as_org = country + g->sl[2] + 1;
	const char* category = as_org + g->sl[3] + 1;
	size_t cl = g->sl[0], bl = g->sl[1], ce, de, ye, kl, fl, ll;
	int64_t n = (int64_t)g->n;
	uint64_t kh = 0;
	uint32_t minttl = r->ttl < MXG_REDIS_MINUTE_TTL ? r->ttl
		: MXG_REDIS_MINUTE_TTL;
	minute_texts(r, g->minute);
	fl = u64_text(ft, g->first_s);
	ll = u64_text(lt, g->last_s);
	ce = ent_start(r, ck, "c", 1, client, cl);
	de = ent_start(r, dk, "d", 1, base, bl);
	ye = ent_start(r, yk, "day", 3, r->day_txt, 8);

	/* per-minute buckets of the client and the domain */
	if((kl = ent_key(ck, ce, ":m:", 3, r->min_txt, r->min_len)))
		agg_count(r, AG_INCR, ck, kl, key_hash(ck, kl), "", 0, n,
			AG_EXPIRE_NX, minttl);
	if((kl = ent_key(dk, de, ":m:", 3, r->min_txt, r->min_len)))
		agg_count(r, AG_INCR, dk, kl, key_hash(dk, kl), "", 0, n,
			AG_EXPIRE_NX, minttl);

	/* per client: hash, and domains of the day */
	if((kl = ent_key(ck, ce, ":h", 2, "", 0))) {
		kh = key_hash(ck, kl);
		entity_hash(r, ck, kl, kh, g, ft, fl, lt, ll);
		agg_add(a, AG_HSET, ck, kl, kh, "relay", 5, g->relay ? "1"
			: "0", 1, 0, g->seq_last);
	}
	if((kl = ent_key(ck, ce, ":d:", 3, r->day_txt, 8)))
		agg_count(r, AG_ZINCR, ck, kl, key_hash(ck, kl), base, bl, n,
			AG_EXPIRE, r->ttl);

	/* per domain: hash, distinct clients (the count per domain per day
	 * is its score in the day's domains set below) */
	if((kl = ent_key(dk, de, ":h", 2, "", 0))) {
		kh = key_hash(dk, kl);
		entity_hash(r, dk, kl, kh, g, ft, fl, lt, ll);
		if(g->sl[2])
			agg_add(a, AG_HSET, dk, kl, kh, "country", 7, country,
				g->sl[2], 0, g->seq_last);
		if(g->asn)
			agg_add(a, AG_HSET, dk, kl, kh, "asn", 3, num,
				u64_text(num, g->asn), 0, g->seq_last);
		if(g->sl[3])
			agg_add(a, AG_HSET, dk, kl, kh, "as_org", 6, as_org,
				g->sl[3], 0, g->seq_last);
		if(g->sl[4])
			agg_add(a, AG_HSET, dk, kl, kh, "category", 8,
				category, g->sl[4], 0, g->seq_last);
	}
	if((kl = ent_key(dk, de, ":hll", 4, "", 0)))
		agg_count(r, AG_PFADD, dk, kl, key_hash(dk, kl), client, cl, 0,
			AG_EXPIRE, r->ttl);

	/* top lists of the day */
	if((kl = ent_key(yk, ye, ":clients", 8, "", 0)))
		agg_count(r, AG_ZINCR, yk, kl, key_hash(yk, kl), client, cl, n,
			AG_EXPIRE, r->ttl);
	if((kl = ent_key(yk, ye, ":domains", 8, "", 0)))
		agg_count(r, AG_ZINCR, yk, kl, key_hash(yk, kl), base, bl, n,
			AG_EXPIRE, r->ttl);
	if(!g->relay && (kl = ent_key(yk, ye, ":nonrelay", 9, "", 0)))
		agg_count(r, AG_ZINCR, yk, kl, key_hash(yk, kl), client, cl, n,
			AG_EXPIRE, r->ttl);
	if(g->alert && (kl = ent_key(yk, ye, ":rules", 6, "", 0))) {
		const char* rn = mxg_rule_name((enum mxg_rule_id)g->rule);
		if(!rn)
			rn = "none";
		agg_count(r, AG_HINCR, yk, kl, key_hash(yk, kl), rn,
			strlen(rn), n, AG_EXPIRE, r->ttl);
	}
}

/* ------------------------------------------------------------------ */
/* The pre-aggregation table.                                          */

/** Empty the table (clearing only the index slots in use). */
static void
pre_reset(struct pre* p)
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
		add_group(r, &r->pre.ent[i], r->pre.arena + r->pre.ent[i].off);
	pre_reset(&r->pre);
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
		add_group(r, &k, blob);
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
			add_group(r, &k, blob);
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
	out_arg(&r->out, ml, u64_text(ml, r->stream_maxlen));
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
		pre_add(r, &recs[i]);
	/* alerts are not merged: each XADD goes to the output now (copied)
	 * and is sent with the next mxg_redis_send */
	for(i = 0; i < n; i++) {
		if(recs[i].alert_n <= 0)
			continue;
		append_alert(r, &recs[i]);
		if(r->out.oom) {
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
		log_failure(r, "out of memory building a batch, counters lost");
		agg_reset(&r->agg);
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
		out_arg(&r->out, ttl, u64_text(ttl, r->ttl));
	}
	agg_reset(&r->agg);
	r->acc_alerts = 0;
	if(r->out.oom)
		goto append_fail;
	ncmd = r->out.cmds;
	if(r->out.len && redisAppendFormattedCommand(r->c, r->out.b,
		r->out.len) != REDIS_OK)
		goto append_fail;
	r->out.len = 0;
	r->out.cmds = 0;
	if(r->out.cap > OUT_KEEP) {
		free(r->out.b);
		r->out.b = NULL;
		r->out.cap = 0;
	}
	/* hand the pipeline to the kernel now, so that Redis works on it
	 * while the caller prepares the next one */
	deadline_start(r);
	if(!flush_out(r)) {
		char why[300];
		describe(why, sizeof(why), "pipeline", r, NULL);
		conn_failed(r, now_ms, why);
		return 0;
	}
	*ncmd_out = ncmd;
	return 1;
append_fail:
	/* out of memory in our buffer or hiredis': the batch is lost */
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
	char v[13][24], ttl[24], hbttl[24], sv[24];
	const char* argv[2 + 2 * 16 + 2 * MXG_REDIS_HB_EXTRA];
	size_t len[2 + 2 * 16 + 2 * MXG_REDIS_HB_EXTRA];
	size_t kl, il, sl, ncmd = 0, x;
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
	HB_NUM("log_suppressed", hb->log_suppressed);
	HB_NUM("queue_size", hb->queue_size);
	HB_NUM("fleet", hb->fleet ? 1 : 0);
	for(x = 0; hb->extra && x < hb->n_extra && x < MXG_REDIS_HB_EXTRA;
		x++)
		HB_STR(hb->extra[2 * x], hb->extra[2 * x + 1]);
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

/** A fleet value: a decimal integer of 1 to 20 digits that fits 64 bits;
 * anything else (text, a sign, a longer value, cut by GETRANGE) is 0. */
static uint64_t
fleet_value(const redisReply* e)
{
	uint64_t v = 0;
	size_t i;
	if(!e)
		return 0;
	if(e->type == REDIS_REPLY_INTEGER)
		return e->integer > 0 ? (uint64_t)e->integer : 0;
	if(e->type != REDIS_REPLY_STRING || !e->str || e->len == 0 ||
		e->len > MXG_FLEET_DIGITS)
		return 0;
	for(i = 0; i < e->len; i++) {
		unsigned d = (unsigned)(unsigned char)e->str[i] - '0';
		if(d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	return v;
}

int
mxg_redis_read_minutes(struct mxg_redis* r, const char* const* clients,
	size_t nclients, uint64_t minute, unsigned nmin, uint64_t* out,
	uint64_t now_ms)
{
	char key[128], end[8];
	const char* argv[4];
	size_t len[4];
	size_t i, ncmd = 0, elen;
	unsigned m;
	if(!r->c)
		return 0;
	if(nmin > 60)
		nmin = 60;
	memset(out, 0, nclients * nmin * sizeof(*out));
	/* GETRANGE, not MGET: a value is read up to one byte past the
	 * longest number, so a huge value (a hostile or broken writer) is
	 * never read whole */
	elen = (size_t)snprintf(end, sizeof(end), "%d", MXG_FLEET_DIGITS);
	argv[0] = "GETRANGE";
	len[0] = 8;
	argv[2] = "0";
	len[2] = 1;
	argv[3] = end;
	len[3] = elen;
	for(i = 0; i < nclients; i++) {
		for(m = 0; m < nmin; m++) {
			char suf[32];
			snprintf(suf, sizeof(suf), ":m:%llu",
				(unsigned long long)(minute - m));
			len[1] = ekey(r, key, sizeof(key), "c", clients[i],
				suf);
			argv[1] = key;
			if(!append_argv(r, 4, argv, len, &ncmd)) {
				conn_failed(r, now_ms, "cannot queue "
					"commands");
				return 0;
			}
		}
	}
	deadline_start(r);
	for(i = 0; i < ncmd; i++) {
		redisReply* rep = next_reply(r, "GETRANGE", now_ms);
		if(!rep)
			return 0;
		if(rep->type == REDIS_REPLY_ERROR) {
			char why[300];
			describe(why, sizeof(why), "GETRANGE", r, rep);
			r->errors++;
			log_failure(r, why);
		} else
			out[i] = fleet_value(rep);
		freeReplyObject(rep);
	}
	return 1;
}

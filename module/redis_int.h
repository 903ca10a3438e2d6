/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_int.h - what the parts of the Redis writer share.
 */
/** \file
 * The Redis writer is module/redis.c (the connection: connect, AUTH,
 * backoff, deadlines, error text with secrets redacted), module/redis_agg.c
 * (the merge and pre-aggregation tables of a batch), module/redis_batch.c
 * (the batch as RESP text in one buffer, and its send), module/redis_reply.c
 * (the replies of a pipeline, read from the socket) and module/redis_keys.c
 * (the keys of a record, the heartbeat and the fleet read-back). This header
 * holds struct mxg_redis, its tables and the functions one part calls in
 * another. Private to those files: the rest of mxguard uses
 * include/mxguard/redis.h.
 */
#ifndef MXGUARD_REDIS_INT_H
#define MXGUARD_REDIS_INT_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"

/** Seconds between two log lines about a Redis that keeps failing. */
#define LOG_INTERVAL_S 60

/** Size of a key buffer of a record (a longer key is not written). */
#define REDIS_KEY_MAX 1400

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

/** A key or member of the merge table: its bytes, its hash, and where the
 * batch's arena holds it (written once per batch as a RESP bulk string,
 * "$LEN\r\nBYTES\r\n", so that every command using it copies it out
 * whole). */
struct agg_str {
	/** bytes */
	const char* s;
	/** their length */
	size_t len;
	/** hash (any function of the bytes, the same for equal bytes
	 * within a batch; for keys the same across batches too, the
	 * EXPIRE memo uses it) */
	uint64_t h;
	/** offset of the bulk string in the arena, valid while gen is the
	 * table's */
	size_t off;
	/** length of its header ("$LEN\r\n") there */
	uint8_t hl;
	/** batch (struct agg.gen) off belongs to; 0 none */
	uint64_t gen;
};

/** One merged operation; strings are offsets into the arena. */
struct agg_ent {
	/** enum agg_op */
	int op;
	/** length of the RESP header of the key ("$LEN\r\n") */
	uint8_t khl;
	/** length of the RESP header of the member */
	uint8_t mhl;
	/** key: offset of its bulk string in the arena */
	size_t key;
	/** key length */
	size_t keylen;
	/** member/field: offset of its bulk string (none: memlen 0) */
	size_t mem;
	/** member/field length */
	size_t memlen;
	/** value offset (HSET, HSETNX; raw bytes) */
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
	/** batch number (struct agg_str.gen), starts at 1 */
	uint64_t gen;
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
#ifndef MXG_HAVE_READER_MAXELEMENTS
	/** hiredis < 1.0: the context's reply functions with the array
	 * creation capped (redis.c capped_array), and the ones it had */
	redisReplyObjectFunctions capped_fn;
	/** the reply functions of hiredis that capped_fn forwards to */
	const redisReplyObjectFunctions* hiredis_fn;
#endif
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
	/** buffer the replies of a pipeline are read into (RBUF_SIZE bytes,
	 * allocated on first use) */
	char* rbuf;
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
	/** texts of the last two seconds written ("first", "last"), by
	 * the parity of the second */
	uint64_t sec_v[2];
	/** those texts */
	char sec_txt[2][20];
	/** their lengths (0: none yet) */
	uint8_t sec_len[2];
	/** the day's keys (:clients, :domains, :nonrelay, :rules of yk_day;
	 * len 0: too long), kept from record to record, so that the merge
	 * table finds them by their arena offset and copies them once */
	struct agg_str yk[4];
	/** their bytes */
	char ykb[4][REDIS_KEY_MAX];
	/** the day (epoch minutes / 1440) they are for; UINT64_MAX none */
	uint64_t yk_day;
};

/** Grow a byte buffer (the merge table's arena, the output) to hold need
 * bytes: from 64 KiB, doubling. Inline in both (module/redis_agg.c,
 * module/redis_batch.c): their append paths stay without a call.
 * @return 1, or 0 with *oom set when realloc fails. */
static inline int
redis_buf_grow(char** b, size_t* cap, size_t need, int* oom)
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

/** Log a failure, at most once per LOG_INTERVAL_S while it keeps failing. */
void redis_log_failure(struct mxg_redis* r, const char* what);
/** Count a failure of the connection: drop it, arm the backoff. */
void redis_conn_failed(struct mxg_redis* r, uint64_t now_ms, const char* what);
/** The current pipeline or command must be done within timeout_ms. */
void redis_deadline_start(struct mxg_redis* r);
/** Wait until the socket is readable (deadline mode). @return 1 ready, 0
 * failed (the context has the error). */
int redis_wait_in(struct mxg_redis* r);
/** Write bytes to the server, within the deadline in deadline mode.
 * @return 1 ok, 0 failed (the context has the error). */
int redis_write_all(struct mxg_redis* r, const char* p, size_t n);
/** Write what hiredis has queued, within the deadline. @return 1 ok. */
int redis_flush_out(struct mxg_redis* r);
/** One reply, within the deadline in deadline mode. @return 1 and *v, or
 * 0 (the context has the error). */
int redis_get_reply(struct mxg_redis* r, void** v);
/** Describe a failed command reply into buf (never with arguments, and
 * with the password redacted should the server echo it). */
void redis_describe(char* buf, size_t len, const char* cmd, struct mxg_redis* r,
	const redisReply* rep);
/** Decimal text of v into buf (20 bytes; not NUL-terminated).
 * @return its length. */
size_t redis_u64_text(char* buf, uint64_t v);
/** Reset the table for a new batch (inline: module/redis_batch.c does it
 * at every send). */
static inline void
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
/**
 * Add an operation, merging it with an equal one (same op, key, member).
 * INCR/ZINCR/HINCR add n; HSET keeps the value of the highest seq (the
 * last record), HSETNX the value of the lowest (the first record).
 * @param mem: the member or field, NULL for none.
 * @param seq: number of the record the value comes from (HSET, HSETNX).
 */
void redis_agg_add(struct agg* a, int op, struct agg_str* key,
	struct agg_str* mem, const char* val, size_t vallen, int64_t n,
	uint64_t seq);
/** The EXPIRE (op AG_EXPIRE or AG_EXPIRE_NX) of a key, unless the memo
 * says its TTL was set less than MEMO_SECONDS ago.
 * @return 1 if the key is fresh (EXPIRE added), 0 if it was skipped. */
int redis_agg_expire(struct mxg_redis* r, int op, struct agg_str* key,
	uint32_t ttl);
/** Shorthand: counter op plus its EXPIRE (redis_agg_expire).
 * @return 1 if the key is fresh (EXPIRE added), 0 if it was skipped. */
int redis_agg_count(struct mxg_redis* r, int op, struct agg_str* key,
	struct agg_str* mem, int64_t n, int exp_op, uint32_t ttl);
/**
 * The next reply of a pipeline; a missing one (I/O error, timeout) fails the
 * connection. @param what: names the commands in the log line.
 * @return the reply (free it with freeReplyObject()), or NULL.
 */
redisReply* redis_next_reply(struct mxg_redis* r, const char* what, uint64_t now_ms);
/** An error reply to cmd is counted and logged (rate-limited).
 * @return 1 if rep is an error reply. */
int redis_reply_error(struct mxg_redis* r, const char* cmd,
	const redisReply* rep);
/**
 * Read n replies of a pipeline (integers, bulk strings, status lines or
 * errors: what the commands of a batch or a heartbeat answer). Error
 * replies are counted (and logged, rate-limited); a missing reply or one
 * of another type fails the connection.
 * @return 1 if all arrived, 0 if the connection failed.
 */
int redis_read_replies(struct mxg_redis* r, size_t n, uint64_t now_ms);
/** Empty the table (clearing only the index slots in use). */
void redis_pre_reset(struct pre* p);
/** Merge a record into the pre-aggregation table: a record that writes
 * the same keys and values as one already there only adds to its count. */
void redis_pre_add(struct mxg_redis* r, const struct mxg_redis_rec* x);
/** Move the records of the table into the merge table, in the order of
 * their first lookup, and empty it. */
void redis_pre_drain(struct mxg_redis* r);
/** Merge the counter operations of a (pre-aggregated) record: every
 * amount is multiplied by its number of lookups. */
void redis_add_group(struct mxg_redis* r, const struct pre_ent* g, const char* blob);

#endif /* MXGUARD_REDIS_INT_H */

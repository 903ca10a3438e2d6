/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/redis.h - Redis connection and the mxguard key schema.
 */
/** \file
 * The one place that talks to Redis (module/redis.c, redis_agg.c,
 * redis_batch.c, redis_reply.c and redis_keys.c; blocks.c uses the context
 * it hands out). It connects over
 * TCP ("host:port", "[v6addr]:port") or a Unix socket ("unix:/path") with a
 * connect timeout and a command timeout, authenticates (password, or ACL
 * user and password), selects the database, and reconnects with exponential
 * backoff and jitter.
 *
 * It also owns the key schema of docs/redis-schema.md: the sink thread hands
 * it a batch of records, it merges equal records and then the counters of
 * the batch (one INCRBY per key, not one per event), writes every command
 * in the Redis protocol with explicit lengths (binary-safe, no name is ever
 * pasted into a format string), hands them to hiredis as one pipeline and
 * then reads all the replies. Replies are checked defensively: error
 * replies (MISCONF, OOM, NOAUTH, ...) are counted, a missing reply (timeout,
 * connection lost) drops the connection and arms the backoff.
 *
 * Not thread-safe: one struct mxg_redis is used by one thread at a time.
 */
#ifndef MXGUARD_REDIS_H
#define MXGUARD_REDIS_H
#include <stddef.h>
#include <stdint.h>

struct mxg_conf;
struct mxg_redis;
/** hiredis' context (only module/redis*.c, blocks.c and the tools see its
 * layout). */
struct redisContext;

/** Key (after the prefix) holding the schema version, MXG_SCHEMA_VERSION. */
#define MXG_REDIS_SCHEMA_KEY "{meta}:schema"

/** Seconds kept for the per-minute buckets (capped at redis-ttl). */
#define MXG_REDIS_MINUTE_TTL 7200
/** Seconds a heartbeat hash lives without a refresh. */
#define MXG_REDIS_HEARTBEAT_TTL 30
/** First reconnect delay, milliseconds (doubles up to the maximum). */
#define MXG_REDIS_BACKOFF_MIN_MS 100
/** Longest reconnect delay, milliseconds. */
#define MXG_REDIS_BACKOFF_MAX_MS 10000

/** How to reach Redis. Strings are borrowed by mxg_redis_new(), which copies
 * them. */
struct mxg_redis_opts {
	/** "host:port", "[v6addr]:port", "host" (port 6379) or "unix:/path" */
	const char* server;
	/** ACL user, NULL for none (AUTH with the password only) */
	const char* user;
	/** password, NULL for none; never logged */
	const char* password;
	/** database number (SELECT when not 0) */
	int db;
	/** connect timeout, milliseconds (0: 500) */
	uint32_t connect_timeout_ms;
	/** command timeout, milliseconds (0: 1000) */
	uint32_t timeout_ms;
	/** key prefix, "" for none (never contains '{' or '}') */
	const char* prefix;
	/** TTL in seconds of the counters (0: 691200) */
	uint32_t ttl;
	/** approximate MAXLEN of the alert stream (0: 100000) */
	uint32_t stream_maxlen;
};

/** Fill opts from a config (pointers into cfg, which must outlive them). */
void mxg_redis_opts_from_conf(struct mxg_redis_opts* o,
	const struct mxg_conf* cfg);

/**
 * Create a connection handle; it does not connect yet.
 * @param o: options (copied).
 * @param err: reason on failure.
 * @param errlen: size of err.
 * @return NULL on malloc failure or a server string that does not parse.
 */
struct mxg_redis* mxg_redis_new(const struct mxg_redis_opts* o, char* err,
	size_t errlen);

/** Close the connection and free the handle. NULL is fine. */
void mxg_redis_free(struct mxg_redis* r);

/**
 * Connect, AUTH and SELECT now (blocking, bounded by the timeouts). On
 * failure the reason (never the password) is in err, the error is counted
 * and the backoff is armed.
 * @param r: the handle.
 * @param now_ms: current monotonic time in milliseconds (for the backoff).
 * @param err: reason on failure.
 * @param errlen: size of err.
 * @return 1 if connected, 0 otherwise.
 */
int mxg_redis_connect(struct mxg_redis* r, uint64_t now_ms, char* err,
	size_t errlen);

/** Is the connection up? */
int mxg_redis_connected(const struct mxg_redis* r);

/** Has the backoff delay since the last failure passed (or was there no
 * failure)? Always 1 while connected. */
int mxg_redis_may_retry(const struct mxg_redis* r, uint64_t now_ms);

/** Drop the connection (the next mxg_redis_connect starts a new one). */
void mxg_redis_disconnect(struct mxg_redis* r);

/** A command outside this file failed (module/blocks.c): count the error,
 * log it (rate-limited), drop the connection and arm the backoff. */
void mxg_redis_fail(struct mxg_redis* r, uint64_t now_ms, const char* what);

/** Redis errors so far: failed connects, error replies, timeouts. */
uint64_t mxg_redis_errors(const struct mxg_redis* r);

/** Reconnect delay that follows n consecutive failures (n >= 1), before
 * jitter: 100 ms doubling up to 10 s. */
uint32_t mxg_redis_backoff_ms(unsigned n);

/** Replace every occurrence of secret in the NUL-terminated buf by "***"
 * (a server may echo arguments in its error replies). Terminates for any
 * secret, "*" and "***" included: the search resumes after each
 * replacement. */
void mxg_redis_redact(char* buf, const char* secret);

/** Most elements a reply may announce (hiredis >= 1.0 refuses more; 0.14
 * has no such limit, see docs/security.md). */
#define MXG_REDIS_MAX_ELEMENTS 65536

/**
 * Deadline mode, for the sink thread: after connecting, the socket is
 * non-blocking and every command, pipeline write and pipeline read must be
 * done within redis-timeout as a whole (not per byte: a server sending one
 * byte a second fails it), and any wait ends at once when fd becomes
 * readable (the owner stopping). Set before connecting.
 * @param r: the handle.
 * @param fd: the wake descriptor (-1: none, deadlines only).
 */
void mxg_redis_set_wakefd(struct mxg_redis* r, int fd);

/**
 * Read one reply from the connection (within redis-timeout in deadline
 * mode), for callers that append commands to mxg_redis_context() themselves.
 * @return 1 with *reply set (free it), 0 on failure (the caller drops the
 *	connection).
 */
int mxg_redis_get_reply(struct mxg_redis* r, void** reply);

/** The hiredis context while connected, else NULL (for the report tool;
 * owned by r). */
struct redisContext* mxg_redis_context(struct mxg_redis* r);

/**
 * One event as the key schema needs it, prepared by the sink thread. Text
 * fields are NUL-terminated; names are presentation format as made by
 * mxg_jsonlog_name_text (escaped, so they never hold NUL).
 */
struct mxg_redis_rec {
	/** time of the lookup, milliseconds since the epoch */
	uint64_t time_ms;
	/** client as written into keys: the address, or "addr/len" when the
	 * client prefix length aggregates it */
	char client[56];
	/** base domain, lowercase, no trailing dot */
	char base[1025];
	/** client is an allowlisted relay */
	int relay;
	/** enum mxg_action of the verdict */
	int action;
	/** dry-run suppressed a refuse */
	int would_refuse;
	/** enum mxg_rule_id (MXG_RULE_COUNT: none) */
	int rule;
	/** the TCP retry of a truncated UDP answer (MXG_EV_RETRY): the UDP
	 * lookup's record counted it, this one adds to no key */
	int retry;
	/** country of the MX hosts, "" unknown */
	char country[3];
	/** ASN of the MX hosts, 0 unknown */
	uint32_t asn;
	/** AS organisation, "" unknown */
	char as_org[64];
	/** category of the base domain, "" none */
	char category[32];
	/** alert: number of field/value pairs in alert_argv (0: no alert) */
	int alert_n;
	/** alert: field, value, field, value, ... (borrowed, binary-safe) */
	const char* const* alert_argv;
	/** alert: lengths of alert_argv */
	const size_t* alert_len;
};

/**
 * Send the commands of a batch of records as one pipeline and read every
 * reply (mxg_redis_add + mxg_redis_send + mxg_redis_read). Needs a
 * connection and nothing pending.
 * @param r: the handle.
 * @param recs: the records.
 * @param n: number of records.
 * @param now_ms: monotonic time, for the backoff when the connection fails.
 * @return 1 if every reply arrived (error replies are counted, not fatal),
 *	0 if the connection failed (it is then dropped and the backoff armed).
 */
int mxg_redis_write(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms);

/**
 * Merge a batch of records into the pending commands (mxg_redis_write in
 * steps): records added between two mxg_redis_send calls that write the
 * same keys and values (same client, base, relay flag, verdict, rule,
 * minute, GeoIP and category) are merged into one with a count, and the
 * counters of all of them are merged, so a longer accumulation sends fewer
 * commands. Alerts are not merged: each record with alert_n > 0 gets its
 * own XADD, written to the handle's output at once (copied).
 * @param r: the handle.
 * @param recs: the records (may be reused once this returns).
 * @param n: number of records.
 * @param now_ms: monotonic time, for the backoff.
 * @return 1 if merged, 0 if not connected or the connection failed (what
 *	was pending is then lost).
 */
int mxg_redis_add(struct mxg_redis* r, const struct mxg_redis_rec* recs,
	size_t n, uint64_t now_ms);

/** Number of commands pending (merged, not sent yet), an upper estimate
 * that bounds the memory of the next send: a record not merged into the
 * counters yet counts as the most commands it can make, and the alerts
 * already written count by their size too (one per 256 bytes). */
size_t mxg_redis_pending(const struct mxg_redis* r);

/**
 * Send the pending commands as one pipeline without waiting for the
 * replies, so that the caller can go on while Redis works. Read the replies
 * with mxg_redis_read() (in the order the pipelines were sent) before any
 * other command on r.
 * @param r: the handle.
 * @param now_ms: monotonic time, for the backoff.
 * @param ncmd: set to the number of replies to read.
 * @return 1 if sent, 0 if the connection failed (dropped; any pipeline sent
 *	before and not read yet is lost as well).
 */
int mxg_redis_send(struct mxg_redis* r, uint64_t now_ms, size_t* ncmd);

/**
 * Read the ncmd replies of the oldest pipeline sent.
 * @return 1 if they all arrived (error replies are counted), 0 if the
 *	connection failed (dropped; later pipelines are lost as well).
 */
int mxg_redis_read(struct mxg_redis* r, size_t ncmd, uint64_t now_ms);

/** The fields of an instance heartbeat. */
struct mxg_redis_heartbeat {
	/** instance name */
	const char* instance;
	/** mode name ("log", "tag", "refuse", with " dry-run") */
	const char* mode;
	/** start time, seconds since the epoch */
	uint64_t started;
	/** now, seconds since the epoch */
	uint64_t now;
	/** events queued */
	uint64_t queued;
	/** events dropped, queue full */
	uint64_t dropped;
	/** events sent */
	uint64_t sent;
	/** events taken from the queue but not sent (Redis down) */
	uint64_t unsent;
	/** Redis errors */
	uint64_t errors;
	/** JSON log lines written */
	uint64_t logged;
	/** JSON log lines suppressed by the log limits */
	uint64_t log_suppressed;
	/** queue capacity */
	uint64_t queue_size;
	/** fleet mode on */
	int fleet;
	/** more fields (metrics, docs/redis-schema.md): name, value, name,
	 * value, ... (at most MXG_REDIS_HB_EXTRA pairs), or NULL */
	const char* const* extra;
	/** number of pairs in extra */
	size_t n_extra;
};

/** Most extra heartbeat fields. */
#define MXG_REDIS_HB_EXTRA 64

/**
 * Write the heartbeat hash, the instance index and the schema-version key.
 * @return 1 if every reply arrived, 0 if the connection failed.
 */
int mxg_redis_heartbeat(struct mxg_redis* r,
	const struct mxg_redis_heartbeat* hb, uint64_t now_ms);

/** Longest fleet value read, in decimal digits (UINT64_MAX has 20). */
#define MXG_FLEET_DIGITS 20

/**
 * Read per-minute client buckets back (fleet mode): for each client, the
 * counts of the minutes minute, minute-1, ..., minute-nmin+1, with one
 * GETRANGE 0..MXG_FLEET_DIGITS per key, pipelined: at most 21 bytes of a
 * value are read. A value that is not a decimal integer of at most
 * MXG_FLEET_DIGITS digits (fitting 64 bits) counts 0.
 * @param r: the handle.
 * @param clients: client strings as in struct mxg_redis_rec.client.
 * @param nclients: number of clients.
 * @param minute: current minute (epoch seconds / 60).
 * @param nmin: number of minutes per client (at most 60).
 * @param out: nclients * nmin counts; a missing key or a non-number is 0
 *	(the caller caps them).
 * @param now_ms: monotonic time, for the backoff.
 * @return 1 on success, 0 if the connection failed.
 */
int mxg_redis_read_minutes(struct mxg_redis* r, const char* const* clients,
	size_t nclients, uint64_t minute, unsigned nmin, uint64_t* out,
	uint64_t now_ms);

/**
 * Build a key of the schema: prefix + "{" + tag + "}" + suffix, where tag and
 * suffix are any bytes (binary-safe).
 * @return length, or 0 if it does not fit in buflen (buf then "").
 */
size_t mxg_redis_key(char* buf, size_t buflen, const char* prefix,
	const char* tag, size_t taglen, const char* suffix, size_t suffixlen);

/** UTC day of a time as "YYYYMMDD" (buf of at least 9 bytes). */
void mxg_redis_day(char* buf, uint64_t epoch_s);

#endif /* MXGUARD_REDIS_H */

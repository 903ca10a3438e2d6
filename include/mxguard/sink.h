/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/sink.h - bounded event queue and the background thread.
 */
/** \file
 * Workers push events into a bounded queue and never wait; when the queue is
 * full the event is dropped and counted. One background thread, started by
 * mxg_sink_start() in init and joined by mxg_sink_stop() in deinit, drains
 * the queue: it writes JSON log lines (module/jsonlog.c) and sends pipelined
 * batches to Redis (module/redis.c), reconnecting with backoff. Redis being
 * slow, down or wrong never reaches the query path.
 */
#ifndef MXGUARD_SINK_H
#define MXGUARD_SINK_H
#include <stdint.h>
#include "mxguard/blocks.h"
#include "mxguard/event.h"

struct mxg_conf;
struct mxg_geo;
struct mxg_category;
struct mxg_sink;

/**
 * Create the queue and start the thread.
 * @param cfg: config (must outlive the sink): redis-*, log-file, instance.
 * @param geo: GeoIP handle for MX hosts in reports, or NULL (borrowed).
 * @param cat: category list, or NULL (borrowed).
 * @return NULL with a reason in err on failure (no thread left running).
 *	A Redis that cannot be reached is not a failure: the thread keeps
 *	retrying with backoff and logs it.
 */
struct mxg_sink* mxg_sink_start(const struct mxg_conf* cfg,
	const struct mxg_geo* geo, const struct mxg_category* cat, char* err,
	size_t errlen);

/** Queue an event (copied). Never blocks, never allocates.
 * @return 1 if queued, 0 if dropped (queue full or sink NULL). */
int mxg_sink_push(struct mxg_sink* s, const struct mxg_event* ev);

/** Queue an event built in place: the queue's slot for the next event,
 * which the caller fills and then hands over with mxg_sink_commit(pos) at
 * once (the thread reads the queue in order, so it waits for this slot).
 * Never blocks, never allocates. @return the slot, or NULL (queue full,
 * counted as dropped, or sink NULL). */
struct mxg_event* mxg_sink_reserve(struct mxg_sink* s, size_t* pos);

/** Hand over the event of a slot from mxg_sink_reserve(). */
void mxg_sink_commit(struct mxg_sink* s, size_t pos);

/** Stop the thread (sending what is queued, bounded by the Redis timeout),
 * close the connection and free everything. NULL is fine. */
void mxg_sink_stop(struct mxg_sink* s);

/** Counters of the sink (atomics; read at any time). */
struct mxg_sink_stats {
	/** events queued */
	uint64_t queued;
	/** events dropped because the queue was full */
	uint64_t dropped;
	/** events whose Redis commands were sent and answered */
	uint64_t sent;
	/** Redis errors (connect failures, error replies, timeouts) */
	uint64_t errors;
	/** JSON log lines written */
	uint64_t logged;
	/** 1 while connected to Redis */
	uint64_t connected;
	/** fleet-wide counts read back (fleet mode) */
	uint64_t fleet_reads;
	/** events taken from the queue but not sent to Redis (Redis down,
	 * connection lost during the batch) */
	uint64_t unsent;
	/** JSON log lines suppressed by the log limits (mxg_sink_log_allow) */
	uint64_t log_suppressed;
};

/**
 * May a verdict have a JSON log line? The log-rate limits of
 * include/mxguard/loglimit.h (per client, a share kept for refuse and tag,
 * one "blocked" line per block-duration); lock-free, for the query path.
 * @param s: the sink (NULL: no).
 * @param family, addr: the client.
 * @param strong: refuse or tag verdict (or would-refuse).
 * @param blocked: rule "blocked".
 * @param now_ms: time in milliseconds.
 * @return 1 to log it (set MXG_EV_LOG), 0 suppressed (counted).
 */
int mxg_sink_log_allow(struct mxg_sink* s, int family, const uint8_t* addr,
	int strong, int blocked, uint64_t now_ms);

/** Read the counters. */
void mxg_sink_get_stats(const struct mxg_sink* s, struct mxg_sink_stats* st);

/**
 * Fleet mode: the fleet-wide number of MX lookups of a client, summed over
 * every resolver writing to the same Redis, as last read back by the sink
 * thread (about once a second, FLEET_MS in module/sink_int.h).
 *
 * The thread tracks the clients this resolver saw in the last 10 minutes
 * (at most 1024; when full, idle ones and then the least busy half are
 * dropped) and reads their per-minute buckets (GETRANGE: at most 21 bytes
 * of a value; decimal integers only, capped per minute at volume-limit x
 * fleet-instances). The table is protected by a mutex
 * held only for a hash probe here and briefly by the thread, so the query
 * path may call this. Granularity is one minute: the window covers the
 * ceil(window_s / 60) most recent minute buckets, the current partial minute
 * included, at most 10.
 * @param s: the sink (NULL: not found).
 * @param family: AF_INET or AF_INET6.
 * @param addr: 4 or 16 bytes; masked to client-prefix-v4/v6 like the keys.
 * @param window_s: window in seconds.
 * @param now_s: current time, epoch seconds.
 * @param count: set to the sum (0 when not found).
 * @return 1 if the client has fleet counts, 0 if not (not fleet mode,
 *	client not tracked yet, or not read back yet).
 */
int mxg_sink_fleet_count(struct mxg_sink* s, int family,
	const uint8_t* addr, uint32_t window_s, uint64_t now_s,
	uint64_t* count);

/**
 * Where the thread applies the blocks and lifts it reads from Redis
 * (P{blocks}, include/mxguard/blocks.h): the module passes mxg_block_apply
 * and its engine right after the start. The thread then reads every block
 * (so blocks survive a reload and a restart) and, every second, those that
 * changed. Without redis-server it does nothing.
 */
void mxg_sink_set_blocks(struct mxg_sink* s, mxg_block_apply_fn fn,
	void* arg);

/** One metric of the heartbeat (docs/redis-schema.md, P{inst:NAME}). */
struct mxg_metric {
	/** field name */
	char name[48];
	/** value */
	uint64_t value;
};

/** The module's metrics: fill up to max entries, return how many. Called
 * by the thread before each heartbeat; must only read atomics. */
typedef size_t (*mxg_sink_metrics_fn)(void* arg, struct mxg_metric* m,
	size_t max);

/** Add the module's metrics to the heartbeat (set once after the start;
 * the sink adds its queue depth itself). */
void mxg_sink_set_metrics(struct mxg_sink* s, mxg_sink_metrics_fn fn,
	void* arg);

#endif /* MXGUARD_SINK_H */

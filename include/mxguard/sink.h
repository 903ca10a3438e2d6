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
};

/** Read the counters. */
void mxg_sink_get_stats(const struct mxg_sink* s, struct mxg_sink_stats* st);

#endif /* MXGUARD_SINK_H */

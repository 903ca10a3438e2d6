/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/sink_int.h - what the parts of the sink share.
 */
/** \file
 * The sink is module/sink.c (the thread: batches, the Redis records and
 * alerts, the heartbeat; start and stop), module/sink_queue.c (the bounded
 * event queue), module/sink_fleet.c (the fleet table) and
 * module/sink_log.c (the JSON log file). This header holds their limits,
 * struct mxg_sink and the functions one part calls in another. Private to
 * those files: the rest of mxguard uses include/mxguard/sink.h.
 */
#ifndef MXGUARD_SINK_INT_H
#define MXGUARD_SINK_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "mxguard/sink.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/loglimit.h"

/** Most events taken from the queue at once. */
#define BATCH 1024
/** Counters are merged for this long (milliseconds) before they are sent
 * as one pipeline: a client or domain seen many times in that time costs
 * one INCRBY. */
#define FLUSH_MS 100
/** ... or until this many commands are pending: it bounds the thread's
 * working memory (the merge table, the command buffer and hiredis' copy
 * of it take a few hundred bytes per command) when Redis is slow and the
 * queue backs up. */
#define FLUSH_CMDS 16384
/** Longest idle sleep of the consumer, milliseconds. */
#define IDLE_WAIT_MS 50
/** A worker wakes the sleeping consumer once per this many events (a power
 * of two; a quarter of the queue when that is smaller). */
#define WAKE_EVERY 256
/** Interval between two heartbeats, milliseconds. */
#define HEARTBEAT_MS 5000
/** Interval between two checks that the log file was rotated. */
#define LOGCHECK_MS 3000
/** Interval between two checks for replaced GeoIP files. */
#define GEOCHECK_MS 10000
/** Interval between two errors about the log file, milliseconds. */
#define LOG_ERR_MS 60000
/** Interval between two fleet read-backs, milliseconds. */
#define FLEET_MS 1000
/** Slots of the fleet table (a power of two). */
#define FLEET_SLOTS 2048
/** Most clients tracked in the fleet table. */
#define FLEET_MAX 1024
/** Minutes of fleet counts read per client (longest window: 10 min). */
#define FLEET_MIN 10
/** A client stays in the fleet table this long after its last lookup. */
#define FLEET_ACTIVE_S 600
/** Bytes of log lines collected before a write(). */
#define LOGBUF 65536

/** One slot of the ring. */
struct slot {
	/** sequence number: pos when free for the producer of pos, pos + 1
	 * when it holds the event of pos */
	_Atomic size_t seq;
	/** the event */
	struct mxg_event ev;
};

/** One client of the fleet table. */
struct fleet_ent {
	/** slot in use */
	uint8_t used;
	/** address family */
	uint8_t family;
	/** masked address */
	uint8_t addr[16];
	/** the client as written in keys */
	char client[56];
	/** last local lookup, epoch seconds */
	uint64_t last_s;
	/** local lookups while in the table: a purge keeps the busiest */
	uint32_t hits;
	/** minute of counts[0] (epoch s / 60); 0: never read */
	uint64_t minute;
	/** fleet-wide lookups per minute: counts[i] is minute - i */
	uint64_t counts[FLEET_MIN];
};

/** The sink. */
struct mxg_sink {
	/** configuration (borrowed) */
	const struct mxg_conf* cfg;
	/** GeoIP (borrowed), may be NULL */
	const struct mxg_geo* geo;
	/** categories (borrowed), may be NULL */
	const struct mxg_category* cat;
	/** instance name (malloc'd) */
	char* instance;
	/** ring of slots; capacity is mask + 1 (a power of two) */
	struct slot* ring;
	/** capacity - 1 */
	size_t mask;
	/** a push at a position p with ((p + 1) & wake_mask) == 0 wakes the
	 * consumer (set at start, read-only after) */
	size_t wake_mask;
	/** next position producers claim */
	_Atomic size_t tail;
	/** next position the consumer reads (consumer only) */
	size_t head;
	/** the consumer is (about to be) asleep */
	_Atomic int sleeping;
	/** stop requested */
	_Atomic int stop;
	/** protects the condition variable only */
	pthread_mutex_t mu;
	/** wakes the consumer */
	pthread_cond_t cv;
	/** the thread */
	pthread_t thr;
	/** events queued */
	_Atomic uint64_t queued;
	/** events dropped (queue full) */
	_Atomic uint64_t dropped;
	/** events sent to Redis and answered */
	_Atomic uint64_t sent;
	/** events not sent (Redis down or lost during the pipeline) */
	_Atomic uint64_t unsent;
	/** Redis errors (copied from the handle by the thread) */
	_Atomic uint64_t errors;
	/** JSON log lines written */
	_Atomic uint64_t logged;
	/** 1 while connected */
	_Atomic uint64_t connected;
	/** fleet read-backs done */
	_Atomic uint64_t fleet_reads;
	/** Redis handle (thread only), NULL when no redis-server */
	struct mxg_redis* redis;
	/** log file descriptor (thread only), -1 none */
	int logfd;
	/** monotonic ms before which no log-file error is logged again
	 * (thread only, after the start) */
	uint64_t log_err_next;
	/** start time, epoch seconds */
	uint64_t started;
	/** wake pipe: [0] read by the Redis waits, [1] written by stop */
	int wake[2];
	/** the JSON log limits (atomics inside, see loglimit.h) */
	struct mxg_loglimit loglim;
	/** client-prefix-v4/v6 masks (set at start, read-only) */
	struct mxg_client_mask cmask;
	/** protects the fleet table */
	pthread_mutex_t fleet_mu;
	/** fleet table (FLEET_SLOTS), NULL unless fleet mode */
	struct fleet_ent* fleet;
	/** live entries of the fleet table */
	size_t fleet_n;
	/** the module's metrics for the heartbeat (set once) */
	_Atomic(mxg_sink_metrics_fn) metrics_fn;
	/** argument of metrics_fn */
	_Atomic(void*) metrics_arg;
	/** blocks shared through Redis (thread only, but for
	 * mxg_sink_set_blocks), NULL when no redis-server */
	struct mxg_blocksync* blocks;
};

/** Take up to max events from the queue (consumer only). */
size_t sink_pop_batch(struct mxg_sink* s, struct mxg_event* out, size_t max);
/** Sleep until woken, an event arrives, stop, or ms pass. */
void sink_idle_wait(struct mxg_sink* s, uint64_t ms);
/** Note local lookups of a batch in the fleet table. */
void sink_fleet_note(struct mxg_sink* s, const struct mxg_event* ev, size_t n);
/** Read fleet-wide counts of the active clients back from Redis. */
void sink_fleet_read(struct mxg_sink* s, uint64_t now_ms);
/** Open (or reopen) the log file. O_NOFOLLOW: a symbolic link put in
 * place of the log file is not followed (docs/security.md). */
void sink_log_open(struct mxg_sink* s);
/** Reopen the log file if it was moved away (rotated) or deleted. */
void sink_log_check(struct mxg_sink* s);
/** Write collected log lines. */
void sink_log_flush(struct mxg_sink* s, char* buf, size_t* len);

#endif /* MXGUARD_SINK_INT_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/loglimit.h - which verdicts get a JSON log line.
 */
/** \file
 * The limit on JSON log lines (`log-rate:` lines per second), shared fairly:
 * - each client (as counted, include/mxguard/clientkey.h) gets at most a
 *   tenth of log-rate (at least one line a second), so one client cannot
 *   use up the lines of everybody else;
 * - half of log-rate is kept for refuse and tag verdicts (and would-refuse
 *   ones under dry-run): a flood of log verdicts cannot crowd them out;
 * - a blocked client gets one "blocked" line per block-duration, not one per
 *   refused lookup.
 * Lines over a limit are counted (mxg_loglimit_suppressed; the heartbeat and
 * the sink's stats carry the count). Lock-free: the per-client state is a
 * fixed table of slots indexed by a keyed hash of the client, updated with
 * atomics; a client taking over another's slot restarts that slot's budget
 * (so a collision only ever lets more lines through). The time is an
 * argument, so tests use a fake clock.
 */
#ifndef MXGUARD_LOGLIMIT_H
#define MXGUARD_LOGLIMIT_H
#include <stdint.h>
#include "mxguard/clientkey.h"
#include "mxguard/jsonlog.h"

/** Slots of the per-client table (a power of two; 64 KiB). */
#define MXG_LOGLIMIT_SLOTS 4096

/** The per-client state of one slot. */
struct mxg_loglimit_slot {
	/** keyed hash of the client owning the slot (0: free) */
	_Atomic uint64_t key;
	/** theoretical arrival time of its next line (GCRA, units of
	 * 1/per_client ms) */
	_Atomic uint64_t tat;
	/** its "blocked" line was logged; none again before this second */
	_Atomic uint64_t blocked_until;
};

/** The limiter. Set up by mxg_loglimit_init, read-only after except the
 * atomics. */
struct mxg_loglimit {
	/** log-rate; 0: unlimited */
	uint32_t rate;
	/** lines per second of one client */
	uint32_t per_client;
	/** block-duration, seconds (at least 1) */
	uint32_t block_s;
	/** lines any verdict may take (log-rate minus the reserved share) */
	struct mxg_ratelimit any;
	/** the share kept for refuse and tag verdicts (unused when 0) */
	struct mxg_ratelimit strong;
	/** rate of strong, 0: no reserved share */
	uint32_t strong_rate;
	/** client-prefix masks */
	struct mxg_client_mask mask;
	/** hash key */
	uint64_t seed[2];
	/** lines suppressed */
	_Atomic uint64_t suppressed;
	/** MXG_LOGLIMIT_SLOTS slots (NULL when rate is 0) */
	struct mxg_loglimit_slot* slot;
};

/**
 * Set up a limiter.
 * @param l: the limiter.
 * @param rate: log-rate, lines per second (0: unlimited).
 * @param block_s: block-duration, seconds.
 * @param prefix_v4: client-prefix-v4.
 * @param prefix_v6: client-prefix-v6.
 * @return 1, or 0 when out of memory.
 */
int mxg_loglimit_init(struct mxg_loglimit* l, uint32_t rate,
	uint32_t block_s, int prefix_v4, int prefix_v6);

/** Free what init allocated. */
void mxg_loglimit_free(struct mxg_loglimit* l);

/**
 * May this verdict have a log line now? Thread-safe, lock-free, no
 * allocation: callable on the query path.
 * @param l: the limiter.
 * @param family: client family (AF_INET, AF_INET6).
 * @param addr: client address (4 or 16 bytes).
 * @param strong: a refuse or tag verdict (or would-refuse).
 * @param blocked: the verdict is rule "blocked".
 * @param now_ms: time, milliseconds.
 * @return 1 if the line may go out, 0 if it is suppressed (and counted).
 */
int mxg_loglimit_allow(struct mxg_loglimit* l, int family,
	const uint8_t* addr, int strong, int blocked, uint64_t now_ms);

/** Lines suppressed so far. */
uint64_t mxg_loglimit_suppressed(const struct mxg_loglimit* l);

#endif /* MXGUARD_LOGLIMIT_H */

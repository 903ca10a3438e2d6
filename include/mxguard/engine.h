/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/engine.h - the detection engine: observation in, verdict out.
 */
/** \file
 * The decision logic of mxguard, without Unbound: allowlist, name features,
 * sliding windows, the seven rules and blocks. One engine per loaded config,
 * shared by every worker thread (its tables are sharded and locked inside;
 * see module/engine.c). The time is passed in with each observation.
 */
#ifndef MXGUARD_ENGINE_H
#define MXGUARD_ENGINE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "mxguard/mxguard.h"
#include "mxguard/obs.h"

struct mxg_conf;
struct mxg_engine;

/** Longest reason text, including NUL. */
#define MXG_REASON_MAX 192

/** What the engine decided for one observation. */
struct mxg_verdict {
	/** action to take, after per-rule action, mode and dry-run */
	enum mxg_action action;
	/** the rule would have refused, but dry-run is on (action is LOG) */
	int would_refuse;
	/** rule that decided; MXG_RULE_COUNT when nothing fired */
	enum mxg_rule_id rule;
	/** one line in the style of the seed alert, e.g.
	 * "client 10.1.2.3 made 14 MX lookups (5 numeric prefixes) for
	 * evil.example in 1h"; "" when nothing fired */
	char reason[MXG_REASON_MAX];
	/** the client is an allowlisted relay */
	int is_relay;
	/** offset in obs->qname of the base (registrable) domain, wire format;
	 * 0 when the name is itself a public suffix or unknown */
	size_t base_off;
	/** staging-shape score of the answer (0..100), 0 when no answer */
	unsigned shape_score;
	/** the lookup is the TCP retry of a truncated UDP answer (same
	 * client and name, within seconds): judged, but not counted again,
	 * here or in Redis */
	int retry;
};

/**
 * Create an engine for a config. The engine keeps a pointer to cfg (which
 * must outlive it) and takes over nothing else.
 * @return NULL with a reason in err on failure.
 */
struct mxg_engine* mxg_engine_new(const struct mxg_conf* cfg, char* err,
	size_t errlen);

/** Destroy an engine. NULL is fine. */
void mxg_engine_free(struct mxg_engine* e);

/**
 * Judge one observation. Thread-safe; never blocks on I/O.
 * - MXG_OBS_QUERY: counts the lookup in the windows and evaluates the
 *   counting rules and blocks (non-relay, volume, fanout, staging-window,
 *   blocked).
 * - MXG_OBS_ANSWER: evaluates the answer rules (staging-shape,
 *   staging-drip, country) and blocks; counts no lookup (staging-drip adds
 *   the answer's encoded bytes to its budget). A refusing answer verdict
 *   starts a block of the client+base domain for block-duration.
 * - MXG_OBS_CACHED: both of the above.
 * The strongest verdict wins; on a tie any rule beats non-relay, then the
 * first rule in enum order.
 * @param v: filled in (always).
 */
void mxg_engine_observe(struct mxg_engine* e, const struct mxg_obs* obs,
	struct mxg_verdict* v);

/**
 * Fleet mode: where the engine gets a client's MX lookups summed over every
 * resolver sharing one Redis (mxg_sink_fleet_count). Called on the query path
 * with a table lock held, so it must be quick and must not block.
 * @return 1 and *count when known, 0 otherwise.
 */
typedef int (*mxg_fleet_count_fn)(void* arg, int family, const uint8_t* addr,
	uint32_t window_s, uint64_t now_s, uint64_t* count);

/** Let the volume rule fire on the fleet-wide count: the count compared
 * with volume-limit is the larger of this resolver's own and the fleet's.
 * Set once after mxg_engine_new, before any observation. */
void mxg_engine_set_fleet(struct mxg_engine* e, mxg_fleet_count_fn fn,
	void* arg);

/** Would the country rule find an MX host of obs (its countries) in a
 * denied country? 0 also when the rule is off. The glue remembers the
 * answers it says no for (mxg_geo_set_remember) and then does not look
 * their countries up again. Thread-safe. */
int mxg_engine_country_denied(const struct mxg_engine* e,
	const struct mxg_obs* obs);

/** Could any enabled rule refuse (after mode, per-rule action, dry-run)?
 * The glue keeps MX answers out of Unbound's cache only then. */
int mxg_engine_can_refuse(const struct mxg_engine* e);

/**
 * Block or lift a block from outside the rules: a block of mxguard-report,
 * one read back from Redis after a reload, or another resolver's. Called by
 * the background thread; takes the shard locks like an observation, so it
 * is safe while workers run, and costs the query path nothing.
 * @param family: AF_INET or AF_INET6.
 * @param addr: the client or netblock address (4 or 16 bytes).
 * @param plen: its prefix length. A netblock wider than the client key
 *	(client-prefix-v4/v6) is spread over its keys when there are at most
 *	MXG_BLOCK_EXPAND_MAX of them; a narrower one blocks its whole key.
 * @param base: base domain in wire format (a longer name is reduced to its
 *	base domain), or NULL for every domain of the client.
 * @param base_len: length of base.
 * @param rule: the rule that started it, MXG_RULE_BLOCKED for the operator.
 * @param until: end of the block (epoch seconds); a running block ends at
 *	the later of both. 0 lifts the block at once.
 * @param now: the time.
 * @return number of keys changed, -1 with a reason in err.
 */
int mxg_engine_block(struct mxg_engine* e, int family, const uint8_t* addr,
	int plen, const uint8_t* base, size_t base_len, enum mxg_rule_id rule,
	uint64_t until, time_t now, char* err, size_t errlen);

/** Counters of the engine, for logs, stats and the Redis heartbeat. */
struct mxg_engine_stats {
	/** observations judged */
	uint64_t observed;
	/** tracked keys now (clients, client+base, domains) */
	uint64_t keys;
	/** keys evicted to stay under max-memory */
	uint64_t evictions;
	/** bytes used by the tables */
	uint64_t mem;
	/** verdicts per action */
	uint64_t verdicts[MXG_ACT_REFUSE + 1];
	/** verdicts per rule and action (for the metrics) */
	uint64_t by_rule[MXG_RULE_COUNT][MXG_ACT_REFUSE + 1];
};

/** Read the engine's counters (approximate while workers run). */
void mxg_engine_get_stats(const struct mxg_engine* e,
	struct mxg_engine_stats* st);

#endif /* MXGUARD_ENGINE_H */

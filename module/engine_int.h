/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/engine_int.h - what the parts of the engine share.
 */
/** \file
 * The engine is module/engine.c (an observation in, a verdict out: the
 * rules on the window counters), module/engine_reason.c (the text of a
 * verdict) and module/engine_ctl.c (what the module and the blocks thread
 * ask of it besides: statistics, blocks). This header holds struct
 * mxg_engine, the features of one lookup and the functions one part calls
 * in another. Private to those files: see include/mxguard/engine.h.
 */
#ifndef MXGUARD_ENGINE_INT_H
#define MXGUARD_ENGINE_INT_H
#include <stdatomic.h>
#include <stdint.h>
#include "mxguard/allowlist.h"
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/hash.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"
#include "mxguard/window.h"

/** Bits of a key that pick its shard in the window table. */
#define SHARD_BITS (0x3fULL << 58)

/** Stripes of the statistics counters (cache-line apart). */
#define STAT_STRIPES 16

/** Caller words of a window entry. Pair: fired time per rule slot. */
enum {
	/** pair: non-relay reported; client: volume reported */
	U_FIRED0 = 0,
	/** pair: staging-window; client: fanout */
	U_FIRED1 = 1,
	/** pair: staging-shape */
	U_FIRED2 = 2,
	/** pair: country; client: relay cache (U_RELAY_*) */
	U_FIRED3 = 3,
	/** block ends (seconds, low 32 bits), 0 none */
	U_BLOCK_UNTIL = 4,
	/** rule that started the block */
	U_BLOCK_RULE = 5,
	/** pair, in the extension's words (slot - MXG_WINDOW_USER):
	 * staging-drip */
	U_FIRED4 = MXG_WINDOW_USER
};

/** Caller words of a pair's extension. */
enum {
	/** staging-drip reported (slot U_FIRED4) */
	X_DRIP_FIRED = 0,
	/** fingerprint of the encoded labels of the latest answer that had
	 * any: staging-drip counts an answer only when it differs */
	X_DRIP_FP = 1,
	/** number of words */
	X_WORDS = 2
};

/** Pair counters: lookups (inline), then in the extension the
 * numeric-prefixed lookups and the encoded bytes of staging-drip. */
enum {
	/** lookups of the base domain */
	C_LOOKUPS = 0,
	/** numeric-prefixed lookups (extension) */
	C_NUMERIC = 1,
	/** encoded bytes in MX exchanges of new answers (extension) */
	C_DRIP = 2
};

/** Client word U_FIRED3: relay status known. */
#define U_RELAY_KNOWN 1
/** Client word U_FIRED3: the client is a relay. */
#define U_RELAY_YES 2
/** Pair word U_BLOCK_RULE, above the rule (U_BLOCK_RULE_MASK): the client
 * key is one address and a relay, so the lookups of this pair need not
 * read the client entry (a relay has no volume, fanout or block). Cleared
 * when a block writes the word; then the client entry is asked again. */
#define P_RELAY 0x80000000u
/** The rule in word U_BLOCK_RULE. */
#define U_BLOCK_RULE_MASK 0xffu

/** Counters of one stripe. */
struct stat_stripe {
	/** verdicts per rule (MXG_RULE_COUNT: none fired) and action; every
	 * observation counts one, so their sum is the observations */
	_Atomic uint64_t verdicts[MXG_RULE_COUNT + 1][MXG_ACT_REFUSE + 1];
} __attribute__((aligned(64)));

/** Slots of the recent-UDP table (a power of two; 32 KiB). */
#define TC_SLOTS 4096
/** A TCP lookup this many seconds after the UDP one is its retry. */
#define TC_RETRY_S 3

/** The engine. */
struct mxg_engine {
	/** the config (borrowed) */
	const struct mxg_conf* cfg;
	/** the table of windows */
	struct mxg_window* win;
	/** memo of base domains */
	struct mxg_basememo* memo;
	/** keys of the hashes */
	uint64_t seed[3];
	/** recent UDP lookups (TC_SLOTS words: 48-bit tag of client + name,
	 * 16 bits of the second), relaxed atomics: a TCP lookup of the same
	 * client and name within TC_RETRY_S is the retry of a truncated
	 * answer and is not counted again (the word is taken, once) */
	_Atomic uint64_t* udp_recent;
	/** per rule: enabled */
	int on[MXG_RULE_COUNT];
	/** per rule: action after mode and dry-run */
	enum mxg_action act[MXG_RULE_COUNT];
	/** per rule: the action with dry-run off (REFUSE means refusing or
	 * would-refuse) */
	enum mxg_action act_real[MXG_RULE_COUNT];
	/** per rule: the period of its reports (staging-drip: its window,
	 * the pair's staging-window-period) */
	uint32_t period[MXG_RULE_COUNT];
	/** bytes of memory of the memo */
	size_t memo_mem;
	/** masks of client-prefix-v4/v6 */
	struct mxg_client_mask cmask;
	/** fleet-wide counts (fleet mode), NULL when off; set before use */
	mxg_fleet_count_fn fleet_fn;
	/** argument of fleet_fn (the sink) */
	void* fleet_arg;
	/** counters */
	struct stat_stripe stats[STAT_STRIPES];
};

/** A rule that fired, before it becomes the verdict. */
struct cand {
	/** the rule, MXG_RULE_COUNT for none */
	enum mxg_rule_id rule;
	/** action */
	enum mxg_action act;
	/** dry-run turned a refuse into this log */
	int would;
	/** kind of the key it belongs to */
	enum mxg_window_kind kind;
	/** fired slot in that key (-1: none) */
	int slot;
	/** numbers for the reason */
	uint32_t n1, n2, n3;
	/** first seen of the key */
	time_t first;
	/** blocked: the rule that started the block */
	enum mxg_rule_id orig;
	/** blocked: seconds left */
	uint32_t left;
	/** country: index in obs->countries */
	size_t ci;
};

/** Everything computed about one observation. */
struct feat {
	/** the client is a relay */
	int relay;
	/** normalised family (AF_INET for IPv4-mapped) */
	int fam;
	/** masked address */
	uint8_t addr[16];
	/** prefix length kept */
	int plen;
	/** client key */
	uint64_t ckey;
	/** client + base key */
	uint64_t pkey;
	/** hash of the query name */
	uint64_t qh;
	/** keyed hash of the base domain (folded for the fanout set) */
	uint64_t bh;
	/** offset of the base domain */
	size_t base_off;
	/** numeric prefix left of the base */
	int numeric;
	/** shape detail, valid when shape_on */
	struct mxg_shape shape;
	/** the shape score was computed */
	int shape_on;
	/** index of a denied country, or (size_t)-1 */
	size_t deny;
	/** staging-drip: encoded characters in the answer's exchanges */
	uint32_t enc;
	/** staging-drip: fingerprint of those labels (nonzero when enc) */
	uint32_t enc_fp;
	/** the volume count is the fleet's (fleet mode) */
	int fleet;
	/** fleet mode: the fleet-wide count was read (before the shard
	 * lock: the fleet table has a mutex of its own) */
	int fleet_have;
	/** ... and it is */
	uint64_t fleet_n;
};

/** The two-word mixer of include/mxguard/hash.h (mxg_hash_mum), by the
 * short name the query path uses. */
static inline uint64_t
mix(uint64_t a, uint64_t b)
{
	return mxg_hash_mum(a, b);
}

/**
 * Case-insensitive keyed hash of a name in wire format: 8 bytes a step,
 * the last step overlapping, so a 10..16 byte name costs two steps; equal
 * names up to ASCII case hash equal. The engine hashes the query name with
 * it (name_hash: the base-domain memo's and the TCP-retry note's key) and
 * the base domain (the pair key and the fanout set) with the same seed, so
 * that a query name that is its own base domain, the common case, is
 * hashed once.
 */
static inline uint64_t
base_hash(const uint8_t* p, size_t len, uint64_t seed)
{
	uint64_t h = seed ^ len, w = 0;
	size_t i;
	if(len < 8) {
		memcpy(&w, p, len);
		return mix(h ^ mxg_lower8(w), 0x9e3779b97f4a7c15ULL);
	}
	for(i = 0; i + 8 < len; i += 8) {
		memcpy(&w, p + i, 8);
		h = mix(h ^ mxg_lower8(w), 0x9e3779b97f4a7c15ULL);
	}
	memcpy(&w, p + len - 8, 8);
	return mix(h ^ mxg_lower8(w), 0xbf58476d1ce4e5b9ULL);
}

/** The keyed hash of a query name (base_hash with the engine's seed 1):
 * a name that is its own base domain (base offset 0) has its base hash. */
static inline uint64_t
name_hash(const struct mxg_engine* e, const uint8_t* p, size_t len)
{
	return base_hash(p, len, e->seed[1]);
}

/** Client key: normalise and mask the address
 * (include/mxguard/clientkey.h), hash it with the seed. */
static inline void
client_key(const struct mxg_engine* e, const struct mxg_obs* obs,
	struct feat* f)
{
	struct mxg_client k;
	uint64_t lo, hi;
	mxg_client_key(&k, &e->cmask, obs->client_family, obs->client_addr);
	f->fam = k.family;
	f->plen = k.plen;
	memcpy(f->addr, k.addr, 16);
	memcpy(&lo, k.addr, 8);
	memcpy(&hi, k.addr + 8, 8);
	f->ckey = mix(lo ^ e->seed[0], hi ^ e->seed[1] ^
		((uint64_t)f->fam << 56));
}

/** Write the reason of the winning candidate. */
void engine_reason(const struct mxg_engine* e, const struct mxg_obs* obs,
	const struct feat* f, const struct cand* c, const char* samples,
	struct mxg_verdict* v);

#endif /* MXGUARD_ENGINE_INT_H */

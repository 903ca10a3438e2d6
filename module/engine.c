/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/engine.c - the detection engine: observation in, verdict out.
 */
/** \file
 * Implements include/mxguard/engine.h. Per observation:
 *
 * 1. Features, outside any lock: the client key (IPv4-mapped IPv6 is
 *    treated as IPv4, then the address is masked to client-prefix-v4/v6
 *    bits), the keyed hash of the query name, its base domain through the
 *    memo of mxg_names_memo_lookup_keyed (libpsl is called only on a memo
 *    miss), the keyed hash of the base domain (the same hash: a name that
 *    is its own base domain is hashed once), whether the leftmost label left of the
 *    base domain is numeric, and for answers the shape score (with the
 *    encoded bytes and their fingerprint for staging-drip) and
 *    deny-country.
 * 2. One lock: the pair key (client + base domain) carries the client key's
 *    top 6 bits, so both entries live in the same shard of the window table
 *    and one mxg_window_shard_lock() covers them. Relay or not
 *    (mxg_allowlist_match), cached in the client entry when the key is one
 *    address (/32, /128); count; evaluate the client's rules (volume,
 *    fanout, block) and the pair's (non-relay, staging-window,
 *    staging-drip, staging-shape, country, block); start blocks; mark the
 *    winning rule fired; copy the staging details if it won.
 * 3. After the unlock, the reason text of the winner (only when a rule
 *    fired). Ties go to the first rule in enum order.
 *
 * Cost (tests/bench/bench_engine.c, cachegrind, x86-64 -O2): about 1,000
 * instructions for a known name from a known client with 10 relay
 * netblocks; a new base domain adds the libpsl call (memo miss), a new
 * entry and the non-relay reason text.
 *
 * Keys of the window table are 64-bit hashes keyed with a random seed, so
 * clients cannot aim collisions at someone else's counters.
 *
 * Decisions (docs/detection.md repeats them for operators):
 * - Relays are counted like every client but never blocked: the non-relay,
 *   volume and fanout rules do not apply to them (looking up many MX is their
 *   job), the other rules are capped at LOG (without would_refuse), no block
 *   is ever started for a relay, and a block left from before a reload that
 *   made the client a relay is ignored.
 * - A verdict fires when its threshold is crossed and again at most once per
 *   rule period for the same key, except when the rule's action is REFUSE
 *   (or would be, in dry-run): then every lookup over the threshold gets it.
 *   At the same action non-relay loses to every other rule, then the first
 *   rule in enum order wins. Only the winning rule is marked as fired, so a
 *   rule that lost the tie reports on the next lookup.
 * - A refusing verdict (or a would-refuse one in dry-run) of volume or fanout
 *   blocks the client, of staging-window, staging-drip, staging-shape or
 *   country the client + base domain, for block-duration seconds,
 *   restarted by each refusing verdict. A blocked key gets rule "blocked", action REFUSE (LOG +
 *   would_refuse in dry-run) on every lookup, whatever mode says, because
 *   only a refusing rule can start a block.
 * - non-relay: any lookup of a base domain by a non-relay when
 *   non-relay-limit is 0 (the default), reported once per client + base
 *   domain per non-relay-period; with a limit, the count compared is the
 *   pair's lookups over the staging-window period (one counter serves both).
 * - staging-window follows the Sentinel rule "DNS MX Record Abuse for Payload Staging": lookups > limit and numeric-prefixed
 *   lookups (countif, not distinct) > limit2 per client + base domain in the
 *   period. A numeric prefix is an all-digit leftmost label left of the base
 *   domain ("1.evil.example"; "123.com" itself has none). The reason gives
 *   the distinct prefixes (dcount), first seen and up to 15 sample names.
 * - staging-drip: per client + base domain, the encoded bytes of the MX
 *   answers (mxg_shape's enc_chars: characters of hex, base32 or base64
 *   looking labels of >= 20 characters) over the pair's window
 *   (staging-window-period), > staging-drip-limit fires. An answer whose
 *   encoded labels are those of the previous answer with any (same
 *   order-independent fingerprint) adds nothing: repeats carry no new
 *   data. The counter, the fingerprint and the fired time live in the
 *   pair's extension, made at the first answer with encoded labels; the
 *   shape bound skips the scan for answers without a label of >= 20
 *   characters, so ordinary answers cost a compare.
 * - No per-domain entries are kept in process: no rule reads them, and a
 *   third table operation per lookup would cost about a fifth of the
 *   instruction budget. Per-domain counts, first and last seen live in Redis
 *   (docs/redis-schema.md), where the dashboards read them.
 * - The memo of base domains is sized from max-memory (1/64 of it, 4k to 1M
 *   entries of 8 bytes) and taken out of the window table's share, so
 *   max-memory bounds both.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "mxguard/allowlist.h"
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/hash.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"
#include "mxguard/window.h"
#include "engine_int.h"

/** Fold a hash to 32 nonzero bits. */
static inline uint32_t
fold32(uint64_t h)
{
	uint32_t r = (uint32_t)(h ^ (h >> 32));
	return r ? r : 1;
}

/** Fill a random seed. */
static void
make_seed(uint64_t* s, size_t n)
{
	size_t i;
	if(getrandom(s, n * sizeof(*s), GRND_NONBLOCK) ==
		(ssize_t)(n * sizeof(*s)))
		return;
	/* no entropy yet (early boot): time and address, still unknown to a
	 * client */
	for(i = 0; i < n; i++)
		s[i] = mix((uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s,
			0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
}

struct mxg_engine*
mxg_engine_new(const struct mxg_conf* cfg, char* err, size_t errlen)
{
	struct mxg_engine* e;
	struct mxg_conf nodry;
	struct mxg_window_kind_conf k[MXG_WK_COUNT];
	size_t memo_entries, winmem;
	uint32_t cap;
	int r;
	if(!cfg) {
		snprintf(err, errlen, "no config");
		return NULL;
	}
	e = aligned_alloc(64, (sizeof(*e) + 63) & ~(size_t)63);
	if(!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	make_seed(e->seed, 3);
	nodry = *cfg;
	nodry.dry_run = 0;
	for(r = 0; r < MXG_RULE_COUNT; r++) {
		e->on[r] = cfg->rules[r].enabled;
		e->act[r] = mxg_conf_rule_action(cfg, (enum mxg_rule_id)r);
		e->act_real[r] = mxg_conf_rule_action(&nodry,
			(enum mxg_rule_id)r);
		if(e->act[r] == MXG_ACT_PASS)
			e->on[r] = 0;
		e->period[r] = cfg->rules[r].period;
	}
	/* blocked follows the rule that started the block: always refuse */
	e->on[MXG_RULE_BLOCKED] = 1;
	e->act_real[MXG_RULE_BLOCKED] = MXG_ACT_REFUSE;
	e->act[MXG_RULE_BLOCKED] = cfg->dry_run ? MXG_ACT_LOG : MXG_ACT_REFUSE;

	mxg_client_mask_init(&e->cmask, cfg->client_prefix_v4,
		cfg->client_prefix_v6);
	memo_entries = cfg->max_memory / 64 / 8;
	if(memo_entries < 4096)
		memo_entries = 4096;
	if(memo_entries > (1 << 20))
		memo_entries = 1 << 20;
	e->memo = mxg_names_memo_new(memo_entries);
	e->udp_recent = calloc(TC_SLOTS, sizeof(*e->udp_recent));
	if(!e->memo) {
		snprintf(err, errlen, "out of memory for the base domain memo");
		mxg_engine_free(e);
		return NULL;
	}
	e->memo_mem = mxg_names_memo_mem(e->memo);
	winmem = cfg->max_memory > e->memo_mem + sizeof(*e) ?
		cfg->max_memory - e->memo_mem - sizeof(*e) : 0;

	memset(k, 0, sizeof(k));
	k[MXG_WK_CLIENT].period = cfg->rules[MXG_RULE_VOLUME].period ?
		cfg->rules[MXG_RULE_VOLUME].period : 60;
	k[MXG_WK_CLIENT].counters = 1;
	if(cfg->rules[MXG_RULE_FANOUT].enabled) {
		cap = cfg->rules[MXG_RULE_FANOUT].limit + 1;
		k[MXG_WK_CLIENT].distinct = cap > MXG_WINDOW_DISTINCT_MAX ?
			MXG_WINDOW_DISTINCT_MAX : cap;
		k[MXG_WK_CLIENT].distinct_period =
			cfg->rules[MXG_RULE_FANOUT].period ?
			cfg->rules[MXG_RULE_FANOUT].period : 600;
	}
	k[MXG_WK_PAIR].period = cfg->rules[MXG_RULE_STAGING_WINDOW].period ?
		cfg->rules[MXG_RULE_STAGING_WINDOW].period : 3600;
	/* staging-drip's budget is a counter of the pair: it shares the
	 * pair's window */
	e->period[MXG_RULE_STAGING_DRIP] = k[MXG_WK_PAIR].period;
	k[MXG_WK_PAIR].counters = 1;
	k[MXG_WK_PAIR].ext_counters = 2;
	cap = cfg->rules[MXG_RULE_STAGING_WINDOW].limit2 + 1;
	k[MXG_WK_PAIR].ext_distinct = cap < 16 ? 16 : cap > 64 ? 64 : cap;
	k[MXG_WK_PAIR].ext_samples = 1;
	k[MXG_WK_PAIR].ext_user = X_WORDS;
	e->win = mxg_window_new(winmem, k, err, errlen);
	if(!e->win) {
		mxg_engine_free(e);
		return NULL;
	}
	return e;
}

void
mxg_engine_free(struct mxg_engine* e)
{
	if(!e)
		return;
	mxg_window_free(e->win);
	mxg_names_memo_free(e->memo);
	free((void*)e->udp_recent);
	free(e);
}

void
mxg_engine_set_fleet(struct mxg_engine* e, mxg_fleet_count_fn fn, void* arg)
{
	e->fleet_fn = fn;
	e->fleet_arg = arg;
}

int
mxg_engine_can_refuse(const struct mxg_engine* e)
{
	int r;
	if(!e)
		return 0;
	for(r = 0; r < MXG_RULE_BLOCKED; r++)
		if(e->on[r] && e->act[r] == MXG_ACT_REFUSE)
			return 1;
	return 0;
}

/** Tie-break rank of a rule: lower wins. non-relay only says "not a relay",
 * so every other rule beats it at the same action (otherwise a spam bot's
 * fanout verdict would hide behind the non-relay line of each new domain). */
static inline int
tie_rank(enum mxg_rule_id r)
{
	return r == MXG_RULE_NON_RELAY ? MXG_RULE_COUNT : (int)r;
}

/** Offer a candidate: the stronger action wins; at the same action the
 * lower tie_rank. */
static inline void
offer(struct cand* best, const struct cand* c)
{
	if(c->act > best->act || (best->rule == MXG_RULE_COUNT &&
		c->act == best->act)) {
		*best = *c;
	} else if(c->act == best->act &&
		tie_rank(c->rule) < tie_rank(best->rule)) {
		*best = *c;
	}
}

/** The word of a fired slot: user[slot], or past MXG_WINDOW_USER a word
 * of the extension; NULL when the entry has no extension. */
static inline uint32_t*
slot_word(struct mxg_engine* e, struct mxg_window_entry* we, int slot)
{
	uint32_t* x;
	if(slot < MXG_WINDOW_USER)
		return &we->user[slot];
	x = mxg_window_ext_user(e->win, we);
	return x ? &x[slot - MXG_WINDOW_USER] : NULL;
}

/** Should a rule fire now: refuse always, else once per period. */
static inline int
due(struct mxg_engine* e, const struct feat* f,
	struct mxg_window_entry* we, int slot, enum mxg_rule_id r,
	time_t now)
{
	uint32_t* w = slot_word(e, we, slot);
	uint32_t last = w ? *w : 0;
	if(e->act_real[r] == MXG_ACT_REFUSE && !f->relay)
		return 1;
	return last == 0 || (uint32_t)now - last >= e->period[r];
}

/** Fill a candidate for rule r of a key. */
static void
cand_set(const struct mxg_engine* e, const struct feat* f, struct cand* c,
	enum mxg_rule_id r, enum mxg_window_kind kind, int slot)
{
	memset(c, 0, sizeof(*c));
	c->rule = r;
	c->kind = kind;
	c->slot = slot;
	c->act = e->act[r];
	c->would = e->act_real[r] == MXG_ACT_REFUSE &&
		e->act[r] != MXG_ACT_REFUSE;
	if(f->relay) {
		/* relays are never blocked */
		if(c->act > MXG_ACT_LOG)
			c->act = MXG_ACT_LOG;
		c->would = 0;
	}
	c->orig = MXG_RULE_COUNT;
}

/** Start a block of a key if rule r refuses (or would). */
static inline void
maybe_block(const struct mxg_engine* e, const struct feat* f,
	struct mxg_window_entry* we, enum mxg_rule_id r, time_t now)
{
	if(f->relay || e->act_real[r] != MXG_ACT_REFUSE ||
		e->cfg->block_duration == 0)
		return;
	we->user[U_BLOCK_UNTIL] = (uint32_t)now + e->cfg->block_duration;
	we->user[U_BLOCK_RULE] = (uint32_t)r;
}

/** Rule r of a key fires: its candidate with the counts n1, n2 is offered
 * and, if r refuses, the key is blocked. */
static inline void
fire(const struct mxg_engine* e, const struct feat* f,
	struct mxg_window_entry* we, time_t now, struct cand* best,
	enum mxg_rule_id r, enum mxg_window_kind kind, int slot, uint32_t n1,
	uint32_t n2)
{
	struct cand c;
	cand_set(e, f, &c, r, kind, slot);
	c.n1 = n1;
	c.n2 = n2;
	maybe_block(e, f, we, r, now);
	offer(best, &c);
}

/** Is the key blocked? Fills a "blocked" candidate. */
static inline int
blocked(const struct mxg_engine* e, const struct feat* f,
	const struct mxg_window_entry* we, enum mxg_window_kind kind,
	time_t now, struct cand* c)
{
	uint32_t until = we->user[U_BLOCK_UNTIL];
	if(!until || f->relay || (int32_t)(until - (uint32_t)now) <= 0)
		return 0;
	cand_set(e, f, c, MXG_RULE_BLOCKED, kind, -1);
	c->orig = (enum mxg_rule_id)(we->user[U_BLOCK_RULE] &
		U_BLOCK_RULE_MASK);
	c->left = until - (uint32_t)now;
	return 1;
}

/**
 * staging-drip, for an answer with encoded labels: add its encoded bytes
 * to the pair's budget unless the answer repeats the previous one (same
 * fingerprint: a cache hit or a client asking again carries no new data),
 * and fire when the budget over the pair's window exceeds the limit. The
 * counter lives in the pair's extension, made at the first such answer, so
 * ordinary traffic never pays for it. The shard is locked.
 */
static void
judge_drip(struct mxg_engine* e, const struct feat* f,
	struct mxg_window_entry* we, time_t now, struct cand* best)
{
	uint32_t add = 0, total, *x;
	if(!mxg_window_extend(e->win, we) ||
		!(x = mxg_window_ext_user(e->win, we)))
		return;
	if(x[X_DRIP_FP] != f->enc_fp) {
		x[X_DRIP_FP] = f->enc_fp;
		add = f->enc;
	}
	/* 16-bit buckets saturate; one answer holds at most 128 * 255 */
	total = mxg_window_count(e->win, we, C_DRIP, now, add);
	if(total > e->cfg->rules[MXG_RULE_STAGING_DRIP].limit &&
		due(e, f, we, U_FIRED4, MXG_RULE_STAGING_DRIP, now)) {
		fire(e, f, we, now, best, MXG_RULE_STAGING_DRIP, MXG_WK_PAIR,
			U_FIRED4, total, f->enc);
	}
}

/** The pair's part (its lookups counted by judge(): cnt), non-relay, staging-window, answer rules,
 * block. The shard is locked. */
static void
judge_pair(struct mxg_engine* e, const struct mxg_obs* obs, struct feat* f,
	struct mxg_window_entry* we, int counting, uint32_t cnt,
	struct cand* best)
{
	const struct mxg_conf* cfg = e->cfg;
	struct cand c;
	uint32_t num;
	time_t now = obs->now;
	if(counting) {
		/* cnt: the lookups, this one counted (judge()) */
		if(cnt == 1)
			/* the window was empty: first seen of this window */
			we->first_seen = now;
		if(f->numeric && mxg_window_extend(e->win, we)) {
			const uint8_t* lab;
			size_t ll = mxg_names_first_label(obs->qname,
				obs->qname_len, &lab);
			num = mxg_window_count(e->win, we, C_NUMERIC, now, 1);
			mxg_window_distinct(e->win, we, 1, fold32(mix(
				mxg_names_hash(lab - 1, ll + 1), e->seed[2])),
				now);
		} else if(mxg_window_extended(we)) {
			num = mxg_window_count(e->win, we, C_NUMERIC, now, 0);
		} else {
			num = 0;
		}
		if(num && mxg_window_extended(we)) {
			uint64_t sh = mix(f->qh, e->seed[1]);
			char name[MXG_NAME_TEXT_MAX];
			if(mxg_window_sample_wanted(e->win, we, sh) &&
				mxg_names_to_str(obs->qname, obs->qname_len,
				name, sizeof(name)) == MXG_NAME_OK)
				mxg_window_sample(e->win, we, sh, name,
					strlen(name));
		}
		/* non-relay */
		if(!f->relay && e->on[MXG_RULE_NON_RELAY] &&
			cnt > cfg->rules[MXG_RULE_NON_RELAY].limit &&
			due(e, f, we, U_FIRED0, MXG_RULE_NON_RELAY, now)) {
			cand_set(e, f, &c, MXG_RULE_NON_RELAY, MXG_WK_PAIR,
				U_FIRED0);
			c.n1 = cnt;
			offer(best, &c);
		}
		/* staging-window (the Sentinel rule "DNS MX Record Abuse for Payload Staging") */
		if(e->on[MXG_RULE_STAGING_WINDOW] &&
			cnt > cfg->rules[MXG_RULE_STAGING_WINDOW].limit &&
			num > cfg->rules[MXG_RULE_STAGING_WINDOW].limit2 &&
			due(e, f, we, U_FIRED1, MXG_RULE_STAGING_WINDOW, now)) {
			fire(e, f, we, now, best, MXG_RULE_STAGING_WINDOW,
				MXG_WK_PAIR, U_FIRED1, cnt, num);
		}
	}
	/* before staging-shape, so that a block both start names
	 * staging-shape (the last maybe_block names the rule) */
	if(f->enc && e->on[MXG_RULE_STAGING_DRIP])
		judge_drip(e, f, we, now, best);
	if(f->shape_on && e->on[MXG_RULE_STAGING_SHAPE] &&
		f->shape.score >= cfg->rules[MXG_RULE_STAGING_SHAPE].limit &&
		due(e, f, we, U_FIRED2, MXG_RULE_STAGING_SHAPE, now)) {
		fire(e, f, we, now, best, MXG_RULE_STAGING_SHAPE, MXG_WK_PAIR,
			U_FIRED2, f->shape.score, 0);
	}
	if(f->deny != (size_t)-1 && due(e, f, we, U_FIRED3, MXG_RULE_COUNTRY,
		now)) {
		cand_set(e, f, &c, MXG_RULE_COUNTRY, MXG_WK_PAIR, U_FIRED3);
		c.ci = f->deny;
		maybe_block(e, f, we, MXG_RULE_COUNTRY, now);
		offer(best, &c);
	}
	if(blocked(e, f, we, MXG_WK_PAIR, now, &c))
		offer(best, &c);
}

/** The client's part: volume, fanout, block. The shard is locked. */
static void
judge_client(struct mxg_engine* e, const struct mxg_obs* obs,
	struct feat* f, struct mxg_window_entry* we, int counting,
	struct cand* best)
{
	const struct mxg_conf* cfg = e->cfg;
	struct cand c;
	uint32_t vol, fan;
	time_t now = obs->now;
	if(counting && !f->relay) {
		/* volume and fanout do not apply to relays: their lookups are
		 * not counted here (Redis still counts them) */
		vol = e->on[MXG_RULE_VOLUME] ?
			mxg_window_count(e->win, we, 0, now, 1) : 0;
		fan = e->on[MXG_RULE_FANOUT] ? mxg_window_distinct(e->win,
			we, 0, fold32(mix(f->bh, e->seed[1])), now) : 0;
		if(f->fleet_have && f->fleet_n > vol) {
			vol = f->fleet_n > UINT32_MAX ? UINT32_MAX :
				(uint32_t)f->fleet_n;
			f->fleet = 1;
		}
		if(!f->relay && e->on[MXG_RULE_VOLUME] &&
			vol > cfg->rules[MXG_RULE_VOLUME].limit &&
			due(e, f, we, U_FIRED0, MXG_RULE_VOLUME, now)) {
			fire(e, f, we, now, best, MXG_RULE_VOLUME,
				MXG_WK_CLIENT, U_FIRED0, vol, 0);
		}
		if(!f->relay && e->on[MXG_RULE_FANOUT] &&
			fan > cfg->rules[MXG_RULE_FANOUT].limit &&
			due(e, f, we, U_FIRED1, MXG_RULE_FANOUT, now)) {
			fire(e, f, we, now, best, MXG_RULE_FANOUT,
				MXG_WK_CLIENT, U_FIRED1, fan, 0);
		}
	}
	if(blocked(e, f, we, MXG_WK_CLIENT, now, &c))
		offer(best, &c);
}

/** Note a UDP lookup, or tell whether a TCP lookup is the retry of one
 * (same client and name, within TC_RETRY_S; each UDP lookup excuses one
 * retry). Lock-free; a lost race only counts a retry twice. */
static int
tc_retry(struct mxg_engine* e, const struct feat* f, uint64_t qh, int tcp,
	time_t now)
{
	uint64_t k = mix(f->ckey ^ e->seed[2], qh ^ e->seed[0]);
	_Atomic uint64_t* w = &e->udp_recent[k & (TC_SLOTS - 1)];
	uint64_t tag = k & ~(uint64_t)0xffff, t16 = (uint64_t)now & 0xffff;
	uint64_t old;
	if(!tcp) {
		atomic_store_explicit(w, tag | t16, memory_order_relaxed);
		return 0;
	}
	old = atomic_load_explicit(w, memory_order_relaxed);
	if(old == 0 || (old & ~(uint64_t)0xffff) != tag ||
		((t16 - (old & 0xffff)) & 0xffff) > TC_RETRY_S)
		return 0;
	return atomic_compare_exchange_strong_explicit(w, &old, 0,
		memory_order_relaxed, memory_order_relaxed);
}

/** Both keys under one lock (a pair shares its client's shard); the
 * winning rule is marked fired in its key, staging details copied. */
static void
judge(struct mxg_engine* e, const struct mxg_obs* obs, struct feat* f,
	int counting, struct cand* best, char* samples, size_t slen)
{
	struct mxg_window_entry* ce, *pe;
	uint32_t cnt = 0;
	int answer_hit = (f->shape_on && e->on[MXG_RULE_STAGING_SHAPE] &&
		f->shape.score >= e->cfg->rules[MXG_RULE_STAGING_SHAPE].limit) ||
		f->deny != (size_t)-1 ||
		(f->enc && e->on[MXG_RULE_STAGING_DRIP]);
	int fl = counting ? MXG_WINDOW_CREATE | MXG_WINDOW_TOUCH : 0;
	uint32_t now32 = (uint32_t)obs->now ? (uint32_t)obs->now : 1;
	int exact = f->plen == (f->fam == AF_INET ? 32 : 128);
	mxg_window_shard_lock(e->win, f->ckey);
	if(counting)
		/* found and counted in one call */
		pe = mxg_window_get_count(e->win, MXG_WK_PAIR, f->pkey,
			obs->now, fl, C_LOOKUPS, 1, &cnt);
	else	pe = mxg_window_get(e->win, MXG_WK_PAIR, f->pkey, obs->now,
			answer_hit ? MXG_WINDOW_CREATE : 0);
	if(pe && (pe->user[U_BLOCK_RULE] & P_RELAY)) {
		/* a relay's pair (one address): the client entry has
		 * nothing for it, no volume, fanout or block */
		ce = NULL;
		f->relay = 1;
	} else {
		ce = mxg_window_get(e->win, MXG_WK_CLIENT, f->ckey, obs->now,
			fl);
		if(ce && exact) {
			/* the key is one address: its relay status does not
			 * change while this engine (this config) lives;
			 * aggregated keys (a /64) may mix relays and others,
			 * so they ask each time */
			if(!(ce->user[U_FIRED3] & U_RELAY_KNOWN))
				ce->user[U_FIRED3] = U_RELAY_KNOWN |
					(mxg_allowlist_match(e->cfg->relays,
					obs->client_family, obs->client_addr) ?
					U_RELAY_YES : 0);
			f->relay = (ce->user[U_FIRED3] & U_RELAY_YES) != 0;
		} else {
			f->relay = mxg_allowlist_match(e->cfg->relays,
				obs->client_family, obs->client_addr);
		}
		if(pe && exact && f->relay)
			pe->user[U_BLOCK_RULE] |= P_RELAY;
	}
	if(ce)
		judge_client(e, obs, f, ce, counting, best);
	if(pe)
		judge_pair(e, obs, f, pe, counting, cnt, best);
	if(best->rule != MXG_RULE_COUNT && best->slot >= 0) {
		/* only the winner is marked: a rule that lost the tie
		 * reports on the next lookup */
		struct mxg_window_entry* we = best->kind == MXG_WK_CLIENT ?
			ce : pe;
		uint32_t* w = slot_word(e, we, best->slot);
		if(w)
			*w = now32;
		if(best->rule == MXG_RULE_STAGING_WINDOW) {
			best->n3 = mxg_window_distinct(e->win, pe, 1, 0,
				obs->now);
			best->first = pe->first_seen;
			mxg_window_samples(e->win, pe, ",", samples, slen);
		}
	}
	mxg_window_shard_unlock(e->win, f->ckey);
}

/** Index of the first denied country among the MX hosts, or -1. */
static size_t
deny_country(const struct mxg_engine* e, const struct mxg_obs* obs)
{
	const struct mxg_conf* cfg = e->cfg;
	size_t i;
	int k;
	/* no countries first: an answer the glue's answer memo knows is
	 * clean comes without them */
	if(!obs->countries || !e->on[MXG_RULE_COUNTRY] ||
		!cfg->deny_country_count)
		return (size_t)-1;
	for(i = 0; i < obs->n_countries; i++) {
		if(!obs->countries[i][0])
			continue;
		for(k = 0; k < cfg->deny_country_count; k++)
			if(obs->countries[i][0] == cfg->deny_country[k][0] &&
				obs->countries[i][1] ==
				cfg->deny_country[k][1])
				return i;
	}
	return (size_t)-1;
}

int
mxg_engine_country_denied(const struct mxg_engine* e,
	const struct mxg_obs* obs)
{
	return e && obs && deny_country(e, obs) != (size_t)-1;
}

void
mxg_engine_observe(struct mxg_engine* e, const struct mxg_obs* obs,
	struct mxg_verdict* v)
{
	struct feat f;
	struct cand best;
	char samples[MXG_REASON_MAX];
	uint64_t qh, bh;
	struct stat_stripe* ss;
	int counting, answer;
	v->action = MXG_ACT_PASS;
	v->would_refuse = 0;
	v->rule = MXG_RULE_COUNT;
	v->reason[0] = 0;
	v->is_relay = 0;
	v->base_off = 0;
	v->shape_score = 0;
	v->retry = 0;
	if(!e || !obs || !obs->qname)
		return;
	counting = obs->stage != MXG_OBS_ANSWER;
	answer = obs->stage != MXG_OBS_QUERY;

	/* features, no lock */
	client_key(e, obs, &f);
	f.relay = -1; /* looked up in judge(), cached per exact client */
	ss = &e->stats[f.ckey & (STAT_STRIPES - 1)];
	/* keyed, and the base domain's hash when the name is its own base
	 * domain (name_hash) */
	qh = name_hash(e, obs->qname, obs->qname_len);
	if(mxg_names_memo_lookup_keyed(e->memo, obs->qname, obs->qname_len,
		qh, &f.base_off) != MXG_NAME_OK) {
		/* malformed name: nothing to count it under */
		atomic_fetch_add_explicit(&ss->verdicts[MXG_RULE_COUNT][MXG_ACT_PASS], 1,
			memory_order_relaxed);
		return;
	}
	v->base_off = f.base_off;
	if(counting && e->udp_recent &&
		tc_retry(e, &f, qh, obs->tcp, obs->now)) {
		/* the TCP retry of a truncated UDP answer (mostly a cache
		 * hit, as is the UDP lookup when the answer was cached):
		 * judged, not counted again */
		counting = 0;
		v->retry = 1;
	}
	bh = f.base_off ? base_hash(obs->qname + f.base_off,
		obs->qname_len - f.base_off, e->seed[1]) : qh;
	/* the pair shares its client's shard (top 6 bits): one lock */
	f.pkey = (f.ckey & SHARD_BITS) | (mix(f.ckey ^ e->seed[2],
		bh ^ e->seed[0]) & ~SHARD_BITS);
	f.qh = qh;
	f.bh = bh;
	f.numeric = f.base_off > 0 && mxg_names_numeric_prefix(obs->qname,
		obs->qname_len);
	f.shape_on = 0;
	f.deny = (size_t)-1;
	f.fleet = 0;
	f.enc = 0;
	f.enc_fp = 0;
	if(answer) {
		int shp = e->on[MXG_RULE_STAGING_SHAPE];
		int drip = e->on[MXG_RULE_STAGING_DRIP];
		if((shp || drip) && obs->n_mx && obs->mx) {
			/* most answers have no label long enough to be
			 * encoded: then the bound is the exact score and
			 * below the limit, no label is encoded, and the full
			 * scan is skipped */
			unsigned bound = obs->shape_bound_known ?
				obs->shape_bound :
				mxg_shape_bound(obs->mx, obs->n_mx);
			if((shp && bound >=
				e->cfg->rules[MXG_RULE_STAGING_SHAPE].limit) ||
				(drip && bound > MXG_SHAPE_BOUND_PLAIN)) {
				mxg_shape_score(obs->qname, obs->qname_len,
					f.base_off, obs->mx, obs->n_mx,
					&f.shape);
				f.shape_on = 1;
				v->shape_score = f.shape.score;
				if(drip && f.shape.enc_chars) {
					f.enc = f.shape.enc_chars > UINT16_MAX ?
						UINT16_MAX :
						(uint32_t)f.shape.enc_chars;
					f.enc_fp = fold32(f.shape.enc_fp);
				}
			} else {
				v->shape_score = bound;
			}
		}
		f.deny = deny_country(e, obs);
	}

	f.fleet_have = 0;
	if(e->fleet_fn && counting && e->on[MXG_RULE_VOLUME] &&
		!mxg_allowlist_match(e->cfg->relays, obs->client_family,
		obs->client_addr)) {
		/* fleet mode: the fleet-wide count of a client that is not a
		 * relay, read before the shard lock (the fleet table's mutex
		 * is never taken under it) */
		f.fleet_n = 0;
		f.fleet_have = e->fleet_fn(e->fleet_arg, obs->client_family,
			obs->client_addr,
			e->cfg->rules[MXG_RULE_VOLUME].period,
			(uint64_t)obs->now, &f.fleet_n);
	}
	memset(&best, 0, sizeof(best));
	best.rule = MXG_RULE_COUNT;
	best.act = MXG_ACT_PASS;
	best.slot = -1;
	samples[0] = 0;
	judge(e, obs, &f, counting, &best, samples, sizeof(samples));
	v->is_relay = f.relay;

	if(best.rule != MXG_RULE_COUNT && best.act != MXG_ACT_PASS) {
		v->action = best.act;
		v->would_refuse = best.would;
		v->rule = best.rule;
		engine_reason(e, obs, &f, &best, samples, v);
	}
	atomic_fetch_add_explicit(&ss->verdicts[v->rule < MXG_RULE_COUNT ? v->rule :
		MXG_RULE_COUNT][v->action], 1, memory_order_relaxed);
}


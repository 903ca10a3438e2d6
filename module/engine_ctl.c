/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/engine_ctl.c - statistics and blocks of the engine.
 */
/** \file
 * What the module and the blocks thread ask of the engine besides verdicts:
 * the statistics summed over the stripes (metrics, heartbeat) and blocks
 * set or lifted from outside (mxguard-report block, the blocks shared
 * through Redis, the state-file). See module/engine_int.h.
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

void
mxg_engine_get_stats(const struct mxg_engine* e, struct mxg_engine_stats* st)
{
	struct mxg_window_stats ws;
	int i, a, r;
	memset(st, 0, sizeof(*st));
	if(!e)
		return;
	for(i = 0; i < STAT_STRIPES; i++) {
		for(a = 0; a <= MXG_ACT_REFUSE; a++)
			for(r = 0; r <= MXG_RULE_COUNT; r++) {
				uint64_t n = atomic_load_explicit(
					&e->stats[i].verdicts[r][a],
					memory_order_relaxed);
				/* each observation counts one verdict */
				st->observed += n;
				st->verdicts[a] += n;
				if(r < MXG_RULE_COUNT)
					st->by_rule[r][a] += n;
			}
	}
	mxg_window_get_stats(e->win, &ws);
	st->keys = ws.entries;
	st->evictions = ws.evictions;
	st->mem = ws.mem + e->memo_mem + sizeof(*e);
}

int
mxg_engine_block(struct mxg_engine* e, int family, const uint8_t* addr,
	int plen, const uint8_t* base, size_t base_len, enum mxg_rule_id rule,
	uint64_t until, time_t now, char* err, size_t errlen)
{
	struct mxg_obs obs;
	struct feat f;
	uint64_t i, n, bh = 0;
	size_t off = 0, alen = family == AF_INET ? 4 : 16;
	int cp, bits, k, changed = 0;
	uint32_t u32;
	if(!e || (family != AF_INET && family != AF_INET6) || plen < 0 ||
		plen > (int)alen * 8) {
		snprintf(err, errlen, "not an address or netblock");
		return -1;
	}
	cp = family == AF_INET ? e->cfg->client_prefix_v4 :
		e->cfg->client_prefix_v6;
	bits = plen < cp ? cp - plen : 0;
	if(((uint64_t)1 << (bits > 62 ? 62 : bits)) > MXG_BLOCK_EXPAND_MAX) {
		snprintf(err, errlen, "a /%d holds more than %d client keys "
			"of /%d (client-prefix-v%d): block smaller netblocks",
			plen, MXG_BLOCK_EXPAND_MAX, cp,
			family == AF_INET ? 4 : 6);
		return -1;
	}
	if(base && base_len) {
		uint64_t h = name_hash(e, base, base_len);
		if(mxg_names_memo_lookup_keyed(e->memo, base, base_len, h,
			&off) != MXG_NAME_OK) {
			snprintf(err, errlen, "not a domain name");
			return -1;
		}
		bh = off ? base_hash(base + off, base_len - off, e->seed[1]) :
			h;
	}
	/* the window keeps 32-bit seconds; a block ends within 68 years */
	if(until && until > (uint64_t)now + INT32_MAX)
		until = (uint64_t)now + INT32_MAX;
	u32 = (uint32_t)until ? (uint32_t)until : 1;
	n = (uint64_t)1 << bits;
	for(i = 0; i < n; i++) {
		struct mxg_window_entry* we;
		uint64_t key;
		memset(&obs, 0, sizeof(obs));
		obs.client_family = family;
		memcpy(obs.client_addr, addr, alen);
		/* the bits between plen and the client prefix count i */
		for(k = 0; k < bits; k++) {
			int pos = plen + k;
			uint8_t m = (uint8_t)(0x80 >> (pos % 8));
			if((i >> (bits - 1 - k)) & 1)
				obs.client_addr[pos / 8] |= m;
			else	obs.client_addr[pos / 8] &= (uint8_t)~m;
		}
		client_key(e, &obs, &f);
		key = base && base_len ? (f.ckey & SHARD_BITS) |
			(mix(f.ckey ^ e->seed[2], bh ^ e->seed[0]) &
			~SHARD_BITS) : f.ckey;
		mxg_window_shard_lock(e->win, f.ckey);
		we = mxg_window_get(e->win, base && base_len ? MXG_WK_PAIR :
			MXG_WK_CLIENT, key, now, until ? MXG_WINDOW_CREATE : 0);
		if(we && !until && we->user[U_BLOCK_UNTIL]) {
			we->user[U_BLOCK_UNTIL] = 0;
			changed++;
		} else if(we && until && (!we->user[U_BLOCK_UNTIL] ||
			(int32_t)(u32 - we->user[U_BLOCK_UNTIL]) > 0)) {
			we->user[U_BLOCK_UNTIL] = u32;
			we->user[U_BLOCK_RULE] = (uint32_t)rule;
			changed++;
		}
		mxg_window_shard_unlock(e->win, f.ckey);
	}
	return changed;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/sink_fleet.c - the sink's fleet table.
 */
/** \file
 * In fleet mode, the clients that looked up MX here recently, with the
 * fleet-wide per-minute counts the sink thread reads back from Redis every
 * FLEET_MS; the engine asks mxg_sink_fleet_count() for them. fleet_mu
 * protects the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "mxguard/sink.h"
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/hash.h"
#include "mxguard/jsonlog.h"
#include "mxguard/loglimit.h"
#include "mxguard/log.h"
#include "mxguard/redis.h"
#include "sink_int.h"

/* ------------------------------------------------------------------ */
/* Fleet table.                                                        */

/** Find the slot of a client, or the free slot where it would go
 * (fleet_mu held). */
static struct fleet_ent*
fleet_find(struct fleet_ent* t, int family, const uint8_t* addr)
{
	size_t i = mxg_hash_bytes((uint64_t)family, addr, 16) & (FLEET_SLOTS - 1);
	for(;;) {
		struct fleet_ent* e = &t[i];
		if(!e->used || (e->family == family &&
			memcmp(e->addr, addr, 16) == 0))
			return e;
		i = (i + 1) & (FLEET_SLOTS - 1);
	}
}

/** Order fleet entries by local lookups, then last lookup, most first. */
static int
fleet_cmp(const void* a, const void* b)
{
	const struct fleet_ent* x = a;
	const struct fleet_ent* y = b;
	if(x->hits != y->hits)
		return x->hits < y->hits ? 1 : -1;
	return x->last_s < y->last_s ? 1 : x->last_s > y->last_s ? -1 : 0;
}

/** Make room: drop clients idle for FLEET_ACTIVE_S, and if that is not
 * enough keep the busiest half (fleet_mu held). Busiest, not newest: a
 * flood of one-lookup clients (spoofed UDP sources cost nothing) must not
 * push out a client that makes many lookups, the one fleet mode is for.
 * A client idle for FLEET_ACTIVE_S goes whatever its count. */
static void
fleet_purge(struct mxg_sink* s, uint64_t now_s)
{
	struct fleet_ent* tmp = malloc(sizeof(*tmp) * FLEET_MAX);
	size_t n = 0, i, keep;
	if(!tmp)
		return;
	for(i = 0; i < FLEET_SLOTS; i++) {
		if(s->fleet[i].used && n < FLEET_MAX &&
			s->fleet[i].last_s + FLEET_ACTIVE_S >= now_s)
			tmp[n++] = s->fleet[i];
	}
	keep = n;
	if(keep >= FLEET_MAX * 3 / 4) {
		qsort(tmp, n, sizeof(*tmp), fleet_cmp);
		keep = FLEET_MAX / 2;
	}
	memset(s->fleet, 0, sizeof(*s->fleet) * FLEET_SLOTS);
	for(i = 0; i < keep; i++)
		*fleet_find(s->fleet, tmp[i].family, tmp[i].addr) = tmp[i];
	s->fleet_n = keep;
	free(tmp);
}

/** Note local lookups of a batch in the fleet table. */
void
sink_fleet_note(struct mxg_sink* s, const struct mxg_event* ev, size_t n)
{
	size_t i;
	pthread_mutex_lock(&s->fleet_mu);
	for(i = 0; i < n; i++) {
		struct mxg_client k;
		struct fleet_ent* e;
		int fam;
		const uint8_t* m;
		mxg_client_key(&k, &s->cmask, ev[i].client_family,
			ev[i].client_addr);
		fam = k.family;
		m = k.addr;
		e = fleet_find(s->fleet, fam, m);
		if(!e->used) {
			if(s->fleet_n >= FLEET_MAX) {
				fleet_purge(s, ev[i].time_ms / 1000);
				e = fleet_find(s->fleet, fam, m);
			}
			memset(e, 0, sizeof(*e));
			e->used = 1;
			e->family = (uint8_t)fam;
			memcpy(e->addr, m, 16);
			(void)mxg_client_text(&k, e->client,
				sizeof(e->client));
			s->fleet_n++;
		}
		if(ev[i].time_ms / 1000 > e->last_s)
			e->last_s = ev[i].time_ms / 1000;
		if(e->hits < UINT32_MAX)
			e->hits++;
	}
	pthread_mutex_unlock(&s->fleet_mu);
}

/** Read fleet-wide counts of the active clients back from Redis. */
void
sink_fleet_read(struct mxg_sink* s, uint64_t now_ms)
{
	static const size_t max = FLEET_MAX;
	char (*names)[56] = malloc(max * sizeof(*names));
	const char** ptr = malloc(max * sizeof(*ptr));
	uint64_t* out = malloc(max * FLEET_MIN * sizeof(*out));
	uint64_t now_s = (uint64_t)time(NULL), minute = now_s / 60;
	/* a minute count above what the whole fleet could make under the
	 * volume limit is cut (Redis values are not trusted) */
	uint64_t cap = (uint64_t)(s->cfg->rules[MXG_RULE_VOLUME].limit ?
		s->cfg->rules[MXG_RULE_VOLUME].limit : 1) *
		(s->cfg->fleet_instances ? s->cfg->fleet_instances : 1);
	size_t n = 0, i;
	if(!names || !ptr || !out)
		goto done;
	pthread_mutex_lock(&s->fleet_mu);
	for(i = 0; i < FLEET_SLOTS && n < max; i++) {
		struct fleet_ent* e = &s->fleet[i];
		if(e->used && e->last_s + FLEET_ACTIVE_S >= now_s) {
			memcpy(names[n], e->client, sizeof(names[n]));
			ptr[n] = names[n];
			n++;
		}
	}
	pthread_mutex_unlock(&s->fleet_mu);
	if(n == 0 || !mxg_redis_read_minutes(s->redis, ptr, n, minute,
		FLEET_MIN, out, now_ms))
		goto done;
	pthread_mutex_lock(&s->fleet_mu);
	for(i = 0; i < FLEET_SLOTS; i++) {
		struct fleet_ent* e = &s->fleet[i];
		size_t j;
		if(!e->used)
			continue;
		/* match by name: n is small and this runs once a second */
		for(j = 0; j < n; j++) {
			if(strcmp(e->client, names[j]) == 0) {
				size_t m;
				e->minute = minute;
				for(m = 0; m < FLEET_MIN; m++)
					e->counts[m] = out[j * FLEET_MIN + m]
						< cap ? out[j * FLEET_MIN + m]
						: cap;
				break;
			}
		}
	}
	pthread_mutex_unlock(&s->fleet_mu);
	atomic_fetch_add(&s->fleet_reads, 1);
done:
	free(names);
	free(ptr);
	free(out);
}

int
mxg_sink_fleet_count(struct mxg_sink* s, int family, const uint8_t* addr,
	uint32_t window_s, uint64_t now_s, uint64_t* count)
{
	struct mxg_client ck;
	struct fleet_ent* e;
	uint64_t k, now_min = now_s / 60, sum = 0;
	int64_t rest;
	unsigned j;
	int found = 0;
	*count = 0;
	if(!s || !s->fleet || (family != AF_INET && family != AF_INET6))
		return 0;
	k = (window_s + 59) / 60;
	if(k < 1)
		k = 1;
	if(k > FLEET_MIN)
		k = FLEET_MIN;
	/* seconds of the window before the k minutes counted in full (the
	 * current one counts its now_s % 60 + 1 seconds so far) */
	rest = (int64_t)window_s - (int64_t)(k - 1) * 60 -
		(int64_t)(now_s % 60 + 1);
	if(rest > 60)
		rest = 60;
	mxg_client_key(&ck, &s->cmask, family, addr);
	pthread_mutex_lock(&s->fleet_mu);
	e = fleet_find(s->fleet, ck.family, ck.addr);
	if(e->used && e->minute) {
		found = 1;
		for(j = 0; j < FLEET_MIN; j++) {
			uint64_t mi = e->minute - j;
			if(mi <= now_min && mi + k > now_min)
				sum += e->counts[j];
			else if(mi + k == now_min && rest > 0)
				/* the minute sliding out of the window: the
				 * part of it still inside, its lookups taken
				 * as spread evenly (else a window that starts
				 * a second into a minute would miss them) */
				sum += e->counts[j] * rest / 60;
		}
	}
	pthread_mutex_unlock(&s->fleet_mu);
	*count = sum;
	return found;
}


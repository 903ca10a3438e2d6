/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/sink_queue.c - the sink's bounded event queue.
 */
/** \file
 * Workers push events (mxg_sink_push, or mxg_sink_reserve and _commit to
 * build one in its slot: a CAS, never a wait; a
 * full queue drops and counts), the sink thread takes them in batches and
 * sleeps when there are none. The design is in module/sink.c's comment.
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
/* The queue.                                                          */

struct mxg_event*
mxg_sink_reserve(struct mxg_sink* s, size_t* posp)
{
	size_t pos;
	struct slot* sl;
	if(!s)
		return NULL;
	pos = atomic_load_explicit(&s->tail, memory_order_relaxed);
	for(;;) {
		size_t seq;
		intptr_t dif;
		sl = &s->ring[pos & s->mask];
		seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)pos;
		if(dif == 0) {
			if(atomic_compare_exchange_weak_explicit(&s->tail,
				&pos, pos + 1, memory_order_relaxed,
				memory_order_relaxed))
				break;
		} else if(dif < 0) {
			/* the slot still holds an unread event: full */
			atomic_fetch_add_explicit(&s->dropped, 1,
				memory_order_relaxed);
			return NULL;
		} else {
			pos = atomic_load_explicit(&s->tail,
				memory_order_relaxed);
		}
	}
	*posp = pos;
	return &sl->ev;
}

void
mxg_sink_commit(struct mxg_sink* s, size_t pos)
{
	atomic_store_explicit(&s->ring[pos & s->mask].seq, pos + 1,
		memory_order_release);
	atomic_fetch_add_explicit(&s->queued, 1, memory_order_relaxed);
	/* every wake_mask + 1 events, wake the consumer if it sleeps (else
	 * it wakes on its own within IDLE_WAIT_MS); never wait for it */
	if(((pos + 1) & s->wake_mask) == 0 && atomic_load(&s->sleeping) &&
		pthread_mutex_trylock(&s->mu) == 0) {
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

int
mxg_sink_push(struct mxg_sink* s, const struct mxg_event* ev)
{
	size_t pos;
	struct mxg_event* slot = mxg_sink_reserve(s, &pos);
	if(!slot)
		return 0;
	memcpy(slot, ev, sizeof(*ev));
	mxg_sink_commit(s, pos);
	return 1;
}

/** Take up to max events from the queue (consumer only). */
size_t
sink_pop_batch(struct mxg_sink* s, struct mxg_event* out, size_t max)
{
	size_t n = 0;
	while(n < max) {
		struct slot* sl = &s->ring[s->head & s->mask];
		size_t seq = atomic_load_explicit(&sl->seq,
			memory_order_acquire);
		if(seq != s->head + 1)
			break;
		memcpy(&out[n++], &sl->ev, sizeof(*out));
		atomic_store_explicit(&sl->seq, s->head + s->mask + 1,
			memory_order_release);
		s->head++;
	}
	return n;
}

/** Is an event waiting (consumer only)? */
static int
queue_ready(struct mxg_sink* s)
{
	struct slot* sl = &s->ring[s->head & s->mask];
	return atomic_load_explicit(&sl->seq, memory_order_acquire) ==
		s->head + 1;
}

/** Sleep until woken, an event arrives, stop, or ms pass. */
void
sink_idle_wait(struct mxg_sink* s, uint64_t ms)
{
	struct timespec ts;
	if(ms > IDLE_WAIT_MS)
		ms = IDLE_WAIT_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += (time_t)(ms / 1000) + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->sleeping, 1);
	if(!queue_ready(s) && !atomic_load(&s->stop))
		(void)pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	atomic_store(&s->sleeping, 0);
	pthread_mutex_unlock(&s->mu);
}


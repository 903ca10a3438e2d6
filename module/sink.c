/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/sink.c - bounded event queue and the background thread.
 */
/** \file
 * The queue is a bounded multi-producer single-consumer ring of fixed slots
 * (Dmitry Vyukov's bounded queue: one sequence number per slot, producers
 * claim a slot with a compare-and-swap on the tail). A worker pushing an
 * event does a CAS and a copy of about 600 bytes; it never takes a lock that
 * the consumer holds for long and never waits: a full queue drops the event
 * and counts it. The consumer sleeps IDLE_WAIT_MS between batches; a
 * worker wakes it early only when its event fills a multiple of wake_mask+1
 * slots (256, or a quarter of a small queue), so a busy resolver does not
 * pay a futex wake-up and a context switch per event, and a burst never
 * waits long for room. To wake the consumer the worker only *tries* the
 * mutex (pthread_mutex_trylock); a wake-up lost that way costs at most the
 * idle interval, never a blocked worker. So an event reaches the log and
 * Redis at most about IDLE_WAIT_MS (+ FLUSH_MS of merging) after its
 * lookup.
 *
 * One thread, started by mxg_sink_start() and joined by mxg_sink_stop(),
 * drains the queue in batches: it looks up GeoIP and categories
 * (mxg_jsonlog_ctx_fill), writes the JSON log lines (log-file, reopened when
 * rotated, or Unbound's log), and hands the batch to module/redis.c as one
 * pipeline. It also writes a heartbeat every HEARTBEAT_MS and, in fleet
 * mode, reads back the fleet-wide per-minute counts of recently active
 * clients every FLEET_MS into a small table (see mxg_sink_fleet_count).
 *
 * Because Unbound dlcloses the module after deinit, mxg_sink_stop() must
 * leave nothing behind: it joins the thread, whose every blocking call
 * (connect, command) is bounded by the Redis timeouts.
 *
 * Memory: the ring holds redis-queue slots rounded up to a power of two, of
 * sizeof(struct mxg_event) + 8 bytes each (about 630 bytes: 10 MB for the
 * default 16384), allocated at start; the thread's working memory is a
 * few MB: a batch of events and records, the memos, the log buffer, and
 * the commands of one send, bounded by FLUSH_CMDS (about 7 MB measured
 * under a flood of a million distinct clients and names).
 * While the thread is blocked on Redis (a connect or a command, up to the
 * timeouts) it does not drain the queue, so JSON log lines can be dropped
 * too when the queue fills meanwhile; the backoff keeps that to a few
 * percent of the time while Redis is unreachable.
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
/* Clients.                                                            */

/** The client as written in keys: "addr" or "addr/len"
 * (include/mxguard/clientkey.h). */
static void
client_text(const struct mxg_sink* s, int family, const uint8_t* addr,
	char* buf, size_t len)
{
	struct mxg_client k;
	mxg_client_key(&k, &s->cmask, family, addr);
	(void)mxg_client_text(&k, buf, len);
}

/* ------------------------------------------------------------------ */
/* Alert fields: the fields of the log line as field/value pairs.      */

/** Growable buffer of alert field texts for one batch. */
struct abuf {
	/** bytes */
	char* b;
	/** used, allocated */
	size_t len, cap;
	/** offsets and lengths: field, value, field, value, ... */
	size_t* off;
	/** lengths */
	size_t* ln;
	/** entries used, allocated */
	size_t n, ncap;
};

/** Room for n more bytes in the alert buffer. 1 ok, 0 OOM. */
static int
abuf_reserve(struct abuf* a, size_t n)
{
	if(a->len + n > a->cap) {
		size_t nc = a->cap ? a->cap : 65536;
		char* nb;
		while(nc < a->len + n)
			nc *= 2;
		if(!(nb = realloc(a->b, nc)))
			return 0;
		a->b = nb;
		a->cap = nc;
	}
	return 1;
}

/** Start a new text entry. 1 ok, 0 OOM. */
static int
abuf_begin(struct abuf* a)
{
	if(a->n == a->ncap) {
		size_t nc = a->ncap ? a->ncap * 2 : 4096;
		size_t* no = realloc(a->off, nc * sizeof(*no));
		size_t* nl;
		if(!no)
			return 0;
		a->off = no;
		if(!(nl = realloc(a->ln, nc * sizeof(*nl))))
			return 0;
		a->ln = nl;
		a->ncap = nc;
	}
	a->off[a->n] = a->len;
	a->ln[a->n] = 0;
	a->n++;
	return 1;
}

/**
 * mxg_jsonlog_field_fn of the alerts: the field's name and value as two
 * entries, the value as a JSON reader reads it from the log line (strings
 * in valid UTF-8, numbers and true/false as written). 1 ok, 0 OOM.
 */
static int
alert_field(void* arg, const char* k, const char* v, size_t n, int is_str)
{
	struct abuf* a = arg;
	size_t kl = strlen(k);
	if(!abuf_reserve(a, kl + 2 * n) || !abuf_begin(a))
		return 0;
	memcpy(a->b + a->len, k, kl);
	a->len += kl;
	a->ln[a->n - 1] = kl;
	if(!abuf_begin(a))
		return 0;
	if(is_str)
		n = mxg_jsonlog_utf8(a->b + a->len, v, n);
	else
		memcpy(a->b + a->len, v, n);
	a->len += n;
	a->ln[a->n - 1] = n;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The thread.                                                         */

/** Slots of the per-domain GeoIP memo (a power of two). */
#define GEO_MEMO_SLOTS 8192
/** Seconds a domain's GeoIP and category are not looked up again. */
#define GEO_MEMO_S 10

/** Slots of the client text memo (a power of two). */
#define CLIENT_MEMO_SLOTS 256
/** Slots of the base domain text memo (a power of two; 2048 x 193 bytes:
 * 512 missed for 39 % of the lookups of 300 names in PROFILE_RL=3, at ~680
 * Ir each for the text). */
#define NAME_MEMO_SLOTS 2048
/** Longest base domain (wire bytes) kept in the name memo. */
#define NAME_MEMO_WIRE 64
/** Longest base domain text kept in the name memo (with its NUL). */
#define NAME_MEMO_TEXT 128

/** A client text memo slot: the key text of a client address. */
struct client_memo {
	/** slot in use */
	uint8_t used;
	/** address family */
	uint8_t family;
	/** the address as in the event (before masking) */
	uint8_t addr[16];
	/** client_text() of it */
	char text[56];
};

/** A name memo slot: the Redis text of a base domain's wire bytes. */
struct name_memo {
	/** length of wire (0: empty slot) */
	uint8_t len;
	/** the wire bytes, exactly as in the event */
	uint8_t wire[NAME_MEMO_WIRE];
	/** the text fill_rec makes of them */
	char text[NAME_MEMO_TEXT];
};

/** A GeoIP memo slot: when a base domain was last looked up. */
struct geo_memo {
	/** hash of the lowercased base domain (0: empty) */
	uint64_t hash;
	/** monotonic ms of the lookup */
	uint64_t when_ms;
};

/** Working memory of the thread (used by the thread alone, no lock). */
struct work {
	/** GeoIP memo (GEO_MEMO_SLOTS) */
	struct geo_memo geo_memo[GEO_MEMO_SLOTS];
	/** client texts of recent addresses (the client prefix lengths do
	 * not change while the sink runs) */
	struct client_memo client_memo[CLIENT_MEMO_SLOTS];
	/** base domain texts of recent names */
	struct name_memo name_memo[NAME_MEMO_SLOTS];
	/** events of the batch */
	struct mxg_event* ev;
	/** records for Redis */
	struct mxg_redis_rec* rec;
	/** first alert entry of each record, (size_t)-1 none */
	size_t* afirst;
	/** alert field texts */
	struct abuf ab;
	/** pointers built from ab */
	const char** aptr;
	/** log lines waiting for write() */
	char* logbuf;
	/** bytes in logbuf */
	size_t loglen;
	/** one formatted line */
	char line[MXG_JSONLOG_MAX];
	/** pipelines sent to Redis whose replies are not read yet (at most
	 * 2, oldest first): events of each */
	size_t fl_events[2];
	/** commands (replies to read) of each pipeline in flight */
	size_t fl_cmds[2];
	/** number of pipelines in flight */
	int nfl;
	/** events merged into the pending commands, not sent yet */
	size_t acc_events;
	/** monotonic time the first of them was merged */
	uint64_t acc_start;
};

/** Count the batches in flight as unsent (the connection was lost). */
static void
flight_lost(struct mxg_sink* s, struct work* w)
{
	int i;
	for(i = 0; i < w->nfl; i++)
		atomic_fetch_add_explicit(&s->unsent, w->fl_events[i],
			memory_order_relaxed);
	w->nfl = 0;
}

/** Read the replies of the oldest batch in flight and count it. */
static void
flight_read(struct mxg_sink* s, struct work* w, uint64_t now_ms)
{
	if(w->nfl == 0)
		return;
	if(!mxg_redis_read(s->redis, w->fl_cmds[0], now_ms)) {
		/* the connection failed: what was merged since is gone too */
		flight_lost(s, w);
		atomic_fetch_add_explicit(&s->unsent, w->acc_events,
			memory_order_relaxed);
		w->acc_events = 0;
		return;
	}
	atomic_fetch_add_explicit(&s->sent, w->fl_events[0],
		memory_order_relaxed);
	w->fl_events[0] = w->fl_events[1];
	w->fl_cmds[0] = w->fl_cmds[1];
	w->nfl--;
}

/** Is a GeoIP/category lookup due for the base domain of an event (not
 * done for it in the last GEO_MEMO_S)? Marks it done. */
static int
geo_due(struct work* w, const struct mxg_event* ev, uint64_t now_ms)
{
	size_t off = ev->base_off < ev->qname_len ? ev->base_off : 0;
	uint64_t h = mxg_hash_bytes_lower(0, ev->qname + off,
		ev->qname_len - off) | 1;
	struct geo_memo* m;
	m = &w->geo_memo[h & (GEO_MEMO_SLOTS - 1)];
	if(m->hash == h && m->when_ms + GEO_MEMO_S * 1000 > now_ms)
		return 0;
	m->hash = h;
	m->when_ms = now_ms;
	return 1;
}

/** Does this event get a JSON log line? */
static int
wants_log(const struct mxg_conf* cfg, const struct mxg_event* ev)
{
	if(!(ev->flags & MXG_EV_LOG))
		return 0;
	return ev->action != MXG_ACT_PASS || (ev->flags & MXG_EV_WOULD_REFUSE)
		|| cfg->log_lookups;
}

/** Is this event an alert (in the Redis stream)? The TCP retry of a
 * truncated UDP answer is not: its UDP lookup had the same verdict. */
static int
is_alert(const struct mxg_event* ev)
{
	return (ev->action != MXG_ACT_PASS ||
		(ev->flags & MXG_EV_WOULD_REFUSE)) &&
		!(ev->flags & MXG_EV_RETRY);
}

/** The client of an event as written in keys, into text (56 bytes),
 * from the memo when the address was seen recently. */
static void
client_of(struct mxg_sink* s, struct work* w, const struct mxg_event* ev,
	char* text)
{
	struct client_memo* m = &w->client_memo[mxg_hash_bytes(0, ev->client_addr,
		16) & (CLIENT_MEMO_SLOTS - 1)];
	if(m->used && m->family == ev->client_family &&
		memcmp(m->addr, ev->client_addr, 16) == 0) {
		memcpy(text, m->text, sizeof(m->text));
		return;
	}
	client_text(s, ev->client_family, ev->client_addr, m->text,
		sizeof(m->text));
	m->used = 1;
	m->family = ev->client_family;
	memcpy(m->addr, ev->client_addr, 16);
	memcpy(text, m->text, sizeof(m->text));
}

/** The base domain of an event as written in keys, into text (1025
 * bytes), from the memo when the same name was seen recently. */
static void
base_of(struct work* w, const struct mxg_event* ev, char* text, size_t len)
{
	size_t off = ev->base_off < ev->qname_len ? ev->base_off : 0;
	const uint8_t* wire = ev->qname + off;
	size_t wl = ev->qname_len - off;
	struct name_memo* m = NULL;
	if(wl > 0 && wl <= NAME_MEMO_WIRE) {
		m = &w->name_memo[mxg_hash_bytes(0, wire, wl) & (NAME_MEMO_SLOTS - 1)];
		if(m->len == wl && memcmp(m->wire, wire, wl) == 0) {
			memcpy(text, m->text, strlen(m->text) + 1);
			return;
		}
	}
	if(!mxg_jsonlog_name_text(text, len, wire, wl, 1) && text[0] == 0)
		snprintf(text, len, "(invalid)");
	if(m) {
		size_t tl = strlen(text);
		if(tl < NAME_MEMO_TEXT) {
			m->len = (uint8_t)wl;
			memcpy(m->wire, wire, wl);
			memcpy(m->text, text, tl + 1);
		}
	}
}

/** Fill the Redis record of an event. @param ctx: NULL when nothing was
 * looked up for it. */
static void
fill_rec(struct mxg_sink* s, struct work* w, const struct mxg_event* ev,
	const struct mxg_jsonlog_ctx* ctx, struct mxg_redis_rec* r)
{
	int i;
	r->time_ms = ev->time_ms;
	client_of(s, w, ev, r->client);
	base_of(w, ev, r->base, sizeof(r->base));
	r->relay = (ev->flags & MXG_EV_RELAY) != 0;
	r->action = ev->action;
	r->would_refuse = (ev->flags & MXG_EV_WOULD_REFUSE) != 0;
	r->rule = ev->rule;
	r->retry = (ev->flags & MXG_EV_RETRY) != 0;
	r->country[0] = 0;
	r->asn = 0;
	r->as_org[0] = 0;
	r->category[0] = 0;
	r->alert_n = 0;
	r->alert_argv = NULL;
	r->alert_len = NULL;
	if(!ctx)
		return;
	for(i = 0; i < ev->n_addr && i < MXG_EVENT_MAX_ADDR; i++) {
		const struct mxg_geo_result* g = &ctx->mx_geo[i];
		if(!r->country[0] && g->country[0])
			memcpy(r->country, g->country, sizeof(r->country));
		if(!r->asn && g->asn) {
			r->asn = g->asn;
			snprintf(r->as_org, sizeof(r->as_org), "%s", g->as_org);
		}
	}
	if(ctx->category)
		snprintf(r->category, sizeof(r->category), "%s", ctx->category);
}

/** Process one batch: log lines, then one Redis pipeline. */
static void
process(struct mxg_sink* s, struct work* w, size_t n, uint64_t now_ms)
{
	const struct mxg_conf* cfg = s->cfg;
	int redis_up = s->redis && mxg_redis_connected(s->redis);
	size_t i;
	w->ab.n = 0;
	w->ab.len = 0;
	for(i = 0; i < n; i++) {
		const struct mxg_event* ev = &w->ev[i];
		struct mxg_jsonlog_ctx ctx;
		int log = wants_log(cfg, ev), alert = redis_up && is_alert(ev);
		int filled = 0;
		size_t len = 0;
		w->afirst[i] = (size_t)-1;
		if(!s->redis && s->blocks && ev->rule < MXG_RULE_BLOCKED &&
			(ev->action == MXG_ACT_REFUSE ||
			(ev->flags & MXG_EV_WOULD_REFUSE))) {
			/* no Redis: the blocks go to the state-file */
			char cl[sizeof(w->rec[i].client)];
			client_of(s, w, ev, cl);
			base_of(w, ev, w->rec[i].base, sizeof(w->rec[i].base));
			mxg_blocksync_note(s->blocks, ev, cl, w->rec[i].base);
		}
		if(!log && !redis_up)
			continue;
		/* GeoIP and category only feed the domain hash here: look
		 * them up once per domain per GEO_MEMO_S, not per lookup */
		if(log || alert || geo_due(w, ev, now_ms)) {
			mxg_jsonlog_ctx_fill(&ctx, ev, s->geo, s->cat,
				s->instance);
			filled = 1;
		}
		if(log)
			len = mxg_jsonlog_format(w->line, sizeof(w->line), ev,
				&ctx);
		if(log && len) {
			if(!cfg->log_file) {
				mxg_log_info("%.*s", (int)(len - 1), w->line);
			} else {
				if(w->loglen + len > LOGBUF)
					sink_log_flush(s, w->logbuf, &w->loglen);
				memcpy(w->logbuf + w->loglen, w->line, len);
				w->loglen += len;
			}
			atomic_fetch_add_explicit(&s->logged, 1,
				memory_order_relaxed);
		}
		if(!redis_up)
			continue;
		fill_rec(s, w, ev, filled ? &ctx : NULL, &w->rec[i]);
		mxg_blocksync_note(s->blocks, ev, w->rec[i].client,
			w->rec[i].base);
		if(alert) {
			size_t first = w->ab.n, l0 = w->ab.len;
			if(mxg_jsonlog_fields(ev, &ctx, alert_field, &w->ab)) {
				w->afirst[i] = first;
				w->rec[i].alert_n = (int)(w->ab.n - first) / 2;
			} else {
				w->ab.n = first;
				w->ab.len = l0;
			}
		}
	}
	if(cfg->log_file)
		sink_log_flush(s, w->logbuf, &w->loglen);
	if(!s->redis)
		return;
	if(!redis_up) {
		atomic_fetch_add_explicit(&s->unsent, n, memory_order_relaxed);
		return;
	}
	/* the alert texts are complete: point the records at them */
	if(w->ab.n) {
		const char** np = realloc(w->aptr, w->ab.n * sizeof(*np));
		if(!np) {
			for(i = 0; i < n; i++)
				w->rec[i].alert_n = 0;
		} else {
			w->aptr = np;
			for(i = 0; i < w->ab.n; i++)
				w->aptr[i] = w->ab.b + w->ab.off[i];
			for(i = 0; i < n; i++) {
				if(w->afirst[i] == (size_t)-1)
					continue;
				w->rec[i].alert_argv = w->aptr + w->afirst[i];
				w->rec[i].alert_len = w->ab.ln + w->afirst[i];
			}
		}
	}
	/* merge into the pending commands; flush() sends them */
	if(mxg_redis_add(s->redis, w->rec, n, now_ms)) {
		if(w->acc_events == 0)
			w->acc_start = now_ms;
		w->acc_events += n;
	} else {
		/* connection gone: this batch, the merged ones, and those in
		 * flight are lost */
		flight_lost(s, w);
		atomic_fetch_add_explicit(&s->unsent, n + w->acc_events,
			memory_order_relaxed);
		w->acc_events = 0;
	}
}

/** Send the merged commands (reading the replies of the pipeline sent
 * before, which had FLUSH_MS to be answered, first). */
static void
flush(struct mxg_sink* s, struct work* w, uint64_t now_ms)
{
	size_t ncmd;
	while(w->nfl)
		flight_read(s, w, now_ms);
	if(w->acc_events == 0)
		return;
	if(mxg_redis_send(s->redis, now_ms, &ncmd)) {
		w->fl_events[0] = w->acc_events;
		w->fl_cmds[0] = ncmd;
		w->nfl = 1;
	} else {
		atomic_fetch_add_explicit(&s->unsent, w->acc_events,
			memory_order_relaxed);
	}
	w->acc_events = 0;
}

/** Write the heartbeat. */
static void
heartbeat(struct mxg_sink* s, uint64_t now_ms)
{
	struct mxg_redis_heartbeat hb;
	char mode[32];
	snprintf(mode, sizeof(mode), "%s%s", mxg_action_name(s->cfg->mode),
		s->cfg->dry_run ? " dry-run" : "");
	memset(&hb, 0, sizeof(hb));
	hb.instance = s->instance;
	hb.mode = mode;
	hb.started = s->started;
	hb.now = (uint64_t)time(NULL);
	hb.queued = atomic_load(&s->queued);
	hb.dropped = atomic_load(&s->dropped);
	hb.sent = atomic_load(&s->sent);
	hb.unsent = atomic_load(&s->unsent);
	hb.errors = atomic_load(&s->errors);
	hb.logged = atomic_load(&s->logged);
	hb.log_suppressed = mxg_loglimit_suppressed(&s->loglim);
	hb.queue_size = s->mask + 1;
	hb.fleet = s->cfg->fleet;
	{
		/* the queue depth and the module's metrics */
		struct mxg_metric m[MXG_REDIS_HB_EXTRA];
		char val[MXG_REDIS_HB_EXTRA][24];
		const char* ex[2 * MXG_REDIS_HB_EXTRA];
		mxg_sink_metrics_fn fn = atomic_load_explicit(&s->metrics_fn,
			memory_order_acquire);
		void* arg = atomic_load_explicit(&s->metrics_arg, memory_order_acquire);
		size_t n = 1, i;
		snprintf(m[0].name, sizeof(m[0].name), "depth");
		m[0].value = atomic_load(&s->tail) - s->head;
		if(fn)
			n += fn(arg, m + 1, MXG_REDIS_HB_EXTRA - 1);
		for(i = 0; i < n && i < MXG_REDIS_HB_EXTRA; i++) {
			snprintf(val[i], sizeof(val[i]), "%llu",
				(unsigned long long)m[i].value);
			ex[2 * i] = m[i].name;
			ex[2 * i + 1] = val[i];
		}
		hb.extra = ex;
		hb.n_extra = i;
		(void)mxg_redis_heartbeat(s->redis, &hb, now_ms);
	}
}

/** Free the thread's working memory. */
static void
work_free(struct work* w)
{
	free(w->ev);
	free(w->rec);
	free(w->afirst);
	free(w->ab.b);
	free(w->ab.off);
	free(w->ab.ln);
	free(w->aptr);
	free(w->logbuf);
	free(w);
}

/** The background thread. */
static void*
run(void* arg)
{
	struct mxg_sink* s = arg;
	struct work* w = calloc(1, sizeof(*w));
	uint64_t next_hb = 0, next_fleet = 0, next_logcheck = 0;
	uint64_t next_geocheck = mxg_mono_ms() + GEOCHECK_MS;
	char err[512];
	if(!w || !(w->ev = malloc(BATCH * sizeof(*w->ev))) ||
		!(w->rec = malloc(BATCH * sizeof(*w->rec))) ||
		!(w->afirst = malloc(BATCH * sizeof(*w->afirst))) ||
		!(w->logbuf = malloc(LOGBUF))) {
		mxg_log_err("sink: out of memory, events are not sent");
		if(w)
			work_free(w);
		/* keep draining so that the counters stay right */
		while(!atomic_load(&s->stop)) {
			struct mxg_event ev;
			while(sink_pop_batch(s, &ev, 1))
				atomic_fetch_add(&s->unsent, 1);
			sink_idle_wait(s, IDLE_WAIT_MS);
		}
		return NULL;
	}
	for(;;) {
		int stopping = atomic_load(&s->stop);
		uint64_t now = mxg_mono_ms();
		size_t n;
		if(s->redis && !mxg_redis_connected(s->redis) && !stopping &&
			mxg_redis_may_retry(s->redis, now)) {
			if(mxg_redis_connect(s->redis, now, err, sizeof(err)))
				next_hb = 0;
			now = mxg_mono_ms();
		}
		n = sink_pop_batch(s, w->ev, BATCH);
		if(n)
			process(s, w, n, now);
		now = mxg_mono_ms();
		/* send what was merged every FLUSH_MS (longer merging means
		 * fewer commands), or when much is pending, or at stop */
		if(w->acc_events && (now >= w->acc_start + FLUSH_MS ||
			stopping || mxg_redis_pending(s->redis) > FLUSH_CMDS))
			flush(s, w, now);
		else if(n == 0 && w->nfl)
			flight_read(s, w, now);
		if(n && s->fleet)
			sink_fleet_note(s, w->ev, n);
		if(s->redis) {
			atomic_store(&s->errors, mxg_redis_errors(s->redis));
			atomic_store(&s->connected,
				mxg_redis_connected(s->redis) ? 1 : 0);
		}
		now = mxg_mono_ms();
		if(s->redis && (now >= next_hb || stopping ||
			(s->fleet && now >= next_fleet) ||
			mxg_blocksync_due(s->blocks, now))) {
			/* send what is merged and read every reply: the
			 * heartbeat and the fleet read expect theirs next */
			flush(s, w, now);
			while(w->nfl)
				flight_read(s, w, now);
		}
		if(s->redis && mxg_redis_connected(s->redis) &&
			(now >= next_hb || (stopping && n == 0))) {
			heartbeat(s, now);
			next_hb = now + HEARTBEAT_MS;
		}
		if(s->fleet && mxg_redis_connected(s->redis) &&
			now >= next_fleet && !stopping) {
			sink_fleet_read(s, now);
			next_fleet = now + FLEET_MS;
		}
		if(s->blocks && mxg_redis_connected(s->redis) &&
			mxg_blocksync_due(s->blocks, now))
			mxg_blocksync_run(s->blocks, s->redis, now);
		if(s->blocks && !s->redis && (stopping ||
			mxg_blocksync_due(s->blocks, now)))
			mxg_blocksync_run_file(s->blocks, now, stopping);
		if(s->geo && now >= next_geocheck) {
			/* replaced GeoIP files (geo.h) */
			mxg_geo_refresh((struct mxg_geo*)s->geo, now / 1000);
			next_geocheck = now + GEOCHECK_MS;
		}
		if(s->cfg->log_file && now >= next_logcheck) {
			sink_log_check(s);
			next_logcheck = now + LOGCHECK_MS;
		}
		if(stopping && n == 0)
			break;
		if(n < BATCH && !stopping)
			sink_idle_wait(s, IDLE_WAIT_MS);
	}
	if(s->redis) {
		atomic_store(&s->errors, mxg_redis_errors(s->redis));
		atomic_store(&s->connected, 0);
	}
	work_free(w);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Start and stop.                                                     */

/** Free a sink whose thread is not running. */
static void
sink_free(struct mxg_sink* s)
{
	if(!s)
		return;
	mxg_redis_free(s->redis);
	mxg_blocksync_free(s->blocks);
	mxg_loglimit_free(&s->loglim);
	if(s->wake[0] >= 0)
		close(s->wake[0]);
	if(s->wake[1] >= 0)
		close(s->wake[1]);
	if(s->logfd >= 0)
		close(s->logfd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->fleet_mu);
	free(s->fleet);
	free(s->ring);
	free(s->instance);
	free(s);
}

struct mxg_sink*
mxg_sink_start(const struct mxg_conf* cfg, const struct mxg_geo* geo,
	const struct mxg_category* cat, char* err, size_t errlen)
{
	struct mxg_sink* s;
	size_t cap = 64, i;
	char host[256];
	int rc;
	if(!cfg) {
		snprintf(err, errlen, "sink: no config");
		return NULL;
	}
	if(!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "sink: out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->geo = geo;
	s->cat = cat;
	s->logfd = -1;
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->mu, NULL);
	{
		/* a wall clock step must not stretch the idle wait */
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&s->fleet_mu, NULL);
	mxg_client_mask_init(&s->cmask, cfg->client_prefix_v4,
		cfg->client_prefix_v6);
	if(!mxg_loglimit_init(&s->loglim, cfg->log_rate, cfg->block_duration,
		cfg->client_prefix_v4, cfg->client_prefix_v6)) {
		snprintf(err, errlen, "sink: out of memory");
		sink_free(s);
		return NULL;
	}
	s->started = (uint64_t)time(NULL);
	if(cfg->instance && cfg->instance[0])
		s->instance = strdup(cfg->instance);
	else {
		if(gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = 0;
		s->instance = strdup(host);
	}
	while(cap < cfg->redis_queue && cap < ((size_t)1 << 24))
		cap <<= 1;
	s->ring = malloc(cap * sizeof(*s->ring));
	if(!s->instance || !s->ring) {
		snprintf(err, errlen, "sink: out of memory (queue of %zu "
			"events)", cap);
		goto fail;
	}
	for(i = 0; i < cap; i++)
		atomic_init(&s->ring[i].seq, i);
	s->mask = cap - 1;
	s->wake_mask = (cap / 4 < WAKE_EVERY ? cap / 4 : WAKE_EVERY) - 1;
	if(cfg->redis_server) {
		struct mxg_redis_opts o;
		char e[256];
		mxg_redis_opts_from_conf(&o, cfg);
		if(!(s->redis = mxg_redis_new(&o, e, sizeof(e)))) {
			snprintf(err, errlen, "sink: %s", e);
			goto fail;
		}
		if(pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
			s->wake[0] = s->wake[1] = -1;
			snprintf(err, errlen, "sink: pipe: %s",
				strerror(errno));
			goto fail;
		}
		mxg_redis_set_wakefd(s->redis, s->wake[0]);
		if(!(s->blocks = mxg_blocksync_new(cfg->redis_prefix ?
			cfg->redis_prefix : "mxg:", s->instance, cfg->fleet,
			cfg->block_duration, cfg->redis_ttl))) {
			snprintf(err, errlen, "sink: out of memory");
			goto fail;
		}
		if(cfg->fleet && !(s->fleet = calloc(FLEET_SLOTS,
			sizeof(*s->fleet)))) {
			snprintf(err, errlen, "sink: out of memory");
			goto fail;
		}
	}
	if(!cfg->redis_server && cfg->state_file && (!(s->blocks =
		mxg_blocksync_new("", s->instance, 0, cfg->block_duration,
		cfg->redis_ttl)) || !mxg_blocksync_set_file(s->blocks,
		cfg->state_file))) {
		snprintf(err, errlen, "sink: out of memory");
		goto fail;
	}
	/* a log file that cannot be opened is logged and retried every
	 * LOGCHECK_MS; it must not fail init (that would kill a reload) */
	if(cfg->log_file)
		sink_log_open(s);
	if((rc = pthread_create(&s->thr, NULL, run, s)) != 0) {
		snprintf(err, errlen, "sink: cannot start thread: %s",
			strerror(rc));
		goto fail;
	}
	return s;
fail:
	sink_free(s);
	return NULL;
}

void
mxg_sink_stop(struct mxg_sink* s)
{
	if(!s)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, 1);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	/* end a wait on Redis at once (a reload must not hang on it) */
	if(s->wake[1] >= 0 && write(s->wake[1], "x", 1) < 0)
		mxg_log_err("sink: cannot wake the thread: %s",
			strerror(errno));
	pthread_join(s->thr, NULL);
	sink_free(s);
}

void
mxg_sink_get_stats(const struct mxg_sink* s, struct mxg_sink_stats* st)
{
	struct mxg_sink* m = (struct mxg_sink*)s;
	memset(st, 0, sizeof(*st));
	if(!s)
		return;
	st->queued = atomic_load(&m->queued);
	st->dropped = atomic_load(&m->dropped);
	st->sent = atomic_load(&m->sent);
	st->unsent = atomic_load(&m->unsent);
	st->errors = atomic_load(&m->errors);
	st->logged = atomic_load(&m->logged);
	st->connected = atomic_load(&m->connected);
	st->fleet_reads = atomic_load(&m->fleet_reads);
	st->log_suppressed = mxg_loglimit_suppressed(&m->loglim);
}

int
mxg_sink_log_allow(struct mxg_sink* s, int family, const uint8_t* addr,
	int strong, int blocked, uint64_t now_ms)
{
	if(!s)
		return 0;
	return mxg_loglimit_allow(&s->loglim, family, addr, strong, blocked,
		now_ms);
}

void
mxg_sink_set_blocks(struct mxg_sink* s, mxg_block_apply_fn fn, void* arg)
{
	if(s)
		mxg_blocksync_set_apply(s->blocks, fn, arg);
}

void
mxg_sink_set_metrics(struct mxg_sink* s, mxg_sink_metrics_fn fn, void* arg)
{
	if(!s)
		return;
	atomic_store_explicit(&s->metrics_arg, arg, memory_order_release);
	atomic_store_explicit(&s->metrics_fn, fn, memory_order_release);
}

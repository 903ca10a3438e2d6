/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/prom.c - the instances' heartbeats as Prometheus text.
 */
/** \file
 * Implements tools/prom.h. The heartbeat fields (written every 5 s by each
 * resolver's background thread, module/sink.c and module/metrics.c) map to
 * the families of the table below; docs/redis-schema.md lists them with
 * PromQL for the dashboard questions. Counters restart from zero when a
 * resolver reloads (rate() and increase() handle that).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>
#include "mxguard/blocks.h"
#include "prom.h"

/** A growing text buffer. */
struct buf {
	/** text */
	char* s;
	/** used, allocated */
	size_t n, cap;
	/** out of memory */
	int oom;
};

/** Append printf text. */
static void
bprintf(struct buf* b, const char* fmt, ...) __attribute__((format(printf,
	2, 3)));

static void
bprintf(struct buf* b, const char* fmt, ...)
{
	va_list ap;
	int n;
	for(;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt,
			ap);
		va_end(ap);
		if(n < 0) {
			b->oom = 1;
			return;
		}
		if(b->s && (size_t)n < room) {
			b->n += (size_t)n;
			return;
		}
		{
			size_t nc = b->cap ? b->cap * 2 : 8192;
			char* ns;
			while(nc < b->n + (size_t)n + 1)
				nc *= 2;
			if(!(ns = realloc(b->s, nc))) {
				b->oom = 1;
				return;
			}
			b->s = ns;
			b->cap = nc;
		}
	}
}

/** Append a label value, escaped as the format wants. */
static void
blabel(struct buf* b, const char* v)
{
	for(; *v; v++) {
		if(*v == '\\' || *v == '"')
			bprintf(b, "\\%c", *v);
		else if(*v == '\n')
			bprintf(b, "\\n");
		else
			bprintf(b, "%c", *v);
	}
}

/** One instance's heartbeat. */
struct inst {
	/** name */
	char* name;
	/** the HGETALL reply (field, value, ...) */
	redisReply* h;
};

/** A field of a heartbeat, NULL when absent. */
static const char*
field(const struct inst* in, const char* name)
{
	size_t i;
	for(i = 0; i + 1 < in->h->elements; i += 2)
		if(in->h->element[i]->type == REDIS_REPLY_STRING &&
			strcmp(in->h->element[i]->str, name) == 0 &&
			in->h->element[i + 1]->type == REDIS_REPLY_STRING)
			return in->h->element[i + 1]->str;
	return NULL;
}

/** The families read from one heartbeat field. */
static const struct fam {
	/** metric name */
	const char* name;
	/** counter or gauge */
	const char* type;
	/** heartbeat field */
	const char* field;
	/** HELP text */
	const char* help;
} fams[] = {
	{ "mxguard_lookups_total", "counter", "lookups",
		"MX lookups observed since the config was loaded" },
	{ "mxguard_refused_total", "counter", "refused",
		"MX lookups refused" },
	{ "mxguard_tagged_total", "counter", "tagged",
		"MX lookups tagged (EDE note)" },
	{ "mxguard_log_lines_total", "counter", "logged",
		"JSON log lines written" },
	{ "mxguard_log_lines_suppressed_total", "counter", "log_suppressed",
		"JSON log lines suppressed by log-rate" },
	{ "mxguard_events_queued_total", "counter", "queued",
		"events queued for the background thread" },
	{ "mxguard_events_dropped_total", "counter", "dropped",
		"events dropped because the queue was full" },
	{ "mxguard_events_sent_total", "counter", "sent",
		"events written to Redis" },
	{ "mxguard_events_unsent_total", "counter", "unsent",
		"events not written because Redis was down" },
	{ "mxguard_redis_errors_total", "counter", "errors",
		"Redis errors (connects, error replies, timeouts)" },
	{ "mxguard_evictions_total", "counter", "evictions",
		"counter keys evicted to stay under max-memory" },
	{ "mxguard_queue_depth", "gauge", "depth",
		"events waiting in the queue" },
	{ "mxguard_queue_size", "gauge", "queue_size",
		"capacity of the queue (redis-queue)" },
	{ "mxguard_memory_bytes", "gauge", "mem",
		"memory used by the counters and the answer cache" },
	{ "mxguard_memory_max_bytes", "gauge", "max_memory",
		"max-memory of the config" },
	{ "mxguard_tracked_keys", "gauge", "keys",
		"client and client+domain keys tracked in memory" },
	{ "mxguard_config_generation", "gauge", "generation",
		"configs loaded by this Unbound process (starts and reloads)" },
	{ "mxguard_config_load_time_seconds", "gauge", "loaded",
		"when the config in force was loaded (Unix time)" },
	{ "mxguard_start_time_seconds", "gauge", "started",
		"when the background thread started (Unix time)" },
	{ "mxguard_last_seen_timestamp_seconds", "gauge", "last_seen",
		"time of the last heartbeat (Unix time)" },
	{ "mxguard_fleet", "gauge", "fleet",
		"1 when fleet mode is on" },
};

/** Most instances read from the index (the most recent heartbeats). */
#define PROM_INST_MAX 1000

int
mxg_prom_render(struct redisContext* c, const char* prefix, char** out,
	char* err, size_t errlen)
{
	struct buf b = { NULL, 0, 0, 0 };
	struct inst* in = NULL;
	size_t ni = 0, i, f, k;
	redisReply* r;
	char key[1200];
	long long blocks = 0;
	int rc = -1;
	*out = NULL;
	snprintf(key, sizeof(key), "%s{inst}:all", prefix);
	/* the PROM_INST_MAX most recent: the index is read bounded, as
	 * mxguard-report instances does */
	r = redisCommand(c, "ZREVRANGE %b 0 %d", key, strlen(key),
		PROM_INST_MAX - 1);
	if(!r || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: ZRANGE: %s", r ? r->str :
			c->errstr);
		if(r)
			freeReplyObject(r);
		return -1;
	}
	if(r->elements && !(in = calloc(r->elements, sizeof(*in)))) {
		freeReplyObject(r);
		return -2;
	}
	for(i = 0; i < r->elements; i++) {
		redisReply* h;
		if(r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(key, sizeof(key), "%s{inst:%s}", prefix,
			r->element[i]->str);
		/* a heartbeat has about 50 fields: a huge hash is not one */
		h = redisCommand(c, "HLEN %b", key, strlen(key));
		if(h && h->type == REDIS_REPLY_INTEGER && h->integer > 256) {
			freeReplyObject(h);
			continue;
		}
		if(h)
			freeReplyObject(h);
		h = redisCommand(c, "HGETALL %b", key, strlen(key));
		if(!h || h->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "redis: HGETALL: %s", h ? h->str
				: c->errstr);
			if(h)
				freeReplyObject(h);
			goto done;
		}
		if(h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
			/* gone: the heartbeat expired */
			freeReplyObject(h);
			continue;
		}
		in[ni].name = strdup(r->element[i]->str);
		in[ni].h = h;
		if(!in[ni].name) {
			freeReplyObject(h);
			rc = -2;
			goto done;
		}
		ni++;
	}
	/* the blocks in force, fleet-wide: HSCAN, at most
	 * MXG_BLOCKS_READ_MAX entries (as the module reads them) */
	snprintf(key, sizeof(key), "%s{blocks}", prefix);
	{
		char cur[32] = "0";
		size_t seen = 0;
		time_t now = time(NULL);
		do {
			redisReply* h = redisCommand(c, "HSCAN %b %s COUNT %d",
				key, strlen(key), cur, MXG_BLOCKS_SCAN_COUNT);
			redisReply* a;
			if(!h || h->type != REDIS_REPLY_ARRAY ||
				h->elements != 2 ||
				h->element[0]->type != REDIS_REPLY_STRING ||
				h->element[0]->len == 0 ||
				h->element[0]->len >= sizeof(cur) ||
				(a = h->element[1])->type != REDIS_REPLY_ARRAY) {
				if(h)
					freeReplyObject(h);
				break;
			}
			memcpy(cur, h->element[0]->str, h->element[0]->len);
			cur[h->element[0]->len] = 0;
			for(k = 0; k + 1 < a->elements &&
				seen < MXG_BLOCKS_READ_MAX; k += 2, seen++) {
				struct mxg_block bl;
				if(a->element[k]->type == REDIS_REPLY_STRING &&
					a->element[k + 1]->type ==
					REDIS_REPLY_STRING &&
					mxg_block_parse(a->element[k]->str,
					a->element[k]->len,
					a->element[k + 1]->str,
					a->element[k + 1]->len, &bl) &&
					bl.until > (uint64_t)now)
					blocks++;
			}
			freeReplyObject(h);
		} while(strcmp(cur, "0") != 0 && seen < MXG_BLOCKS_READ_MAX);
	}

	bprintf(&b, "# HELP mxguard_up 1 for each resolver whose heartbeat is "
		"current (written every 5 s, expires after 30 s)\n"
		"# TYPE mxguard_up gauge\n");
	for(i = 0; i < ni; i++) {
		bprintf(&b, "mxguard_up{instance=\"");
		blabel(&b, in[i].name);
		bprintf(&b, "\"} 1\n");
	}
	bprintf(&b, "# HELP mxguard_info version and mode of each resolver\n"
		"# TYPE mxguard_info gauge\n");
	for(i = 0; i < ni; i++) {
		const char* v = field(&in[i], "version");
		const char* m = field(&in[i], "mode");
		bprintf(&b, "mxguard_info{instance=\"");
		blabel(&b, in[i].name);
		bprintf(&b, "\",version=\"");
		blabel(&b, v ? v : "");
		bprintf(&b, "\",mode=\"");
		blabel(&b, m ? m : "");
		bprintf(&b, "\"} 1\n");
	}
	bprintf(&b, "# HELP mxguard_passthrough 1 while a bad config at the "
		"last reload leaves the resolver in pass-through (nothing "
		"observed or blocked)\n# TYPE mxguard_passthrough gauge\n");
	for(i = 0; i < ni; i++) {
		const char* m = field(&in[i], "mode");
		bprintf(&b, "mxguard_passthrough{instance=\"");
		blabel(&b, in[i].name);
		bprintf(&b, "\"} %d\n", m && strcmp(m, "pass-through") == 0);
	}
	for(f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		int head = 0;
		for(i = 0; i < ni; i++) {
			const char* v = field(&in[i], fams[f].field);
			if(!v || !*v)
				continue;
			if(!head) {
				bprintf(&b, "# HELP %s %s\n# TYPE %s %s\n",
					fams[f].name, fams[f].help,
					fams[f].name, fams[f].type);
				head = 1;
			}
			bprintf(&b, "%s{instance=\"", fams[f].name);
			blabel(&b, in[i].name);
			bprintf(&b, "\"} %s\n", v);
		}
	}
	/* verdicts: fields v:RULE:ACTION */
	bprintf(&b, "# HELP mxguard_verdicts_total verdicts by rule and "
		"action since the config was loaded\n"
		"# TYPE mxguard_verdicts_total counter\n");
	for(i = 0; i < ni; i++) {
		for(k = 0; k + 1 < in[i].h->elements; k += 2) {
			const redisReply* fe = in[i].h->element[k];
			const redisReply* ve = in[i].h->element[k + 1];
			char rule[64], *colon;
			if(fe->type != REDIS_REPLY_STRING ||
				ve->type != REDIS_REPLY_STRING ||
				strncmp(fe->str, "v:", 2) != 0)
				continue;
			snprintf(rule, sizeof(rule), "%s", fe->str + 2);
			if(!(colon = strchr(rule, ':')))
				continue;
			*colon = 0;
			bprintf(&b, "mxguard_verdicts_total{instance=\"");
			blabel(&b, in[i].name);
			bprintf(&b, "\",rule=\"");
			blabel(&b, rule);
			bprintf(&b, "\",action=\"");
			blabel(&b, colon + 1);
			bprintf(&b, "\"} %s\n", ve->str);
		}
	}
	bprintf(&b, "# HELP mxguard_geoip_build_time_seconds build time of "
		"each GeoIP database in use (Unix time)\n"
		"# TYPE mxguard_geoip_build_time_seconds gauge\n");
	for(i = 0; i < ni; i++) {
		static const char* dbs[2][2] = { { "geoip_country_built",
			"country" }, { "geoip_asn_built", "asn" } };
		int d;
		for(d = 0; d < 2; d++) {
			const char* v = field(&in[i], dbs[d][0]);
			if(!v || strcmp(v, "0") == 0)
				continue;
			bprintf(&b, "mxguard_geoip_build_time_seconds{"
				"instance=\"");
			blabel(&b, in[i].name);
			bprintf(&b, "\",database=\"%s\"} %s\n", dbs[d][1], v);
		}
	}
	bprintf(&b, "# HELP mxguard_blocks_active blocks in force on the "
		"resolvers sharing this Redis (mxguard-report blocks)\n"
		"# TYPE mxguard_blocks_active gauge\nmxguard_blocks_active %lld\n",
		blocks);
	if(b.oom) {
		rc = -2;
		goto done;
	}
	*out = b.s;
	b.s = NULL;
	rc = 0;
done:
	for(i = 0; i < ni; i++) {
		free(in[i].name);
		freeReplyObject(in[i].h);
	}
	free(in);
	free(b.s);
	freeReplyObject(r);
	if(rc == -2)
		snprintf(err, errlen, "out of memory");
	return rc;
}

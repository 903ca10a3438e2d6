/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_redis_writer.c - the Redis writer against a real Redis.
 */
/** \file
 * The Redis writer and its connection, against a redis-server of the
 * test's own on a Unix socket in a mktemp -d directory (stopped by PID),
 * read back with hiredis: Redis absent at start and started later (events
 * resume), then known events pushed through the real sink give exactly the
 * minute buckets, top lists, domain hashes, HyperLogLog, flow, alert
 * stream, heartbeat and schema key, each key with a TTL; a TCP retry counts
 * once; records merged in a batch give exact counts, one XADD per alert,
 * first/last of the first/last record, and other minutes, days and clients
 * apart; binary bytes in names; GeoIP and category fields; last a wrong
 * password and an ACL user with a database number. Split from test_sink.c,
 * with which it shares tests/unit/sinklib.h. Without redis-server every
 * check is skipped.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <hiredis/hiredis.h>
#include "mxguard/category.h"
#include "mxguard/geo.h"
#include "mxguard/jsonlog.h"
#include "sinklib.h"
#include "testlib.h"

/** Run a command and copy a string reply into buf ("" for anything else). */
static const char*
rstr(char* buf, size_t len, redisContext* c, const char* fmt, ...)
{
	va_list ap;
	redisReply* r;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	buf[0] = 0;
	if(!r)
		return buf;
	if(r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
		r->type == REDIS_REPLY_ERROR)
		snprintf(buf, len, "%.*s", (int)r->len, r->str);
	freeReplyObject(r);
	return buf;
}

/** Empty the test Redis. */
static void
redis_flush(void)
{
	redisContext* c = rconnect(NULL);
	if(c) {
		rint_(c, "FLUSHALL");
		redisFree(c);
	}
}

/** Every key under the prefix has a TTL? Returns keys without one. */
static int
keys_without_ttl(redisContext* c, int* total)
{
	redisReply* r = redisCommand(c, "KEYS t:*");
	size_t i;
	int bad = 0;
	*total = 0;
	if(!r || r->type != REDIS_REPLY_ARRAY) {
		if(r)
			freeReplyObject(r);
		return -1;
	}
	for(i = 0; i < r->elements; i++) {
		long long t = rint_(c, "TTL %b", r->element[i]->str,
			r->element[i]->len);
		if(t <= 0) {
			bad++;
			diag("no TTL: %s", r->element[i]->str);
		}
	}
	*total = (int)r->elements;
	freeReplyObject(r);
	return bad;
}

/** The counters of a batch of known events. */
static void
test_counters(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_sink_stats st;
	struct mxg_event ev;
	redisContext* c;
	char err[256], buf[512], key[256], day[9], logf[400];
	uint64_t t = wall_ms();
	uint64_t minute = t / 60000, suppressed = 0;
	int i, N = 1000, pushed = 0, total = 0;
	conf_log_file(cfg, "mxguard.log", logf, sizeof(logf));
	mxg_redis_day(day, t / 1000);
	redis_flush();
	s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
	ok(s != NULL, "sink starts (%s)", s ? "ok" : err);
	ok(wait_connected(s, 3000), "sink connects to Redis");
	for(i = 0; i < N; i++) {
		char b[8];
		int host = 1 + i % 5;
		int alert = i % 10 == 0;
		snprintf(b, sizeof(b), "d%d", i % 4);
		{
			char base[32];
			snprintf(base, sizeof(base), "%s.example", b);
			make_event(&ev, t, host, "mx", base,
				alert ? MXG_ACT_LOG : MXG_ACT_PASS,
				alert ? MXG_RULE_VOLUME : MXG_RULE_COUNT,
				(host == 1 ? MXG_EV_RELAY : 0) |
				(alert ? MXG_EV_LOG : 0));
		}
		pushed += mxg_sink_push(s, &ev);
	}
	is_int(pushed, N, "all %d events queued", N);
	wait_done(s, (uint64_t)N, 5000);
	mxg_sink_get_stats(s, &st);
	is_int(st.queued, N, "stats: queued");
	is_int(st.sent, N, "stats: sent");
	is_int(st.dropped, 0, "stats: nothing dropped");
	is_int(st.errors, 0, "stats: no Redis errors");
	is_int(st.logged, N / 10, "stats: one log line per alert");
	c = rconnect(NULL);
	ok(c != NULL, "test client connects");
	snprintf(key, sizeof(key), "t:{c:10.0.0.2}:m:%llu",
		(unsigned long long)minute);
	is_int(rint_(c, "GET %s", key), N / 5, "client minute bucket");
	ok(rint_(c, "TTL %s", key) > 0 && rint_(c, "TTL %s", key) <= 7200,
		"minute bucket TTL <= 2h");
	is_int(rint_(c, "GET t:{d:d3.example}:m:%llu",
		(unsigned long long)minute), N / 4, "domain minute bucket");
	snprintf(key, sizeof(key), "t:{day:%s}:clients", day);
	is_int(rint_(c, "ZSCORE %s 10.0.0.3", key), N / 5, "top clients");
	is_int(rint_(c, "ZCARD %s", key), 5, "top clients: 5 members");
	snprintf(key, sizeof(key), "t:{day:%s}:nonrelay", day);
	is_int(rint_(c, "ZCARD %s", key), 4, "non-relay: relay left out");
	is_int(rint_(c, "ZSCORE %s 10.0.0.1", key), -1,
		"non-relay: no relay");
	is_int(rint_(c, "ZSCORE t:{day:%s}:domains d0.example", day), N / 4,
		"top domains");
	is_int(rint_(c, "HGET t:{d:d0.example}:h count"), N / 4,
		"domain hash count");
	is_int(rint_(c, "HGET t:{d:d0.example}:h first"), t / 1000,
		"domain first seen");
	is_int(rint_(c, "HGET t:{d:d0.example}:h last"), t / 1000,
		"domain last seen");
	is_int(rint_(c, "PFCOUNT t:{d:d0.example}:hll"), 5,
		"distinct clients of a domain");
	is_int(rint_(c, "ZSCORE t:{day:%s}:domains d1.example", day), N / 4,
		"flow: per domain per day");
	is_int(rint_(c, "HGET t:{c:10.0.0.4}:h count"), N / 5,
		"client hash count");
	is_int(rint_(c, "HGET t:{c:10.0.0.1}:h relay"), 1,
		"client hash: relay flag");
	is_int(rint_(c, "ZCARD t:{c:10.0.0.5}:d:%s", day), 4,
		"client's domains of the day");
	is_int(rint_(c, "XLEN t:{alerts}"), N / 10, "alert stream: one entry "
		"per alert");
	is_int(rint_(c, "HGET t:{day:%s}:rules volume", day), N / 10,
		"alerts per rule of the day");
	{
		redisReply* r = redisCommand(c, "XRANGE t:{alerts} - + COUNT 1");
		int found_rule = 0, found_src = 0;
		if(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
			r->element[0]->type == REDIS_REPLY_ARRAY &&
			r->element[0]->elements == 2) {
			redisReply* f = r->element[0]->element[1];
			size_t k;
			for(k = 0; k + 1 < f->elements; k += 2) {
				if(strcmp(f->element[k]->str, "RuleName") == 0 &&
					strcmp(f->element[k + 1]->str,
					"volume") == 0)
					found_rule = 1;
				if(strcmp(f->element[k]->str, "SrcIpAddr") == 0
					&& strcmp(f->element[k + 1]->str,
					"10.0.0.1") == 0)
					found_src = 1;
			}
		}
		if(r)
			freeReplyObject(r);
		ok(found_rule, "alert entry: RuleName volume");
		ok(found_src, "alert entry: SrcIpAddr");
	}
	is_str(rstr(buf, sizeof(buf), c, "HGET t:{inst:test1} version"),
		MXG_VERSION, "heartbeat: version");
	is_int(rint_(c, "HGET t:{inst:test1} schema"), MXG_SCHEMA_VERSION,
		"heartbeat: schema");
	ok(rint_(c, "TTL t:{inst:test1}") > 0, "heartbeat has a TTL");
	ok(rint_(c, "ZSCORE t:{inst}:all test1") > 0, "instance index");
	is_int(rint_(c, "GET t:{meta}:schema"), MXG_SCHEMA_VERSION,
		"schema version key");
	is_int(keys_without_ttl(c, &total), 0, "every key has a TTL");
	ok(total >= 20, "keys written: %d", total);
	{
		/* log lines over a client's share are counted in the stats
		 * and the heartbeat */
		uint8_t a[4] = { 10, 0, 0, 99 };
		uint64_t no = 0;
		for(i = 0; i < 200; i++)
			no += !mxg_sink_log_allow(s, AF_INET, a, 1, 0, t);
		mxg_sink_get_stats(s, &st);
		ok(no >= 150 && st.log_suppressed == no, "stats: %llu log "
			"lines suppressed", (unsigned long long)st.log_suppressed);
		suppressed = no;
	}
	mxg_sink_stop(s);
	is_int(count_lines(logf), N / 10, "log file: one line per alert");
	{
		struct stat sb;
		ok(stat(logf, &sb) == 0 && (sb.st_mode & 0777) == 0640,
			"log file mode 0640");
	}
	/* the final heartbeat carries the exact counters */
	is_int(rint_(c, "HGET t:{inst:test1} sent"), N, "heartbeat: sent");
	is_int(rint_(c, "HGET t:{inst:test1} log_suppressed"), suppressed,
		"heartbeat: log_suppressed");
	redisFree(c);
	mxg_conf_free(cfg);
}

/** The TCP retry of a truncated UDP answer (MXG_EV_RETRY) adds to no
 * Redis counter and writes no alert: client 10.0.0.71 looks up
 * big.example over UDP, the answer is truncated and it asks again over
 * TCP; every counter of the pair is 1, one alert. Client 10.0.0.72 asks
 * over UDP and over TCP without the retry mark: 2. Both log lines of the
 * retried pair are written, the retry's with "IsTcpRetry":true. */
static void
test_tc_retry(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c;
	char day[9], logf[400];
	uint64_t t = wall_ms();
	uint64_t minute = t / 60000;
	int pushed = 0;
	FILE* f;
	conf_log_file(cfg, "retry.log", logf, sizeof(logf));
	mxg_redis_day(day, t / 1000);
	redis_flush();
	s = sink_up(cfg, NULL, NULL, "sink starts and connects");
	make_event(&ev, t, 71, NULL, "big.example", MXG_ACT_LOG,
		MXG_RULE_STAGING_SHAPE, MXG_EV_LOG);
	pushed += mxg_sink_push(s, &ev);
	make_event(&ev, t + 20, 71, NULL, "big.example", MXG_ACT_LOG,
		MXG_RULE_STAGING_SHAPE, MXG_EV_LOG | MXG_EV_CACHED |
		MXG_EV_TCP | MXG_EV_RETRY);
	pushed += mxg_sink_push(s, &ev);
	make_event(&ev, t, 72, NULL, "twice.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	pushed += mxg_sink_push(s, &ev);
	make_event(&ev, t + 20, 72, NULL, "twice.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, MXG_EV_TCP);
	pushed += mxg_sink_push(s, &ev);
	is_int(pushed, 4, "4 events queued");
	wait_done(s, 4, 5000);
	mxg_sink_stop(s);
	c = rconnect(NULL);
	ok(c != NULL, "test client connects");
	is_int(rint_(c, "GET t:{c:10.0.0.71}:m:%llu",
		(unsigned long long)minute), 1,
		"retry: client minute bucket 1");
	is_int(rint_(c, "GET t:{d:big.example}:m:%llu",
		(unsigned long long)minute), 1,
		"retry: domain minute bucket 1");
	is_int(rint_(c, "ZSCORE t:{c:10.0.0.71}:d:%s big.example", day), 1,
		"retry: the pair (client's domains of the day) 1");
	is_int(rint_(c, "HGET t:{c:10.0.0.71}:h count"), 1,
		"retry: client hash count 1");
	is_int(rint_(c, "HGET t:{d:big.example}:h count"), 1,
		"retry: domain hash count 1");
	is_int(rint_(c, "HGET t:{d:big.example}:h alerts"), 1,
		"retry: domain hash alerts 1");
	is_int(rint_(c, "ZSCORE t:{day:%s}:clients 10.0.0.71", day), 1,
		"retry: top clients of the day 1");
	is_int(rint_(c, "HGET t:{day:%s}:rules staging-shape", day), 1,
		"retry: alerts per rule of the day 1");
	is_int(rint_(c, "XLEN t:{alerts}"), 1, "retry: one alert in the "
		"stream");
	is_int(rint_(c, "GET t:{c:10.0.0.72}:m:%llu",
		(unsigned long long)minute), 2,
		"UDP then TCP without the retry mark: 2");
	redisFree(c);
	{
		static char line[MXG_JSONLOG_MAX];
		int retry_lines = 0;
		if((f = fopen(logf, "r")) != NULL) {
			while(fgets(line, sizeof(line), f))
				retry_lines += strstr(line,
					"\"IsTcpRetry\":true") != NULL;
			fclose(f);
		}
		is_int(count_lines(logf), 2, "retry: both lookups have a log "
			"line");
		is_int(retry_lines, 1, "retry: one of them says IsTcpRetry");
	}
	mxg_conf_free(cfg);
}

/** Alert fields of the records of test_merge. */
static const char* const merge_av[] = { "RuleName", "volume", "SrcIpAddr",
	"10.9.0.1" };
/** Their lengths. */
static const size_t merge_al[] = { 8, 6, 9, 8 };

/** Fill a Redis record: a lookup of base by client at tms, an alert (rule
 * volume, with two alert fields) or not. */
static void
set_rec(struct mxg_redis_rec* x, uint64_t tms, const char* client,
	const char* base, int relay, int alert)
{
	memset(x, 0, sizeof(*x));
	x->time_ms = tms;
	snprintf(x->client, sizeof(x->client), "%s", client);
	snprintf(x->base, sizeof(x->base), "%s", base);
	x->relay = relay;
	x->action = alert ? MXG_ACT_LOG : MXG_ACT_PASS;
	x->rule = alert ? MXG_RULE_VOLUME : MXG_RULE_COUNT;
	if(alert) {
		x->alert_n = 2;
		x->alert_argv = merge_av;
		x->alert_len = merge_al;
	}
}

/** A handle on the test Redis with a key prefix (TTL 1 h). */
static struct mxg_redis*
merge_handle(const char* prefix)
{
	return redis_handle(sockpath, prefix, 3600, 0, -1);
}

/** Add records in two mxg_redis_add calls (split at split), send them as
 * one pipeline and read the replies. @return the number of commands sent,
 * 0 on failure. */
static size_t
merge_write(struct mxg_redis* r, const struct mxg_redis_rec* x, size_t n,
	size_t split)
{
	size_t ncmd = 0;
	if(!mxg_redis_add(r, x, split, mxg_mono_ms()) ||
		!mxg_redis_add(r, x + split, n - split, mxg_mono_ms()) ||
		!mxg_redis_send(r, mxg_mono_ms(), &ncmd) ||
		!mxg_redis_read(r, ncmd, mxg_mono_ms()))
		return 0;
	return ncmd;
}

/** Records that write the same keys are merged into one with a count:
 * counters are exact, every alert still gets its own XADD, first and last
 * are those of the first and last record, and records of another minute,
 * day or client are kept apart. */
static void
test_merge(void)
{
	enum { MAIN = 100, PREV = 7, YDAY = 3, C2 = 20, ALL = 130, BIG = 10000,
		BIGC = 5000 };
	struct mxg_redis_rec* x = calloc(BIG, sizeof(*x));
	struct mxg_redis_rec* y = calloc(ALL, sizeof(*y));
	struct mxg_redis* r;
	redisContext* c = rconnect(NULL);
	char key[512], day[9], buf[64];
	uint64_t t0 = (uint64_t)time(NULL) / 60 * 60000, m = t0 / 60000;
	uint64_t c1_first = 0, c1_last = 0, d_first = 0, d_last = 0;
	long long c1_today = 0, c1_yday = 0, alerts = 0;
	size_t i, k, n1, n1000;
	int seen = 0;
	if(!x || !y || !c) {
		ok(0, "test_merge set up");
		free(x);
		free(y);
		if(c)
			redisFree(c);
		return;
	}
	rint_(c, "FLUSHALL");
	/* one record versus 1000 equal ones: the same commands, counts of
	 * 1000 (separate handles and prefixes: no EXPIRE memo shared) */
	for(i = 0; i < 1000; i++)
		set_rec(&x[i], t0 + 1000, "10.8.0.1", "same.example", 0, 0);
	r = merge_handle("v1:");
	n1 = r ? merge_write(r, x, 1, 1) : 0;
	mxg_redis_free(r);
	r = merge_handle("v2:");
	n1000 = r ? merge_write(r, x, 1000, 500) : 0;
	mxg_redis_free(r);
	ok(n1 > 0, "one record written (%zu commands)", n1);
	is_int(n1000, n1, "1000 equal records send the commands of one");
	mxg_redis_day(day, t0 / 1000);
	is_int(rint_(c, "GET v2:{c:10.8.0.1}:m:%llu", (unsigned long long)m),
		1000, "merged: minute bucket 1000");
	is_int(rint_(c, "HGET v2:{d:same.example}:h count"), 1000,
		"merged: domain hash count 1000");
	is_int(rint_(c, "ZSCORE v2:{day:%s}:domains same.example", day), 1000,
		"merged: top domains score 1000");
	is_int(rint_(c, "ZSCORE v2:{c:10.8.0.1}:d:%s same.example", day), 1000,
		"merged: client's domains of the day 1000");
	is_int(rint_(c, "PFCOUNT v2:{d:same.example}:hll"), 1,
		"merged: one distinct client");
	is_int(rint_(c, "GET v1:{c:10.8.0.1}:m:%llu", (unsigned long long)m), 1,
		"one record: minute bucket 1");

	/* a mix: 90 lookups and 10 alerts of 10.9.0.1 this minute (seconds
	 * not in order), 7 the minute before, 3 the same time yesterday, 20
	 * by the relay 10.9.0.2; shuffled */
	for(i = 0; i < MAIN; i++)
		set_rec(&x[i], t0 + 1000 * (1 + (i * 7) % 50) + i, "10.9.0.1",
			"a.example", 0, i % 10 == 3);
	for(i = 0; i < PREV; i++)
		set_rec(&x[MAIN + i], t0 - 60000 + 5000 * i, "10.9.0.1",
			"a.example", 0, 0);
	for(i = 0; i < YDAY; i++)
		set_rec(&x[MAIN + PREV + i], t0 - 86400000 + 1000 * i,
			"10.9.0.1", "a.example", 0, 0);
	for(i = 0; i < C2; i++)
		set_rec(&x[MAIN + PREV + YDAY + i], t0 + 2000 + 1000 * i,
			"10.9.0.2", "a.example", 1, 0);
	for(i = 0; i < ALL; i++)
		y[i] = x[(i * 37) % ALL];
	for(i = 0; i < ALL; i++) {
		char d[9];
		uint64_t sec = y[i].time_ms / 1000;
		if(!seen++)
			d_first = sec;
		d_last = sec;
		if(strcmp(y[i].client, "10.9.0.1") != 0)
			continue;
		if(!c1_first)
			c1_first = sec;
		c1_last = sec;
		mxg_redis_day(d, sec);
		if(strcmp(d, day) == 0)
			c1_today++;
		else	c1_yday++;
		alerts += y[i].alert_n > 0;
	}
	is_int(alerts, 10, "the mix has 10 alerts");
	r = merge_handle("u:");
	k = r ? merge_write(r, y, ALL, ALL / 2) : 0;
	ok(k > 10 && k < 80, "the mix: %zu commands for %d records", k, ALL);
	mxg_redis_free(r);
	snprintf(key, sizeof(key), "u:{c:10.9.0.1}:m:%llu",
		(unsigned long long)m);
	is_int(rint_(c, "GET %s", key), MAIN, "this minute's bucket");
	ok(rint_(c, "TTL %s", key) > 0 && rint_(c, "TTL %s", key) <= 3600,
		"minute bucket TTL <= redis-ttl");
	is_int(rint_(c, "GET u:{c:10.9.0.1}:m:%llu",
		(unsigned long long)(m - 1)), PREV, "the minute before: apart");
	is_int(rint_(c, "GET u:{c:10.9.0.1}:m:%llu",
		(unsigned long long)(m - 1440)), YDAY,
		"yesterday's minute: apart");
	is_int(rint_(c, "GET u:{c:10.9.0.2}:m:%llu", (unsigned long long)m), C2,
		"another client: apart");
	is_int(rint_(c, "GET u:{d:a.example}:m:%llu", (unsigned long long)m),
		MAIN + C2, "domain minute bucket");
	is_int(rint_(c, "HGET u:{c:10.9.0.1}:h count"), MAIN + PREV + YDAY,
		"client hash count");
	is_int(rint_(c, "HGET u:{c:10.9.0.1}:h alerts"), 10,
		"client hash alerts");
	is_int(rint_(c, "HGET u:{d:a.example}:h count"), ALL,
		"domain hash count");
	is_int(rint_(c, "HGET u:{d:a.example}:h alerts"), 10,
		"domain hash alerts");
	is_int(rint_(c, "HGET u:{c:10.9.0.1}:h first"), c1_first,
		"client first: the first record's second");
	is_int(rint_(c, "HGET u:{c:10.9.0.1}:h last"), c1_last,
		"client last: the last record's second");
	is_int(rint_(c, "HGET u:{d:a.example}:h first"), d_first,
		"domain first: the first record's second");
	is_int(rint_(c, "HGET u:{d:a.example}:h last"), d_last,
		"domain last: the last record's second");
	is_str(rstr(buf, sizeof(buf), c, "HGET u:{c:10.9.0.2}:h relay"), "1",
		"relay flag of the relay");
	is_str(rstr(buf, sizeof(buf), c, "HGET u:{c:10.9.0.1}:h relay"), "0",
		"relay flag of the other client");
	ok(rint_(c, "TTL u:{c:10.9.0.1}:h") > 0, "client hash has a TTL");
	is_int(rint_(c, "XLEN u:{alerts}"), 10, "one XADD per alert record");
	ok(rint_(c, "TTL u:{alerts}") > 0, "alert stream has a TTL");
	is_int(rint_(c, "HGET u:{day:%s}:rules volume", day), 10,
		"rules of the day");
	snprintf(key, sizeof(key), "u:{day:%s}:clients", day);
	is_int(rint_(c, "ZSCORE %s 10.9.0.1", key), c1_today,
		"top clients today");
	is_int(rint_(c, "ZSCORE %s 10.9.0.2", key), C2,
		"top clients today: the relay");
	snprintf(key, sizeof(key), "u:{day:%s}:nonrelay", day);
	is_int(rint_(c, "ZSCORE %s 10.9.0.1", key), c1_today,
		"non-relay today");
	is_int(rint_(c, "ZSCORE %s 10.9.0.2", key), -1,
		"non-relay: the relay left out");
	{
		char yd[9];
		mxg_redis_day(yd, t0 / 1000 - 86400);
		is_int(rint_(c, "ZSCORE u:{day:%s}:clients 10.9.0.1", yd),
			c1_yday, "top clients yesterday: apart");
	}
	is_int(rint_(c, "PFCOUNT u:{d:a.example}:hll"), 2,
		"distinct clients of the domain");

	/* more distinct records than the pre-aggregation table holds: it
	 * is drained in between, counts stay exact */
	for(i = 0; i < BIG; i++) {
		char cl[32];
		snprintf(cl, sizeof(cl), "10.7.%u.%u",
			(unsigned)((i % BIGC) / 250), (unsigned)((i % BIGC) % 250));
		set_rec(&x[i], t0 + 3000, cl, "big.example", 0, 0);
	}
	r = merge_handle("w:");
	ok(r && merge_write(r, x, BIG, BIG / 2) > 0, "%d records of %d "
		"clients written", BIG, BIGC);
	mxg_redis_free(r);
	is_int(rint_(c, "HGET w:{d:big.example}:h count"), BIG,
		"big: domain hash count");
	snprintf(key, sizeof(key), "w:{day:%s}:clients", day);
	is_int(rint_(c, "ZCARD %s", key), BIGC, "big: every client listed");
	is_int(rint_(c, "ZSCORE %s 10.7.0.0", key), BIG / BIGC,
		"big: first client counted twice");
	is_int(rint_(c, "ZSCORE %s 10.7.19.249", key), BIG / BIGC,
		"big: last client counted twice");
	is_int(rint_(c, "GET w:{c:10.7.13.7}:m:%llu", (unsigned long long)m),
		BIG / BIGC, "big: a minute bucket");
	redisFree(c);
	free(x);
	free(y);
}

/** Names with binary bytes are stored binary-safe, escaped as text. */
static void
test_binary(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c;
	char text[MXG_NAME_TEXT_MAX], qtext[MXG_NAME_TEXT_MAX];
	char key[1400], day[9];
	/* one label with NUL, 0xff, quote, %s, braces, a dot, a space */
	static const uint8_t label[] = { 'A', 0, 0xff, '"', '%', 's', '{', '}',
		'.', ' ', '\\', 'Z' };
	uint64_t t = wall_ms();
	size_t o = 0;
	make_event(&ev, t, 9, NULL, "x", MXG_ACT_REFUSE, MXG_RULE_COUNTRY,
		MXG_EV_LOG);
	ev.qname[o++] = sizeof(label);
	memcpy(ev.qname + o, label, sizeof(label));
	o += sizeof(label);
	memcpy(ev.qname + o, "\007example\0", 9);
	o += 9;
	ev.qname_len = (uint8_t)o;
	ev.base_off = 0;
	mxg_jsonlog_name_text(text, sizeof(text), ev.qname, ev.qname_len, 1);
	mxg_jsonlog_name_text(qtext, sizeof(qtext), ev.qname, ev.qname_len, 0);
	mxg_redis_day(day, t / 1000);
	s = sink_up(cfg, NULL, NULL, "sink up for binary names");
	ok(mxg_sink_push(s, &ev), "binary name queued");
	wait_done(s, 1, 3000);
	mxg_sink_stop(s);
	c = rconnect(NULL);
	snprintf(key, sizeof(key), "t:{d:%s}:h", text);
	is_int(rint_(c, "HGET %b count", key, strlen(key)), 1,
		"binary name: domain hash under its escaped text");
	snprintf(key, sizeof(key), "t:{day:%s}:domains", day);
	is_int(rint_(c, "ZSCORE %s %b", key, text, strlen(text)), 1,
		"binary name: top domains member");
	{
		redisReply* r = redisCommand(c, "XREVRANGE t:{alerts} + - "
			"COUNT 1");
		int found = 0;
		if(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
			redisReply* f = r->element[0]->element[1];
			size_t k;
			for(k = 0; k + 1 < f->elements; k += 2)
				if(strcmp(f->element[k]->str, "DnsQuery") == 0 &&
					f->element[k + 1]->len == strlen(qtext) &&
					memcmp(f->element[k + 1]->str, qtext,
					strlen(qtext)) == 0)
					found = 1;
		}
		if(r)
			freeReplyObject(r);
		ok(found, "binary name: alert DnsQuery equals the name text");
	}
	redisFree(c);
	mxg_conf_free(cfg);
}

/** Country, ASN and category of a domain reach its hash. */
static void
test_geo(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_geo* geo;
	struct mxg_category* cat;
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c;
	char err[512], buf[512], cpath[600], apath[600];
	uint64_t t = wall_ms();
	snprintf(cpath, sizeof(cpath), "%s/geoip/GeoIP2-Country-Test.mmdb",
		t_datadir());
	snprintf(apath, sizeof(apath), "%s/geoip/GeoLite2-ASN-Test.mmdb",
		t_datadir());
	geo = mxg_geo_open(cpath, apath, err, sizeof(err));
	cat = mxg_category_load(NULL, err, sizeof(err));
	if(!geo || mxg_geo_have(geo) != 3 || !cat) {
		skip("GeoIP test databases not found (run from the source "
			"tree or set MXG_TESTDATA)");
		mxg_geo_close(geo);
		mxg_category_free(cat);
		mxg_conf_free(cfg);
		return;
	}
	s = sink_up(cfg, geo, cat, "sink up with GeoIP and categories");
	make_event(&ev, t, 70, "mx", "gmail.com", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	ev.n_addr = 2;
	ev.mx_family[0] = AF_INET6;
	inet_pton(AF_INET6, "2001:218::1", ev.mx_addr[0]);
	ev.mx_family[1] = AF_INET;
	inet_pton(AF_INET, "1.128.0.1", ev.mx_addr[1]);
	mxg_sink_push(s, &ev);
	wait_done(s, 1, 3000);
	mxg_sink_stop(s);
	c = rconnect(NULL);
	is_str(rstr(buf, sizeof(buf), c, "HGET t:{d:gmail.com}:h country"),
		"JP", "domain hash: country of the first MX host");
	is_int(rint_(c, "HGET t:{d:gmail.com}:h asn"), 1221,
		"domain hash: first ASN found");
	is_str(rstr(buf, sizeof(buf), c, "HGET t:{d:gmail.com}:h category"),
		"freemail", "domain hash: category");
	redisFree(c);
	mxg_geo_close(geo);
	mxg_category_free(cat);
	mxg_conf_free(cfg);
}

/** Redis absent at start, then started: events resume. */
static pid_t
test_absent(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_sink_stats st;
	struct mxg_event ev;
	redisContext* c;
	char err[256];
	uint64_t t = wall_ms();
	pid_t pid;
	int i;
	s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
	ok(s != NULL, "sink starts while Redis is absent");
	make_event(&ev, t, 20, "mx", "absent.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	for(i = 0; i < 10; i++)
		mxg_sink_push(s, &ev);
	wait_done(s, 10, 2000);
	msleep(300);
	mxg_sink_get_stats(s, &st);
	ok(st.errors >= 1, "connect failures counted (%llu)",
		(unsigned long long)st.errors);
	is_int(st.unsent, 10, "events while Redis is down are counted unsent");
	is_int(st.connected, 0, "not connected");
	pid = start_redis(NULL, NULL);
	ok(pid > 0, "Redis started later");
	ok(wait_connected(s, 15000), "sink reconnects with backoff");
	for(i = 0; i < 20; i++)
		mxg_sink_push(s, &ev);
	wait_done(s, 30, 3000);
	mxg_sink_get_stats(s, &st);
	is_int(st.sent, 20, "events resume");
	c = rconnect(NULL);
	is_int(c ? rint_(c, "GET t:{c:10.0.0.20}:m:%llu",
		(unsigned long long)(t / 60000)) : -1, 20,
		"only the events after the reconnect are in Redis");
	if(c)
		redisFree(c);
	mxg_sink_stop(s);
	/* mxg_log_last is read only once the thread has been joined */
	ok(strstr(mxg_log_last, "connected again after") != NULL,
		"reconnect is logged: %s", mxg_log_last);
	mxg_conf_free(cfg);
	return pid;
}

/** Wrong password, then an ACL user with a database. */
static void
test_auth(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_sink_stats st;
	struct mxg_event ev;
	redisContext* c;
	char err[256];
	uint64_t t = wall_ms(), end;
	pid_t pid = start_redis("--requirepass", "rightpw");
	ok(pid > 0, "Redis with a password");
	cfg->redis_password = strdup("S3cr3tWr0ng");
	mxg_log_last[0] = 0;
	s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
	ok(s != NULL, "sink starts with a wrong password");
	/* the first attempt fails at AUTH (up to 5 s on a loaded machine) */
	end = mxg_mono_ms() + 5000;
	do {
		msleep(50);
		mxg_sink_get_stats(s, &st);
	} while(st.errors == 0 && mxg_mono_ms() < end);
	ok(st.errors >= 1, "wrong password: errors counted");
	is_int(st.connected, 0, "wrong password: not connected");
	mxg_sink_stop(s);
	ok(strstr(mxg_log_last, "AUTH") && (strstr(mxg_log_last, "WRONGPASS")
		|| strstr(mxg_log_last, "invalid")), "clear log line: %s",
		mxg_log_last);
	ok(strstr(mxg_log_last, "S3cr3tWr0ng") == NULL,
		"the password is not logged");
	/* an ACL user and db 3 */
	c = rconnect("rightpw");
	ok(c && rint_(c, "ACL SETUSER alice on >alicepw ~* &* +@all") != -2,
		"ACL user created");
	free(cfg->redis_password);
	cfg->redis_password = strdup("alicepw");
	cfg->redis_user = strdup("alice");
	cfg->redis_db = 3;
	s = sink_up(cfg, NULL, NULL, "ACL user and password connect");
	make_event(&ev, t, 30, "mx", "acl.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	mxg_sink_push(s, &ev);
	wait_done(s, 1, 3000);
	mxg_sink_get_stats(s, &st);
	is_int(st.sent, 1, "event sent as the ACL user");
	is_int(st.errors, 0, "no errors as the ACL user");
	mxg_sink_stop(s);
	is_int(c ? rint_(c, "HGET t:{c:10.0.0.30}:h count") : -1, -1,
		"not in db 0");
	if(c)
		rint_(c, "SELECT 3");
	is_int(c ? rint_(c, "HGET t:{c:10.0.0.30}:h count") : -1, 1,
		"in db 3");
	if(c)
		redisFree(c);
	stop_redis(pid);
	mxg_conf_free(cfg);
}

int
main(void)
{
	pid_t pid;
	tmp_setup("redis-writer");
	if(skip_without_redis(128)) {
		rmdir_tmp();
		return done_testing();
	}
	pid = test_absent();
	if(pid > 0) {
		test_counters();
		test_tc_retry();
		test_merge();
		test_binary();
		test_geo();
		stop_redis(pid);
	}
	test_auth();
	rmdir_tmp();
	return done_testing();
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_sink.c - the event queue, the thread and the Redis writer.
 */
/** \file
 * Starts its own redis-server on a Unix socket in a mktemp -d directory
 * (stopped by PID), pushes known events through the real sink and reads
 * back with hiredis that Redis holds exactly what was sent: minute buckets,
 * top lists, domain hashes, HyperLogLog, flow, alert stream, heartbeat and
 * schema key, each key with a TTL; records merged in a batch give exact
 * counts, one XADD per alert, first/last of the first/last record, and
 * other minutes, days and clients apart. Then the faults: a full queue (the
 * pusher never blocks), Redis absent at start and started later, a wrong
 * password, an ACL user with a database number, binary bytes in names,
 * fleet read-back, log rotation, and 50 start/stop cycles leaving no thread
 * and no file descriptor behind. Without redis-server the Redis tests are
 * skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>
#include "mxguard/clock.h"
#include "mxguard/category.h"
#include "mxguard/conf.h"
#include "mxguard/event.h"
#include "mxguard/geo.h"
#include "mxguard/jsonlog.h"
#include "mxguard/redis.h"
#include "mxguard/sink.h"
#include "tap.h"
#include "testlib.h"

extern char** environ;
/** Last message of tools/log_stderr.c. */
extern char mxg_log_last[1024];

/** The temporary directory. */
static char tmpdir[256];
/** Unix socket path of the test Redis. */
static char sockpath[300];

/** Is redis-server in PATH? */
static int
have_redis_server(void)
{
	const char* path = getenv("PATH");
	char buf[4096], *p, *save = NULL;
	if(!path)
		return 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for(p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/redis-server", p);
		if(access(f, X_OK) == 0)
			return 1;
	}
	return 0;
}

/** Milliseconds of sleep. */
static void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while(nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/** Connect to the test Redis (db 0, optional password). NULL on failure. */
static redisContext*
rconnect(const char* password)
{
	struct timeval tv = { 1, 0 };
	redisContext* c = redisConnectUnixWithTimeout(sockpath, tv);
	if(!c || c->err) {
		if(c)
			redisFree(c);
		return NULL;
	}
	if(password) {
		redisReply* r = redisCommand(c, "AUTH %s", password);
		if(r)
			freeReplyObject(r);
	}
	return c;
}

/**
 * Start redis-server on the Unix socket, with extra arguments.
 * @return its pid, or -1.
 */
static pid_t
start_redis(const char* extra1, const char* extra2)
{
	char* argv[16];
	int argc = 0, i;
	pid_t pid;
	argv[argc++] = "redis-server";
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--unixsocket";
	argv[argc++] = sockpath;
	argv[argc++] = "--save";
	argv[argc++] = "";
	argv[argc++] = "--appendonly";
	argv[argc++] = "no";
	argv[argc++] = "--daemonize";
	argv[argc++] = "no";
	argv[argc++] = "--dir";
	argv[argc++] = tmpdir;
	if(extra1) {
		argv[argc++] = (char*)extra1;
		argv[argc++] = (char*)extra2;
	}
	argv[argc] = NULL;
	{
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
			0);
		if(posix_spawnp(&pid, "redis-server", &fa, NULL, argv,
			environ) != 0) {
			posix_spawn_file_actions_destroy(&fa);
			return -1;
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	for(i = 0; i < 100; i++) {
		redisContext* c = rconnect(NULL);
		if(c) {
			redisFree(c);
			return pid;
		}
		msleep(50);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}

/** Stop a redis-server started here, by PID. */
static void
stop_redis(pid_t pid)
{
	if(pid <= 0)
		return;
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sockpath);
}

/** Run a command (printf-style, %s/%b) and return the integer reply, or the
 * string reply as a number; -1 on error or nil. */
static long long
rint_(redisContext* c, const char* fmt, ...)
{
	va_list ap;
	redisReply* r;
	long long v = -1;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if(!r)
		return -1;
	if(r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if(r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	freeReplyObject(r);
	return v;
}

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

/** A config for the tests, writing to the Redis on the Unix socket path
 * (NULL: no Redis). */
static struct mxg_conf*
test_conf(const char* socket)
{
	struct mxg_conf* cfg = mxg_conf_new();
	char server[400];
	snprintf(server, sizeof(server), "unix:%s", socket ? socket : "");
	free(cfg->redis_server);
	cfg->redis_server = socket ? strdup(server) : NULL;
	free(cfg->redis_prefix);
	cfg->redis_prefix = strdup("t:");
	free(cfg->instance);
	cfg->instance = strdup("test1");
	cfg->redis_timeout_ms = 1000;
	cfg->redis_connect_timeout_ms = 500;
	cfg->client_prefix_v4 = 32;
	cfg->client_prefix_v6 = 128;
	return cfg;
}

/** The wall clock in milliseconds (the time of the events). */
static uint64_t
wall_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
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

/** Set the log file of cfg to name in the temporary directory; its path
 * goes to path. */
static void
conf_log_file(struct mxg_conf* cfg, const char* name, char* path,
	size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	free(cfg->log_file);
	cfg->log_file = strdup(path);
}

/** Fill an event: IPv4 client 10.0.0.<host>, query name label.base. */
static void
make_event(struct mxg_event* ev, uint64_t tms, int host, const char* label,
	const char* base, int action, int rule, int flags)
{
	size_t o = 0;
	const char* p;
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = tms;
	ev->client_family = AF_INET;
	ev->client_addr[0] = 10;
	ev->client_addr[3] = (uint8_t)host;
	if(label) {
		ev->qname[o++] = (uint8_t)strlen(label);
		memcpy(ev->qname + o, label, strlen(label));
		o += strlen(label);
	}
	ev->base_off = (uint8_t)o;
	for(p = base; *p; ) {
		const char* d = strchr(p, '.');
		size_t l = d ? (size_t)(d - p) : strlen(p);
		ev->qname[o++] = (uint8_t)l;
		memcpy(ev->qname + o, p, l);
		o += l;
		p += l + (d ? 1 : 0);
	}
	ev->qname[o++] = 0;
	ev->qname_len = (uint8_t)o;
	ev->qtype = 15;
	ev->rcode = 0;
	ev->action = (uint8_t)action;
	ev->rule = (uint8_t)rule;
	ev->flags = (uint8_t)flags;
}

/** Wait until sent + unsent reaches n (or timeout ms). */
static void
wait_done(struct mxg_sink* s, uint64_t n, unsigned timeout)
{
	uint64_t end = mxg_mono_ms() + timeout;
	struct mxg_sink_stats st;
	do {
		mxg_sink_get_stats(s, &st);
		if(st.sent + st.unsent >= n)
			return;
		msleep(10);
	} while(mxg_mono_ms() < end);
}

/** Wait until the sink is connected (or timeout ms). */
static int
wait_connected(struct mxg_sink* s, unsigned timeout)
{
	uint64_t end = mxg_mono_ms() + timeout;
	struct mxg_sink_stats st;
	do {
		mxg_sink_get_stats(s, &st);
		if(st.connected)
			return 1;
		msleep(10);
	} while(mxg_mono_ms() < end);
	return 0;
}

/** Start a sink for cfg (with geo and cat, may be NULL) and check, as
 * what, that it starts and connects to Redis. @return the sink or NULL. */
static struct mxg_sink*
sink_up(struct mxg_conf* cfg, struct mxg_geo* geo, struct mxg_category* cat,
	const char* what)
{
	char err[256];
	struct mxg_sink* s = mxg_sink_start(cfg, geo, cat, err, sizeof(err));
	ok(s && wait_connected(s, 3000), "%s%s%s", what, s ? "" : ": ",
		s ? "" : err);
	return s;
}

/** Wait up to 4 s until the fleet count of the IPv4 client addr over
 * window_s at now_s is want. @return 1 if it is; *cnt the last count. */
static int
wait_fleet(struct mxg_sink* s, const uint8_t* addr, uint32_t window_s,
	uint64_t now_s, uint64_t want, uint64_t* cnt)
{
	int i;
	for(i = 0; i < 40; i++) {
		msleep(100);
		if(mxg_sink_fleet_count(s, AF_INET, addr, window_s, now_s, cnt)
			&& *cnt == want)
			return 1;
	}
	return 0;
}

/** Fleet mode (set in cfg here): another resolver counted 100 lookups of
 * the client 10.0.0.<host> in this minute (of t, ms); start the sink
 * (checked as what) and push ev, a lookup of that client, 5 times.
 * @return the sink. */
static struct mxg_sink*
fleet_start(struct mxg_conf* cfg, redisContext* c, uint64_t t, int host,
	const struct mxg_event* ev, const char* what)
{
	struct mxg_sink* s;
	int i;
	cfg->fleet = 1;
	rint_(c, "INCRBY t:{c:10.0.0.%d}:m:%llu 100", host,
		(unsigned long long)(t / 60000));
	s = sink_up(cfg, NULL, NULL, what);
	for(i = 0; i < 5; i++)
		mxg_sink_push(s, ev);
	return s;
}

/** Count entries of a /proc/self directory. */
static int
count_dir(const char* path)
{
	DIR* d = opendir(path);
	struct dirent* e;
	int n = 0;
	if(!d)
		return -1;
	while((e = readdir(d)))
		if(e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd for fd counts; harmless for tasks */
}

/** Lines in a file, -1 if it cannot be read. */
static int
count_lines(const char* path)
{
	FILE* f = fopen(path, "r");
	int n = 0, ch;
	if(!f)
		return -1;
	while((ch = fgetc(f)) != EOF)
		if(ch == '\n')
			n++;
	fclose(f);
	return n;
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

/** Alert fields of the records of test_merge. */
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

/** A handle connected to a Redis on the Unix socket path: key prefix,
 * key TTL and command timeout (0: the defaults), a wake pipe for the
 * deadline mode when wakefd >= 0; NULL if it does not connect. */
static struct mxg_redis*
redis_handle(const char* path, const char* prefix, uint32_t ttl,
	uint32_t timeout_ms, int wakefd)
{
	struct mxg_redis_opts o;
	struct mxg_redis* r;
	char server[400], err[256];
	snprintf(server, sizeof(server), "unix:%s", path);
	memset(&o, 0, sizeof(o));
	o.server = server;
	o.prefix = prefix;
	o.ttl = ttl;
	o.timeout_ms = timeout_ms;
	r = mxg_redis_new(&o, err, sizeof(err));
	if(r && wakefd >= 0)
		mxg_redis_set_wakefd(r, wakefd);
	if(r && !mxg_redis_connect(r, mxg_mono_ms(), err, sizeof(err))) {
		diag("connect: %s", err);
		mxg_redis_free(r);
		r = NULL;
	}
	return r;
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

/** A full queue drops and counts; the pusher never blocks. */
static void
test_full(pid_t pid)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_sink_stats st;
	struct mxg_event ev;
	uint64_t t = wall_ms(), worst = 0, start;
	int i, n = 20000, okc = 0;
	struct timespec a, b;
	cfg->redis_queue = 64;
	/* long enough that the thread stays blocked while the pushes run,
	 * however loaded the machine (it would drain the queue on timeout) */
	cfg->redis_timeout_ms = 10000;
	s = sink_up(cfg, NULL, NULL, "sink up for the full queue test");
	/* freeze Redis: the thread blocks in its pipeline until the timeout */
	kill(pid, SIGSTOP);
	make_event(&ev, t, 7, "mx", "full.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	mxg_sink_push(s, &ev);
	msleep(200);
	start = mxg_mono_ms();
	for(i = 0; i < n; i++) {
		uint64_t d;
		clock_gettime(CLOCK_MONOTONIC, &a);
		okc += mxg_sink_push(s, &ev);
		clock_gettime(CLOCK_MONOTONIC, &b);
		d = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL +
			(uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
		if(d > worst)
			worst = d;
	}
	diag("%d pushes in %llu ms, slowest %llu us", n,
		(unsigned long long)(mxg_mono_ms() - start),
		(unsigned long long)(worst / 1000));
	ok(worst < 5000000000ULL, "no push into the full queue waited for "
		"the blocked consumer (slowest %llu us, the consumer is blocked "
		"for 10 s)", (unsigned long long)(worst / 1000));
	mxg_sink_get_stats(s, &st);
	/* the thread may take a batch or two before its pipeline to the
	 * frozen Redis stalls (more under load: the socket buffer takes
	 * some), so the bound is loose; an unbounded queue takes all. On a
	 * loaded machine the thread may not have taken the event pushed
	 * before yet: then it holds one place of the 64 */
	ok(okc >= 63 && okc < n / 2, "the full queue dropped most pushes "
		"(%d of %d accepted, queue 64)", okc, n);
	is_int(st.dropped, n - okc, "every refused push counted as dropped");
	is_int(st.queued, okc + 1, "queued counts the accepted ones");
	kill(pid, SIGCONT);
	wait_done(s, st.queued, 8000);
	mxg_sink_get_stats(s, &st);
	is_int(st.sent + st.unsent, st.queued, "every queued event was "
		"handled after Redis came back (sent %llu, unsent %llu)",
		(unsigned long long)st.sent, (unsigned long long)st.unsent);
	ok(wait_connected(s, 12000), "reconnected after the timeout");
	mxg_sink_stop(s);
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

/** Fleet mode: counts of other resolvers are read back. */
static void
test_fleet(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c = rconnect(NULL);
	uint64_t t = wall_ms(), cnt = 0;
	uint8_t addr[4] = { 10, 0, 0, 40 }, other[4] = { 10, 0, 0, 41 };
	int found;
	make_event(&ev, t, 40, "mx", "fleet.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	s = fleet_start(cfg, c, t, 40, &ev, "sink up in fleet mode");
	found = wait_fleet(s, addr, 60, t / 1000, 105, &cnt);
	ok(found, "fleet count = other resolvers + ours (%llu)",
		(unsigned long long)cnt);
	ok(!mxg_sink_fleet_count(s, AF_INET, other, 60, t / 1000, &cnt),
		"unknown client: no fleet count");
	/* the minute before counts for the part of it still in the window:
	 * 60 lookups in the previous minute, 15 s into this one (16 s of
	 * it counted), 44 s of it are in a 60 s window: 44 */
	rint_(c, "INCRBY t:{c:10.0.0.40}:m:%llu 60",
		(unsigned long long)(t / 60000 - 1));
	found = wait_fleet(s, addr, 60, t / 60000 * 60 + 15, 105 + 44, &cnt);
	ok(found, "the minute sliding out counts for its part in the window "
		"(%llu = 105 + 44)", (unsigned long long)cnt);
	/* a 30 s window at 15 s into the minute takes 14 s of the one
	 * before: 60 * 14 / 60 */
	found = mxg_sink_fleet_count(s, AF_INET, addr, 30,
		t / 60000 * 60 + 15, &cnt);
	ok(found && cnt == 105 + 14, "a 30 s window takes 14 s of the "
		"minute before (%llu = 105 + 14)", (unsigned long long)cnt);
	/* 40 s into the minute a 30 s window is inside the current one */
	found = mxg_sink_fleet_count(s, AF_INET, addr, 30,
		t / 60000 * 60 + 40, &cnt);
	ok(found && cnt == 105, "40 s into the minute a 30 s window "
		"takes nothing of the minute before (%llu)",
		(unsigned long long)cnt);
	mxg_sink_stop(s);
	redisFree(c);
	mxg_conf_free(cfg);
}

/** Peak resident memory of this process since the last reset, KiB. */
static long
peak_kib(void)
{
	char line[256];
	long v = -1;
	FILE* f = fopen("/proc/self/status", "r");
	while(f && fgets(line, sizeof(line), f))
		if(strncmp(line, "VmHWM:", 6) == 0)
			v = atol(line + 6);
	if(f)
		fclose(f);
	return v;
}

/** Reset the peak resident memory (Linux >= 4.0). */
static void
peak_reset(void)
{
	FILE* f = fopen("/proc/self/clear_refs", "w");
	if(f) {
		fputs("5", f);
		fclose(f);
	}
}

/** Fleet values are not trusted: a huge value is never read whole, a
 * count is a decimal integer capped at volume-limit x fleet-instances,
 * anything else counts 0, and spoofed one-lookup clients cannot push a busy
 * client out of the fleet table. */
static void
test_fleet_bounds(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c = rconnect(NULL);
	char key[256];
	uint64_t t = wall_ms(), cnt = 0, min = t / 60000;
	uint8_t big[4] = { 10, 0, 0, 60 }, capped[4] = { 10, 0, 0, 61 };
	uint8_t junk[4] = { 10, 0, 0, 62 }, busy[4] = { 10, 0, 0, 63 };
	long p0, p1;
	int i, found = 0;
	cfg->fleet = 1;
	cfg->rules[MXG_RULE_VOLUME].limit = 100;
	cfg->fleet_instances = 4;
	/* 48 MB in a minute key of 10.0.0.60 */
	snprintf(key, sizeof(key), "t:{c:10.0.0.60}:m:%llu",
		(unsigned long long)min);
	rint_(c, "SETRANGE %s %d x", key, 48 * 1024 * 1024);
	rint_(c, "SET t:{c:10.0.0.61}:m:%llu 1000000", (unsigned long long)min);
	rint_(c, "SET t:{c:10.0.0.62}:m:%llu 77abc", (unsigned long long)min);
	rint_(c, "SET t:{c:10.0.0.62}:m:%llu -5",
		(unsigned long long)(min - 1));
	rint_(c, "SET t:{c:10.0.0.63}:m:%llu 100", (unsigned long long)min);
	peak_reset();
	p0 = peak_kib();
	s = sink_up(cfg, NULL, NULL, "sink up (fleet bounds)");
	for(i = 0; i < 4; i++) {
		make_event(&ev, t, 60 + i, "mx", "fb.example", MXG_ACT_PASS,
			MXG_RULE_COUNT, 0);
		mxg_sink_push(s, &ev);
		if(i == 3) {
			int k;
			for(k = 0; k < 49; k++)
				mxg_sink_push(s, &ev);
		}
	}
	found = wait_fleet(s, busy, 60, t / 1000, 150, &cnt);
	ok(found, "busy client: fleet count 150 (%llu)",
		(unsigned long long)cnt);
	p1 = peak_kib();
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	/* the sanitizers' shadow memory makes the peak meaningless */
	diag("peak memory +%ld KiB under a sanitizer", p1 - p0);
	skip("peak memory is not measured under a sanitizer");
#else
	ok(p0 > 0 && p1 - p0 < 16 * 1024, "a 48 MB fleet value is not read "
		"(peak memory +%ld KiB)", p1 - p0);
#endif
	ok(mxg_sink_fleet_count(s, AF_INET, capped, 60, t / 1000, &cnt) &&
		cnt == 400, "a count of 1000000 is capped at volume-limit "
		"x fleet-instances (%llu = 400)", (unsigned long long)cnt);
	ok(mxg_sink_fleet_count(s, AF_INET, junk, 600, t / 1000, &cnt) &&
		cnt == 0, "'77abc' and '-5' count 0 (%llu)",
		(unsigned long long)cnt);
	ok(mxg_sink_fleet_count(s, AF_INET, big, 60, t / 1000, &cnt) &&
		cnt == 0, "the 48 MB value counts 0 (%llu)",
		(unsigned long long)cnt);
	/* 3000 spoofed sources, one lookup each, a second later */
	for(i = 0; i < 3000; i++) {
		make_event(&ev, t + 1000, 0, "mx", "fb.example", MXG_ACT_PASS,
			MXG_RULE_COUNT, 0);
		ev.client_addr[0] = 172;
		ev.client_addr[1] = 16;
		ev.client_addr[2] = (uint8_t)(i >> 8);
		ev.client_addr[3] = (uint8_t)i;
		while(!mxg_sink_push(s, &ev))
			msleep(1);
	}
	wait_done(s, 3000 + 53, 5000);
	msleep(1500);
	ok(mxg_sink_fleet_count(s, AF_INET, busy, 60, t / 1000, &cnt) &&
		cnt == 150, "3000 one-lookup sources do not push the busy "
		"client out of the fleet table (%llu)",
		(unsigned long long)cnt);
	mxg_sink_stop(s);
	rint_(c, "FLUSHALL");
	redisFree(c);
	mxg_conf_free(cfg);
}

/** An IPv4-mapped client (::ffff:a.b.c.d) is the IPv4 client a.b.c.d in
 * the keys and in the fleet table, whatever client-prefix-v6 is. */
static void
test_mapped(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	struct mxg_sink* s;
	struct mxg_event ev;
	redisContext* c = rconnect(NULL);
	char day[9];
	uint64_t t = wall_ms(), cnt = 0;
	uint8_t addr[4] = { 10, 0, 0, 42 };
	static const uint8_t mapped[16] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff,
		10, 0, 0, 42 };
	int found;
	cfg->client_prefix_v6 = 64;
	mxg_redis_day(day, t / 1000);
	make_event(&ev, t, 42, "mx", "mapped.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, 0);
	ev.client_family = AF_INET6;
	memcpy(ev.client_addr, mapped, 16);
	s = fleet_start(cfg, c, t, 42, &ev, "sink up (mapped client)");
	found = wait_fleet(s, addr, 60, t / 1000, 105, &cnt);
	ok(found, "mapped client: fleet count under its IPv4 key (%llu)",
		(unsigned long long)cnt);
	mxg_sink_stop(s);
	is_int(rint_(c, "ZSCORE t:{day:%s}:clients 10.0.0.42", day), 5,
		"mapped client: top clients member is 10.0.0.42");
	redisFree(c);
	mxg_conf_free(cfg);
}

/** The log file is reopened when rotated; no Redis needed. */
static void
test_logrotate(void)
{
	struct mxg_conf* cfg = test_conf(NULL);
	struct mxg_sink* s;
	struct mxg_event ev;
	char err[256], logf[400], old[420];
	uint64_t t = wall_ms();
	conf_log_file(cfg, "rotate.log", logf, sizeof(logf));
	snprintf(old, sizeof(old), "%s.1", logf);
	s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
	ok(s != NULL, "sink without Redis, with a log file");
	make_event(&ev, t, 50, "mx", "rot.example", MXG_ACT_LOG,
		MXG_RULE_NON_RELAY, MXG_EV_LOG);
	mxg_sink_push(s, &ev);
	/* no verdict, log flag: not logged; verdict without flag: not logged */
	make_event(&ev, t, 50, "mx", "rot.example", MXG_ACT_PASS,
		MXG_RULE_COUNT, MXG_EV_LOG);
	mxg_sink_push(s, &ev);
	make_event(&ev, t, 50, "mx", "rot.example", MXG_ACT_LOG,
		MXG_RULE_NON_RELAY, 0);
	mxg_sink_push(s, &ev);
	msleep(300);
	is_int(count_lines(logf), 1, "only the verdict with the log flag "
		"is logged");
	ok(rename(logf, old) == 0, "log file rotated away");
	msleep(3500);
	make_event(&ev, t, 50, "mx", "rot.example", MXG_ACT_LOG,
		MXG_RULE_NON_RELAY, MXG_EV_LOG);
	mxg_sink_push(s, &ev);
	msleep(300);
	is_int(count_lines(logf), 1, "new log file after rotation");
	is_int(count_lines(old), 1, "old file unchanged");
	mxg_sink_stop(s);
	mxg_conf_free(cfg);
}

/** A log file that is a symbolic link is not followed (a local user able
 * to write the log directory cannot make the module append elsewhere). */
static void
test_log_nofollow(void)
{
	struct mxg_conf* cfg = test_conf(NULL);
	struct mxg_sink* s;
	struct mxg_event ev;
	char err[256], logf[400], target[420];
	int fd;
	uint64_t t = wall_ms();
	conf_log_file(cfg, "link.log", logf, sizeof(logf));
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if(fd >= 0)
		close(fd);
	ok(symlink(target, logf) == 0, "log file is a symlink");
	mxg_log_last[0] = 0;
	s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
	/* the file is opened (and refused) at the start */
	ok(strstr(mxg_log_last, "link.log") != NULL, "the error names the "
		"file: %s", mxg_log_last);
	make_event(&ev, t, 50, "mx", "link.example", MXG_ACT_LOG,
		MXG_RULE_NON_RELAY, MXG_EV_LOG);
	mxg_sink_push(s, &ev);
	msleep(300);
	mxg_sink_stop(s);
	is_int(count_lines(target), 0, "nothing written through the symlink");
	ok(strstr(mxg_log_last, "\"DnsQuery\":\"mx.link.example\"") != NULL,
		"the verdict went to Unbound's log instead: %.60s",
		mxg_log_last);
	mxg_conf_free(cfg);
}

/** 50 start/stop cycles leave no thread and no fd behind. */
static void
test_cycles(void)
{
	struct mxg_conf* cfg = test_conf(sockpath);
	char err[256];
	int tasks0, fds0, i, fails = 0;
	struct mxg_event ev;
	make_event(&ev, wall_ms(), 60, "mx", "cyc.example",
		MXG_ACT_LOG, MXG_RULE_VOLUME, 0);
	tasks0 = count_dir("/proc/self/task");
	fds0 = count_dir("/proc/self/fd");
	for(i = 0; i < 50; i++) {
		struct mxg_sink* s = mxg_sink_start(cfg, NULL, NULL, err,
			sizeof(err));
		if(!s) {
			fails++;
			continue;
		}
		if(i % 2)
			wait_connected(s, 2000);
		mxg_sink_push(s, &ev);
		mxg_sink_stop(s);
	}
	is_int(fails, 0, "50 starts");
	is_int(count_dir("/proc/self/task"), tasks0, "no thread left behind");
	is_int(count_dir("/proc/self/fd"), fds0, "no fd left behind");
	mxg_conf_free(cfg);
}

/** Parts that need no server. */
static void
test_pure(void)
{
	struct mxg_redis_opts o;
	struct mxg_redis* r;
	char err[256], key[64];
	is_int(mxg_redis_backoff_ms(1), 100, "backoff starts at 100 ms");
	is_int(mxg_redis_backoff_ms(2), 200, "backoff doubles");
	is_int(mxg_redis_backoff_ms(30), 10000, "backoff capped at 10 s");
	memset(&o, 0, sizeof(o));
	o.server = "[::1]:6380";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r != NULL, "[v6]:port parses");
	mxg_redis_free(r);
	o.server = "localhost:99999";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r == NULL && strstr(err, "bad port"), "bad port refused: %s", err);
	mxg_redis_free(r);
	o.server = "unix:";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r == NULL, "unix: without a path refused");
	is_int(mxg_redis_key(key, sizeof(key), "p:", "d:a", 3, ":h", 2), 9,
		"key length");
	is_str(key, "p:{d:a}:h", "key layout prefix{tag}suffix");
	ok(mxg_sink_push(NULL, NULL) == 0, "push to a NULL sink drops");
	mxg_sink_stop(NULL);
}

/** Run mxg_redis_redact in a child stopped after 5 s (a loop that never
 * ends is a failure, not a hung test). @return the result, or NULL. */
static const char*
redact_bounded(const char* text, const char* secret)
{
	static char out[256];
	int fd[2], st;
	pid_t pid;
	ssize_t n;
	if(pipe(fd) != 0)
		return NULL;
	if((pid = fork()) == 0) {
		char buf[256];
		close(fd[0]);
		alarm(5);
		snprintf(buf, sizeof(buf), "%s", text);
		mxg_redis_redact(buf, secret);
		if(write(fd[1], buf, strlen(buf) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], out, sizeof(out) - 1);
	close(fd[0]);
	if(pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		WEXITSTATUS(st) != 0 || n <= 0)
		return NULL;
	out[n] = 0;
	return out;
}

/** The password redaction ends for every password and hides every copy. */
static void
test_redact(void)
{
	is_str(redact_bounded("ERR bad *** here", "***"), "ERR bad *** here",
		"redact '***' terminates");
	is_str(redact_bounded("ERR a**b *", "*"), "ERR a**b *",
		"redact '*' terminates");
	is_str(redact_bounded("ERR ** and ****", "**"), "ERR ** and ****",
		"redact '**' terminates");
	is_str(redact_bounded("x hunter2 y hunter2hunter2", "hunter2"),
		"x *** y ******", "redact hides every copy");
	is_str(redact_bounded("ab ab", "ab"), "** **",
		"redact: a short password is blanked out");
	is_str(redact_bounded("nothing", ""), "nothing",
		"redact: empty password leaves the text");
}

/** The dribbling server: its socket path and stop flag. */
static char slow_path[300];
static _Atomic int slow_stop;

/** A hostile Redis: answers every connection with a bulk reply that never
 * ends, one byte every 200 ms (each read returns in time, so a socket
 * timeout never fires). */
static void*
slow_server(void* arg)
{
	int ls = *(int*)arg, cs[16], nc = 0, i;
	(void)fcntl(ls, F_SETFL, O_NONBLOCK);
	while(!slow_stop) {
		int c = accept(ls, NULL, NULL);
		if(c >= 0 && nc < 16) {
			cs[nc++] = c;
			if(write(c, "$1000000\r\n", 10) < 0)
				break;
		}
		for(i = 0; i < nc; i++)
			if(write(cs[i], "x", 1) < 0)
				break;
		msleep(200);
	}
	for(i = 0; i < nc; i++)
		close(cs[i]);
	return NULL;
}

/** A hostile Redis sending one byte at a time: mxg_sink_stop returns
 * within a second (a reload never hangs on Redis). Runs in a child with a
 * 20 s alarm: a stop that hangs fails the test instead of hanging it. */
static void
test_slow_redis(void)
{
	pid_t pid;
	int st;
	snprintf(slow_path, sizeof(slow_path), "%s/slow.sock", tmpdir);
	if((pid = fork()) == 0) {
		struct sockaddr_un sa;
		struct mxg_conf* cfg = test_conf(slow_path);
		struct mxg_sink* s;
		struct mxg_event ev;
		pthread_t th;
		char err[256];
		uint64_t t0, t1;
		int ls = socket(AF_UNIX, SOCK_STREAM, 0), i;
		alarm(20);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", slow_path);
		if(ls < 0 || bind(ls, (struct sockaddr*)&sa, sizeof(sa)) != 0 ||
			listen(ls, 16) != 0)
			_exit(3);
		pthread_create(&th, NULL, slow_server, &ls);
		cfg->redis_timeout_ms = 1000;
		s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
		if(!s)
			_exit(4);
		make_event(&ev, wall_ms(), 5, "mx",
			"slow.example", MXG_ACT_PASS, MXG_RULE_COUNT, 0);
		for(i = 0; i < 100; i++)
			mxg_sink_push(s, &ev);
		msleep(3500);
		{
			/* each attempt failed at its deadline: the thread
			 * was not stuck in the first one */
			struct mxg_sink_stats sst;
			mxg_sink_get_stats(s, &sst);
			printf("# %llu Redis errors in 3.5 s\n",
				(unsigned long long)sst.errors);
			if(sst.errors < 2)
				_exit(2);
		}
		t0 = mxg_mono_ms();
		mxg_sink_stop(s);
		t1 = mxg_mono_ms();
		slow_stop = 1;
		pthread_join(th, NULL);
		printf("# stop took %llu ms\n", (unsigned long long)(t1 - t0));
		fflush(stdout);
		_exit(t1 - t0 <= 1000 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0, "a Redis sending one byte every 200 ms: "
		"each attempt ends at redis-timeout, and the sink stops within "
		"a second (status %d)", st);
}

/** Remove the temporary directory. */
static void
rmdir_tmp(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if(system(cmd) != 0)
		diag("cannot remove %s", tmpdir);
}

/** The scripted server: per connection, the reply bytes it sends after
 * answering INFO, and how many bytes at a time. */
static const char* script_replies[4];
static int script_chunk[4];
static char script_path[300];

/** A fake Redis: answers the INFO of mxg_redis_connect, then writes the
 * connection's script in chunks of script_chunk bytes (1: a byte every
 * millisecond, so every line and bulk string arrives split), then waits
 * for the client to close. */
static void*
script_server(void* arg)
{
	int ls = *(int*)arg, i;
	for(i = 0; i < 4 && script_replies[i]; i++) {
		static const char info[] = "$19\r\nredis_version:7.0.0\r\n";
		const char* p = script_replies[i];
		size_t left = strlen(p);
		char buf[4096];
		int c = accept(ls, NULL, NULL);
		if(c < 0)
			break;
		if(read(c, buf, sizeof(buf)) <= 0 ||
			write(c, info, sizeof(info) - 1) < 0) {
			close(c);
			break;
		}
		while(left) {
			size_t k = left < (size_t)script_chunk[i] ? left
				: (size_t)script_chunk[i];
			if(write(c, p, k) < 0)
				break;
			p += k;
			left -= k;
			if(script_chunk[i] == 1)
				msleep(1);
		}
		while(read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	return NULL;
}

/** A handle connected to the scripted server (deadline mode with a wake
 * pipe when wakefd >= 0). */
static struct mxg_redis*
script_handle(int wakefd)
{
	return redis_handle(script_path, "t:", 0, 2000, wakefd);
}

/** The replies of a pipeline are read from the socket by mxguard's own
 * parser (module/redis_batch.c): integers, status lines, bulk strings
 * (also empty, null, or holding CRLF) and errors, split anywhere; an error
 * is counted and the rest read on; bytes after the last reply stay for the
 * next command; an array reply or NOAUTH drops the connection. */
static void
test_reply_reader(void)
{
	struct sockaddr_un sa;
	pthread_t th;
	struct mxg_redis* r;
	void* v = NULL;
	int ls = socket(AF_UNIX, SOCK_STREAM, 0), wake[2];
	uint64_t e0;
	snprintf(script_path, sizeof(script_path), "%s/script.sock", tmpdir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", script_path);
	if(ls < 0 || bind(ls, (struct sockaddr*)&sa, sizeof(sa)) != 0 ||
		listen(ls, 4) != 0 || pipe(wake) != 0) {
		ok(0, "reply reader: set up");
		return;
	}
	script_replies[0] = ":1\r\n$2\r\n30\r\n-WRONGTYPE Operation against a "
		"key holding the wrong kind of value\r\n$-1\r\n+OK\r\n$0\r\n"
		"\r\n$6\r\nab\r\ncd\r\n:42\r\n";
	script_chunk[0] = 1;
	script_replies[1] = ":1\r\n*2\r\n:1\r\n:2\r\n";
	script_chunk[1] = 4096;
	script_replies[2] = ":7\r\n-NOAUTH Authentication required.\r\n:1\r\n";
	script_chunk[2] = 4096;
	script_replies[3] = NULL;
	pthread_create(&th, NULL, script_server, &ls);

	r = script_handle(wake[0]);
	ok(r != NULL, "reply reader: connected to the scripted server");
	if(r) {
		e0 = mxg_redis_errors(r);
		ok(mxg_redis_read(r, 7, mxg_mono_ms()),
			"reply reader: 7 replies split byte by byte are read");
		is_int(mxg_redis_errors(r) - e0, 1,
			"reply reader: the error reply is counted");
		ok(mxg_redis_connected(r),
			"reply reader: an error reply keeps the connection");
		ok(mxg_redis_get_reply(r, &v) && v &&
			((redisReply*)v)->type == REDIS_REPLY_INTEGER &&
			((redisReply*)v)->integer == 42,
			"reply reader: the byte after the last reply is the next "
			"command's");
		if(v)
			freeReplyObject(v);
		mxg_redis_free(r);
	}
	r = script_handle(-1);
	if(r) {
		e0 = mxg_redis_errors(r);
		ok(!mxg_redis_read(r, 3, mxg_mono_ms()) &&
			!mxg_redis_connected(r),
			"reply reader: an array reply drops the connection");
		ok(mxg_redis_errors(r) > e0,
			"reply reader: the protocol error is counted");
		mxg_redis_free(r);
	} else
		ok(0, "reply reader: second connection");
	r = script_handle(wake[0]);
	if(r) {
		ok(!mxg_redis_read(r, 3, mxg_mono_ms()) &&
			!mxg_redis_connected(r),
			"reply reader: NOAUTH drops the connection");
		mxg_redis_free(r);
	} else
		ok(0, "reply reader: third connection");
	pthread_join(th, NULL);
	close(ls);
	close(wake[0]);
	close(wake[1]);
	unlink(script_path);
}

int
main(void)
{
	pid_t pid;
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxg-test-sink.XXXXXX");
	if(!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sockpath, sizeof(sockpath), "%s/redis.sock", tmpdir);
	test_pure();
	test_redact();
	test_logrotate();
	test_log_nofollow();
	test_slow_redis();
	test_reply_reader();
	if(!have_redis_server()) {
		int i;
		for(i = 0; i < 134; i++)
			skip("redis-server not installed");
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
		test_fleet();
		test_mapped();
		test_fleet_bounds();
		test_full(pid);
		test_cycles();
		stop_redis(pid);
	}
	test_auth();
	rmdir_tmp();
	return done_testing();
}

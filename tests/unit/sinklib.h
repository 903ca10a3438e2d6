/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/sinklib.h - what the tests of the sink and of the Redis
 * writer share.
 */
/** A line of /proc/self/status ("VmHWM:", "VmSize:", ...), in KiB; -1 if
 * it cannot be read. */
static inline long
status_kib(const char* field)
{
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE* f = fopen("/proc/self/status", "r");
	while(f && fgets(line, sizeof(line), f))
		if(strncmp(line, field, n) == 0)
			v = atol(line + n);
	if(f)
		fclose(f);
	return v;
}

/** \file
 * test_sink, test_redis_writer and test_redis_conn were one program; what
 * more than one of them uses is here once: the temporary directory, a
 * redis-server of the test's own on a Unix socket in it (started and
 * stopped by PID), hiredis read-back, a sink config writing there, events,
 * waits on the sink's counters and a mxg_redis handle on a socket.
 * Header-only, static inline: tests/test_tsan.sh builds each test from its
 * one .c file.
 */
#ifndef MXGUARD_SINKLIB_H
#define MXGUARD_SINKLIB_H
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
#include <sys/wait.h>
#include <hiredis/hiredis.h>
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/event.h"
#include "mxguard/redis.h"
#include "mxguard/sink.h"
#include "tap.h"

extern char** environ;
/** Last message of tools/log_stderr.c. */
extern char mxg_log_last[1024];

/** The temporary directory. */
static char tmpdir[256];
/** Unix socket path of the test Redis. */
static char sockpath[300];

/** Is redis-server in PATH? */
static inline int
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
static inline void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while(nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/** Connect to the test Redis (db 0, optional password). NULL on failure. */
static inline redisContext*
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
static inline pid_t
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
static inline void
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
static inline long long
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

/** A config for the tests, writing to the Redis on the Unix socket path
 * (NULL: no Redis). */
static inline struct mxg_conf*
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
static inline uint64_t
wall_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

/** Set the log file of cfg to name in the temporary directory; its path
 * goes to path. */
static inline void
conf_log_file(struct mxg_conf* cfg, const char* name, char* path,
	size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	free(cfg->log_file);
	cfg->log_file = strdup(path);
}

/** Fill an event: IPv4 client 10.0.0.<host>, query name label.base. */
static inline void
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
static inline void
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
static inline int
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
static inline struct mxg_sink*
sink_up(struct mxg_conf* cfg, struct mxg_geo* geo, struct mxg_category* cat,
	const char* what)
{
	char err[256];
	struct mxg_sink* s = mxg_sink_start(cfg, geo, cat, err, sizeof(err));
	ok(s && wait_connected(s, 3000), "%s%s%s", what, s ? "" : ": ",
		s ? "" : err);
	return s;
}

/** Lines in a file, -1 if it cannot be read. */
static inline int
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

/** A handle connected to a Redis on the Unix socket path: key prefix,
 * key TTL and command timeout (0: the defaults), a wake pipe for the
 * deadline mode when wakefd >= 0; NULL if it does not connect. */
static inline struct mxg_redis*
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

/** Remove the temporary directory. */
static inline void
rmdir_tmp(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if(system(cmd) != 0)
		diag("cannot remove %s", tmpdir);
}

/** Make the temporary directory /tmp/mxg-test-<name>.XXXXXX, where the
 * test Redis gets its Unix socket, and ignore SIGPIPE (a server that goes
 * away must not end the test). Bails out of the test on failure. */
static inline void
tmp_setup(const char* name)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxg-test-%s.XXXXXX", name);
	if(!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}
	snprintf(sockpath, sizeof(sockpath), "%s/redis.sock", tmpdir);
}

/** Without redis-server in PATH, skip the n checks that need it.
 * @return 1 if it is missing. */
static inline int
skip_without_redis(int n)
{
	if(have_redis_server())
		return 0;
	while(n-- > 0)
		skip("redis-server not installed");
	return 1;
}

#endif /* MXGUARD_SINKLIB_H */

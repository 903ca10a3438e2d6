/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_sink.c - the event queue, the thread, the fleet table and the log file.
 */
/** \file
 * The event queue, its thread and the log file, with a redis-server of the
 * test's own on a Unix socket in a mktemp -d directory (stopped by PID): a
 * full queue (the pusher never blocks), a Redis sending one byte at a time
 * (the sink stops within a second), the fleet table and its read-back
 * (bounded values, IPv4-mapped clients), log rotation, a log file that is
 * a symbolic link, and 50 start/stop cycles leaving no thread and no file
 * descriptor behind. What Redis holds is checked in test_redis_writer.c,
 * the connection's parts without a server in test_redis_conn.c; the three
 * share tests/unit/sinklib.h. Without redis-server the Redis tests are
 * skipped.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <hiredis/hiredis.h>
#include "mxguard/jsonlog.h"
#include "mxguard/sink.h"
#include "sinklib.h"
#include "testlib.h"

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

/** A NULL sink: a push drops, a stop does nothing. */
static void
test_null(void)
{
	ok(mxg_sink_push(NULL, NULL) == 0, "push to a NULL sink drops");
	mxg_sink_stop(NULL);
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
	p0 = status_kib("VmHWM:");
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
	p1 = status_kib("VmHWM:");
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

int
main(void)
{
	pid_t pid;
	tmp_setup("sink");
	test_null();
	test_logrotate();
	test_log_nofollow();
	test_slow_redis();
	if(skip_without_redis(26)) {
		rmdir_tmp();
		return done_testing();
	}
	pid = start_redis(NULL, NULL);
	if(pid <= 0) {
		rmdir_tmp();
		printf("Bail out! redis-server does not start\n");
		return 1;
	}
	test_fleet();
	test_mapped();
	test_fleet_bounds();
	test_full(pid);
	test_cycles();
	stop_redis(pid);
	rmdir_tmp();
	return done_testing();
}

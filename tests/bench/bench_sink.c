/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/bench_sink.c - sustained events per second into Redis.
 */
/** \file
 * Measures how many events per second the sink moves from its queue into a
 * local Redis (docs/performance.md target: >= 100k events/s). Starts its own
 * redis-server on a Unix socket in a mktemp -d directory (stopped by PID),
 * then for a few client/domain mixes a producer thread pushes events as
 * fast as the queue takes them (retrying when full, so the figure is the
 * sink's, not the queue's) for a few seconds; the figure is events sent to
 * Redis divided by the time until the last one was answered.
 *
 * On a shared or small machine the producer, the sink thread and Redis
 * compete for cores, so the wall-clock figure is a floor. The CPU time per
 * event of the sink (process CPU minus the producer thread) and of
 * redis-server (/proc/PID/stat) is printed as well, and the capacity they
 * imply when each has a core of its own: 1e6 / max(sink us, redis us).
 * Usage: bench_sink [seconds]   (default 3 per mix)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "mxguard/conf.h"
#include "mxguard/event.h"
#include "mxguard/sink.h"

extern char** environ;

/** One mix of the benchmark. */
struct mix {
	/** name printed */
	const char* name;
	/** distinct clients */
	unsigned clients;
	/** distinct base domains */
	unsigned domains;
	/** one alert every this many events (0: none) */
	unsigned alert_every;
};

/** Producer arguments. */
struct prod {
	/** the sink */
	struct mxg_sink* s;
	/** the mix */
	const struct mix* m;
	/** stop flag */
	_Atomic int* stop;
	/** events pushed */
	uint64_t pushed;
	/** CPU seconds of the producer thread */
	double cpu;
};

/** Monotonic seconds as a double. */
static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** CPU seconds of this process. */
static double
proc_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** CPU seconds of another process, from /proc/PID/stat (0 if unknown). */
static double
pid_cpu(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE* f;
	size_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if(!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* fields 14 and 15 after the ")" that ends the command name */
	if(!(p = strrchr(buf, ')')) ||
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		"%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/** Build the event number i of a mix. */
static void
make(struct mxg_event* ev, const struct mix* m, uint64_t i, uint64_t tms)
{
	unsigned c = (unsigned)(i * 2654435761u) % m->clients;
	unsigned d = (unsigned)(i * 40503u + i / 7) % m->domains;
	char lab[16];
	size_t o = 0, l;
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = tms;
	ev->client_family = AF_INET;
	ev->client_addr[0] = 10;
	ev->client_addr[1] = (uint8_t)(c >> 16);
	ev->client_addr[2] = (uint8_t)(c >> 8);
	ev->client_addr[3] = (uint8_t)c;
	memcpy(ev->qname, "\002mx", 3);
	o = 3;
	ev->base_off = (uint8_t)o;
	l = (size_t)snprintf(lab, sizeof(lab), "dom%u", d);
	ev->qname[o++] = (uint8_t)l;
	memcpy(ev->qname + o, lab, l);
	o += l;
	memcpy(ev->qname + o, "\007example\0", 9);
	o += 9;
	ev->qname_len = (uint8_t)o;
	ev->qtype = 15;
	ev->rule = MXG_RULE_COUNT;
	if(c % 10 == 0)
		ev->flags |= MXG_EV_RELAY;
	if(m->alert_every && i % m->alert_every == 0) {
		ev->action = MXG_ACT_LOG;
		ev->rule = MXG_RULE_FANOUT;
		ev->flags |= MXG_EV_LOG;
		snprintf(ev->reason, sizeof(ev->reason), "client made many "
			"MX lookups");
	}
}

/** The producer thread. */
static void*
produce(void* arg)
{
	struct prod* p = arg;
	struct mxg_event ev;
	uint64_t i = 0, tms = (uint64_t)time(NULL) * 1000;
	while(!atomic_load(p->stop)) {
		make(&ev, p->m, i, tms);
		if(mxg_sink_push(p->s, &ev))
			i++;
		else	usleep(200); /* full: let the sink thread have the CPU */
	}
	p->pushed = i;
	{
		struct timespec ts;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		p->cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	return NULL;
}

int
main(int argc, char** argv)
{
	static const struct mix mixes[] = {
		{ "100 clients x 1000 domains, 1% alerts", 100, 1000, 100 },
		{ "10k clients x 100k domains, no alerts", 10000, 100000, 0 },
		{ "1k clients x 10k domains, 10% alerts", 1000, 10000, 10 },
	};
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	char dir[] = "/tmp/mxg-bench-sink.XXXXXX", sock[128], server[140];
	char* rargv[] = { "redis-server", "--port", "0", "--unixsocket", sock,
		"--save", "", "--appendonly", "no", "--daemonize", "no", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t k;
	int i, rc = 0;
	if(!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(server, sizeof(server), "unix:%s", sock);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if(posix_spawnp(&pid, "redis-server", &fa, NULL, rargv, environ)) {
		printf("# SKIP redis-server not installed\n");
		rmdir(dir);
		return 77;
	}
	posix_spawn_file_actions_destroy(&fa);
	for(i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	for(k = 0; k < sizeof(mixes) / sizeof(mixes[0]); k++) {
		struct mxg_conf* cfg = mxg_conf_new();
		struct mxg_sink* s;
		struct mxg_sink_stats st;
		struct prod p;
		pthread_t t;
		_Atomic int stop = 0;
		char err[256];
		double t0, t1, c0, r0, sink_us, redis_us, worst;
		free(cfg->redis_server);
		cfg->redis_server = strdup(server);
		cfg->redis_queue = 65536;
		cfg->redis_timeout_ms = 5000;
		free(cfg->log_file);
		cfg->log_file = strdup("/dev/null");
		free(cfg->instance);
		cfg->instance = strdup("bench");
		s = mxg_sink_start(cfg, NULL, NULL, err, sizeof(err));
		if(!s) {
			printf("# sink: %s\n", err);
			rc = 1;
			mxg_conf_free(cfg);
			break;
		}
		for(i = 0; i < 200; i++) {
			mxg_sink_get_stats(s, &st);
			if(st.connected)
				break;
			usleep(10000);
		}
		memset(&p, 0, sizeof(p));
		p.s = s;
		p.m = &mixes[k];
		p.stop = &stop;
		t0 = now_s();
		c0 = proc_cpu();
		r0 = pid_cpu(pid);
		pthread_create(&t, NULL, produce, &p);
		usleep((useconds_t)(secs * 1e6));
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		/* wait for the queue to drain */
		for(;;) {
			mxg_sink_get_stats(s, &st);
			if(st.sent + st.unsent >= st.queued)
				break;
			usleep(1000);
		}
		t1 = now_s();
		sink_us = st.sent ? (proc_cpu() - c0 - p.cpu) * 1e6 /
			(double)st.sent : 0;
		redis_us = st.sent ? (pid_cpu(pid) - r0) * 1e6 /
			(double)st.sent : 0;
		worst = sink_us > redis_us ? sink_us : redis_us;
		printf("%-40s %8.0f events/s wall; CPU per event: sink %.2f "
			"us, redis %.2f us -> %.0f events/s with a core each "
			"(sent %llu, unsent %llu, errors %llu)\n",
			mixes[k].name, (double)st.sent / (t1 - t0), sink_us,
			redis_us, worst > 0 ? 1e6 / worst : 0,
			(unsigned long long)st.sent,
			(unsigned long long)st.unsent,
			(unsigned long long)st.errors);
		fflush(stdout);
		mxg_sink_stop(s);
		mxg_conf_free(cfg);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock);
	rmdir(dir);
	return rc;
}

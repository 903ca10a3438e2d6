/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/passthru.c - keep saying so while a bad reload passes everything
 * through.
 */
/** \file
 * Implements include/mxguard/passthru.h. The failed config is read once
 * more into a fresh struct mxg_conf: mxg_conf_read keeps the values of the
 * lines it could parse, so redis-server, redis-prefix, instance and the
 * credentials are usually there even when another line is wrong. When
 * redis-server is missing or itself wrong, only the log line is written.
 * The thread wakes every 100 ms to see whether it must stop, so deinit
 * (which precedes the dlclose) never waits long.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/log.h"
#include "mxguard/passthru.h"
#include "mxguard/redis.h"

/** Heartbeat interval, milliseconds (as the sink's). */
#define HB_MS 5000
/** Sleep between two checks of the stop flag, milliseconds. */
#define TICK_MS 100

/** The watch. */
struct mxg_passthru {
	/** the config file (malloc'd) */
	char* file;
	/** what could be read of it */
	struct mxg_conf* cfg;
	/** Redis handle (thread only), NULL without a usable redis-server */
	struct mxg_redis* redis;
	/** instance name (malloc'd) */
	char* instance;
	/** stop requested */
	_Atomic int stop;
	/** the thread */
	pthread_t thr;
	/** start, epoch seconds */
	uint64_t started;
};

/** The thread: a log line a minute, a heartbeat every 5 s. */
static void*
run(void* arg)
{
	struct mxg_passthru* p = arg;
	uint64_t next_log, next_hb = 0, now;
	char err[256];
	struct timespec tick = { 0, TICK_MS * 1000000L };
	next_log = mxg_mono_ms() + (uint64_t)MXG_PASSTHRU_LOG_S * 1000;
	while(!atomic_load(&p->stop)) {
		now = mxg_mono_ms();
		if(now >= next_log) {
			mxg_log_err("PASS-THROUGH since the last reload: %s "
				"could not be loaded, MX lookups are neither "
				"observed nor blocked; fix it (mxguard-checkconf)"
				" and reload", p->file);
			next_log = now + (uint64_t)MXG_PASSTHRU_LOG_S * 1000;
		}
		if(p->redis && now >= next_hb) {
			if(!mxg_redis_connected(p->redis) &&
				mxg_redis_may_retry(p->redis, now))
				(void)mxg_redis_connect(p->redis, now, err,
					sizeof(err));
			if(mxg_redis_connected(p->redis)) {
				struct mxg_redis_heartbeat hb;
				memset(&hb, 0, sizeof(hb));
				hb.instance = p->instance;
				hb.mode = "pass-through";
				hb.started = p->started;
				hb.now = (uint64_t)time(NULL);
				(void)mxg_redis_heartbeat(p->redis, &hb,
					mxg_mono_ms());
			}
			next_hb = now + HB_MS;
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/** Free a watch whose thread does not run. */
static void
pt_free(struct mxg_passthru* p)
{
	if(!p)
		return;
	mxg_redis_free(p->redis);
	mxg_conf_free(p->cfg);
	free(p->instance);
	free(p->file);
	free(p);
}

struct mxg_passthru*
mxg_passthru_start(const char* file)
{
	struct mxg_passthru* p = calloc(1, sizeof(*p));
	char err[4096], host[256];
	if(!p)
		return NULL;
	p->file = strdup(file ? file : "");
	p->cfg = mxg_conf_new();
	p->started = (uint64_t)time(NULL);
	if(!p->file || !p->cfg) {
		pt_free(p);
		return NULL;
	}
	/* errors were logged by the failed init; what parsed is kept */
	(void)mxg_conf_read(p->cfg, file, err, sizeof(err));
	if(p->cfg->instance && p->cfg->instance[0])
		p->instance = strdup(p->cfg->instance);
	else {
		if(gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = 0;
		p->instance = strdup(host);
	}
	if(p->cfg->redis_server && p->instance) {
		struct mxg_redis_opts o;
		mxg_redis_opts_from_conf(&o, p->cfg);
		p->redis = mxg_redis_new(&o, err, sizeof(err));
	}
	if(!p->instance || pthread_create(&p->thr, NULL, run, p) != 0) {
		pt_free(p);
		return NULL;
	}
	return p;
}

void
mxg_passthru_stop(struct mxg_passthru* p)
{
	if(!p)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->thr, NULL);
	pt_free(p);
}

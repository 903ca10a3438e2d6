/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/glue.h - state shared by the files that touch Unbound's structs.
 */
/** \file
 * The module's long-lived state (struct mxg_env, one per loaded config,
 * reached through dynlibmod_env->dyn_env and as the callbacks' cb_arg) and the
 * per-query state (struct mxg_qstate, in the query region). Only
 * module/mxguard.c, hooks.c, anscache.c, log.c, buildcheck.c and metrics.c
 * include Unbound headers; they include this file, which includes Unbound's
 * config.h first because Unbound's struct layouts depend on it.
 */
#ifndef MXGUARD_GLUE_H
#define MXGUARD_GLUE_H
#include "config.h"
#include <stdatomic.h>
#include <stdint.h>
#include "util/module.h"
#include "mxguard/mxguard.h"
#include "mxguard/engine.h"
#include "mxguard/event.h"
#include "mxguard/jsonlog.h"

struct mxg_conf;
struct mxg_geo;
struct mxg_category;
struct mxg_sink;
struct mxg_anscache;
struct ac_copy;

/**
 * The module's state. Created in init, destroyed in deinit, when no worker
 * runs. Shared by every worker thread: the pointers and flags are set in init
 * and only read afterwards; the engine, answer cache, sink and rate limiter
 * protect their own state (see their files); the counters are atomics.
 */
struct mxg_env {
	/** Unbound's module id of the dynlib module */
	int id;
	/** config in force (owned), NULL in pass-through */
	struct mxg_conf* cfg;
	/** detection engine (owned) */
	struct mxg_engine* engine;
	/** GeoIP handle (owned), NULL when no database is configured */
	struct mxg_geo* geo;
	/** domain categories (owned) */
	struct mxg_category* cat;
	/** event queue and background thread (owned) */
	struct mxg_sink* sink;
	/** private MX answer cache (owned), only when enforcing */
	struct mxg_anscache* cache;
	/** the config could not be loaded at reload: observe nothing, act on
	 * nothing, and say so in the log */
	int passthrough;
	/** some rule can refuse: MX answers bypass Unbound's message cache and
	 * are served from the private answer cache */
	int enforce;
	/** a module that stores MX answers in Unbound's message cache past
	 * mxg_hooks_upstream() (cachedb) is in the chain: evict them */
	int evict_msg;
	/** Unbound serves expired answers (serve-expired): so does the
	 * private cache */
	int serve_stale;
	/** ... but only when resolving fails
	 * (serve-expired-client-timeout) */
	int stale_wait;
	/** Unbound refreshes answers in the last tenth of their TTL
	 * (prefetch): so does the private cache */
	int prefetch;
	/** the country rule needs GeoIP on the query path */
	int geo_inline;
	/** geo's answer memo (the clean answers of the country rule), set
	 * with geo_inline */
	struct mxg_geo_sets geo_sets;
	/** a module in the chain may use EDNS Client Subnet (subnetcache,
	 * or one mxguard cannot know: python, another dynlib), so an answer
	 * may be tailored to a client: look for the option before sharing
	 * answers through the private cache (decided at init) */
	int check_ecs;
	/** Redis is configured: every lookup becomes an event (counters);
	 * without it only the lookups that are logged do */
	int redis;
	/** MX lookups observed */
	_Atomic uint64_t n_lookups;
	/** lookups refused */
	_Atomic uint64_t n_refused;
	/** lookups tagged */
	_Atomic uint64_t n_tagged;
	/** configs loaded by this process, this one included (metrics) */
	uint64_t generation;
	/** when this config was loaded, Unix seconds (metrics) */
	uint64_t loaded;
};

/**
 * Per-query state, allocated in the query region on the first operate() of a
 * client MX query. Touched only by the worker that owns the mesh state.
 */
struct mxg_qstate {
	/** verdict of the query stage */
	struct mxg_verdict qv;
	/** client address family and bytes */
	int client_family;
	/** client address */
	uint8_t client_addr[16];
	/** query came over TCP */
	int tcp;
	/** the answer was served from the private answer cache */
	int from_cache;
	/** the private cache's shared answer, released in clear() */
	struct ac_copy* ac_ref;
	/** the answer is stale (serve-expired) */
	int stale;
	/** ... and stands in for a resolution that failed */
	int stood_in;
	/** the answer is due for a refresh (Unbound's prefetch) */
	int prefetch;
	/** a stale answer held while the query resolves
	 * (serve-expired-client-timeout), released in clear() */
	struct ac_copy* stale_ref;
	/** the answer of stale_ref */
	struct reply_info* stale_rep;
};

/** Handle a client MX query entering the module (operate, new/pass).
 * Sets qstate->ext_state[id]. */
void mxg_hooks_query(struct mxg_env* env, struct module_qstate* qstate,
	int id);

/** Handle the answer coming back from the validator/iterator (moddone).
 * Sets qstate->ext_state[id]. */
void mxg_hooks_answer(struct mxg_env* env, struct module_qstate* qstate,
	int id);

/** Free what the hooks attach to a private-cache answer (the anscache's
 * aux_free). */
void mxg_hooks_view_free(void* view);

/** The inplace_cb_reply_cache and inplace_cb_reply_local callback: MX
 * cache hits, and MX answers from local-zone, local-data, auth-zone and RPZ
 * (observed and tagged, never refused: the rcode is Unbound's). cb_arg is
 * the struct mxg_env. Always returns 1 (Unbound ignores the value). */
int mxg_hooks_cache_hit(struct query_info* qinfo,
	struct module_qstate* qstate, struct reply_info* rep, int rcode,
	struct edns_data* edns, struct edns_option** opt_list_out,
	struct comm_reply* repinfo, struct regional* region,
	struct timeval* start_time, int id, void* cb_arg);

/** Give the sink the module's metrics for the heartbeat and count the
 * config generation (module/metrics.c). */
void mxg_metrics_start(struct mxg_env* e);

/** Start of the marker in mxguard.so naming the Unbound it was built for
 * (module/buildcheck.c; read by mxguard-checkconf). */
#define MXG_BUILT_FOR_TAG "mxguard-built-for: "

/** Compare the Unbound tree the module was built against with the running
 * unbound binary (module/buildcheck.c).
 * @return 1 same, 0 different (reason in err), -1 not known. */
int mxg_buildcheck(char* err, size_t errlen);

/** The inplace_cb_query_response callback, registered in enforce mode: the
 * response that answers an MX question gets a message TTL of 0, so Unbound
 * caches its records but not the message (a message cache hit could not be
 * refused). Always returns 1. */
int mxg_hooks_upstream(struct module_qstate* qstate, struct dns_msg* response,
	int id, void* cb_arg);

#endif /* MXGUARD_GLUE_H */

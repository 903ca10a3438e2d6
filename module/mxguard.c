/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/mxguard.c - the six dynlib entry points of mxguard.
 */
/** \file
 * What Unbound's dynlib module calls: init, deinit, operate, inform_super,
 * clear and get_mem, the only symbols mxguard.so exports. init reads
 * mxguard.conf (MXGUARD_CONF, else the configure-time default), builds the
 * engine, opens GeoIP, starts the sink thread, sets env->unique_mesh so each
 * client query gets its own decision, and registers the cache-hit callback
 * through the dynlib wrapper. deinit undoes all of it, because the library is
 * dlclosed after every reload.
 *
 * Reload safety: init failing during `unbound-control reload` kills Unbound
 * (docs/design.md, "Reload"). So a config that cannot be loaded makes init
 * fail only at the first start of the process (Unbound refuses to start, as
 * it does for its own config errors); at a reload the module logs the errors
 * loudly and runs in pass-through mode: it observes and blocks nothing until
 * a good config is loaded. The environment variable MXGUARD_STARTED (set to
 * the pid at the first successful init) tells a reload from a start, since
 * the library's own statics do not survive the dlclose.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/module.h"
#include "util/log.h"
#include "util/config_file.h"
#include "dynlibmod/dynlibmod.h"
#include "module/glue.h"
#include "module/anscache.h"
#include "mxguard/conf.h"
#include "mxguard/allowlist.h"
#include "mxguard/engine.h"
#include "mxguard/geo.h"
#include "mxguard/category.h"
#include "mxguard/sink.h"
#include "mxguard/log.h"
#include "mxguard/passthru.h"
#include "mxguard/chain.h"

#ifndef MXG_DEFAULT_CONF
/** Where mxguard.conf is when MXGUARD_CONF is not set. */
#define MXG_DEFAULT_CONF "/etc/unbound/mxguard.conf"
#endif

/** How long an expired answer is kept for serve-expired-ttl 0 (no limit):
 * until evicted, in practice. */
#define MXG_STALE_FOREVER (3600 * 24 * 365)

/** Environment variable that marks a process where init succeeded once. */
#define MXG_STARTED_ENV "MXGUARD_STARTED"

MXG_EXPORT int init(struct module_env* env, int id);
MXG_EXPORT void deinit(struct module_env* env, int id);
MXG_EXPORT void operate(struct module_qstate* qstate, enum module_ev event,
	int id, struct outbound_entry* entry);
MXG_EXPORT void inform_super(struct module_qstate* qstate, int id,
	struct module_qstate* super);
MXG_EXPORT void clear(struct module_qstate* qstate, int id);
MXG_EXPORT size_t get_mem(struct module_env* env, int id);

/** The env of pass-through mode (a reload with a bad config). Static, so
 * that entering pass-through cannot fail on an allocation: init returning 0
 * at a reload kills Unbound. Set up by init, never freed; the library's
 * statics are fresh after each dlopen. */
static struct mxg_env passthrough_env;

/** The thread that repeats the pass-through error and heartbeat, while
 * passthrough_env is in use (started by init, stopped by deinit). */
static struct mxg_passthru* passthru;

/** Remove every callback mxguard registers (deleting one that was never
 * registered does nothing). */
static void
callbacks_delete(struct dynlibmod_env* de, struct module_env* env, int id)
{
	de->inplace_cb_delete_wrapped(env, inplace_cb_reply_cache, id);
	de->inplace_cb_delete_wrapped(env, inplace_cb_reply_local, id);
	de->inplace_cb_delete_wrapped(env, inplace_cb_query_response, id);
}

/** Has init succeeded before in this process (so this is a reload)? */
static int
is_reload(void)
{
	const char* s = getenv(MXG_STARTED_ENV);
	return s && atol(s) == (long)getpid();
}

/** Remember that init succeeded in this process. */
static void
mark_started(void)
{
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv(MXG_STARTED_ENV, pid, 1);
}

/** Free everything of an env, in the reverse order of setup. */
static void
env_free(struct mxg_env* e)
{
	if(!e)
		return;
	mxg_sink_stop(e->sink);
	mxg_anscache_free(e->cache);
	mxg_engine_free(e->engine);
	mxg_category_free(e->cat);
	mxg_geo_close(e->geo);
	mxg_conf_free(e->cfg);
	free(e);
}

/** Print each line of a multi-line error message to the log. */
static void
log_lines(const char* prefix, const char* msg)
{
	const char* p = msg;
	while(p && *p) {
		const char* nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		if(n > 0)
			mxg_log_err("%s%.*s", prefix, n, p);
		p = nl ? nl + 1 : NULL;
	}
}

/** The engine's view of the fleet-wide counts the sink thread reads back. */
static int
fleet_count(void* arg, int family, const uint8_t* addr, uint32_t window_s,
	uint64_t now_s, uint64_t* count)
{
	return mxg_sink_fleet_count((struct mxg_sink*)arg, family, addr,
		window_s, now_s, count);
}

/** Check Unbound's module-config for what mxguard needs (chain.h).
 * @return 0 if mxguard cannot work as configured in it (errors logged). */
static int
chain_ok(struct mxg_env* e, const char* chain)
{
	char msg[2048];
	int lvl = mxg_chain_check(chain, e->enforce, msg, sizeof(msg));
	if(lvl == 0)
		return 1;
	log_lines(lvl >= MXG_CHAIN_UNSAFE ? "" : "warning: ", msg);
	if(lvl >= MXG_CHAIN_UNSAFE && e->enforce) {
		mxg_log_err("refuse mode needs a safe module-config, for "
			"example \"%s\" (docs/building.md)",
			MXG_CHAIN_RECOMMENDED);
		return 0;
	}
	return 1;
}

/** May a module of this module-config add or honour EDNS Client Subnet?
 * subnetcache does; python and another dynlib module might; Unbound's
 * other modules never send the option upstream. An unknown chain might. */
static int
chain_may_use_ecs(const char* chain)
{
	const char* d;
	if(!chain)
		return 1;
	if(strstr(chain, "subnetcache") || strstr(chain, "python"))
		return 1;
	d = strstr(chain, "dynlib");
	return d && strstr(d + 6, "dynlib") != NULL;
}

/** Load config and build the parts. @return 0 with errors logged. */
static int
env_setup(struct mxg_env* e, const char* file, const char* chain)
{
	char err[4096];
	err[0] = 0;
	if(mxg_buildcheck(err, sizeof(err)) == 0) {
		/* another Unbound: its structs may differ (buildcheck.c) */
		mxg_log_err("%s", err);
		return 0;
	}
	err[0] = 0;
	e->cfg = mxg_conf_new();
	if(!e->cfg) {
		mxg_log_err("out of memory");
		return 0;
	}
	if(!mxg_conf_read(e->cfg, file, err, sizeof(err))) {
		log_lines("", err);
		return 0;
	}
	e->engine = mxg_engine_new(e->cfg, err, sizeof(err));
	if(!e->engine) {
		mxg_log_err("%s: %s", file, err);
		return 0;
	}
	if(e->cfg->geoip_country || e->cfg->geoip_asn) {
		err[0] = 0;
		e->geo = mxg_geo_open(e->cfg->geoip_country, e->cfg->geoip_asn,
			err, sizeof(err));
		if(err[0])
			log_lines("geoip: ", err);
	}
	err[0] = 0;
	e->cat = mxg_category_load(e->cfg->category_file, err, sizeof(err));
	if(!e->cat) {
		log_lines("category-file: ", err);
		return 0;
	}
	e->geo_inline = e->geo && (mxg_geo_have(e->geo) & MXG_GEO_COUNTRY) &&
		e->cfg->deny_country_count > 0 &&
		e->cfg->rules[MXG_RULE_COUNTRY].enabled;
	if(e->geo_inline)
		(void)mxg_geo_sets(e->geo, &e->geo_sets);
	if(e->cfg->deny_country_count > 0 && !e->geo_inline)
		mxg_log_err("deny-country is set but no country database is "
			"open (geoip-country): the country rule is off");
	e->enforce = mxg_engine_can_refuse(e->engine);
	if(!chain_ok(e, chain))
		return 0;
	e->evict_msg = e->enforce && chain && strstr(chain, "cachedb") != NULL;
	e->check_ecs = chain_may_use_ecs(chain);
	if(e->enforce) {
		e->cache = mxg_anscache_new(e->cfg->mx_cache_size,
			mxg_hooks_view_free);
		if(!e->cache) {
			mxg_log_err("out of memory for the MX answer cache");
			return 0;
		}
	}
	e->redis = e->cfg->redis_server != NULL;
	err[0] = 0;
	e->sink = mxg_sink_start(e->cfg, e->geo, e->cat, err, sizeof(err));
	if(!e->sink) {
		mxg_log_err("cannot start the event thread: %s", err);
		return 0;
	}
	if(e->cfg->fleet)
		mxg_engine_set_fleet(e->engine, fleet_count, e->sink);
	/* blocks shared through Redis (and kept there across reloads) */
	mxg_sink_set_blocks(e->sink, mxg_block_apply, e->engine);
	/* counters for the heartbeat and the Prometheus metrics */
	mxg_metrics_start(e);
	return 1;
}

int
init(struct module_env* env, int id)
{
	struct dynlibmod_env* de = (struct dynlibmod_env*)env->modinfo[id];
	struct mxg_env* e;
	const char* file = getenv("MXGUARD_CONF");
	if(!file || !*file)
		file = MXG_DEFAULT_CONF;
	e = calloc(1, sizeof(*e));
	if(!e)
		log_err("mxguard: out of memory");
	else	e->id = id;
	if(!e || !env_setup(e, file, env->cfg ? env->cfg->module_conf :
		NULL)) {
		if(!is_reload()) {
			mxg_log_err("not started: fix %s (check it with "
				"mxguard-checkconf)", file);
			env_free(e);
			return 0;
		}
		/* a reload with a bad config must not take DNS down */
		mxg_log_err("RELOAD WITH A BAD CONFIG: running in pass-through "
			"mode, MX lookups are neither observed nor blocked "
			"until %s is fixed and Unbound reloaded", file);
		env_free(e);
		goto passthrough;
	}
	if(e->cache && env->cfg && env->cfg->serve_expired) {
		/* serve-expired-ttl 0 is "no limit": kept until evicted */
		e->serve_stale = 1;
		e->stale_wait = env->cfg->serve_expired_client_timeout > 0;
		mxg_anscache_set_stale(e->cache, env->cfg->serve_expired_ttl ?
			env->cfg->serve_expired_ttl : MXG_STALE_FOREVER,
			env->cfg->serve_expired_reply_ttl);
	}
	if(e->cache && env->cfg)
		e->prefetch = env->cfg->prefetch;
	/* one mesh state per client query, so each client gets its own
	 * decision (docs/design.md) */
	env->unique_mesh = 1;
	if(!de->inplace_cb_register_wrapped((void*)&mxg_hooks_cache_hit,
		inplace_cb_reply_cache, e, env, id) ||
		!de->inplace_cb_register_wrapped((void*)&mxg_hooks_cache_hit,
		inplace_cb_reply_local, e, env, id) ||
		(e->enforce && !de->inplace_cb_register_wrapped(
		(void*)&mxg_hooks_upstream, inplace_cb_query_response, e, env,
		id))) {
		mxg_log_err("cannot register Unbound callbacks");
		callbacks_delete(de, env, id);
		env_free(e);
		if(!is_reload())
			return 0;
		mxg_log_err("RELOAD FAILED: running in pass-through mode");
		goto passthrough;
	}
	de->dyn_env = e;
	mark_started();
	mxg_log_info("started: config %s, mode %s%s%s, %u relay netblocks, "
		"MX answers %s", file, mxg_action_name(e->cfg->mode),
		e->cfg->dry_run ? " (dry-run)" : "",
		!e->cfg->geoip_country && !e->cfg->geoip_asn ? "" :
		!e->geo || !mxg_geo_have(e->geo) ? ", geoip off" :
		mxg_geo_have(e->geo) == (MXG_GEO_COUNTRY | MXG_GEO_ASN) ?
		", geoip country and asn" :
		mxg_geo_have(e->geo) & MXG_GEO_COUNTRY ? ", geoip country only" :
		", geoip asn only",
		(unsigned)mxg_allowlist_count(e->cfg->relays),
		e->enforce ? "kept out of Unbound's message cache and served "
		"from the mxguard cache (enforcing)" : "cached by Unbound");
	return 1;
passthrough:
	/* say so every minute, and in the heartbeat */
	passthru = mxg_passthru_start(file);
	memset(&passthrough_env, 0, sizeof(passthrough_env));
	passthrough_env.id = id;
	passthrough_env.passthrough = 1;
	de->dyn_env = &passthrough_env;
	return 1;
}

void
deinit(struct module_env* env, int id)
{
	struct dynlibmod_env* de = (struct dynlibmod_env*)env->modinfo[id];
	struct mxg_env* e;
	if(!de)
		return;
	e = (struct mxg_env*)de->dyn_env;
	callbacks_delete(de, env, id);
	de->dyn_env = NULL;
	if(!e)
		return;
	if(e == &passthrough_env) {
		mxg_passthru_stop(passthru);
		passthru = NULL;
		return;
	}
	if(!e->passthrough)
		mxg_log_verbose(1, "stopping: %llu MX lookups seen, %llu "
			"refused, %llu tagged",
			(unsigned long long)e->n_lookups,
			(unsigned long long)e->n_refused,
			(unsigned long long)e->n_tagged);
	env_free(e);
}

void
operate(struct module_qstate* qstate, enum module_ev event, int id,
	struct outbound_entry* entry)
{
	struct dynlibmod_env* de =
		(struct dynlibmod_env*)qstate->env->modinfo[id];
	struct mxg_env* e = (struct mxg_env*)de->dyn_env;
	if(event == module_event_new || event == module_event_pass) {
		if(!e) {
			qstate->ext_state[id] = module_wait_module;
			return;
		}
		mxg_hooks_query(e, qstate, id);
		return;
	}
	if(event == module_event_moddone) {
		if(!e) {
			qstate->ext_state[id] = module_finished;
			return;
		}
		mxg_hooks_answer(e, qstate, id);
		return;
	}
	qstate->ext_state[id] = module_error;
}

void
inform_super(struct module_qstate* qstate, int id,
	struct module_qstate* super)
{
	/* mxguard starts no sub-queries */
}

void
clear(struct module_qstate* qstate, int id)
{
	/* the per-query state lives in the query region; only the shared
	 * answer of the private cache is held beyond it */
	struct mxg_qstate* mq = (struct mxg_qstate*)qstate->minfo[id];
	if(mq)
		mxg_anscache_release(mq->ac_ref);
	if(mq)
		mxg_anscache_release(mq->stale_ref);
	qstate->minfo[id] = NULL;
}

size_t
get_mem(struct module_env* env, int id)
{
	struct dynlibmod_env* de = (struct dynlibmod_env*)env->modinfo[id];
	struct mxg_env* e = de ? (struct mxg_env*)de->dyn_env : NULL;
	struct mxg_engine_stats st;
	if(!e || e->passthrough)
		return 0;
	mxg_engine_get_stats(e->engine, &st);
	return sizeof(*e) + (size_t)st.mem + mxg_anscache_mem(e->cache);
}

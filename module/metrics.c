/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/metrics.c - the module's counters for the heartbeat (Prometheus).
 */
/** \file
 * The sink thread writes a heartbeat hash per instance every 5 s
 * (docs/redis-schema.md); this file gives it the module's counters, which
 * live in struct mxg_env and the engine: lookups, verdicts by rule and
 * action, refused, tagged, memory against
 * max-memory, the config generation and load time, and the GeoIP build
 * times. mxguard-report metrics and mxguard-exporter turn them into
 * Prometheus text. Called by the sink thread; it reads atomics only.
 *
 * The generation counts the configs loaded by this process (starts and
 * reloads); it is kept in the environment (MXGUARD_GENERATION) because the
 * library's statics do not survive the dlclose of a reload.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "module/glue.h"
#include "module/anscache.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/geo.h"
#include "mxguard/sink.h"

/** Add one metric. */
static void
put(struct mxg_metric* m, size_t max, size_t* n, const char* name,
	uint64_t v)
{
	if(*n >= max)
		return;
	snprintf(m[*n].name, sizeof(m[*n].name), "%s", name);
	m[*n].value = v;
	(*n)++;
}

/** The mxg_sink_metrics_fn of the module. */
static size_t
fill(void* arg, struct mxg_metric* m, size_t max)
{
	struct mxg_env* e = arg;
	struct mxg_engine_stats st;
	size_t n = 0;
	int r, a;
	char name[48];
	mxg_engine_get_stats(e->engine, &st);
	put(m, max, &n, "lookups", atomic_load_explicit(&e->n_lookups,
		memory_order_relaxed));
	put(m, max, &n, "refused", atomic_load_explicit(&e->n_refused,
		memory_order_relaxed));
	put(m, max, &n, "tagged", atomic_load_explicit(&e->n_tagged,
		memory_order_relaxed));
	put(m, max, &n, "mem", st.mem + mxg_anscache_mem(e->cache));
	put(m, max, &n, "max_memory", e->cfg->max_memory);
	put(m, max, &n, "keys", st.keys);
	put(m, max, &n, "evictions", st.evictions);
	put(m, max, &n, "generation", e->generation);
	put(m, max, &n, "loaded", e->loaded);
	put(m, max, &n, "geoip_country_built", mxg_geo_build_time(e->geo, 1));
	put(m, max, &n, "geoip_asn_built", mxg_geo_build_time(e->geo, 2));
	for(r = 0; r < MXG_RULE_COUNT; r++)
		for(a = MXG_ACT_LOG; a <= MXG_ACT_REFUSE; a++) {
			snprintf(name, sizeof(name), "v:%s:%s",
				mxg_rule_name((enum mxg_rule_id)r),
				mxg_action_name((enum mxg_action)a));
			put(m, max, &n, name, st.by_rule[r][a]);
		}
	return n;
}

void
mxg_metrics_start(struct mxg_env* e)
{
	const char* g = getenv("MXGUARD_GENERATION");
	char buf[32];
	e->generation = (g ? strtoull(g, NULL, 10) : 0) + 1;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e->generation);
	setenv("MXGUARD_GENERATION", buf, 1);
	e->loaded = (uint64_t)time(NULL);
	mxg_sink_set_metrics(e->sink, fill, e);
}

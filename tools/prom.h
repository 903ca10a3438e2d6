/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/prom.h - the instances' heartbeats as Prometheus text.
 */
/** \file
 * Shared by mxguard-report metrics and mxguard-exporter: reads the
 * heartbeat hash of every instance writing to a Redis (docs/redis-schema.md,
 * P{inst:NAME}) and renders the Prometheus text exposition format 0.0.4,
 * one metric family at a time, with an instance label.
 */
#ifndef MXGUARD_TOOLS_PROM_H
#define MXGUARD_TOOLS_PROM_H
#include <stddef.h>

struct redisContext;

/**
 * Render the metrics of every live instance.
 * @param c: a connected hiredis context.
 * @param prefix: key prefix.
 * @param out: set to a malloc'd NUL-terminated text (free it).
 * @param err: reason on failure.
 * @return 0 ok, -1 Redis failed (connection or error reply), -2 out of
 *	memory.
 */
int mxg_prom_render(struct redisContext* c, const char* prefix, char** out,
	char* err, size_t errlen);

#endif /* MXGUARD_TOOLS_PROM_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/testlib.h - helpers the unit tests and benchmarks share.
 */
/** \file
 * What several test programs did each in their own copy: a config from text
 * and an engine for it (the test bails out on error), an MX query observation
 * of a name by a client given as text, a small deterministic random number
 * generator, a monotonic clock and the test data directory. Header-only,
 * static inline: a program uses what it needs.
 */
#ifndef MXGUARD_TESTLIB_H
#define MXGUARD_TESTLIB_H
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/names.h"

/** Monotonic time in nanoseconds. */
static inline double
t_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/** The test data directory: $MXG_TESTDATA (make check sets it), else
 * tests/data (a test run from the source tree). */
static inline const char*
t_datadir(void)
{
	const char* d = getenv("MXG_TESTDATA");
	return d && *d ? d : "tests/data";
}

/** Next number of a xorshift64 generator (state s, never 0): the upper
 * 32 bits but 16. */
static inline uint32_t
t_rnd32(uint64_t* s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

/** A config from text over the defaults; bails out of the test on error. */
static inline struct mxg_conf*
t_conf(const char* text)
{
	char err[1024];
	struct mxg_conf* c = mxg_conf_new();
	if(!c || !mxg_conf_read_string(c, "test.conf", text, err,
		sizeof(err))) {
		printf("Bail out! config: %s\n", err);
		exit(1);
	}
	return c;
}

/** An engine for a config; bails out of the test on error. */
static inline struct mxg_engine*
t_engine(const struct mxg_conf* c)
{
	char err[256];
	struct mxg_engine* e = mxg_engine_new(c, err, sizeof(err));
	if(!e) {
		printf("Bail out! engine: %s\n", err);
		exit(1);
	}
	return e;
}

/** An engine for a config from text; *c gets the config (bails out of
 * the test on error). Free both with t_free. */
static inline struct mxg_engine*
t_engine_text(struct mxg_conf** c, const char* text)
{
	*c = t_conf(text);
	return t_engine(*c);
}

/** Free an engine and its config. */
static inline void
t_free(struct mxg_engine* e, struct mxg_conf* c)
{
	mxg_engine_free(e);
	mxg_conf_free(c);
}

/**
 * Fill o as an MX lookup (class IN) of name by client (IPv4 or IPv6 text)
 * at time now, at stage (rcode -1 for the query, 0 for the answer). The
 * wire form of the name goes to wire (MXG_NAME_WIRE_MAX bytes), which o
 * points to; a bad name bails out of the test.
 */
static inline void
t_obs(struct mxg_obs* o, uint8_t* wire, enum mxg_obs_stage stage,
	const char* client, const char* name, time_t now)
{
	size_t len = 0;
	memset(o, 0, sizeof(*o));
	o->stage = stage;
	o->now = now;
	o->client_family = strchr(client, ':') ? AF_INET6 : AF_INET;
	inet_pton(o->client_family, client, o->client_addr);
	if(mxg_names_from_str(name, wire, MXG_NAME_WIRE_MAX, &len) !=
		MXG_NAME_OK) {
		printf("Bail out! bad name %s\n", name);
		exit(1);
	}
	o->qname = wire;
	o->qname_len = len;
	o->qtype = 15;
	o->qclass = 1;
	o->rcode = stage == MXG_OBS_QUERY ? -1 : 0;
}

#endif /* MXGUARD_TESTLIB_H */

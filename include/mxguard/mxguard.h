/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/mxguard.h - common definitions of the mxguard module.
 */
/** \file
 * Definitions every part of mxguard shares: the version, the export macro for
 * the six dynlib entry points, and the actions a verdict can take. This header
 * never includes Unbound headers, so the pure logic can use it.
 */
#ifndef MXGUARD_MXGUARD_H
#define MXGUARD_MXGUARD_H
#include <stddef.h>

/** Version string of mxguard, also written to Redis heartbeats; the one place
 * it is written (configure.ac reads it, tests/test_docs.sh checks the pages). */
#define MXG_VERSION "0.1.0"

/** Schema version of the Redis keys (docs/redis-schema.md). */
#define MXG_SCHEMA_VERSION 1

/** Marks the only symbols the module exports (built -fvisibility=hidden). */
#define MXG_EXPORT __attribute__((visibility("default")))

/** Longest domain name in presentation format, escaped (\DDD), plus NUL. */
#define MXG_NAME_TEXT_MAX 1025

/**
 * A text written whole or not at all: n is what snprintf(buf, len, ...)
 * returned. @return n when it fit, else 0 with buf emptied.
 */
static inline size_t
mxg_fit(char* buf, size_t len, int n)
{
	if(n >= 0 && (size_t)n < len)
		return (size_t)n;
	if(len)
		buf[0] = 0;
	return 0;
}

/** What a verdict does to a lookup. Ordered: a larger value is stronger. */
enum mxg_action {
	/** nothing to report */
	MXG_ACT_PASS = 0,
	/** log line, Redis alert; answer unchanged */
	MXG_ACT_LOG = 1,
	/** answer plus an EDE option (info-code 0) naming the rule */
	MXG_ACT_TAG = 2,
	/** REFUSED plus EDE 18 (Prohibited) with the rule's text */
	MXG_ACT_REFUSE = 3,
	/** only in rule config: the rule takes the global `mode:` */
	MXG_ACT_MODE = 4
};

/** The detection rules (docs/detection.md). Values index struct mxg_conf.rules. */
enum mxg_rule_id {
	MXG_RULE_NON_RELAY = 0,
	MXG_RULE_VOLUME,
	MXG_RULE_FANOUT,
	MXG_RULE_STAGING_WINDOW,
	MXG_RULE_STAGING_SHAPE,
	MXG_RULE_COUNTRY,
	/** encoded bytes in MX exchange names per client + base domain over a
	 * window: payload spread over many small answers */
	MXG_RULE_STAGING_DRIP,
	/** not a configurable rule: a client (or client+base) still blocked by an
	 * earlier refusing verdict */
	MXG_RULE_BLOCKED,
	/** number of rule ids; also "no rule" in a verdict */
	MXG_RULE_COUNT
};

/** Name of an action ("pass", "log", "tag", "refuse", "mode"). */
const char* mxg_action_name(enum mxg_action a);
/** Name of a rule ("non-relay", "volume", ... "blocked"), NULL if out of range. */
const char* mxg_rule_name(enum mxg_rule_id r);
/** MITRE ATT&CK technique of a rule, e.g. "T1071.004". */
const char* mxg_rule_technique(enum mxg_rule_id r);
/** ASIM ThreatCategory of a rule, e.g. "Exfiltration", "Spam". */
const char* mxg_rule_category(enum mxg_rule_id r);

#endif /* MXGUARD_MXGUARD_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/rules.c - names of the rules and actions.
 */
/** \file
 * One table of the detection rules: the name used in config options, logs and
 * Redis, the MITRE ATT&CK technique and the ASIM ThreatCategory. Kept apart so
 * the config parser, the engine, the JSON log and the report tool agree.
 */
#include <stddef.h>
#include "mxguard/mxguard.h"

/** A row of the rule table. */
struct rule_row {
	/** name in config options and output */
	const char* name;
	/** ATT&CK technique */
	const char* technique;
	/** ASIM ThreatCategory */
	const char* category;
};

/** Indexed by enum mxg_rule_id. */
static const struct rule_row rule_table[MXG_RULE_COUNT] = {
	/* any MX lookup by a non-relay: direct-to-MX mail (seeds 001-003) */
	{ "non-relay", "T1071.003", "Policy" },
	/* many MX lookups by one client in a short time */
	{ "volume", "T1071.003", "Spam" },
	/* MX lookups of many base domains: spam bot */
	{ "fanout", "T1071.003", "Spam" },
	/* the Sentinel staging rule: numeric-prefixed MX lookups of one base domain */
	{ "staging-window", "T1071.004", "Exfiltration" },
	/* one answer shaped like staged data */
	{ "staging-shape", "T1132", "Exfiltration" },
	/* MX host in a denied country */
	{ "country", "T1071.003", "Policy" },
	/* encoded bytes over many small answers of one base domain */
	{ "staging-drip", "T1071.004", "Exfiltration" },
	/* still blocked by an earlier refusing verdict */
	{ "blocked", "T1071.004", "Blocked" },
};

const char*
mxg_action_name(enum mxg_action a)
{
	switch(a) {
	case MXG_ACT_PASS: return "pass";
	case MXG_ACT_LOG: return "log";
	case MXG_ACT_TAG: return "tag";
	case MXG_ACT_REFUSE: return "refuse";
	case MXG_ACT_MODE: return "mode";
	}
	return "unknown";
}

const char*
mxg_rule_name(enum mxg_rule_id r)
{
	if((int)r < 0 || r >= MXG_RULE_COUNT)
		return NULL;
	return rule_table[r].name;
}

const char*
mxg_rule_technique(enum mxg_rule_id r)
{
	if((int)r < 0 || r >= MXG_RULE_COUNT)
		return "";
	return rule_table[r].technique;
}

const char*
mxg_rule_category(enum mxg_rule_id r)
{
	if((int)r < 0 || r >= MXG_RULE_COUNT)
		return "";
	return rule_table[r].category;
}

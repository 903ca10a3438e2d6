/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_rules.c - the rule and action name tables.
 */
/** \file
 * Every rule has a distinct name, a technique and a category, and names round
 * trip with the enum, so config, logs and Redis agree on them.
 */
#include <string.h>
#include "mxguard/mxguard.h"
#include "tap.h"

int
main(void)
{
	int i, j;
	is_str(mxg_rule_name(MXG_RULE_STAGING_SHAPE), "staging-shape",
		"staging-shape rule is named as in docs/detection.md");
	is_str(mxg_rule_name(MXG_RULE_NON_RELAY), "non-relay",
		"non-relay rule name");
	is_str(mxg_rule_technique(MXG_RULE_STAGING_WINDOW), "T1071.004",
		"staging-window carries the Sentinel staging rule's technique");
	ok(mxg_rule_name(MXG_RULE_COUNT) == NULL, "out of range rule has no name");
	ok(mxg_rule_name((enum mxg_rule_id)-1) == NULL, "negative rule has no name");
	for(i = 0; i < MXG_RULE_COUNT; i++)
		for(j = i + 1; j < MXG_RULE_COUNT; j++)
			if(strcmp(mxg_rule_name(i), mxg_rule_name(j)) == 0)
				ok(0, "rule %d and %d share a name", i, j);
	ok(1, "all %d rule names are distinct", MXG_RULE_COUNT);
	is_str(mxg_action_name(MXG_ACT_REFUSE), "refuse", "refuse action name");
	is_str(mxg_action_name(MXG_ACT_TAG), "tag", "tag action name");
	ok(MXG_ACT_REFUSE > MXG_ACT_TAG && MXG_ACT_TAG > MXG_ACT_LOG &&
		MXG_ACT_LOG > MXG_ACT_PASS, "actions are ordered by strength");
	return done_testing();
}

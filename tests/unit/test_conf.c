/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_conf.c - the mxguard.conf parser: config text.
 */
/** \file
 * Config text: defaults, mxg_conf_rule_action, units, range edges, every
 * error path with its exact message, all errors collected in a bounded
 * buffer, the did-you-mean hint, relays, deny-country and redis-server
 * forms. Config files, printing and the docs are in test_conf_files.c;
 * the two share tests/unit/conflib.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxguard/allowlist.h"
#include "mxguard/conf.h"
#include "tap.h"
#include "conflib.h"

/** Does the text parse? */
static int
parses(const char* text)
{
	int r;
	struct mxg_conf* c = parse(text, &r);
	mxg_conf_free(c);
	return r;
}

/** Parse text expecting failure; return 1 if err equals want + "\n". */
static int
fails_with(const char* text, const char* want)
{
	int r;
	char w[1024];
	struct mxg_conf* c = parse(text, &r);
	mxg_conf_free(c);
	snprintf(w, sizeof(w), "%s\n", want);
	if(r || strcmp(err, w) != 0) {
		diag("text: %s", text);
		diag("got (ok=%d): %s", r, err);
		diag("want: %s", want);
		return 0;
	}
	return 1;
}

/** A field of a rule's config (each is 32 bits wide), by its offset. */
#define R(f) offsetof(struct mxg_rule_conf, f)

/** The 32-bit field at offset off of a rule's config. */
static long long
rule_field(const struct mxg_rule_conf* r, size_t off)
{
	uint32_t v;
	memcpy(&v, (const char*)r + off, sizeof(v));
	return v;
}
_Static_assert(sizeof(((struct mxg_rule_conf*)0)->enabled) == 4 &&
	sizeof(((struct mxg_rule_conf*)0)->action) == 4,
	"rule_field reads 32 bits");

/** Rule defaults: the rule, the field, its default. */
static const struct rule_default {
	int rule;
	size_t field;
	long long want;
	const char* what;
} rule_defaults[] = {
	{ MXG_RULE_NON_RELAY, R(enabled), 1, "non-relay enabled" },
	{ MXG_RULE_NON_RELAY, R(action), MXG_ACT_LOG, "non-relay acts log" },
	{ MXG_RULE_NON_RELAY, R(period), 3600, "non-relay period 1h" },
	{ MXG_RULE_NON_RELAY, R(limit), 0, "non-relay limit 0" },
	{ MXG_RULE_VOLUME, R(action), MXG_ACT_MODE, "volume follows mode" },
	{ MXG_RULE_VOLUME, R(limit), 30, "volume limit 30" },
	{ MXG_RULE_VOLUME, R(period), 60, "volume period 60 s" },
	{ MXG_RULE_FANOUT, R(limit), 20, "fanout limit 20" },
	{ MXG_RULE_FANOUT, R(period), 600, "fanout period 10m" },
	{ MXG_RULE_STAGING_WINDOW, R(limit), 10, "staging-window limit 10" },
	{ MXG_RULE_STAGING_WINDOW, R(limit2), 3, "staging-window prefixes 3" },
	{ MXG_RULE_STAGING_WINDOW, R(period), 3600,
		"staging-window period 1h" },
	{ MXG_RULE_STAGING_SHAPE, R(limit), 60, "staging-shape score 60" },
	{ MXG_RULE_STAGING_SHAPE, R(enabled), 1, "staging-shape enabled" },
	{ MXG_RULE_COUNTRY, R(enabled), 1, "country enabled" },
	{ MXG_RULE_COUNTRY, R(action), MXG_ACT_MODE, "country follows mode" },
};
#undef R

/** Every option has its documented default. */
static void
test_defaults(void)
{
	struct mxg_conf* c = mxg_conf_new();
	size_t i;
	char host[256];
	ok(c != NULL, "mxg_conf_new gives a config");
	if(!c)
		return;
	is_int(c->mode, MXG_ACT_LOG, "mode defaults to log");
	is_int(c->dry_run, 0, "dry-run defaults to no");
	is_int(c->ede_full, 0, "ede-text defaults to rule");
	is_int(c->block_duration, 600, "block-duration defaults to 10m");
	is_int(c->client_prefix_v4, 32, "client-prefix-v4 defaults to 32");
	is_int(c->client_prefix_v6, 64, "client-prefix-v6 defaults to 64");
	is_int(c->max_memory, 64 * 1024 * 1024, "max-memory defaults to 64m");
	is_int(c->mx_cache_size, 16 * 1024 * 1024,
		"mx-cache-size defaults to 16m");
	ok(c->relays != NULL && mxg_allowlist_count(c->relays) == 0,
		"relays start empty but allocated");
	for(i = 0; i < sizeof(rule_defaults) / sizeof(rule_defaults[0]); i++) {
		const struct rule_default* d = &rule_defaults[i];
		is_int(rule_field(&c->rules[d->rule], d->field), d->want, "%s",
			d->what);
	}
	is_int(c->deny_country_count, 0, "no deny-country by default");
	ok(c->geoip_country == NULL && c->geoip_asn == NULL &&
		c->category_file == NULL, "no geo or category files");
	ok(c->redis_server == NULL && c->redis_user == NULL &&
		c->redis_password == NULL, "Redis off by default");
	is_int(c->redis_db, 0, "redis-db 0");
	is_str(c->redis_prefix, "mxg:", "redis-prefix mxg:");
	is_int(c->redis_connect_timeout_ms, 500, "connect timeout 500 ms");
	is_int(c->redis_timeout_ms, 1000, "command timeout 1000 ms");
	is_int(c->redis_queue, 16384, "redis-queue 16384");
	is_int(c->redis_stream_maxlen, 10000, "redis-stream-maxlen 10000");
	is_int(c->redis_ttl, 8 * 86400, "redis-ttl 8d");
	is_int(c->fleet, 0, "fleet no");
	if(gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		host[64] = 0;
		is_str(c->instance, host, "instance defaults to the host name");
	} else
		skip("gethostname failed");
	ok(c->log_file == NULL, "log to Unbound's log by default");
	is_int(c->log_rate, 100, "log-rate 100");
	is_int(c->log_lookups, 0, "log-lookups no");
	ok(c->file == NULL, "a default config has no file");
	mxg_conf_free(c);
	mxg_conf_free(NULL);
	ok(1, "mxg_conf_free(NULL) is fine");
}

/** mxg_conf_rule_action applies mode and dry-run. */
static void
test_rule_action(void)
{
	struct mxg_conf* c = mxg_conf_new();
	if(!c)
		return;
	is_int(mxg_conf_rule_action(c, MXG_RULE_VOLUME), MXG_ACT_LOG,
		"mode log: a mode rule logs");
	c->mode = MXG_ACT_REFUSE;
	is_int(mxg_conf_rule_action(c, MXG_RULE_VOLUME), MXG_ACT_REFUSE,
		"mode refuse: a mode rule refuses");
	is_int(mxg_conf_rule_action(c, MXG_RULE_NON_RELAY), MXG_ACT_LOG,
		"non-relay keeps its own action log under mode refuse");
	is_int(mxg_conf_rule_action(c, MXG_RULE_BLOCKED), MXG_ACT_REFUSE,
		"blocked follows mode");
	c->dry_run = 1;
	is_int(mxg_conf_rule_action(c, MXG_RULE_VOLUME), MXG_ACT_LOG,
		"dry-run turns refuse into log");
	c->mode = MXG_ACT_TAG;
	is_int(mxg_conf_rule_action(c, MXG_RULE_FANOUT), MXG_ACT_TAG,
		"dry-run leaves tag alone");
	c->rules[MXG_RULE_FANOUT].action = MXG_ACT_REFUSE;
	is_int(mxg_conf_rule_action(c, MXG_RULE_FANOUT), MXG_ACT_LOG,
		"dry-run also turns a per-rule refuse into log");
	c->dry_run = 0;
	is_int(mxg_conf_rule_action(c, MXG_RULE_FANOUT), MXG_ACT_REFUSE,
		"per-rule refuse under mode tag refuses");
	is_int(mxg_conf_rule_action(c, MXG_RULE_COUNT), MXG_ACT_PASS,
		"out-of-range rule passes");
	mxg_conf_free(c);
}

/** Sizes, durations and milliseconds with and without units. */
static void
test_units(void)
{
	int r;
	struct mxg_conf* c = parse("block-duration: 10m\n"
		"volume-period: 90\nfanout-period: 2h\nnon-relay-period: 3d\n"
		"staging-window-period: 45s\nmax-memory: 2G\n"
		"mx-cache-size: 512K\nredis-connect-timeout: 2s\n"
		"redis-timeout: 250\nredis-ttl: 1d\n", &r);
	ok(r, "durations and sizes with units parse: %s", flat(err));
	if(c) {
		is_int(c->block_duration, 600, "10m is 600 s");
		is_int(c->rules[MXG_RULE_VOLUME].period, 90, "bare 90 is 90 s");
		is_int(c->rules[MXG_RULE_FANOUT].period, 7200, "2h is 7200 s");
		is_int(c->rules[MXG_RULE_NON_RELAY].period, 3 * 86400,
			"3d is 259200 s");
		is_int(c->rules[MXG_RULE_STAGING_WINDOW].period, 45,
			"45s is 45 s");
		is_int(c->max_memory, 2048LL * 1024 * 1024,
			"2G is 2 GiB (suffix case-insensitive)");
		is_int(c->mx_cache_size, 512 * 1024, "512K is 512 KiB");
		is_int(c->redis_connect_timeout_ms, 2000, "2s is 2000 ms");
		is_int(c->redis_timeout_ms, 250, "bare 250 is 250 ms");
		is_int(c->redis_ttl, 86400, "redis-ttl 1d");
	}
	mxg_conf_free(c);
	c = parse("redis-timeout: 750ms\nmax-memory: 100mb\n"
		"mx-cache-size: 65536\n", &r);
	ok(r, "ms suffix, mb suffix and bare bytes parse");
	if(c) {
		is_int(c->redis_timeout_ms, 750, "750ms is 750 ms");
		is_int(c->max_memory, 100LL * 1024 * 1024, "100mb is 100 MiB");
		is_int(c->mx_cache_size, 65536, "bare size is bytes");
	}
	mxg_conf_free(c);
	ok(fails_with("block-duration: 10 m\n",
		"t.conf:1: block-duration: 10 m: bad unit ' m' (use s, m, h "
		"or d)"), "a blank before the unit is an error");
	ok(fails_with("volume-period: m\n",
		"t.conf:1: volume-period: m: not a number"),
		"a unit without a number is not a number");
	ok(fails_with("redis-ttl: 99999999999999999d\n",
		"t.conf:1: redis-ttl: 99999999999999999d: number too large"),
		"overflow through the unit multiplier is caught");
	ok(fails_with("redis-queue: 12k\n",
		"t.conf:1: redis-queue: 12k: not a number"),
		"plain numbers take no unit");
}

/** One range edge: "name: value" parses (want 1) or not. */
static void
edge(const char* line, int want)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s\n", line);
	is_int(parses(buf), want, "'%s' %s", line, want ? "is accepted" :
		"is out of range");
}

/** The first and last valid value of each range, and one past. */
static void
test_edges(void)
{
	edge("client-prefix-v4: 0", 1);
	edge("client-prefix-v4: 32", 1);
	edge("client-prefix-v4: 33", 0);
	edge("client-prefix-v6: 0", 1);
	edge("client-prefix-v6: 128", 1);
	edge("client-prefix-v6: 129", 0);
	edge("staging-shape-limit: 100", 1);
	edge("staging-shape-limit: 101", 0);
	edge("redis-queue: 16", 1);
	edge("redis-queue: 15", 0);
	edge("redis-queue: 1048576", 1);
	edge("redis-queue: 1048577", 0);
	edge("redis-db: 65535", 1);
	edge("redis-db: 65536", 0);
	edge("max-memory: 1m", 1);
	edge("max-memory: 1048575", 0);
	edge("max-memory: 256g", 1);
	edge("max-memory: 257g", 0);
	edge("mx-cache-size: 64k", 1);
	edge("mx-cache-size: 63k", 0);
	edge("redis-connect-timeout: 1", 1);
	edge("redis-connect-timeout: 0ms", 0);
	edge("redis-connect-timeout: 1m", 1);
	edge("redis-connect-timeout: 60001ms", 0);
	edge("block-duration: 0", 1);
	edge("block-duration: 30d", 1);
	edge("block-duration: 2592001", 0);
	edge("volume-period: 1s", 1);
	edge("volume-period: 0", 0);
	edge("volume-period: 7d", 1);
	edge("volume-period: 604801", 0);
	edge("volume-limit: 0", 1);
	edge("volume-limit: 1000000", 1);
	edge("volume-limit: 1000001", 0);
	edge("redis-ttl: 60", 1);
	edge("redis-ttl: 59", 0);
	edge("redis-stream-maxlen: 100", 1);
	edge("redis-stream-maxlen: 99", 0);
	edge("log-rate: 0", 1);
	edge("log-rate: 1000001", 0);
	ok(fails_with("client-prefix-v4: 33\n",
		"t.conf:1: client-prefix-v4: 33: out of range (0..32)"),
		"the range is named in the message");
	ok(fails_with("max-memory: 512k\n",
		"t.conf:1: max-memory: 512k: out of range (1m..256g)"),
		"a size range is written with units");
	ok(fails_with("fanout-period: 8d\n",
		"t.conf:1: fanout-period: 8d: out of range (1s..7d)"),
		"a duration range is written with units");
}

/** Comments, quotes, header, case, CRLF and the syntax errors. */
static void
test_syntax(void)
{
	int r;
	struct mxg_conf* c;
	c = parse("mxguard:\n  mode: tag   # comment after a value\n"
		"\t# indented comment\n\nredis-password: \"a#b c\"  # c\n"
		"log-file: \"/var/log/mx log.json\"\n"
		"redis-prefix: app:mx:\n", &r);
	ok(r, "header, comments, blanks and quotes parse: %s", flat(err));
	if(c) {
		is_int(c->mode, MXG_ACT_TAG, "value before a comment is taken");
		is_str(c->redis_password, "a#b c",
			"a quoted value keeps '#' and blanks");
		is_str(c->log_file, "/var/log/mx log.json",
			"quoted path with a blank");
		is_str(c->redis_prefix, "app:mx:",
			"only the first colon separates name and value");
	}
	mxg_conf_free(c);
	c = parse("Mode: REFUSE\r\nDRY-RUN: Yes\r\n", &r);
	ok(r, "names and keywords are case-insensitive, CRLF is fine");
	if(c) {
		is_int(c->mode, MXG_ACT_REFUSE, "REFUSE read as refuse");
		is_int(c->dry_run, 1, "Yes read as yes");
	}
	mxg_conf_free(c);
	c = parse("mode: tag\nmode: refuse\n", &r);
	ok(r && c && c->mode == MXG_ACT_REFUSE,
		"a repeated single-value option: the last one wins");
	mxg_conf_free(c);
	c = parse("log-file: /tmp/x.json\nlog-file: \"\"\n"
		"instance: a\ninstance: \"\"\n", &r);
	ok(r && c && c->log_file == NULL,
		"an empty quoted value resets a path to its default");
	ok(c && c->instance && strcmp(c->instance, "a") != 0 &&
		c->instance[0], "instance: \"\" goes back to the host name");
	mxg_conf_free(c);
	ok(fails_with("mode refuse\n",
		"t.conf:1: mode refuse: expected 'name: value'"),
		"a line without a colon");
	ok(fails_with("volume-limit:   # nothing\n",
		"t.conf:1: volume-limit: missing value"),
		"an empty value of a number");
	ok(fails_with(": 5\n", "t.conf:1: : 5: missing option name"),
		"a line without a name");
	ok(fails_with("log-file: \"abc\n",
		"t.conf:1: log-file: \"abc: missing closing quote"),
		"a missing closing quote");
	ok(fails_with("redis-password: \"abc\n",
		"t.conf:1: redis-password: (hidden): missing closing quote"),
		"a bad password is not shown");
	ok(fails_with("redis-password: \"abc\" x\n",
		"t.conf:1: redis-password: (hidden): text after the closing "
		"quote"), "text after a quoted password: not shown");
	ok(fails_with("redis-pasword: hunter2\n", "t.conf:1: redis-pasword: "
		"(hidden): unknown option (did you mean 'redis-password'?)"),
		"a misspelt password option does not show the password");
	ok(fails_with("redis-passwd: hunter2\n", "t.conf:1: redis-passwd: "
		"(hidden): unknown option (did you mean 'redis-password'?)"),
		"another misspelling");
	ok(fails_with("log-file: \"/x\" y\n",
		"t.conf:1: log-file: /x: text after the closing quote"),
		"text after a closing quote");
	ok(fails_with("dry-run: true\n",
		"t.conf:1: dry-run: true: expected yes or no"),
		"booleans are yes or no");
	ok(fails_with("mode: mode\n",
		"t.conf:1: mode: mode: expected log, tag or refuse"),
		"mode cannot be 'mode'");
	ok(parses("fanout-action: mode\n"), "a rule action can be 'mode'");
	ok(fails_with("fanout-action: block\n",
		"t.conf:1: fanout-action: block: expected log, tag, refuse or "
		"mode"), "a bad rule action");
	ok(fails_with("instance: \"a b\"\n",
		"t.conf:1: instance: a b: blanks or control characters not "
		"allowed"), "instance without blanks");
	ok(fails_with("redis-prefix: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"\n", "t.conf:1: redis-prefix: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		": too long (max 64)"), "redis-prefix of 65 characters");
	ok(fails_with("volume-limit: -3\n",
		"t.conf:1: volume-limit: -3: must not be negative"),
		"a negative number");
	ok(fails_with("volume-limit: 1.5\n",
		"t.conf:1: volume-limit: 1.5: not a number"),
		"a fraction is not a number");
	ok(fails_with("redis-db: 99999999999999999999\n",
		"t.conf:1: redis-db: 99999999999999999999: number too large"),
		"a number beyond 64 bits");
}

/** All errors are collected; the buffer is never overrun. */
static void
test_errors(void)
{
	int r;
	char small[64];
	struct mxg_conf* c;
	c = parse("mode: refuse\nvolume-limit: x\nrelay: 10.0.0.0/33\n"
		"bogus: 1\nclient-prefix-v6: 200\n", &r);
	ok(!r, "a config with four errors fails");
	is_int(count_lines(err), 4, "all four errors are reported");
	ok(strstr(err, "t.conf:2: volume-limit: x: not a number\n") != NULL,
		"error 1 with file and line");
	ok(strstr(err, "t.conf:3: relay: 10.0.0.0/33: bad prefix length 33 "
		"(0-32)\n") != NULL, "error 2 (a bad prefix length)");
	ok(strstr(err, "t.conf:4: bogus: 1: unknown option\n") != NULL,
		"error 3");
	ok(strstr(err, "t.conf:5: client-prefix-v6: 200: out of range "
		"(0..128)\n") != NULL, "error 4");
	mxg_conf_free(c);

	c = mxg_conf_new();
	r = mxg_conf_read_string(c, "t.conf", "a: 1\nb: 2\nc: 3\nd: 4\n",
		small, sizeof(small));
	ok(!r, "errors with a small buffer still fail");
	ok(strlen(small) < sizeof(small), "a small buffer is not overrun");
	ok(strlen(small) >= 4 && strcmp(small + strlen(small) - 4, "...\n")
		== 0, "a truncated message ends with '...': %s", flat(small));
	mxg_conf_free(c);

	ok(fails_with("redis-server: 127.0.0.1\nredis-user: bob\n",
		"t.conf:2: redis-user: bob: needs redis-password"),
		"redis-user without a password");
	ok(parses("redis-server: 127.0.0.1\nredis-user: bob\n"
		"redis-password: pw\n"), "redis-user with a password");
	ok(fails_with("fleet: yes\n",
		"t.conf:1: fleet: yes: needs redis-server"),
		"fleet without Redis");
}

/** Unknown options get a did-you-mean hint when one is close. */
static void
test_hint(void)
{
	ok(fails_with("volume-limt: 30\n", "t.conf:1: volume-limt: 30: "
		"unknown option (did you mean 'volume-limit'?)"),
		"did you mean volume-limit");
	ok(fails_with("redis-pasword: x\n", "t.conf:1: redis-pasword: "
		"(hidden): unknown option (did you mean 'redis-password'?)"),
		"did you mean redis-password");
	ok(fails_with("dryrun: yes\n", "t.conf:1: dryrun: yes: "
		"unknown option (did you mean 'dry-run'?)"),
		"did you mean dry-run");
	ok(fails_with("stagin-shape-limt: 50\n", "t.conf:1: "
		"stagin-shape-limt: 50: unknown option (did you mean "
		"'staging-shape-limit'?)"), "two typos in a long name");
	ok(fails_with("xyzzy: 1\n", "t.conf:1: xyzzy: 1: unknown option"),
		"no hint when nothing is close");
	ok(fails_with("server: \n", "t.conf:1: server: : unknown option"),
		"an unbound.conf section header is not ours");
}

/** relay: fills the allowlist; its errors. */
static void
test_relays(void)
{
	int r;
	struct mxg_conf* c = parse("relay: 192.0.2.0/24\nrelay: 10.0.0.0/8\n"
		"relay: 10.1.0.0/16\nrelay: 2001:db8::/32\n"
		"relay: 198.51.100.7\nrelay: 2001:db8:ffff::1\n", &r);
	ok(r, "relays parse: %s", flat(err));
	if(c) {
		is_int(mxg_allowlist_count(c->relays), 6, "six netblocks");
		is_int(match(c->relays, "192.0.2.77"), 1, "in 192.0.2.0/24");
		is_int(match(c->relays, "192.0.3.1"), 0, "outside /24");
		is_int(match(c->relays, "10.1.2.3"), 1,
			"overlapping /8 and /16");
		is_int(match(c->relays, "198.51.100.7"), 1, "bare v4 is a host");
		is_int(match(c->relays, "198.51.100.8"), 0,
			"bare v4 is only that host");
		is_int(match(c->relays, "2001:db8:1::5"), 1, "in the v6 /32");
		is_int(match(c->relays, "::ffff:10.9.9.9"), 1,
			"IPv4-mapped matches an IPv4 entry");
		is_int(c->relay_text_count, 6, "relay texts kept for printing");
	}
	mxg_conf_free(c);
	ok(fails_with("relay: 10.1.2.0/16\n", "t.conf:1: relay: 10.1.2.0/16:"
		" host bits set (did you mean 10.1.0.0/16?)"),
		"host bits set, with the fix");
	ok(fails_with("relay: 10.0.0.0/\n", "t.conf:1: relay: 10.0.0.0/: "
		"missing prefix length (0-32)"), "a slash without a length");
	ok(fails_with("relay: 10.0.0.0/x\n", "t.conf:1: relay: 10.0.0.0/x: "
		"bad prefix length x (0-32)"), "a prefix that is no number");
	ok(fails_with("relay: 2001:db8::/130\n", "t.conf:1: relay: "
		"2001:db8::/130: bad prefix length 130 (0-128)"),
		"an IPv6 prefix beyond 128");
	ok(fails_with("relay: 10.0.0\n", "t.conf:1: relay: 10.0.0: "
		"not an IPv4 address"), "an incomplete IPv4 address");
	ok(fails_with("relay: 2001:db8::g/32\n", "t.conf:1: relay: "
		"2001:db8::g/32: not an IPv6 address"), "a bad IPv6 address");
}

/** deny-country: lists, case, duplicates, errors, the limit. */
static void
test_countries(void)
{
	int r, i;
	char buf[2048];
	size_t n = 0;
	struct mxg_conf* c = parse("deny-country: ru cn\n"
		"deny-country: KP, Ru\n", &r);
	ok(r, "country lists parse: %s", flat(err));
	if(c) {
		is_int(c->deny_country_count, 3, "a duplicate counts once");
		is_str(c->deny_country[0], "RU", "codes are uppercased");
		is_str(c->deny_country[1], "CN", "second code");
		is_str(c->deny_country[2], "KP", "third code, comma separated");
	}
	mxg_conf_free(c);
	c = parse("deny-country: RU\ndeny-country: \"\"\n", &r);
	ok(r && c && c->deny_country_count == 0,
		"deny-country: \"\" clears the list");
	mxg_conf_free(c);
	ok(fails_with("deny-country: RU X1 CN\n", "t.conf:1: deny-country: "
		"X1: not a two-letter country code"), "a code with a digit");
	ok(fails_with("deny-country: RUS\n", "t.conf:1: deny-country: "
		"RUS: not a two-letter country code"), "a three-letter code");
	n += (size_t)snprintf(buf, sizeof(buf), "deny-country:");
	for(i = 0; i < MXG_MAX_DENY_COUNTRY + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %c%c",
			'A' + i / 26, 'A' + i % 26);
	snprintf(buf + n, sizeof(buf) - n, "\n");
	ok(fails_with(buf, "t.conf:1: deny-country: CM: too many countries "
		"(max 64)"), "more than 64 countries");
}

/** redis-server: forms accepted, normalised and refused. */
static void
test_redis_server(void)
{
	int r;
	struct mxg_conf* c = parse("redis-server: localhost\n", &r);
	ok(r && c && c->redis_server &&
		strcmp(c->redis_server, "localhost:6379") == 0,
		"a host without port gets :6379");
	mxg_conf_free(c);
	c = parse("redis-server: [2001:db8::1]:6380\n", &r);
	ok(r && c && strcmp(c->redis_server, "[2001:db8::1]:6380") == 0,
		"a bracketed IPv6 address with a port");
	mxg_conf_free(c);
	c = parse("redis-server: [::1]\n", &r);
	ok(r && c && strcmp(c->redis_server, "[::1]:6379") == 0,
		"a bracketed IPv6 address without a port");
	mxg_conf_free(c);
	c = parse("redis-server: unix:/run/redis/redis.sock\n", &r);
	ok(r && c && strcmp(c->redis_server, "unix:/run/redis/redis.sock")
		== 0, "a Unix socket");
	mxg_conf_free(c);
	ok(fails_with("redis-server: ::1:6379\n", "t.conf:1: redis-server: "
		"::1:6379: IPv6 address needs brackets ([::1]:6379)"),
		"IPv6 without brackets");
	ok(fails_with("redis-server: localhost:0\n", "t.conf:1: "
		"redis-server: localhost:0: bad port (1-65535)"), "port 0");
	ok(fails_with("redis-server: localhost:65536\n", "t.conf:1: "
		"redis-server: localhost:65536: bad port (1-65535)"),
		"port 65536");
	ok(parses("redis-server: localhost:65535\n"), "port 65535");
	ok(fails_with("redis-server: localhost:\n", "t.conf:1: "
		"redis-server: localhost:: missing port"), "an empty port");
	ok(fails_with("redis-server: :6379\n", "t.conf:1: redis-server: "
		":6379: missing host"), "an empty host");
	ok(fails_with("redis-server: red!s:6379\n", "t.conf:1: "
		"redis-server: red!s:6379: bad character in host name"),
		"a bad host name");
	ok(fails_with("redis-server: [::1:6379\n", "t.conf:1: redis-server: "
		"[::1:6379: missing ']' after IPv6 address"),
		"an unclosed bracket");
	ok(fails_with("redis-server: [zz]:6379\n", "t.conf:1: redis-server: "
		"[zz]:6379: bad IPv6 address"), "a bad bracketed address");
	ok(fails_with("redis-server: unix:redis.sock\n", "t.conf:1: "
		"redis-server: unix:redis.sock: unix socket path must be "
		"absolute (unix:/path)"), "a relative Unix socket");
}

int
main(void)
{
	test_defaults();
	test_rule_action();
	test_units();
	test_edges();
	test_syntax();
	test_errors();
	test_hint();
	test_relays();
	test_countries();
	test_redis_server();
	return done_testing();
}

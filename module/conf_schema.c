/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/conf_schema.c - the options of mxguard.conf: table, text, schema.
 */
/** \file
 * The one table of mxguard.conf's options (mxg_conf_opts[]): each row gives
 * the type, the field it sets, the range, the default (as text, parsed by
 * module/conf.c like the file) and a line of help. From it: values and
 * ranges as text, actions and Redis addresses checked, the row of a name
 * and the did-you-mean for a misspelt one, mxg_conf_print and
 * mxg_conf_print_schema (which checks the docs).
 * Only libc, no file access: the fuzz build (tests/fuzz/run.sh) takes it
 * as it is.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "mxguard/allowlist.h"
#include "mxguard/conf.h"
#include "mxguard/mxguard.h"
#include "conf_int.h"

/* The options of a rule are named after it (rule-enable, rule-action,
 * rule-limit, rule-period) and set the fields of its struct mxg_rule_conf.
 * Every rule has the first two: on by default, the action of its own. */
/** Rows of rule-enable and rule-action; sec: the section banner or NULL. */
#define RULE_ON(n, r, help, act, sec) \
	{ n "-enable", T_BOOL, ROFF(r, enabled), 0, 1, "yes", help, sec }, \
	{ n "-action", T_ACTION, ROFF(r, action), 0, 0, act, \
	  "action of the " n " rule", NULL }
/** Row of rule-limit (0..max). */
#define RULE_LIMIT(n, r, max, def, help) { n "-limit", T_U32, \
	ROFF(r, limit), 0, max, def, help, NULL }
/** Row of rule-period (1s..max). */
#define RULE_PERIOD(n, r, max, def, help) { n "-period", T_DUR, \
	ROFF(r, period), 1, max, def, help, NULL }

/** The schema: every option, in the order printed and documented. */
const struct opt mxg_conf_opts[] = {
	{ "mode", T_MODE, OFF(mode), 0, 0, "log",
	  "what rules do by default: log, tag or refuse", "MODE" },
	{ "dry-run", T_BOOL, OFF(dry_run), 0, 1, "no",
	  "log what refuse would have done, leave the answer alone", NULL },
	{ "block-duration", T_DUR, OFF(block_duration), 0, 30 * DAY, "10m",
	  "how long a refusing verdict keeps client+base domain blocked",
	  NULL },
	{ "state-file", T_PATH, OFF(state_file), 0, 0, NULL,
	  "keeps the blocks across reloads and restarts without Redis",
	  NULL },
	{ "ede-text", T_EDETEXT, OFF(ede_full), 0, 1, "rule",
	  "EDE text of refuse and tag: the rule name, or full details",
	  NULL },

	{ "relay", T_RELAY, 0, 0, 0, NULL,
	  "CIDR of a mail relay (repeatable); relays are never blocked",
	  "CLIENTS" },
	{ "relay-file", T_RELAYFILE, 0, 0, 0, NULL,
	  "file of relay CIDRs, one a line, # comments (repeatable)", NULL },
	{ "client-prefix-v4", T_INT, OFF(client_prefix_v4), 0, 32, "32",
	  "bits of an IPv4 client address counted as one client", NULL },
	{ "client-prefix-v6", T_INT, OFF(client_prefix_v6), 0, 128, "64",
	  "bits of an IPv6 client address counted as one client", NULL },

	RULE_ON("non-relay", MXG_RULE_NON_RELAY,
	  "report MX lookups by clients that are not relays", "log", "RULES"),
	RULE_LIMIT("non-relay", MXG_RULE_NON_RELAY, 1000000, "0",
	  "fires when a non-relay made more than this many lookups of a base "
	  "domain in the period"),
	RULE_PERIOD("non-relay", MXG_RULE_NON_RELAY, 30 * DAY, "1h",
	  "reported once per client and base domain per period"),
	RULE_ON("volume", MXG_RULE_VOLUME, "count MX lookups per client",
	  "mode", NULL),
	RULE_LIMIT("volume", MXG_RULE_VOLUME, 1000000, "30",
	  "fires above this many MX lookups per client in the period"),
	RULE_PERIOD("volume", MXG_RULE_VOLUME, 7 * DAY, "1m",
	  "window of the volume rule"),
	RULE_ON("fanout", MXG_RULE_FANOUT,
	  "count distinct base domains per client (spam bots)", "mode", NULL),
	RULE_LIMIT("fanout", MXG_RULE_FANOUT, 1000000, "20",
	  "fires above this many distinct base domains in the period"),
	RULE_PERIOD("fanout", MXG_RULE_FANOUT, 7 * DAY, "10m",
	  "window of the fanout rule"),
	RULE_ON("staging-window", MXG_RULE_STAGING_WINDOW,
	  "count numeric-prefixed lookups per client and base domain", "mode",
	  NULL),
	RULE_LIMIT("staging-window", MXG_RULE_STAGING_WINDOW, 1000000, "10",
	  "fires above this many MX lookups of one base domain ..."),
	{ "staging-window-prefixes", T_U32,
	  ROFF(MXG_RULE_STAGING_WINDOW, limit2), 0, 1000000, "3",
	  "... and above this many distinct numeric prefixes", NULL },
	RULE_PERIOD("staging-window", MXG_RULE_STAGING_WINDOW, 7 * DAY, "1h",
	  "window of the staging-window rule"),
	RULE_ON("staging-shape", MXG_RULE_STAGING_SHAPE,
	  "score each MX answer for the shape of staged data", "mode", NULL),
	RULE_LIMIT("staging-shape", MXG_RULE_STAGING_SHAPE, 100, "60",
	  "fires when the shape score (0..100) is at least this"),
	RULE_ON("staging-drip", MXG_RULE_STAGING_DRIP,
	  "count encoded bytes in MX exchanges per client and base domain",
	  "mode", NULL),
	RULE_LIMIT("staging-drip", MXG_RULE_STAGING_DRIP, 65535, "64",
	  "fires above this many encoded bytes of one base domain in "
	  "staging-window-period"),
	RULE_ON("country", MXG_RULE_COUNTRY,
	  "check MX hosts against deny-country", "mode", NULL),
	{ "deny-country", T_COUNTRY, 0, 0, 0, NULL,
	  "ISO 3166 codes whose MX hosts the country rule reports "
	  "(repeatable, several a line)", NULL },

	{ "max-memory", T_SIZE, OFF(max_memory), MB, 256 * 1024 * MB, "64m",
	  "memory for all counters together", "MEMORY" },
	{ "mx-cache-size", T_SIZE, OFF(mx_cache_size), 64 * 1024,
	  64 * 1024 * MB, "16m",
	  "private MX answer cache used when a rule can refuse", NULL },

	{ "geoip-country", T_PATH, OFF(geoip_country), 0, 0, NULL,
	  "MaxMind-format country database", "GEOIP AND CATEGORIES" },
	{ "geoip-asn", T_PATH, OFF(geoip_asn), 0, 0, NULL,
	  "MaxMind-format ASN database", NULL },
	{ "category-file", T_PATH, OFF(category_file), 0, 0, NULL,
	  "domain suffix to category list; default: the built-in list",
	  NULL },

	{ "redis-server", T_REDIS, OFF(redis_server), 0, 0, NULL,
	  "host:port, [v6]:port or unix:/path; empty: Redis off", "REDIS" },
	{ "redis-user", T_STR, OFF(redis_user), 0, 256, NULL,
	  "ACL user name for AUTH", NULL },
	{ "redis-password", T_STR, OFF(redis_password), 0, 1024, NULL,
	  "password for AUTH; never logged or printed", NULL },
	{ "redis-db", T_INT, OFF(redis_db), 0, 65535, "0",
	  "database number (SELECT)", NULL },
	{ "redis-prefix", T_NAME, OFF(redis_prefix), 0, 64, "mxg:",
	  "prefix of every key", NULL },
	{ "redis-connect-timeout", T_MS, OFF(redis_connect_timeout_ms), 1,
	  60000, "500ms", "connect timeout", NULL },
	{ "redis-timeout", T_MS, OFF(redis_timeout_ms), 1, 60000, "1000ms",
	  "command timeout", NULL },
	{ "redis-queue", T_U32, OFF(redis_queue), 16, 1048576, "16384",
	  "events queued for Redis before new ones are dropped", NULL },
	{ "redis-stream-maxlen", T_U32, OFF(redis_stream_maxlen), 100,
	  100000000, "10000", "approximate length of the alert stream",
	  NULL },
	{ "redis-ttl", T_DUR, OFF(redis_ttl), 60, 365 * DAY, "8d",
	  "time to live of counter keys", NULL },
	{ "fleet", T_BOOL, OFF(fleet), 0, 1, "no",
	  "read fleet-wide counts back from Redis", NULL },
	{ "fleet-instances", T_U32, OFF(fleet_instances), 1, 4096, "8",
	  "most resolvers sharing the Redis (caps fleet counts)", NULL },
	{ "instance", T_NAME, OFF(instance), 1, 64, NULL,
	  "name of this resolver; default: the host name", NULL },

	{ "log-file", T_PATH, OFF(log_file), 0, 0, NULL,
	  "JSON lines file; default: Unbound's log", "LOGGING" },
	{ "log-rate", T_U32, OFF(log_rate), 0, 1000000, "100",
	  "log lines per second at most; 0: unlimited", NULL },
	{ "log-lookups", T_BOOL, OFF(log_lookups), 0, 1, "no",
	  "also log MX lookups no rule fired on", NULL },

	{ "include", T_INCLUDE, 0, 0, 0, NULL,
	  "read another file here (repeatable, glob patterns allowed)",
	  "FILES" },
};

/** Number of rows in mxg_conf_opts[]. */
const size_t mxg_conf_nopts = sizeof(mxg_conf_opts) / sizeof(mxg_conf_opts[0]);

/** Format a duration in seconds with the largest exact unit. */
static void
fmt_dur(char* buf, size_t len, uint64_t s)
{
	if(s != 0 && s % DAY == 0)
		snprintf(buf, len, "%llud", (unsigned long long)(s / DAY));
	else if(s != 0 && s % 3600 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(s / 3600));
	else if(s != 0 && s % 60 == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%llus", (unsigned long long)s);
}

/** Format a size in bytes with the largest exact unit. */
static void
fmt_size(char* buf, size_t len, uint64_t b)
{
	if(b != 0 && b % (1024 * MB) == 0)
		snprintf(buf, len, "%llug", (unsigned long long)(b / (1024 * MB)));
	else if(b != 0 && b % MB == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(b / MB));
	else if(b != 0 && b % 1024 == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(b / 1024));
	else
		snprintf(buf, len, "%llu", (unsigned long long)b);
}

/** Format a value of a numeric type in its unit. */
static void
fmt_num(char* buf, size_t len, enum opt_type t, uint64_t v)
{
	if(t == T_DUR)
		fmt_dur(buf, len, v);
	else if(t == T_SIZE)
		fmt_size(buf, len, v);
	else if(t == T_MS)
		snprintf(buf, len, "%llums", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/** Read a number of a numeric type from its field. */
static uint64_t
load_num(const struct mxg_conf* cfg, const struct opt* o)
{
	const char* f = (const char*)cfg + o->off;
	switch(o->type) {
	case T_BOOL:
	case T_EDETEXT:
	case T_INT:
		return (uint64_t)*(const int*)f;
	case T_SIZE:
		return (uint64_t)*(const size_t*)f;
	default:
		return (uint64_t)*(const uint32_t*)f;
	}
}

/** A unit suffix and its factor. */
struct unit {
	/** suffix, lowercase */
	const char* name;
	/** multiplier */
	uint64_t mult;
};

/** Units of T_DUR. */
static const struct unit dur_units[] = {
	{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", DAY },
	{ NULL, 0 } };
/** Units of T_MS. */
static const struct unit ms_units[] = {
	{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { NULL, 0 } };
/** Units of T_SIZE. */
static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", MB },
	{ "mb", MB }, { "g", 1024 * MB }, { "gb", 1024 * MB }, { NULL, 0 } };

/** The units of each numeric type (none: a plain number) and their names
 * in an error. */
static const struct {
	/** suffixes, NULL for a plain number */
	const struct unit* units;
	/** the suffixes as an error names them */
	const char* names;
} num_units[] = {
	[T_INT] = { NULL, NULL },
	[T_U32] = { NULL, NULL },
	[T_SIZE] = { size_units, "k, m or g" },
	[T_DUR] = { dur_units, "s, m, h or d" },
	[T_MS] = { ms_units, "ms, s or m" },
};

/**
 * Parse a number with an optional unit suffix.
 * @param units: table of suffixes, or NULL for a plain number.
 * @return NULL and the value in out, or the reason it is not valid.
 */
static const char*
parse_number(const char* s, const struct unit* units, const char* unames,
	uint64_t* out, char* rbuf, size_t rlen)
{
	uint64_t v = 0;
	const char* p = s;
	int i;
	if(*p == '-' && isdigit((unsigned char)p[1]))
		return "must not be negative";
	if(!isdigit((unsigned char)*p))
		return "not a number";
	while(isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if(v > (UINT64_MAX - d) / 10)
			return "number too large";
		v = v * 10 + d;
		p++;
	}
	if(!units) {
		if(*p)
			return "not a number";
		*out = v;
		return NULL;
	}
	for(i = 0; units[i].name; i++) {
		if(strcasecmp(p, units[i].name) == 0) {
			if(v != 0 && units[i].mult > UINT64_MAX / v)
				return "number too large";
			*out = v * units[i].mult;
			return NULL;
		}
	}
	snprintf(rbuf, rlen, "bad unit '%s' (use %s)", p, unames);
	return rbuf;
}

/** The value of a numeric option (T_INT, T_U32, T_SIZE, T_DUR, T_MS) in its
 * unit and range. @return NULL and the value in out, or the reason. */
const char*
conf_parse_num(const struct opt* o, const char* s, uint64_t* out,
	char* rbuf, size_t rlen)
{
	char range[80];
	const char* reason = parse_number(s, num_units[o->type].units,
		num_units[o->type].names, out, rbuf, rlen);
	if(!reason && (*out < o->min || *out > o->max)) {
		conf_fmt_range(range, sizeof(range), o);
		snprintf(rbuf, rlen, "out of range (%s)", range);
		reason = rbuf;
	}
	return reason;
}

/** Store a number of a numeric type in its field. */
void
conf_store_num(struct mxg_conf* cfg, const struct opt* o, uint64_t v)
{
	char* f = (char*)cfg + o->off;
	switch(o->type) {
	case T_BOOL:
	case T_EDETEXT:
	case T_INT:
		*(int*)f = (int)v;
		break;
	case T_SIZE:
		*(size_t*)f = (size_t)v;
		break;
	default:
		*(uint32_t*)f = (uint32_t)v;
		break;
	}
}

/** Edit distance of two short strings (case-insensitive). */
static int
edit_distance(const char* a, const char* b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;
	int d[64 + 1], prev, tmp;
	if(la > 64 || lb > 64)
		return 1000;
	for(j = 0; j <= lb; j++)
		d[j] = j;
	for(i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for(j = 1; j <= lb; j++) {
			int c = tolower((unsigned char)a[i - 1]) !=
				tolower((unsigned char)b[j - 1]);
			int best = prev + c;
			if(d[j] + 1 < best)
				best = d[j] + 1;
			if(d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			tmp = d[j];
			d[j] = best;
			prev = tmp;
		}
	}
	return d[lb];
}

/** The option nearest to an unknown name, or NULL if none is close. */
const char*
conf_suggest(const char* name)
{
	const char* best = NULL;
	int bestd = 1000, limit;
	size_t i;
	for(i = 0; i < mxg_conf_nopts; i++) {
		int d = edit_distance(name, mxg_conf_opts[i].name);
		if(d < bestd) {
			bestd = d;
			best = mxg_conf_opts[i].name;
		}
	}
	/* close enough: a few typos, not a different word */
	limit = (int)strlen(name) / 3;
	if(limit < 2)
		limit = 2;
	if(limit > 4)
		limit = 4;
	return bestd <= limit ? best : NULL;
}

/** The schema row of an option, NULL if unknown. */
const struct opt*
conf_find_opt(const char* name)
{
	size_t i;
	for(i = 0; i < mxg_conf_nopts; i++)
		if(strcasecmp(name, mxg_conf_opts[i].name) == 0)
			return &mxg_conf_opts[i];
	return NULL;
}

/** Parse an action name. @return 1 if valid */
int
conf_parse_action(const char* v, int allow_mode, enum mxg_action* a)
{
	if(strcasecmp(v, "log") == 0)
		*a = MXG_ACT_LOG;
	else if(strcasecmp(v, "tag") == 0)
		*a = MXG_ACT_TAG;
	else if(strcasecmp(v, "refuse") == 0)
		*a = MXG_ACT_REFUSE;
	else if(allow_mode && strcasecmp(v, "mode") == 0)
		*a = MXG_ACT_MODE;
	else
		return 0;
	return 1;
}

/**
 * Check a redis-server value; the normalised form ("host" gets ":6379")
 * goes to norm. @return NULL or the reason it is not valid.
 */
const char*
conf_check_redis(const char* v, char* norm, size_t nlen)
{
	const char* colon;
	const char* port = NULL;
	char host[256];
	size_t hl, i;
	uint8_t a[16];
	if(strncasecmp(v, "unix:", 5) == 0) {
		if(v[5] != '/')
			return "unix socket path must be absolute (unix:/path)";
		if(strlen(v) - 5 >= 108)
			return "unix socket path too long";
		snprintf(norm, nlen, "%s", v);
		return NULL;
	}
	if(v[0] == '[') {
		const char* e = strchr(v, ']');
		if(!e)
			return "missing ']' after IPv6 address";
		hl = (size_t)(e - v - 1);
		if(hl == 0 || hl >= sizeof(host))
			return "bad IPv6 address";
		memcpy(host, v + 1, hl);
		host[hl] = 0;
		if(inet_pton(AF_INET6, host, a) != 1)
			return "bad IPv6 address";
		if(e[1] == ':')
			port = e + 2;
		else if(e[1])
			return "expected ':port' after ']'";
	} else {
		colon = strchr(v, ':');
		if(colon && strchr(colon + 1, ':'))
			return "IPv6 address needs brackets ([::1]:6379)";
		hl = colon ? (size_t)(colon - v) : strlen(v);
		if(hl == 0)
			return "missing host";
		if(hl >= sizeof(host))
			return "host name too long";
		memcpy(host, v, hl);
		host[hl] = 0;
		for(i = 0; i < hl; i++)
			if(!isalnum((unsigned char)host[i]) && host[i] != '-' &&
				host[i] != '.' && host[i] != '_')
				return "bad character in host name";
		/* "unix" would be printed as "unix:6379", a socket path */
		if(strcasecmp(host, "unix") == 0)
			return "host 'unix' is ambiguous (a socket is "
				"unix:/path)";
		if(colon)
			port = colon + 1;
	}
	if(port) {
		unsigned long p = 0;
		const char* q;
		if(!*port)
			return "missing port";
		for(q = port; *q; q++) {
			if(!isdigit((unsigned char)*q) || p > 65535)
				return "bad port (1-65535)";
			p = p * 10 + (unsigned long)(*q - '0');
		}
		if(p < 1 || p > 65535)
			return "bad port (1-65535)";
		snprintf(norm, nlen, "%s", v);
	} else {
		snprintf(norm, nlen, "%s:6379", v);
	}
	return NULL;
}

/** Range of an option as text, e.g. "0..32" or "1m..256g". */
void
conf_fmt_range(char* buf, size_t len, const struct opt* o)
{
	char a[32], b[32];
	fmt_num(a, sizeof(a), o->type, o->min);
	fmt_num(b, sizeof(b), o->type, o->max);
	snprintf(buf, len, "%s..%s", a, b);
}

/** Print a string value, quoted when it would not read back otherwise.
 * Quotes have no escape: a value holding '"' was read unquoted (so it has
 * no '#' and no blanks at its ends) and reads back only unquoted. */
static void
print_str(FILE* out, const char* name, const char* v)
{
	if(!v || !*v || (strpbrk(v, " \t#") && !strchr(v, '"')))
		fprintf(out, "%s: \"%s\"\n", name, v ? v : "");
	else
		fprintf(out, "%s: %s\n", name, v);
}

/** Print one option. */
static void
print_opt(const struct mxg_conf* cfg, FILE* out, const struct opt* o)
{
	char buf[64];
	size_t i;
	int k;
	switch(o->type) {
	case T_BOOL:
		fprintf(out, "%s: %s\n", o->name,
			load_num(cfg, o) ? "yes" : "no");
		break;
	case T_EDETEXT:
		fprintf(out, "%s: %s\n", o->name,
			load_num(cfg, o) ? "full" : "rule");
		break;
	case T_INT:
	case T_U32:
	case T_SIZE:
	case T_DUR:
	case T_MS:
		fmt_num(buf, sizeof(buf), o->type, load_num(cfg, o));
		fprintf(out, "%s: %s\n", o->name, buf);
		break;
	case T_MODE:
	case T_ACTION:
		fprintf(out, "%s: %s\n", o->name, mxg_action_name(
			*(const enum mxg_action*)((const char*)cfg + o->off)));
		break;
	case T_STR:
	case T_PATH:
	case T_NAME:
	case T_REDIS: {
		const char* v = *(char* const*)((const char*)cfg + o->off);
		if(o->off == OFF(redis_password) && v)
			fprintf(out, "%s: (set)\n", o->name);
		else
			print_str(out, o->name, v);
		break;
	}
	case T_RELAY:
		for(i = 0; i < cfg->relay_text_count; i++)
			fprintf(out, "%s: %s\n", o->name, cfg->relay_text[i]);
		break;
	case T_RELAYFILE:
		for(i = 0; i < cfg->relay_files_count; i++)
			print_str(out, o->name, cfg->relay_files[i]);
		break;
	case T_COUNTRY:
		if(cfg->deny_country_count == 0) {
			fprintf(out, "%s: \"\"\n", o->name);
			break;
		}
		fprintf(out, "%s:", o->name);
		for(k = 0; k < cfg->deny_country_count; k++)
			fprintf(out, " %s", cfg->deny_country[k]);
		fprintf(out, "\n");
		break;
	case T_INCLUDE:
		/* the printed config is flat: includes are already in it */
		break;
	}
}

int
mxg_conf_print(const struct mxg_conf* cfg, FILE* out, const char* option)
{
	size_t i;
	if(option) {
		const struct opt* o = conf_find_opt(option);
		if(!o)
			return 0;
		print_opt(cfg, out, o);
		return 1;
	}
	fprintf(out, "# mxguard %s effective configuration%s%s\n",
		MXG_VERSION, cfg->file ? " of " : "",
		cfg->file ? cfg->file : "");
	fprintf(out, "# %zu relay netblocks, %zu bytes\n",
		mxg_allowlist_count(cfg->relays),
		mxg_allowlist_mem(cfg->relays));
	fprintf(out, "mxguard:\n");
	for(i = 0; i < mxg_conf_nopts; i++)
		print_opt(cfg, out, &mxg_conf_opts[i]);
	return 1;
}

size_t
mxg_conf_option_count(void)
{
	return mxg_conf_nopts;
}

const char*
mxg_conf_option_name(size_t i)
{
	return i < mxg_conf_nopts ? mxg_conf_opts[i].name : NULL;
}

/** Name of an option type, as in the docs. */
static const char*
type_name(enum opt_type t)
{
	switch(t) {
	case T_BOOL: return "yes|no";
	case T_EDETEXT: return "rule|full";
	case T_INT:
	case T_U32: return "number";
	case T_SIZE: return "size";
	case T_DUR: return "duration";
	case T_MS: return "msec";
	case T_STR: return "string";
	case T_PATH: return "path";
	case T_MODE: return "log|tag|refuse";
	case T_ACTION: return "log|tag|refuse|mode";
	case T_RELAY: return "cidr";
	case T_RELAYFILE: return "path";
	case T_INCLUDE: return "path";
	case T_COUNTRY: return "cc ...";
	case T_REDIS: return "host:port|unix:path";
	case T_NAME: return "name";
	}
	return "?";
}

void
mxg_conf_print_schema(FILE* out)
{
	const char* section = "";
	char range[80];
	size_t i;
	for(i = 0; i < mxg_conf_nopts; i++) {
		const struct opt* o = &mxg_conf_opts[i];
		if(o->section)
			section = o->section;
		range[0] = 0;
		switch(o->type) {
		case T_INT:
		case T_U32:
		case T_SIZE:
		case T_DUR:
		case T_MS:
			conf_fmt_range(range, sizeof(range), o);
			break;
		case T_STR:
		case T_NAME:
			snprintf(range, sizeof(range), "max %llu chars",
				(unsigned long long)o->max);
			break;
		default:
			break;
		}
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", section, o->name,
			type_name(o->type), range, o->def ? o->def :
			(o->off == OFF(instance) && o->type == T_NAME ?
			"(host name)" : ""), o->help);
	}
}

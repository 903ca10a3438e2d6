/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/conf.c - mxguard.conf parsed into a struct.
 */
/** \file
 * The parser of mxguard.conf. Unbound-style `name: value` lines, `#`
 * comments, double-quoted values, `include:` files. One schema table (opts[])
 * gives each option its type, the field it sets, its range, its default (as
 * text, parsed by the same code as the file) and a line of help; it drives
 * parsing, defaults, mxg_conf_print and mxg_conf_print_schema (which
 * checks the docs). Every error is collected, one per line, as
 * `file:line: option: value: reason`, so an operator sees all of them at
 * once. Only libc: the module and mxguard-checkconf share this file.
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

/** How deep include: files may nest. */
#define MAX_INCLUDE_DEPTH 16

/** Option types. */
enum opt_type {
	/** yes|no into an int */
	T_BOOL,
	/** number into an int */
	T_INT,
	/** number into a uint32_t */
	T_U32,
	/** size with k/m/g suffix into a size_t */
	T_SIZE,
	/** duration with s/m/h/d suffix (bare: seconds) into a uint32_t */
	T_DUR,
	/** duration with ms/s/m suffix (bare: milliseconds) into a uint32_t */
	T_MS,
	/** string (char*, malloc'd); max is the longest length */
	T_STR,
	/** path (char*); relative paths are taken from the file's directory */
	T_PATH,
	/** log|tag|refuse into an enum mxg_action */
	T_MODE,
	/** log|tag|refuse|mode into an enum mxg_action */
	T_ACTION,
	/** relay netblock, repeatable */
	T_RELAY,
	/** file of relay netblocks, repeatable */
	T_RELAYFILE,
	/** include another file, repeatable */
	T_INCLUDE,
	/** two-letter country codes, repeatable */
	T_COUNTRY,
	/** host:port, [v6]:port or unix:/path (char*) */
	T_REDIS,
	/** name without blanks (char*); max is the longest length */
	T_NAME,
	/** rule|full into an int (0, 1) */
	T_EDETEXT
};

/** One row of the schema. */
struct opt {
	/** option name */
	const char* name;
	/** type of the value */
	enum opt_type type;
	/** offset of the field in struct mxg_conf */
	size_t off;
	/** smallest value (base unit: bytes, seconds, ms) */
	uint64_t min;
	/** largest value; for strings the longest length */
	uint64_t max;
	/** default as it would be written in the file, NULL: none/empty */
	const char* def;
	/** one line of help */
	const char* help;
	/** section banner starting at this row, or NULL */
	const char* section;
};

/** Offset of a field of struct mxg_conf. */
#define OFF(f) offsetof(struct mxg_conf, f)
/** Offset of a field of the settings of rule r. */
#define ROFF(r, f) offsetof(struct mxg_conf, rules[r].f)
/** Seconds in a day. */
#define DAY 86400ULL
/** Bytes in a megabyte. */
#define MB (1024ULL * 1024ULL)

/** The schema: every option, in the order printed and documented. */
static const struct opt opts[] = {
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

	{ "non-relay-enable", T_BOOL, ROFF(MXG_RULE_NON_RELAY, enabled),
	  0, 1, "yes", "report MX lookups by clients that are not relays",
	  "RULES" },
	{ "non-relay-action", T_ACTION, ROFF(MXG_RULE_NON_RELAY, action),
	  0, 0, "log", "action of the non-relay rule", NULL },
	{ "non-relay-limit", T_U32, ROFF(MXG_RULE_NON_RELAY, limit),
	  0, 1000000, "0",
	  "fires when a non-relay made more than this many lookups of a base "
	  "domain in the period", NULL },
	{ "non-relay-period", T_DUR, ROFF(MXG_RULE_NON_RELAY, period),
	  1, 30 * DAY, "1h",
	  "reported once per client and base domain per period", NULL },
	{ "volume-enable", T_BOOL, ROFF(MXG_RULE_VOLUME, enabled), 0, 1,
	  "yes", "count MX lookups per client", NULL },
	{ "volume-action", T_ACTION, ROFF(MXG_RULE_VOLUME, action), 0, 0,
	  "mode", "action of the volume rule", NULL },
	{ "volume-limit", T_U32, ROFF(MXG_RULE_VOLUME, limit), 0, 1000000,
	  "30", "fires above this many MX lookups per client in the period",
	  NULL },
	{ "volume-period", T_DUR, ROFF(MXG_RULE_VOLUME, period), 1, 7 * DAY,
	  "1m", "window of the volume rule", NULL },
	{ "fanout-enable", T_BOOL, ROFF(MXG_RULE_FANOUT, enabled), 0, 1,
	  "yes", "count distinct base domains per client (spam bots)", NULL },
	{ "fanout-action", T_ACTION, ROFF(MXG_RULE_FANOUT, action), 0, 0,
	  "mode", "action of the fanout rule", NULL },
	{ "fanout-limit", T_U32, ROFF(MXG_RULE_FANOUT, limit), 0, 1000000,
	  "20", "fires above this many distinct base domains in the period",
	  NULL },
	{ "fanout-period", T_DUR, ROFF(MXG_RULE_FANOUT, period), 1, 7 * DAY,
	  "10m", "window of the fanout rule", NULL },
	{ "staging-window-enable", T_BOOL,
	  ROFF(MXG_RULE_STAGING_WINDOW, enabled), 0, 1, "yes",
	  "count numeric-prefixed lookups per client and base domain", NULL },
	{ "staging-window-action", T_ACTION,
	  ROFF(MXG_RULE_STAGING_WINDOW, action), 0, 0, "mode",
	  "action of the staging-window rule", NULL },
	{ "staging-window-limit", T_U32,
	  ROFF(MXG_RULE_STAGING_WINDOW, limit), 0, 1000000, "10",
	  "fires above this many MX lookups of one base domain ...", NULL },
	{ "staging-window-prefixes", T_U32,
	  ROFF(MXG_RULE_STAGING_WINDOW, limit2), 0, 1000000, "3",
	  "... and above this many distinct numeric prefixes", NULL },
	{ "staging-window-period", T_DUR,
	  ROFF(MXG_RULE_STAGING_WINDOW, period), 1, 7 * DAY, "1h",
	  "window of the staging-window rule", NULL },
	{ "staging-shape-enable", T_BOOL,
	  ROFF(MXG_RULE_STAGING_SHAPE, enabled), 0, 1, "yes",
	  "score each MX answer for the shape of staged data", NULL },
	{ "staging-shape-action", T_ACTION,
	  ROFF(MXG_RULE_STAGING_SHAPE, action), 0, 0, "mode",
	  "action of the staging-shape rule", NULL },
	{ "staging-shape-limit", T_U32,
	  ROFF(MXG_RULE_STAGING_SHAPE, limit), 0, 100, "60",
	  "fires when the shape score (0..100) is at least this", NULL },
	{ "staging-drip-enable", T_BOOL,
	  ROFF(MXG_RULE_STAGING_DRIP, enabled), 0, 1, "yes",
	  "count encoded bytes in MX exchanges per client and base domain",
	  NULL },
	{ "staging-drip-action", T_ACTION,
	  ROFF(MXG_RULE_STAGING_DRIP, action), 0, 0, "mode",
	  "action of the staging-drip rule", NULL },
	{ "staging-drip-limit", T_U32,
	  ROFF(MXG_RULE_STAGING_DRIP, limit), 0, 65535, "64",
	  "fires above this many encoded bytes of one base domain in "
	  "staging-window-period", NULL },
	{ "country-enable", T_BOOL, ROFF(MXG_RULE_COUNTRY, enabled), 0, 1,
	  "yes", "check MX hosts against deny-country", NULL },
	{ "country-action", T_ACTION, ROFF(MXG_RULE_COUNTRY, action), 0, 0,
	  "mode", "action of the country rule", NULL },
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

/** Number of rows in opts[]. */
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/** State of one parse (a file and its includes). */
struct pctx {
	/** config being filled */
	struct mxg_conf* cfg;
	/** error buffer */
	char* err;
	/** size of err */
	size_t errlen;
	/** bytes used in err */
	size_t errpos;
	/** errors found */
	int nerr;
	/** real paths of the files being read, outermost first */
	char* stack[MAX_INCLUDE_DEPTH + 1];
	/** entries in stack */
	int depth;
	/** where redis-user was last set ("file:line"), for check_cross */
	char user_at[PATH_MAX + 16];
	/** where fleet was last set ("file:line"), for check_cross */
	char fleet_at[PATH_MAX + 16];
};

/** Append one line to the error buffer (truncated with "..." when full). */
static void
add_err(struct pctx* p, const char* fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add_err(struct pctx* p, const char* fmt, ...)
{
	va_list ap;
	int n;
	p->nerr++;
	if(!p->err || p->errlen == 0)
		return;
	if(p->errpos + 1 >= p->errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->err + p->errpos, p->errlen - p->errpos, fmt, ap);
	va_end(ap);
	if(n < 0)
		return;
	if(p->errpos + (size_t)n + 2 > p->errlen) {
		/* did not fit: mark the truncation */
		size_t e = p->errlen - 1;
		if(e >= 4)
			memcpy(p->err + e - 4, "...\n", 4);
		p->err[e] = 0;
		p->errpos = e;
		return;
	}
	p->errpos += (size_t)n;
	p->err[p->errpos++] = '\n';
	p->err[p->errpos] = 0;
}

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

/** Store a number of a numeric type in its field. */
static void
store_num(struct mxg_conf* cfg, const struct opt* o, uint64_t v)
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

/** Replace a string field (value NULL or "" clears it). @return 0 nomem */
static int
store_str(struct mxg_conf* cfg, const struct opt* o, const char* v)
{
	char** f = (char**)((char*)cfg + o->off);
	char* n = NULL;
	if(v && *v) {
		n = strdup(v);
		if(!n)
			return 0;
	}
	free(*f);
	*f = n;
	return 1;
}

/** Append a copy of s to a string list. @return 0 nomem */
static int
list_add(char*** list, size_t* n, const char* s)
{
	char** nl = realloc(*list, (*n + 1) * sizeof(char*));
	if(!nl)
		return 0;
	*list = nl;
	nl[*n] = strdup(s);
	if(!nl[*n])
		return 0;
	(*n)++;
	return 1;
}

/** Free a string list. */
static void
list_free(char** list, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/** The directory part of a path ("" when there is none), in buf. */
static void
dir_of(const char* path, char* buf, size_t len)
{
	const char* s = strrchr(path, '/');
	if(!s) {
		buf[0] = 0;
		return;
	}
	if(s == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s/", (int)(s - path), path);
}

/** A path relative to the directory of file, malloc'd (NULL: nomem). */
static char*
rel_path(const char* file, const char* path)
{
	char dir[PATH_MAX];
	char* r;
	size_t n;
	if(path[0] == '/' || !file)
		return strdup(path);
	dir_of(file, dir, sizeof(dir));
	n = strlen(dir) + strlen(path) + 1;
	r = malloc(n);
	if(r)
		snprintf(r, n, "%s%s", dir, path);
	return r;
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
static const char*
suggest(const char* name)
{
	const char* best = NULL;
	int bestd = 1000, limit;
	size_t i;
	for(i = 0; i < NOPTS; i++) {
		int d = edit_distance(name, opts[i].name);
		if(d < bestd) {
			bestd = d;
			best = opts[i].name;
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

/**
 * The value to show in an error message: "(hidden)" for the password, and
 * for any name that looks like a misspelt password, so that a secret never
 * reaches a log.
 */
static const char*
shown(const char* name, const char* v)
{
	const char* s;
	if(strcasestr(name, "pass") || strcasestr(name, "pasw") ||
		strcasestr(name, "secret"))
		return "(hidden)";
	s = suggest(name);
	if(s && strcmp(s, "redis-password") == 0)
		return "(hidden)";
	return v;
}

/** The schema row of an option, NULL if unknown. */
static const struct opt*
find_opt(const char* name)
{
	size_t i;
	for(i = 0; i < NOPTS; i++)
		if(strcasecmp(name, opts[i].name) == 0)
			return &opts[i];
	return NULL;
}

/** Parse an action name. @return 1 if valid */
static int
parse_action(const char* v, int allow_mode, enum mxg_action* a)
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
static const char*
check_redis(const char* v, char* norm, size_t nlen)
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
static void
fmt_range(char* buf, size_t len, const struct opt* o)
{
	char a[32], b[32];
	fmt_num(a, sizeof(a), o->type, o->min);
	fmt_num(b, sizeof(b), o->type, o->max);
	snprintf(buf, len, "%s..%s", a, b);
}

static int parse_file(struct pctx* p, const char* path, const char* shown,
	const char* inc_file, int inc_line);

/** Read a relay-file into the allowlist. */
static void
read_relay_file(struct pctx* p, const char* file, int line,
	const char* path, const char* shown)
{
	FILE* in = fopen(path, "r");
	char* buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int ln = 0;
	if(!in) {
		if(strcmp(path, shown) != 0)
			add_err(p, "%s:%d: relay-file: %s: cannot open %s: %s",
				file, line, shown, path, strerror(errno));
		else
			add_err(p, "%s:%d: relay-file: %s: cannot open: %s",
				file, line, shown, strerror(errno));
		return;
	}
	while((n = getline(&buf, &cap, in)) >= 0) {
		char* s = buf;
		char* hash = strchr(buf, '#');
		char* tok;
		char* save = NULL;
		ln++;
		if(hash)
			*hash = 0;
		for(tok = strtok_r(s, " \t\r\n,", &save); tok;
			tok = strtok_r(NULL, " \t\r\n,", &save)) {
			char reason[128];
			if(!mxg_allowlist_add(p->cfg->relays, tok, reason,
				sizeof(reason)))
				add_err(p, "%s:%d: relay: %s: %s", path, ln, tok,
					reason);
		}
	}
	free(buf);
	fclose(in);
}

/** Handle include: (with glob patterns). */
static void
do_include(struct pctx* p, const char* file, int line, const char* path,
	const char* shown)
{
	glob_t g;
	size_t i;
	int r;
	if(!strpbrk(path, "*?[")) {
		parse_file(p, path, shown, file, line);
		return;
	}
	memset(&g, 0, sizeof(g));
	r = glob(path, 0, NULL, &g);
	if(r == GLOB_NOMATCH) {
		globfree(&g);
		return;
	}
	if(r != 0) {
		add_err(p, "%s:%d: include: %s: cannot read the pattern",
			file, line, shown);
		globfree(&g);
		return;
	}
	for(i = 0; i < g.gl_pathc; i++)
		parse_file(p, g.gl_pathv[i], g.gl_pathv[i], file, line);
	globfree(&g);
}

/** Apply one `name: value` to the config. quoted: value was in quotes. */
static void
set_option(struct pctx* p, const char* file, int line, const char* name,
	const char* v, int quoted)
{
	const struct opt* o = find_opt(name);
	char rbuf[160], range[80], norm[512], h[256];
	const char* reason = NULL;
	uint64_t x;

	if(!o) {
		const char* s = suggest(name);
		if(s)
			add_err(p, "%s:%d: %s: %s: unknown option (did you mean "
				"'%s'?)", file, line, name, shown(name, v), s);
		else
			add_err(p, "%s:%d: %s: %s: unknown option", file, line,
				name, shown(name, v));
		return;
	}
	if(!*v && !quoted && o->type != T_STR && o->type != T_PATH &&
		o->type != T_NAME && o->type != T_REDIS &&
		o->type != T_COUNTRY) {
		add_err(p, "%s:%d: %s: missing value", file, line, o->name);
		return;
	}
	switch(o->type) {
	case T_BOOL:
		if(strcasecmp(v, "yes") == 0)
			store_num(p->cfg, o, 1);
		else if(strcasecmp(v, "no") == 0)
			store_num(p->cfg, o, 0);
		else
			reason = "expected yes or no";
		break;
	case T_EDETEXT:
		if(strcasecmp(v, "rule") == 0)
			store_num(p->cfg, o, 0);
		else if(strcasecmp(v, "full") == 0)
			store_num(p->cfg, o, 1);
		else
			reason = "expected rule or full";
		break;
	case T_INT:
	case T_U32:
	case T_SIZE:
	case T_DUR:
	case T_MS:
		if(o->type == T_DUR)
			reason = parse_number(v, dur_units, "s, m, h or d", &x,
				rbuf, sizeof(rbuf));
		else if(o->type == T_MS)
			reason = parse_number(v, ms_units, "ms, s or m", &x,
				rbuf, sizeof(rbuf));
		else if(o->type == T_SIZE)
			reason = parse_number(v, size_units, "k, m or g", &x,
				rbuf, sizeof(rbuf));
		else
			reason = parse_number(v, NULL, NULL, &x, rbuf,
				sizeof(rbuf));
		if(!reason && (x < o->min || x > o->max)) {
			fmt_range(range, sizeof(range), o);
			snprintf(rbuf, sizeof(rbuf), "out of range (%s)", range);
			reason = rbuf;
		}
		if(!reason)
			store_num(p->cfg, o, x);
		break;
	case T_MODE:
	case T_ACTION: {
		enum mxg_action a;
		if(parse_action(v, o->type == T_ACTION, &a))
			*(enum mxg_action*)((char*)p->cfg + o->off) = a;
		else
			reason = o->type == T_ACTION ?
				"expected log, tag, refuse or mode" :
				"expected log, tag or refuse";
		break;
	}
	case T_STR:
		if(strlen(v) > o->max) {
			snprintf(rbuf, sizeof(rbuf), "too long (max %llu)",
				(unsigned long long)o->max);
			reason = rbuf;
		} else if(!store_str(p->cfg, o, v))
			reason = "out of memory";
		break;
	case T_NAME: {
		const char* c;
		if(strlen(v) > o->max) {
			snprintf(rbuf, sizeof(rbuf), "too long (max %llu)",
				(unsigned long long)o->max);
			reason = rbuf;
			break;
		}
		for(c = v; *c; c++)
			if(isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
				break;
		if(*c) {
			reason = "blanks or control characters not allowed";
			break;
		}
		if(!*v && o->off == OFF(instance)) {
			/* back to the default: the host name */
			if(gethostname(h, sizeof(h)) != 0 || !h[0])
				snprintf(h, sizeof(h), "unbound");
			h[sizeof(h) - 1] = 0;
			if(strlen(h) > o->max)
				h[o->max] = 0;
			v = h;
			if(!store_str(p->cfg, o, v))
				reason = "out of memory";
			break;
		}
		if(!store_str(p->cfg, o, v))
			reason = "out of memory";
		break;
	}
	case T_PATH:
		if(!*v) {
			store_str(p->cfg, o, NULL);
		} else {
			char* r = rel_path(file, v);
			if(!r || !store_str(p->cfg, o, r))
				reason = "out of memory";
			free(r);
		}
		break;
	case T_REDIS:
		if(!*v) {
			store_str(p->cfg, o, NULL);
			break;
		}
		reason = check_redis(v, norm, sizeof(norm));
		if(!reason && !store_str(p->cfg, o, norm))
			reason = "out of memory";
		break;
	case T_RELAY:
		if(!mxg_allowlist_add(p->cfg->relays, v, rbuf, sizeof(rbuf)))
			reason = rbuf;
		else if(!list_add(&p->cfg->relay_text,
			&p->cfg->relay_text_count, v))
			reason = "out of memory";
		break;
	case T_RELAYFILE: {
		char* r = rel_path(file, v);
		if(!r) {
			reason = "out of memory";
			break;
		}
		read_relay_file(p, file, line, r, v);
		if(!list_add(&p->cfg->relay_files,
			&p->cfg->relay_files_count, r))
			reason = "out of memory";
		free(r);
		break;
	}
	case T_INCLUDE: {
		char* r = rel_path(file, v);
		if(!r) {
			reason = "out of memory";
			break;
		}
		do_include(p, file, line, r, v);
		free(r);
		break;
	}
	case T_COUNTRY: {
		char buf[1024];
		char* tok;
		char* save = NULL;
		if(!*v) {
			/* deny-country: "" clears the list */
			p->cfg->deny_country_count = 0;
			break;
		}
		snprintf(buf, sizeof(buf), "%s", v);
		for(tok = strtok_r(buf, " \t,", &save); tok;
			tok = strtok_r(NULL, " \t,", &save)) {
			int i, dup = 0;
			if(strlen(tok) != 2 || !isalpha((unsigned char)tok[0])
				|| !isalpha((unsigned char)tok[1])) {
				add_err(p, "%s:%d: %s: %s: not a two-letter "
					"country code", file, line, o->name,
					tok);
				continue;
			}
			tok[0] = (char)toupper((unsigned char)tok[0]);
			tok[1] = (char)toupper((unsigned char)tok[1]);
			for(i = 0; i < p->cfg->deny_country_count; i++)
				if(strcmp(p->cfg->deny_country[i], tok) == 0)
					dup = 1;
			if(dup)
				continue;
			if(p->cfg->deny_country_count >= MXG_MAX_DENY_COUNTRY) {
				add_err(p, "%s:%d: %s: %s: too many countries "
					"(max %d)", file, line, o->name, tok,
					MXG_MAX_DENY_COUNTRY);
				break;
			}
			memcpy(p->cfg->deny_country[
				p->cfg->deny_country_count++], tok, 3);
		}
		break;
	}
	}
	if(reason)
		add_err(p, "%s:%d: %s: %s: %s", file, line, o->name,
			shown(o->name, v), reason);
	else if(o->off == OFF(redis_user) && o->type == T_STR)
		snprintf(p->user_at, sizeof(p->user_at), "%s:%d", file, line);
	else if(o->off == OFF(fleet) && o->type == T_BOOL)
		snprintf(p->fleet_at, sizeof(p->fleet_at), "%s:%d", file, line);
}

/** Parse the text of one file (a NUL-terminated, writable buffer). */
static void
parse_text(struct pctx* p, const char* file, char* text)
{
	char* line = text;
	int ln = 0;
	while(line) {
		char* next = strchr(line, '\n');
		char* s = line;
		char* name;
		char* colon;
		char* v;
		char* e;
		int quoted = 0;
		if(next)
			*next++ = 0;
		line = next;
		ln++;
		while(isspace((unsigned char)*s))
			s++;
		if(!*s || *s == '#')
			continue;
		name = s;
		colon = strchr(s, ':');
		if(!colon) {
			/* drop a trailing comment from what we show */
			e = strchr(s, '#');
			if(e)
				*e = 0;
			e = s + strlen(s);
			while(e > s && isspace((unsigned char)e[-1]))
				*--e = 0;
			add_err(p, "%s:%d: %s: expected 'name: value'", file,
				ln, name);
			continue;
		}
		*colon = 0;
		e = colon;
		while(e > name && isspace((unsigned char)e[-1]))
			*--e = 0;
		v = colon + 1;
		while(isspace((unsigned char)*v))
			v++;
		if(*v == '"') {
			char* q = strchr(v + 1, '"');
			if(!q) {
				e = v + strlen(v);
				while(e > v && isspace((unsigned char)e[-1]))
					*--e = 0;
				add_err(p, "%s:%d: %s: %s: missing closing quote",
					file, ln, name, shown(name, v));
				continue;
			}
			*q = 0;
			e = q + 1;
			while(isspace((unsigned char)*e))
				e++;
			if(*e && *e != '#') {
				add_err(p, "%s:%d: %s: %s: text after the "
					"closing quote", file, ln, name,
					shown(name, v + 1));
				continue;
			}
			v++;
			quoted = 1;
		} else {
			e = strchr(v, '#');
			if(e)
				*e = 0;
			e = v + strlen(v);
			while(e > v && isspace((unsigned char)e[-1]))
				*--e = 0;
		}
		if(!*name) {
			add_err(p, "%s:%d: : %s: missing option name", file, ln,
				v);
			continue;
		}
		if(strcasecmp(name, "mxguard") == 0 && !*v && !quoted)
			continue; /* the optional section header */
		set_option(p, file, ln, name, v, quoted);
	}
}

/** Read a whole file into a malloc'd, NUL-terminated buffer. */
static char*
slurp(FILE* in)
{
	size_t cap = 4096, n = 0, r;
	char* buf = malloc(cap);
	if(!buf)
		return NULL;
	while((r = fread(buf + n, 1, cap - n - 1, in)) > 0) {
		n += r;
		if(n + 1 == cap) {
			char* nb = realloc(buf, cap * 2);
			if(!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if(ferror(in)) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/**
 * Parse a file, keeping track of the include stack.
 * @param shown: the path as written in the include: line (for messages).
 * @param inc_file: file with the include: line, NULL for the top file.
 * @return 1 if the file could be read (errors in it are counted apart).
 */
static int
parse_file(struct pctx* p, const char* path, const char* shown,
	const char* inc_file, int inc_line)
{
	char real[PATH_MAX];
	char* text;
	FILE* in;
	int i;
	if(p->depth >= MAX_INCLUDE_DEPTH) {
		add_err(p, "%s:%d: include: %s: includes nested too deeply "
			"(max %d)", inc_file, inc_line, shown,
			MAX_INCLUDE_DEPTH);
		return 0;
	}
	in = fopen(path, "r");
	if(!in) {
		if(inc_file && strcmp(path, shown) != 0)
			add_err(p, "%s:%d: include: %s: cannot open %s: %s",
				inc_file, inc_line, shown, path,
				strerror(errno));
		else if(inc_file)
			add_err(p, "%s:%d: include: %s: cannot open: %s",
				inc_file, inc_line, shown, strerror(errno));
		else
			add_err(p, "%s: cannot open: %s", path,
				strerror(errno));
		return 0;
	}
	if(!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for(i = 0; i < p->depth; i++) {
		if(strcmp(p->stack[i], real) == 0) {
			add_err(p, "%s:%d: include: %s: include loop (%s is "
				"already being read)", inc_file, inc_line, shown,
				path);
			fclose(in);
			return 0;
		}
	}
	text = slurp(in);
	fclose(in);
	if(!text) {
		add_err(p, "%s: cannot read: %s", path, strerror(errno));
		return 0;
	}
	p->stack[p->depth] = strdup(real);
	if(!p->stack[p->depth]) {
		free(text);
		add_err(p, "%s: out of memory", path);
		return 0;
	}
	p->depth++;
	parse_text(p, path, text);
	p->depth--;
	free(p->stack[p->depth]);
	p->stack[p->depth] = NULL;
	free(text);
	return 1;
}

/** Checks across options, after everything is read. */
static void
check_cross(struct pctx* p)
{
	const struct mxg_conf* c = p->cfg;
	if(c->redis_user && !c->redis_password)
		add_err(p, "%s: redis-user: %s: needs redis-password",
			p->user_at, c->redis_user);
	if(c->fleet && !c->redis_server)
		add_err(p, "%s: fleet: yes: needs redis-server", p->fleet_at);
}

/** Start a parse: clear the error buffer. */
static void
pctx_init(struct pctx* p, struct mxg_conf* cfg, char* err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->err = err;
	p->errlen = errlen;
	if(err && errlen)
		err[0] = 0;
}

/** Remember the name of the file read. @return 0 nomem */
static int
set_file(struct mxg_conf* cfg, const char* name)
{
	char* n = strdup(name);
	if(!n)
		return 0;
	free(cfg->file);
	cfg->file = n;
	return 1;
}

int
mxg_conf_read(struct mxg_conf* cfg, const char* file, char* err,
	size_t errlen)
{
	struct pctx p;
	pctx_init(&p, cfg, err, errlen);
	if(!set_file(cfg, file)) {
		add_err(&p, "%s: out of memory", file);
		return 0;
	}
	parse_file(&p, file, file, NULL, 0);
	if(p.nerr == 0)
		check_cross(&p);
	return p.nerr == 0;
}

int
mxg_conf_read_string(struct mxg_conf* cfg, const char* name,
	const char* text, char* err, size_t errlen)
{
	struct pctx p;
	char* t = strdup(text);
	pctx_init(&p, cfg, err, errlen);
	if(!t || !set_file(cfg, name)) {
		free(t);
		add_err(&p, "%s: out of memory", name);
		return 0;
	}
	parse_text(&p, name, t);
	free(t);
	if(p.nerr == 0)
		check_cross(&p);
	return p.nerr == 0;
}

struct mxg_conf*
mxg_conf_new(void)
{
	struct mxg_conf* cfg = calloc(1, sizeof(*cfg));
	struct pctx p;
	char err[256];
	size_t i;
	int r;
	if(!cfg)
		return NULL;
	cfg->relays = mxg_allowlist_new();
	if(!cfg->relays) {
		free(cfg);
		return NULL;
	}
	pctx_init(&p, cfg, err, sizeof(err));
	for(i = 0; i < NOPTS; i++)
		if(opts[i].def)
			set_option(&p, "(default)", 0, opts[i].name,
				opts[i].def, 1);
	/* instance defaults to the host name */
	set_option(&p, "(default)", 0, "instance", "", 1);
	/* "blocked" is not configurable: it follows mode */
	cfg->rules[MXG_RULE_BLOCKED].enabled = 1;
	cfg->rules[MXG_RULE_BLOCKED].action = MXG_ACT_MODE;
	cfg->rules[MXG_RULE_BLOCKED].period = cfg->block_duration;
	r = p.nerr == 0;
	if(!r) {
		/* a bad default is a bug, or malloc failed */
		mxg_conf_free(cfg);
		return NULL;
	}
	return cfg;
}

void
mxg_conf_free(struct mxg_conf* cfg)
{
	if(!cfg)
		return;
	free(cfg->file);
	mxg_allowlist_free(cfg->relays);
	list_free(cfg->relay_text, cfg->relay_text_count);
	list_free(cfg->relay_files, cfg->relay_files_count);
	free(cfg->geoip_country);
	free(cfg->geoip_asn);
	free(cfg->category_file);
	free(cfg->redis_server);
	free(cfg->redis_user);
	free(cfg->redis_password);
	free(cfg->redis_prefix);
	free(cfg->instance);
	free(cfg->log_file);
	free(cfg->state_file);
	free(cfg);
}

enum mxg_action
mxg_conf_rule_action(const struct mxg_conf* cfg, enum mxg_rule_id rule)
{
	enum mxg_action a;
	if(!cfg || (int)rule < 0 || rule >= MXG_RULE_COUNT)
		return MXG_ACT_PASS;
	a = cfg->rules[rule].action;
	if(a == MXG_ACT_MODE)
		a = cfg->mode;
	if(a == MXG_ACT_MODE)
		a = MXG_ACT_LOG;
	if(cfg->dry_run && a == MXG_ACT_REFUSE)
		a = MXG_ACT_LOG;
	return a;
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
		const struct opt* o = find_opt(option);
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
	for(i = 0; i < NOPTS; i++)
		print_opt(cfg, out, &opts[i]);
	return 1;
}

size_t
mxg_conf_option_count(void)
{
	return NOPTS;
}

const char*
mxg_conf_option_name(size_t i)
{
	return i < NOPTS ? opts[i].name : NULL;
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
	for(i = 0; i < NOPTS; i++) {
		const struct opt* o = &opts[i];
		if(o->section)
			section = o->section;
		range[0] = 0;
		switch(o->type) {
		case T_INT:
		case T_U32:
		case T_SIZE:
		case T_DUR:
		case T_MS:
			fmt_range(range, sizeof(range), o);
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

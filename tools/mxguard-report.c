/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/mxguard-report.c - read mxguard's counters and alerts from Redis.
 */
/** \file
 * The command-line view of the Redis keys of docs/redis-schema.md: top
 * clients, top base domains (with country, ASN, category), one client, one
 * domain, the alert stream, per-domain per-day flow and the resolver
 * instances. Aligned tables by default, --json for scripts. Connection
 * settings come from mxguard.conf (-c) and the command line; the connection
 * code is the module's own (module/redis.c). Every command is sent with
 * redisCommandArgv, so names are binary-safe. See docs/mxguard-report.1.
 *
 * Exit codes: 0 ok; 1 usage or config error; 2 Redis unreachable or
 * authentication failed; 3 a Redis command failed; 4 the schema version in
 * Redis differs from this tool's; 5 the client or domain asked for has no
 * data.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pwd.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/jsonlog.h"
#include "mxguard/mxguard.h"
#include "mxguard/redis.h"
#include "prom.h"

#include "redis_cli.h"
#include "report.h"

/* ------------------------------------------------------------------ */
/* Subcommands.                                                        */

/** top-clients and top-nonrelay. */
static int
do_top_clients(int nonrelay)
{
	struct table t = { 5, { "RANK", "CLIENT", "LOOKUPS", "RELAY",
		"LAST SEEN (UTC)" }, { "rank", "client", "lookups", "relay",
		"last_seen" }, { 1, 0, 1, 0, 0 }, NULL, 0, 0 };
	char* k = key("day", opt.day, nonrelay ? ":nonrelay" : ":clients");
	char* stop = str("%ld", opt.count - 1);
	redisReply* r = cmd("ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
	size_t i;
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
		i += 2) {
		const char* c = rstr(r->element[i]);
		char* hk = key("c", c, ":h");
		redisReply* h = cmd("HMGET", hk, "relay", "last", NULL);
		char* rank = str("%zu", i / 2 + 1), tb[32];
		table_add(&t, rank, c, rstr(r->element[i + 1]),
			h->type == REDIS_REPLY_ARRAY && h->elements == 2 ?
			(strcmp(rstr(h->element[0]), "1") == 0 ? "yes" : "no")
			: "", h->type == REDIS_REPLY_ARRAY && h->elements == 2 ?
			fmt_time(tb, sizeof(tb), reply_int(h->element[1])) : "");
		freeReplyObject(h);
		free(hk);
		free(rank);
	}
	freeReplyObject(r);
	table_print(&t);
	free(k);
	free(stop);
	return EX_OK_;
}

/** top-domains. */
static int
do_top_domains(void)
{
	struct table t = { 8, { "RANK", "DOMAIN", "LOOKUPS", "CLIENTS",
		"COUNTRY", "ASN", "CATEGORY", "AS ORG" }, { "rank", "domain",
		"lookups", "clients", "country", "asn", "category", "as_org" },
		{ 1, 0, 1, 1, 0, 1, 0, 0 }, NULL, 0, 0 };
	char* k = key("day", opt.day, ":domains");
	char* stop = str("%ld", opt.count - 1);
	redisReply* r = cmd("ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
	size_t i;
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
		i += 2) {
		const char* d = rstr(r->element[i]);
		char* hk = key("d", d, ":h");
		char* pk = key("d", d, ":hll");
		redisReply* h = cmd("HMGET", hk, "country", "asn", "category",
			"as_org", NULL);
		redisReply* p = cmd("PFCOUNT", pk, NULL);
		char* rank = str("%zu", i / 2 + 1);
		char* cl = str("%lld", reply_int(p));
		int okh = h->type == REDIS_REPLY_ARRAY && h->elements == 4;
		table_add(&t, rank, d, rstr(r->element[i + 1]), cl,
			okh ? rstr(h->element[0]) : "", okh ?
			rstr(h->element[1]) : "", okh ? rstr(h->element[2]) :
			"", okh ? rstr(h->element[3]) : "");
		freeReplyObject(h);
		freeReplyObject(p);
		free(hk);
		free(pk);
		free(rank);
		free(cl);
	}
	freeReplyObject(r);
	table_print(&t);
	free(k);
	free(stop);
	return EX_OK_;
}

/** Normalise a client argument to the form used in keys
 * (include/mxguard/clientkey.h: an IPv4-mapped address is IPv4). */
static char*
client_arg(const char* in)
{
	struct mxg_client_mask m;
	struct mxg_client k;
	char out[INET6_ADDRSTRLEN + 8];
	mxg_client_mask_init(&m, opt.prefix_v4, opt.prefix_v6);
	if(!mxg_client_parse(&k, &m, in) ||
		!mxg_client_text(&k, out, sizeof(out)))
		die(EX_USAGE_, "client %s: not an IPv4 or IPv6 address (with "
			"an optional /length)", in);
	return strdup(out);
}

/** Lowercase a domain argument and strip the trailing dot. */
static char*
domain_arg(const char* in)
{
	char* d = strdup(in);
	size_t n, i;
	if(!d)
		die(EX_USAGE_, "out of memory");
	n = strlen(d);
	if(n > 1 && d[n - 1] == '.' && (n < 2 || d[n - 2] != '\\'))
		d[n - 1] = 0;
	for(i = 0; d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

/** Print name/value pairs as a two-column table (or one JSON object). */
static void
print_pairs(const char** names, char** values, int n)
{
	int i, w = 0;
	if(opt.json) {
		printf("{");
		for(i = 0; i < n; i++) {
			printf("%s\n  ", i ? "," : "");
			json_str(names[i]);
			printf(": ");
			if(is_number(values[i]))
				printf("%s", values[i]);
			else {
				char* v = shown(values[i]);
				json_str(v);
				free(v);
			}
		}
		printf("\n}\n");
		return;
	}
	for(i = 0; i < n; i++)
		if((int)strlen(names[i]) > w)
			w = (int)strlen(names[i]);
	for(i = 0; i < n; i++) {
		char* v = shown(values[i]);
		printf("%-*s  %s\n", w, names[i], v);
		free(v);
	}
}

/** client IP. */
static int
do_client(const char* arg)
{
	char* c = client_arg(arg);
	char* hk = key("c", c, ":h");
	char* dsuf = str(":d:%s", opt.day);
	char* dk = key("c", c, dsuf);
	redisReply* h = hgetall(hk);
	const char* names[9] = { "client", "lookups", "alerts", "relay",
		"first_seen", "last_seen", "last_1m", "last_10m", "last_60m" };
	char* v[9];
	char t1[32], t2[32];
	int i;
	if(!h)
		die(EX_CMD, "client %s: key %s has more than %d fields: not "
			"written by mxguard, not read", c, hk, MAXFIELDS);
	if(h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
		freeReplyObject(h);
		die(EX_NODATA, "client %s: no data (key %s)", c, hk);
	}
	v[0] = strdup(c);
	v[1] = strdup(field(h, "count"));
	v[2] = strdup(*field(h, "alerts") ? field(h, "alerts") : "0");
	v[3] = strdup(strcmp(field(h, "relay"), "1") == 0 ? "yes" : "no");
	v[4] = strdup(fmt_time(t1, sizeof(t1), atoll(field(h, "first"))));
	v[5] = strdup(fmt_time(t2, sizeof(t2), atoll(field(h, "last"))));
	v[6] = str("%lld", minutes_sum("c", c, 1));
	v[7] = str("%lld", minutes_sum("c", c, 10));
	v[8] = str("%lld", minutes_sum("c", c, 60));
	freeReplyObject(h);
	if(!opt.json) {
		print_pairs(names, v, 9);
		printf("\nbase domains looked up on %s:\n", opt.day);
	} else {
		printf("{\"client\": ");
		print_pairs(names, v, 9);
		printf(", \"domains\": ");
	}
	{
		struct table t = { 3, { "RANK", "DOMAIN", "LOOKUPS" }, {
			"rank", "domain", "lookups" }, { 1, 0, 1 }, NULL, 0,
			0 };
		char* stop = str("%ld", opt.count - 1);
		redisReply* r = cmd("ZREVRANGE", dk, "0", stop, "WITHSCORES",
			NULL);
		size_t j;
		for(j = 0; r->type == REDIS_REPLY_ARRAY && j + 1 <
			r->elements; j += 2) {
			char* rank = str("%zu", j / 2 + 1);
			table_add(&t, rank, rstr(r->element[j]),
				rstr(r->element[j + 1]));
			free(rank);
		}
		freeReplyObject(r);
		table_print(&t);
		free(stop);
	}
	if(opt.json)
		printf("}\n");
	for(i = 0; i < 9; i++)
		free(v[i]);
	free(c);
	free(hk);
	free(dk);
	free(dsuf);
	return EX_OK_;
}

/** domain NAME. */
static int
do_domain(const char* arg)
{
	char* d = domain_arg(arg);
	char* hk = key("d", d, ":h");
	char* pk = key("d", d, ":hll");
	redisReply* h = hgetall(hk);
	redisReply* p;
	const char* names[13] = { "domain", "lookups", "clients", "alerts",
		"country", "asn", "as_org", "category", "first_seen",
		"last_seen", "last_1m", "last_10m", "last_60m" };
	char* v[13];
	char t1[32], t2[32];
	int i;
	if(!h)
		die(EX_CMD, "domain %s: key %s has more than %d fields: not "
			"written by mxguard, not read", d, hk, MAXFIELDS);
	if(h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
		freeReplyObject(h);
		die(EX_NODATA, "domain %s: no data (key %s)", d, hk);
	}
	p = cmd("PFCOUNT", pk, NULL);
	v[0] = strdup(d);
	v[1] = strdup(field(h, "count"));
	v[2] = str("%lld", reply_int(p));
	v[3] = strdup(*field(h, "alerts") ? field(h, "alerts") : "0");
	v[4] = strdup(field(h, "country"));
	v[5] = strdup(field(h, "asn"));
	v[6] = strdup(field(h, "as_org"));
	v[7] = strdup(field(h, "category"));
	v[8] = strdup(fmt_time(t1, sizeof(t1), atoll(field(h, "first"))));
	v[9] = strdup(fmt_time(t2, sizeof(t2), atoll(field(h, "last"))));
	v[10] = str("%lld", minutes_sum("d", d, 1));
	v[11] = str("%lld", minutes_sum("d", d, 10));
	v[12] = str("%lld", minutes_sum("d", d, 60));
	freeReplyObject(h);
	freeReplyObject(p);
	print_pairs(names, v, 13);
	for(i = 0; i < 13; i++)
		free(v[i]);
	free(d);
	free(hk);
	free(pk);
	return EX_OK_;
}

/** YYYYMMDD of opt.day minus i days. */
static void
day_minus(char* out, int i)
{
	struct tm tm;
	time_t t;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(opt.day) / 10000 - 1900;
	tm.tm_mon = atoi(opt.day) / 100 % 100 - 1;
	tm.tm_mday = atoi(opt.day) % 100 - i;
	tm.tm_hour = 12;
	t = timegm(&tm);
	mxg_redis_day(out, (uint64_t)t);
}

/** flow [NAME]: per domain per day. */
static int
do_flow(const char* arg)
{
	struct table t = { 4, { "DAY", "RANK", "DOMAIN", "LOOKUPS" }, { "day",
		"rank", "domain", "lookups" }, { 0, 1, 0, 1 }, NULL, 0, 0 };
	char* d = arg ? domain_arg(arg) : NULL;
	char* stop = str("%ld", opt.count - 1);
	int i;
	for(i = (int)opt.days - 1; i >= 0; i--) {
		char day[9];
		char* k;
		redisReply* r;
		day_minus(day, i);
		k = key("day", day, ":domains");
		if(d) {
			r = cmd("ZSCORE", k, d, NULL);
			table_add(&t, day, "", d, r->type == REDIS_REPLY_NIL ?
				"0" : rstr(r));
		} else {
			size_t j;
			r = cmd("ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
			for(j = 0; r->type == REDIS_REPLY_ARRAY && j + 1 <
				r->elements; j += 2) {
				char* rank = str("%zu", j / 2 + 1);
				table_add(&t, day, rank, rstr(r->element[j]),
					rstr(r->element[j + 1]));
				free(rank);
			}
		}
		freeReplyObject(r);
		free(k);
	}
	table_print(&t);
	free(stop);
	free(d);
	return EX_OK_;
}

/** alerts: newest first. */
static int
do_alerts(void)
{
	struct table t = { 7, { "TIME (UTC)", "CLIENT", "RULE", "ACTION",
		"QUERY", "INSTANCE", "REASON" }, { "time", "client", "rule",
		"action", "query", "instance", "reason" }, { 0 }, NULL, 0, 0 };
	char* k = key("alerts", NULL, "");
	char* n = str("%ld", opt.count);
	char* since = str("%llu", (unsigned long long)opt.since * 1000);
	redisReply* r = cmd("XREVRANGE", k, "+", opt.since ? since : "-",
		"COUNT", n, NULL);
	size_t i;
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply* e = r->element[i];
		const redisReply* f;
		if(!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		f = e->element[1];
		table_add(&t, field(f, "TimeGenerated"), field(f, "SrcIpAddr"),
			field(f, "RuleName"), field(f, "DvcAction"),
			field(f, "DnsQuery"), field(f, "Dvc"),
			field(f, "Reason"));
	}
	freeReplyObject(r);
	table_print(&t);
	free(k);
	free(n);
	free(since);
	return EX_OK_;
}

/** instances: the heartbeats. */
static int
do_instances(void)
{
	struct table t = { 11, { "INSTANCE", "VERSION", "MODE", "STATE",
		"LAST SEEN (UTC)", "QUEUED", "SENT", "DROPPED", "UNSENT",
		"ERRORS", "FLEET" }, { "instance", "version", "mode", "state",
		"last_seen", "queued", "sent", "dropped", "unsent", "errors",
		"fleet" }, { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, NULL, 0, 0 };
	char* k = key("inst", NULL, ":all");
	char* last = str("%d", MAXINST - 1);
	redisReply* r = cmd("ZRANGE", k, "0", last, NULL);
	redisReply* n = cmd("ZCARD", k, NULL);
	size_t i;
	free(last);
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char* name = rstr(r->element[i]);
		char* hk = key("inst", name, "");
		redisReply* h = hgetall(hk);
		char tb[32];
		int up = h && h->type == REDIS_REPLY_ARRAY && h->elements > 0;
		table_add(&t, name, field(h, "version"), field(h, "mode"),
			up ? "up" : "gone", fmt_time(tb, sizeof(tb),
			atoll(field(h, "last_seen"))), field(h, "queued"),
			field(h, "sent"), field(h, "dropped"),
			field(h, "unsent"), field(h, "errors"),
			field(h, "fleet"));
		if(h)
			freeReplyObject(h);
		free(hk);
	}
	freeReplyObject(r);
	table_print(&t);
	if(n->type == REDIS_REPLY_INTEGER && n->integer > MAXINST)
		fprintf(stderr, "mxguard-report: %lld more instances not "
			"shown (at most %d are read)\n", n->integer - MAXINST,
			MAXINST);
	freeReplyObject(n);
	free(k);
	return EX_OK_;
}

/** metrics: Prometheus text of every instance (tools/prom.c). */
static int
do_metrics(void)
{
	char* text = NULL, err[512];
	int r = mxg_prom_render(ctx, opt.prefix, &text, err, sizeof(err));
	if(r != 0)
		die(r == -1 ? EX_CMD : EX_USAGE_, "%s", err);
	fputs(text, stdout);
	free(text);
	return EX_OK_;
}

/* ------------------------------------------------------------------ */
/* Command line.                                                       */

/** Print the usage. */
static void
usage(FILE* f)
{
	fprintf(f,
"usage: mxguard-report [options] COMMAND [ARG]\n"
"commands:\n"
"  top-clients         clients with the most MX lookups of the day\n"
"  top-nonrelay        the same, clients outside the relay allowlist\n"
"  top-domains         base domains with the most lookups, with country,\n"
"                      ASN and category of their mail hosts\n"
"  client IP           one client: counts, last 1/10/60 minutes, domains\n"
"  domain NAME         one base domain: counts, distinct clients, geo\n"
"  alerts              the newest alerts (verdicts) of the alert stream\n"
"  flow [NAME]         lookups per domain per day (--days days)\n"
"  instances           the resolvers writing to this Redis\n"
"  metrics             Prometheus text of every resolver's counters\n"
"  blocks              the blocks in force on every resolver\n"
"  block IP|CIDR --for DURATION [--domain D] [--reason TEXT]\n"
"                      refuse a client's MX lookups on every resolver\n"
"  unblock IP|CIDR [--domain D] [--reason TEXT]\n"
"                      lift the blocks of a client or netblock\n"
"options:\n"
"  -c, --config FILE   read redis-* settings from an mxguard.conf\n"
"  -h, --host HOST     Redis host (default 127.0.0.1), as redis-cli\n"
"  -p, --port PORT     Redis port (default 6379)\n"
"  -s, --socket PATH   Redis Unix socket\n"
"      --server S      host:port, [v6]:port or unix:/path (as redis-server:)\n"
"  -a, --pass PW       password (better: $REDISCLI_AUTH, as redis-cli;\n"
"                      or $MXGUARD_REDIS_PASSWORD)\n"
"      --user USER     ACL user\n"
"  -n, --db N          database number\n"
"      --prefix P      key prefix (default mxg:)\n"
"  -N, --count N       rows to show (default 20)\n"
"  -d, --day DAY       YYYY-MM-DD, YYYYMMDD, today or yesterday (UTC)\n"
"  -S, --since T       alerts newer than T: 30m, 2h, 1d or epoch seconds\n"
"  -D, --days N        days for flow (default 7)\n"
"      --for D         block: how long (30m, 2h, 1d or seconds)\n"
"      --domain D      block, unblock: only this base domain\n"
"      --reason TEXT   block, unblock: why (in the alert stream)\n"
"  -j, --json          JSON instead of a table\n"
"  -V, --version       print the version\n"
"      --help          this text\n"
"exit: 0 ok, 1 usage/config, 2 Redis unreachable or auth failed,\n"
"      3 Redis command failed, 4 schema version differs, 5 no data\n");
}

/** Parse --day into opt.day. */
static void
parse_day(const char* s)
{
	time_t now = time(NULL);
	if(strcmp(s, "today") == 0)
		mxg_redis_day(opt.day, (uint64_t)now);
	else if(strcmp(s, "yesterday") == 0)
		mxg_redis_day(opt.day, (uint64_t)now - 86400);
	else {
		char d[9];
		size_t i, j = 0;
		for(i = 0; s[i] && j < 8; i++) {
			if(isdigit((unsigned char)s[i]))
				d[j++] = s[i];
			else if(s[i] != '-')
				break;
		}
		d[j] = 0;
		if(j != 8 || s[i] != 0)
			die(EX_USAGE_, "--day %s: not YYYY-MM-DD", s);
		memcpy(opt.day, d, 9);
	}
}

/** Parse a duration: 90, 90s, 30m, 2h, 1d. @return seconds, 0 bad. */
static uint64_t
parse_duration(const char* s)
{
	char* end;
	unsigned long long v;
	uint64_t mul;
	errno = 0;
	v = strtoull(s, &end, 10);
	if(errno || end == s || (*end && end[1]))
		return 0;
	mul = *end == 's' || *end == 0 ? 1 : *end == 'm' ? 60 :
		*end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
	if(v > 100ULL * 365 * 86400)
		return 0;
	return v * mul;
}

/** Parse --since. */
static void
parse_since(const char* s)
{
	char* end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if(errno || end == s)
		die(EX_USAGE_, "--since %s: not a duration or a time", s);
	if(*end == 0 && v > 100000000ULL)
		opt.since = v;
	else {
		uint64_t mul = *end == 's' || *end == 0 ? 1 : *end == 'm' ? 60
			: *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
		if(!mul || (*end && end[1]))
			die(EX_USAGE_, "--since %s: use 30m, 2h, 1d or epoch "
				"seconds", s);
		opt.since = (uint64_t)time(NULL) - v * mul;
	}
}

int
main(int argc, char** argv)
{
	static const struct option lo[] = {
		REDIS_CLI_LONG,
		{ "count", required_argument, NULL, 'N' },
		{ "day", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 'S' },
		{ "days", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 1007 },
		{ "for", required_argument, NULL, 1001 },
		{ "domain", required_argument, NULL, 1002 },
		{ "reason", required_argument, NULL, 1003 },
		{ NULL, 0, NULL, 0 }
	};
	struct mxg_conf* cfg = mxg_conf_new();
	struct redis_cli cli;
	struct mxg_redis_opts ro;
	struct mxg_redis* rc;
	const char* c;
	char err[4096], *end;
	int ch, ret;
	if(!cfg)
		die(EX_USAGE_, "out of memory");
	opt.count = 20;
	opt.days = 7;
	mxg_redis_day(opt.day, (uint64_t)time(NULL));
	memset(&cli, 0, sizeof(cli));
	/* besides $REDISCLI_AUTH, the environment of docs/mxguard-report.1 */
	cli.password_env = "MXGUARD_REDIS_PASSWORD";
	while((ch = getopt_long(argc, argv, REDIS_CLI_SHORT "N:d:S:D:jV", lo,
		NULL)) != -1) {
		if((ret = redis_cli_arg(&cli, ch, optarg, err, sizeof(err))) < 0)
			die(EX_USAGE_, "%s", err);
		if(ret)
			continue;
		switch(ch) {
		case 'N':
			opt.count = strtol(optarg, &end, 10);
			if(*end || opt.count < 1)
				die(EX_USAGE_, "--count %s: not a positive "
					"number", optarg);
			break;
		case 'd': parse_day(optarg); break;
		case 'S': parse_since(optarg); break;
		case 'D':
			opt.days = strtol(optarg, &end, 10);
			if(*end || opt.days < 1 || opt.days > 366)
				die(EX_USAGE_, "--days %s: 1 to 366", optarg);
			break;
		case 'j': opt.json = 1; break;
		case 1001:
			if(!(opt.block_for = parse_duration(optarg)))
				die(EX_USAGE_, "--for %s: use 30m, 2h, 1d or "
					"seconds", optarg);
			break;
		case 1002: opt.domain = optarg; break;
		case 1003: opt.reason = optarg; break;
		case 'V':
			printf("mxguard-report %s (schema %d)\n", MXG_VERSION,
				MXG_SCHEMA_VERSION);
			mxg_conf_free(cfg);
			return EX_OK_;
		case 1007:
			usage(stdout);
			mxg_conf_free(cfg);
			return EX_OK_;
		default:
			usage(stderr);
			mxg_conf_free(cfg);
			return EX_USAGE_;
		}
	}
	if(optind >= argc) {
		usage(stderr);
		mxg_conf_free(cfg);
		return EX_USAGE_;
	}
	if(!redis_cli_opts(&cli, cfg, &ro, err, sizeof(err)))
		die(EX_USAGE_, "config errors:\n%s", err);
	opt.prefix = ro.prefix ? ro.prefix : "mxg:";
	opt.prefix_v4 = cfg->client_prefix_v4;
	opt.prefix_v6 = cfg->client_prefix_v6;
	opt.ttl = cfg->redis_ttl;
	opt.maxlen = cfg->redis_stream_maxlen;
	if(!(rc = mxg_redis_new(&ro, err, sizeof(err))))
		die(EX_USAGE_, "%s", err);
	if(!mxg_redis_connect(rc, 0, err, sizeof(err)))
		die(EX_CONN, "%s", err);
	ctx = mxg_redis_context(rc);
	rconn = rc;
	check_schema();
	c = argv[optind];
	if(strcmp(c, "top-clients") == 0)
		ret = do_top_clients(0);
	else if(strcmp(c, "top-nonrelay") == 0)
		ret = do_top_clients(1);
	else if(strcmp(c, "top-domains") == 0)
		ret = do_top_domains();
	else if(strcmp(c, "client") == 0 && optind + 1 < argc)
		ret = do_client(argv[optind + 1]);
	else if(strcmp(c, "domain") == 0 && optind + 1 < argc)
		ret = do_domain(argv[optind + 1]);
	else if(strcmp(c, "alerts") == 0)
		ret = do_alerts();
	else if(strcmp(c, "flow") == 0)
		ret = do_flow(optind + 1 < argc ? argv[optind + 1] : NULL);
	else if(strcmp(c, "instances") == 0)
		ret = do_instances();
	else if(strcmp(c, "metrics") == 0)
		ret = do_metrics();
	else if(strcmp(c, "blocks") == 0)
		ret = do_blocks();
	else if(strcmp(c, "block") == 0 && optind + 1 < argc)
		ret = do_block(argv[optind + 1]);
	else if(strcmp(c, "unblock") == 0 && optind + 1 < argc)
		ret = do_unblock(argv[optind + 1]);
	else {
		fprintf(stderr, "mxguard-report: unknown command or missing "
			"argument: %s\n", c);
		usage(stderr);
		ret = EX_USAGE_;
	}
	mxg_redis_free(rc);
	redis_cli_free(&cli);
	mxg_conf_free(cfg);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/report_blocks.c - mxguard-report's blocks, block and unblock.
 */
/** \file
 * The blocks Redis holds (include/mxguard/blocks.h, read and written with
 * the module's own code in module/blocks.c): list them, block a client or
 * netblock for a time, lift blocks. See tools/report.h.
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

#include "report.h"

/** The blocks read. */
struct blocklist {
	/** entries */
	struct mxg_block* b;
	/** used, allocated */
	size_t n, cap;
};

/** mxg_blocks_read callback: collect. */
static void
block_collect(void* arg, const struct mxg_block* b, const char* v, size_t vl)
{
	struct blocklist* l = arg;
	if(l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct mxg_block* n = realloc(l->b, nc * sizeof(*n));
		if(!n)
			die(EX_USAGE_, "out of memory");
		l->b = n;
		l->cap = nc;
	}
	l->b[l->n++] = *b;
}

/** Read every block and lift in force. */
static void
blocks_get(struct blocklist* l)
{
	uint64_t gen = 0;
	int capped = 0;
	memset(l, 0, sizeof(*l));
	if(mxg_blocks_read(rconn, opt.prefix, &gen, 1, block_collect, l,
		(uint64_t)time(NULL), 0, &capped) < 0)
		die(EX_CONN, "redis: cannot read the blocks");
	if(capped)
		fprintf(stderr, "mxguard-report: the blocks hash has more than "
			"%d entries: only %d were read\n", MXG_BLOCKS_READ_MAX,
			MXG_BLOCKS_READ_MAX);
	ctx = mxg_redis_context(rconn);
}

/** Who runs this: user@host, for the records. */
static void
who(char* buf, size_t len)
{
	struct passwd* pw = getpwuid(getuid());
	const char* u = getenv("SUDO_USER");
	char host[256];
	if(!u || !*u)
		u = pw ? pw->pw_name : "?";
	if(gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = 0;
	snprintf(buf, len, "mxguard-report %.40s@%.64s", u, host);
}

/** Record a block or a lift in the alert stream. */
static void
block_alert(const struct mxg_block* b, const char* action)
{
	char* k = key("alerts", NULL, "");
	char* ml = str("%lu", (unsigned long)(opt.maxlen ? opt.maxlen :
		100000));
	char* ttl = str("%lu", (unsigned long)(opt.ttl ? opt.ttl : 691200));
	char tg[32], until[32];
	time_t now = time(NULL);
	struct tm tm;
	redisReply* r;
	gmtime_r(&now, &tm);
	strftime(tg, sizeof(tg), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	snprintf(until, sizeof(until), "%llu", (unsigned long long)b->until);
	r = cmd("XADD", k, "MAXLEN", "~", ml, "*", "TimeGenerated", tg,
		"EventType", "Block", "EventProduct", "mxguard",
		"EventVendor", "mxguard", "SrcIpAddr", b->client,
		"DnsQuery", b->base, "RuleName", b->rule, "DvcAction", action,
		"Dvc", b->instance, "BlockUntil", until, "Reason", b->reason,
		NULL);
	freeReplyObject(r);
	r = cmd("EXPIRE", k, ttl, NULL);
	freeReplyObject(r);
	free(k);
	free(ml);
	free(ttl);
}

/** The base domain of --domain: lowercase, no trailing dot. */
static void
domain_opt(char* buf, size_t len)
{
	size_t i, n;
	buf[0] = 0;
	if(!opt.domain)
		return;
	mxg_block_text(buf, len, opt.domain);
	n = strlen(buf);
	while(n && buf[n - 1] == '.')
		buf[--n] = 0;
	for(i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	if(!n)
		die(EX_USAGE_, "--domain %s: not a domain", opt.domain);
}

/** blocks: every block in force, fleet-wide. */
int
do_blocks(void)
{
	struct table t = { 7, { "CLIENT", "DOMAIN", "RULE", "SINCE (UTC)",
		"EXPIRES (UTC)", "INSTANCE", "REASON" }, { "client", "domain",
		"rule", "since", "expires", "instance", "reason" }, { 0 },
		NULL, 0, 0 };
	struct blocklist l;
	size_t i;
	blocks_get(&l);
	for(i = 0; i < l.n; i++) {
		char s1[32], s2[32];
		if(l.b[i].until == 0)
			continue;
		table_add(&t, l.b[i].client, l.b[i].base, l.b[i].rule,
			fmt_time(s1, sizeof(s1), (long long)l.b[i].since),
			fmt_time(s2, sizeof(s2), (long long)l.b[i].until),
			l.b[i].instance, l.b[i].reason);
	}
	table_print(&t);
	free(l.b);
	return EX_OK_;
}

/** The client argument of block and unblock. */
static void
block_client(struct mxg_block* b, const char* arg)
{
	int bits;
	memset(b, 0, sizeof(*b));
	if(!mxg_block_set_client(b, arg))
		die(EX_USAGE_, "%s: not an IP address or netblock", arg);
	bits = (b->family == AF_INET ? opt.prefix_v4 : opt.prefix_v6) -
		b->plen;
	if(bits > 10)
		die(EX_USAGE_, "%s holds more than %d clients of /%d "
			"(client-prefix-v%d): block smaller netblocks", arg,
			MXG_BLOCK_EXPAND_MAX, b->family == AF_INET ?
			opt.prefix_v4 : opt.prefix_v6,
			b->family == AF_INET ? 4 : 6);
}

/** block IP|CIDR --for D [--domain D] [--reason T]. */
int
do_block(const char* arg)
{
	struct mxg_block b;
	if(!opt.block_for)
		die(EX_USAGE_, "block: --for DURATION is required (30m, 2h, "
			"1d)");
	block_client(&b, arg);
	domain_opt(b.base, sizeof(b.base));
	b.since = (uint64_t)time(NULL);
	b.until = b.since + opt.block_for;
	snprintf(b.rule, sizeof(b.rule), "%s", MXG_BLOCK_MANUAL);
	who(b.instance, sizeof(b.instance));
	mxg_block_text(b.instance, sizeof(b.instance), b.instance);
	mxg_block_text(b.reason, sizeof(b.reason), opt.reason ? opt.reason :
		"blocked by the operator");
	if(!mxg_blocks_write(rconn, opt.prefix, &b, 1, opt.ttl, 0))
		die(EX_CMD, "redis: cannot write the block");
	ctx = mxg_redis_context(rconn);
	block_alert(&b, "Block");
	printf("blocked %s%s%s until %s UTC\n", b.client, b.base[0] ?
		" for " : "", b.base, fmt_time((char[32]){0}, 32,
		(long long)b.until));
	return EX_OK_;
}

/** unblock IP|CIDR [--domain D] [--reason T]: lift every block listed
 * inside it (of that domain only with --domain). */
int
do_unblock(const char* arg)
{
	struct mxg_block q, *lift;
	struct blocklist l;
	size_t i, n = 0;
	char dom[1025];
	block_client(&q, arg);
	domain_opt(dom, sizeof(dom));
	blocks_get(&l);
	lift = calloc(l.n + 1, sizeof(*lift));
	if(!lift)
		die(EX_USAGE_, "out of memory");
	for(i = 0; i < l.n; i++) {
		const struct mxg_block* b = &l.b[i];
		if(b->until == 0)
			continue;
		if(!mxg_block_covers(&q, b->family, b->addr, b->plen)) {
			if(mxg_block_covers(b, q.family, q.addr, q.plen) &&
				(!dom[0] || strcmp(dom, b->base) == 0))
				fprintf(stderr, "mxguard-report: %s is inside "
					"the block of %s%s%s: unblock %s to "
					"lift it\n", q.client, b->client,
					b->base[0] ? " for " : "", b->base,
					b->client);
			continue;
		}
		if(dom[0] && strcmp(dom, b->base) != 0)
			continue;
		lift[n++] = *b;
	}
	if(n == 0) {
		/* nothing listed (yet): lift the key itself anyway */
		lift[0] = q;
		memcpy(lift[0].base, dom, sizeof(dom));
		n = 1;
		fprintf(stderr, "mxguard-report: no block of %s%s%s is "
			"listed; the lift is sent anyway\n", q.client,
			dom[0] ? " for " : "", dom);
	}
	for(i = 0; i < n; i++) {
		lift[i].until = 0;
		lift[i].since = (uint64_t)time(NULL);
		snprintf(lift[i].rule, sizeof(lift[i].rule), "%s",
			MXG_BLOCK_LIFT);
		who(lift[i].instance, sizeof(lift[i].instance));
		mxg_block_text(lift[i].instance, sizeof(lift[i].instance),
			lift[i].instance);
		mxg_block_text(lift[i].reason, sizeof(lift[i].reason),
			opt.reason ? opt.reason : "lifted by the operator");
	}
	if(!mxg_blocks_write(rconn, opt.prefix, lift, n, opt.ttl, 0))
		die(EX_CMD, "redis: cannot write the lift");
	ctx = mxg_redis_context(rconn);
	for(i = 0; i < n; i++) {
		block_alert(&lift[i], "Unblock");
		printf("lifted %s%s%s\n", lift[i].client, lift[i].base[0] ?
			" for " : "", lift[i].base);
	}
	free(lift);
	free(l.b);
	return EX_OK_;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_keys.c - the Redis keys: records, heartbeat, fleet read-back.
 */
/** \file
 * The key names (docs/redis-schema.md) and what one record adds to them,
 * the heartbeat hash of an instance, and the fleet-wide per-minute counts
 * read back with GETRANGE. See module/redis_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/hash.h"
#include "mxguard/log.h"
#include "mxguard/mxguard.h"
#include "redis_int.h"

/* ------------------------------------------------------------------ */
/* Keys.                                                               */

size_t
mxg_redis_key(char* buf, size_t buflen, const char* prefix, const char* tag,
	size_t taglen, const char* suffix, size_t suffixlen)
{
	size_t pl = strlen(prefix);
	size_t need = pl + 1 + taglen + 1 + suffixlen;
	if(need + 1 > buflen) {
		if(buflen)
			buf[0] = 0;
		return 0;
	}
	memcpy(buf, prefix, pl);
	buf[pl] = '{';
	memcpy(buf + pl + 1, tag, taglen);
	buf[pl + 1 + taglen] = '}';
	memcpy(buf + pl + 2 + taglen, suffix, suffixlen);
	buf[need] = 0;
	return need;
}

void
mxg_redis_day(char* buf, uint64_t epoch_s)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 9, "%Y%m%d", &tm);
}

/* ------------------------------------------------------------------ */
/* The keys of a record.                                               */

/** Size of a key buffer of a record (a longer key is not written). */
#define KEY_MAX REDIS_KEY_MAX
/** Longest hash tag ("kind:name") of a record's key. */
#define TAG_MAX 1200

/** Start an entity key in buf (KEY_MAX bytes): prefix{kind:name}.
 * @return its length, or 0 if the tag is longer than TAG_MAX or no key of
 *	the entity fits (its keys are then not written). */
static size_t
ent_start(const struct mxg_redis* r, char* buf, const char* kind, size_t kl,
	const char* name, size_t nl)
{
	size_t pl = r->prefix_len;
	if(kl + 1 + nl > TAG_MAX || pl + 3 + kl + nl + 1 > KEY_MAX)
		return 0;
	memcpy(buf, r->prefix, pl);
	buf[pl] = '{';
	memcpy(buf + pl + 1, kind, kl);
	buf[pl + 1 + kl] = ':';
	memcpy(buf + pl + 2 + kl, name, nl);
	buf[pl + 2 + kl + nl] = '}';
	return pl + 3 + kl + nl;
}

/** Put a suffix (s1 then s2) after an entity key of length el.
 * @return the key length, or 0 if el is 0 or the key does not fit. */
static size_t
ent_key(char* buf, size_t el, const char* s1, size_t l1, const char* s2,
	size_t l2)
{
	if(!el || el >= KEY_MAX || KEY_MAX - el < l1 + l2 + 1)
		return 0;
	memcpy(buf + el, s1, l1);
	if(l2)
		memcpy(buf + el + l1, s2, l2);
	return el + l1 + l2;
}

/** Texts of a minute (its number, its UTC day), kept while the minute
 * stays the same. */
static void
minute_texts(struct mxg_redis* r, uint64_t minute)
{
	if(minute == r->txt_minute)
		return;
	r->min_len = redis_u64_text(r->min_txt, minute);
	/* a day is a whole number of minutes */
	mxg_redis_day(r->day_txt, minute * 60);
	r->txt_minute = minute;
}

/** Numbers of the key suffixes of a record (they go into the key hashes). */
enum key_suffix {
	KS_CM = 1, KS_DM, KS_CH, KS_CD, KS_DH, KS_HLL, KS_YC, KS_YD, KS_YN, KS_YR
};

/** A key of a record as a merge-table string: its bytes in buf, its hash
 * from the entity's hash, the suffix and the minute or day, so the key's
 * bytes are hashed never and copied only when the batch has not seen it. */
static void
key_str(struct agg_str* k, const char* buf, size_t len, uint64_t eh,
	enum key_suffix suffix, uint64_t t)
{
	k->s = buf;
	k->len = len;
	k->gen = 0;
	k->h = mxg_fmix64(eh ^ ((uint64_t)suffix * MXG_HASH_K) ^
		(t * 0xff51afd7ed558ccdULL));
}

/** Build the day's keys of r->day_txt (struct mxg_redis.yk). */
static void
day_keys(struct mxg_redis* r, uint64_t day)
{
	static const char* const suf[4] = { ":clients", ":domains",
		":nonrelay", ":rules" };
	static const enum key_suffix ks[4] = { KS_YC, KS_YD, KS_YN, KS_YR };
	int i;
	for(i = 0; i < 4; i++) {
		size_t ye = ent_start(r, r->ykb[i], "day", 3, r->day_txt, 8);
		size_t kl = ent_key(r->ykb[i], ye, suf[i], strlen(suf[i]), "",
			0);
		key_str(&r->yk[i], r->ykb[i], kl, 0, ks[i], day);
	}
	r->yk_day = day;
}

/** A member or field as a merge-table string. */
static void
mem_str(struct agg_str* m, const char* s, size_t len, uint64_t h)
{
	m->s = s;
	m->len = len;
	m->h = h;
	m->gen = 0;
}

/** Decimal text of an epoch second, kept for the last two seconds (the
 * records of a batch share a few). @return the text (not NUL-terminated),
 * its length in *len. */
static const char*
sec_text(struct mxg_redis* r, uint64_t s, size_t* len)
{
	int i = (int)(s & 1);
	if(r->sec_v[i] != s || !r->sec_len[i]) {
		r->sec_len[i] = (uint8_t)redis_u64_text(r->sec_txt[i], s);
		r->sec_v[i] = s;
	}
	*len = r->sec_len[i];
	return r->sec_txt[i];
}

/** The fields every entity hash (client, domain) gets per lookup: count,
 * alerts, last, and first when the key is new. */
static void
entity_hash(struct mxg_redis* r, struct agg_str* key, const struct pre_ent* g,
	const char* ft, size_t fl, const char* lt, size_t ll)
{
	struct agg_str f;
	/* "first" needs setting only when the memo has not seen the key
	 * lately (then it exists with its first field) */
	mem_str(&f, "count", 5, 1);
	if(redis_agg_count(r, AG_HINCR, key, &f, (int64_t)g->n, AG_EXPIRE,
		r->ttl)) {
		mem_str(&f, "first", 5, 2);
		redis_agg_add(&r->agg, AG_HSETNX, key, &f, ft, fl, 0,
			g->seq_first);
	}
	if(g->alert) {
		mem_str(&f, "alerts", 6, 3);
		redis_agg_add(&r->agg, AG_HINCR, key, &f, "", 0, (int64_t)g->n,
			0);
	}
	mem_str(&f, "last", 4, 4);
	redis_agg_add(&r->agg, AG_HSET, key, &f, lt, ll, 0, g->seq_last);
}

/** Merge the counter operations of a (pre-aggregated) record: every
 * amount is multiplied by its number of lookups. */
void
redis_add_group(struct mxg_redis* r, const struct pre_ent* g, const char* blob)
{
	struct agg* a = &r->agg;
	char ck[KEY_MAX], dk[KEY_MAX], num[24], ftb[24];
	const char *ft, *lt;
	const char* client = blob;
	const char* base = client + g->sl[0] + 1;
	const char* country = base + g->sl[1] + 1;
	const char* as_org = country + g->sl[2] + 1;
	const char* category = as_org + g->sl[3] + 1;
	size_t cl = g->sl[0], bl = g->sl[1], ce, de, kl, fl, ll;
	int64_t n = (int64_t)g->n;
	uint64_t hc, hd, day = g->minute / 1440;
	struct agg_str k, mc, md, f;
	uint32_t minttl = r->ttl < MXG_REDIS_MINUTE_TTL ? r->ttl
		: MXG_REDIS_MINUTE_TTL;
	minute_texts(r, g->minute);
	lt = sec_text(r, g->last_s, &ll);
	if(g->first_s == g->last_s) {
		ft = lt;
		fl = ll;
	} else if((g->first_s ^ g->last_s) & 1)
		ft = sec_text(r, g->first_s, &fl);	/* the other slot */
	else {
		/* the same slot as last's: its own text */
		fl = redis_u64_text(ftb, g->first_s);
		ft = ftb;
	}
	ce = ent_start(r, ck, "c", 1, client, cl);
	de = ent_start(r, dk, "d", 1, base, bl);
	if(day != r->yk_day)
		day_keys(r, day);
	/* the client and the domain are hashed once: their keys' hashes
	 * derive from these, and they are the members of the sets */
	hc = mxg_hash_bytes(0x63, client, cl);
	hd = mxg_hash_bytes(0x64, base, bl);
	mem_str(&mc, client, cl, hc);
	mem_str(&md, base, bl, hd);

	/* per-minute buckets of the client and the domain */
	if((kl = ent_key(ck, ce, ":m:", 3, r->min_txt, r->min_len))) {
		key_str(&k, ck, kl, hc, KS_CM, g->minute);
		redis_agg_count(r, AG_INCR, &k, NULL, n, AG_EXPIRE_NX, minttl);
	}
	if((kl = ent_key(dk, de, ":m:", 3, r->min_txt, r->min_len))) {
		key_str(&k, dk, kl, hd, KS_DM, g->minute);
		redis_agg_count(r, AG_INCR, &k, NULL, n, AG_EXPIRE_NX, minttl);
	}

	/* per client: hash, and domains of the day */
	if((kl = ent_key(ck, ce, ":h", 2, "", 0))) {
		key_str(&k, ck, kl, hc, KS_CH, 0);
		entity_hash(r, &k, g, ft, fl, lt, ll);
		mem_str(&f, "relay", 5, 5);
		redis_agg_add(a, AG_HSET, &k, &f, g->relay ? "1" : "0", 1, 0,
			g->seq_last);
	}
	if((kl = ent_key(ck, ce, ":d:", 3, r->day_txt, 8))) {
		key_str(&k, ck, kl, hc, KS_CD, day);
		redis_agg_count(r, AG_ZINCR, &k, &md, n, AG_EXPIRE, r->ttl);
	}

	/* per domain: hash, distinct clients (the count per domain per day
	 * is its score in the day's domains set below) */
	if((kl = ent_key(dk, de, ":h", 2, "", 0))) {
		key_str(&k, dk, kl, hd, KS_DH, 0);
		entity_hash(r, &k, g, ft, fl, lt, ll);
		if(g->sl[2]) {
			mem_str(&f, "country", 7, 6);
			redis_agg_add(a, AG_HSET, &k, &f, country, g->sl[2], 0,
				g->seq_last);
		}
		if(g->asn) {
			mem_str(&f, "asn", 3, 7);
			redis_agg_add(a, AG_HSET, &k, &f, num,
				redis_u64_text(num, g->asn), 0, g->seq_last);
		}
		if(g->sl[3]) {
			mem_str(&f, "as_org", 6, 8);
			redis_agg_add(a, AG_HSET, &k, &f, as_org, g->sl[3], 0,
				g->seq_last);
		}
		if(g->sl[4]) {
			mem_str(&f, "category", 8, 9);
			redis_agg_add(a, AG_HSET, &k, &f, category, g->sl[4], 0,
				g->seq_last);
		}
	}
	if((kl = ent_key(dk, de, ":hll", 4, "", 0))) {
		key_str(&k, dk, kl, hd, KS_HLL, 0);
		redis_agg_count(r, AG_PFADD, &k, &mc, 0, AG_EXPIRE, r->ttl);
	}

	/* top lists of the day */
	if(r->yk[0].len)
		redis_agg_count(r, AG_ZINCR, &r->yk[0], &mc, n, AG_EXPIRE,
			r->ttl);
	if(r->yk[1].len)
		redis_agg_count(r, AG_ZINCR, &r->yk[1], &md, n, AG_EXPIRE,
			r->ttl);
	if(!g->relay && r->yk[2].len)
		redis_agg_count(r, AG_ZINCR, &r->yk[2], &mc, n, AG_EXPIRE,
			r->ttl);
	if(g->alert && r->yk[3].len) {
		const char* rn = mxg_rule_name((enum mxg_rule_id)g->rule);
		if(!rn)
			rn = "none";
		mem_str(&f, rn, strlen(rn), mxg_hash_bytes(0x72, rn,
			strlen(rn)));
		redis_agg_count(r, AG_HINCR, &r->yk[3], &f, n, AG_EXPIRE,
			r->ttl);
	}
}

/* ------------------------------------------------------------------ */
/* The heartbeat and the fleet read-back.                             */

/** Append a fully built argv command, counting it. */
static int
append_argv(struct mxg_redis* r, int argc, const char** argv,
	const size_t* len, size_t* ncmd)
{
	if(redisAppendCommandArgv(r->c, argc, argv, len) != REDIS_OK)
		return 0;
	(*ncmd)++;
	return 1;
}

/** Key for an entity into buf: prefix{kind:name}suffix. */
static size_t
ekey(struct mxg_redis* r, char* buf, size_t buflen, const char* kind,
	const char* name, const char* suffix)
{
	char tag[TAG_MAX];
	size_t kl = strlen(kind), nl = strlen(name);
	if(kl + 1 + nl > sizeof(tag))
		return 0;
	memcpy(tag, kind, kl);
	tag[kl] = ':';
	memcpy(tag + kl + 1, name, nl);
	return mxg_redis_key(buf, buflen, r->prefix, tag, kl + 1 + nl, suffix,
		strlen(suffix));
}

int
mxg_redis_heartbeat(struct mxg_redis* r, const struct mxg_redis_heartbeat* hb,
	uint64_t now_ms)
{
	char key[512], idx[256], skey[256];
	char v[13][24], ttl[24], hbttl[24], sv[24];
	const char* argv[2 + 2 * 16 + 2 * MXG_REDIS_HB_EXTRA];
	size_t len[2 + 2 * 16 + 2 * MXG_REDIS_HB_EXTRA];
	size_t kl, il, sl, ncmd = 0, x;
	int argc = 0, k = 0;
	const char* inst = hb->instance ? hb->instance : "";
	if(!r->c)
		return 0;
	kl = ekey(r, key, sizeof(key), "inst", inst, "");
	il = mxg_redis_key(idx, sizeof(idx), r->prefix, "inst", 4, ":all", 4);
	sl = mxg_redis_key(skey, sizeof(skey), r->prefix, "meta", 4,
		":schema", 7);
	if(!kl || !il || !sl)
		return 1;
#define HB_STR(f, s) do { argv[argc] = (f); len[argc++] = strlen(f); \
	argv[argc] = (s); len[argc++] = strlen(s); } while(0)
#define HB_NUM(f, x) do { snprintf(v[k], sizeof(v[k]), "%llu", \
	(unsigned long long)(x)); HB_STR(f, v[k]); k++; } while(0)
	argv[argc] = "HSET"; len[argc++] = 4;
	argv[argc] = key; len[argc++] = kl;
	HB_STR("version", MXG_VERSION);
	HB_NUM("schema", MXG_SCHEMA_VERSION);
	HB_STR("mode", hb->mode ? hb->mode : "");
	HB_NUM("started", hb->started);
	HB_NUM("last_seen", hb->now);
	HB_NUM("queued", hb->queued);
	HB_NUM("sent", hb->sent);
	HB_NUM("dropped", hb->dropped);
	HB_NUM("unsent", hb->unsent);
	HB_NUM("errors", hb->errors);
	HB_NUM("logged", hb->logged);
	HB_NUM("log_suppressed", hb->log_suppressed);
	HB_NUM("queue_size", hb->queue_size);
	HB_NUM("fleet", hb->fleet ? 1 : 0);
	for(x = 0; hb->extra && x < hb->n_extra && x < MXG_REDIS_HB_EXTRA;
		x++)
		HB_STR(hb->extra[2 * x], hb->extra[2 * x + 1]);
#undef HB_NUM
#undef HB_STR
	if(!append_argv(r, argc, argv, len, &ncmd))
		goto fail;
	snprintf(hbttl, sizeof(hbttl), "%d", MXG_REDIS_HEARTBEAT_TTL);
	{
		const char* a[3] = { "EXPIRE", key, hbttl };
		size_t l[3] = { 6, kl, strlen(hbttl) };
		if(!append_argv(r, 3, a, l, &ncmd))
			goto fail;
	}
	snprintf(sv, sizeof(sv), "%llu", (unsigned long long)hb->now);
	{
		const char* a[4] = { "ZADD", idx, sv, inst };
		size_t l[4] = { 4, il, strlen(sv), strlen(inst) };
		if(!append_argv(r, 4, a, l, &ncmd))
			goto fail;
	}
	snprintf(ttl, sizeof(ttl), "%u", (unsigned)r->ttl);
	{
		const char* a[3] = { "EXPIRE", idx, ttl };
		size_t l[3] = { 6, il, strlen(ttl) };
		if(!append_argv(r, 3, a, l, &ncmd))
			goto fail;
	}
	snprintf(sv, sizeof(sv), "%d", MXG_SCHEMA_VERSION);
	{
		const char* a[5] = { "SET", skey, sv, "EX", ttl };
		size_t l[5] = { 3, sl, strlen(sv), 2, strlen(ttl) };
		if(!append_argv(r, 5, a, l, &ncmd))
			goto fail;
	}
	return redis_read_replies(r, ncmd, now_ms);
fail:
	redis_conn_failed(r, now_ms, "cannot queue commands (out of memory)");
	return 0;
}

/** A fleet value: a decimal integer of 1 to 20 digits that fits 64 bits;
 * anything else (text, a sign, a longer value, cut by GETRANGE) is 0. */
static uint64_t
fleet_value(const redisReply* e)
{
	uint64_t v = 0;
	size_t i;
	if(!e)
		return 0;
	if(e->type == REDIS_REPLY_INTEGER)
		return e->integer > 0 ? (uint64_t)e->integer : 0;
	if(e->type != REDIS_REPLY_STRING || !e->str || e->len == 0 ||
		e->len > MXG_FLEET_DIGITS)
		return 0;
	for(i = 0; i < e->len; i++) {
		unsigned d = (unsigned)(unsigned char)e->str[i] - '0';
		if(d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	return v;
}

int
mxg_redis_read_minutes(struct mxg_redis* r, const char* const* clients,
	size_t nclients, uint64_t minute, unsigned nmin, uint64_t* out,
	uint64_t now_ms)
{
	char key[128], end[8];
	const char* argv[4];
	size_t len[4];
	size_t i, ncmd = 0, elen;
	unsigned m;
	if(!r->c)
		return 0;
	if(nmin > 60)
		nmin = 60;
	memset(out, 0, nclients * nmin * sizeof(*out));
	/* GETRANGE, not MGET: a value is read up to one byte past the
	 * longest number, so a huge value (a hostile or broken writer) is
	 * never read whole */
	elen = (size_t)snprintf(end, sizeof(end), "%d", MXG_FLEET_DIGITS);
	argv[0] = "GETRANGE";
	len[0] = 8;
	argv[2] = "0";
	len[2] = 1;
	argv[3] = end;
	len[3] = elen;
	for(i = 0; i < nclients; i++) {
		for(m = 0; m < nmin; m++) {
			char suf[32];
			snprintf(suf, sizeof(suf), ":m:%llu",
				(unsigned long long)(minute - m));
			len[1] = ekey(r, key, sizeof(key), "c", clients[i],
				suf);
			argv[1] = key;
			if(!append_argv(r, 4, argv, len, &ncmd)) {
				redis_conn_failed(r, now_ms, "cannot queue "
					"commands");
				return 0;
			}
		}
	}
	redis_deadline_start(r);
	for(i = 0; i < ncmd; i++) {
		redisReply* rep = redis_next_reply(r, "GETRANGE", now_ms);
		if(!rep)
			return 0;
		if(!redis_reply_error(r, "GETRANGE", rep))
			out[i] = fleet_value(rep);
		freeReplyObject(rep);
	}
	return 1;
}

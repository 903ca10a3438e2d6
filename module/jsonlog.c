/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/jsonlog.c - JSON log lines with ASIM DNS field names.
 */
/** \file
 * Formats the LOG action's JSON lines (field list in include/mxguard/jsonlog.h)
 * and limits their rate. Names arrive in wire format and may hold any byte:
 * they are rendered as presentation text with \DDD escapes first (so the
 * text is ASCII), then JSON-escaped. Other strings (the reason, AS names) go
 * through mxg_jsonlog_escape, which keeps valid UTF-8 and escapes everything
 * else, so every line is valid JSON whatever the input.
 *
 * The rate limiter is the generic cell rate algorithm (GCRA), which behaves
 * as a token bucket of `rate` tokens refilled at `rate` per second, but keeps
 * its whole state in one 64-bit word: the theoretical arrival time (TAT) of
 * the next line, in units of 1/rate ms. A line at time now is allowed when
 * max(TAT, now) + 1000 - now <= rate * 1000 (the bucket is not empty); the
 * new TAT is then stored with a compare-and-swap, retried if another thread
 * got there first. No lock, no allocation; the time is an argument so tests
 * use a fake clock.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "mxguard/jsonlog.h"
#include "mxguard/category.h"
#include "mxguard/mxguard.h"

/** An output buffer that never cuts a piece in half. */
struct out {
	/** the buffer */
	char* buf;
	/** its size */
	size_t cap;
	/** bytes written (or that would have been, once full) */
	size_t len;
	/** a piece did not fit; nothing more is written */
	int full;
};

/** Start an output into dst: empty, or already full when there is no room
 * at all (dstlen 0). */
static void
out_init(struct out* o, char* dst, size_t dstlen)
{
	o->buf = dst;
	o->cap = dstlen;
	o->len = 0;
	o->full = 0;
	if(dst && dstlen)
		dst[0] = 0;
	else
		o->full = 1;
}

/** Append n bytes as one piece (all or nothing). */
static void
put(struct out* o, const char* s, size_t n)
{
	if(!o->full && o->len + n < o->cap) {
		memcpy(o->buf + o->len, s, n);
		o->buf[o->len + n] = 0;
	} else
		o->full = 1;
	o->len += n;
}

/** Append a NUL-terminated string. */
static void
put_str(struct out* o, const char* s)
{
	put(o, s, strlen(s));
}

/** Length of a valid UTF-8 sequence (2..4) at s, 0 if not valid
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t
utf8_len(const uint8_t* s, size_t n)
{
	uint8_t c = s[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t need, i;
	if(c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if(c >= 0xe0 && c <= 0xef) {
		need = 2;
		if(c == 0xe0)
			lo = 0xa0;
		else if(c == 0xed)
			hi = 0x9f;
	} else if(c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if(c == 0xf0)
			lo = 0x90;
		else if(c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if(n < need + 1)
		return 0;
	if(s[1] < lo || s[1] > hi)
		return 0;
	for(i = 2; i <= need; i++)
		if(s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

static int utf8_hidden(const uint8_t* s, size_t u);

/** Append src JSON-escaped (see mxg_jsonlog_escape). */
static void
put_escaped(struct out* o, const uint8_t* s, size_t n)
{
	size_t i = 0;
	while(i < n) {
		size_t run = i, u;
		char esc[8];
		/* copy a run of plain characters in one piece */
		while(run < n && s[run] >= 0x20 && s[run] < 0x7f &&
			s[run] != '"' && s[run] != '\\')
			run++;
		if(run > i) {
			put(o, (const char*)s + i, run - i);
			i = run;
			continue;
		}
		switch(s[i]) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		case '\b': put(o, "\\b", 2); break;
		case '\f': put(o, "\\f", 2); break;
		default:
			if(s[i] >= 0x80 && (u = utf8_len(s + i, n - i))) {
				/* C1 controls (U+0080..U+009F, 8-bit terminal
				 * escapes) and U+2028/U+2029 (line ends to
				 * JavaScript and some log tools) are escaped */
				unsigned cp = 0;
				if(utf8_hidden(s + i, u))
					cp = u == 2 ? s[i + 1] :
						0x2000u | (s[i + 2] - 0x80u);
				if(cp) {
					snprintf(esc, sizeof(esc), "\\u%04x",
						cp & 0xffffu);
					put(o, esc, 6);
				} else	put(o, (const char*)s + i, u);
				i += u;
				continue;
			}
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)s[i]);
			put(o, esc, 6);
		}
		i++;
	}
}

/** Is the valid UTF-8 sequence at s (u bytes) a C1 control or U+2028 or
 * U+2029? Those are escaped in JSON and in terminal text. */
static int
utf8_hidden(const uint8_t* s, size_t u)
{
	return (u == 2 && s[0] == 0xc2 && s[1] <= 0x9f) ||
		(u == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
		(s[2] == 0xa8 || s[2] == 0xa9));
}

size_t
mxg_jsonlog_term_text(char* dst, size_t dstlen, const void* src,
	size_t srclen)
{
	const uint8_t* s = (const uint8_t*)src;
	struct out o;
	size_t i = 0, u;
	char hx[8];
	out_init(&o, dst, dstlen);
	while(i < srclen) {
		if(s[i] >= 0x20 && s[i] < 0x7f) {
			put(&o, (const char*)s + i, 1);
			i++;
			continue;
		}
		if(s[i] >= 0x80 && (u = utf8_len(s + i, srclen - i)) &&
			!utf8_hidden(s + i, u)) {
			put(&o, (const char*)s + i, u);
			i += u;
			continue;
		}
		/* a control, DEL, a byte of invalid UTF-8: each byte as \xHH;
		 * a hidden sequence: all its bytes */
		u = s[i] >= 0x80 && (u = utf8_len(s + i, srclen - i)) ? u : 1;
		for(; u > 0; u--, i++) {
			snprintf(hx, sizeof(hx), "\\x%02x", (unsigned)s[i]);
			put(&o, hx, 4);
		}
	}
	return o.len;
}

size_t
mxg_jsonlog_escape(char* dst, size_t dstlen, const void* src, size_t srclen)
{
	struct out o;
	out_init(&o, dst, dstlen);
	put_escaped(&o, (const uint8_t*)src, srclen);
	return o.len;
}

int
mxg_jsonlog_name_text(char* dst, size_t dstlen, const uint8_t* wire,
	size_t len, int lower)
{
	struct out o;
	size_t pos = 0;
	int labels = 0;
	if(!dst || dstlen == 0)
		return 0;
	out_init(&o, dst, dstlen);
	if(!wire)
		return 0;
	if(len > 255)
		len = 255;
	for(;;) {
		uint8_t lab;
		size_t i;
		if(pos >= len)
			return 0; /* no root label */
		lab = wire[pos++];
		if(lab == 0)
			break;
		if(lab > 63 || pos + lab > len)
			return 0; /* compression pointer, bad type, overrun */
		if(labels++)
			put(&o, ".", 1);
		for(i = 0; i < lab; i++) {
			uint8_t c = wire[pos + i];
			char t[5];
			if(lower && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if(c == '.' || c == '\\') {
				t[0] = '\\';
				t[1] = (char)c;
				put(&o, t, 2);
			} else if(c > 0x20 && c < 0x7f) {
				t[0] = (char)c;
				put(&o, t, 1);
			} else {
				snprintf(t, sizeof(t), "\\%03u", (unsigned)c);
				put(&o, t, 4);
			}
		}
		pos += lab;
	}
	if(labels == 0)
		put(&o, ".", 1);
	return !o.full;
}

/** Name of an rcode; unnamed ones in tmp as "RCODEn". */
static const char*
rcode_name(unsigned rc, char* tmp, size_t tmplen)
{
	static const char* const names[] = { "NOERROR", "FORMERR",
		"SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if(rc < sizeof(names)/sizeof(names[0]))
		return names[rc];
	snprintf(tmp, tmplen, "RCODE%u", rc);
	return tmp;
}

/** Name of a query type; unnamed ones in tmp as "TYPEn". */
static const char*
qtype_name(unsigned t, char* tmp, size_t tmplen)
{
	switch(t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 255: return "ANY";
	}
	snprintf(tmp, tmplen, "TYPE%u", t);
	return tmp;
}

/** An address as text ("" for an unknown family). */
static void
addr_text(int family, const uint8_t* a, char* buf, size_t len)
{
	buf[0] = 0;
	if(family == AF_INET || family == AF_INET6) {
		if(!inet_ntop(family, a, buf, (socklen_t)len))
			buf[0] = 0;
	}
}

/** Where the fields of a line go: the callback, and whether it said stop. */
struct emit {
	/** the receiver */
	mxg_jsonlog_field_fn fn;
	/** its argument */
	void* arg;
	/** 0 once fn returned 0: nothing more is sent */
	int ok;
};

/** A string field (raw bytes; the receiver escapes them). */
static void
field_str(struct emit* e, const char* k, const char* v, size_t n)
{
	if(e->ok)
		e->ok = e->fn(e->arg, k, v, n, 1);
}

/** A string field from a NUL-terminated string. */
static void
field_cstr(struct emit* e, const char* k, const char* v)
{
	field_str(e, k, v, strlen(v));
}

/** A number field. */
static void
field_num(struct emit* e, const char* k, unsigned long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", v);
	if(e->ok)
		e->ok = e->fn(e->arg, k, num, (size_t)n, 0);
}

/** A boolean field. */
static void
field_bool(struct emit* e, const char* k, int v)
{
	if(e->ok)
		e->ok = e->fn(e->arg, k, v ? "true" : "false", v ? 4 : 5, 0);
}

/** First MX host result with a known country (or ASN, per want_asn). */
static const struct mxg_geo_result*
first_geo(const struct mxg_event* ev, const struct mxg_jsonlog_ctx* ctx,
	int want_asn)
{
	int i, n = ev->n_addr < MXG_EVENT_MAX_ADDR ? ev->n_addr :
		MXG_EVENT_MAX_ADDR;
	if(!ctx)
		return NULL;
	for(i = 0; i < n; i++) {
		const struct mxg_geo_result* g = &ctx->mx_geo[i];
		if(want_asn ? g->asn != 0 : g->country[0] != 0)
			return g;
	}
	return NULL;
}

/** Text of the event's base domain, lowercase. @return 1 if ok. */
static int
base_text(const struct mxg_event* ev, char* buf, size_t len)
{
	size_t off = ev->base_off;
	if(off >= ev->qname_len)
		off = 0;
	return mxg_jsonlog_name_text(buf, len, ev->qname + off,
		ev->qname_len - off, 1);
}

void
mxg_jsonlog_ctx_fill(struct mxg_jsonlog_ctx* ctx,
	const struct mxg_event* ev, const struct mxg_geo* geo,
	const struct mxg_category* cat, const char* instance)
{
	int i, n;
	memset(ctx, 0, sizeof(*ctx));
	ctx->instance = instance;
	if(!ev)
		return;
	n = ev->n_addr < MXG_EVENT_MAX_ADDR ? ev->n_addr : MXG_EVENT_MAX_ADDR;
	if(geo) {
		for(i = 0; i < n; i++)
			(void)mxg_geo_lookup(geo, ev->mx_family[i],
				ev->mx_addr[i], &ctx->mx_geo[i]);
		if(ev->upstream_family)
			(void)mxg_geo_lookup(geo, ev->upstream_family,
				ev->upstream_addr, &ctx->upstream_geo);
	}
	if(cat) {
		char name[MXG_NAME_TEXT_MAX];
		if(base_text(ev, name, sizeof(name)))
			ctx->category = mxg_category_lookup(cat, name);
	}
}

int
mxg_jsonlog_fields(const struct mxg_event* ev,
	const struct mxg_jsonlog_ctx* ctx, mxg_jsonlog_field_fn fn, void* arg)
{
	struct emit e, *o = &e;
	int i, n, shown;
	char tmp[MXG_NAME_TEXT_MAX], num[32];
	/* DnsResponseName: every MX host address and a comma */
	char hosts[MXG_EVENT_MAX_ADDR * (INET6_ADDRSTRLEN + 1)];
	size_t hlen = 0;
	const struct mxg_geo_result* g;
	time_t secs;
	struct tm tm;
	int has_rule = ev->rule < MXG_RULE_COUNT;
	int would = (ev->flags & MXG_EV_WOULD_REFUSE) != 0;
	const char* sev, *act;

	e.fn = fn;
	e.arg = arg;
	e.ok = 1;
	secs = (time_t)(ev->time_ms / 1000);
	if(!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (unsigned)(ev->time_ms % 1000));
	field_str(o, "TimeGenerated", tmp, (size_t)n);
	field_cstr(o, "EventType", "Query");
	field_cstr(o, "EventProduct", "mxguard");
	field_cstr(o, "EventVendor", "mxguard");
	field_cstr(o, "EventSchema", "Dns");
	field_cstr(o, "EventSchemaVersion", "0.1.7");
	field_num(o, "EventCount", 1);
	if(ev->rcode == MXG_RCODE_UNKNOWN)
		field_cstr(o, "EventResult", "NA");
	else {
		const char* rn = rcode_name(ev->rcode, num, sizeof(num));
		field_cstr(o, "EventResult",
			ev->rcode == 0 ? "Success" : "Failure");
		field_cstr(o, "EventResultDetails", rn);
		field_cstr(o, "DnsResponseCodeName", rn);
		field_num(o, "DnsResponseCode", ev->rcode);
	}
	if(!has_rule || ev->action == MXG_ACT_PASS)
		sev = would ? "High" : "Informational";
	else if(would || ev->action == MXG_ACT_REFUSE)
		sev = "High";
	else if(ev->action == MXG_ACT_TAG)
		sev = "Medium";
	else
		sev = "Low";
	field_cstr(o, "EventSeverity", sev);

	addr_text(ev->client_family, ev->client_addr, tmp, sizeof(tmp));
	field_cstr(o, "SrcIpAddr", tmp);
	field_cstr(o, "NetworkProtocol",
		(ev->flags & MXG_EV_TCP) ? "TCP" : "UDP");

	(void)mxg_jsonlog_name_text(tmp, sizeof(tmp), ev->qname,
		ev->qname_len, 0);
	field_cstr(o, "DnsQuery", tmp);
	field_num(o, "DnsQueryType", ev->qtype);
	field_cstr(o, "DnsQueryTypeName",
		qtype_name(ev->qtype, num, sizeof(num)));

	/* DnsResponseName: the MX host addresses, comma-separated */
	n = ev->n_addr < MXG_EVENT_MAX_ADDR ? ev->n_addr : MXG_EVENT_MAX_ADDR;
	for(i = 0, shown = 0; i < n; i++) {
		size_t l;
		addr_text(ev->mx_family[i], ev->mx_addr[i], tmp, sizeof(tmp));
		if(!tmp[0] || (l = strlen(tmp)) + 1 > sizeof(hosts) - hlen)
			continue;
		if(shown++)
			hosts[hlen++] = ',';
		memcpy(hosts + hlen, tmp, l);
		hlen += l;
	}
	field_str(o, "DnsResponseName", hosts, hlen);
	field_num(o, "MxRecordCount", ev->n_mx);
	field_num(o, "MxShapeScore", ev->shape_score);
	if((g = first_geo(ev, ctx, 0)))
		field_cstr(o, "DnsResponseIpCountry", g->country);
	if((g = first_geo(ev, ctx, 1))) {
		field_num(o, "DnsResponseIpAsn", g->asn);
		if(g->as_org[0])
			field_str(o, "DnsResponseIpAsOrg", g->as_org,
				strnlen(g->as_org, sizeof(g->as_org)));
	}
	if(ev->upstream_family) {
		addr_text(ev->upstream_family, ev->upstream_addr, tmp,
			sizeof(tmp));
		if(tmp[0])
			field_cstr(o, "UpstreamIpAddr", tmp);
		if(ctx && ctx->upstream_geo.country[0])
			field_cstr(o, "UpstreamIpCountry",
				ctx->upstream_geo.country);
		if(ctx && ctx->upstream_geo.asn)
			field_num(o, "UpstreamIpAsn",
				ctx->upstream_geo.asn);
	}

	if(would)
		act = "Would block";
	else if(ev->action == MXG_ACT_REFUSE)
		act = "Block";
	else if(ev->action == MXG_ACT_TAG)
		act = "Tag";
	else
		act = "Allow";
	field_cstr(o, "DvcAction", act);
	if(has_rule) {
		enum mxg_rule_id r = (enum mxg_rule_id)ev->rule;
		field_cstr(o, "RuleName", mxg_rule_name(r));
		field_cstr(o, "ThreatCategory", mxg_rule_category(r));
		field_cstr(o, "AttackTechnique",
			mxg_rule_technique(r));
	}
	if(ev->reason[0])
		field_str(o, "Reason", ev->reason,
			strnlen(ev->reason, sizeof(ev->reason)));
	if(base_text(ev, tmp, sizeof(tmp)))
		field_cstr(o, "BaseDomain", tmp);
	if(ctx && ctx->category && ctx->category[0])
		field_cstr(o, "DomainCategory", ctx->category);
	field_bool(o, "IsRelay", (ev->flags & MXG_EV_RELAY) != 0);
	field_bool(o, "IsCached", (ev->flags & MXG_EV_CACHED) != 0);
	if(ev->flags & MXG_EV_RETRY)
		field_bool(o, "IsTcpRetry", 1);
	field_cstr(o, "Dvc",
		ctx && ctx->instance ? ctx->instance : "");
	return e.ok;
}

/** The line being written by mxg_jsonlog_format. */
struct line {
	/** the output */
	struct out o;
	/** no field written yet */
	int first;
};

/** mxg_jsonlog_field_fn of mxg_jsonlog_format: the field as JSON. */
static int
line_field(void* arg, const char* k, const char* v, size_t n, int is_str)
{
	struct line* l = arg;
	if(!l->first)
		put(&l->o, ",", 1);
	l->first = 0;
	put(&l->o, "\"", 1);
	put_str(&l->o, k);
	put(&l->o, "\":", 2);
	if(is_str) {
		put(&l->o, "\"", 1);
		put_escaped(&l->o, (const uint8_t*)v, n);
		put(&l->o, "\"", 1);
	} else
		put(&l->o, v, n);
	return 1;
}

size_t
mxg_jsonlog_format(char* buf, size_t buflen, const struct mxg_event* ev,
	const struct mxg_jsonlog_ctx* ctx)
{
	struct line l;
	if(!buf || buflen == 0)
		return 0;
	out_init(&l.o, buf, buflen);
	l.first = 1;
	put(&l.o, "{", 1);
	(void)mxg_jsonlog_fields(ev, ctx, line_field, &l);
	put(&l.o, "}\n", 2);
	if(l.o.full) {
		buf[0] = 0;
		return 0;
	}
	return l.o.len;
}

size_t
mxg_jsonlog_utf8(char* dst, const void* src, size_t srclen)
{
	const uint8_t* s = src;
	size_t i = 0, n = 0, u;
	while(i < srclen) {
		if(s[i] < 0x80) {
			dst[n++] = (char)s[i++];
		} else if((u = utf8_len(s + i, srclen - i))) {
			memcpy(dst + n, s + i, u);
			n += u;
			i += u;
		} else {
			/* as its escape "\\u00XX" reads back: U+0080..U+00FF */
			dst[n++] = (char)(0xc0 | (s[i] >> 6));
			dst[n++] = (char)(0x80 | (s[i] & 0x3f));
			i++;
		}
	}
	return n;
}

void
mxg_ratelimit_init(struct mxg_ratelimit* rl, uint32_t rate)
{
	rl->rate = rate > MXG_RATELIMIT_MAX ? MXG_RATELIMIT_MAX : rate;
	atomic_init(&rl->tat, 0);
	atomic_init(&rl->suppressed, 0);
	atomic_init(&rl->allowed, 0);
}

int
mxg_ratelimit_allow(struct mxg_ratelimit* rl, uint64_t now_ms)
{
	uint64_t now, tat, base, next, limit;
	if(rl->rate == 0) {
		atomic_fetch_add_explicit(&rl->allowed, 1,
			memory_order_relaxed);
		return 1;
	}
	/* units of 1/rate ms: one line costs 1000, the bucket holds
	 * rate lines = rate * 1000 units */
	now = now_ms * rl->rate;
	limit = (uint64_t)rl->rate * 1000;
	tat = atomic_load_explicit(&rl->tat, memory_order_relaxed);
	for(;;) {
		base = tat > now ? tat : now;
		next = base + 1000;
		if(next - now > limit) {
			atomic_fetch_add_explicit(&rl->suppressed, 1,
				memory_order_relaxed);
			return 0;
		}
		if(atomic_compare_exchange_weak_explicit(&rl->tat, &tat, next,
			memory_order_relaxed, memory_order_relaxed))
			break;
		/* tat now holds the value another thread stored */
	}
	atomic_fetch_add_explicit(&rl->allowed, 1, memory_order_relaxed);
	return 1;
}

uint64_t
mxg_ratelimit_suppressed(const struct mxg_ratelimit* rl)
{
	return atomic_load_explicit(&((struct mxg_ratelimit*)rl)->suppressed,
		memory_order_relaxed);
}

uint64_t
mxg_ratelimit_allowed(const struct mxg_ratelimit* rl)
{
	return atomic_load_explicit(&((struct mxg_ratelimit*)rl)->allowed,
		memory_order_relaxed);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_jsonlog.c - JSON log lines, escaping and the rate limiter.
 */
/** \file
 * Escaping of every byte 0..255 and of random byte strings gives valid JSON
 * that decodes to the expected text; names with any bytes render with \DDD;
 * a log line has every field with the right value, also for hostile events;
 * the rate limiter's edges with a fake clock, and from several threads at
 * once it allows exactly rate * seconds lines. JSON validity is checked by
 * Python's json module (python3 through popen) when it is installed, and
 * the test then also compares decoded values.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "mxguard/jsonlog.h"
#include "mxguard/category.h"
#include "tap.h"

/** Python check: each line of the file is "kind<TAB>json<TAB>hex".
 * kind s: json is a string body, it must decode to the UTF-8 bytes in hex
 * (or anything, if hex is "-"); kind l: json is a log line, printed back as
 * key=value pairs joined by '|', and unless hex is "-" its pairs must be
 * the alert fields in hex (name NUL value NUL ..., values as text: true,
 * false, numbers as written). Prints "ERR ..." lines and "DONE n". */
static const char py_check[] =
	"import json,sys\n"
	"n=0\n"
	"for line in open(sys.argv[1],'rb'):\n"
	"  line=line.decode('utf-8').rstrip('\\n')\n"
	"  kind,js,hx=line.split('\\t')\n"
	"  n+=1\n"
	"  try:\n"
	"    if kind=='s':\n"
	"      v=json.loads('\"'+js+'\"')\n"
	"      if hx!='-' and v.encode('utf-8').hex()!=hx:\n"
	"        print('ERR %d decoded %r' % (n, v))\n"
	"    else:\n"
	"      o=json.loads(js)\n"
	"      print('|'+'|'.join('%s=%s'%(k,o[k]) for k in o)+'|')\n"
	"      t=lambda v: ('true' if v else 'false') if isinstance(v,bool) else str(v)\n"
	"      a=b''.join(k.encode()+b'\\0'+t(v).encode('utf-8')+b'\\0' for k,v in o.items())\n"
	"      if hx!='-' and a.hex()!=hx:\n"
	"        print('ERR %d alert fields %s differ from the line' % (n, bytes.fromhex(hx)[:200]))\n"
	"  except Exception as e:\n"
	"    print('ERR %d %s' % (n, e))\n"
	"print('DONE %d' % n)\n";

/** The file handed to Python, and its path. */
static FILE* pyfile;
/** Path of pyfile. */
static char pypath[64];
/** Number of lines written to pyfile. */
static int pylines;

/** Append a string check for Python. */
static void
py_string(const char* esc, const uint8_t* want, size_t wantlen, int check)
{
	size_t i;
	if(!pyfile)
		return;
	fprintf(pyfile, "s\t%s\t", esc);
	if(!check)
		fputs("-", pyfile);
	for(i = 0; check && i < wantlen; i++)
		fprintf(pyfile, "%02x", want[i]);
	fputs("\n", pyfile);
	pylines++;
}

/** The expected decoding of one byte b escaped alone: the byte for ASCII,
 * U+00XX (two UTF-8 bytes) for bytes >= 0x80. @return length. */
static size_t
expect_byte(unsigned b, uint8_t* out)
{
	if(b < 0x80) {
		out[0] = (uint8_t)b;
		return 1;
	}
	out[0] = (uint8_t)(0xc0 | (b >> 6));
	out[1] = (uint8_t)(0x80 | (b & 0x3f));
	return 2;
}

/** Escape src into a static buffer. */
static const char*
esc(const void* src, size_t n)
{
	static char buf[4096];
	(void)mxg_jsonlog_escape(buf, sizeof(buf), src, n);
	return buf;
}

/** The escaper. */
static void
test_escape(void)
{
	char buf[4096];
	uint8_t all[256], want[512];
	size_t wl = 0, r;
	unsigned b;
	int plain = 0, i;
	uint32_t rnd = 12345;

	is_str(esc("a\"b", 3), "a\\\"b", "a quote is escaped");
	is_str(esc("a\\b", 3), "a\\\\b", "a backslash is escaped");
	is_str(esc("\n\r\t\b\f", 5), "\\n\\r\\t\\b\\f", "short escapes");
	is_str(esc("\x01\x1f", 2), "\\u0001\\u001f", "control characters");
	is_str(esc("a\0b", 3), "a\\u0000b", "a NUL byte is escaped");
	is_str(esc("\x7f", 1), "\\u007f", "DEL is escaped");
	is_str(esc("\xff\x80", 2), "\\u00ff\\u0080",
		"bytes that are not UTF-8 become \\u00XX");
	is_str(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", 14),
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
		"valid UTF-8 (2, 3 and 4 bytes) is kept");
	is_str(esc("\xc0\x80", 2), "\\u00c0\\u0080", "overlong NUL rejected");
	is_str(esc("\xe0\x80\xaf", 3), "\\u00e0\\u0080\\u00af",
		"overlong 3-byte form rejected");
	is_str(esc("\xed\xa0\x80", 3), "\\u00ed\\u00a0\\u0080",
		"a UTF-16 surrogate is rejected");
	is_str(esc("\xf4\x90\x80\x80", 4), "\\u00f4\\u0090\\u0080\\u0080",
		"a code point above U+10FFFF is rejected");
	is_str(esc("\xe2\x82", 2), "\\u00e2\\u0082",
		"a sequence cut at the end is escaped");
	is_str(esc("\xe2\x82x", 3), "\\u00e2\\u0082x",
		"a sequence cut by ASCII is escaped");
	is_str(esc("a\xc2\x9b[2Jb\xc2\x80\xc2\x9f\xc2\xa0", 13),
		"a\\u009b[2Jb\\u0080\\u009f\xc2\xa0",
		"C1 controls U+0080..U+009F (valid UTF-8) are escaped, U+00A0 "
		"is kept");
	is_str(esc("x\xe2\x80\xa8y\xe2\x80\xa9z\xe2\x80\xa7", 12),
		"x\\u2028y\\u2029z\xe2\x80\xa7",
		"U+2028 and U+2029 are escaped, U+2027 is kept");

	r = mxg_jsonlog_escape(buf, 4, "\x01", 1);
	is_int(r, 6, "the needed length is returned");
	is_str(buf, "", "an escape that does not fit is left out whole");
	r = mxg_jsonlog_escape(buf, 5, "ab\x01", 3);
	is_int(r, 8, "needed length with a prefix");
	is_str(buf, "ab", "output ends before the escape");
	r = mxg_jsonlog_escape(buf, 9, "ab\x01", 3);
	is_str(buf, "ab\\u0001", "exactly enough room");
	r = mxg_jsonlog_escape(buf, 0, "ab", 2);
	is_int(r, 2, "dstlen 0 still gives the length");

	/* every byte alone */
	for(b = 0; b < 256; b++) {
		uint8_t one = (uint8_t)b, w[2];
		size_t n = expect_byte(b, w);
		char out[8];
		r = mxg_jsonlog_escape(out, sizeof(out), &one, 1);
		if(r < sizeof(out) && strlen(out) == r && (r == 1 || out[0] ==
			'\\'))
			plain++;
		py_string(out, w, n, 1);
		all[b] = (uint8_t)b;
		memcpy(want + wl, w, n);
		wl += n;
	}
	is_int(plain, 256, "each byte 0..255 escapes to one char or one "
		"escape sequence");
	r = mxg_jsonlog_escape(buf, sizeof(buf), all, 256);
	ok(r < sizeof(buf) && r <= 6 * 256, "all 256 bytes fit 6*n (%d)",
		(int)r);
	py_string(buf, want, wl, 1);
	/* random byte strings, biased to bytes >= 0x80 and specials */
	for(i = 0; i < 2000; i++) {
		uint8_t s[64];
		size_t n, k;
		rnd = rnd * 1103515245u + 12345u;
		n = (rnd >> 16) % 64;
		for(k = 0; k < n; k++) {
			rnd = rnd * 1103515245u + 12345u;
			s[k] = (uint8_t)(rnd >> 16);
			if(k > 0 && (rnd & 0x100000) && s[k-1] >= 0xc2)
				s[k] = (uint8_t)(0x80 | (s[k] & 0x3f));
		}
		r = mxg_jsonlog_escape(buf, sizeof(buf), s, n);
		if(r >= sizeof(buf) || strchr(buf, '\n'))
			break;
		py_string(buf, s, n, 0);
	}
	is_int(i, 2000, "2000 random byte strings escaped");
}

/** Text for a terminal. */
static void
test_term_text(void)
{
	char buf[256];
	size_t r;
	r = mxg_jsonlog_term_text(buf, sizeof(buf),
		"a\033]0;t\007b\x7f\xff\xc2\x9b[2J\xe2\x80\xa8 caf\xc3\xa9", 24);
	is_str(buf, "a\\x1b]0;t\\x07b\\x7f\\xff\\xc2\\x9b[2J\\xe2\\x80\\xa8 "
		"caf\xc3\xa9", "term text: ESC, BEL, DEL, a bad byte, the 8-bit "
		"CSI and U+2028 as \\xHH, UTF-8 kept");
	is_int(r, strlen(buf), "term text: length returned");
	r = mxg_jsonlog_term_text(buf, 3, "\001", 1);
	is_str(buf, "", "term text: an escape is never cut");
	is_int(r, 4, "term text: needed length");
}

/** Wire name to text. */
static void
test_name_text(void)
{
	char buf[MXG_NAME_TEXT_MAX];
	uint8_t w[256];
	size_t i, p;
	ok(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\003WwW\007Example\003com", 17, 0) == 1 &&
		strcmp(buf, "WwW.Example.com") == 0,
		"case is kept: %s", buf);
	ok(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\003WwW\007Example\003com", 17, 1) == 1 &&
		strcmp(buf, "www.example.com") == 0, "lowercased: %s", buf);
	ok(mxg_jsonlog_name_text(buf, sizeof(buf), (const uint8_t*)"", 1, 0)
		== 1 && strcmp(buf, ".") == 0, "the root is \".\"");
	ok(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\006a.b\\ \"\002\000\377", 11, 0) == 1 &&
		strcmp(buf, "a\\.b\\\\\\032\".\\000\\255") == 0,
		"dot, backslash, space, NUL and 0xff are escaped: %s", buf);
	is_int(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\003abc", 4, 0), 0, "no root label: malformed");
	is_str(buf, "abc", "what came before the fault is kept");
	is_int(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\005ab", 4, 0), 0, "a label past the end");
	is_int(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\001a\300\014", 5, 0), 0,
		"a compression pointer is malformed here");
	is_int(mxg_jsonlog_name_text(buf, sizeof(buf),
		(const uint8_t*)"\100", 2, 0), 0, "label type 01 is malformed");
	is_int(mxg_jsonlog_name_text(buf, 4,
		(const uint8_t*)"\003abc\003def", 9, 0), 0,
		"a small buffer fails");
	is_str(buf, "abc", "the small buffer holds whole pieces");
	/* the longest name: 63+63+63+61 bytes of 0xff */
	p = 0;
	for(i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		w[p++] = (uint8_t)l;
		memset(w + p, 0xff, l);
		p += l;
	}
	w[p++] = 0;
	is_int(p, 255, "a 255-byte name");
	is_int(mxg_jsonlog_name_text(buf, sizeof(buf), w, p, 0), 1,
		"the longest name of \\255 bytes fits MXG_NAME_TEXT_MAX");
	is_int(strlen(buf), 250 * 4 + 3, "250 escapes and 3 dots");
}

/** Fill an event for the format tests. */
static void
make_event(struct mxg_event* ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = 1795811020123ULL;
	ev->client_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", ev->client_addr);
	memcpy(ev->qname, "\0011\004Evil\007example\000", 16);
	ev->qname_len = 16;
	ev->base_off = 2;
	ev->qtype = 15;
	ev->rcode = 0;
	ev->flags = MXG_EV_CACHED;
	ev->action = MXG_ACT_LOG;
	ev->rule = MXG_RULE_STAGING_WINDOW;
	ev->n_mx = 100;
	ev->shape_score = 87;
	ev->n_addr = 2;
	ev->mx_family[0] = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", ev->mx_addr[0]);
	ev->mx_family[1] = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", ev->mx_addr[1]);
	ev->upstream_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.53", ev->upstream_addr);
	snprintf(ev->reason, sizeof(ev->reason), "client 10.1.2.3 made 14 MX "
		"lookups (5 numeric prefixes) for evil.example in 1h");
}

/** Does line contain text? A test point. */
#define has(line, text) ok(strstr(line, text) != NULL, "line has %s", text)

/** has() for each text of the NULL-terminated list after line. */
static void
has_all(const char* line, ...)
{
	va_list ap;
	const char* t;
	va_start(ap, line);
	while((t = va_arg(ap, const char*)) != NULL)
		has(line, t);
	va_end(ap);
}

/** Actions, flags and rcodes of a verdict, and what its line says. */
static const struct {
	uint8_t action, flags, rcode;
	const char* says[3];
} verdicts[] = {
	{ MXG_ACT_LOG, MXG_EV_WOULD_REFUSE, 3, {
		"\"DvcAction\":\"Would block\"",
		"\"EventResultDetails\":\"NXDOMAIN\"",
		"\"EventSeverity\":\"High\"" } },
	{ MXG_ACT_TAG, 0, 12, {
		"\"DvcAction\":\"Tag\"",
		"\"EventSeverity\":\"Medium\"",
		"\"EventResultDetails\":\"RCODE12\"" } },
};

/** One log line with every field. */
static void
test_format(void)
{
	char line[MXG_JSONLOG_MAX];
	struct mxg_event ev;
	struct mxg_jsonlog_ctx ctx;
	struct mxg_category* cat;
	char err[256];
	size_t n, k, i;
	int fails;

	make_event(&ev);
	memset(&ctx, 0, sizeof(ctx));
	ctx.instance = "resolver-1";
	memcpy(ctx.mx_geo[1].country, "RU", 3);
	ctx.mx_geo[1].asn = 64500;
	snprintf(ctx.mx_geo[1].as_org, sizeof(ctx.mx_geo[1].as_org),
		"Example \"AS\"");
	memcpy(ctx.upstream_geo.country, "NL", 3);
	ctx.upstream_geo.asn = 64501;
	ctx.category = "dyndns";
	n = mxg_jsonlog_format(line, sizeof(line), &ev, &ctx);
	ok(n > 0 && n == strlen(line), "a line is formatted (%d bytes)",
		(int)n);
	ok(n > 0 && line[n-1] == '\n' && strchr(line, '\n') == line + n - 1,
		"one newline, at the end");
	ok(line[0] == '{' && n > 2 && line[n-2] == '}', "one JSON object");
	has_all(line,
		"\"TimeGenerated\":\"2026-11-27T20:23:40.123Z\"",
		"\"EventType\":\"Query\"",
		"\"EventResult\":\"Success\"",
		"\"EventResultDetails\":\"NOERROR\"",
		"\"DnsResponseCodeName\":\"NOERROR\"",
		"\"EventSeverity\":\"Low\"",
		"\"SrcIpAddr\":\"10.1.2.3\"",
		"\"NetworkProtocol\":\"UDP\"",
		"\"DnsQuery\":\"1.Evil.example\"",
		"\"DnsQueryType\":15",
		"\"DnsQueryTypeName\":\"MX\"",
		"\"DnsResponseName\":\"192.0.2.1,2001:db8::1\"",
		"\"MxRecordCount\":100",
		"\"MxShapeScore\":87",
		"\"DnsResponseIpCountry\":\"RU\"",
		"\"DnsResponseIpAsn\":64500",
		"\"DnsResponseIpAsOrg\":\"Example \\\"AS\\\"\"",
		"\"UpstreamIpAddr\":\"198.51.100.53\"",
		"\"UpstreamIpCountry\":\"NL\"",
		"\"UpstreamIpAsn\":64501",
		"\"DvcAction\":\"Allow\"",
		"\"RuleName\":\"staging-window\"",
		"\"ThreatCategory\":\"Exfiltration\"",
		"\"AttackTechnique\":\"T1071.004\"",
		"\"Reason\":\"client 10.1.2.3 made 14 MX lookups (5 numeric "
		"prefixes) for evil.example in 1h\"",
		"\"BaseDomain\":\"evil.example\"",
		"\"DomainCategory\":\"dyndns\"",
		"\"IsRelay\":false",
		"\"IsCached\":true",
		"\"Dvc\":\"resolver-1\"",
		NULL);
	if(pyfile) {
		fprintf(pyfile, "l\t%.*s\t-\n", (int)n - 1, line);
		pylines++;
	}

	/* buffer sizes: all or nothing */
	fails = 0;
	for(k = 0; k <= n; k++) {
		char small[MXG_JSONLOG_MAX];
		if(mxg_jsonlog_format(small, k, &ev, &ctx) != 0 ||
			(k > 0 && small[0] != 0))
			fails++;
	}
	is_int(fails, 0, "every buffer shorter than the line gives 0 and \"\"");
	{
		char exact[MXG_JSONLOG_MAX];
		is_int(mxg_jsonlog_format(exact, n + 1, &ev, &ctx), n,
			"a buffer of exactly the line + NUL is enough");
	}

	/* refuse, dry-run, TCP, relay, NXDOMAIN, no rule, no ctx */
	ev.action = MXG_ACT_REFUSE;
	ev.rcode = 5;
	ev.flags = MXG_EV_TCP | MXG_EV_RELAY;
	ev.client_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1::25", ev.client_addr);
	n = mxg_jsonlog_format(line, sizeof(line), &ev, NULL);
	has_all(line,
		"\"EventResult\":\"Failure\"",
		"\"EventResultDetails\":\"REFUSED\"",
		"\"DnsResponseCode\":5",
		"\"DvcAction\":\"Block\"",
		"\"EventSeverity\":\"High\"",
		"\"NetworkProtocol\":\"TCP\"",
		"\"IsRelay\":true",
		"\"SrcIpAddr\":\"2001:db8:1::25\"",
		"\"Dvc\":\"\"",
		NULL);
	ok(!strstr(line, "DnsResponseIpCountry") &&
		!strstr(line, "DomainCategory") &&
		!strstr(line, "UpstreamIpCountry"),
		"without a context the looked-up fields are left out");
	for(i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		ev.action = verdicts[i].action;
		ev.flags = verdicts[i].flags;
		ev.rcode = verdicts[i].rcode;
		(void)mxg_jsonlog_format(line, sizeof(line), &ev, NULL);
		for(k = 0; k < 3; k++)
			has(line, verdicts[i].says[k]);
	}
	ev.rule = MXG_RULE_COUNT;
	ev.action = MXG_ACT_PASS;
	ev.reason[0] = 0;
	ev.rcode = 255;
	ev.qtype = 65;
	ev.n_addr = 0;
	ev.upstream_family = 0;
	(void)mxg_jsonlog_format(line, sizeof(line), &ev, NULL);
	has_all(line,
		"\"EventResult\":\"NA\"",
		"\"EventSeverity\":\"Informational\"",
		"\"DvcAction\":\"Allow\"",
		"\"DnsQueryTypeName\":\"TYPE65\"",
		"\"DnsResponseName\":\"\"",
		NULL);
	ok(!strstr(line, "RuleName") && !strstr(line, "Reason") &&
		!strstr(line, "EventResultDetails") &&
		!strstr(line, "UpstreamIpAddr"),
		"no rule, reason, rcode or upstream: those fields are left out");
	if(pyfile) {
		fprintf(pyfile, "l\t%.*s\t-\n", (int)strlen(line) - 1, line);
		pylines++;
	}

	/* mxg_jsonlog_ctx_fill with a category list (no geo) */
	cat = mxg_category_load(NULL, err, sizeof(err));
	make_event(&ev);
	memcpy(ev.qname, "\003mx1\005GMAIL\003com\000", 15);
	ev.qname_len = 15;
	ev.base_off = 4;
	mxg_jsonlog_ctx_fill(&ctx, &ev, NULL, cat, "r2");
	is_str(ctx.category, "freemail", "ctx_fill: category of the base "
		"domain, case folded");
	is_str(ctx.instance, "r2", "ctx_fill: instance");
	is_str(ctx.mx_geo[0].country, "", "ctx_fill without geo: no country");
	(void)mxg_jsonlog_format(line, sizeof(line), &ev, &ctx);
	has_all(line,
		"\"BaseDomain\":\"gmail.com\"",
		"\"DnsQuery\":\"mx1.GMAIL.com\"",
		"\"DomainCategory\":\"freemail\"",
		NULL);
	ev.base_off = 200; /* out of range: whole name */
	mxg_jsonlog_ctx_fill(&ctx, &ev, NULL, cat, "r2");
	(void)mxg_jsonlog_format(line, sizeof(line), &ev, &ctx);
	has(line, "\"BaseDomain\":\"mx1.gmail.com\"");
	mxg_category_free(cat);
}

/** The alert fields of an event, as module/sink.c sends them to Redis,
 * into buf: name NUL value NUL ... */
struct fields {
	/** the bytes */
	char buf[2 * MXG_JSONLOG_MAX];
	/** used */
	size_t len;
};

/** mxg_jsonlog_field_fn: one field into a struct fields. */
static int
add_field(void* arg, const char* k, const char* v, size_t n, int is_str)
{
	struct fields* f = arg;
	size_t kl = strlen(k);
	if(f->len + kl + 2 * n + 2 > sizeof(f->buf))
		return 0;
	memcpy(f->buf + f->len, k, kl + 1);
	f->len += kl + 1;
	if(is_str)
		f->len += mxg_jsonlog_utf8(f->buf + f->len, v, n);
	else {
		memcpy(f->buf + f->len, v, n);
		f->len += n;
	}
	f->buf[f->len++] = 0;
	return 1;
}

/** Events full of hostile bytes still give valid JSON. */
static void
test_hostile(void)
{
	char line[MXG_JSONLOG_MAX];
	struct mxg_event ev;
	struct mxg_jsonlog_ctx ctx;
	char inst[65];
	size_t n, p, i;
	int round, good = 0, fields_checked = 0;
	uint32_t rnd = 777;
	for(round = 0; round < 300; round++) {
		make_event(&ev);
		memset(&ctx, 0, sizeof(ctx));
		/* a 255-byte name of random bytes (bad ones some rounds) */
		p = 0;
		for(i = 0; i < 4; i++) {
			size_t l = i < 3 ? 63 : 61, k;
			ev.qname[p++] = (uint8_t)l;
			for(k = 0; k < l; k++) {
				rnd = rnd * 1103515245u + 12345u;
				ev.qname[p++] = (uint8_t)(rnd >> 13);
			}
		}
		ev.qname[p++] = 0;
		ev.qname_len = (uint8_t)p;
		if(round % 3 == 1)
			ev.qname[0] = 0xc0; /* malformed */
		ev.base_off = (uint8_t)(round % 256);
		for(i = 0; i < sizeof(ev.reason); i++) {
			rnd = rnd * 1103515245u + 12345u;
			ev.reason[i] = (char)((rnd >> 11) % 255 + 1);
		}
		ev.reason[sizeof(ev.reason) - 1] = 0;
		if(round % 2)
			memset(ev.reason, 0x01, sizeof(ev.reason) - 1);
		for(i = 0; i < sizeof(ctx.mx_geo[0].as_org) - 1; i++)
			ctx.mx_geo[0].as_org[i] = (char)(0x80 + (i % 0x7f));
		ctx.mx_geo[0].asn = 1;
		memset(inst, '"', sizeof(inst) - 1);
		inst[sizeof(inst) - 1] = 0;
		ctx.instance = inst;
		ctx.category = "x\"\\\n";
		ev.rule = (uint8_t)(round % (MXG_RULE_COUNT + 2));
		ev.client_family = (uint8_t)(round % 7 == 0 ? 99 : AF_INET);
		n = mxg_jsonlog_format(line, sizeof(line), &ev, &ctx);
		if(n > 0 && line[n-1] == '\n' &&
			strchr(line, '\n') == line + n - 1)
			good++;
		if(pyfile && n > 0) {
			/* Python checks that the alert fields are the line's */
			static struct fields f;
			f.len = 0;
			if(!mxg_jsonlog_fields(&ev, &ctx, add_field, &f))
				f.len = 0;
			fprintf(pyfile, "l\t%.*s\t", (int)n - 1, line);
			for(i = 0; i < f.len; i++)
				fprintf(pyfile, "%02x", (unsigned char)f.buf[i]);
			fputs(f.len ? "\n" : "-\n", pyfile);
			pylines++;
			fields_checked += f.len > 0;
		}
	}
	is_int(fields_checked, 300, "the alert fields of the 300 events "
		"were built (Python compares them with the lines)");
	is_int(good, 300, "300 hostile events fit MXG_JSONLOG_MAX, one line "
		"each");
}

/** Run the Python checks over everything collected. */
static void
run_python(void)
{
	char cmd[256], out[8192];
	FILE* pf;
	int done = -1, errs = 0, lines = 0, found = 0;
	if(!pyfile)
		return;
	fclose(pyfile);
	pyfile = NULL;
	snprintf(cmd, sizeof(cmd), "python3 -c \"$MXG_PYCHECK\" %s", pypath);
	setenv("MXG_PYCHECK", py_check, 1);
	if(system("python3 -c 'import json' >/dev/null 2>&1") != 0 ||
		!(pf = popen(cmd, "r"))) {
		skip("python3 with json is not available");
		unlink(pypath);
		return;
	}
	while(fgets(out, sizeof(out), pf)) {
		if(strncmp(out, "DONE ", 5) == 0)
			done = atoi(out + 5);
		else if(strncmp(out, "ERR", 3) == 0) {
			if(errs++ < 10)
				diag("%s", out);
		} else if(out[0] == '|') {
			lines++;
			if(strstr(out, "|DnsResponseIpAsOrg=Example \"AS\"|") &&
				strstr(out, "|IsCached=True|") &&
				strstr(out, "|Reason=client 10.1.2.3 made 14 MX"))
				found++;
		}
	}
	pclose(pf);
	is_int(done, pylines, "Python read all %d lines", pylines);
	is_int(errs, 0, "Python's json module accepts every string and line, "
		"and strings decode to the expected text");
	ok(lines >= 302, "every log line parsed as a JSON object (%d)",
		lines);
	is_int(found, 1, "decoded values of the full line are right");
	unlink(pypath);
}

/** Rate limiter edges with a fake clock. */
static void
test_ratelimit(void)
{
	struct mxg_ratelimit rl;
	int i, n;
	uint64_t t;

	mxg_ratelimit_init(&rl, 0);
	for(i = 0, n = 0; i < 100000; i++)
		n += mxg_ratelimit_allow(&rl, 5);
	is_int(n, 100000, "rate 0 is unlimited");
	is_int(mxg_ratelimit_suppressed(&rl), 0, "nothing suppressed");

	mxg_ratelimit_init(&rl, 5);
	for(i = 0, n = 0; i < 10; i++)
		n += mxg_ratelimit_allow(&rl, 1000);
	is_int(n, 5, "a fresh bucket allows a burst of rate lines");
	is_int(mxg_ratelimit_suppressed(&rl), 5, "the rest is counted");
	is_int(mxg_ratelimit_allowed(&rl), 5, "allowed lines are counted");
	is_int(mxg_ratelimit_allow(&rl, 1199), 0,
		"199 ms later there is not yet a whole token (one per 200 ms)");
	is_int(mxg_ratelimit_allow(&rl, 1200), 1, "200 ms refill one token");
	is_int(mxg_ratelimit_allow(&rl, 1200), 0, "and only one");
	for(i = 0, n = 0; i < 100; i++)
		n += mxg_ratelimit_allow(&rl, 60000);
	is_int(n, 5, "after a long pause the burst is still capped at rate");
	is_int(mxg_ratelimit_allow(&rl, 30000), 0,
		"a clock going backwards does not refill");
	is_int(mxg_ratelimit_allow(&rl, 60200), 1,
		"after the clock catches up, refills resume");
	/* steady state over 10 s at one call per ms: rate*10 + the burst */
	mxg_ratelimit_init(&rl, 100);
	for(t = 0, n = 0; t < 10000; t++)
		n += mxg_ratelimit_allow(&rl, 1000000 + t);
	is_int(n, 100 + 999, "10 s of 1000 lines/s at rate 100: burst "
		"100 plus one per 10 ms after (refills at ms 10..9990)");

	mxg_ratelimit_init(&rl, 4000000000u);
	is_int(rl.rate, MXG_RATELIMIT_MAX, "a huge rate is clamped");
	for(i = 0, n = 0; i < 1100000; i++)
		n += mxg_ratelimit_allow(&rl, 1795811020123ULL);
	is_int(n, MXG_RATELIMIT_MAX, "at the maximum rate with a real epoch "
		"time: exactly the burst, no overflow");
}

/** Shared state of the limiter threads. */
struct rl_shared {
	/** the limiter */
	struct mxg_ratelimit rl;
	/** all threads step the fake clock together */
	pthread_barrier_t bar;
};

/** Arguments of one limiter thread. */
struct rl_arg {
	/** shared */
	struct rl_shared* sh;
	/** lines this thread got through */
	int allowed;
};

/** Seconds of the concurrent test. */
#define RL_SECONDS 5
/** Calls per thread per second. */
#define RL_CALLS 3000

/** Hammer the limiter, second by second of fake time. */
static void*
rl_thread(void* p)
{
	struct rl_arg* a = p;
	int s, i;
	for(s = 0; s < RL_SECONDS; s++) {
		uint64_t now = 1795811020000ULL + (uint64_t)s * 1000;
		pthread_barrier_wait(&a->sh->bar);
		for(i = 0; i < RL_CALLS; i++)
			a->allowed += mxg_ratelimit_allow(&a->sh->rl, now);
		pthread_barrier_wait(&a->sh->bar);
	}
	return NULL;
}

/** The limiter from 8 threads at once. */
static void
test_ratelimit_threads(void)
{
	static struct rl_shared sh;
	struct rl_arg args[8];
	pthread_t th[8];
	int i, total = 0;
	mxg_ratelimit_init(&sh.rl, 1000);
	pthread_barrier_init(&sh.bar, NULL, 8);
	for(i = 0; i < 8; i++) {
		args[i].sh = &sh;
		args[i].allowed = 0;
		pthread_create(&th[i], NULL, rl_thread, &args[i]);
	}
	for(i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += args[i].allowed;
	}
	pthread_barrier_destroy(&sh.bar);
	is_int(total, 1000 * RL_SECONDS, "8 threads over %d s at rate 1000: "
		"exactly rate*seconds allowed", RL_SECONDS);
	is_int(mxg_ratelimit_allowed(&sh.rl), 1000 * RL_SECONDS,
		"the allowed counter agrees");
	is_int(mxg_ratelimit_suppressed(&sh.rl),
		8 * RL_CALLS * RL_SECONDS - 1000 * RL_SECONDS,
		"every other call is counted as suppressed");
}

int
main(void)
{
	int fd;
	snprintf(pypath, sizeof(pypath), "/tmp/mxg_test_jsonlog.XXXXXX");
	fd = mkstemp(pypath);
	if(fd >= 0)
		pyfile = fdopen(fd, "w");
	test_escape();
	test_term_text();
	test_name_text();
	test_format();
	test_hostile();
	run_python();
	test_ratelimit();
	test_ratelimit_threads();
	return done_testing();
}

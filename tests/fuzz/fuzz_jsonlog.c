/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/fuzz/fuzz_jsonlog.c - libFuzzer target: JSON escaping and log lines.
 */
/** \file
 * Whatever bytes a query name, a reason or a looked-up string holds, the
 * LOG action must write one valid JSON object per line: a SIEM that meets a
 * broken line may drop the rest of the file. The target runs the escaper on
 * the whole input, mxg_jsonlog_name_text on it as a wire name, and
 * mxg_jsonlog_format on an event and context built from the input bytes,
 * then checks each output with a strict JSON and UTF-8 validator of its own
 * and abort()s on any flaw: a raw control character, an unbalanced quote, a
 * cut escape, invalid UTF-8, a line that does not fit in MXG_JSONLOG_MAX.
 * The escaper's output is also decoded and compared with the input.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "mxguard/mxguard.h"
#include "mxguard/event.h"
#include "mxguard/jsonlog.h"
#include "mxguard/names.h"
#include "input.h"

/** Abort with a reason when an output is not what the header promises. */
#define CHECK(x) do { if(!(x)) { \
	fprintf(stderr, "fuzz_jsonlog: check failed: %s (line %d)\n", #x, \
		__LINE__); abort(); } } while(0)

/** Length of a valid UTF-8 sequence at s (1 for ASCII), 0 if invalid
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 * @param cp: set to the code point. */
static size_t
utf8_seq(const uint8_t* s, size_t n, uint32_t* cp)
{
	uint8_t c = s[0];
	size_t need, i;
	uint32_t v;
	if(c < 0x80) {
		*cp = c;
		return 1;
	}
	if(c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if(c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
	} else if(c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
	} else
		return 0;
	if(n < need + 1)
		return 0;
	for(i = 1; i <= need; i++) {
		if((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if((need == 2 && v < 0x800) || (need == 3 && v < 0x10000) ||
		(v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return need + 1;
}

/** Is the whole buffer valid UTF-8? */
static int
utf8_valid(const uint8_t* s, size_t n)
{
	size_t i = 0, u;
	uint32_t cp;
	while(i < n) {
		if(!(u = utf8_seq(s + i, n - i, &cp)))
			return 0;
		i += u;
	}
	return 1;
}

/** Value of a hex digit, -1 if not one. */
static int
hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * Parse the inside of a JSON string (after the opening quote) up to the
 * closing quote, or to the end when end_at_quote is 0.
 * @param p: position, advanced past the closing quote.
 * @param out: if not NULL, the decoded code points (room for n of them).
 * @param nout: set to the number of code points.
 * @return 1 if valid.
 */
static int
json_string_body(const char* s, size_t n, size_t* p, int end_at_quote,
	uint32_t* out, size_t* nout)
{
	size_t i = *p, k = 0, u;
	uint32_t cp;
	for(;;) {
		if(i >= n) {
			if(end_at_quote)
				return 0;
			break;
		}
		if(s[i] == '"') {
			if(!end_at_quote)
				return 0; /* a raw quote inside the body */
			i++;
			break;
		}
		if((uint8_t)s[i] < 0x20)
			return 0;
		if(s[i] == '\\') {
			if(i + 1 >= n)
				return 0;
			switch(s[i + 1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				int j, h;
				if(i + 6 > n)
					return 0;
				cp = 0;
				for(j = 2; j < 6; j++) {
					if((h = hexval(s[i + j])) < 0)
						return 0;
					cp = cp * 16 + (uint32_t)h;
				}
				/* lone surrogates are not text */
				if(cp >= 0xd800 && cp <= 0xdfff)
					return 0;
				i += 4;
				break;
			}
			default:
				return 0;
			}
			i += 2;
		} else {
			if(!(u = utf8_seq((const uint8_t*)s + i, n - i, &cp)))
				return 0;
			i += u;
		}
		if(out)
			out[k] = cp;
		k++;
	}
	*p = i;
	if(nout)
		*nout = k;
	return 1;
}

static int json_value(const char* s, size_t n, size_t* p, int depth);

/** Skip JSON whitespace. */
static void
ws(const char* s, size_t n, size_t* p)
{
	while(*p < n && (s[*p] == ' ' || s[*p] == '\t' || s[*p] == '\n' ||
		s[*p] == '\r'))
		(*p)++;
}

/** Parse a JSON number. @return 1 if valid. */
static int
json_number(const char* s, size_t n, size_t* p)
{
	size_t i = *p, d;
	if(i < n && s[i] == '-')
		i++;
	if(i < n && s[i] == '0')
		i++;
	else {
		for(d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	if(i < n && s[i] == '.') {
		for(d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	if(i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if(i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for(d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	*p = i;
	return 1;
}

/** Parse a JSON object after its '{'. Keys must be unique. */
static int
json_object(const char* s, size_t n, size_t* p, int depth)
{
	const char* keys[128];
	size_t klen[128], nk = 0, i;
	ws(s, n, p);
	if(*p < n && s[*p] == '}') {
		(*p)++;
		return 1;
	}
	for(;;) {
		size_t k0;
		ws(s, n, p);
		if(*p >= n || s[*p] != '"')
			return 0;
		(*p)++;
		k0 = *p;
		if(!json_string_body(s, n, p, 1, NULL, NULL))
			return 0;
		if(nk < 128) {
			for(i = 0; i < nk; i++)
				if(klen[i] == *p - k0 &&
					memcmp(keys[i], s + k0, klen[i]) == 0)
					return 0; /* duplicate key */
			keys[nk] = s + k0;
			klen[nk++] = *p - k0;
		}
		ws(s, n, p);
		if(*p >= n || s[*p] != ':')
			return 0;
		(*p)++;
		if(!json_value(s, n, p, depth + 1))
			return 0;
		ws(s, n, p);
		if(*p < n && s[*p] == ',') {
			(*p)++;
			continue;
		}
		if(*p < n && s[*p] == '}') {
			(*p)++;
			return 1;
		}
		return 0;
	}
}

/** Parse any JSON value. */
static int
json_value(const char* s, size_t n, size_t* p, int depth)
{
	if(depth > 16)
		return 0;
	ws(s, n, p);
	if(*p >= n)
		return 0;
	switch(s[*p]) {
	case '{':
		(*p)++;
		return json_object(s, n, p, depth);
	case '"':
		(*p)++;
		return json_string_body(s, n, p, 1, NULL, NULL);
	case 't':
		if(n - *p >= 4 && memcmp(s + *p, "true", 4) == 0) {
			*p += 4;
			return 1;
		}
		return 0;
	case 'f':
		if(n - *p >= 5 && memcmp(s + *p, "false", 5) == 0) {
			*p += 5;
			return 1;
		}
		return 0;
	case 'n':
		if(n - *p >= 4 && memcmp(s + *p, "null", 4) == 0) {
			*p += 4;
			return 1;
		}
		return 0;
	default:
		return json_number(s, n, p);
	}
}

/** Check the escaper on the input: the output decodes back to it. */
static void
check_escape(const uint8_t* data, size_t size)
{
	size_t cap = 6 * size + 1, len, n, k, i, u, p = 0, cut;
	char* full = malloc(cap);
	char* part;
	uint32_t* got = malloc((size + 1) * sizeof(uint32_t));
	uint32_t* want = malloc((size + 1) * sizeof(uint32_t));
	uint32_t cp;
	CHECK(full && got && want);
	len = mxg_jsonlog_escape(full, cap, data, size);
	CHECK(len < cap && strlen(full) == len);
	CHECK(utf8_valid((const uint8_t*)full, len));
	CHECK(json_string_body(full, len, &p, 0, got, &n));
	/* expected: valid UTF-8 as its code points, other bytes as U+00XX */
	for(i = 0, k = 0; i < size; k++) {
		if(data[i] >= 0x80 && (u = utf8_seq(data + i, size - i, &cp))) {
			want[k] = cp;
			i += u;
		} else
			want[k] = data[i++];
	}
	CHECK(n == k && memcmp(got, want, k * sizeof(uint32_t)) == 0);
	/* a short buffer: same length returned, a prefix that still parses */
	cut = size ? (size_t)data[0] % (len + 2) : 0;
	part = malloc(cut + 1);
	CHECK(part);
	CHECK(mxg_jsonlog_escape(part, cut, data, size) == len);
	if(cut) {
		size_t pl = strlen(part);
		CHECK(pl < cut && pl <= len && memcmp(part, full, pl) == 0);
		p = 0;
		CHECK(json_string_body(part, pl, &p, 0, NULL, NULL));
	}
	CHECK(mxg_jsonlog_escape(NULL, 0, data, size) == len);
	free(part);
	free(full);
	free(got);
	free(want);
}

/** Check mxg_jsonlog_name_text on the input taken as a wire name. */
static void
check_name_text(const uint8_t* data, size_t size)
{
	char txt[MXG_NAME_TEXT_MAX], small[24];
	uint8_t back[MXG_NAME_WIRE_MAX];
	size_t blen = 0, wlen = 0, i;
	int lower = size && (data[0] & 1);
	int ok = mxg_jsonlog_name_text(txt, sizeof(txt), data, size, lower);
	int valid = mxg_names_check(data, size < 255 ? size : 255, &wlen) ==
		MXG_NAME_OK;
	CHECK(memchr(txt, 0, sizeof(txt)) != NULL);
	for(i = 0; txt[i]; i++)
		CHECK(txt[i] > 0x20 && txt[i] < 0x7f);
	CHECK(ok == valid);
	if(valid) {
		CHECK(mxg_names_from_str(txt, back, sizeof(back), &blen) ==
			MXG_NAME_OK);
		CHECK(blen == wlen);
		if(lower)
			CHECK(mxg_names_equal(back, blen, data, wlen));
		else
			CHECK(memcmp(back, data, wlen) == 0);
	}
	ok = mxg_jsonlog_name_text(small, sizeof(small), data, size, lower);
	CHECK(memchr(small, 0, sizeof(small)) != NULL);
	if(ok)
		CHECK(strcmp(small, txt) == 0);
	else if(valid)
		CHECK(strncmp(small, txt, strlen(small)) == 0);
	CHECK(mxg_jsonlog_name_text(txt, 0, data, size, lower) == 0);
}

/** A NUL-terminated string of at most max-1 bytes, no NUL inside. */
static void
cstr(struct src* s, char* dst, size_t max)
{
	size_t l = byte(s) % max, i;
	for(i = 0; i < l; i++) {
		uint8_t c = byte(s);
		dst[i] = (char)(c ? c : 0x7f);
	}
	dst[l] = 0;
}

/** An address family from a byte: mostly AF_INET and AF_INET6. */
static uint8_t
family(uint8_t b)
{
	switch(b % 4) {
	case 0: return AF_INET;
	case 1: return AF_INET6;
	case 2: return 0;
	default: return b;
	}
}

/** Check a log line of an event built from the input. */
static void
check_format(const uint8_t* data, size_t size)
{
	static char buf[MXG_JSONLOG_MAX];
	struct src s = { data, size };
	struct mxg_event ev;
	struct mxg_jsonlog_ctx ctx;
	char inst[256], cat[64], *small;
	size_t len, p = 0, cut, i, nl;
	uint8_t opt;

	memset(&ev, 0, sizeof(ev));
	memset(&ctx, 0, sizeof(ctx));
	opt = byte(&s);
	bytes(&s, &ev.time_ms, sizeof(ev.time_ms));
	ev.client_family = family(byte(&s));
	bytes(&s, ev.client_addr, sizeof(ev.client_addr));
	ev.qname_len = byte(&s);
	bytes(&s, ev.qname, ev.qname_len);
	ev.base_off = byte(&s);
	ev.qtype = (uint16_t)(byte(&s) | (byte(&s) << 8));
	ev.rcode = byte(&s);
	ev.flags = byte(&s);
	ev.action = byte(&s) % 6;
	ev.rule = byte(&s) % (MXG_RULE_COUNT + 2);
	ev.n_mx = (uint16_t)(byte(&s) | (byte(&s) << 8));
	ev.shape_score = byte(&s);
	ev.n_addr = byte(&s) % (MXG_EVENT_MAX_ADDR + 3);
	for(i = 0; i < MXG_EVENT_MAX_ADDR; i++) {
		ev.mx_family[i] = family(byte(&s));
		bytes(&s, ev.mx_addr[i], 16);
	}
	ev.upstream_family = family(byte(&s));
	bytes(&s, ev.upstream_addr, 16);
	if(opt & 1) {
		/* a reason that fills the array, without a NUL */
		bytes(&s, ev.reason, sizeof(ev.reason));
	} else
		cstr(&s, ev.reason, sizeof(ev.reason));
	cstr(&s, inst, sizeof(inst));
	cstr(&s, cat, 32);
	ctx.instance = (opt & 2) ? inst : NULL;
	ctx.category = (opt & 4) ? cat : NULL;
	for(i = 0; i < MXG_EVENT_MAX_ADDR; i++) {
		cstr(&s, ctx.mx_geo[i].country, 3);
		bytes(&s, &ctx.mx_geo[i].asn, 4);
		cstr(&s, ctx.mx_geo[i].as_org, 64);
	}
	cstr(&s, ctx.upstream_geo.country, 3);
	bytes(&s, &ctx.upstream_geo.asn, 4);
	cstr(&s, ctx.upstream_geo.as_org, 64);

	len = mxg_jsonlog_format(buf, sizeof(buf), &ev, (opt & 8) ? NULL :
		&ctx);
	/* the instance is at most 255 bytes: the line always fits */
	CHECK(len > 0 && len < sizeof(buf) && strlen(buf) == len);
	CHECK(buf[len - 1] == '\n');
	for(i = 0, nl = 0; i < len; i++)
		nl += buf[i] == '\n';
	CHECK(nl == 1);
	CHECK(utf8_valid((const uint8_t*)buf, len));
	CHECK(buf[0] == '{');
	CHECK(json_value(buf, len - 1, &p, 0) && p == len - 1);

	/* a short buffer gives the whole line or nothing */
	cut = (size_t)byte(&s) * 8 + byte(&s) % 8;
	if(cut > len + 1)
		cut = len + 1;
	small = malloc(cut ? cut : 1);
	CHECK(small);
	i = mxg_jsonlog_format(small, cut, &ev, (opt & 8) ? NULL : &ctx);
	if(cut > len)
		CHECK(i == len && strcmp(small, buf) == 0);
	else
		CHECK(i == 0 && (cut == 0 || small[0] == 0));
	free(small);
}

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	check_escape(data, size);
	check_name_text(data, size);
	check_format(data, size);
	return 0;
}

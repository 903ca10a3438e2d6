/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/fuzz/fuzz_answer.c - libFuzzer target: MX answer features and score.
 */
/** \file
 * Feeds an MX answer to the name feature extractor (module/names.c) and the
 * staging-shape scorer (module/shape.c), the code that judges answers coming
 * from any authoritative server on the Internet. The input is either a DNS
 * response in wire format (header, one question, answer records; names may
 * be compressed) or, when it does not parse as one, an "RDATA list": a
 * length byte and that many bytes of query name, then records of a 2-byte
 * preference, a length byte and that many bytes of exchange, unvalidated.
 * Every name is copied into a buffer of its exact size so that AddressSanitizer
 * sees any read past it. Besides crashes the target checks what the headers
 * promise: names_check and names_to_str agree, to_str text parses back to
 * the same name, the hash ignores ASCII case and nothing else, the memo gives
 * libpsl's answer, label statistics count what they say, the score and
 * its explanation stay in range, and the encoded bytes, their fingerprint
 * (staging-drip) and the score do not depend on the order of the records.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/mxguard.h"
#include "mxguard/names.h"
#include "mxguard/obs.h"
#include "mxguard/shape.h"

/** Most MX records taken from one input (the scorer is linear in them). */
#define MAX_RR 4096
/** Most compression pointers followed in one name. */
#define MAX_JUMPS 128

/** The base-domain memo, shared by all runs as in the engine. */
static struct mxg_basememo* memo;

/** Abort with a reason when a promise of the headers is broken. */
#define CHECK(x) do { if(!(x)) { \
	fprintf(stderr, "fuzz_answer: check failed: %s (line %d)\n", #x, \
		__LINE__); abort(); } } while(0)

/** Copy n bytes into a buffer of exactly n bytes (at least 1 allocated).
 * @return the buffer, or NULL on malloc failure. */
static uint8_t*
dup_exact(const uint8_t* p, size_t n)
{
	uint8_t* d = malloc(n ? n : 1);
	if(d && n)
		memcpy(d, p, n);
	return d;
}

/**
 * Read a possibly compressed name from a message into out, or skip it.
 * @param msg: the message.
 * @param len: its length.
 * @param pos: where the name starts; set to the byte after it (after the
 *	first pointer when compressed).
 * @param out: output, MXG_NAME_WIRE_MAX bytes; NULL skips the name (a
 *	pointer ends it, not followed).
 * @param outlen: set to the length of the uncompressed name (with out).
 * @return 1 if the name was read, 0 if malformed or it runs out.
 */
static int
read_name(const uint8_t* msg, size_t len, size_t* pos, uint8_t* out,
	size_t* outlen)
{
	size_t p = *pos, o = 0, after = 0;
	int jumps = 0;
	for(;;) {
		uint8_t l;
		if(p >= len)
			return 0;
		l = msg[p];
		if((l & 0xc0) == 0xc0) {
			if(p + 1 >= len)
				return 0;
			if(!out) {
				*pos = p + 2;
				return 1;
			}
			if(++jumps > MAX_JUMPS)
				return 0;
			if(!after)
				after = p + 2;
			p = ((size_t)(l & 0x3f) << 8) | msg[p + 1];
			continue;
		}
		if(l > MXG_NAME_LABEL_MAX || p + 1 + l > len)
			return 0;
		if(out) {
			if(o + 1 + l > MXG_NAME_WIRE_MAX)
				return 0;
			memcpy(out + o, msg + p, 1 + (size_t)l);
		}
		o += 1 + (size_t)l;
		p += 1 + (size_t)l;
		if(l == 0)
			break;
	}
	*pos = after ? after : p;
	if(outlen)
		*outlen = o;
	return 1;
}

/** The answer under test: qname and records, each name in its own buffer. */
struct answer {
	/** query name (exact size) */
	uint8_t* qname;
	/** its length */
	size_t qname_len;
	/** the records; exchanges are malloc'd, exact size */
	struct mxg_mx_rr* rr;
	/** number of records */
	size_t n;
};

/** Free an answer's buffers. */
static void
answer_free(struct answer* a)
{
	size_t i;
	for(i = 0; i < a->n; i++)
		free((void*)a->rr[i].exchange);
	free(a->rr);
	free(a->qname);
	memset(a, 0, sizeof(*a));
}

/** Append a record. @return 0 on malloc failure. */
static int
add_rr(struct answer* a, uint16_t pref, const uint8_t* x, size_t xl)
{
	uint8_t* d;
	if(a->n >= MAX_RR)
		return 0;
	d = dup_exact(x, xl);
	if(!d)
		return 0;
	a->rr[a->n].pref = pref;
	a->rr[a->n].exchange = d;
	a->rr[a->n].exchange_len = xl;
	a->n++;
	return 1;
}

/** Parse a DNS response. @return 1 if it is one (a->qname set). */
static int
parse_message(const uint8_t* msg, size_t len, struct answer* a)
{
	uint8_t name[MXG_NAME_WIRE_MAX];
	size_t nl, pos = 12, i;
	unsigned qd, an;
	if(len < 12 || !(msg[2] & 0x80))
		return 0;
	qd = ((unsigned)msg[4] << 8) | msg[5];
	an = ((unsigned)msg[6] << 8) | msg[7];
	if(qd != 1 || !read_name(msg, len, &pos, name, &nl) || pos + 4 > len)
		return 0;
	pos += 4;
	a->qname = dup_exact(name, nl);
	if(!a->qname)
		return 0;
	a->qname_len = nl;
	for(i = 0; i < an; i++) {
		unsigned type, rdlen;
		size_t rd;
		if(!read_name(msg, len, &pos, NULL, NULL) || pos + 10 > len)
			break;
		type = ((unsigned)msg[pos] << 8) | msg[pos + 1];
		rdlen = ((unsigned)msg[pos + 8] << 8) | msg[pos + 9];
		pos += 10;
		if(pos + rdlen > len)
			break;
		rd = pos;
		pos += rdlen;
		if(type != 15 || rdlen < 3)
			continue;
		{
			uint16_t pref = (uint16_t)(((unsigned)msg[rd] << 8) |
				msg[rd + 1]);
			size_t xp = rd + 2;
			if(read_name(msg, len, &xp, name, &nl)) {
				if(!add_rr(a, pref, name, nl))
					break;
			} else {
				/* malformed exchange: hand over the raw bytes,
				 * as a careless glue would */
				if(!add_rr(a, pref, msg + rd + 2, rdlen - 2))
					break;
			}
		}
	}
	return 1;
}

/** Parse the RDATA-list form (see the file comment). */
static void
parse_list(const uint8_t* d, size_t len, struct answer* a)
{
	size_t pos = 0, ql = 0;
	if(len > 0) {
		ql = d[0];
		if(ql > len - 1)
			ql = len - 1;
		pos = 1;
	}
	a->qname = dup_exact(d + pos, ql);
	a->qname_len = ql;
	pos += ql;
	while(a->qname && pos + 3 <= len) {
		uint16_t pref = (uint16_t)(((unsigned)d[pos] << 8) |
			d[pos + 1]);
		size_t xl = d[pos + 2];
		pos += 3;
		if(xl > len - pos)
			xl = len - pos;
		if(!add_rr(a, pref, d + pos, xl))
			break;
		pos += xl;
	}
}

/** Check one label's statistics against a plain recount. */
static void
check_label(const uint8_t* p, size_t l)
{
	struct mxg_label_stats st;
	unsigned digits = 0, lower = 0, upper = 0, hex = 0, b32 = 0;
	unsigned b32hex = 0, b64 = 0, binary = 0, cnt[256];
	double ent = 0;
	size_t i;
	mxg_names_label_stats(p, l, &st);
	if(l > MXG_NAME_LABEL_MAX)
		l = MXG_NAME_LABEL_MAX;
	memset(cnt, 0, sizeof(cnt));
	for(i = 0; i < l; i++) {
		uint8_t c = p[i];
		int dg = c >= '0' && c <= '9';
		int lo = c >= 'a' && c <= 'z';
		int up = c >= 'A' && c <= 'Z';
		uint8_t f = up ? (uint8_t)(c + 32) : c;
		cnt[c]++;
		digits += dg;
		lower += lo;
		upper += up;
		hex += dg || (f >= 'a' && f <= 'f');
		b32 += (lo || up) || (c >= '2' && c <= '7');
		b32hex += dg || (f >= 'a' && f <= 'v');
		b64 += dg || lo || up || c == '+' || c == '/' || c == '-' ||
			c == '_' || c == '=';
		binary += c < 0x21 || c > 0x7e;
	}
	CHECK(st.len == l);
	CHECK(st.digits == digits && st.lower == lower && st.upper == upper);
	CHECK(st.hex == hex && st.b32 == b32 && st.b32hex == b32hex);
	CHECK(st.b64 == b64 && st.binary == binary);
	for(i = 0; i < 256 && l >= 2; i++)
		if(cnt[i])
			ent -= (double)cnt[i] / (double)l *
				log2((double)cnt[i] / (double)l);
	CHECK(st.entropy_mbits <= 5977);
	CHECK(fabs(ent * 1000.0 - (double)st.entropy_mbits) <= 10.0);
}

/** Everything names.c derives from one name, with its promises checked.
 * @param w: the name (exact-size buffer of len bytes). */
static void
check_name(const uint8_t* w, size_t len)
{
	char txt[MXG_NAME_TEXT_MAX], small[12];
	uint8_t back[MXG_NAME_WIRE_MAX], low[MXG_NAME_WIRE_MAX];
	size_t wlen = 0, off = 9999, off2 = 9999, blen = 0, pos, i;
	const uint8_t* lab;
	int st = mxg_names_check(w, len, &wlen);
	int st2 = mxg_names_to_str(w, len, txt, sizeof(txt));
	int lc = mxg_names_label_count(w, len);
	(void)mxg_names_to_str(w, len, small, sizeof(small));
	CHECK(memchr(small, 0, sizeof(small)) != NULL);
	(void)mxg_names_hash(w, len);
	if(st != MXG_NAME_OK) {
		CHECK(st2 != MXG_NAME_OK && st2 != MXG_NAME_ERR_SPACE);
		CHECK(txt[0] == 0);
		CHECK(lc == -1);
		CHECK(mxg_names_base(w, len, &off) != MXG_NAME_OK && off == 0);
		CHECK(mxg_names_memo_lookup(memo, w, len, &off2) !=
			MXG_NAME_OK);
		(void)mxg_names_numeric_prefix(w, len);
		(void)mxg_names_first_label(w, len, &lab);
		return;
	}
	CHECK(wlen >= 1 && wlen <= len && wlen <= MXG_NAME_WIRE_MAX);
	CHECK(st2 == MXG_NAME_OK);
	CHECK(strlen(txt) < sizeof(txt));
	CHECK(lc >= 0 && lc <= 127);
	/* the text parses back to the same name (up to case) */
	CHECK(mxg_names_from_str(txt, back, sizeof(back), &blen) ==
		MXG_NAME_OK);
	CHECK(mxg_names_equal(back, blen, w, wlen));
	/* the hash ignores ASCII case, and nothing but ASCII case */
	for(i = 0; i < wlen; i++)
		low[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (uint8_t)(w[i] + 32) :
			w[i];
	CHECK(mxg_names_hash(low, wlen) == mxg_names_hash(w, wlen));
	CHECK(mxg_names_equal(low, wlen, w, wlen));
	for(i = 0; i < wlen; i++) {
		uint8_t c = low[i];
		if((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			continue;
		low[i] = (uint8_t)(c ^ 0x20);
		CHECK(mxg_names_hash(low, wlen) != mxg_names_hash(w, wlen));
		CHECK(!mxg_names_equal(low, wlen, w, wlen));
		low[i] = c;
		break;
	}
	/* base domain: on a label boundary, the name is under it, and the
	 * memo agrees with libpsl (twice: a miss, then a hit) */
	CHECK(mxg_names_base(w, len, &off) == MXG_NAME_OK);
	CHECK(off < wlen);
	for(pos = 0; pos < off; pos += 1 + (size_t)w[pos])
		;
	CHECK(pos == off);
	CHECK(mxg_names_is_under(w, wlen, w + off, wlen - off));
	CHECK(mxg_names_memo_lookup(memo, w, wlen, &off2) == MXG_NAME_OK);
	CHECK(off2 == off);
	off2 = 9999;
	CHECK(mxg_names_memo_lookup_hash(memo, w, wlen,
		mxg_names_hash(w, wlen), &off2) == MXG_NAME_OK);
	CHECK(off2 == off);
	/* leftmost label and numeric prefix */
	i = mxg_names_first_label(w, len, &lab);
	CHECK(i == w[0] && (i == 0 ? lab == NULL : lab == w + 1));
	if(mxg_names_numeric_prefix(w, len)) {
		size_t k;
		CHECK(i > 0);
		for(k = 0; k < i; k++)
			CHECK(lab[k] >= '0' && lab[k] <= '9');
	}
	for(pos = 0; w[pos] != 0; pos += 1 + (size_t)w[pos])
		check_label(w + pos + 1, w[pos]);
}

/** Score the answer and explain it into buffers of several sizes. */
static void
check_shape(const struct answer* a, size_t base_off)
{
	struct mxg_shape d;
	char buf[MXG_NAME_TEXT_MAX + 256];
	static const size_t sizes[] = { 192, 1, 2, 20, 40, 64, 100,
		sizeof(buf) };
	unsigned s;
	size_t i, n;
	uint16_t mn = 0xffff, mx = 0;
	s = mxg_shape_score(a->qname, a->qname_len, base_off, a->rr, a->n,
		&d);
	CHECK(s <= 100 && s == d.score);
	CHECK(s == mxg_shape_score(a->qname, a->qname_len, base_off, a->rr,
		a->n, NULL));
	CHECK(d.n_rr == a->n && d.n_bad <= a->n && d.n_distinct <= a->n);
	CHECK(d.n_under_base <= a->n);
	CHECK(d.n_rr_encoded + d.n_rr_half <= a->n - d.n_bad);
	CHECK(d.pts_count <= 25 && d.pts_encoded <= 45 && d.pts_prefs <= 10);
	CHECK(d.pts_under_base <= 10 && d.pts_distinct <= 10);
	CHECK(d.enc_len_min <= d.enc_len_max && d.enc_len_max <= 63);
	for(i = 0; i < a->n; i++) {
		if(a->rr[i].pref < mn)
			mn = a->rr[i].pref;
		if(a->rr[i].pref > mx)
			mx = a->rr[i].pref;
	}
	if(a->n)
		CHECK(d.pref_min == mn && d.pref_max == mx);
	CHECK(d.enc_chars <= 255 * a->n && (d.enc_chars != 0 ||
		d.enc_fp == 0));
	if(a->n > 1) {
		/* staging-drip counts an answer once whatever the record
		 * order: the encoded bytes and their fingerprint do not
		 * depend on it */
		struct mxg_mx_rr* rev = malloc(a->n * sizeof(*rev));
		struct mxg_shape d2;
		if(rev) {
			for(i = 0; i < a->n; i++)
				rev[i] = a->rr[a->n - 1 - i];
			(void)mxg_shape_score(a->qname, a->qname_len,
				base_off, rev, a->n, &d2);
			CHECK(d2.enc_chars == d.enc_chars &&
				d2.enc_fp == d.enc_fp && d2.score == d.score);
			free(rev);
		}
	}
	for(i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		n = mxg_shape_explain(&d, a->qname, a->qname_len, buf,
			sizes[i]);
		CHECK(n < sizes[i] && strlen(buf) == n);
	}
	CHECK(mxg_shape_explain(&d, a->qname, a->qname_len, buf, 0) == 0);
	/* edge cases of the arguments: no records, NULL qname */
	(void)mxg_shape_score(a->qname, a->qname_len, base_off, NULL, a->n,
		NULL);
	(void)mxg_shape_score(NULL, 0, base_off, a->rr, a->n, NULL);
}

/** libFuzzer setup: one memo for all runs. */
int
LLVMFuzzerInitialize(int* argc, char*** argv)
{
	(void)argc;
	(void)argv;
	memo = mxg_names_memo_new(1024);
	if(!memo)
		abort();
	return 0;
}

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	struct answer a;
	size_t i, off = 0;
	memset(&a, 0, sizeof(a));
	a.rr = calloc(MAX_RR, sizeof(*a.rr));
	if(!a.rr)
		return 0;
	if(!parse_message(data, size, &a)) {
		answer_free(&a);
		a.rr = calloc(MAX_RR, sizeof(*a.rr));
		if(!a.rr)
			return 0;
		parse_list(data, size, &a);
	}
	if(!a.qname) {
		answer_free(&a);
		return 0;
	}
	check_name(a.qname, a.qname_len);
	for(i = 0; i < a.n; i++)
		check_name(a.rr[i].exchange, a.rr[i].exchange_len);
	if(mxg_names_memo_lookup(memo, a.qname, a.qname_len, &off) !=
		MXG_NAME_OK)
		off = size ? data[size - 1] : 0; /* any offset must be safe */
	check_shape(&a, off);
	answer_free(&a);
	return 0;
}

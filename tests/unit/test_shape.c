/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_shape.c - staging-shape score calibration and robustness.
 */
/** \file
 * Checks module/shape.c against the calibration table of
 * docs/detection.md: real-world MX sets (Google, Microsoft 365, OVH, small
 * and large companies) score below 30, staging answers (the public tool's
 * 100 x four 50-hex labels, 10 x 32-hex, base32, base64url) score at least
 * the default threshold 60; and the scorer survives empty, huge, malformed
 * and binary answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/engine.h"
#include "mxguard/mxguard.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"
#include "tap.h"
#include "testlib.h"

/** Most records a test answer holds. */
#define MAXRR 700

/** A test answer: names in wire format and the records. */
struct answer {
	/** query name */
	uint8_t qname[MXG_NAME_WIRE_MAX];
	/** its length */
	size_t qlen;
	/** base offset from libpsl */
	size_t base_off;
	/** exchange storage */
	uint8_t x[MAXRR][MXG_NAME_WIRE_MAX];
	/** the records */
	struct mxg_mx_rr rr[MAXRR];
	/** number of records */
	size_t n;
};

/** The answer being built (large: static). */
static struct answer A;

/** Deterministic pseudo-random numbers. */
static uint64_t rng = 88172645463325252ULL;

/** Next random number. */
static uint32_t
rnd32(void)
{
	return t_rnd32(&rng);
}

/** Start an answer for a query name. */
static void
start(const char* qname)
{
	memset(&A, 0, sizeof(A));
	if(mxg_names_from_str(qname, A.qname, sizeof(A.qname), &A.qlen) !=
		MXG_NAME_OK)
		printf("# bad qname %s\n", qname);
	mxg_names_base(A.qname, A.qlen, &A.base_off);
}

/** Add a record with a text exchange. */
static void
add(uint16_t pref, const char* exchange)
{
	size_t l = 0;
	if(A.n >= MAXRR)
		return;
	if(mxg_names_from_str(exchange, A.x[A.n], MXG_NAME_WIRE_MAX, &l) !=
		MXG_NAME_OK)
		printf("# bad exchange %s\n", exchange);
	A.rr[A.n].pref = pref;
	A.rr[A.n].exchange = A.x[A.n];
	A.rr[A.n].exchange_len = l;
	A.n++;
}

/** Start an answer for a query name with the records of a text: pairs
 * of preference and exchange, separated by spaces. */
static void
answer(const char* qname, const char* records)
{
	char buf[1024], *save = NULL, *p, *x;
	snprintf(buf, sizeof(buf), "%s", records);
	start(qname);
	for(p = strtok_r(buf, " ", &save); p && (x = strtok_r(NULL, " ",
		&save)); p = strtok_r(NULL, " ", &save))
		add((uint16_t)atoi(p), x);
}

/** Real MX sets that score 0: query name, records, who. */
static const struct {
	/** the query name */
	const char* qname;
	/** preference exchange ... */
	const char* records;
	/** whose MX set */
	const char* what;
} zero[] = {
	{ "contoso.com", "0 contoso-com.mail.protection.outlook.com",
		"Microsoft 365 single MX" },
	{ "example.com", "10 mx1.example.com 20 mx2.example.com",
		"small company mx1/mx2 10,20" },
	{ "example.fr", "1 mx.ovh.net 5 mxb.ovh.net 100 mx0.ovh.net",
		"OVH mx.ovh.net set" },
	{ "example.org", "10 inbound-smtp.us-east-1.amazonaws.com",
		"Amazon SES inbound" },
	{ "example.org", "10 mx0a-00123401.pphosted.com "
		"10 mx0b-00123401.pphosted.com", "Proofpoint mx0a-NNNN" },
	{ "example.org", "10 eu-smtp-inbound-1.mimecast.com "
		"10 eu-smtp-inbound-2.mimecast.com", "Mimecast" },
	{ "example.org",
		"10 internationalbusinessmachinesmailrelay.example.org "
		"20 internationalbusinessmachinesmailrelay2.example.org",
		"long readable labels (not encoded)" },
	{ "example.org", "0 .", "null MX (RFC 7505)" },
};

/** Add a record with raw wire bytes. */
static void
add_raw(uint16_t pref, const uint8_t* wire, size_t len)
{
	if(wire)
		memcpy(A.x[A.n], wire, len);
	A.rr[A.n].pref = pref;
	A.rr[A.n].exchange = wire ? A.x[A.n] : NULL;
	A.rr[A.n].exchange_len = len;
	A.n++;
}

/** Score the answer. */
static unsigned
score(struct mxg_shape* d)
{
	return mxg_shape_score(A.qname, A.qlen, A.base_off, A.rr, A.n, d);
}

/** The fields of the details of a score that details() checks. */
enum field { F_END, F_RR, F_BAD, F_DISTINCT, F_UNDER_BASE, F_HEX,
	F_LEN_MIN, F_LEN_MAX, F_CHARS, F_PREFS_AP, F_PREF_MIN, F_PREF_MAX,
	F_PREF_STEP, F_SIGNALS };

/** Their names. */
static const char* const field_name[] = { "", "records",
	"malformed exchanges", "distinct exchanges", "exchanges under the base",
	"hex labels", "shortest encoded label", "longest encoded label",
	"encoded characters", "preferences in progression",
	"smallest preference", "largest preference", "preference step",
	"signals" };

/** A field of the details. */
static unsigned long long
field(const struct mxg_shape* d, enum field f)
{
	switch(f) {
	case F_RR: return d->n_rr;
	case F_BAD: return d->n_bad;
	case F_DISTINCT: return d->n_distinct;
	case F_UNDER_BASE: return d->n_under_base;
	case F_HEX: return d->n_hex_labels;
	case F_LEN_MIN: return d->enc_len_min;
	case F_LEN_MAX: return d->enc_len_max;
	case F_CHARS: return d->enc_chars;
	case F_PREFS_AP: return (unsigned long long)d->prefs_ap;
	case F_PREF_MIN: return d->pref_min;
	case F_PREF_MAX: return d->pref_max;
	case F_PREF_STEP: return d->pref_step;
	case F_SIGNALS: return d->signals;
	default: return 0;
	}
}

/** Check the details of the answer what: a field and its value each,
 * up to F_END. */
static void
details(const char* what, const struct mxg_shape* d, ...)
{
	va_list ap;
	int f;
	va_start(ap, d);
	while((f = va_arg(ap, int)) != F_END) {
		unsigned long long want = va_arg(ap, unsigned long long);
		is_int(field(d, (enum field)f), want, "%s: %s %llu", what,
			field_name[f], want);
	}
	va_end(ap);
}

/** Random string of n characters from an alphabet. */
static void
rstr(char* out, size_t n, const char* alphabet)
{
	size_t i, al = strlen(alphabet);
	for(i = 0; i < n; i++)
		out[i] = alphabet[rnd32() % al];
	out[n] = 0;
}

/** Hex, base32 and base64url alphabets. */
static const char* HEX = "0123456789abcdef";
/** RFC 4648 base32, lowercase as in DNS. */
static const char* B32 = "abcdefghijklmnopqrstuvwxyz234567";
/** RFC 4648 base64url. */
static const char* B64 =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Build an answer of n records, each exchange nlab labels of llen chars
 * from alphabet, followed by suffix ("" for none), prefs step..n*step. */
static void
staged(const char* qname, size_t n, size_t nlab, size_t llen,
	const char* alphabet, const char* suffix, uint16_t step)
{
	char name[1100], lab[64];
	size_t i, j;
	start(qname);
	for(i = 0; i < n; i++) {
		name[0] = 0;
		for(j = 0; j < nlab; j++) {
			rstr(lab, llen, alphabet);
			strcat(name, lab);
			strcat(name, ".");
		}
		strcat(name, suffix);
		add((uint16_t)((i + 1) * step), name);
	}
}

static void
test_legit(void)
{
	struct mxg_shape d;
	unsigned s;
	char nm[64];
	size_t i;

	start("google.com");
	add(1, "aspmx.l.google.com");
	add(5, "alt1.aspmx.l.google.com");
	add(5, "alt2.aspmx.l.google.com");
	add(10, "alt3.aspmx.l.google.com");
	add(10, "alt4.aspmx.l.google.com");
	s = score(&d);
	ok(s < 30, "Google (5 MX, prefs 1,5,5,10,10): score %u < 30", s);
	is_int(d.n_under_base, 5, "Google: all under google.com");
	is_int(d.n_distinct, 5, "Google: 5 distinct");
	is_int(d.prefs_ap, 0, "Google: 1,5,5,10,10 is no progression");
	is_int(d.signals, MXG_SHAPE_SIG_COUNT, "Google: only the count fired");

	start("bigmail.example");
	for(i = 1; i <= 10; i++) {
		snprintf(nm, sizeof(nm), "mx%zu.bigmail.example", i);
		add((uint16_t)(i * 10), nm);
	}
	s = score(&d);
	ok(s < 30, "10 MX mx1..mx10 prefs 10..100 under base: score %u < 30",
		s);
	is_int(d.prefs_ap, 1, "bigmail: progression seen");
	is_int(d.pref_step, 10, "bigmail: step 10");
	is_int(d.n_under_base, 10, "bigmail: all under base");
	is_int(d.pts_prefs + d.pts_under_base + d.pts_distinct, 0,
		"bigmail: corroborating signals give nothing without encoding");

	for(i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		unsigned s2;
		answer(zero[i].qname, zero[i].records);
		s = score(NULL);
		s2 = score(&d);
		ok(s == 0 && s2 == 0, "%s scores 0 (%u, %u with details)",
			zero[i].what, s, s2);
	}

	start("bigisp.example");
	for(i = 1; i <= 40; i++) {
		snprintf(nm, sizeof(nm), "mx%zu.bigisp.example", i);
		add((uint16_t)(i * 10), nm);
	}
	s = score(&d);
	is_int(s, 25, "40 plain MX in progression: count points only");
}

static void
test_staging(void)
{
	struct mxg_shape d;
	unsigned s;
	char buf[MXG_NAME_TEXT_MAX + 300];
	size_t i, j;

	/* the public tool, exchanges under the queried base */
	staged("1.evil.example", 100, 4, 50, HEX, "evil.example", 10);
	s = score(&d);
	is_int(s, 100, "public tool: 100 MX x four 50-hex labels scores 100");
	/* four 50-char hex labels each, all under evil.example, all five
	 * signals */
	details("public tool", &d,
		F_HEX, 400ULL,
		F_LEN_MIN, 50ULL,
		F_LEN_MAX, 50ULL,
		F_CHARS, 20000ULL,
		F_PREFS_AP, 1ULL,
		F_PREF_MIN, 10ULL,
		F_PREF_MAX, 1000ULL,
		F_PREF_STEP, 10ULL,
		F_UNDER_BASE, 100ULL,
		F_DISTINCT, 100ULL,
		F_SIGNALS, 0x1fULL,
		F_END);
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	is_str(buf, "answer for 1.evil.example has 100 MX, 400 hex labels of "
		"50 chars, preferences 10..1000 step 10, score 100",
		"explanation line");
	is_int(mxg_shape_explain(&d, A.qname, A.qlen, buf, MXG_REASON_MAX),
		strlen(buf), "fits in a verdict reason");

	/* the same with bare exchanges (four labels and the root only) */
	staged("7.evil.example", 100, 4, 50, HEX, "", 10);
	s = score(&d);
	ok(s >= 80, "public tool, exchanges not under base: %u >= 80", s);
	is_int(d.n_under_base, 0, "none under base");

	/* shuffled records: the progression is a set property */
	staged("1.evil.example", 100, 4, 50, HEX, "evil.example", 10);
	for(i = 0; i < A.n; i++) {
		struct mxg_mx_rr t;
		j = rnd32() % A.n;
		t = A.rr[i];
		A.rr[i] = A.rr[j];
		A.rr[j] = t;
	}
	s = score(&d);
	is_int(s, 100, "shuffled order still scores 100");

	staged("3.evil.example", 10, 1, 32, HEX, "evil.example", 10);
	s = score(&d);
	ok(s >= 60, "10 MX with 32-hex labels: %u >= 60", s);
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	is_str(buf, "answer for 3.evil.example has 10 MX, 10 hex labels of "
		"32 chars, preferences 10..100 step 10, score 90",
		"explanation for 10 x 32-hex");

	staged("1.evil.example", 100, 4, 50, B32, "evil.example", 10);
	s = score(&d);
	ok(s >= 95, "100 MX with base32 labels: %u >= 95", s);
	ok(d.n_b32_labels >= 392, "base32 labels found: %zu of 400",
		d.n_b32_labels);

	staged("1.evil.example", 100, 4, 52, "0123456789abcdefghijklmnopqrstuv",
		"evil.example", 10);
	s = score(&d);
	ok(s >= 95, "100 MX with base32hex labels: %u >= 95", s);

	staged("2.evil.example", 20, 1, 40, B64, "evil.example", 10);
	s = score(&d);
	ok(s >= 60, "20 MX with 40-char base64url labels: %u >= 60", s);
	ok(d.n_b64_labels >= 19, "base64 labels found: %zu of 20",
		d.n_b64_labels);
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	diag("%s", buf);

	staged("2.evil.example", 20, 5, 40, B64, "", 1);
	s = score(&d);
	ok(s >= 60, "20 MX with five base64url labels, not under base: %u", s);

	staged("4.evil.example", 3, 1, 32, HEX, "evil.example", 10);
	s = score(&d);
	ok(s >= 60, "3 MX with 32-hex labels under base: %u >= 60", s);
	staged("4.evil.example", 1, 1, 32, HEX, "", 10);
	s = score(&d);
	ok(s < 60, "1 MX with one 32-hex label, elsewhere: %u < 60", s);
	staged("4.evil.example", 10, 1, 24, HEX, "evil.example", 10);
	s = score(&d);
	ok(s >= 30 && s < 60, "10 MX with 24-hex labels (half weight): %u", s);
	is_int(d.n_rr_half, 10, "half-weight records");
}

static void
test_classifier(void)
{
	struct mxg_shape d;
	char lab[64], name[128];
	int i, hits;
	const char* alph[3] = { HEX, B32, B64 };
	const char* nm[3] = { "hex", "base32", "base64url" };
	int k;

	/* random labels of 32 chars are found (nearly) always */
	for(k = 0; k < 3; k++) {
		hits = 0;
		for(i = 0; i < 1000; i++) {
			rstr(lab, 32, alph[k]);
			snprintf(name, sizeof(name), "%s.evil.example", lab);
			start("evil.example");
			add(10, name);
			score(&d);
			if(d.n_rr_encoded == 1)
				hits++;
		}
		ok(hits >= 970, "random 32-char %s labels found: %d/1000",
			nm[k], hits);
	}
	/* English-like lowercase words are not */
	hits = 0;
	for(i = 0; i < 1000; i++) {
		static const char* words[] = { "mail", "relay", "server",
			"inbound", "smtp", "company", "europe", "gateway",
			"secure", "cluster", "west", "east", "prod" };
		lab[0] = 0;
		while(strlen(lab) < 32)
			strcat(lab, words[rnd32() % 13]);
		if(rnd32() % 2)
			strcat(lab, "2");
		snprintf(name, sizeof(name), "%s.example.net", lab);
		start("example.net");
		add(10, name);
		score(&d);
		if(d.n_rr_encoded || d.n_rr_half)
			hits++;
	}
	ok(hits <= 2, "concatenated words are (almost) never encoded-looking: "
		"%d/1000", hits);
}

static void
test_robust(void)
{
	struct mxg_shape d;
	unsigned s;
	char buf[MXG_NAME_TEXT_MAX + 300], small[40];
	uint8_t big[MXG_NAME_WIRE_MAX];
	size_t i;

	start("1.evil.example");
	s = score(&d);
	is_int(s, 0, "0 records: 0");
	is_int(d.n_rr, 0, "0 records counted");
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	is_str(buf, "answer for 1.evil.example has 0 MX, no encoded labels, "
		"score 0", "explanation for an empty answer");
	is_int(mxg_shape_score(A.qname, A.qlen, 0, NULL, 5, &d), 0,
		"NULL records: 0");
	is_int(d.n_rr, 0, "NULL records counted as 0");
	is_int(mxg_shape_score(NULL, 0, 0, NULL, 0, NULL), 0,
		"everything NULL: 0");

	start("1.evil.example");
	add(10, "mx.evil.example");
	s = score(&d);
	is_int(s, 0, "1 plain record: 0");
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	is_str(buf, "answer for 1.evil.example has 1 MX, no encoded labels, "
		"preference 10, score 0", "explanation for one record");

	/* more records than the glue passes, all staged */
	staged("9.evil.example", 600, 4, 50, HEX, "evil.example", 200);
	s = score(&d);
	is_int(s, 90, "600 staged records, prefs wrap: 90");
	is_int(d.n_distinct, 512, "distinct count saturates at 512");
	is_int(d.prefs_ap, 0, "prefs wrap past 65535: no progression");

	/* root exchange, binary bytes, malformed, max length */
	start("1.evil.example");
	add_raw(0, (const uint8_t*)"\000", 1);
	add_raw(10, (const uint8_t*)"\004\000\377\n.\004evil\007example\000",
		19);
	add_raw(20, (const uint8_t*)"\003abc", 4);
	add_raw(30, (const uint8_t*)"\300\014", 2);
	add_raw(40, NULL, 0);
	memset(big, 'f', sizeof(big));
	big[0] = 63;
	big[64] = 63;
	big[128] = 63;
	big[192] = 61;
	big[254] = 0;
	add_raw(50, big, 255);
	s = score(&d);
	/* 3 malformed exchanges skipped; the max-length one has 4 hex
	 * labels of 63; the binary one is under evil.example; 0..50 step 10 */
	details("hostile answer", &d,
		F_RR, 6ULL,
		F_BAD, 3ULL,
		F_HEX, 4ULL,
		F_LEN_MAX, 63ULL,
		F_UNDER_BASE, 1ULL,
		F_PREFS_AP, 1ULL,
		F_END);
	ok(s < 60, "hostile answer scores %u (one encoded record in six)", s);
	mxg_shape_explain(&d, A.qname, A.qlen, buf, sizeof(buf));
	diag("%s", buf);

	/* base_off out of range is treated as 0 */
	is_int(mxg_shape_score(A.qname, A.qlen, 9999, A.rr, A.n, &d), s,
		"base_off out of range: same score here");

	/* malformed qname */
	staged("1.evil.example", 100, 4, 50, HEX, "evil.example", 10);
	s = mxg_shape_score((const uint8_t*)"\003abc", 4, 0, A.rr, A.n, &d);
	is_int(d.n_under_base, 0, "malformed qname: no base");
	ok(s >= 80, "malformed qname still scores the records: %u", s);
	mxg_shape_explain(&d, (const uint8_t*)"\003abc", 4, buf, sizeof(buf));
	ok(strncmp(buf, "answer for (bad name) has 100 MX", 32) == 0,
		"explanation names a bad qname");

	/* long qname: the name is cut, the score stays */
	staged("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
		"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
		"evil.example", 100, 4, 50, HEX, "", 10);
	s = score(&d);
	i = mxg_shape_explain(&d, A.qname, A.qlen, buf, MXG_REASON_MAX);
	ok(i < MXG_REASON_MAX && strlen(buf) == i, "long name: %zu chars", i);
	ok(strstr(buf, "..., has 100 MX") == NULL &&
		strstr(buf, "... has 100 MX") != NULL, "name cut with ...");
	is_int(s, 90, "long name, bare exchanges: 90");
	ok(strcmp(buf + i - 8, "score 90") == 0, "score kept: %s", buf);
	mxg_shape_explain(&d, A.qname, A.qlen, small, sizeof(small));
	is_int(strlen(small), sizeof(small) - 1, "tiny buffer: cut, ended");
	is_int(mxg_shape_explain(&d, A.qname, A.qlen, small, 0), 0,
		"zero buffer: nothing written");

	/* duplicate preferences are no progression */
	start("5.evil.example");
	add(10, "a.evil.example");
	add(10, "b.evil.example");
	add(20, "c.evil.example");
	add(30, "d.evil.example");
	score(&d);
	is_int(d.prefs_ap, 0, "10,10,20,30 is no progression");
	start("5.evil.example");
	add(30, "a.evil.example");
	add(10, "b.evil.example");
	add(20, "c.evil.example");
	score(&d);
	is_int(d.prefs_ap, 1, "30,10,20 is a progression");
	is_int(d.pref_step, 10, "step 10");
}

/** The cheap bound: exact for honest answers, never below the score. */
static void
test_bound(void)
{
	unsigned i, s, b, below = 0, n;
	char nm[64];
	start("google.com");
	add(1, "aspmx.l.google.com");
	add(5, "alt1.aspmx.l.google.com");
	is_int(mxg_shape_bound(A.rr, A.n), 0, "bound of 2 honest MX is 0");
	start("bigmail.example");
	for(i = 1; i <= 10; i++) {
		snprintf(nm, sizeof(nm), "mx%u.bigmail.example", i);
		add((uint16_t)(i * 10), nm);
	}
	is_int(mxg_shape_bound(A.rr, A.n), score(NULL),
		"bound of 10 honest MX equals the score (count points)");
	staged("1.evil.example", 10, 1, 32, HEX, "evil.example", 10);
	ok(mxg_shape_bound(A.rr, A.n) == 100, "a 32-char hex label: bound 100");
	staged("1.evil.example", 4, 1, 20, B32, "evil.example", 10);
	ok(mxg_shape_bound(A.rr, A.n) == 100, "a 20-char label: bound 100");
	staged("1.evil.example", 30, 2, 19, HEX, "evil.example", 10);
	is_int(mxg_shape_bound(A.rr, A.n), 25,
		"30 MX with 19-char labels: bound is the count points, 25");
	is_int(score(NULL), 25, "and so is the full score");
	for(n = 0; n < 300; n++) {
		staged("1.evil.example", 1 + rnd32() % 40, 1 + rnd32() % 4,
			1 + rnd32() % 40, (n & 1) ? HEX : B32, "evil.example",
			10);
		s = score(NULL);
		b = mxg_shape_bound(A.rr, A.n);
		if(b < s)
			below++;
	}
	is_int(below, 0, "over 300 random answers the bound is never below "
		"the score");
	/* mxg_shape_bound_count: the bound of valid exchanges shorter than
	 * MXG_SHAPE_ENC_MIN + 2 wire bytes, which the hooks give the engine
	 * without a walk; a name of that length can hold such a label */
	below = 0;
	for(n = 0; n <= 25; n++) {
		start("rl7.test");
		for(i = 0; i < n; i++) {
			/* 21 wire bytes: a 15-character label, "test", root */
			snprintf(nm, sizeof(nm), "%015u.test", i);
			add((uint16_t)(10 * i), nm);
		}
		if(n && A.rr[0].exchange_len != MXG_SHAPE_ENC_MIN + 1)
			printf("# exchange of %zu bytes\n", A.rr[0].exchange_len);
		if(mxg_shape_bound_count(n) != mxg_shape_bound(A.rr, A.n) ||
			mxg_shape_bound_count(n) < score(NULL))
			below++;
	}
	is_int(below, 0, "0 to 25 exchanges of %d bytes: the count bound is "
		"mxg_shape_bound()'s and not below the score",
		MXG_SHAPE_ENC_MIN + 1);
	start("rl7.test");
	add(10, "abcdefghijklmnopqrst");	/* 22 wire bytes */
	is_int(A.rr[0].exchange_len, MXG_SHAPE_ENC_MIN + 2,
		"a label of MXG_SHAPE_ENC_MIN characters takes "
		"MXG_SHAPE_ENC_MIN + 2 wire bytes");
	is_int(mxg_shape_bound(A.rr, A.n), 100, "and may be encoded");
}

int
main(void)
{
	test_legit();
	test_staging();
	test_classifier();
	test_robust();
	test_bound();
	return done_testing();
}

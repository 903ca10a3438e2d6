/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/shape.c - staging-shape score of one MX answer.
 */
/** \file
 * Scores one MX answer 0..100 for the staging-shape rule (docs/detection.md).
 * Payload staging over MX (the Sentinel rule "DNS MX Record Abuse for Payload Staging") needs exchange names that carry data:
 * long labels in a binary-to-text alphabet, many records per answer, and
 * preferences that give the order of the chunks. Normal MX sets have a few
 * records with short, readable labels. Five signals, each with points:
 *
 * - count (0..25): 25 for >= 20 records, 15 for >= 10, 5 for >= 5. Alone it
 *   stays below the threshold: big providers do publish many MX.
 * - encoded (0..45): the share of records whose exchange has an encoded
 *   label; full weight for a label of >= 32 characters, half for 20..31.
 *   A label is encoded when it is all hex; or base32 / base32hex / lowercase
 *   base36-like with enough digits and entropy >= 3.3 bits per character;
 *   or base64 / base64url with upper, lower and digits and entropy >= 3.7
 *   bits per character. This is the signal that separates staging from
 *   normal mail hosting, so it has the biggest weight.
 * - prefs (0..10): preferences are distinct and form an arithmetic
 *   progression over >= 3 records (the tool orders chunks 10, 20, ...).
 * - under-base (0..10): the share of exchanges at or under the base domain
 *   of the query (the attacker serves the data from his own zone).
 * - distinct (0..10): 10 for >= 10 distinct exchanges, 5 for >= 3.
 *
 * prefs, under-base and distinct are common in honest MX sets (mx1..mx10 at
 * 10, 20, ... under the own domain), so they only corroborate: their points
 * are multiplied by the encoded share f (0..1). The score is
 *   count + 45 f + f (prefs + under-base + distinct),
 * each part rounded, at most 100. The public tool's answer (100 records,
 * four 50-hex labels, 10..1000, under the base) scores 100; ten records
 * with one 32-hex label each score 80..90; the largest honest sets score
 * the count points only (<= 25). The default threshold is 60.
 */
#include <stdio.h>
#include <string.h>
#include "mxguard/hash.h"
#include "mxguard/mxguard.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"

/** Shortest label that counts as encoded at full weight. */
#define ENC_FULL 32
/** Shortest label that counts as encoded at half weight. */
#define ENC_HALF MXG_SHAPE_ENC_MIN
/** Entropy floor for base32-like labels, milli-bits per character. */
#define B32_ENTROPY 3300
/** Entropy floor for base64-like labels, milli-bits per character. */
#define B64_ENTROPY 3700
/** Slots of the distinct-exchange set (exact up to half of this). */
#define DSET 1024

/** Kind of an encoded label. */
enum enc_kind {
	/** not encoded-looking */
	ENC_NONE = 0,
	/** hex */
	ENC_HEX,
	/** base32, base32hex or lowercase alphanumeric */
	ENC_B32,
	/** base64 or base64url */
	ENC_B64
};

/** Number of vowels (a e i o u, either case) in a label. */
static unsigned
vowels(const uint8_t* p, size_t l)
{
	unsigned v = 0;
	size_t i;
	for(i = 0; i < l; i++) {
		uint8_t c = p[i] | 0x20;
		if(c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u')
			v++;
	}
	return v;
}

/** Classify one label (no length byte). */
static enum enc_kind
classify(const uint8_t* p, size_t l)
{
	struct mxg_label_stats st;
	unsigned letters, tenth;
	if(l < ENC_HALF)
		return ENC_NONE;
	mxg_names_label_stats(p, l, &st);
	if(st.hex == st.len)
		return ENC_HEX;
	letters = st.lower + st.upper;
	tenth = st.len / 10;
	if((st.b32 == st.len || st.b32hex == st.len ||
		st.digits + letters == st.len) &&
		(st.lower == 0 || st.upper == 0) &&
		st.digits > 0 && letters >= tenth &&
		(st.digits >= tenth || vowels(p, l) * 5 < letters) &&
		st.entropy_mbits >= B32_ENTROPY)
		return ENC_B32;
	if(st.b64 == st.len && st.upper > 0 && st.lower > 0 &&
		st.digits > 0 && st.entropy_mbits >= B64_ENTROPY)
		return ENC_B64;
	return ENC_NONE;
}

/** Insert a hash into the open-addressing set; return 1 if it was new. */
static int
dset_add(uint64_t* set, size_t mask, uint64_t h)
{
	size_t i;
	if(h == 0)
		h = 1;
	for(i = (size_t)h & mask; ; i = (i + 1) & mask) {
		if(set[i] == h)
			return 0;
		if(set[i] == 0) {
			set[i] = h;
			return 1;
		}
	}
}

/** Are the preferences distinct and in arithmetic progression? */
static int
prefs_ap(const struct mxg_mx_rr* rr, size_t n, uint16_t mn, uint16_t mx,
	uint16_t* step)
{
	uint8_t bm[8192];
	size_t i, span = (size_t)mx - mn, s;
	*step = 0;
	if(n < 3 || span == 0 || n - 1 > 65535 || span % (n - 1) != 0)
		return 0;
	s = span / (n - 1);
	memset(bm, 0, (n + 7) / 8);
	for(i = 0; i < n; i++) {
		size_t d = (size_t)rr[i].pref - mn, k;
		if(d % s != 0)
			return 0;
		k = d / s;
		if(bm[k / 8] & (1u << (k % 8)))
			return 0;
		bm[k / 8] |= (uint8_t)(1u << (k % 8));
	}
	*step = (uint16_t)s;
	return 1;
}

/** Round a non-negative double to unsigned. */
static unsigned
rnd(double x)
{
	return (unsigned)(x + 0.5);
}

unsigned
mxg_shape_bound(const struct mxg_mx_rr* rr, size_t n)
{
	size_t i, pos;
	for(i = 0; rr && i < n; i++) {
		const uint8_t* x = rr[i].exchange;
		size_t xl = rr[i].exchange_len;
		if(!x)
			return 100;
		for(pos = 0; pos < xl; pos += 1 + x[pos]) {
			if(x[pos] == 0)
				break;
			if(x[pos] >= ENC_HALF)
				return 100;	/* a label may be encoded */
		}
		if(pos >= xl)
			return 100;	/* malformed: let the full scan judge */
	}
	/* nothing can be encoded: f = 0, only the count points remain */
	return rr ? mxg_shape_bound_count(n) : 0;
}

unsigned
mxg_shape_score(const uint8_t* qname, size_t qname_len, size_t base_off,
	const struct mxg_mx_rr* rr, size_t n, struct mxg_shape* detail)
{
	struct mxg_shape d;
	uint64_t set[DSET];
	size_t mask = 15, i, w2 = 0, dcap;
	const uint8_t* base = NULL;
	size_t base_len = 0;
	double f, dist_pts = 0;
	memset(&d, 0, sizeof(d));
	d.n_rr = n;
	if(!rr)
		n = d.n_rr = 0;
	if(qname && mxg_names_check(qname, qname_len, NULL) == MXG_NAME_OK) {
		if(base_off >= qname_len)
			base_off = 0;
		base = qname + base_off;
		base_len = qname_len - base_off;
	}
	while(mask + 1 < DSET && mask + 1 < 2 * n)
		mask = mask * 2 + 1;
	dcap = (mask + 1) / 2;
	memset(set, 0, (mask + 1) * sizeof(set[0]));
	for(i = 0; i < n; i++) {
		const uint8_t* x = rr[i].exchange;
		size_t xl = rr[i].exchange_len, pos = 0, wl;
		unsigned best = 0;
		if(i == 0 || rr[i].pref < d.pref_min)
			d.pref_min = rr[i].pref;
		if(i == 0 || rr[i].pref > d.pref_max)
			d.pref_max = rr[i].pref;
		if(!x || mxg_names_check(x, xl, &wl) != MXG_NAME_OK) {
			d.n_bad++;
			continue;
		}
		if(d.n_distinct < dcap &&
			dset_add(set, mask, mxg_names_hash(x, wl)))
			d.n_distinct++;
		if(base && mxg_names_is_under(x, wl, base, base_len))
			d.n_under_base++;
		while(x[pos] != 0) {
			size_t l = x[pos];
			enum enc_kind k = classify(x + pos + 1, l);
			if(k != ENC_NONE) {
				if(k == ENC_HEX)
					d.n_hex_labels++;
				else if(k == ENC_B32)
					d.n_b32_labels++;
				else
					d.n_b64_labels++;
				d.enc_chars += l;
				d.enc_fp += mxg_hash_bytes_lower(l, x + pos + 1, l);
				if(d.enc_len_min == 0 || l < d.enc_len_min)
					d.enc_len_min = (unsigned)l;
				if(l > d.enc_len_max)
					d.enc_len_max = (unsigned)l;
				if(l >= ENC_FULL)
					best = 2;
				else if(best < 1)
					best = 1;
			}
			pos += 1 + l;
		}
		if(best == 2)
			d.n_rr_encoded++;
		else if(best == 1)
			d.n_rr_half++;
		w2 += best;
	}
	d.prefs_ap = prefs_ap(rr, n, d.pref_min, d.pref_max, &d.pref_step);

	if(n >= 20)
		d.pts_count = 25;
	else if(n >= 10)
		d.pts_count = 15;
	else if(n >= 5)
		d.pts_count = 5;
	f = n ? (double)w2 / (2.0 * (double)n) : 0.0;
	d.pts_encoded = rnd(45.0 * f);
	if(d.prefs_ap)
		d.pts_prefs = rnd(10.0 * f);
	if(n)
		d.pts_under_base = rnd(10.0 * f * (double)d.n_under_base /
			(double)n);
	if(d.n_distinct >= 10)
		dist_pts = 10;
	else if(d.n_distinct >= 3)
		dist_pts = 5;
	d.pts_distinct = rnd(dist_pts * f);

	if(d.pts_count)
		d.signals |= MXG_SHAPE_SIG_COUNT;
	if(d.pts_encoded)
		d.signals |= MXG_SHAPE_SIG_ENCODED;
	if(d.pts_prefs)
		d.signals |= MXG_SHAPE_SIG_PREFS;
	if(d.pts_under_base)
		d.signals |= MXG_SHAPE_SIG_UNDER_BASE;
	if(d.pts_distinct)
		d.signals |= MXG_SHAPE_SIG_DISTINCT;
	d.score = d.pts_count + d.pts_encoded + d.pts_prefs +
		d.pts_under_base + d.pts_distinct;
	if(d.score > 100)
		d.score = 100;
	if(detail)
		*detail = d;
	return d.score;
}

/** Append the "N hex + M base32 labels of A..B chars" part. */
static void
labels_part(const struct mxg_shape* d, char* b, size_t bl)
{
	size_t k = 0;
	int any = 0;
	struct {
		/** count */
		size_t n;
		/** kind name */
		const char* nm;
	} parts[3] = { { d->n_hex_labels, "hex" }, { d->n_b32_labels,
		"base32" }, { d->n_b64_labels, "base64" } };
	int i, w;
	b[0] = 0;
	for(i = 0; i < 3; i++) {
		if(!parts[i].n)
			continue;
		w = snprintf(b + k, bl - k, "%s%zu %s", any ? " + " : "",
			parts[i].n, parts[i].nm);
		if(w < 0 || (size_t)w >= bl - k)
			return;
		k += (size_t)w;
		any = 1;
	}
	if(!any) {
		snprintf(b, bl, "no encoded labels");
		return;
	}
	if(d->enc_len_min == d->enc_len_max)
		snprintf(b + k, bl - k, " labels of %u chars", d->enc_len_max);
	else
		snprintf(b + k, bl - k, " labels of %u..%u chars",
			d->enc_len_min, d->enc_len_max);
}

size_t
mxg_shape_explain(const struct mxg_shape* d, const uint8_t* qname,
	size_t qname_len, char* buf, size_t buflen)
{
	char name[MXG_NAME_TEXT_MAX];
	char labs[96], prefs[64], tail[256];
	const char* head = "answer for ";
	size_t avail, nl;
	int w;
	if(!buf || buflen == 0)
		return 0;
	buf[0] = 0;
	if(!d)
		return 0;
	if(mxg_names_to_str(qname, qname_len, name, sizeof(name)) !=
		MXG_NAME_OK)
		snprintf(name, sizeof(name), "(bad name)");
	labels_part(d, labs, sizeof(labs));
	if(d->n_rr == 0)
		prefs[0] = 0;
	else if(d->prefs_ap)
		snprintf(prefs, sizeof(prefs), ", preferences %u..%u step %u",
			(unsigned)d->pref_min, (unsigned)d->pref_max,
			(unsigned)d->pref_step);
	else if(d->pref_min == d->pref_max)
		snprintf(prefs, sizeof(prefs), ", preference %u",
			(unsigned)d->pref_min);
	else
		snprintf(prefs, sizeof(prefs), ", preferences %u..%u",
			(unsigned)d->pref_min, (unsigned)d->pref_max);
	snprintf(tail, sizeof(tail), " has %zu MX, %s%s, score %u", d->n_rr,
		labs, prefs, d->score);
	/* cut the name, not the score, when the line does not fit */
	nl = strlen(name);
	if(strlen(head) + strlen(tail) + 4 < buflen) {
		avail = buflen - 1 - strlen(head) - strlen(tail);
		if(nl > avail) {
			nl = avail - 3;
			memcpy(name + nl, "...", 4);
		}
	}
	w = snprintf(buf, buflen, "%s%s%s", head, name, tail);
	if(w < 0)
		return 0;
	return (size_t)w < buflen ? (size_t)w : buflen - 1;
}

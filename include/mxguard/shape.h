/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/shape.h - staging-shape score of one MX answer.
 */
/** \file
 * The staging-shape rule (docs/detection.md) judges one MX answer by its shape:
 * payload staging puts data into the exchange names of many MX records (the
 * public tool: 100 records per numeric subdomain, each exchange four
 * 50-character lowercase-hex labels, preferences 10, 20, ... 1000). The
 * scorer turns five signals into a score 0..100 and says which fired; the
 * weights and the reasons for them are in module/shape.c and
 * docs/detection.md ("Answer shape score"). Pure C, no allocation, linear in
 * the number of records.
 */
#ifndef MXGUARD_SHAPE_H
#define MXGUARD_SHAPE_H
#include <stddef.h>
#include <stdint.h>
#include "mxguard/obs.h"

/** Default threshold: an answer scoring this or more is staging-shaped. */
#define MXG_SHAPE_THRESHOLD 60

/** mxg_shape_bound() is at most this when no exchange label is long enough
 * to count as encoded (the count points alone); above it, a label may be. */
#define MXG_SHAPE_BOUND_PLAIN 25

/** Signal bits in struct mxg_shape.signals. */
enum mxg_shape_signal {
	/** many records (>= 5 some, >= 10 more, >= 20 strong) */
	MXG_SHAPE_SIG_COUNT = 1 << 0,
	/** exchange labels that look like encoded data */
	MXG_SHAPE_SIG_ENCODED = 1 << 1,
	/** preferences in arithmetic progression (>= 3 records) */
	MXG_SHAPE_SIG_PREFS = 1 << 2,
	/** exchanges under the queried base domain (or the qname) */
	MXG_SHAPE_SIG_UNDER_BASE = 1 << 3,
	/** many distinct exchanges (>= 3 some, >= 10 strong) */
	MXG_SHAPE_SIG_DISTINCT = 1 << 4
};

/** What the scorer saw in one answer and what each signal gave. */
struct mxg_shape {
	/** the score, 0..100 (also the return value) */
	unsigned score;
	/** MXG_SHAPE_SIG_* bits of the signals that gave points */
	unsigned signals;
	/** number of MX records */
	size_t n_rr;
	/** exchanges that are not valid wire names (ignored for labels) */
	size_t n_bad;
	/** distinct exchanges (case-insensitive; exact up to 512) */
	size_t n_distinct;
	/** exchanges at or under the base domain of the qname */
	size_t n_under_base;
	/** records with at least one encoded-looking label (full weight: a
	 * label of >= 32 characters) */
	size_t n_rr_encoded;
	/** records whose best label is only half-weight (20..31 characters) */
	size_t n_rr_half;
	/** hex labels of >= 20 characters in all exchanges */
	size_t n_hex_labels;
	/** base32 / base32hex-like labels of >= 20 characters */
	size_t n_b32_labels;
	/** base64 / base64url-like labels of >= 20 characters */
	size_t n_b64_labels;
	/** shortest and longest of those encoded labels (0 when none) */
	unsigned enc_len_min;
	/** longest encoded label */
	unsigned enc_len_max;
	/** total characters in encoded labels (the payload capacity) */
	size_t enc_chars;
	/** fingerprint of the encoded labels: the sum of a case-insensitive
	 * hash of each, so it does not depend on the order of the records
	 * (the staging-drip rule counts an answer's enc_chars only when its
	 * fingerprint differs from the previous answer's); 0 when none */
	uint64_t enc_fp;
	/** preferences form an arithmetic progression of distinct values */
	int prefs_ap;
	/** smallest preference (0 when no records) */
	uint16_t pref_min;
	/** largest preference */
	uint16_t pref_max;
	/** step of the progression when prefs_ap */
	uint16_t pref_step;
	/** points from the record count (0..25) */
	unsigned pts_count;
	/** points from encoded labels (0..45) */
	unsigned pts_encoded;
	/** points from the preference progression (0..10) */
	unsigned pts_prefs;
	/** points from exchanges under the base domain (0..10) */
	unsigned pts_under_base;
	/** points from distinct exchanges (0..10) */
	unsigned pts_distinct;
};

/**
 * Score one MX answer for staging shape. Allocation-free, linear in n, safe
 * for any input: 0 records, the root exchange ".", binary bytes, malformed
 * or maximum-length names, thousands of records.
 * @param qname: query name, wire format (borrowed).
 * @param qname_len: its length.
 * @param base_off: offset of the base domain in qname (from
 *	mxg_names_memo_lookup); out of range is treated as 0.
 * @param rr: the MX records (may be NULL when n is 0).
 * @param n: number of records.
 * @param detail: if not NULL, filled in with the signals.
 * @return the score, 0..100.
 */
unsigned mxg_shape_score(const uint8_t* qname, size_t qname_len,
	size_t base_off, const struct mxg_mx_rr* rr, size_t n,
	struct mxg_shape* detail);

/**
 * Write the one-line explanation of a score for a verdict reason, e.g.
 * "answer for 1.evil.example has 100 MX, 400 hex labels of 50 chars,
 * preferences 10..1000 step 10, score 100". Bounded, always NUL-terminated
 * (when buflen > 0); a name that does not fit is cut, the score is kept.
 * @param d: the detail from mxg_shape_score().
 * @param qname: the query name, wire format.
 * @param qname_len: its length.
 * @param buf: output.
 * @param buflen: size of buf (MXG_REASON_MAX in the engine).
 * @return the length of the text written (excluding NUL).
 */
size_t mxg_shape_explain(const struct mxg_shape* d, const uint8_t* qname,
	size_t qname_len, char* buf, size_t buflen);

/**
 * A cheap upper bound of mxg_shape_score() for the same records: a few
 * instructions per label. When no exchange has a label of 20 characters or
 * more, nothing can count as encoded and the bound is the count points
 * alone (at most 25); otherwise it is 100. The engine skips the full score
 * when the bound is below the rule's limit, as it is for almost every
 * honest answer.
 */
unsigned mxg_shape_bound(const struct mxg_mx_rr* rr, size_t n);

/** Shortest exchange label that may count as encoded (half weight). */
#define MXG_SHAPE_ENC_MIN 20

/**
 * mxg_shape_bound() of n records none of whose exchanges has a label of
 * MXG_SHAPE_ENC_MIN characters or more: the count points alone. A valid
 * exchange name of fewer than MXG_SHAPE_ENC_MIN + 2 wire bytes (a length
 * byte and the root label besides) has none, so a caller that knows its
 * names are valid (Unbound checked them when it parsed the answer) can
 * give the engine the bound without walking the labels.
 */
static inline unsigned
mxg_shape_bound_count(size_t n)
{
	if(n < 5)
		return 0;
	return n >= 20 ? MXG_SHAPE_BOUND_PLAIN : (n >= 10 ? 15 : 5);
}

#endif /* MXGUARD_SHAPE_H */

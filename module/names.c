/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/names.c - DNS name features: text, hash, base domain.
 */
/** \file
 * Wire-format name handling for the engine and the scorer, with no Unbound
 * types. The base domain comes from libpsl's built-in list; because one
 * psl_registrable_domain() call costs about 2,000 instructions and the
 * engine's budget is about 800 per observation, a memo keeps name hash ->
 * base offset.
 *
 * Memo protection: the memo is an array of 64-bit words, two per bucket.
 * A word packs the upper 48 bits of the name hash, the name length (8 bits)
 * and the base offset (8 bits). Words are read and written with relaxed
 * C11 atomics, so a reader always sees a whole entry, old or new; no lock, no
 * seqlock is needed because no entry spans two words. A writer moves way 0 to
 * way 1 and puts the new entry in way 0 (two independent stores; a race
 * between writers can only lose an entry, never corrupt one). The hash is
 * computed over the lowercased name, so the case of a query does not matter.
 * The price of one-word entries is that the key is 48 bits of hash plus the
 * length, not the name: a false hit needs two names of equal length that
 * collide in those 48 bits and in the bucket index (about 2^-48 per lookup
 * against a full table), and even then the offset is checked to be inside the
 * name. For a base-domain estimate that is a fine trade for a hit of a few
 * dozen instructions. The bucket and the tag come from the name hash mixed
 * with a random key of the memo (one fmix64), so names chosen to collide in
 * one bucket cannot be computed offline.
 */
#include <libpsl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "mxguard/hash.h"
#include "mxguard/mxguard.h"
#include "mxguard/names.h"

/** ASCII lowercase of a byte; other bytes unchanged. */
static inline uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 0x20) : c;
}

const char*
mxg_names_strerror(int st)
{
	switch(st) {
	case MXG_NAME_OK: return "ok";
	case MXG_NAME_ERR_LABEL: return "label longer than 63 bytes";
	case MXG_NAME_ERR_LONG: return "name longer than 255 bytes";
	case MXG_NAME_ERR_TRUNC: return "name ends before the root label";
	case MXG_NAME_ERR_SPACE: return "output buffer too small";
	case MXG_NAME_ERR_SYNTAX: return "bad escape or empty label";
	case MXG_NAME_ERR_ARG: return "bad argument or library failure";
	default: return "unknown name error";
	}
}

int
mxg_names_check(const uint8_t* wire, size_t len, size_t* wlen)
{
	size_t pos = 0;
	if(!wire)
		return MXG_NAME_ERR_ARG;
	for(;;) {
		uint8_t l;
		if(pos >= len)
			return MXG_NAME_ERR_TRUNC;
		l = wire[pos];
		if(l > MXG_NAME_LABEL_MAX)
			return MXG_NAME_ERR_LABEL;
		if(pos + 1 + l > MXG_NAME_WIRE_MAX)
			return MXG_NAME_ERR_LONG;
		pos += 1 + (size_t)l;
		if(l == 0)
			break;
	}
	if(wlen)
		*wlen = pos;
	return MXG_NAME_OK;
}

/** Bounded text writer. */
struct tbuf {
	/** output */
	char* p;
	/** size of p */
	size_t cap;
	/** characters written (not counting NUL) */
	size_t n;
	/** ran out of space */
	int full;
};

/** Append one character. */
static void
tb_put(struct tbuf* t, char c)
{
	if(t->n + 1 >= t->cap) {
		t->full = 1;
		return;
	}
	t->p[t->n++] = c;
	t->p[t->n] = 0;
}

/** Append one label byte, escaped; whole escapes or nothing. */
static void
tb_label_byte(struct tbuf* t, uint8_t c)
{
	char e[5];
	size_t k, el;
	c = lc(c);
	if(c == '.' || c == '\\' || c == '"') {
		e[0] = '\\';
		e[1] = (char)c;
		el = 2;
	} else if(c < 0x21 || c > 0x7e) {
		e[0] = '\\';
		e[1] = (char)('0' + c / 100);
		e[2] = (char)('0' + (c / 10) % 10);
		e[3] = (char)('0' + c % 10);
		el = 4;
	} else {
		e[0] = (char)c;
		el = 1;
	}
	if(t->full || t->n + el >= t->cap) {
		t->full = 1;
		return;
	}
	for(k = 0; k < el; k++)
		t->p[t->n++] = e[k];
	t->p[t->n] = 0;
}

int
mxg_names_to_str(const uint8_t* wire, size_t len, char* buf, size_t buflen)
{
	struct tbuf t;
	size_t pos = 0, wl, i;
	int st;
	if(!buf || buflen == 0)
		return MXG_NAME_ERR_SPACE;
	buf[0] = 0;
	st = mxg_names_check(wire, len, &wl);
	if(st != MXG_NAME_OK)
		return st;
	t.p = buf;
	t.cap = buflen;
	t.n = 0;
	t.full = 0;
	if(wire[0] == 0) {
		tb_put(&t, '.');
		return t.full ? MXG_NAME_ERR_SPACE : MXG_NAME_OK;
	}
	while(wire[pos] != 0 && !t.full) {
		uint8_t l = wire[pos];
		if(pos != 0)
			tb_put(&t, '.');
		for(i = 0; i < l; i++)
			tb_label_byte(&t, wire[pos + 1 + i]);
		pos += 1 + (size_t)l;
	}
	return t.full ? MXG_NAME_ERR_SPACE : MXG_NAME_OK;
}

int
mxg_names_from_str(const char* str, uint8_t* wire, size_t wirelen,
	size_t* outlen)
{
	const unsigned char* s = (const unsigned char*)str;
	size_t pos = 0, lab = 0;
	if(!str || !wire || !outlen)
		return MXG_NAME_ERR_ARG;
	/* root: "" or "." */
	if(s[0] == 0 || (s[0] == '.' && s[1] == 0)) {
		if(wirelen < 1)
			return MXG_NAME_ERR_SPACE;
		wire[0] = 0;
		*outlen = 1;
		return MXG_NAME_OK;
	}
	if(wirelen < 1)
		return MXG_NAME_ERR_SPACE;
	lab = pos++; /* length byte of the current label */
	wire[lab] = 0;
	while(*s) {
		unsigned c;
		if(*s == '.') {
			if(wire[lab] == 0)
				return MXG_NAME_ERR_SYNTAX; /* empty label */
			s++;
			if(*s == 0)
				break; /* trailing dot */
			if(pos >= wirelen)
				return MXG_NAME_ERR_SPACE;
			lab = pos++;
			wire[lab] = 0;
			continue;
		}
		if(*s == '\\') {
			s++;
			if(s[0] >= '0' && s[0] <= '9') {
				if(!(s[1] >= '0' && s[1] <= '9') ||
					!(s[2] >= '0' && s[2] <= '9'))
					return MXG_NAME_ERR_SYNTAX;
				c = (unsigned)(s[0] - '0') * 100 +
					(unsigned)(s[1] - '0') * 10 +
					(unsigned)(s[2] - '0');
				if(c > 255)
					return MXG_NAME_ERR_SYNTAX;
				s += 3;
			} else if(*s == 0) {
				return MXG_NAME_ERR_SYNTAX;
			} else {
				c = *s++;
			}
		} else {
			c = *s++;
		}
		if(wire[lab] >= MXG_NAME_LABEL_MAX)
			return MXG_NAME_ERR_LABEL;
		if(pos + 1 >= MXG_NAME_WIRE_MAX)
			return MXG_NAME_ERR_LONG;
		if(pos >= wirelen)
			return MXG_NAME_ERR_SPACE;
		wire[pos++] = (uint8_t)c;
		wire[lab]++;
	}
	if(wire[lab] == 0)
		return MXG_NAME_ERR_SYNTAX;
	if(pos + 1 > MXG_NAME_WIRE_MAX)
		return MXG_NAME_ERR_LONG;
	if(pos >= wirelen)
		return MXG_NAME_ERR_SPACE;
	wire[pos++] = 0;
	*outlen = pos;
	return MXG_NAME_OK;
}

uint64_t
mxg_names_hash(const uint8_t* wire, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0x6a09e667f3bcc908ULL ^ (uint64_t)len;
	uint64_t w;
	size_t i = 0;
	if(!wire)
		return mxg_fmix64(h);
	for(; i + 8 <= len; i += 8) {
		memcpy(&w, wire + i, 8);
		h = (h ^ mxg_lower8(w)) * k;
		h ^= h >> 32;
	}
	if(i < len) {
		if(len >= 8) {
			/* the last 8 bytes, overlapping the previous word */
			memcpy(&w, wire + len - 8, 8);
		} else {
			size_t r;
			w = 0;
			for(r = 0; r < len; r++)
				w |= (uint64_t)wire[r] << (8 * r);
		}
		h = (h ^ mxg_lower8(w)) * k;
	}
	return mxg_fmix64(h);
}

int
mxg_names_equal(const uint8_t* a, size_t alen, const uint8_t* b, size_t blen)
{
	size_t i;
	if(alen != blen || !a || !b)
		return 0;
	for(i = 0; i < alen; i++)
		if(lc(a[i]) != lc(b[i]))
			return 0;
	return 1;
}

int
mxg_names_is_under(const uint8_t* name, size_t nlen, const uint8_t* parent,
	size_t plen)
{
	size_t nl, pl, pos = 0, want;
	if(mxg_names_check(name, nlen, &nl) != MXG_NAME_OK ||
		mxg_names_check(parent, plen, &pl) != MXG_NAME_OK)
		return 0;
	if(pl > nl)
		return 0;
	want = nl - pl;
	while(pos < want)
		pos += 1 + (size_t)name[pos];
	if(pos != want)
		return 0;
	return mxg_names_equal(name + want, pl, parent, pl);
}

int
mxg_names_label_count(const uint8_t* wire, size_t len)
{
	size_t pos = 0;
	int n = 0;
	if(mxg_names_check(wire, len, NULL) != MXG_NAME_OK)
		return -1;
	while(wire[pos] != 0) {
		pos += 1 + (size_t)wire[pos];
		n++;
	}
	return n;
}

/** Is the byte string valid UTF-8 with at least one multibyte sequence,
 * and no ASCII other than host characters? */
static int
label_utf8_ok(const uint8_t* p, size_t l)
{
	size_t i = 0;
	while(i < l) {
		uint8_t c = p[i];
		size_t k, more;
		if(c < 0x80) {
			i++;
			continue;
		}
		if(c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if(c >= 0xe0 && c <= 0xef)
			more = 2;
		else if(c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return 0;
		if(i + more >= l)
			return 0;
		for(k = 1; k <= more; k++)
			if((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += 1 + more;
	}
	return 1;
}

/** Is the label made of host characters libpsl can take as they are? */
static int
label_plain(const uint8_t* p, size_t l)
{
	size_t i;
	int high = 0;
	for(i = 0; i < l; i++) {
		uint8_t c = lc(p[i]);
		if((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_')
			continue;
		if(c >= 0x80) {
			high = 1;
			continue;
		}
		return 0;
	}
	return !high || label_utf8_ok(p, l);
}

int
mxg_names_base(const uint8_t* wire, size_t len, size_t* base_off)
{
	char text[MXG_NAME_WIRE_MAX + 1];
	size_t offs[128];
	size_t pos = 0, tn = 0, nlab = 0, k;
	const char* r;
	int st;
	if(!base_off)
		return MXG_NAME_ERR_ARG;
	*base_off = 0;
	st = mxg_names_check(wire, len, NULL);
	if(st != MXG_NAME_OK)
		return st;
	if(wire[0] == 0)
		return MXG_NAME_OK;
	/* lowercased text; opaque labels become "_" (no dots, no escapes,
	 * so labels map one to one between text and wire) */
	while(wire[pos] != 0) {
		uint8_t l = wire[pos];
		const uint8_t* p = wire + pos + 1;
		offs[nlab++] = pos;
		if(tn)
			text[tn++] = '.';
		if(label_plain(p, l)) {
			size_t i;
			for(i = 0; i < l; i++)
				text[tn++] = (char)lc(p[i]);
		} else {
			text[tn++] = '_';
		}
		pos += 1 + (size_t)l;
	}
	text[tn] = 0;
	r = psl_registrable_domain(psl_builtin(), text);
	if(!r)
		return MXG_NAME_OK; /* a public suffix itself, or no answer */
	/* count labels of the result */
	k = 1;
	for(; *r; r++)
		if(*r == '.')
			k++;
	if(k <= nlab)
		*base_off = offs[nlab - k];
	return MXG_NAME_OK;
}

/** The memo: 2 * nbuckets words. */
struct mxg_basememo {
	/** number of buckets minus one (a power of two minus one) */
	uint64_t mask;
	/** random key mixed into the name hash: names chosen to share a
	 * bucket (and evict each other at every lookup, each miss a libpsl
	 * call) cannot be found without it */
	uint64_t seed;
	/** misses (libpsl calls) */
	_Atomic uint64_t misses;
	/** the entries: word = hash[63:16] | len << 8 | base offset */
	_Atomic uint64_t* w;
	/** number of words */
	size_t nwords;
};

struct mxg_basememo*
mxg_names_memo_new(size_t entries)
{
	struct mxg_basememo* m;
	size_t n = 64, i;
	while(n < entries && n < ((size_t)1 << 24))
		n <<= 1;
	m = calloc(1, sizeof(*m));
	if(!m)
		return NULL;
	m->w = malloc(n * sizeof(*m->w));
	if(!m->w) {
		free(m);
		return NULL;
	}
	for(i = 0; i < n; i++)
		atomic_init(&m->w[i], 0);
	atomic_init(&m->misses, 0);
	if(getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) !=
		(ssize_t)sizeof(m->seed))
		m->seed = mxg_fmix64((uint64_t)(uintptr_t)m ^
			(uint64_t)time(NULL));
	m->nwords = n;
	m->mask = (uint64_t)(n / 2 - 1);
	return m;
}

void
mxg_names_memo_free(struct mxg_basememo* m)
{
	if(!m)
		return;
	free(m->w);
	free(m);
}

/** A memo miss: ask libpsl and keep the answer in the bucket b (its
 * newer word; the older one goes). Out of line, so that a hit does not pay
 * for its frame. */
static __attribute__((noinline)) int
memo_miss(struct mxg_basememo* m, _Atomic uint64_t* b, uint64_t key,
	uint64_t w0, const uint8_t* wire, size_t len, size_t* base_off)
{
	uint64_t neww;
	size_t off;
	int st;
	atomic_fetch_add_explicit(&m->misses, 1, memory_order_relaxed);
	st = mxg_names_base(wire, len, &off);
	*base_off = off;
	if(st != MXG_NAME_OK)
		return st;
	neww = key | (uint64_t)off;
	atomic_store_explicit(&b[1], w0, memory_order_relaxed);
	atomic_store_explicit(&b[0], neww, memory_order_relaxed);
	return MXG_NAME_OK;
}

/** The lookup, with a keyed hash (the seed mixed in by the caller). */
static inline __attribute__((always_inline)) int
memo_lookup(struct mxg_basememo* m, const uint8_t* wire, size_t len,
	uint64_t hash, size_t* base_off)
{
	_Atomic uint64_t* b;
	uint64_t key, w0, w1;
	b = &m->w[(hash & m->mask) * 2];
	key = (hash & ~(uint64_t)0xffff) | ((uint64_t)len << 8);
	w0 = atomic_load_explicit(&b[0], memory_order_relaxed);
	if((w0 & ~(uint64_t)0xff) == key && (w0 & 0xff) < len) {
		*base_off = (size_t)(w0 & 0xff);
		return MXG_NAME_OK;
	}
	w1 = atomic_load_explicit(&b[1], memory_order_relaxed);
	if((w1 & ~(uint64_t)0xff) == key && (w1 & 0xff) < len) {
		*base_off = (size_t)(w1 & 0xff);
		return MXG_NAME_OK;
	}
	return memo_miss(m, b, key, w0, wire, len, base_off);
}

int
mxg_names_memo_lookup_keyed(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, uint64_t hash, size_t* base_off)
{
	if(!m || len > MXG_NAME_WIRE_MAX || len == 0)
		return mxg_names_base(wire, len, base_off);
	if(!base_off || !wire)
		return MXG_NAME_ERR_ARG;
	/* the caller keyed the hash with its own seed */
	return memo_lookup(m, wire, len, hash, base_off);
}

int
mxg_names_memo_lookup_hash(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, uint64_t hash, size_t* base_off)
{
	/* keyed here: bucket and tag come from the hash mixed with the seed */
	return mxg_names_memo_lookup_keyed(m, wire, len,
		m ? mxg_fmix64(hash ^ m->seed) : hash, base_off);
}

int
mxg_names_memo_lookup(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, size_t* base_off)
{
	return mxg_names_memo_lookup_hash(m, wire, len,
		mxg_names_hash(wire, len), base_off);
}

uint64_t
mxg_names_memo_misses(const struct mxg_basememo* m)
{
	if(!m)
		return 0;
	return atomic_load_explicit(&((struct mxg_basememo*)m)->misses,
		memory_order_relaxed);
}

size_t
mxg_names_memo_mem(const struct mxg_basememo* m)
{
	if(!m)
		return 0;
	return sizeof(*m) + m->nwords * sizeof(*m->w);
}

size_t
mxg_names_first_label(const uint8_t* wire, size_t len, const uint8_t** label)
{
	size_t l;
	if(label)
		*label = NULL;
	if(!wire || len == 0)
		return 0;
	l = wire[0];
	if(l == 0 || l > MXG_NAME_LABEL_MAX || 1 + l >= len)
		return 0;
	if(label)
		*label = wire + 1;
	return l;
}

int
mxg_names_numeric_prefix(const uint8_t* wire, size_t len)
{
	const uint8_t* p;
	size_t l = mxg_names_first_label(wire, len, &p), i;
	if(l == 0)
		return 0;
	for(i = 0; i < l; i++)
		if(p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/** c * log2(c) * 1000, rounded, for c in 0..63. */
static const uint32_t clogc[64] = {
	0, 0, 2000, 4755, 8000, 11610, 15510, 19651,
	24000, 28529, 33219, 38054, 43020, 48106, 53303, 58603,
	64000, 69487, 75059, 80711, 86439, 92239, 98107, 104042,
	110039, 116096, 122211, 128382, 134606, 140881, 147207, 153580,
	160000, 166465, 172974, 179525, 186117, 192750, 199421, 206131,
	212877, 219660, 226477, 233329, 240215, 247133, 254084, 261066,
	268078, 275121, 282193, 289294, 296423, 303580, 310764, 317975,
	325212, 332475, 339763, 347076, 354413, 361775, 369160, 376569,
};

void
mxg_names_label_stats(const uint8_t* label, size_t len,
	struct mxg_label_stats* st)
{
	uint8_t cnt[256];
	uint32_t sum = 0;
	size_t i;
	memset(st, 0, sizeof(*st));
	if(!label)
		return;
	if(len > MXG_NAME_LABEL_MAX)
		len = MXG_NAME_LABEL_MAX;
	st->len = (unsigned)len;
	memset(cnt, 0, sizeof(cnt));
	for(i = 0; i < len; i++) {
		uint8_t c = label[i];
		uint8_t l = lc(c);
		cnt[c]++;
		if(c >= '0' && c <= '9') {
			st->digits++;
			st->hex++;
			st->b32hex++;
			st->b64++;
			if(c >= '2' && c <= '7')
				st->b32++;
			continue;
		}
		if(c >= 'a' && c <= 'z')
			st->lower++;
		else if(c >= 'A' && c <= 'Z')
			st->upper++;
		if(l >= 'a' && l <= 'z') {
			st->b32++;
			st->b64++;
			if(l <= 'f')
				st->hex++;
			if(l <= 'v')
				st->b32hex++;
			continue;
		}
		if(c == '+' || c == '/' || c == '-' || c == '_' || c == '=')
			st->b64++;
		else if(c < 0x21 || c > 0x7e)
			st->binary++;
	}
	if(len < 2)
		return;
	for(i = 0; i < len; i++) {
		uint8_t c = label[i];
		if(cnt[c]) {
			sum += clogc[cnt[c]];
			cnt[c] = 0;
		}
	}
	st->entropy_mbits = (unsigned)((clogc[len] - sum + len / 2) / len);
}

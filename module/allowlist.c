/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/allowlist.c - the relay allowlist (CIDR, v4 and v6).
 */
/** \file
 * Netblocks of the mail relays, kept as one hash table per prefix length
 * (33 for IPv4, 129 for IPv6). A table holds the network addresses (host
 * bits cleared) of the netblocks of that length; open addressing, linear
 * probing, load at most 1/2.
 *
 * A lookup masks the address once per prefix length that has entries and
 * probes that table: at most 33 (IPv4) or 129 (IPv6) probes, in practice as
 * many as there are distinct lengths in the list (a handful), and never more
 * because there are more netblocks. So the cost does not depend on the number
 * of entries, overlapping netblocks need no special care (any hit is a
 * match), and memory stays small (4 or 16 bytes a slot).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are looked up in the IPv4
 * tables, and a netblock written as ::ffff:a.b.c.d/N (N >= 96) is stored as
 * the IPv4 netblock a.b.c.d/(N-96).
 *
 * Threads: the list is built by one thread (the config parser) and is
 * read-only afterwards; mxg_allowlist_match* only read it, so any number of
 * workers may call them at the same time without a lock. mxg_allowlist_add
 * must not run concurrently with anything else on the same list.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/allowlist.h"

/** Number of IPv4 prefix lengths (0..32). */
#define V4_LENS 33
/** Number of IPv6 prefix lengths (0..128). */
#define V6_LENS 129

/** Hash table of IPv4 network addresses of one prefix length. The key 0 marks
 * an empty slot; the network 0.0.0.0 itself is kept in has_zero. */
struct tab4 {
	/** slots (cap of them), host byte order */
	uint32_t* keys;
	/** log2 of the number of slots, 0 when not allocated */
	int lg;
	/** keys stored, not counting has_zero */
	size_t n;
	/** the network 0.0.0.0 (or the /0) is in the table */
	int has_zero;
};

/** Hash table of IPv6 network addresses of one prefix length, as two 64-bit
 * halves per slot (high, low); (0, 0) marks an empty slot. */
struct tab6 {
	/** 2 * cap words */
	uint64_t* keys;
	/** log2 of the number of slots, 0 when not allocated */
	int lg;
	/** keys stored, not counting has_zero */
	size_t n;
	/** the network :: (or the /0) is in the table */
	int has_zero;
};

/** The allowlist. */
struct mxg_allowlist {
	/** IPv4 tables by prefix length */
	struct tab4 v4[V4_LENS];
	/** IPv6 tables by prefix length */
	struct tab6 v6[V6_LENS];
	/** prefix lengths with IPv4 entries, longest first */
	uint8_t v4_lens[V4_LENS];
	/** entries in v4_lens */
	int v4_nlens;
	/** prefix lengths with IPv6 entries, longest first */
	uint8_t v6_lens[V6_LENS];
	/** entries in v6_lens */
	int v6_nlens;
	/** distinct netblocks stored */
	size_t count;
};

struct mxg_allowlist*
mxg_allowlist_new(void)
{
	return calloc(1, sizeof(struct mxg_allowlist));
}

void
mxg_allowlist_free(struct mxg_allowlist* al)
{
	int i;
	if(!al)
		return;
	for(i = 0; i < V4_LENS; i++)
		free(al->v4[i].keys);
	for(i = 0; i < V6_LENS; i++)
		free(al->v6[i].keys);
	free(al);
}

/** Slot of an IPv4 key in a table of 2^lg slots. */
static inline size_t
hash4(uint32_t k, int lg)
{
	return (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15ULL) >> (64 - lg));
}

/** Slot of an IPv6 key in a table of 2^lg slots. */
static inline size_t
hash6(uint64_t hi, uint64_t lo, int lg)
{
	uint64_t h = hi * 0x9E3779B97F4A7C15ULL ^ (lo + (lo >> 29)) *
		0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 32;
	return (size_t)((h * 0x9E3779B97F4A7C15ULL) >> (64 - lg));
}

/** Mask of the network bits of an IPv4 prefix length. */
static inline uint32_t
mask4(int len)
{
	return len == 0 ? 0 : 0xFFFFFFFFu << (32 - len);
}

/** Masks of the network bits of an IPv6 prefix length (high, low halves). */
static inline void
mask6(int len, uint64_t* mhi, uint64_t* mlo)
{
	if(len <= 64) {
		*mhi = len == 0 ? 0 : ~0ULL << (64 - len);
		*mlo = 0;
	} else {
		*mhi = ~0ULL;
		*mlo = ~0ULL << (128 - len);
	}
}

/** Insert a length into a longest-first list of lengths, once. */
static void
lens_add(uint8_t* lens, int* n, int len)
{
	int i, j;
	for(i = 0; i < *n; i++) {
		if(lens[i] == len)
			return;
		if(lens[i] < len)
			break;
	}
	for(j = *n; j > i; j--)
		lens[j] = lens[j - 1];
	lens[i] = (uint8_t)len;
	(*n)++;
}

/** Put the zero key, which has no slot (0 marks an empty one) but a flag.
 * @return 1 added, 2 already there */
static int
put_zero(int* has_zero)
{
	if(*has_zero)
		return 2;
	*has_zero = 1;
	return 1;
}

/** The log2 of the slots a table of 2^lg slots (0: none yet) holding n keys
 * grows to before one more goes in (kept at most half full), 0 if it need
 * not grow. */
static int
grow_lg(int lg, size_t n)
{
	if(lg != 0 && (n + 1) * 2 <= ((size_t)1 << lg))
		return 0;
	return lg ? lg + 1 : 3;
}

/** Put a key in an IPv4 table. @return 1 added, 2 already there, 0 nomem */
static int
tab4_put(struct tab4* t, uint32_t k)
{
	size_t i, mask;
	int nlg;
	if(k == 0)
		return put_zero(&t->has_zero);
	if((nlg = grow_lg(t->lg, t->n))) {
		uint32_t* nk = calloc((size_t)1 << nlg, sizeof(uint32_t));
		size_t j;
		if(!nk)
			return 0;
		for(j = 0; t->lg && j < ((size_t)1 << t->lg); j++) {
			if(t->keys[j] == 0)
				continue;
			i = hash4(t->keys[j], nlg);
			while(nk[i])
				i = (i + 1) & (((size_t)1 << nlg) - 1);
			nk[i] = t->keys[j];
		}
		free(t->keys);
		t->keys = nk;
		t->lg = nlg;
	}
	mask = ((size_t)1 << t->lg) - 1;
	for(i = hash4(k, t->lg); t->keys[i]; i = (i + 1) & mask)
		if(t->keys[i] == k)
			return 2;
	t->keys[i] = k;
	t->n++;
	return 1;
}

/** Is the key in the IPv4 table? */
static inline int
tab4_has(const struct tab4* t, uint32_t k)
{
	size_t i, mask;
	if(k == 0)
		return t->has_zero;
	if(t->lg == 0)
		return 0;
	mask = ((size_t)1 << t->lg) - 1;
	for(i = hash4(k, t->lg); t->keys[i]; i = (i + 1) & mask)
		if(t->keys[i] == k)
			return 1;
	return 0;
}

/** Put a key in an IPv6 table. @return 1 added, 2 already there, 0 nomem */
static int
tab6_put(struct tab6* t, uint64_t hi, uint64_t lo)
{
	size_t i, mask;
	int nlg;
	if(hi == 0 && lo == 0)
		return put_zero(&t->has_zero);
	if((nlg = grow_lg(t->lg, t->n))) {
		size_t nmask = ((size_t)1 << nlg) - 1, j;
		uint64_t* nk = calloc((size_t)2 << nlg, sizeof(uint64_t));
		if(!nk)
			return 0;
		for(j = 0; t->lg && j < ((size_t)1 << t->lg); j++) {
			uint64_t h = t->keys[2 * j], l = t->keys[2 * j + 1];
			if(h == 0 && l == 0)
				continue;
			i = hash6(h, l, nlg);
			while(nk[2 * i] || nk[2 * i + 1])
				i = (i + 1) & nmask;
			nk[2 * i] = h;
			nk[2 * i + 1] = l;
		}
		free(t->keys);
		t->keys = nk;
		t->lg = nlg;
	}
	mask = ((size_t)1 << t->lg) - 1;
	for(i = hash6(hi, lo, t->lg); t->keys[2 * i] || t->keys[2 * i + 1];
		i = (i + 1) & mask)
		if(t->keys[2 * i] == hi && t->keys[2 * i + 1] == lo)
			return 2;
	t->keys[2 * i] = hi;
	t->keys[2 * i + 1] = lo;
	t->n++;
	return 1;
}

/** Is the key in the IPv6 table? */
static inline int
tab6_has(const struct tab6* t, uint64_t hi, uint64_t lo)
{
	size_t i, mask;
	if(hi == 0 && lo == 0)
		return t->has_zero;
	if(t->lg == 0)
		return 0;
	mask = ((size_t)1 << t->lg) - 1;
	for(i = hash6(hi, lo, t->lg); t->keys[2 * i] || t->keys[2 * i + 1];
		i = (i + 1) & mask)
		if(t->keys[2 * i] == hi && t->keys[2 * i + 1] == lo)
			return 1;
	return 0;
}

/** Read 4 bytes in network order. */
static inline uint32_t
get32(const uint8_t* p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/** Read 8 bytes in network order. */
static inline uint64_t
get64(const uint8_t* p)
{
	return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

/** Is the 16-byte address IPv4-mapped (::ffff:0:0/96)? */
static inline int
is_mapped(const uint8_t* a)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	return memcmp(a, pre, 12) == 0;
}

/** Add an IPv4 network (already masked). @return 0 on malloc failure. */
static int
add4(struct mxg_allowlist* al, uint32_t net, int len)
{
	int r = tab4_put(&al->v4[len], net);
	if(r == 0)
		return 0;
	if(r == 1) {
		al->count++;
		lens_add(al->v4_lens, &al->v4_nlens, len);
	}
	return 1;
}

int
mxg_allowlist_add(struct mxg_allowlist* al, const char* cidr, char* err,
	size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 8], out[INET6_ADDRSTRLEN];
	const char* slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	uint8_t a[16];
	int v6, len, maxlen, i;

	if(alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "not an IP address");
		return 0;
	}
	memcpy(addr, cidr, alen);
	addr[alen] = 0;
	v6 = strchr(addr, ':') != NULL;
	if(inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1) {
		snprintf(err, errlen, "not an IP%s address", v6 ? "v6" : "v4");
		return 0;
	}
	maxlen = v6 ? 128 : 32;
	if(slash) {
		const char* p = slash + 1;
		if(!*p) {
			snprintf(err, errlen, "missing prefix length (0-%d)",
				maxlen);
			return 0;
		}
		len = 0;
		for(i = 0; p[i]; i++) {
			if(!isdigit((unsigned char)p[i]) || i >= 3) {
				snprintf(err, errlen,
					"bad prefix length %s (0-%d)", p,
					maxlen);
				return 0;
			}
			len = len * 10 + (p[i] - '0');
		}
		if(len > maxlen) {
			snprintf(err, errlen, "bad prefix length %d (0-%d)",
				len, maxlen);
			return 0;
		}
	} else {
		len = maxlen;
	}
	if(!v6) {
		uint32_t x = get32(a), net = x & mask4(len);
		if(net != x) {
			struct in_addr ia;
			ia.s_addr = htonl(net);
			inet_ntop(AF_INET, &ia, out, sizeof(out));
			snprintf(err, errlen,
				"host bits set (did you mean %s/%d?)", out, len);
			return 0;
		}
		if(!add4(al, net, len))
			goto nomem;
	} else {
		uint64_t hi = get64(a), lo = get64(a + 8), mhi, mlo;
		int r;
		mask6(len, &mhi, &mlo);
		if((hi & mhi) != hi || (lo & mlo) != lo) {
			uint8_t n[16];
			for(i = 0; i < 8; i++) {
				n[i] = (uint8_t)((hi & mhi) >> (56 - 8 * i));
				n[8 + i] = (uint8_t)((lo & mlo) >> (56 - 8 * i));
			}
			inet_ntop(AF_INET6, n, out, sizeof(out));
			snprintf(err, errlen,
				"host bits set (did you mean %s/%d?)", out, len);
			return 0;
		}
		if(len >= 96 && is_mapped(a)) {
			/* ::ffff:a.b.c.d/N is the IPv4 netblock a.b.c.d/N-96 */
			if(!add4(al, get32(a + 12), len - 96))
				goto nomem;
			return 1;
		}
		r = tab6_put(&al->v6[len], hi, lo);
		if(r == 0)
			goto nomem;
		if(r == 1) {
			al->count++;
			lens_add(al->v6_lens, &al->v6_nlens, len);
		}
	}
	return 1;
nomem:
	snprintf(err, errlen, "out of memory");
	return 0;
}

/** Match an IPv4 address in host byte order. */
static inline int
match4(const struct mxg_allowlist* al, uint32_t x)
{
	int i;
	for(i = 0; i < al->v4_nlens; i++) {
		int len = al->v4_lens[i];
		if(tab4_has(&al->v4[len], x & mask4(len)))
			return 1;
	}
	return 0;
}

int
mxg_allowlist_match(const struct mxg_allowlist* al, int family,
	const uint8_t* addr)
{
	uint64_t hi, lo, mhi, mlo;
	int i;
	if(!al || !addr)
		return 0;
	if(family == AF_INET)
		return match4(al, get32(addr));
	if(family != AF_INET6)
		return 0;
	if(is_mapped(addr))
		return match4(al, get32(addr + 12));
	hi = get64(addr);
	lo = get64(addr + 8);
	for(i = 0; i < al->v6_nlens; i++) {
		int len = al->v6_lens[i];
		mask6(len, &mhi, &mlo);
		if(tab6_has(&al->v6[len], hi & mhi, lo & mlo))
			return 1;
	}
	return 0;
}

int
mxg_allowlist_match_sa(const struct mxg_allowlist* al,
	const struct sockaddr* sa)
{
	if(!sa)
		return 0;
	if(sa->sa_family == AF_INET)
		return mxg_allowlist_match(al, AF_INET, (const uint8_t*)
			&((const struct sockaddr_in*)sa)->sin_addr);
	if(sa->sa_family == AF_INET6)
		return mxg_allowlist_match(al, AF_INET6, (const uint8_t*)
			&((const struct sockaddr_in6*)sa)->sin6_addr);
	return 0;
}

size_t
mxg_allowlist_count(const struct mxg_allowlist* al)
{
	return al ? al->count : 0;
}

size_t
mxg_allowlist_mem(const struct mxg_allowlist* al)
{
	size_t m;
	int i;
	if(!al)
		return 0;
	m = sizeof(*al);
	for(i = 0; i < V4_LENS; i++)
		if(al->v4[i].lg)
			m += sizeof(uint32_t) << al->v4[i].lg;
	for(i = 0; i < V6_LENS; i++)
		if(al->v6[i].lg)
			m += (2 * sizeof(uint64_t)) << al->v6[i].lg;
	return m;
}

int
mxg_allowlist_match_text(const struct mxg_allowlist* al, const char* addr)
{
	uint8_t b[16];
	if(strchr(addr, ':')) {
		if(inet_pton(AF_INET6, addr, b) != 1)
			return -1;
		return mxg_allowlist_match(al, AF_INET6, b);
	}
	if(inet_pton(AF_INET, addr, b) != 1)
		return -1;
	return mxg_allowlist_match(al, AF_INET, b);
}

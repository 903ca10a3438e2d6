/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/geo.h - country and ASN of an address (libmaxminddb).
 */
/** \file
 * Country and ASN lookups in MaxMind-format databases, each read into a
 * private sealed copy (so a file truncated or rewritten in place cannot
 * fault the process) and shared read-only by every thread; replaced files
 * are picked up by mxg_geo_refresh. Reads MaxMind's layout
 * (country.iso_code, autonomous_system_number, autonomous_system_organization)
 * and the flat ip-location-db layout (country_code, asn/as_number). Only
 * module/geo.c includes maxminddb.h.
 */
#ifndef MXGUARD_GEO_H
#define MXGUARD_GEO_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "mxguard/hash.h"

struct mxg_geo;

/** Result of a lookup. */
struct mxg_geo_result {
	/** ISO 3166 country code, uppercase; "" when unknown */
	char country[3];
	/** autonomous system number, 0 when unknown */
	uint32_t asn;
	/** AS organisation, "" when unknown (truncated) */
	char as_org[64];
};

/**
 * Open the databases. Either path may be NULL. A database that is missing or
 * corrupt is reported in err (path and MMDB_strerror) and left out; the
 * handle is still returned so the resolver keeps running with less geo.
 * @return a handle (possibly with no database), NULL only on malloc failure.
 */
struct mxg_geo* mxg_geo_open(const char* country_path, const char* asn_path,
	char* err, size_t errlen);

/** Bits of mxg_geo_have(). */
#define MXG_GEO_COUNTRY 1
#define MXG_GEO_ASN 2

/** Which databases are open: MXG_GEO_COUNTRY | MXG_GEO_ASN bits. */
int mxg_geo_have(const struct mxg_geo* g);

/** Build time of a database (MaxMind metadata build_epoch, Unix seconds):
 * which 1 country, 2 ASN. 0 when that database is not open. */
uint64_t mxg_geo_build_time(const struct mxg_geo* g, int which);

/** Look up an address (family AF_INET: 4 bytes, AF_INET6: 16 bytes).
 * Thread-safe. @return 1 if anything was found, 0 otherwise (r cleared). */
int mxg_geo_lookup(const struct mxg_geo* g, int family, const uint8_t* addr,
	struct mxg_geo_result* r);

/** The country of an address (two uppercase letters, "" when unknown), as
 * mxg_geo_lookup() finds it, through a memo of 4096 recent addresses in
 * front of the databases: the country rule asks it for every MX host of
 * every MX answer. Thread-safe (lock-free). */
void mxg_geo_country(struct mxg_geo* g, int family, const uint8_t* addr,
	char cc[3]);

/** Slots of the answer memo (a power of two): 32 KiB. */
#define MXG_GEO_SETS 4096

/**
 * The answer memo: keys of address sets (the MX hosts of one answer) that
 * the caller judged with these databases and wants to skip judging again,
 * MXG_GEO_SETS of them. The country rule keeps the answers whose hosts are
 * in no denied country here, so that a cached answer costs one hash of its
 * addresses instead of a country per address. The handle owns the memo;
 * mxg_geo_sets() gives the caller this view of it for the inline functions
 * below (every cache hit uses them: no call). A key starts with
 * mxg_geo_set_start() (a random seed and the databases' generation: a
 * replaced database forgets every set), takes each address with
 * mxg_geo_set_add4() or _add6() in a fixed order and ends in
 * mxg_geo_set_known().
 * Thread-safe (lock-free, relaxed atomics); a lost store costs a
 * judgement.
 */
struct mxg_geo_sets {
	/** the databases' generation, raised when one is replaced */
	_Atomic uint64_t* gen;
	/** the slots: slot = key, word = key (0: empty) */
	_Atomic uint64_t* slots;
	/** random keys, derived from the handle's: the start, the end, the
	 * first word of an address and the multiplier of each family (both
	 * operands of every multiply hold a secret, so that nobody who
	 * picks addresses can zero one or make an A record equal an AAAA) */
	uint64_t start, end, lo, v4, v6;
};

/** The memo of a handle. @return 0 when g is NULL (out cleared). */
int mxg_geo_sets(struct mxg_geo* g, struct mxg_geo_sets* out);

/** Start a set's key. */
static inline uint64_t
mxg_geo_set_start(const struct mxg_geo_sets* m)
{
	/* the generation first (acquire), as in mxg_geo_country(): a set
	 * judged on an old database keeps the old generation in its key */
	return m->start ^ (atomic_load_explicit(m->gen,
		memory_order_acquire) * 0x9e3779b97f4a7c15ULL);
}

/** Fold an IPv4 address (its 4 bytes as w) into a set's key. */
static inline uint64_t
mxg_geo_set_add4(const struct mxg_geo_sets* m, uint64_t key, uint32_t w)
{
	return mxg_hash_mum(key ^ w ^ m->lo, m->v4);
}

/** Fold an IPv6 address (its first and last 8 bytes) into a set's key. */
static inline uint64_t
mxg_geo_set_add6(const struct mxg_geo_sets* m, uint64_t key, uint64_t lo,
	uint64_t hi)
{
	return mxg_hash_mum(key ^ lo ^ m->lo, hi ^ m->v6);
}

/** End a set's key (n: the number of addresses folded in) and look it up.
 * @param key: the key so far, replaced by the set's final key (for
 *	mxg_geo_set_remember).
 * @return 1 if the set is in the memo. */
static inline int
mxg_geo_set_known(const struct mxg_geo_sets* m, uint64_t* key, size_t n)
{
	uint64_t k = mxg_hash_mum(*key ^ m->end, n ^ 0xbf58476d1ce4e5b9ULL);
	k = k ? k : 1;	/* 0 marks an empty slot */
	*key = k;
	return atomic_load_explicit(&m->slots[k & (MXG_GEO_SETS - 1)],
		memory_order_relaxed) == k;
}

/** Put the set of this final key into the memo. */
static inline void
mxg_geo_set_remember(const struct mxg_geo_sets* m, uint64_t key)
{
	atomic_store_explicit(&m->slots[key & (MXG_GEO_SETS - 1)], key,
		memory_order_relaxed);
}

/** Lookups that failed with a database error since open (corrupt data);
 * the first one is logged, the rest only counted. Thread-safe. */
uint64_t mxg_geo_errors(const struct mxg_geo* g);

/**
 * Pick up replaced database files: a file whose identity (device, inode,
 * size, modification time) changed is opened (from a private copy, like at
 * open) and, if it opens and probes fine, swapped in for the lookups that
 * follow; the replaced one is freed 60 s later. Logs the path and the new
 * build date. Called by one thread (the sink's, about every 10 s); lookups
 * in other threads go on during it.
 * @param g: the handle (NULL is fine).
 * @param now_s: monotonic seconds.
 */
void mxg_geo_refresh(struct mxg_geo* g, uint64_t now_s);

/** Close the databases and free the handle. NULL is fine. */
void mxg_geo_close(struct mxg_geo* g);

#endif /* MXGUARD_GEO_H */

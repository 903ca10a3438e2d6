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
#include <stddef.h>
#include <stdint.h>

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

/**
 * The answer memo: keys of address sets (the MX hosts of one answer) that
 * the caller judged with these databases and wants to skip judging again,
 * 4096 of them. The country rule keeps the answers whose hosts are in no
 * denied country here, so that a cached answer costs one hash of its
 * addresses instead of a country per address. A key starts with
 * mxg_geo_set_start() (a random seed and the databases' generation: a
 * replaced database forgets every set), takes each address with
 * mxg_geo_set_add() in a fixed order and ends with mxg_geo_set_end().
 * Thread-safe (lock-free); a lost store costs a judgement.
 */
uint64_t mxg_geo_set_start(const struct mxg_geo* g);

/** Fold one address into a set's key: lo and hi are its first and last 8
 * bytes (an IPv4 address: its 4 bytes in lo, hi 0), fam 4 or 6. */
static inline uint64_t
mxg_geo_set_add(uint64_t key, uint64_t lo, uint64_t hi, unsigned fam)
{
	__uint128_t m = (__uint128_t)(key ^ lo) * (hi ^ fam ^
		0x9e3779b97f4a7c15ULL);
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/** End a set's key: the number of addresses folded in. */
uint64_t mxg_geo_set_end(const struct mxg_geo* g, uint64_t key, size_t n);

/** Is the set of this key in the memo? */
int mxg_geo_set_known(const struct mxg_geo* g, uint64_t key);

/** Put the set of this key into the memo. */
void mxg_geo_set_remember(struct mxg_geo* g, uint64_t key);

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

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/obs.h - one MX lookup as the glue hands it to the engine.
 */
/** \file
 * The observation: everything mxguard knows about one client MX lookup,
 * pulled out of Unbound's structs by the glue (module/hooks.c) so that the
 * engine never sees an Unbound type. All pointers are borrowed: they are valid
 * only during the call they are passed to.
 */
#ifndef MXGUARD_OBS_H
#define MXGUARD_OBS_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** One MX record of the answer. */
struct mxg_mx_rr {
	/** preference */
	uint16_t pref;
	/** exchange, uncompressed wire format (borrowed) */
	const uint8_t* exchange;
	/** length of exchange in bytes */
	size_t exchange_len;
};

/** One A or AAAA record from the additional section (or rrset cache). */
struct mxg_addr_rr {
	/** owner name, wire format (borrowed) */
	const uint8_t* owner;
	/** length of owner */
	size_t owner_len;
	/** AF_INET or AF_INET6 */
	int family;
	/** 4 or 16 bytes of address */
	uint8_t addr[16];
};

/** Where the observation comes from. */
enum mxg_obs_stage {
	/** query seen, answer not known yet (operate, module_event_new) */
	MXG_OBS_QUERY = 0,
	/** answer known for a query already counted at MXG_OBS_QUERY */
	MXG_OBS_ANSWER = 1,
	/** cache hit: query and answer at once (count and judge the answer) */
	MXG_OBS_CACHED = 2
};

/** Most MX records and addresses the glue passes in one observation. */
#define MXG_OBS_MAX_MX 128
/** Most addresses the glue passes in one observation (the country rule
 * judges these; the answer memo remembers an answer only when it judged
 * all of its addresses: 32 MX hosts with an A and an AAAA each). */
#define MXG_OBS_MAX_ADDR 64

/** One client MX lookup. The cache-hit path (module/hooks.c,
 * cache_hit_mx) sets each field by itself instead of zeroing the struct:
 * a new field must be set there too. */
struct mxg_obs {
	/** what this call is about */
	enum mxg_obs_stage stage;
	/** current time, seconds (Unbound's *env->now; tests pass a fake) */
	time_t now;
	/** client address family: AF_INET or AF_INET6 */
	int client_family;
	/** client address bytes (4 or 16) */
	uint8_t client_addr[16];
	/** query name, wire format, as the client sent it (borrowed) */
	const uint8_t* qname;
	/** length of qname in bytes */
	size_t qname_len;
	/** query type (15 for MX; the glue passes only MX today) */
	uint16_t qtype;
	/** query class (1 IN) */
	uint16_t qclass;
	/** answer rcode, -1 while unknown (MXG_OBS_QUERY) */
	int rcode;
	/** the query came over TCP */
	int tcp;
	/** MX records of the answer (n_mx of them), NULL if none */
	const struct mxg_mx_rr* mx;
	/** number of MX records in mx */
	size_t n_mx;
	/** A/AAAA records of the MX hosts, NULL if none */
	const struct mxg_addr_rr* addrs;
	/** number of records in addrs */
	size_t n_addrs;
	/** family of the authoritative server that answered, 0 if unknown
	 * (cache hit) */
	int upstream_family;
	/** address of the authoritative server that answered */
	uint8_t upstream_addr[16];
	/** country codes of the MX hosts (uppercase, "" unknown), filled by the
	 * glue from GeoIP when the country rule is on; count n_countries */
	const char (*countries)[3];
	/** number of entries in countries */
	size_t n_countries;
	/** shape_bound holds mxg_shape_bound(mx, n_mx), computed earlier
	 * (the glue keeps it with a cached answer); 0: the engine computes
	 * it */
	int shape_bound_known;
	/** the shape bound when shape_bound_known */
	unsigned shape_bound;
};

#endif /* MXGUARD_OBS_H */

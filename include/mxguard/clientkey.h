/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/clientkey.h - what one client is.
 */
/** \file
 * The one definition of a client, used by the engine (counters), the sink
 * (Redis keys, fleet table) and mxguard-report (its client argument): an
 * IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address a.b.c.d, and the
 * address is masked to client-prefix-v4 or client-prefix-v6 bits (0: all
 * addresses of the family are one client). The key function is inline: it
 * runs on the query path.
 */
#ifndef MXGUARD_CLIENTKEY_H
#define MXGUARD_CLIENTKEY_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/** A client as counted. */
struct mxg_client {
	/** AF_INET or AF_INET6, after normalisation */
	int family;
	/** prefix length kept (0..32 or 0..128) */
	int plen;
	/** masked address; IPv4 in the first 4 bytes, the rest zero */
	uint8_t addr[16];
};

/** The masks of client-prefix-v4 and client-prefix-v6. */
struct mxg_client_mask {
	/** IPv6 mask, memory byte order */
	uint64_t m6[2];
	/** IPv4 mask, memory byte order */
	uint32_t m4;
	/** client-prefix-v4 */
	int p4;
	/** client-prefix-v6 */
	int p6;
};

/** Build the masks; prefix lengths out of range are clamped. */
void mxg_client_mask_init(struct mxg_client_mask* m, int prefix_v4,
	int prefix_v6);

/**
 * The client of an address.
 * @param k: filled.
 * @param m: masks.
 * @param family: AF_INET or AF_INET6 (anything else is taken as AF_INET).
 * @param addr: 4 or 16 bytes.
 */
static inline void
mxg_client_key(struct mxg_client* k, const struct mxg_client_mask* m,
	int family, const uint8_t* addr)
{
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	if(family == AF_INET6 && memcmp(addr, mapped, 12) != 0) {
		uint64_t lo, hi;
		k->family = AF_INET6;
		k->plen = m->p6;
		memcpy(&lo, addr, 8);
		memcpy(&hi, addr + 8, 8);
		lo &= m->m6[0];
		hi &= m->m6[1];
		memcpy(k->addr, &lo, 8);
		memcpy(k->addr + 8, &hi, 8);
	} else {
		uint32_t a;
		k->family = AF_INET;
		k->plen = m->p4;
		memcpy(&a, family == AF_INET6 ? addr + 12 : addr, 4);
		a &= m->m4;
		memset(k->addr, 0, 16);
		memcpy(k->addr, &a, 4);
	}
}

/** The client as written in Redis keys and logs: "addr", or "addr/len"
 * when aggregated. @return the length written (0 when it does not fit). */
size_t mxg_client_text(const struct mxg_client* k, char* buf, size_t len);

/**
 * Parse a client given as text (mxguard-report): an address, masked with
 * m, or "addr/len" taken as it is written; an IPv4-mapped address (or
 * ::ffff:a.b.c.d/len with len >= 96) is the IPv4 client.
 * @return 1, or 0 when the text is not an address or the length is bad.
 */
int mxg_client_parse(struct mxg_client* k, const struct mxg_client_mask* m,
	const char* text);

#endif /* MXGUARD_CLIENTKEY_H */

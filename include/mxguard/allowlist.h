/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/allowlist.h - the relay allowlist (CIDR, v4 and v6).
 */
/** \file
 * Netblocks of the organisation's mail relays. Their MX lookups are counted
 * but never blocked. Built once at config time, then read-only and shared by
 * every worker without a lock. Lookup cost does not depend on the number of
 * entries.
 */
#ifndef MXGUARD_ALLOWLIST_H
#define MXGUARD_ALLOWLIST_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct mxg_allowlist;

/** An empty allowlist, NULL on malloc failure. */
struct mxg_allowlist* mxg_allowlist_new(void);

/**
 * Add a netblock: "192.0.2.0/24", "2001:db8::/32", or a bare address (a host).
 * Host bits set below the prefix are an error ("host bits set").
 * @return 1 on success, 0 with a reason ("bad prefix length 33") in err.
 */
int mxg_allowlist_add(struct mxg_allowlist* al, const char* cidr, char* err,
	size_t errlen);

/** Does the address match? family AF_INET (4 bytes) or AF_INET6 (16 bytes);
 * an IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 entries. */
int mxg_allowlist_match(const struct mxg_allowlist* al, int family,
	const uint8_t* addr);

/** As mxg_allowlist_match, for a sockaddr_in or sockaddr_in6. */
int mxg_allowlist_match_sa(const struct mxg_allowlist* al,
	const struct sockaddr* sa);

/** As mxg_allowlist_match, for an address written as text ("10.1.2.3",
 * "2001:db8::1"). @return 1 match, 0 no match, -1 if it does not parse. */
int mxg_allowlist_match_text(const struct mxg_allowlist* al,
	const char* addr);

/** Number of distinct netblocks stored (a duplicate counts once). */
size_t mxg_allowlist_count(const struct mxg_allowlist* al);

/** Memory used, in bytes. */
size_t mxg_allowlist_mem(const struct mxg_allowlist* al);

/** Free it. NULL is fine. */
void mxg_allowlist_free(struct mxg_allowlist* al);

#endif /* MXGUARD_ALLOWLIST_H */

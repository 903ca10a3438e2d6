/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/event.h - one MX lookup as it leaves the query path.
 */
/** \file
 * A fixed-size, self-contained record of one client MX lookup and its
 * verdict. The glue fills it on the query path (no allocation, no I/O) and
 * pushes it into the sink's bounded queue; the sink thread turns it into Redis
 * commands and, for verdicts, a JSON log line. Anything slow (text escaping,
 * GeoIP of MX hosts for reports, categories) happens on the sink thread.
 */
#ifndef MXGUARD_EVENT_H
#define MXGUARD_EVENT_H
#include <stdint.h>
#include "mxguard/mxguard.h"
#include "mxguard/engine.h"

/** Most MX host addresses an event carries for GeoIP in the sink thread. */
#define MXG_EVENT_MAX_ADDR 4

/** The rcode of an event when none is known. */
#define MXG_RCODE_UNKNOWN 255

/** Event flags. */
enum mxg_event_flag {
	/** client is an allowlisted relay */
	MXG_EV_RELAY = 1,
	/** answered from a cache (Unbound's or mxguard's) */
	MXG_EV_CACHED = 2,
	/** query came over TCP */
	MXG_EV_TCP = 4,
	/** refuse verdict suppressed by dry-run */
	MXG_EV_WOULD_REFUSE = 8,
	/** the JSON log line for this event passed the log-rate limit */
	MXG_EV_LOG = 16,
	/** the TCP retry of a truncated UDP answer (struct mxg_verdict
	 * retry): the UDP lookup already counted it, so it adds to no
	 * counter in Redis */
	MXG_EV_RETRY = 32
};

/** One MX lookup (about 600 bytes). */
struct mxg_event {
	/** time of the lookup, milliseconds since the epoch */
	uint64_t time_ms;
	/** AF_INET or AF_INET6 */
	uint8_t client_family;
	/** client address (4 or 16 bytes) */
	uint8_t client_addr[16];
	/** query name, wire format (not lowercased) */
	uint8_t qname[255];
	/** length of qname */
	uint8_t qname_len;
	/** offset of the base domain in qname (0: whole name) */
	uint8_t base_off;
	/** query type */
	uint16_t qtype;
	/** rcode sent to the client (5 REFUSED when refused),
	 * MXG_RCODE_UNKNOWN when there was none */
	uint8_t rcode;
	/** enum mxg_event_flag bits */
	uint8_t flags;
	/** enum mxg_action of the verdict */
	uint8_t action;
	/** enum mxg_rule_id of the verdict (MXG_RULE_COUNT: none) */
	uint8_t rule;
	/** number of MX records in the answer */
	uint16_t n_mx;
	/** staging-shape score of the answer */
	uint8_t shape_score;
	/** number of entries in mx_addr */
	uint8_t n_addr;
	/** families of the MX host addresses */
	uint8_t mx_family[MXG_EVENT_MAX_ADDR];
	/** MX host addresses (first ones of the additional section) */
	uint8_t mx_addr[MXG_EVENT_MAX_ADDR][16];
	/** family of the authoritative server that answered, 0 unknown */
	uint8_t upstream_family;
	/** address of the authoritative server */
	uint8_t upstream_addr[16];
	/** the verdict's reason, "" for none */
	char reason[MXG_REASON_MAX];
};

#endif /* MXGUARD_EVENT_H */

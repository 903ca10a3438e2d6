/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/jsonlog.h - JSON log lines with ASIM DNS field names.
 */
/** \file
 * The LOG action's output: one JSON object per line, with the field names of
 * Microsoft's ASIM DNS activity schema, so a SIEM can ingest it unchanged.
 * Also the pieces it is made of, usable on their own: a JSON string escaper
 * that is safe for any bytes, a wire-format name to text converter, and a
 * lock-free token-bucket rate limiter for `log-rate:`.
 *
 * The sink thread calls mxg_jsonlog_ctx_fill() (GeoIP and category lookups)
 * and then mxg_jsonlog_format(); the query path may call
 * mxg_ratelimit_allow(). Nothing here allocates or locks.
 *
 * Fields of a line (docs/mxguard.conf.5 lists them as well); a field whose
 * value is unknown is left out unless marked "always":
 * - TimeGenerated (always): ISO 8601 UTC with milliseconds,
 *   "2026-11-27T20:23:40.123Z".
 * - EventType (always) "Query"; EventProduct/EventVendor "mxguard";
 *   EventSchema "Dns"; EventSchemaVersion "0.1.7"; EventCount 1.
 * - EventResult (always): "Success" for rcode NOERROR, "Failure" for any other
 *   rcode, "NA" when the rcode is unknown (255).
 * - EventResultDetails, DnsResponseCodeName: rcode name ("NOERROR",
 *   "NXDOMAIN", "SERVFAIL", "REFUSED", ..., "RCODE12" for unnamed ones);
 *   DnsResponseCode: the number.
 * - EventSeverity (always): "Informational" without a rule, "Low" for log,
 *   "Medium" for tag, "High" for refuse and would-refuse (dry-run).
 * - SrcIpAddr (always): the client address.
 * - NetworkProtocol (always): "UDP" or "TCP".
 * - DnsQuery (always): the query name in presentation format, no trailing dot
 *   ("." for the root); bytes that are not printable ASCII, and space, as
 *   \DDD; '.' and '\' inside a label as "\." and "\\" (then JSON-escaped).
 * - DnsQueryType (always, number) and DnsQueryTypeName ("MX", "A", ...,
 *   "TYPE65").
 * - DnsResponseName (always): the MX host addresses the event carries
 *   (first ones of the additional section), comma-separated, "" if none.
 *   The event has no exchange names, so they are not repeated here.
 * - MxRecordCount (always, number): MX records in the answer.
 * - MxShapeScore (always, number): staging-shape score 0..100.
 * - DnsResponseIpCountry, DnsResponseIpAsn (number), DnsResponseIpAsOrg:
 *   country, ASN and AS organisation of the first MX host address with a
 *   known value.
 * - UpstreamIpAddr, UpstreamIpCountry, UpstreamIpAsn (number): the
 *   authoritative server that answered.
 * - DvcAction (always): "Allow" (no rule, or log), "Tag", "Block" (refuse),
 *   "Would block" (refuse suppressed by dry-run).
 * - RuleName, ThreatCategory (mxg_rule_category), AttackTechnique (the
 *   MITRE ATT&CK technique, mxg_rule_technique), Reason: only with a rule.
 * - BaseDomain: the registrable domain (lowercase); DomainCategory: its
 *   category (freemail, disposable, ...).
 * - IsRelay, IsCached (always, true/false).
 * - IsTcpRetry: true, only on the TCP retry of a truncated UDP answer (the
 *   UDP lookup has a line of its own; Redis counts the pair once).
 * - Dvc (always): the instance name.
 */
#ifndef MXGUARD_JSONLOG_H
#define MXGUARD_JSONLOG_H
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include "mxguard/event.h"
#include "mxguard/geo.h"

struct mxg_category;

/** A buffer of this size always holds a whole line of mxg_jsonlog_format
 * (worst case, every name byte as \DDD and every reason byte as \u00XX,
 * about 5 KB) when the instance name is at most 255 bytes. */
#define MXG_JSONLOG_MAX 8192

/**
 * What the sink thread looked up for one event. Strings are borrowed and must
 * stay valid during mxg_jsonlog_format(); NULL or "" means unknown.
 */
struct mxg_jsonlog_ctx {
	/** instance name (Dvc), e.g. conf->instance */
	const char* instance;
	/** GeoIP of ev->mx_addr[i], i < ev->n_addr (cleared: unknown) */
	struct mxg_geo_result mx_geo[MXG_EVENT_MAX_ADDR];
	/** GeoIP of ev->upstream_addr (cleared: unknown) */
	struct mxg_geo_result upstream_geo;
	/** category of the base domain (DomainCategory), NULL if none */
	const char* category;
};

/**
 * Fill a context: GeoIP of the MX host and upstream addresses, and the
 * category of the base domain (the whole query name when base_off is 0).
 * @param ctx: filled in (always; cleared first).
 * @param ev: the event.
 * @param geo: GeoIP handle, or NULL for no geo (borrowed).
 * @param cat: category list, or NULL for none (borrowed; ctx->category
 *	points into it).
 * @param instance: the instance name (borrowed).
 */
void mxg_jsonlog_ctx_fill(struct mxg_jsonlog_ctx* ctx,
	const struct mxg_event* ev, const struct mxg_geo* geo,
	const struct mxg_category* cat, const char* instance);

/**
 * Receives one field of an event: its name, its value and whether the value
 * is a string (raw bytes, the receiver escapes them) or a number or
 * true/false (written as is).
 * @return 1 to go on, 0 to stop (out of memory).
 */
typedef int (*mxg_jsonlog_field_fn)(void* arg, const char* name,
	const char* val, size_t len, int is_str);

/**
 * The fields of an event, in the order of its log line: one call of fn
 * each. The JSON line (mxg_jsonlog_format) and the Redis alert entry
 * (module/sink.c) are both made from them.
 * @param ev: the event.
 * @param ctx: looked-up values, or NULL for none.
 * @param fn: receives the fields; arg is passed to it.
 * @return 1, or 0 if fn returned 0 (no field is sent after that).
 */
int mxg_jsonlog_fields(const struct mxg_event* ev,
	const struct mxg_jsonlog_ctx* ctx, mxg_jsonlog_field_fn fn, void* arg);

/**
 * Bytes as valid UTF-8 text, as a JSON reader gets them back from
 * mxg_jsonlog_escape: valid sequences as they are, any other byte >= 0x80
 * as the UTF-8 of U+0080..U+00FF (the string values of a Redis alert).
 * @param dst: output, not NUL-terminated; 2 * srclen bytes are enough.
 * @return bytes written.
 */
size_t mxg_jsonlog_utf8(char* dst, const void* src, size_t srclen);

/**
 * Format one log line: a JSON object with the fields listed in the file
 * comment, ending in "\n", with no other newline. Always valid JSON and
 * valid UTF-8, whatever bytes the event holds.
 * @param buf: output buffer; MXG_JSONLOG_MAX bytes are always enough.
 * @param buflen: size of buf.
 * @param ev: the event.
 * @param ctx: looked-up values, or NULL for none.
 * @return length of the line including the "\n" (buf is NUL-terminated), or
 *	0 if buf is too small (buf then holds "").
 */
size_t mxg_jsonlog_format(char* buf, size_t buflen,
	const struct mxg_event* ev, const struct mxg_jsonlog_ctx* ctx);

/**
 * Escape bytes for the inside of a JSON string (no quotes added). '"', '\'
 * and control characters are escaped (\n, \t, ..., \u00XX), DEL as \u007f.
 * Valid UTF-8 sequences are copied, except the C1 controls U+0080..U+009F
 * and U+2028/U+2029, which are escaped as \uXXXX; any other byte >= 0x80
 * becomes \u00XX of the byte (so the output is always valid UTF-8 and
 * valid JSON, and holds no terminal control character raw). An
 * escape is never cut: on truncation the output ends before it.
 * @param dst: output, NUL-terminated when dstlen > 0.
 * @param dstlen: size of dst; 6 * srclen + 1 is always enough.
 * @param src: input bytes (may hold NUL).
 * @param srclen: number of input bytes.
 * @return the length of the whole escaped text (like snprintf); the output
 *	was truncated if this is >= dstlen.
 */
size_t mxg_jsonlog_escape(char* dst, size_t dstlen, const void* src,
	size_t srclen);

/**
 * Text for a terminal (mxguard-report's tables): printable ASCII and valid
 * UTF-8 are copied; control characters, DEL, bytes that are not valid UTF-8,
 * the C1 controls U+0080..U+009F and U+2028/U+2029 are written as \xHH per
 * byte, so no escape sequence reaches the terminal. Truncation as
 * mxg_jsonlog_escape; 4 * srclen + 1 is always enough.
 * @return the length of the whole text (like snprintf).
 */
size_t mxg_jsonlog_term_text(char* dst, size_t dstlen, const void* src,
	size_t srclen);

/**
 * Wire-format name to presentation text, without the trailing dot ("." for
 * the root). Printable ASCII other than '.', '\' and space is copied; those
 * three become "\.", "\\" and "\032", other bytes "\DDD". A malformed name
 * (label running past len, compression pointer, longer than 255 bytes) is
 * rendered up to the fault and 0 is returned.
 * @param dst: output, NUL-terminated when dstlen > 0.
 * @param dstlen: size of dst; MXG_NAME_TEXT_MAX is always enough for a
 *	name of up to 255 bytes.
 * @param wire: the name in wire format.
 * @param len: bytes available at wire.
 * @param lower: 1 to lowercase A-Z.
 * @return 1 if the whole name was converted, 0 if it was malformed or dst
 *	too small (dst holds what was converted so far).
 */
int mxg_jsonlog_name_text(char* dst, size_t dstlen, const uint8_t* wire,
	size_t len, int lower);

/** Most lines per second mxg_ratelimit accepts; larger rates are clamped. */
#define MXG_RATELIMIT_MAX 1000000u

/**
 * Token bucket for log lines, lock-free (one atomic 64-bit word updated by
 * compare-and-swap; see module/jsonlog.c). It holds up to `rate` tokens (a
 * burst of one second) and refills at `rate` per second. Embed it anywhere;
 * touch it only through the functions below.
 */
struct mxg_ratelimit {
	/** lines per second, 0 = unlimited (set by init, read-only after) */
	uint32_t rate;
	/** theoretical arrival time of the next line (GCRA), in units of
	 * 1/rate milliseconds */
	_Atomic uint64_t tat;
	/** lines refused */
	_Atomic uint64_t suppressed;
	/** lines allowed */
	_Atomic uint64_t allowed;
};

/** Set up a limiter (not thread-safe; before any allow call).
 * @param rate: lines per second, 0 unlimited, clamped to MXG_RATELIMIT_MAX. */
void mxg_ratelimit_init(struct mxg_ratelimit* rl, uint32_t rate);

/**
 * May one more line go out now? Thread-safe and lock-free.
 * @param rl: the limiter.
 * @param now_ms: current time in milliseconds (any monotonic or wall clock
 *	below the year 2262; a clock going backwards is tolerated: it only
 *	delays refills).
 * @return 1 if allowed, 0 if suppressed (and counted).
 */
int mxg_ratelimit_allow(struct mxg_ratelimit* rl, uint64_t now_ms);

/** Number of lines suppressed so far. */
uint64_t mxg_ratelimit_suppressed(const struct mxg_ratelimit* rl);

/** Number of lines allowed so far. */
uint64_t mxg_ratelimit_allowed(const struct mxg_ratelimit* rl);

#endif /* MXGUARD_JSONLOG_H */

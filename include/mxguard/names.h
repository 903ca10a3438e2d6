/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/names.h - DNS name features: text, hash, base domain.
 */
/** \file
 * Everything mxguard derives from a single DNS name, without Unbound:
 * checking and printing wire-format names, a fast case-insensitive 64-bit
 * hash (the engine's table key), the base (registrable) domain from libpsl
 * with a bounded lock-free memo in front of it, and features of one label
 * (numeric prefix, hex/base32/base64 alphabets, entropy).
 *
 * Wire-format names here are uncompressed, as in DNS packets: length-prefixed
 * labels (each at most 63 bytes) ending with the 0 label, at most 255 bytes
 * in all. Functions take a pointer and the number of bytes available; the
 * name must end inside them. DNS case folding is ASCII only: bytes 'A'..'Z'
 * fold to 'a'..'z', every other byte (including 0x80..0xff) is itself.
 * Nothing here allocates except mxg_names_memo_new().
 */
#ifndef MXGUARD_NAMES_H
#define MXGUARD_NAMES_H
#include <stddef.h>
#include <stdint.h>

/** Longest wire-format name in bytes, root label included. */
#define MXG_NAME_WIRE_MAX 255
/** Longest label in bytes. */
#define MXG_NAME_LABEL_MAX 63

/** Result of the name functions. MXG_NAME_OK is 0; every other is a reason
 * the name (or the output space) was rejected. */
enum mxg_name_status {
	/** fine */
	MXG_NAME_OK = 0,
	/** a label length byte above 63 (this includes compression pointers) */
	MXG_NAME_ERR_LABEL,
	/** more than 255 bytes before the root label */
	MXG_NAME_ERR_LONG,
	/** the bytes end before the root label (missing root, truncated) */
	MXG_NAME_ERR_TRUNC,
	/** the output buffer is too small (output truncated, NUL-terminated) */
	MXG_NAME_ERR_SPACE,
	/** presentation text with a bad escape or an empty label ("a..b") */
	MXG_NAME_ERR_SYNTAX,
	/** NULL argument, or a libpsl or allocation failure */
	MXG_NAME_ERR_ARG
};

/**
 * Text for a status, for logs: "ok", "label longer than 63", ...
 * @param st: a status.
 * @return static string, never NULL.
 */
const char* mxg_names_strerror(int st);

/**
 * Check a wire-format name.
 * @param wire: the name.
 * @param len: bytes available at wire.
 * @param wlen: if not NULL, set to the length of the name including the root
 *	label (may be less than len) on success.
 * @return MXG_NAME_OK, MXG_NAME_ERR_LABEL, _LONG, _TRUNC or _ARG.
 */
int mxg_names_check(const uint8_t* wire, size_t len, size_t* wlen);

/**
 * Print a wire-format name as presentation text: lowercased, labels joined
 * by '.', no trailing dot, "." for the root. Inside a label, the bytes '.',
 * '\\' and '"' are written as "\.", "\\\\" and "\\\"", bytes outside
 * 0x21..0x7e as \DDD (decimal), as Unbound escapes names. The result fits
 * in MXG_NAME_TEXT_MAX bytes for every valid name.
 * @param wire: the name.
 * @param len: bytes available at wire.
 * @param buf: output, always NUL-terminated when buflen > 0 ("" on a
 *	malformed name, a truncated prefix on MXG_NAME_ERR_SPACE).
 * @param buflen: size of buf.
 * @return MXG_NAME_OK, a malformed-name status, or MXG_NAME_ERR_SPACE.
 */
int mxg_names_to_str(const uint8_t* wire, size_t len, char* buf,
	size_t buflen);

/**
 * Parse presentation text into a wire-format name (the inverse of
 * mxg_names_to_str, for config values and tests). A trailing dot is optional;
 * "." and "" are the root. Understands \DDD and \X escapes. Case is kept.
 * @param str: NUL-terminated text.
 * @param wire: output buffer.
 * @param wirelen: size of wire (MXG_NAME_WIRE_MAX is always enough).
 * @param outlen: set to the length of the wire name on success.
 * @return MXG_NAME_OK, MXG_NAME_ERR_SYNTAX (bad escape, empty label),
 *	_LABEL (label > 63), _LONG (> 255) or _SPACE.
 */
int mxg_names_from_str(const char* str, uint8_t* wire, size_t wirelen,
	size_t* outlen);

/**
 * Case-insensitive 64-bit hash of the bytes of a wire-format name (length
 * bytes included), 8 bytes per step; equal names up to ASCII case give equal
 * hashes. Hashes any len bytes, valid name or not, so a suffix (wire + off,
 * len - off) hashes the base domain. Not keyed: not for tables an attacker
 * can fill without bound (the engine's tables are bounded).
 * @param wire: the bytes.
 * @param len: number of bytes to hash.
 * @return the hash.
 */
uint64_t mxg_names_hash(const uint8_t* wire, size_t len);

/**
 * Are two wire-format names equal up to ASCII case? Compares lengths and
 * bytes only; does not validate.
 * @return 1 if equal, 0 if not.
 */
int mxg_names_equal(const uint8_t* a, size_t alen, const uint8_t* b,
	size_t blen);

/**
 * Is name equal to parent or below it (up to ASCII case), on label
 * boundaries? "mx.evil.example" is under "evil.example", "xevil.example" is
 * not. Both must be valid wire names; a malformed one gives 0.
 * @param name: wire name and its length nlen.
 * @param nlen: bytes available at name.
 * @param parent: wire name.
 * @param plen: bytes available at parent.
 * @return 1 if under (or equal), 0 if not.
 */
int mxg_names_is_under(const uint8_t* name, size_t nlen,
	const uint8_t* parent, size_t plen);

/**
 * Number of labels of a valid wire name, not counting the root: 0 for ".",
 * 2 for "evil.example".
 * @return the count, or -1 for a malformed name.
 */
int mxg_names_label_count(const uint8_t* wire, size_t len);

/**
 * Base (registrable) domain of a name, straight from libpsl
 * (psl_builtin(), psl_registrable_domain() on the lowercased text). When the
 * name is itself a public suffix ("com", "co.uk"), the root, or libpsl gives
 * nothing, the base is the name itself (offset 0). Labels that are not plain
 * host characters (binary bytes, '.', '\\', spaces, invalid UTF-8) are
 * passed to libpsl as an opaque label that matches no rule but '*'; valid
 * UTF-8 and xn-- labels go in as they are. About 2,000 instructions: the
 * engine calls mxg_names_memo_lookup() instead.
 * @param wire: the name.
 * @param len: bytes available at wire.
 * @param base_off: set to the offset in wire where the base domain starts
 *	(a label boundary; wire + *base_off is the base in wire format).
 * @return MXG_NAME_OK or a malformed-name status (base_off then 0).
 */
int mxg_names_base(const uint8_t* wire, size_t len, size_t* base_off);

/** Memo of base domains: name hash -> base offset (see module/names.c). */
struct mxg_basememo;

/**
 * Create a memo for the base domain. Thread-safe without locks: every entry
 * is one 64-bit word (48 bits of the name hash, the name length and the base
 * offset) read and written with relaxed atomics, so a reader sees an old
 * entry or a new one, never a torn one; two ways per bucket. Memory is
 * 8 bytes per entry, fixed at creation.
 * @param entries: number of entries; rounded up to a power of two, at least
 *	64 and at most 2^24.
 * @return the memo (free with mxg_names_memo_free), NULL when out of memory.
 */
struct mxg_basememo* mxg_names_memo_new(size_t entries);

/** Free a memo. NULL is fine. No lookups may run at the same time. */
void mxg_names_memo_free(struct mxg_basememo* m);

/**
 * Base domain through the memo: a hit costs the hash plus a few loads (well
 * under 200 instructions), a miss calls mxg_names_base() and stores the
 * answer. Thread-safe. A false hit needs two names of equal length whose
 * hashes agree in 48 bits and in the bucket index; the offset returned is
 * then still inside the name.
 * @param m: the memo; NULL calls mxg_names_base() directly.
 * @param wire: the name.
 * @param len: length of the name (the hash covers exactly len bytes).
 * @param base_off: set to the base domain's offset in wire.
 * @return as mxg_names_base(). Malformed names are not stored.
 */
int mxg_names_memo_lookup(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, size_t* base_off);

/**
 * As mxg_names_memo_lookup(), with the name's hash already computed by the
 * caller: mxg_names_hash(wire, len) or any other hash that is equal for
 * names equal up to ASCII case, as long as every lookup in one memo uses
 * the same (the engine uses its keyed name hash, which it needs anyway).
 */
int mxg_names_memo_lookup_hash(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, uint64_t hash, size_t* base_off);

/**
 * As mxg_names_memo_lookup_hash(), with a hash the caller has keyed with a
 * secret seed of its own and mixed well (the engine's name hash): the memo
 * uses it as it is, without mixing in its own seed. Every lookup in one
 * memo must use the same kind of hash.
 */
int mxg_names_memo_lookup_keyed(struct mxg_basememo* m, const uint8_t* wire,
	size_t len, uint64_t hash, size_t* base_off);

/** Number of misses (libpsl calls) of a memo so far (relaxed counter). */
uint64_t mxg_names_memo_misses(const struct mxg_basememo* m);

/** Bytes of memory held by a memo. */
size_t mxg_names_memo_mem(const struct mxg_basememo* m);

/**
 * The leftmost label of a wire name.
 * @param wire: the name.
 * @param len: bytes available at wire.
 * @param label: set to the first byte of the label (after its length byte),
 *	NULL for the root or a malformed start.
 * @return the label length, 0 for the root or when malformed.
 */
size_t mxg_names_first_label(const uint8_t* wire, size_t len,
	const uint8_t** label);

/**
 * Is the leftmost label all ASCII digits (the Sentinel staging rule: `^\d+$`)? "1.evil.example"
 * and "0042.evil.example" yes; "1a.evil.example", "evil.example" and the root
 * no.
 * @return 1 or 0.
 */
int mxg_names_numeric_prefix(const uint8_t* wire, size_t len);

/** Alphabet counts and entropy of one label. */
struct mxg_label_stats {
	/** length in bytes */
	unsigned len;
	/** ASCII digits 0-9 */
	unsigned digits;
	/** ASCII lowercase letters a-z */
	unsigned lower;
	/** ASCII uppercase letters A-Z */
	unsigned upper;
	/** hex digits, either case: 0-9 a-f A-F */
	unsigned hex;
	/** base32 (RFC 4648) alphabet, either case: a-z 2-7 */
	unsigned b32;
	/** base32hex (RFC 4648) alphabet, either case: 0-9 a-v */
	unsigned b32hex;
	/** base64 and base64url alphabet: A-Z a-z 0-9 + / - _ = */
	unsigned b64;
	/** bytes outside 0x21..0x7e */
	unsigned binary;
	/** Shannon entropy of the byte distribution (case kept), in
	 * milli-bits per byte: 0 for "aaaa", 2000 for "abcd", at most
	 * 5977 (63 distinct bytes) */
	unsigned entropy_mbits;
};

/**
 * Count the alphabets of a label and estimate its entropy, in integers.
 * @param label: the label bytes (no length byte).
 * @param len: label length, at most 63 (longer is cut to 63).
 * @param st: filled in.
 */
void mxg_names_label_stats(const uint8_t* label, size_t len,
	struct mxg_label_stats* st);

#endif /* MXGUARD_NAMES_H */

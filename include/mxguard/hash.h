/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/hash.h - the hashes of mxguard's tables.
 */
/** \file
 * One seeded hash of bytes for every table and memo that hashes a key
 * (Redis merge table, sink memos and fleet table, blocks memo, encoded
 * label fingerprints, answer cache), its case-insensitive variant for DNS
 * names, the final mixer, the two-word mixer of fixed-size keys (client
 * keys, GeoIP country memo) and the 8-byte ASCII lowercase step (also used by
 * the name hash of module/names.c and the base-domain hash of
 * module/engine.c). A table that an outsider fills (clients, names) seeds
 * the hash with a random value. Header-only: the hashes are on hot paths.
 */
#ifndef MXGUARD_HASH_H
#define MXGUARD_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Odd multiplier of the bytes hash (2^64 / golden ratio). */
#define MXG_HASH_K 0x9e3779b97f4a7c15ULL

/**
 * Final avalanche of a 64-bit hash (MurmurHash3's fmix64): every input bit
 * reaches every output bit, so the low bits index a table well.
 */
static inline uint64_t
mxg_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/**
 * Mix two 64-bit words into one: their 128-bit product, the halves folded
 * (wyhash's "mum"). One multiply: the hash of a fixed-size key (a client
 * address, a memo key) whose words are first xored with random seeds.
 */
static inline uint64_t
mxg_hash_mum(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/** ASCII-lowercase the 8 bytes of a word at once (other bytes unchanged). */
static inline uint64_t
mxg_lower8(uint64_t w)
{
	uint64_t h7 = w & 0x7f7f7f7f7f7f7f7fULL;
	uint64_t ge_a = h7 + 0x3f3f3f3f3f3f3f3fULL;	/* byte >= 'A' */
	uint64_t gt_z = h7 + 0x2525252525252525ULL;	/* byte > 'Z' */
	uint64_t up = ge_a & ~gt_z & ~w & 0x8080808080808080ULL;
	return w | (up >> 2);
}

/** 4 bytes, little-endian. */
static inline uint64_t
mxg_hash_rd32_(const unsigned char* p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/** mxg_hash_bytes, lowering ASCII letters when lower is set. */
static inline uint64_t
mxg_hash_bytes_(uint64_t seed, const void* p, size_t n, int lower)
{
	const unsigned char* b = p;
	uint64_t h = seed ^ ((uint64_t)n * MXG_HASH_K), w;
	while(n >= 8) {
		memcpy(&w, b, 8);
		h = (h ^ (lower ? mxg_lower8(w) : w)) * MXG_HASH_K;
		h ^= h >> 29;
		b += 8;
		n -= 8;
	}
	if(n) {
		/* 1..7 bytes: overlapping reads inside [b, b + n), exact
		 * because n is in the hash already */
		if(n >= 4)
			w = mxg_hash_rd32_(b) | mxg_hash_rd32_(b + n - 4) << 32;
		else	w = (uint64_t)b[0] << 16 | (uint64_t)b[n / 2] << 8 |
				b[n - 1];
		h = (h ^ (lower ? mxg_lower8(w) : w)) * MXG_HASH_K;
		h ^= h >> 29;
	}
	return mxg_fmix64(h);
}

/**
 * Hash of n bytes, 8 a step, finalised with mxg_fmix64.
 * @param seed: a constant, a random value (tables an outsider fills), or
 *	the hash of what came before (to hash several pieces).
 */
static inline uint64_t
mxg_hash_bytes(uint64_t seed, const void* p, size_t n)
{
	return mxg_hash_bytes_(seed, p, n, 0);
}

/** mxg_hash_bytes of the bytes with ASCII 'A'..'Z' lowered (names that
 * differ only in case hash equal). */
static inline uint64_t
mxg_hash_bytes_lower(uint64_t seed, const void* p, size_t n)
{
	return mxg_hash_bytes_(seed, p, n, 1);
}

#endif /* MXGUARD_HASH_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/window.h - bounded, sharded table of sliding windows.
 */
/** \file
 * One table holds every key the engine tracks: clients, client + base
 * domain pairs and (optionally) domains. Each key is a 64-bit keyed hash
 * chosen by the caller; two keys whose hashes collide share one entry
 * (probability about n^2 / 2^65 for n live keys).
 *
 * Per entry, the kind of the key (enum mxg_window_kind) fixes what is kept:
 * - up to MXG_WINDOW_MAX_COUNTERS sliding-window counters. A counter keeps
 *   one 16-bit count per sub-bucket (saturating at 65535 per bucket) and a
 *   running total. A window of P seconds has min(P, 60) sub-buckets of
 *   ceil(P / buckets) seconds, so it slides by at most 1/60 of its length:
 *   a 60 s window has 1 s buckets, a 1 h window 60 s buckets. An event at
 *   time t counts until the bucket of t leaves the window; with 1 s buckets
 *   that is exactly at t + P.
 * - optionally a distinct-count set: (32-bit hash, last-seen second) pairs,
 *   exact up to its capacity (the caller sets it to the rule's threshold + 1,
 *   so the rule decision is exact); once full with no expired member, a new
 *   value replaces the least recently seen one and the count stays at the
 *   capacity.
 * - first and last seen, and MXG_WINDOW_USER 32-bit words the caller owns
 *   (the engine keeps verdict times and block state there).
 * - optionally an extension, allocated on demand (mxg_window_extend), with
 *   more counters, a second distinct set, up to MXG_WINDOW_SAMPLES sample
 *   names (at most MXG_WINDOW_SAMPLE_BYTES of text) and more caller-owned
 *   words (mxg_window_ext_user). The engine extends a client + base domain
 *   pair only at its first numeric-prefixed lookup or answer with encoded
 *   labels, so ordinary traffic never pays for it.
 *
 * Memory: the table never uses more than the max_memory given at creation
 * (entries, extensions, hash index and shard headers, with 16 bytes of
 * malloc overhead counted per allocation). It is split into
 * MXG_WINDOW_SHARDS shards by key hash; each shard has its own spinlock, hash
 * index (fixed size, chained), least-recently-seen list and byte budget
 * (max_memory / shards). Inserting or extending evicts least recently seen
 * entries of that shard until the new bytes fit; evictions are counted. A
 * flood of new keys therefore recycles memory instead of growing it.
 *
 * Locking: mxg_window_lock() returns an entry with its shard locked; every
 * other call on that entry must happen before mxg_window_unlock(). Hold one
 * shard at a time per thread. To work on several entries of one shard under
 * one lock, use mxg_window_shard_lock(), mxg_window_get() and
 * mxg_window_shard_unlock().
 */
#ifndef MXGUARD_WINDOW_H
#define MXGUARD_WINDOW_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Number of shards (each with its own lock, index and LRU list). */
#define MXG_WINDOW_SHARDS 64
/** Most sub-buckets of one counter. */
#define MXG_WINDOW_BUCKETS 60
/** Most counters per kind (inline plus extension). */
#define MXG_WINDOW_MAX_COUNTERS 4
/** Caller-owned 32-bit words per entry. */
#define MXG_WINDOW_USER 6
/** Most sample names kept per extended entry (the Sentinel staging rule keeps 15). */
#define MXG_WINDOW_SAMPLES 15
/** Most bytes of sample text per extended entry (names that do not fit are
 * not kept). */
#define MXG_WINDOW_SAMPLE_BYTES 480
/** Most caller-owned 32-bit words in an extension. */
#define MXG_WINDOW_EXT_USER 8
/** Largest distinct-set capacity. */
#define MXG_WINDOW_DISTINCT_MAX 1024

/** The kinds of keys; each has its own layout (struct mxg_window_kind_conf). */
enum mxg_window_kind {
	/** a client (masked address) */
	MXG_WK_CLIENT = 0,
	/** a client and a base domain */
	MXG_WK_PAIR = 1,
	/** a domain */
	MXG_WK_DOMAIN = 2,
	/** number of kinds */
	MXG_WK_COUNT = 3
};

/** Layout of the entries of one kind. Zero everything for an unused kind. */
struct mxg_window_kind_conf {
	/** window of the counters, seconds (0: the kind has no counters) */
	uint32_t period;
	/** counters kept in the entry itself */
	int counters;
	/** capacity of the inline distinct set, 0 for none (at most
	 * MXG_WINDOW_DISTINCT_MAX) */
	uint32_t distinct;
	/** window of the inline distinct set, seconds */
	uint32_t distinct_period;
	/** counters in the extension (numbered after the inline ones) */
	int ext_counters;
	/** capacity of the extension's distinct set, 0 for none; its window
	 * is period */
	uint32_t ext_distinct;
	/** the extension keeps sample names */
	int ext_samples;
	/** caller-owned 32-bit words in the extension (at most
	 * MXG_WINDOW_EXT_USER), 0 when it is made */
	int ext_user;
};

/** The table. */
struct mxg_window;

/** What the caller sees of an entry; the rest is private. */
struct mxg_window_entry {
	/** time of the first lookup since the entry was created */
	time_t first_seen;
	/** time of the latest mxg_window_lock() */
	time_t last_seen;
	/** caller-owned words, 0 when the entry is created */
	uint32_t user[MXG_WINDOW_USER];
};

/** Counters of the table. */
struct mxg_window_stats {
	/** live entries */
	uint64_t entries;
	/** live entries per kind */
	uint64_t per_kind[MXG_WK_COUNT];
	/** entries with an extension */
	uint64_t extended;
	/** entries evicted (least recently seen) to stay under max-memory */
	uint64_t evictions;
	/** extensions or inserts refused because one entry alone does not fit
	 * a shard's budget */
	uint64_t refused;
	/** bytes in use, index and shard headers included */
	uint64_t mem;
	/** the max-memory the table was created with */
	uint64_t max_mem;
};

/**
 * Create a table.
 * @param max_memory: bytes for everything, at least 64 KiB.
 * @param kinds: layout per kind, indexed by enum mxg_window_kind (copied).
 * @param err: reason on failure.
 * @param errlen: size of err.
 * @return the table, NULL on failure.
 */
struct mxg_window* mxg_window_new(size_t max_memory,
	const struct mxg_window_kind_conf kinds[MXG_WK_COUNT], char* err,
	size_t errlen);

/** Free a table and every entry. NULL is fine. No other call may run. */
void mxg_window_free(struct mxg_window* w);

/**
 * Find (or create) the entry of a key and lock its shard. Marks the entry
 * most recently seen and sets last_seen (and first_seen on creation) to now.
 * @param w: the table.
 * @param kind: the kind of key.
 * @param key: keyed hash of the key.
 * @param now: the time.
 * @param create: create the entry if missing.
 * @return the entry with its shard locked, or NULL (nothing locked) when it
 *	is missing and create is 0, or cannot be made to fit.
 */
struct mxg_window_entry* mxg_window_lock(struct mxg_window* w,
	enum mxg_window_kind kind, uint64_t key, time_t now, int create);

/**
 * As mxg_window_lock with create 0, without marking the entry seen (for
 * block checks of answers, which are not lookups).
 */
struct mxg_window_entry* mxg_window_peek(struct mxg_window* w,
	enum mxg_window_kind kind, uint64_t key);

/** Unlock the shard of an entry from mxg_window_lock or mxg_window_peek. */
void mxg_window_unlock(struct mxg_window* w, struct mxg_window_entry* e);

/** mxg_window_get flag: create the entry if missing. */
#define MXG_WINDOW_CREATE 1
/** mxg_window_get flag: mark the entry seen now (LRU front, last_seen). */
#define MXG_WINDOW_TOUCH 2

/**
 * Lock the shard of a key, for a session of mxg_window_get calls. The shard
 * is the top 6 bits of the key: keys that share them (the engine gives a
 * client's pairs its client key's top bits) share a shard, so one lock
 * serves both.
 */
void mxg_window_shard_lock(struct mxg_window* w, uint64_t key);

/** Unlock the shard of a key; entries got in the session are released. */
void mxg_window_shard_unlock(struct mxg_window* w, uint64_t key);

/**
 * Find (or create) an entry in a shard the caller has locked with
 * mxg_window_shard_lock(). Entries got in one session (up to 4) are pinned:
 * creating or extending another one never evicts them.
 * @param w: the table.
 * @param kind: the kind of key.
 * @param key: the key; its shard must be locked.
 * @param now: the time (for MXG_WINDOW_TOUCH and creation).
 * @param flags: MXG_WINDOW_CREATE, MXG_WINDOW_TOUCH.
 * @return the entry, NULL if missing (or it cannot be made to fit).
 */
struct mxg_window_entry* mxg_window_get(struct mxg_window* w,
	enum mxg_window_kind kind, uint64_t key, time_t now, int flags);

/**
 * mxg_window_get() and, when it gives an entry, mxg_window_count() of one
 * of its counters, in one call (the engine's pair: found and counted on
 * every lookup).
 * @param count: the counter's total (0 when no entry).
 * @return as mxg_window_get().
 */
struct mxg_window_entry* mxg_window_get_count(struct mxg_window* w,
	enum mxg_window_kind kind, uint64_t key, time_t now, int flags,
	int ctr, uint32_t n, uint32_t* count);

/**
 * Add to a counter and read its total over the window ending now.
 * @param w: the table.
 * @param e: a locked entry.
 * @param ctr: counter number (inline first, then extension).
 * @param now: the time.
 * @param n: amount to add (0 only reads).
 * @return the total in the window, 0 for a counter that does not exist
 *	(e.g. an extension counter of an entry not extended).
 */
uint32_t mxg_window_count(struct mxg_window* w, struct mxg_window_entry* e,
	int ctr, time_t now, uint32_t n);

/**
 * Record a value in a distinct set and count the distinct values seen in its
 * window.
 * @param w: the table.
 * @param e: a locked entry.
 * @param set: 0 for the inline set, 1 for the extension's.
 * @param h: hash of the value; 0 only counts.
 * @param now: the time.
 * @return the number of distinct values in the window (at most the
 *	capacity), 0 when the set does not exist.
 */
uint32_t mxg_window_distinct(struct mxg_window* w,
	struct mxg_window_entry* e, int set, uint32_t h, time_t now);

/**
 * Give an entry its extension (no-op if it has one). May evict other
 * entries of the shard.
 * @return 1 if the entry has an extension, 0 if it could not be allocated.
 */
int mxg_window_extend(struct mxg_window* w, struct mxg_window_entry* e);

/**
 * The caller-owned words of an entry's extension (ext_user of them).
 * @return the words, NULL when the entry has no extension or its kind
 *	keeps none.
 */
uint32_t* mxg_window_ext_user(struct mxg_window* w,
	struct mxg_window_entry* e);

/** Does the entry have an extension? @return 1 or 0. */
int mxg_window_extended(const struct mxg_window_entry* e);

/**
 * Keep a sample name (make_set semantics: distinct names, the first
 * MXG_WINDOW_SAMPLES that fit in MXG_WINDOW_SAMPLE_BYTES).
 * @param w: the table.
 * @param e: a locked, extended entry.
 * @param h: hash of the name (duplicates are recognised by it).
 * @param name: the name as text.
 * @param len: its length.
 * @return 1 if it is (now) among the samples, 0 if not kept.
 */
int mxg_window_sample(struct mxg_window* w, struct mxg_window_entry* e,
	uint64_t h, const char* name, size_t len);

/**
 * Would mxg_window_sample keep a name with this hash? Lets the caller skip
 * printing the name when it would not.
 * @return 1 if the entry keeps samples, has room, and h is not among them.
 */
int mxg_window_sample_wanted(const struct mxg_window* w,
	const struct mxg_window_entry* e, uint64_t h);

/**
 * Write the sample names, joined by sep, NUL-terminated (truncated to
 * fit).
 * @return the number of names written in full.
 */
int mxg_window_samples(const struct mxg_window* w,
	const struct mxg_window_entry* e, const char* sep, char* buf,
	size_t len);

/** Number of sample names an entry keeps. */
int mxg_window_sample_count(const struct mxg_window* w,
	const struct mxg_window_entry* e);

/**
 * Bytes one entry of a kind costs (malloc overhead included), without and
 * with its extension.
 * @param w: the table.
 * @param kind: the kind.
 * @param with_ext: add the extension.
 * @return bytes, 0 for a kind without counters or sets.
 */
size_t mxg_window_entry_bytes(const struct mxg_window* w,
	enum mxg_window_kind kind, int with_ext);

/** Read the counters (locks each shard in turn). */
void mxg_window_get_stats(struct mxg_window* w, struct mxg_window_stats* st);

#endif /* MXGUARD_WINDOW_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/blocks.h - blocks shared through Redis: records and I/O.
 */
/** \file
 * A block refuses the MX lookups of a client (an address or a netblock),
 * either for every domain or for one base domain, until a time. The engine
 * keeps the blocks it enforces in its window table (module/engine.c); this
 * file is how blocks are shared: the hash P{blocks} in Redis holds one field
 * per block ("CLIENT|BASE", BASE empty for all domains) whose value is
 * "UNTIL|SINCE|RULE|INSTANCE|REASON". A lifted block keeps its field with
 * UNTIL 0 and SINCE the time of the lift for a while, so that every resolver
 * sees the lift; P{blocks}:gen is incremented on every change. The
 * background thread of each resolver reads them (module/sink.c) and
 * mxguard-report writes them (docs/redis-schema.md, "Blocks").
 *
 * Like module/redis.c, module/blocks.c talks to Redis through hiredis; it
 * uses the connection of a struct mxg_redis and is not thread-safe.
 */
#ifndef MXGUARD_BLOCKS_H
#define MXGUARD_BLOCKS_H
#include <stddef.h>
#include <stdint.h>
#include "mxguard/mxguard.h"

struct mxg_redis;

/** Rule name of a block set by the operator (mxguard-report block). */
#define MXG_BLOCK_MANUAL "manual"
/** Rule name of a lift (mxguard-report unblock). */
#define MXG_BLOCK_LIFT "unblock"
/** Seconds a lift stays in P{blocks} after it was made. */
#define MXG_BLOCK_LIFT_KEEP 600
/** A netblock may cover at most this many client keys of a resolver (a
 * /22 with client-prefix-v4 32, a /54 with client-prefix-v6 64). */
#define MXG_BLOCK_EXPAND_MAX 1024
/** Longest field or value text, including NUL. */
#define MXG_BLOCK_TEXT_MAX 1600

/** One block (or lift) as stored in Redis. */
struct mxg_block {
	/** client as written: "addr" or "addr/len" */
	char client[56];
	/** AF_INET or AF_INET6 */
	int family;
	/** address, masked to plen */
	uint8_t addr[16];
	/** prefix length */
	int plen;
	/** base domain, lowercase, no trailing dot; "" for every domain */
	char base[1025];
	/** end of the block, epoch seconds; 0 for a lift */
	uint64_t until;
	/** start of the block, or time of the lift, epoch seconds */
	uint64_t since;
	/** rule that started it, MXG_BLOCK_MANUAL or MXG_BLOCK_LIFT */
	char rule[32];
	/** resolver instance that started it, or who set or lifted it */
	char instance[128];
	/** reason text */
	char reason[200];
};

/**
 * Parse an address or netblock ("192.0.2.1", "192.0.2.0/24", "2001:db8::/48")
 * into b->family, addr (masked), plen and client (canonical text, "/len"
 * only when it is not one address).
 * @return 1, or 0 when it is not an address or netblock.
 */
int mxg_block_set_client(struct mxg_block* b, const char* text);

/** Is the address addr/plen inside the netblock of b (same family)? */
int mxg_block_covers(const struct mxg_block* b, int family,
	const uint8_t* addr, int plen);

/** Copy text into a record field, replacing '|', control characters and
 * bytes >= 0x7f with '_' (the value separator must not appear). */
void mxg_block_text(char* dst, size_t dstlen, const char* src);

/** Write the hash field of a block ("CLIENT|BASE"). @return its length,
 * 0 when it does not fit. */
size_t mxg_block_field(const struct mxg_block* b, char* buf, size_t len);

/** Write the hash value of a block ("UNTIL|SINCE|RULE|INSTANCE|REASON").
 * @return its length, 0 when it does not fit. */
size_t mxg_block_value(const struct mxg_block* b, char* buf, size_t len);

/** Parse a field and value read from Redis. @return 1, or 0 when
 * malformed. */
int mxg_block_parse(const char* field, size_t flen, const char* val,
	size_t vlen, struct mxg_block* b);

/** The rule id of a block's rule name: a rule of the engine, or
 * MXG_RULE_BLOCKED for a manual block or an unknown name. */
enum mxg_rule_id mxg_block_rule_id(const char* name);

/** Called for each block read from Redis. */
typedef void (*mxg_block_fn)(void* arg, const struct mxg_block* b,
	const char* value, size_t vlen);

/** Most entries of P{blocks} one read goes through: a hash grown past it
 * (a broken or hostile writer) is not read whole, the rest is left out. */
#define MXG_BLOCKS_READ_MAX 16384
/** Entries asked for by one HSCAN of P{blocks}. */
#define MXG_BLOCKS_SCAN_COUNT 512

/**
 * Read the blocks when they changed: P{blocks}:gen (its first 21 bytes)
 * and, when it differs from *gen or force is set, HSCAN P{blocks}
 * (MXG_BLOCKS_SCAN_COUNT at a
 * time, at most MXG_BLOCKS_READ_MAX entries); calls fn for each
 * well-formed entry (an entry the hash moved during the scan may come
 * twice) and deletes the entries that are over (blocks past their end,
 * lifts older than MXG_BLOCK_LIFT_KEEP).
 * @param r: a connected handle with nothing pending.
 * @param prefix: key prefix.
 * @param gen: the generation last read; updated.
 * @param now_s: current time, epoch seconds.
 * @param now_ms: monotonic time, for the backoff on failure.
 * @param capped: if not NULL, set to 1 when the hash had more than
 *	MXG_BLOCKS_READ_MAX entries (the rest were not read), else 0.
 * @return 1 read, 0 unchanged, -1 the connection failed (it is dropped).
 */
int mxg_blocks_read(struct mxg_redis* r, const char* prefix, uint64_t* gen,
	int force, mxg_block_fn fn, void* arg, uint64_t now_s,
	uint64_t now_ms, int* capped);

/**
 * Write blocks (or lifts): one HSET per record, then INCR P{blocks}:gen and
 * EXPIRE both keys in ttl seconds, as one pipeline.
 * @return 1 if every reply was a success, 0 otherwise (a lost connection
 *	is dropped).
 */
int mxg_blocks_write(struct mxg_redis* r, const char* prefix,
	const struct mxg_block* b, size_t n, uint32_t ttl, uint64_t now_ms);

/* ------------------------------------------------------------------ */
/* The background thread's side (module/sink.c).                       */

struct mxg_event;
struct mxg_blocksync;

/** Apply a block or a lift to this resolver's engine (the module passes
 * mxg_block_apply on its engine). @return keys changed, -1 on error. */
typedef int (*mxg_block_apply_fn)(void* arg, const struct mxg_block* b,
	uint64_t now_s);

/** Apply a block or lift to an engine (arg is the struct mxg_engine);
 * errors are logged. The mxg_block_apply_fn of the module. */
int mxg_block_apply(void* engine, const struct mxg_block* b, uint64_t now_s);

/**
 * The thread's state: blocks this resolver started and has still to write,
 * a memo of those written, the lifts already applied.
 * @param prefix: key prefix (copied).
 * @param instance: this resolver's instance name (copied).
 * @param fleet: apply the blocks other resolvers' rules started too (the
 *	operator's blocks and lifts always apply).
 * @param block_duration: block-duration of the config, seconds.
 * @param ttl: TTL of the keys (redis-ttl).
 * @return NULL when out of memory.
 */
struct mxg_blocksync* mxg_blocksync_new(const char* prefix,
	const char* instance, int fleet, uint32_t block_duration,
	uint32_t ttl);

/** Free it. NULL is fine. */
void mxg_blocksync_free(struct mxg_blocksync* bs);

/**
 * Without Redis: keep the blocks in a file instead (state-file:). The
 * blocks noted are merged into a list written to the file (a temporary
 * file renamed over it) at most every 10 s and at the stop, and the file is
 * read and applied at the first run after mxg_blocksync_set_apply. Lines:
 * "FIELD<TAB>VALUE" as in P{blocks}.
 * @return 0 when out of memory.
 */
int mxg_blocksync_set_file(struct mxg_blocksync* bs, const char* path);

/** The file side of mxg_blocksync_run: load once, merge what was noted,
 * save when due (always when stopping). */
void mxg_blocksync_run_file(struct mxg_blocksync* bs, uint64_t now_ms,
	int stopping);

/** Set where blocks read from Redis are applied (any thread; takes effect
 * at the next read, which then reads the whole set). */
void mxg_blocksync_set_apply(struct mxg_blocksync* bs, mxg_block_apply_fn fn,
	void* arg);

/**
 * Note an event: a refusing verdict (or one suppressed by dry-run) of a
 * rule other than "blocked" started or restarted a block, which is queued
 * to be written (at most once per tenth of block-duration, 30 s at most,
 * per block). volume and fanout block the client, the other rules the
 * client + base domain.
 * @param client: client text as in the counters' keys.
 * @param base: base domain text.
 */
void mxg_blocksync_note(struct mxg_blocksync* bs, const struct mxg_event* ev,
	const char* client, const char* base);

/** Is something waiting to be written, or a read due? */
int mxg_blocksync_due(const struct mxg_blocksync* bs, uint64_t now_ms);

/**
 * Write the queued blocks and, every second, read the blocks that changed
 * (all of them every 30 s, and at the first read), applying them.
 * @param r: a connected handle with nothing pending.
 */
void mxg_blocksync_run(struct mxg_blocksync* bs, struct mxg_redis* r,
	uint64_t now_ms);

#endif /* MXGUARD_BLOCKS_H */

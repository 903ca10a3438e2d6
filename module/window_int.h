/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/window_int.h - what the parts of the window table share.
 */
/** \file
 * The table of sliding windows (include/mxguard/window.h) is
 * module/window.c (the shards, their spinlocks, hash index, LRU list,
 * pins and eviction; the layout of the entries, their counters and
 * extensions) and module/window_sets.c (the sets an entry keeps: the
 * distinct sets and the sample names). This header holds the layout of an
 * entry and of the table, which both parts read. Private to those files.
 */
#ifndef MXGUARD_WINDOW_INT_H
#define MXGUARD_WINDOW_INT_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "mxguard/window.h"

/** Entries of one locked session protected from eviction. */
#define MXG_WINDOW_PINS 4

/** One member of a distinct set. */
struct wmember {
	/** hash of the value, never 0 for a used member */
	uint32_t h;
	/** last seen, seconds (low 32 bits of time_t) */
	uint32_t t;
};

/**
 * A distinct set; cap members follow, sorted by hash so that a lookup is a
 * binary search. The number of live members (seen within the period) is
 * kept with the second at which the first of them expires: until then it
 * is exact without a scan, so a client that keeps asking for the same
 * names costs O(log n) per lookup, not O(n).
 */
struct wdset {
	/** members used, in m[0..n) */
	uint16_t n;
	/** members seen within the period, valid before expiry */
	uint16_t live;
	/** second (low 32 bits) at which the first live member leaves the
	 * window; live must be recounted from then on */
	uint32_t expiry;
	/** the newest second seen; an older one (the clock stepped back)
	 * can bring members back into the window, so live is recounted */
	uint32_t last;
	/** pad to 8 */
	uint32_t pad;
	/** the members, sorted by h */
	struct wmember m[];
};

/** Sample names of an extension. */
struct wsamples {
	/** names kept */
	uint16_t n;
	/** bytes of text used */
	uint16_t used;
	/** hashes of the names kept (for make_set's dedup) */
	uint32_t h[MXG_WINDOW_SAMPLES];
	/** the names, each NUL-terminated, one after the other */
	char text[MXG_WINDOW_SAMPLE_BYTES];
};

/** Private entry: the public part first. */
struct wentry {
	/** what the caller sees */
	struct mxg_window_entry pub;
	/** key hash */
	uint64_t key;
	/** next in the hash chain */
	struct wentry* hnext;
	/** towards the most recently seen end of the LRU list */
	struct wentry* prev;
	/** towards the least recently seen end */
	struct wentry* next;
	/** extension, NULL if none */
	uint8_t* ext;
	/** enum mxg_window_kind */
	uint8_t kind;
	/** the counters and the distinct set follow, 8-aligned */
	uint64_t data[];
};

/** Where things are in the entries of one kind. */
struct klayout {
	/** the config */
	struct mxg_window_kind_conf c;
	/** sub-buckets per counter */
	uint32_t nb;
	/** seconds per sub-bucket */
	uint32_t width;
	/** bytes of one counter */
	size_t ctr_size;
	/** bytes of the entry allocation */
	size_t size;
	/** offset of the inline distinct set in data */
	size_t dist_off;
	/** bytes of the extension allocation, 0 if none */
	size_t ext_size;
	/** offset of the extension's distinct set */
	size_t ext_dist_off;
	/** offset of the samples in the extension */
	size_t ext_samp_off;
	/** offset of the caller words in the extension */
	size_t ext_user_off;
};

/** One shard. */
struct wshard {
	/** protects everything below; a spinlock (spin_lock(): held
	 * briefly, and no lock of mxguard's is taken under it, malloc's
	 * aside); 0 free, 1 held */
	atomic_int lock;
	/** hash index, mask + 1 chains */
	struct wentry** index;
	/** number of chains - 1 */
	size_t mask;
	/** most recently seen */
	struct wentry* head;
	/** least recently seen, evicted first */
	struct wentry* tail;
	/** bytes of entries and extensions (with overhead) */
	size_t bytes;
	/** most bytes entries and extensions may use */
	size_t budget;
	/** live entries per kind */
	uint64_t count[MXG_WK_COUNT];
	/** entries with an extension */
	uint64_t extended;
	/** evictions */
	uint64_t evictions;
	/** refused inserts and extensions */
	uint64_t refused;
	/** entries handed out while the shard is locked: never evicted */
	struct wentry* pin[MXG_WINDOW_PINS];
	/** number of pins */
	int npin;
} __attribute__((aligned(64)));

/** The table. */
struct mxg_window {
	/** the shards */
	struct wshard shards[MXG_WINDOW_SHARDS];
	/** layout per kind */
	struct klayout k[MXG_WK_COUNT];
	/** bytes of the fixed part: this struct and the indexes */
	size_t fixed;
	/** max_memory given at creation */
	size_t max_memory;
};

#endif /* MXGUARD_WINDOW_INT_H */

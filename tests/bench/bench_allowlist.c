/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/bench_allowlist.c - lookup cost of the relay allowlist.
 */
/** \file
 * A micro-benchmark, not a pass/fail test: nanoseconds per
 * mxg_allowlist_match for lists of 10, 1,000 and 50,000 netblocks, IPv4 and
 * IPv6, with the same four prefix lengths in every list, over a fixed set of
 * random addresses (about half of them inside a netblock). The allowlist
 * probes one hash table per distinct prefix length, so the number of probes
 * is the same for every entry count; what grows a little from 10 to 50,000
 * entries is cache misses (the tables outgrow L1/L2). The last rows use
 * every prefix length (25 or 121 of them) to show the worst case, which
 * depends on the number of distinct lengths only.
 * Usage: bench_allowlist [lookups]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxguard/allowlist.h"
#include "../unit/testlib.h"

/** Addresses looked up per measurement (cycled). */
#define NADDR 65536

/** xorshift state. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

/** Next random number. */
static uint32_t
rnd(void)
{
	return t_rnd32(&rng);
}

/** Clear the bits of a beyond len. */
static void
mask_bits(uint8_t* a, int len, int bits)
{
	int k;
	for(k = len; k < bits; k++)
		a[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
}

/**
 * Build a list of n netblocks and time lookups.
 * @param all_lens: use every prefix length instead of four.
 */
static void
run(int v6, int n, int all_lens, long lookups)
{
	static const int l4[] = { 16, 24, 28, 32 };
	static const int l6[] = { 32, 48, 64, 128 };
	struct mxg_allowlist* al = mxg_allowlist_new();
	uint8_t (*nets)[16] = calloc((size_t)n, 16);
	uint8_t (*addrs)[16] = calloc(NADDR, 16);
	int* lens = calloc((size_t)n, sizeof(int));
	int bits = v6 ? 128 : 32, alen = v6 ? 16 : 4, fam = v6 ? AF_INET6 :
		AF_INET;
	char text[INET6_ADDRSTRLEN + 16], buf[INET6_ADDRSTRLEN], err[128];
	long i, hits = 0;
	volatile long sink = 0;
	double t0, t1;
	int k;
	if(!al || !nets || !addrs || !lens) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for(i = 0; i < n; i++) {
		int len = all_lens ? (int)(rnd() % (uint32_t)(bits + 1)) :
			(v6 ? l6[rnd() % 4] : l4[rnd() % 4]);
		for(k = 0; k < alen; k++)
			nets[i][k] = (uint8_t)rnd();
		if(v6)
			nets[i][0] = 0x20; /* never IPv4-mapped */
		else if(len < 8)
			len = 8; /* keep short v4 prefixes from covering all */
		if(v6 && len < 8)
			len = 8;
		mask_bits(nets[i], len, bits);
		lens[i] = len;
		inet_ntop(fam, nets[i], buf, sizeof(buf));
		snprintf(text, sizeof(text), "%s/%d", buf, len);
		if(!mxg_allowlist_add(al, text, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", text, err);
			exit(1);
		}
	}
	for(i = 0; i < NADDR; i++) {
		if(i % 2) {
			/* an address inside a random netblock */
			long e = (long)(rnd() % (uint32_t)n);
			memcpy(addrs[i], nets[e], 16);
			for(k = lens[e]; k < bits; k++)
				if(rnd() & 1)
					addrs[i][k / 8] |= (uint8_t)(0x80 >>
						(k % 8));
		} else {
			for(k = 0; k < alen; k++)
				addrs[i][k] = (uint8_t)rnd();
			if(v6)
				addrs[i][0] = 0x20;
		}
	}
	for(i = 0; i < NADDR; i++)
		hits += mxg_allowlist_match(al, fam, addrs[i]);
	t0 = t_now_ns();
	for(i = 0; i < lookups; i++)
		sink += mxg_allowlist_match(al, fam, addrs[i & (NADDR - 1)]);
	t1 = t_now_ns();
	printf("%-4s %8d %8s %10.1f %6.1f%% %10zu\n", v6 ? "v6" : "v4", n,
		all_lens ? (v6 ? "0..128" : "8..32") : "4",
		(t1 - t0) / (double)lookups, 100.0 * (double)hits / NADDR,
		mxg_allowlist_mem(al));
	(void)sink;
	mxg_allowlist_free(al);
	free(nets);
	free(addrs);
	free(lens);
}

int
main(int argc, char** argv)
{
	long lookups = argc > 1 ? atol(argv[1]) : 10000000;
	static const int sizes[] = { 10, 1000, 50000 };
	int f, s;
	if(lookups <= 0)
		lookups = 10000000;
	printf("mxg_allowlist_match: %ld lookups per row\n", lookups);
	printf("%-4s %8s %8s %10s %7s %10s\n", "fam", "entries", "lengths",
		"ns/lookup", "hits", "mem bytes");
	for(f = 0; f < 2; f++)
		for(s = 0; s < 3; s++)
			run(f, sizes[s], 0, lookups);
	run(0, 50000, 1, lookups);
	run(1, 50000, 1, lookups);
	return 0;
}

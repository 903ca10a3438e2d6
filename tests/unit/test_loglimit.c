/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_loglimit.c - one client cannot silence the log.
 */
/** \file
 * mxg_loglimit with a fake clock: a blocked client re-querying 600,000
 * times in 4.5 s gets one "blocked" line and leaves another client's 10
 * refusals all logged; a client flooding refusals (no block) gets at most a
 * tenth of log-rate; a flood of log verdicts from 5,000 clients leaves the
 * reserved half for refuse and tag verdicts; every line refused is counted;
 * log-rate 0 is unlimited; an IPv4-mapped client is its IPv4 client;
 * each limiter keys its slot hash with its own seed.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "mxguard/loglimit.h"
#include "tap.h"

/** An IPv4 address 10.x.y.z from a number. */
static void
v4(uint8_t* a, uint32_t n)
{
	a[0] = 10;
	a[1] = (uint8_t)(n >> 16);
	a[2] = (uint8_t)(n >> 8);
	a[3] = (uint8_t)n;
}

int
main(void)
{
	struct mxg_loglimit l;
	uint8_t bot[4], other[4], c[4];
	uint64_t t0 = 1700000000000ULL, t, total, allowed, bot_ok, other_ok;
	uint32_t i;

	/* 1. the blocked bot: 600k refused re-queries over 4.5 s */
	ok(mxg_loglimit_init(&l, 100, 600, 32, 64), "init (rate 100)");
	v4(bot, 1);
	v4(other, 2);
	bot_ok = other_ok = 0;
	total = allowed = 0;
	for(i = 0; i < 600000; i++) {
		t = t0 + (uint64_t)i * 4500 / 600000;
		total++;
		if(mxg_loglimit_allow(&l, AF_INET, bot, 1, i > 0, t)) {
			bot_ok++;
			allowed++;
		}
		if(i % 60000 == 30000) {
			total++;
			if(mxg_loglimit_allow(&l, AF_INET, other, 1, 0, t)) {
				other_ok++;
				allowed++;
			}
		}
	}
	is_int(other_ok, 10, "another client's 10 refusals are all logged "
		"while a blocked bot re-queries 600,000 times");
	ok(bot_ok <= 2, "the bot: its refusal and one blocked line (%llu)",
		(unsigned long long)bot_ok);
	is_int(mxg_loglimit_suppressed(&l), total - allowed,
		"every suppressed line is counted");
	mxg_loglimit_free(&l);

	/* 2. refusals without a block (dry-run style): a tenth per client */
	mxg_loglimit_init(&l, 100, 600, 32, 64);
	bot_ok = other_ok = 0;
	for(i = 0; i < 100000; i++) {
		t = t0 + (uint64_t)i * 10000 / 100000;
		bot_ok += mxg_loglimit_allow(&l, AF_INET, bot, 1, 0, t);
		if(i % 10000 == 5000)
			other_ok += mxg_loglimit_allow(&l, AF_INET, other, 1,
				0, t);
	}
	ok(bot_ok <= 10 + 10 * 10 + 1, "one client gets at most a tenth of "
		"log-rate over 10 s (%llu lines)", (unsigned long long)bot_ok);
	is_int(other_ok, 10, "and the other client all of its 10 lines");
	mxg_loglimit_free(&l);

	/* 3. log verdicts of 5,000 clients cannot take the reserved half */
	mxg_loglimit_init(&l, 100, 600, 32, 64);
	other_ok = 0;
	for(i = 0; i < 50000; i++) {
		t = t0 + (uint64_t)i * 5000 / 50000;
		v4(c, 1000 + i % 5000);
		(void)mxg_loglimit_allow(&l, AF_INET, c, 0, 0, t);
		if(i % 5000 == 2500) {
			v4(c, 900000 + i);
			other_ok += mxg_loglimit_allow(&l, AF_INET, c, 1, 0,
				t);
		}
	}
	is_int(other_ok, 10, "10 refusals of 10 clients logged during a flood "
		"of log verdicts from 5,000 clients");
	mxg_loglimit_free(&l);

	/* 4. a blocked client logs again after block-duration */
	mxg_loglimit_init(&l, 100, 60, 32, 64);
	ok(mxg_loglimit_allow(&l, AF_INET, bot, 1, 1, t0) &&
		!mxg_loglimit_allow(&l, AF_INET, bot, 1, 1, t0 + 30000) &&
		mxg_loglimit_allow(&l, AF_INET, bot, 1, 1, t0 + 61000),
		"one blocked line per block-duration");
	{
		uint8_t m[16] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff,
			10, 0, 0, 1 };
		ok(!mxg_loglimit_allow(&l, AF_INET6, m, 1, 1, t0 + 62000),
			"the IPv4-mapped form is the same client");
	}
	mxg_loglimit_free(&l);

	/* 5. log-rate 0: unlimited */
	mxg_loglimit_init(&l, 0, 600, 32, 64);
	allowed = 0;
	for(i = 0; i < 10000; i++)
		allowed += mxg_loglimit_allow(&l, AF_INET, bot, 1, 1, t0);
	is_int(allowed, 10000, "log-rate 0 logs everything");
	mxg_loglimit_free(&l);

	/* 6. the slots' hash is keyed per limiter: which clients share a
	 * slot cannot be chosen in advance */
	{
		struct mxg_loglimit l2;
		mxg_loglimit_init(&l, 100, 600, 32, 64);
		mxg_loglimit_init(&l2, 100, 600, 32, 64);
		ok((l.seed[0] | l.seed[1]) != 0 && l.seed[0] != l2.seed[0] &&
			l.seed[1] != l2.seed[1],
			"two limiters draw their own hash keys");
		mxg_loglimit_free(&l2);
		mxg_loglimit_free(&l);
	}
	return done_testing();
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/chain.h - is Unbound's module-config safe for mxguard?
 */
/** \file
 * mxguard runs as Unbound's `dynlib` module, and what it can see and refuse
 * depends on the modules around it in `module-config` (docs/design.md,
 * "Module chains"). A module before dynlib that answers from a cache of its
 * own (subnetcache, cachedb) answers some MX lookups before mxguard sees
 * them, so refuse mode cannot hold; dns64 after dynlib never sets up its
 * state (it does so only when it sees a query first) and cannot synthesise
 * AAAA records; the iterator before dynlib answers everything itself.
 * This file reads the chain as text, so the check is unit-tested without
 * Unbound and shared by the module (at init) and mxguard-checkconf.
 */
#ifndef MXGUARD_CHAIN_H
#define MXGUARD_CHAIN_H
#include <stddef.h>

/** How bad one finding is. */
enum mxg_chain_level {
	/** worth a line in the log; mxguard works */
	MXG_CHAIN_WARN = 1,
	/** refuse mode cannot hold: mxguard does not enforce in this chain */
	MXG_CHAIN_UNSAFE = 2,
	/** mxguard sees no query at all in this chain */
	MXG_CHAIN_BROKEN = 3
};

/**
 * Check a module-config string ("dynlib validator iterator").
 * @param chain: Unbound's module-config, modules separated by blanks.
 * @param enforce: some rule of the config can refuse.
 * @param msg: the findings, one per line, each naming the chain and the fix.
 * @param len: size of msg.
 * @return the worst level found, 0 when the chain is fine. For log and tag
 *	mode (enforce 0) the result is at most MXG_CHAIN_WARN unless mxguard
 *	sees nothing (MXG_CHAIN_BROKEN).
 */
int mxg_chain_check(const char* chain, int enforce, char* msg, size_t len);

/** The module-config mxguard recommends, for messages and docs. */
#define MXG_CHAIN_RECOMMENDED "dynlib validator iterator"

#endif /* MXGUARD_CHAIN_H */

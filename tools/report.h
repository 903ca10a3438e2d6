/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/report.h - what the parts of mxguard-report share.
 */
/** \file
 * mxguard-report is tools/mxguard-report.c (the subcommands that read the
 * counters and alerts, and the command line), tools/report.c (the output
 * tables and the Redis helpers) and tools/report_blocks.c (blocks, block,
 * unblock). This header holds the run's options and connection, the exit
 * codes and the helpers' prototypes.
 */
#ifndef MXGUARD_TOOLS_REPORT_H
#define MXGUARD_TOOLS_REPORT_H
#include <stdint.h>
#include <stdio.h>
#include <hiredis/hiredis.h>

struct mxg_redis;

/** Exit codes (documented in docs/mxguard-report.1). */
enum exit_code {
	/** success */
	EX_OK_ = 0,
	/** usage or config error */
	EX_USAGE_ = 1,
	/** Redis unreachable or authentication failed */
	EX_CONN = 2,
	/** a Redis command failed */
	EX_CMD = 3,
	/** schema version differs */
	EX_SCHEMA = 4,
	/** no data for the client or domain */
	EX_NODATA = 5
};

/** Most columns of a table. */
#define MAXCOL 12

/** Options of a run. */
struct opts {
	/** output JSON instead of a table */
	int json;
	/** rows to show */
	long count;
	/** day as YYYYMMDD */
	char day[9];
	/** --since: epoch seconds, 0 none */
	uint64_t since;
	/** number of days for flow */
	long days;
	/** key prefix */
	const char* prefix;
	/** client prefix lengths (from the config) */
	int prefix_v4, prefix_v6;
	/** block --for: seconds, 0 none */
	uint64_t block_for;
	/** block and unblock --reason, NULL none */
	const char* reason;
	/** block and unblock --domain, NULL none */
	const char* domain;
	/** redis-ttl and redis-stream-maxlen (from the config) */
	uint32_t ttl, maxlen;
};

/** An output table (or JSON array of objects). */
struct table {
	/** number of columns */
	int ncol;
	/** column titles (table) */
	const char* head[MAXCOL];
	/** JSON member names */
	const char* key[MAXCOL];
	/** right-align the column; in JSON the value is a number */
	int num[MAXCOL];
	/** rows: ncol malloc'd strings each */
	char** cell;
	/** rows used and allocated */
	size_t nrow, cap;
};

/** Longest value shown, bytes (a longer one is cut and ends in "..."). */
#define MAXSHOW 1024

/** Most fields read of a hash: mxguard writes about 20, the heartbeat
 * about 50 with its metrics (one per rule and action). */
#define MAXFIELDS 128

/** Most instances listed. */
#define MAXINST 1000

/** The connection handle (for module/blocks.c). */
extern struct mxg_redis* rconn;
/** The connection and options of the run. */
extern redisContext* ctx;
/** Options. */
extern struct opts opt;

/** Print an error and exit. */
void die(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3),
	noreturn));
/** malloc'd printf. */
char* str(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/** A value as shown (malloc'd): at most MAXSHOW bytes of it and, for the
 * terminal, with control bytes as \xHH (mxg_jsonlog_term_text), so text
 * stored in Redis cannot send escape sequences to the terminal. JSON output
 * is escaped when printed (json_str). */
char* shown(const char* v);
/** Add a row; the values are copied (NULL becomes ""). */
void table_add(struct table* t, ...);
/** Is a cell a number JSON can take as is? */
int is_number(const char* s);
/** Print a JSON string. */
void json_str(const char* s);
/** Print and free a table. */
void table_print(struct table* t);
/** Run a command given as strings (NULL-terminated list); exit on a
 * transport failure or an error reply. @return the reply (free it). */
redisReply* cmd(const char* a0, ...);
/** HGETALL of a hash that mxguard writes, read only when it has at most
 * MAXFIELDS fields. @return the reply, or NULL for a larger hash. */
redisReply* hgetall(const char* k);
/** A key: prefix{kind:name}suffix (malloc'd). */
char* key(const char* kind, const char* name, const char* suffix);
/** Integer value of a string/integer reply element, 0 otherwise. */
long long reply_int(const redisReply* r);
/** String value of a reply element ("" for nil and other types). */
const char* rstr(const redisReply* r);
/** Field of a flat field/value array (HGETALL, stream entry). */
const char* field(const redisReply* arr, const char* name);
/** Epoch seconds as "YYYY-MM-DD HH:MM:SS" UTC into buf ("" for 0). */
const char* fmt_time(char* buf, size_t len, long long t);
/** Check the schema version key. */
void check_schema(void);
/** Sum of the per-minute buckets of an entity over the last n minutes. */
long long minutes_sum(const char* kind, const char* name, int n);

/** blocks: every block in force, fleet-wide. */
int do_blocks(void);
/** block IP|CIDR --for D [--domain D] [--reason T]. */
int do_block(const char* arg);
/** unblock IP|CIDR [--domain D] [--reason T]: lift every block listed
 * inside it (of that domain only with --domain). */
int do_unblock(const char* arg);

#endif /* MXGUARD_TOOLS_REPORT_H */

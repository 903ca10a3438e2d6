/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/conf_int.h - what the config parser and the option schema share.
 */
/** \file
 * module/conf.c parses mxguard.conf; module/conf_schema.c holds the option
 * table (mxg_conf_opts[]: type, field, range, default, help) and what is
 * made from it besides reading files: values to and from text (numbers,
 * ranges, actions, Redis addresses), option lookup and did-you-mean,
 * printing and the schema. Private to those two files.
 */
#ifndef MXGUARD_CONF_INT_H
#define MXGUARD_CONF_INT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mxguard/conf.h"

/** Offset of a field of struct mxg_conf. */
#define OFF(f) offsetof(struct mxg_conf, f)
/** Offset of a field of the settings of rule r. */
#define ROFF(r, f) offsetof(struct mxg_conf, rules[r].f)
/** Seconds in a day. */
#define DAY 86400ULL
/** Bytes in a megabyte. */
#define MB (1024ULL * 1024ULL)

/** Option types. */
enum opt_type {
	/** yes|no into an int */
	T_BOOL,
	/** number into an int */
	T_INT,
	/** number into a uint32_t */
	T_U32,
	/** size with k/m/g suffix into a size_t */
	T_SIZE,
	/** duration with s/m/h/d suffix (bare: seconds) into a uint32_t */
	T_DUR,
	/** duration with ms/s/m suffix (bare: milliseconds) into a uint32_t */
	T_MS,
	/** string (char*, malloc'd); max is the longest length */
	T_STR,
	/** path (char*); relative paths are taken from the file's directory */
	T_PATH,
	/** log|tag|refuse into an enum mxg_action */
	T_MODE,
	/** log|tag|refuse|mode into an enum mxg_action */
	T_ACTION,
	/** relay netblock, repeatable */
	T_RELAY,
	/** file of relay netblocks, repeatable */
	T_RELAYFILE,
	/** include another file, repeatable */
	T_INCLUDE,
	/** two-letter country codes, repeatable */
	T_COUNTRY,
	/** host:port, [v6]:port or unix:/path (char*) */
	T_REDIS,
	/** name without blanks (char*); max is the longest length */
	T_NAME,
	/** rule|full into an int (0, 1) */
	T_EDETEXT
};

/** One row of the schema. */
struct opt {
	/** option name */
	const char* name;
	/** type of the value */
	enum opt_type type;
	/** offset of the field in struct mxg_conf */
	size_t off;
	/** smallest value (base unit: bytes, seconds, ms) */
	uint64_t min;
	/** largest value; for strings the longest length */
	uint64_t max;
	/** default as it would be written in the file, NULL: none/empty */
	const char* def;
	/** one line of help */
	const char* help;
	/** section banner starting at this row, or NULL */
	const char* section;
};

/** The option table, in the order of the docs. */
extern const struct opt mxg_conf_opts[];
/** Number of rows in mxg_conf_opts[]. */
extern const size_t mxg_conf_nopts;

/** The option nearest to an unknown name, or NULL if none is close. */
const char* conf_suggest(const char* name);
/** The schema row of an option, NULL if unknown. */
const struct opt* conf_find_opt(const char* name);
/** Parse an action name. @return 1 if valid */
int conf_parse_action(const char* v, int allow_mode, enum mxg_action* a);
/**
 * Check a redis-server value; the normalised form ("host" gets ":6379")
 * goes to norm. @return NULL or the reason it is not valid.
 */
const char* conf_check_redis(const char* v, char* norm, size_t nlen);
/**
 * The value of a numeric option (T_INT, T_U32, T_SIZE, T_DUR, T_MS) in its
 * unit and range. @return NULL and the value in out, or the reason (in
 * rbuf when formatted).
 */
const char* conf_parse_num(const struct opt* o, const char* s, uint64_t* out,
	char* rbuf, size_t rlen);
/** Store a number in the field of a numeric, yes|no or rule|full option. */
void conf_store_num(struct mxg_conf* cfg, const struct opt* o, uint64_t v);
/** Range of an option as text, e.g. "0..32" or "1m..256g". */
void conf_fmt_range(char* buf, size_t len, const struct opt* o);

#endif /* MXGUARD_CONF_INT_H */

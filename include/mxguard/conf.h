/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/conf.h - mxguard.conf parsed into a struct.
 */
/** \file
 * The configuration of mxguard: Unbound-style `name: value` lines read from
 * mxguard.conf (docs/mxguard.conf.5). One schema table in module/conf_schema.c gives
 * each option its type, range and default. Errors read
 * `file:line: option: value: reason`. The module parses a new struct at every
 * init (reload); mxguard-checkconf uses the same parser.
 */
#ifndef MXGUARD_CONF_H
#define MXGUARD_CONF_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mxguard/mxguard.h"

struct mxg_allowlist;

/** Settings of one detection rule. Which fields mean what depends on the
 * rule; docs/mxguard.conf.5 lists them. */
struct mxg_rule_conf {
	/** rule is evaluated (`<rule>-enable: yes|no`) */
	int enabled;
	/** `<rule>-action:`; MXG_ACT_MODE follows `mode:` */
	enum mxg_action action;
	/** main threshold (`<rule>-limit:`): fires when the count is > limit.
	 * staging-shape: minimum score (0..100) */
	uint32_t limit;
	/** second threshold: staging-window numeric prefixes (`> prefixes`) */
	uint32_t limit2;
	/** window length in seconds (`<rule>-period:`). non-relay: log once
	 * per client+base domain per period. */
	uint32_t period;
};

/** Maximum number of deny-country codes. */
#define MXG_MAX_DENY_COUNTRY 64

/** The whole configuration. Strings are malloc'd and owned by the struct;
 * free everything with mxg_conf_free(). */
struct mxg_conf {
	/** file the config was read from (malloc'd), NULL for defaults */
	char* file;

	/* --- actions --- */
	/** `mode: log|tag|refuse`; default log */
	enum mxg_action mode;
	/** `dry-run: yes`: refuse verdicts are logged as "would refuse" and
	 * the answer is left alone */
	int dry_run;
	/** `ede-text: full` (1): the EDE text of refuse and tag carries the
	 * verdict's details; `rule` (0, the default): the rule name only */
	int ede_full;
	/** `block-duration:` seconds a refusing verdict keeps the client (and
	 * client+base domain) blocked; default 600 */
	uint32_t block_duration;
	/** per-rule settings, indexed by enum mxg_rule_id (< MXG_RULE_BLOCKED) */
	struct mxg_rule_conf rules[MXG_RULE_COUNT];

	/* --- clients --- */
	/** relay netblocks from `relay:` and `relay-file:`; never NULL after
	 * mxg_conf_new (may be empty) */
	struct mxg_allowlist* relays;
	/** `relay:` values as written (malloc'd array of malloc'd strings),
	 * kept for mxg_conf_print */
	char** relay_text;
	/** number of entries in relay_text */
	size_t relay_text_count;
	/** `relay-file:` paths read (malloc'd array of malloc'd strings) */
	char** relay_files;
	/** number of entries in relay_files */
	size_t relay_files_count;
	/** `client-prefix-v4:` bits kept of an IPv4 client; default 32 */
	int client_prefix_v4;
	/** `client-prefix-v6:` bits kept of an IPv6 client; default 64 */
	int client_prefix_v6;

	/* --- memory --- */
	/** `max-memory:` bytes for all counters together; default 64m */
	size_t max_memory;
	/** `mx-cache-size:` bytes of the private MX answer cache used in
	 * refuse mode; default 16m */
	size_t mx_cache_size;

	/* --- geo and categories --- */
	/** `geoip-country:` path of a country mmdb, NULL if none */
	char* geoip_country;
	/** `geoip-asn:` path of an ASN mmdb, NULL if none */
	char* geoip_asn;
	/** `deny-country:` ISO codes, uppercase, NUL-terminated */
	char deny_country[MXG_MAX_DENY_COUNTRY][3];
	/** number of entries in deny_country */
	int deny_country_count;
	/** `category-file:` path, NULL for the built-in list */
	char* category_file;

	/* --- redis --- */
	/** `redis-server:` "host:port", "[v6]:port" or "unix:/path"; NULL: off */
	char* redis_server;
	/** `redis-user:` ACL user, NULL for none */
	char* redis_user;
	/** `redis-password:` NULL for none; never logged or printed */
	char* redis_password;
	/** `redis-db:` database number; default 0 */
	int redis_db;
	/** `redis-prefix:` prefix of every key; default "mxg:" */
	char* redis_prefix;
	/** `redis-connect-timeout:` milliseconds; default 500 */
	uint32_t redis_connect_timeout_ms;
	/** `redis-timeout:` command timeout, milliseconds; default 1000 */
	uint32_t redis_timeout_ms;
	/** `redis-queue:` events the queue holds before dropping; 16384 */
	uint32_t redis_queue;
	/** `redis-stream-maxlen:` approximate length of the alert stream */
	uint32_t redis_stream_maxlen;
	/** `redis-ttl:` seconds kept for counters; default 8 days (691200) */
	uint32_t redis_ttl;
	/** `fleet: yes`: read fleet-wide counts back from Redis */
	int fleet;
	/** `fleet-instances:` most resolvers sharing the Redis; a fleet count
	 * per minute is capped at volume-limit times this; default 8 */
	uint32_t fleet_instances;
	/** `instance:` name of this resolver; default the host name */
	char* instance;

	/* --- logging --- */
	/** `log-file:` JSON lines file; NULL: Unbound's log */
	char* log_file;
	/** `state-file:` where the blocks are kept without Redis; NULL none */
	char* state_file;
	/** `log-rate:` JSON lines per second at most; default 100 */
	uint32_t log_rate;
	/** `log-lookups: yes`: also log verdict-less MX lookups */
	int log_lookups;
};

/** A config with every default set (relays empty). NULL on malloc failure. */
struct mxg_conf* mxg_conf_new(void);

/**
 * Read a config file into cfg (which holds defaults or earlier values).
 * @param cfg: from mxg_conf_new().
 * @param file: path of the file.
 * @param err: buffer for the messages, one `file:line: option: value: reason`
 *	per line, every error found (not only the first).
 * @param errlen: size of err.
 * @return 1 if the file was read without error, 0 otherwise (cfg is then in
 *	an undefined but freeable state).
 */
int mxg_conf_read(struct mxg_conf* cfg, const char* file, char* err,
	size_t errlen);

/** As mxg_conf_read, reading from a string; name is used in messages. */
int mxg_conf_read_string(struct mxg_conf* cfg, const char* name,
	const char* text, char* err, size_t errlen);

/**
 * Print the effective config as `name: value` lines (the password as
 * "(set)"). @param option: print only this option, or NULL for all.
 * @return 1, or 0 if option is unknown.
 */
int mxg_conf_print(const struct mxg_conf* cfg, FILE* out, const char* option);

/** Free a config and everything it owns. NULL is fine. */
void mxg_conf_free(struct mxg_conf* cfg);

/** The action a rule takes once mode and dry-run are applied. */
enum mxg_action mxg_conf_rule_action(const struct mxg_conf* cfg,
	enum mxg_rule_id rule);

/** Number of options in the schema table (for docs and tests). */
size_t mxg_conf_option_count(void);

/** Name of option i of the schema, NULL if i >= mxg_conf_option_count(). */
const char* mxg_conf_option_name(size_t i);

/**
 * Print the schema, one option a line, tab-separated: section, name, type,
 * range, default, help. Drives and checks docs/mxguard.conf.5.
 */
void mxg_conf_print_schema(FILE* out);

#endif /* MXGUARD_CONF_H */

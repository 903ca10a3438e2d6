/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/redis_cli.h - the Redis flags the tools take, as redis-cli does.
 */
/** \file
 * mxguard-report and mxguard-exporter both reach the Redis of a fleet
 * with the flags of redis-cli (-h -p -s -a -n), --server, --user,
 * --prefix and -c FILE (the redis-* settings of an mxguard.conf). Those
 * flags, their checks and how they combine with the config and
 * $REDISCLI_AUTH are written once, in tools/redis_cli.c.
 */
#ifndef MXGUARD_TOOLS_REDIS_CLI_H
#define MXGUARD_TOOLS_REDIS_CLI_H
#include <getopt.h>
#include <stddef.h>
#include "mxguard/conf.h"
#include "mxguard/redis.h"

/** The Redis flags of a command line; zero it, then redis_cli_arg. */
struct redis_cli {
	/** -c: mxguard.conf to read the redis-* settings from, or NULL */
	const char* conffile;
	/** -h, -p (0: none), -s, --server */
	const char* host;
	long port;
	const char* sock;
	const char* server;
	/** -a: a copy (the argument is blanked), or NULL */
	char* password;
	/** read for the password after $REDISCLI_AUTH, or NULL */
	const char* password_env;
	/** --user, --prefix, or NULL */
	const char* user;
	const char* prefix;
	/** -n: database number; has_db: -n was given */
	int db, has_db;
	/** the server made of -s or -h/-p */
	char srv[1100];
};

/** The short flags, to put in a tool's getopt_long string. */
#define REDIS_CLI_SHORT "c:h:p:s:a:n:"
/** getopt_long codes of the long-only flags (a tool's own are below). */
enum { REDIS_CLI_SERVER = 2001, REDIS_CLI_USER, REDIS_CLI_PREFIX };
/** The long flags, to start a tool's struct option table. */
#define REDIS_CLI_LONG \
	{ "config", required_argument, NULL, 'c' }, \
	{ "host", required_argument, NULL, 'h' }, \
	{ "port", required_argument, NULL, 'p' }, \
	{ "socket", required_argument, NULL, 's' }, \
	{ "server", required_argument, NULL, REDIS_CLI_SERVER }, \
	{ "password", required_argument, NULL, 'a' }, \
	{ "pass", required_argument, NULL, 'a' }, \
	{ "user", required_argument, NULL, REDIS_CLI_USER }, \
	{ "db", required_argument, NULL, 'n' }, \
	{ "prefix", required_argument, NULL, REDIS_CLI_PREFIX }

/**
 * Take a flag from getopt_long. A password is copied and blanked in argv,
 * so that it is not left in the process list.
 * @return 1 taken, 0 not a Redis flag, -1 a bad value (the reason in why).
 */
int redis_cli_arg(struct redis_cli* c, int ch, char* arg, char* why,
	size_t len);

/**
 * Read -c's config into cfg and fill ro: the flags over the config's
 * redis-* over the defaults (127.0.0.1:6379); the password from -a, else
 * $REDISCLI_AUTH, else password_env, else the config. ro points into c and cfg.
 * @return 0 when the config has errors (listed in err).
 */
int redis_cli_opts(struct redis_cli* c, struct mxg_conf* cfg,
	struct mxg_redis_opts* ro, char* err, size_t errlen);

/** Free the copy of the password. */
void redis_cli_free(struct redis_cli* c);

#endif /* MXGUARD_TOOLS_REDIS_CLI_H */

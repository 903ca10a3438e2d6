/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/redis_cli.c - the Redis flags the tools take, as redis-cli does.
 */
/** \file
 * The flags of tools/redis_cli.h for mxguard-report and mxguard-exporter:
 * their checks, and how they combine with an mxguard.conf and
 * $REDISCLI_AUTH into the options of a connection.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redis_cli.h"

int
redis_cli_arg(struct redis_cli* c, int ch, char* arg, char* why, size_t len)
{
	char* end;
	long v;
	switch(ch) {
	case 'c': c->conffile = arg; break;
	case 'h': c->host = arg; break;
	case 's': c->sock = arg; break;
	case REDIS_CLI_SERVER: c->server = arg; break;
	case REDIS_CLI_USER: c->user = arg; break;
	case REDIS_CLI_PREFIX: c->prefix = arg; break;
	case 'p':
		v = strtol(arg, &end, 10);
		if(*end || v < 1 || v > 65535) {
			snprintf(why, len, "-p %s: not a port", arg);
			return -1;
		}
		c->port = v;
		break;
	case 'n':
		v = strtol(arg, &end, 10);
		if(*end || v < 0 || v > INT_MAX) {
			snprintf(why, len, "--db %s: not a number", arg);
			return -1;
		}
		c->db = (int)v;
		c->has_db = 1;
		break;
	case 'a':
		free(c->password);
		if(!(c->password = strdup(arg))) {
			snprintf(why, len, "out of memory");
			return -1;
		}
		memset(arg, 0, strlen(arg));
		break;
	default:
		return 0;
	}
	return 1;
}

int
redis_cli_opts(struct redis_cli* c, struct mxg_conf* cfg,
	struct mxg_redis_opts* ro, char* err, size_t errlen)
{
	const char* host = c->host;
	if(c->conffile && !mxg_conf_read(cfg, c->conffile, err, errlen))
		return 0;
	mxg_redis_opts_from_conf(ro, cfg);
	if(c->sock) {
		/* -s SOCKET like redis-cli */
		snprintf(c->srv, sizeof(c->srv), "unix:%s", c->sock);
		ro->server = c->srv;
	} else if(host || c->port) {
		/* -h HOST -p PORT like redis-cli (each defaults as there) */
		if(!host)
			host = "127.0.0.1";
		snprintf(c->srv, sizeof(c->srv), strchr(host, ':') ?
			"[%s]:%ld" : "%s:%ld", host, c->port ? c->port : 6379);
		ro->server = c->srv;
	} else if(c->server)
		ro->server = c->server;
	if(!ro->server)
		ro->server = "127.0.0.1:6379";
	if(c->password)
		ro->password = c->password;
	else if(getenv("REDISCLI_AUTH"))
		ro->password = getenv("REDISCLI_AUTH");
	else if(c->password_env && getenv(c->password_env))
		ro->password = getenv(c->password_env);
	if(c->user)
		ro->user = c->user;
	if(c->has_db)
		ro->db = c->db;
	if(c->prefix)
		ro->prefix = c->prefix;
	return 1;
}

void
redis_cli_free(struct redis_cli* c)
{
	free(c->password);
	c->password = NULL;
}

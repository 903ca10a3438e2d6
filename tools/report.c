/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/report.c - mxguard-report's output tables and Redis helpers.
 */
/** \file
 * The run's options and connection, errors, aligned tables or JSON
 * (values shown with control bytes as \\xHH), the Redis commands
 * (binary-safe, redisCommandArgv) and the reads every subcommand makes
 * (hashes, keys, the schema version, minute sums). See tools/report.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pwd.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/jsonlog.h"
#include "mxguard/mxguard.h"
#include "mxguard/redis.h"
#include "prom.h"

#include "report.h"

/** The connection handle (for module/blocks.c). */
struct mxg_redis* rconn;
/** The connection and options of the run. */
redisContext* ctx;
/** Options. */
struct opts opt;

/** Print an error and exit. */
void
die(int code, const char* fmt, ...)
{
	va_list ap;
	char msg[4096], line[4 * sizeof(msg)];
	const char* p = msg;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the message may quote Redis (error replies, values): each line
	 * goes out with its control bytes as \xHH */
	fprintf(stderr, "mxguard-report: ");
	for(;;) {
		const char* nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		(void)mxg_jsonlog_term_text(line, sizeof(line), p, n);
		fprintf(stderr, "%s\n", line);
		if(!nl)
			break;
		p = nl + 1;
	}
	exit(code);
}

/** malloc'd printf. */
char*
str(const char* fmt, ...)
{
	va_list ap;
	char* s = NULL;
	va_start(ap, fmt);
	if(vasprintf(&s, fmt, ap) < 0)
		die(EX_USAGE_, "out of memory");
	va_end(ap);
	return s;
}

/** A value as shown (malloc'd): at most MAXSHOW bytes of it and, for the
 * terminal, with control bytes as \xHH (mxg_jsonlog_term_text), so text
 * stored in Redis cannot send escape sequences to the terminal. JSON output
 * is escaped when printed (json_str). */
char*
shown(const char* v)
{
	size_t n = strlen(v), cut = n > MAXSHOW ? MAXSHOW : n;
	size_t need = opt.json ? cut : 4 * cut;
	char* o = malloc(need + 4);
	if(!o)
		die(EX_USAGE_, "out of memory");
	if(opt.json) {
		memcpy(o, v, cut);
		o[cut] = 0;
	} else
		(void)mxg_jsonlog_term_text(o, need + 1, v, cut);
	if(cut < n)
		memcpy(o + strlen(o), "...", 4);
	return o;
}

/** Add a row; the values are copied (NULL becomes ""). */
void
table_add(struct table* t, ...)
{
	va_list ap;
	int i;
	if(t->nrow == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		char** n = realloc(t->cell, nc * (size_t)t->ncol * sizeof(*n));
		if(!n)
			die(EX_USAGE_, "out of memory");
		t->cell = n;
		t->cap = nc;
	}
	va_start(ap, t);
	for(i = 0; i < t->ncol; i++) {
		const char* v = va_arg(ap, const char*);
		t->cell[t->nrow * (size_t)t->ncol + (size_t)i] =
			shown(v ? v : "");
	}
	va_end(ap);
	t->nrow++;
}

/** Is a cell a number JSON can take as is? */
int
is_number(const char* s)
{
	char* end;
	if(!*s)
		return 0;
	errno = 0;
	(void)strtod(s, &end);
	return *end == 0 && errno == 0 && (isdigit((unsigned char)s[0]) ||
		s[0] == '-');
}

/** Print a JSON string. */
void
json_str(const char* s)
{
	size_t n = strlen(s);
	char* buf = malloc(6 * n + 1);
	if(!buf)
		die(EX_USAGE_, "out of memory");
	mxg_jsonlog_escape(buf, 6 * n + 1, s, n);
	printf("\"%s\"", buf);
	free(buf);
}

/** Print and free a table. */
void
table_print(struct table* t)
{
	size_t r;
	int c;
	if(opt.json) {
		printf("[");
		for(r = 0; r < t->nrow; r++) {
			printf("%s\n  {", r ? "," : "");
			for(c = 0; c < t->ncol; c++) {
				const char* v = t->cell[r * (size_t)t->ncol +
					(size_t)c];
				printf("%s", c ? ", " : "");
				json_str(t->key[c]);
				printf(": ");
				if(t->num[c] && is_number(v))
					printf("%s", v);
				else if(t->num[c] && !*v)
					printf("null");
				else	json_str(v);
			}
			printf("}");
		}
		printf("%s]\n", t->nrow ? "\n" : "");
	} else {
		size_t w[MAXCOL];
		for(c = 0; c < t->ncol; c++)
			w[c] = strlen(t->head[c]);
		for(r = 0; r < t->nrow; r++)
			for(c = 0; c < t->ncol; c++) {
				size_t l = strlen(t->cell[r * (size_t)t->ncol +
					(size_t)c]);
				if(l > w[c])
					w[c] = l;
			}
		for(c = 0; c < t->ncol; c++) {
			if(t->num[c])
				printf("%*s", (int)w[c], t->head[c]);
			else if(c == t->ncol - 1)
				printf("%s", t->head[c]);
			else	printf("%-*s", (int)w[c], t->head[c]);
			printf(c == t->ncol - 1 ? "\n" : "  ");
		}
		for(r = 0; r < t->nrow; r++) {
			for(c = 0; c < t->ncol; c++) {
				const char* v = t->cell[r * (size_t)t->ncol +
					(size_t)c];
				if(t->num[c])
					printf("%*s", (int)w[c], v);
				else if(c == t->ncol - 1)
					printf("%s", v);
				else	printf("%-*s", (int)w[c], v);
				printf(c == t->ncol - 1 ? "\n" : "  ");
			}
		}
	}
	for(r = 0; r < t->nrow * (size_t)t->ncol; r++)
		free(t->cell[r]);
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Redis.                                                              */

/** Run a command given as strings (NULL-terminated list); exit on a
 * transport failure or an error reply. @return the reply (free it). */
redisReply*
cmd(const char* a0, ...)
{
	const char* argv[64];
	size_t len[64];
	int argc = 0;
	va_list ap;
	redisReply* r;
	argv[argc] = a0;
	len[argc] = strlen(a0);
	argc++;
	va_start(ap, a0);
	while(argc < 64) {
		const char* a = va_arg(ap, const char*);
		if(!a)
			break;
		argv[argc] = a;
		len[argc++] = strlen(a);
	}
	va_end(ap);
	r = redisCommandArgv(ctx, argc, argv, len);
	if(!r)
		die(EX_CONN, "redis: %s: %s", a0, ctx->errstr[0] ? ctx->errstr
			: "no reply");
	if(r->type == REDIS_REPLY_ERROR)
		die(EX_CMD, "redis: %s: %s", a0, r->str ? r->str : "error");
	return r;
}

/** HGETALL of a hash that mxguard writes, read only when it has at most
 * MAXFIELDS fields. @return the reply, or NULL for a larger hash. */
redisReply*
hgetall(const char* k)
{
	redisReply* r = cmd("HLEN", k, NULL);
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	if(n > MAXFIELDS)
		return NULL;
	return cmd("HGETALL", k, NULL);
}

/** A key: prefix{kind:name}suffix (malloc'd). */
char*
key(const char* kind, const char* name, const char* suffix)
{
	return str("%s{%s%s%s}%s", opt.prefix, kind, name ? ":" : "",
		name ? name : "", suffix);
}

/** Integer value of a string/integer reply element, 0 otherwise. */
long long
reply_int(const redisReply* r)
{
	if(!r)
		return 0;
	if(r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if(r->type == REDIS_REPLY_STRING && r->str)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/** String value of a reply element ("" for nil and other types). */
const char*
rstr(const redisReply* r)
{
	if(r && (r->type == REDIS_REPLY_STRING ||
		r->type == REDIS_REPLY_STATUS) && r->str)
		return r->str;
	return "";
}

/** Field of a flat field/value array (HGETALL, stream entry). */
const char*
field(const redisReply* arr, const char* name)
{
	size_t i;
	if(!arr || arr->type != REDIS_REPLY_ARRAY)
		return "";
	for(i = 0; i + 1 < arr->elements; i += 2)
		if(strcmp(rstr(arr->element[i]), name) == 0)
			return rstr(arr->element[i + 1]);
	return "";
}

/** Epoch seconds as "YYYY-MM-DD HH:MM:SS" UTC into buf ("" for 0). */
const char*
fmt_time(char* buf, size_t len, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if(t <= 0) {
		buf[0] = 0;
		return buf;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/** Check the schema version key. */
void
check_schema(void)
{
	char* k = key("meta", NULL, ":schema");
	redisReply* r = cmd("GET", k, NULL);
	if(r->type == REDIS_REPLY_NIL)
		fprintf(stderr, "mxguard-report: warning: no schema key %s: no "
			"mxguard instance has written to this Redis (db, prefix "
			"\"%s\"?) in the last redis-ttl\n", k, opt.prefix);
	else if(reply_int(r) != MXG_SCHEMA_VERSION)
		die(EX_SCHEMA, "schema version in Redis is %s, this tool reads "
			"version %d: use the mxguard-report of the same mxguard "
			"version", rstr(r), MXG_SCHEMA_VERSION);
	freeReplyObject(r);
	free(k);
}

/** Sum of the per-minute buckets of an entity over the last n minutes. */
long long
minutes_sum(const char* kind, const char* name, int n)
{
	const char* argv[61];
	size_t len[61];
	char* keys[60];
	uint64_t now_min = (uint64_t)time(NULL) / 60;
	long long sum = 0;
	redisReply* r;
	int i;
	if(n > 60)
		n = 60;
	argv[0] = "MGET";
	len[0] = 4;
	for(i = 0; i < n; i++) {
		char suf[32];
		snprintf(suf, sizeof(suf), ":m:%llu",
			(unsigned long long)(now_min - (uint64_t)i));
		keys[i] = key(kind, name, suf);
		argv[i + 1] = keys[i];
		len[i + 1] = strlen(keys[i]);
	}
	r = redisCommandArgv(ctx, n + 1, argv, len);
	if(!r)
		die(EX_CONN, "redis: MGET: %s", ctx->errstr);
	if(r->type == REDIS_REPLY_ARRAY)
		for(i = 0; i < (int)r->elements; i++)
			sum += reply_int(r->element[i]);
	freeReplyObject(r);
	for(i = 0; i < n; i++)
		free(keys[i]);
	return sum;
}

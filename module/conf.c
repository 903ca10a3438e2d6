/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/conf.c - mxguard.conf parsed into a struct.
 */
/** \file
 * The parser of mxguard.conf. Unbound-style `name: value` lines, `#`
 * comments, double-quoted values, `include:` files. One schema table
 * (mxg_conf_opts[], module/conf_schema.c) gives each option its type, the
 * field it sets, its range, its default (as text, parsed by the same code
 * as the file) and a line of help; it drives parsing, defaults,
 * mxg_conf_print and mxg_conf_print_schema (which checks the docs).
 * Every error is collected, one per line, as
 * `file:line: option: value: reason`, so an operator sees all of them at
 * once. Only libc: the module and mxguard-checkconf share this file.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "mxguard/allowlist.h"
#include "mxguard/conf.h"
#include "conf_int.h"

/** How deep include: files may nest. */
#define MAX_INCLUDE_DEPTH 16

/** State of one parse (a file and its includes). */
struct pctx {
	/** config being filled */
	struct mxg_conf* cfg;
	/** error buffer */
	char* err;
	/** size of err */
	size_t errlen;
	/** bytes used in err */
	size_t errpos;
	/** errors found */
	int nerr;
	/** real paths of the files being read, outermost first */
	char* stack[MAX_INCLUDE_DEPTH + 1];
	/** entries in stack */
	int depth;
	/** where redis-user was last set ("file:line"), for check_cross */
	char user_at[PATH_MAX + 16];
	/** where fleet was last set ("file:line"), for check_cross */
	char fleet_at[PATH_MAX + 16];
};

/** Append one line to the error buffer (truncated with "..." when full). */
static void
add_err(struct pctx* p, const char* fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add_err(struct pctx* p, const char* fmt, ...)
{
	va_list ap;
	int n;
	p->nerr++;
	if(!p->err || p->errlen == 0)
		return;
	if(p->errpos + 1 >= p->errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->err + p->errpos, p->errlen - p->errpos, fmt, ap);
	va_end(ap);
	if(n < 0)
		return;
	if(p->errpos + (size_t)n + 2 > p->errlen) {
		/* did not fit: mark the truncation */
		size_t e = p->errlen - 1;
		if(e >= 4)
			memcpy(p->err + e - 4, "...\n", 4);
		p->err[e] = 0;
		p->errpos = e;
		return;
	}
	p->errpos += (size_t)n;
	p->err[p->errpos++] = '\n';
	p->err[p->errpos] = 0;
}

/** Replace a string field (value NULL or "" clears it).
 * @return NULL, or "out of memory" as the reason of a setter. */
static const char*
store_str(struct mxg_conf* cfg, const struct opt* o, const char* v)
{
	char** f = (char**)((char*)cfg + o->off);
	char* n = NULL;
	if(v && *v) {
		n = strdup(v);
		if(!n)
			return "out of memory";
	}
	free(*f);
	*f = n;
	return NULL;
}

/** Append a copy of s to a string list. @return 0 nomem */
static int
list_add(char*** list, size_t* n, const char* s)
{
	char** nl = realloc(*list, (*n + 1) * sizeof(char*));
	if(!nl)
		return 0;
	*list = nl;
	nl[*n] = strdup(s);
	if(!nl[*n])
		return 0;
	(*n)++;
	return 1;
}

/** Free a string list. */
static void
list_free(char** list, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/** The directory part of a path ("" when there is none), in buf. */
static void
dir_of(const char* path, char* buf, size_t len)
{
	const char* s = strrchr(path, '/');
	if(!s) {
		buf[0] = 0;
		return;
	}
	if(s == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s/", (int)(s - path), path);
}

/** A path relative to the directory of file, malloc'd (NULL: nomem). */
static char*
rel_path(const char* file, const char* path)
{
	char dir[PATH_MAX];
	char* r;
	size_t n;
	if(path[0] == '/' || !file)
		return strdup(path);
	dir_of(file, dir, sizeof(dir));
	n = strlen(dir) + strlen(path) + 1;
	r = malloc(n);
	if(r)
		snprintf(r, n, "%s%s", dir, path);
	return r;
}

/**
 * The value to show in an error message: "(hidden)" for the password, and
 * for any name that looks like a misspelt password, so that a secret never
 * reaches a log.
 */
static const char*
shown(const char* name, const char* v)
{
	const char* s;
	if(strcasestr(name, "pass") || strcasestr(name, "pasw") ||
		strcasestr(name, "secret"))
		return "(hidden)";
	s = conf_suggest(name);
	if(s && strcmp(s, "redis-password") == 0)
		return "(hidden)";
	return v;
}

static int parse_file(struct pctx* p, const char* path, const char* shown,
	const char* inc_file, int inc_line);

/** Read a relay-file into the allowlist. */
static void
read_relay_file(struct pctx* p, const char* file, int line,
	const char* path, const char* shown)
{
	FILE* in = fopen(path, "r");
	char* buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int ln = 0;
	if(!in) {
		if(strcmp(path, shown) != 0)
			add_err(p, "%s:%d: relay-file: %s: cannot open %s: %s",
				file, line, shown, path, strerror(errno));
		else
			add_err(p, "%s:%d: relay-file: %s: cannot open: %s",
				file, line, shown, strerror(errno));
		return;
	}
	while((n = getline(&buf, &cap, in)) >= 0) {
		char* s = buf;
		char* hash = strchr(buf, '#');
		char* tok;
		char* save = NULL;
		ln++;
		if(hash)
			*hash = 0;
		for(tok = strtok_r(s, " \t\r\n,", &save); tok;
			tok = strtok_r(NULL, " \t\r\n,", &save)) {
			char reason[128];
			if(!mxg_allowlist_add(p->cfg->relays, tok, reason,
				sizeof(reason)))
				add_err(p, "%s:%d: relay: %s: %s", path, ln, tok,
					reason);
		}
	}
	free(buf);
	fclose(in);
}

/** Handle include: (with glob patterns). */
static void
do_include(struct pctx* p, const char* file, int line, const char* path,
	const char* shown)
{
	glob_t g;
	size_t i;
	int r;
	if(!strpbrk(path, "*?[")) {
		parse_file(p, path, shown, file, line);
		return;
	}
	memset(&g, 0, sizeof(g));
	r = glob(path, 0, NULL, &g);
	if(r == GLOB_NOMATCH) {
		globfree(&g);
		return;
	}
	if(r != 0) {
		add_err(p, "%s:%d: include: %s: cannot read the pattern",
			file, line, shown);
		globfree(&g);
		return;
	}
	for(i = 0; i < g.gl_pathc; i++)
		parse_file(p, g.gl_pathv[i], g.gl_pathv[i], file, line);
	globfree(&g);
}

/**
 * A setter: parse the value of an option of one type and store it.
 * Errors of a value (several in one line for deny-country) may be added
 * with add_err; the one reason of a bad value is returned, in rbuf when it
 * is formatted. @return NULL when set, else the reason.
 */
typedef const char* (*setter_fn)(struct pctx* p, const char* file, int line,
	const struct opt* o, const char* v, char* rbuf, size_t rlen);

/** Store 0 for the word w0, 1 for w1 (either case). @return 0 neither. */
static int
set_word(struct pctx* p, const struct opt* o, const char* v, const char* w0,
	const char* w1)
{
	if(strcasecmp(v, w0) == 0)
		conf_store_num(p->cfg, o, 0);
	else if(strcasecmp(v, w1) == 0)
		conf_store_num(p->cfg, o, 1);
	else
		return 0;
	return 1;
}

/** T_BOOL: yes or no. */
static const char*
set_bool(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	return set_word(p, o, v, "no", "yes") ? NULL : "expected yes or no";
}

/** T_EDETEXT: rule or full. */
static const char*
set_edetext(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	return set_word(p, o, v, "rule", "full") ? NULL :
		"expected rule or full";
}

/** T_INT, T_U32, T_SIZE, T_DUR, T_MS: a number in its unit and range. */
static const char*
set_num(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	uint64_t x = 0;
	const char* reason = conf_parse_num(o, v, &x, rbuf, rlen);
	if(!reason)
		conf_store_num(p->cfg, o, x);
	return reason;
}

/** T_MODE, T_ACTION: log, tag, refuse (and mode for a rule's action). */
static const char*
set_action(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	enum mxg_action a;
	if(!conf_parse_action(v, o->type == T_ACTION, &a))
		return o->type == T_ACTION ?
			"expected log, tag, refuse or mode" :
			"expected log, tag or refuse";
	*(enum mxg_action*)((char*)p->cfg + o->off) = a;
	return NULL;
}

/** The reason a string is longer than the option's max, or NULL. */
static const char*
too_long(const struct opt* o, const char* v, char* rbuf, size_t rlen)
{
	if(strlen(v) <= o->max)
		return NULL;
	snprintf(rbuf, rlen, "too long (max %llu)", (unsigned long long)o->max);
	return rbuf;
}

/** T_STR: any text up to max characters. */
static const char*
set_str(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	const char* reason = too_long(o, v, rbuf, rlen);
	return reason ? reason : store_str(p->cfg, o, v);
}

/** T_NAME: text without blanks; an empty instance is the host name. */
static const char*
set_name(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	char h[256];
	const char* c;
	const char* reason = too_long(o, v, rbuf, rlen);
	if(reason)
		return reason;
	for(c = v; *c; c++)
		if(isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
			return "blanks or control characters not allowed";
	if(!*v && o->off == OFF(instance)) {
		/* back to the default: the host name */
		if(gethostname(h, sizeof(h)) != 0 || !h[0])
			snprintf(h, sizeof(h), "unbound");
		h[sizeof(h) - 1] = 0;
		if(strlen(h) > o->max)
			h[o->max] = 0;
		v = h;
	}
	return store_str(p->cfg, o, v);
}

/** T_PATH: a path, relative ones from the directory of the file; ""
 * clears it. */
static const char*
set_path(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	char* r;
	const char* reason;
	if(!*v)
		return store_str(p->cfg, o, NULL);
	r = rel_path(file, v);
	reason = r ? store_str(p->cfg, o, r) : "out of memory";
	free(r);
	return reason;
}

/** T_REDIS: host:port, [v6]:port or unix:/path, stored normalised; ""
 * clears it. */
static const char*
set_redis(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	char norm[512];
	const char* reason;
	if(!*v)
		return store_str(p->cfg, o, NULL);
	reason = conf_check_redis(v, norm, sizeof(norm));
	return reason ? reason : store_str(p->cfg, o, norm);
}

/** T_RELAY: a relay netblock, added to the allowlist. */
static const char*
set_relay(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	if(!mxg_allowlist_add(p->cfg->relays, v, rbuf, rlen))
		return rbuf;
	if(!list_add(&p->cfg->relay_text, &p->cfg->relay_text_count, v))
		return "out of memory";
	return NULL;
}

/** T_RELAYFILE: a file of relay netblocks, read now. */
static const char*
set_relayfile(struct pctx* p, const char* file, int line,
	const struct opt* o, const char* v, char* rbuf, size_t rlen)
{
	char* r = rel_path(file, v);
	int ok;
	if(!r)
		return "out of memory";
	read_relay_file(p, file, line, r, v);
	ok = list_add(&p->cfg->relay_files, &p->cfg->relay_files_count, r);
	free(r);
	return ok ? NULL : "out of memory";
}

/** T_INCLUDE: another file (or glob pattern), read here. */
static const char*
set_include(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	char* r = rel_path(file, v);
	if(!r)
		return "out of memory";
	do_include(p, file, line, r, v);
	free(r);
	return NULL;
}

/** T_COUNTRY: two-letter codes added to deny-country; "" clears it. Each
 * bad code is an error of its own, the good ones on the line are kept. */
static const char*
set_country(struct pctx* p, const char* file, int line, const struct opt* o,
	const char* v, char* rbuf, size_t rlen)
{
	struct mxg_conf* cfg = p->cfg;
	char buf[1024];
	char* tok;
	char* save = NULL;
	if(!*v) {
		cfg->deny_country_count = 0;
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for(tok = strtok_r(buf, " \t,", &save); tok;
		tok = strtok_r(NULL, " \t,", &save)) {
		int i, dup = 0;
		if(strlen(tok) != 2 || !isalpha((unsigned char)tok[0]) ||
			!isalpha((unsigned char)tok[1])) {
			add_err(p, "%s:%d: %s: %s: not a two-letter country "
				"code", file, line, o->name, tok);
			continue;
		}
		tok[0] = (char)toupper((unsigned char)tok[0]);
		tok[1] = (char)toupper((unsigned char)tok[1]);
		for(i = 0; i < cfg->deny_country_count; i++)
			if(strcmp(cfg->deny_country[i], tok) == 0)
				dup = 1;
		if(dup)
			continue;
		if(cfg->deny_country_count >= MXG_MAX_DENY_COUNTRY) {
			add_err(p, "%s:%d: %s: %s: too many countries (max %d)",
				file, line, o->name, tok, MXG_MAX_DENY_COUNTRY);
			break;
		}
		memcpy(cfg->deny_country[cfg->deny_country_count++], tok, 3);
	}
	return NULL;
}

/** The setter of each option type, and whether an unquoted empty value
 * is allowed (it clears the option or sets its default). */
static const struct {
	/** parses and stores a value */
	setter_fn set;
	/** an empty value is a value, not a missing one */
	int empty_ok;
} setters[] = {
	[T_BOOL] = { set_bool, 0 },
	[T_EDETEXT] = { set_edetext, 0 },
	[T_INT] = { set_num, 0 },
	[T_U32] = { set_num, 0 },
	[T_SIZE] = { set_num, 0 },
	[T_DUR] = { set_num, 0 },
	[T_MS] = { set_num, 0 },
	[T_MODE] = { set_action, 0 },
	[T_ACTION] = { set_action, 0 },
	[T_STR] = { set_str, 1 },
	[T_NAME] = { set_name, 1 },
	[T_PATH] = { set_path, 1 },
	[T_REDIS] = { set_redis, 1 },
	[T_RELAY] = { set_relay, 0 },
	[T_RELAYFILE] = { set_relayfile, 0 },
	[T_INCLUDE] = { set_include, 0 },
	[T_COUNTRY] = { set_country, 1 },
};

/** Apply one `name: value` to the config. quoted: value was in quotes. */
static void
set_option(struct pctx* p, const char* file, int line, const char* name,
	const char* v, int quoted)
{
	const struct opt* o = conf_find_opt(name);
	char rbuf[160];
	const char* reason;

	if(!o) {
		const char* s = conf_suggest(name);
		if(s)
			add_err(p, "%s:%d: %s: %s: unknown option (did you mean "
				"'%s'?)", file, line, name, shown(name, v), s);
		else
			add_err(p, "%s:%d: %s: %s: unknown option", file, line,
				name, shown(name, v));
		return;
	}
	if(!*v && !quoted && !setters[o->type].empty_ok) {
		add_err(p, "%s:%d: %s: missing value", file, line, o->name);
		return;
	}
	reason = setters[o->type].set(p, file, line, o, v, rbuf,
		sizeof(rbuf));
	if(reason)
		add_err(p, "%s:%d: %s: %s: %s", file, line, o->name,
			shown(o->name, v), reason);
	else if(o->off == OFF(redis_user) && o->type == T_STR)
		snprintf(p->user_at, sizeof(p->user_at), "%s:%d", file, line);
	else if(o->off == OFF(fleet) && o->type == T_BOOL)
		snprintf(p->fleet_at, sizeof(p->fleet_at), "%s:%d", file, line);
}

/** Parse the text of one file (a NUL-terminated, writable buffer). */
static void
parse_text(struct pctx* p, const char* file, char* text)
{
	char* line = text;
	int ln = 0;
	while(line) {
		char* next = strchr(line, '\n');
		char* s = line;
		char* name;
		char* colon;
		char* v;
		char* e;
		int quoted = 0;
		if(next)
			*next++ = 0;
		line = next;
		ln++;
		while(isspace((unsigned char)*s))
			s++;
		if(!*s || *s == '#')
			continue;
		name = s;
		colon = strchr(s, ':');
		if(!colon) {
			/* drop a trailing comment from what we show */
			e = strchr(s, '#');
			if(e)
				*e = 0;
			e = s + strlen(s);
			while(e > s && isspace((unsigned char)e[-1]))
				*--e = 0;
			add_err(p, "%s:%d: %s: expected 'name: value'", file,
				ln, name);
			continue;
		}
		*colon = 0;
		e = colon;
		while(e > name && isspace((unsigned char)e[-1]))
			*--e = 0;
		v = colon + 1;
		while(isspace((unsigned char)*v))
			v++;
		if(*v == '"') {
			char* q = strchr(v + 1, '"');
			if(!q) {
				e = v + strlen(v);
				while(e > v && isspace((unsigned char)e[-1]))
					*--e = 0;
				add_err(p, "%s:%d: %s: %s: missing closing quote",
					file, ln, name, shown(name, v));
				continue;
			}
			*q = 0;
			e = q + 1;
			while(isspace((unsigned char)*e))
				e++;
			if(*e && *e != '#') {
				add_err(p, "%s:%d: %s: %s: text after the "
					"closing quote", file, ln, name,
					shown(name, v + 1));
				continue;
			}
			v++;
			quoted = 1;
		} else {
			e = strchr(v, '#');
			if(e)
				*e = 0;
			e = v + strlen(v);
			while(e > v && isspace((unsigned char)e[-1]))
				*--e = 0;
		}
		if(!*name) {
			add_err(p, "%s:%d: : %s: missing option name", file, ln,
				v);
			continue;
		}
		if(strcasecmp(name, "mxguard") == 0 && !*v && !quoted)
			continue; /* the optional section header */
		set_option(p, file, ln, name, v, quoted);
	}
}

/** Read a whole file into a malloc'd, NUL-terminated buffer. */
static char*
slurp(FILE* in)
{
	size_t cap = 4096, n = 0, r;
	char* buf = malloc(cap);
	if(!buf)
		return NULL;
	while((r = fread(buf + n, 1, cap - n - 1, in)) > 0) {
		n += r;
		if(n + 1 == cap) {
			char* nb = realloc(buf, cap * 2);
			if(!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if(ferror(in)) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/**
 * Parse a file, keeping track of the include stack.
 * @param shown: the path as written in the include: line (for messages).
 * @param inc_file: file with the include: line, NULL for the top file.
 * @return 1 if the file could be read (errors in it are counted apart).
 */
static int
parse_file(struct pctx* p, const char* path, const char* shown,
	const char* inc_file, int inc_line)
{
	char real[PATH_MAX];
	char* text;
	FILE* in;
	int i;
	if(p->depth >= MAX_INCLUDE_DEPTH) {
		add_err(p, "%s:%d: include: %s: includes nested too deeply "
			"(max %d)", inc_file, inc_line, shown,
			MAX_INCLUDE_DEPTH);
		return 0;
	}
	in = fopen(path, "r");
	if(!in) {
		if(inc_file && strcmp(path, shown) != 0)
			add_err(p, "%s:%d: include: %s: cannot open %s: %s",
				inc_file, inc_line, shown, path,
				strerror(errno));
		else if(inc_file)
			add_err(p, "%s:%d: include: %s: cannot open: %s",
				inc_file, inc_line, shown, strerror(errno));
		else
			add_err(p, "%s: cannot open: %s", path,
				strerror(errno));
		return 0;
	}
	if(!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for(i = 0; i < p->depth; i++) {
		if(strcmp(p->stack[i], real) == 0) {
			add_err(p, "%s:%d: include: %s: include loop (%s is "
				"already being read)", inc_file, inc_line, shown,
				path);
			fclose(in);
			return 0;
		}
	}
	text = slurp(in);
	fclose(in);
	if(!text) {
		add_err(p, "%s: cannot read: %s", path, strerror(errno));
		return 0;
	}
	p->stack[p->depth] = strdup(real);
	if(!p->stack[p->depth]) {
		free(text);
		add_err(p, "%s: out of memory", path);
		return 0;
	}
	p->depth++;
	parse_text(p, path, text);
	p->depth--;
	free(p->stack[p->depth]);
	p->stack[p->depth] = NULL;
	free(text);
	return 1;
}

/** Checks across options, after everything is read. */
static void
check_cross(struct pctx* p)
{
	const struct mxg_conf* c = p->cfg;
	if(c->redis_user && !c->redis_password)
		add_err(p, "%s: redis-user: %s: needs redis-password",
			p->user_at, c->redis_user);
	if(c->fleet && !c->redis_server)
		add_err(p, "%s: fleet: yes: needs redis-server", p->fleet_at);
}

/** Start a parse: clear the error buffer. */
static void
pctx_init(struct pctx* p, struct mxg_conf* cfg, char* err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->err = err;
	p->errlen = errlen;
	if(err && errlen)
		err[0] = 0;
}

/** Remember the name of the file read. @return 0 nomem */
static int
set_file(struct mxg_conf* cfg, const char* name)
{
	char* n = strdup(name);
	if(!n)
		return 0;
	free(cfg->file);
	cfg->file = n;
	return 1;
}

int
mxg_conf_read(struct mxg_conf* cfg, const char* file, char* err,
	size_t errlen)
{
	struct pctx p;
	pctx_init(&p, cfg, err, errlen);
	if(!set_file(cfg, file)) {
		add_err(&p, "%s: out of memory", file);
		return 0;
	}
	parse_file(&p, file, file, NULL, 0);
	if(p.nerr == 0)
		check_cross(&p);
	return p.nerr == 0;
}

int
mxg_conf_read_string(struct mxg_conf* cfg, const char* name,
	const char* text, char* err, size_t errlen)
{
	struct pctx p;
	char* t = strdup(text);
	pctx_init(&p, cfg, err, errlen);
	if(!t || !set_file(cfg, name)) {
		free(t);
		add_err(&p, "%s: out of memory", name);
		return 0;
	}
	parse_text(&p, name, t);
	free(t);
	if(p.nerr == 0)
		check_cross(&p);
	return p.nerr == 0;
}

struct mxg_conf*
mxg_conf_new(void)
{
	struct mxg_conf* cfg = calloc(1, sizeof(*cfg));
	struct pctx p;
	char err[256];
	size_t i;
	int r;
	if(!cfg)
		return NULL;
	cfg->relays = mxg_allowlist_new();
	if(!cfg->relays) {
		free(cfg);
		return NULL;
	}
	pctx_init(&p, cfg, err, sizeof(err));
	for(i = 0; i < mxg_conf_nopts; i++)
		if(mxg_conf_opts[i].def)
			set_option(&p, "(default)", 0, mxg_conf_opts[i].name,
				mxg_conf_opts[i].def, 1);
	/* instance defaults to the host name */
	set_option(&p, "(default)", 0, "instance", "", 1);
	/* "blocked" is not configurable: it follows mode */
	cfg->rules[MXG_RULE_BLOCKED].enabled = 1;
	cfg->rules[MXG_RULE_BLOCKED].action = MXG_ACT_MODE;
	cfg->rules[MXG_RULE_BLOCKED].period = cfg->block_duration;
	r = p.nerr == 0;
	if(!r) {
		/* a bad default is a bug, or malloc failed */
		mxg_conf_free(cfg);
		return NULL;
	}
	return cfg;
}

void
mxg_conf_free(struct mxg_conf* cfg)
{
	if(!cfg)
		return;
	free(cfg->file);
	mxg_allowlist_free(cfg->relays);
	list_free(cfg->relay_text, cfg->relay_text_count);
	list_free(cfg->relay_files, cfg->relay_files_count);
	free(cfg->geoip_country);
	free(cfg->geoip_asn);
	free(cfg->category_file);
	free(cfg->redis_server);
	free(cfg->redis_user);
	free(cfg->redis_password);
	free(cfg->redis_prefix);
	free(cfg->instance);
	free(cfg->log_file);
	free(cfg->state_file);
	free(cfg);
}

enum mxg_action
mxg_conf_rule_action(const struct mxg_conf* cfg, enum mxg_rule_id rule)
{
	enum mxg_action a;
	if(!cfg || (int)rule < 0 || rule >= MXG_RULE_COUNT)
		return MXG_ACT_PASS;
	a = cfg->rules[rule].action;
	if(a == MXG_ACT_MODE)
		a = cfg->mode;
	if(a == MXG_ACT_MODE)
		a = MXG_ACT_LOG;
	if(cfg->dry_run && a == MXG_ACT_REFUSE)
		a = MXG_ACT_LOG;
	return a;
}


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

/** A unit suffix and its factor. */
struct unit {
	/** suffix, lowercase */
	const char* name;
	/** multiplier */
	uint64_t mult;
};

/** Units of T_DUR. */
static const struct unit dur_units[] = {
	{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", DAY },
	{ NULL, 0 } };
/** Units of T_MS. */
static const struct unit ms_units[] = {
	{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { NULL, 0 } };
/** Units of T_SIZE. */
static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", MB },
	{ "mb", MB }, { "g", 1024 * MB }, { "gb", 1024 * MB }, { NULL, 0 } };

/**
 * Parse a number with an optional unit suffix.
 * @param units: table of suffixes, or NULL for a plain number.
 * @return NULL and the value in out, or the reason it is not valid.
 */
static const char*
parse_number(const char* s, const struct unit* units, const char* unames,
	uint64_t* out, char* rbuf, size_t rlen)
{
	uint64_t v = 0;
	const char* p = s;
	int i;
	if(*p == '-' && isdigit((unsigned char)p[1]))
		return "must not be negative";
	if(!isdigit((unsigned char)*p))
		return "not a number";
	while(isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if(v > (UINT64_MAX - d) / 10)
			return "number too large";
		v = v * 10 + d;
		p++;
	}
	if(!units) {
		if(*p)
			return "not a number";
		*out = v;
		return NULL;
	}
	for(i = 0; units[i].name; i++) {
		if(strcasecmp(p, units[i].name) == 0) {
			if(v != 0 && units[i].mult > UINT64_MAX / v)
				return "number too large";
			*out = v * units[i].mult;
			return NULL;
		}
	}
	snprintf(rbuf, rlen, "bad unit '%s' (use %s)", p, unames);
	return rbuf;
}

/** Store a number of a numeric type in its field. */
static void
store_num(struct mxg_conf* cfg, const struct opt* o, uint64_t v)
{
	char* f = (char*)cfg + o->off;
	switch(o->type) {
	case T_BOOL:
	case T_EDETEXT:
	case T_INT:
		*(int*)f = (int)v;
		break;
	case T_SIZE:
		*(size_t*)f = (size_t)v;
		break;
	default:
		*(uint32_t*)f = (uint32_t)v;
		break;
	}
}

/** Replace a string field (value NULL or "" clears it). @return 0 nomem */
static int
store_str(struct mxg_conf* cfg, const struct opt* o, const char* v)
{
	char** f = (char**)((char*)cfg + o->off);
	char* n = NULL;
	if(v && *v) {
		n = strdup(v);
		if(!n)
			return 0;
	}
	free(*f);
	*f = n;
	return 1;
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

/** Apply one `name: value` to the config. quoted: value was in quotes. */
static void
set_option(struct pctx* p, const char* file, int line, const char* name,
	const char* v, int quoted)
{
	const struct opt* o = conf_find_opt(name);
	char rbuf[160], range[80], norm[512], h[256];
	const char* reason = NULL;
	uint64_t x;

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
	if(!*v && !quoted && o->type != T_STR && o->type != T_PATH &&
		o->type != T_NAME && o->type != T_REDIS &&
		o->type != T_COUNTRY) {
		add_err(p, "%s:%d: %s: missing value", file, line, o->name);
		return;
	}
	switch(o->type) {
	case T_BOOL:
		if(strcasecmp(v, "yes") == 0)
			store_num(p->cfg, o, 1);
		else if(strcasecmp(v, "no") == 0)
			store_num(p->cfg, o, 0);
		else
			reason = "expected yes or no";
		break;
	case T_EDETEXT:
		if(strcasecmp(v, "rule") == 0)
			store_num(p->cfg, o, 0);
		else if(strcasecmp(v, "full") == 0)
			store_num(p->cfg, o, 1);
		else
			reason = "expected rule or full";
		break;
	case T_INT:
	case T_U32:
	case T_SIZE:
	case T_DUR:
	case T_MS:
		if(o->type == T_DUR)
			reason = parse_number(v, dur_units, "s, m, h or d", &x,
				rbuf, sizeof(rbuf));
		else if(o->type == T_MS)
			reason = parse_number(v, ms_units, "ms, s or m", &x,
				rbuf, sizeof(rbuf));
		else if(o->type == T_SIZE)
			reason = parse_number(v, size_units, "k, m or g", &x,
				rbuf, sizeof(rbuf));
		else
			reason = parse_number(v, NULL, NULL, &x, rbuf,
				sizeof(rbuf));
		if(!reason && (x < o->min || x > o->max)) {
			conf_fmt_range(range, sizeof(range), o);
			snprintf(rbuf, sizeof(rbuf), "out of range (%s)", range);
			reason = rbuf;
		}
		if(!reason)
			store_num(p->cfg, o, x);
		break;
	case T_MODE:
	case T_ACTION: {
		enum mxg_action a;
		if(conf_parse_action(v, o->type == T_ACTION, &a))
			*(enum mxg_action*)((char*)p->cfg + o->off) = a;
		else
			reason = o->type == T_ACTION ?
				"expected log, tag, refuse or mode" :
				"expected log, tag or refuse";
		break;
	}
	case T_STR:
		if(strlen(v) > o->max) {
			snprintf(rbuf, sizeof(rbuf), "too long (max %llu)",
				(unsigned long long)o->max);
			reason = rbuf;
		} else if(!store_str(p->cfg, o, v))
			reason = "out of memory";
		break;
	case T_NAME: {
		const char* c;
		if(strlen(v) > o->max) {
			snprintf(rbuf, sizeof(rbuf), "too long (max %llu)",
				(unsigned long long)o->max);
			reason = rbuf;
			break;
		}
		for(c = v; *c; c++)
			if(isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
				break;
		if(*c) {
			reason = "blanks or control characters not allowed";
			break;
		}
		if(!*v && o->off == OFF(instance)) {
			/* back to the default: the host name */
			if(gethostname(h, sizeof(h)) != 0 || !h[0])
				snprintf(h, sizeof(h), "unbound");
			h[sizeof(h) - 1] = 0;
			if(strlen(h) > o->max)
				h[o->max] = 0;
			v = h;
			if(!store_str(p->cfg, o, v))
				reason = "out of memory";
			break;
		}
		if(!store_str(p->cfg, o, v))
			reason = "out of memory";
		break;
	}
	case T_PATH:
		if(!*v) {
			store_str(p->cfg, o, NULL);
		} else {
			char* r = rel_path(file, v);
			if(!r || !store_str(p->cfg, o, r))
				reason = "out of memory";
			free(r);
		}
		break;
	case T_REDIS:
		if(!*v) {
			store_str(p->cfg, o, NULL);
			break;
		}
		reason = conf_check_redis(v, norm, sizeof(norm));
		if(!reason && !store_str(p->cfg, o, norm))
			reason = "out of memory";
		break;
	case T_RELAY:
		if(!mxg_allowlist_add(p->cfg->relays, v, rbuf, sizeof(rbuf)))
			reason = rbuf;
		else if(!list_add(&p->cfg->relay_text,
			&p->cfg->relay_text_count, v))
			reason = "out of memory";
		break;
	case T_RELAYFILE: {
		char* r = rel_path(file, v);
		if(!r) {
			reason = "out of memory";
			break;
		}
		read_relay_file(p, file, line, r, v);
		if(!list_add(&p->cfg->relay_files,
			&p->cfg->relay_files_count, r))
			reason = "out of memory";
		free(r);
		break;
	}
	case T_INCLUDE: {
		char* r = rel_path(file, v);
		if(!r) {
			reason = "out of memory";
			break;
		}
		do_include(p, file, line, r, v);
		free(r);
		break;
	}
	case T_COUNTRY: {
		char buf[1024];
		char* tok;
		char* save = NULL;
		if(!*v) {
			/* deny-country: "" clears the list */
			p->cfg->deny_country_count = 0;
			break;
		}
		snprintf(buf, sizeof(buf), "%s", v);
		for(tok = strtok_r(buf, " \t,", &save); tok;
			tok = strtok_r(NULL, " \t,", &save)) {
			int i, dup = 0;
			if(strlen(tok) != 2 || !isalpha((unsigned char)tok[0])
				|| !isalpha((unsigned char)tok[1])) {
				add_err(p, "%s:%d: %s: %s: not a two-letter "
					"country code", file, line, o->name,
					tok);
				continue;
			}
			tok[0] = (char)toupper((unsigned char)tok[0]);
			tok[1] = (char)toupper((unsigned char)tok[1]);
			for(i = 0; i < p->cfg->deny_country_count; i++)
				if(strcmp(p->cfg->deny_country[i], tok) == 0)
					dup = 1;
			if(dup)
				continue;
			if(p->cfg->deny_country_count >= MXG_MAX_DENY_COUNTRY) {
				add_err(p, "%s:%d: %s: %s: too many countries "
					"(max %d)", file, line, o->name, tok,
					MXG_MAX_DENY_COUNTRY);
				break;
			}
			memcpy(p->cfg->deny_country[
				p->cfg->deny_country_count++], tok, 3);
		}
		break;
	}
	}
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


/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/category.c - domain suffix to category (freemail, ...).
 */
/** \file
 * Reads `category-file:` (or the built-in list below) into an open-addressing
 * hash table of suffixes. A lookup lowercases the name into a stack buffer,
 * drops a trailing dot, and then tries the name and each shorter suffix that
 * starts after a dot, longest first; the first hit is the longest match. So a
 * lookup costs one hash probe per label, whatever the size of the list.
 *
 * The table is built at init and only read afterwards, so worker and sink
 * threads share it without a lock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/category.h"
#include "mxguard/hash.h"
#include "mxguard/msg.h"
#include "mxguard/mxguard.h"

/** Longest category name, without NUL. */
#define CAT_NAME_MAX 31
/** Longest suffix in presentation format (no trailing dot). */
#define SUFFIX_MAX 253
/** Most distinct categories in one list. */
#define CAT_MAX 64

/**
 * The built-in list: the same entries as contrib/categories.txt (the unit test
 * checks that they agree), without the comments. The sources of each part:
 * - freemail: the providers' own sign-up and help pages (Gmail, Outlook.com,
 *   Hotmail, Yahoo Mail, GMX, Mail.ru, Yandex Mail, Proton Mail, iCloud Mail,
 *   AOL Mail, Zoho Mail); longer lists in e.g. github.com/willwhite/freemail.
 * - disposable: the disposable-email-domains project
 *   (github.com/disposable-email-domains/disposable-email-domains, CC0).
 * - dyndns: the providers' documentation of the domains they hand out (Duck
 *   DNS, No-IP's free domains, Dyn, FreeDNS afraid.org, Dynu).
 * - bulk-mail: the services' SPF/DKIM and sending-domain documentation
 *   (SendGrid, Mailgun, Amazon SES, Mailchimp, SparkPost, Mailjet).
 * - cloud: the platforms' documentation of their default host names (AWS,
 *   Azure, Google user content, Heroku).
 */
static const char builtin_list[] =
	/* freemail */
	"gmail.com freemail\n"
	"googlemail.com freemail\n"
	"outlook.com freemail\n"
	"hotmail.com freemail\n"
	"live.com freemail\n"
	"yahoo.com freemail\n"
	"gmx.net freemail\n"
	"gmx.de freemail\n"
	"mail.ru freemail\n"
	"yandex.ru freemail\n"
	"proton.me freemail\n"
	"protonmail.com freemail\n"
	"icloud.com freemail\n"
	"aol.com freemail\n"
	"zoho.com freemail\n"
	/* disposable */
	"mailinator.com disposable\n"
	"guerrillamail.com disposable\n"
	"10minutemail.com disposable\n"
	"temp-mail.org disposable\n"
	"yopmail.com disposable\n"
	"trashmail.com disposable\n"
	/* dyndns */
	"duckdns.org dyndns\n"
	"no-ip.org dyndns\n"
	"ddns.net dyndns\n"
	"hopto.org dyndns\n"
	"zapto.org dyndns\n"
	"dyndns.org dyndns\n"
	"freedns.afraid.org dyndns\n"
	"dynu.net dyndns\n"
	/* bulk-mail */
	"sendgrid.net bulk-mail\n"
	"mailgun.org bulk-mail\n"
	"amazonses.com bulk-mail\n"
	"mcsv.net bulk-mail\n"
	"mailchimp.com bulk-mail\n"
	"sparkpostmail.com bulk-mail\n"
	"mailjet.com bulk-mail\n"
	/* cloud */
	"amazonaws.com cloud\n"
	"cloudapp.azure.com cloud\n"
	"googleusercontent.com cloud\n"
	"herokuapp.com cloud\n";

/** One suffix in the hash table. */
struct cat_entry {
	/** lowercase suffix, no trailing dot (malloc'd); NULL: empty slot */
	char* suffix;
	/** length of suffix */
	size_t len;
	/** hash of suffix */
	uint64_t hash;
	/** index into cats */
	int cat;
	/** line it was read from, for duplicate messages */
	int line;
};

/** The loaded list. */
struct mxg_category {
	/** open-addressing table, size a power of two */
	struct cat_entry* tab;
	/** number of slots */
	size_t size;
	/** suffixes stored */
	size_t count;
	/** distinct category names */
	char cats[CAT_MAX][CAT_NAME_MAX + 1];
	/** number of categories */
	int ncats;
};

/** Find a suffix. @return the entry or NULL. */
static const struct cat_entry*
find(const struct mxg_category* c, const char* s, size_t n, uint64_t h)
{
	size_t i;
	if(c->size == 0)
		return NULL;
	for(i = (size_t)h & (c->size - 1); c->tab[i].suffix;
		i = (i + 1) & (c->size - 1)) {
		if(c->tab[i].hash == h && c->tab[i].len == n &&
			memcmp(c->tab[i].suffix, s, n) == 0)
			return &c->tab[i];
	}
	return NULL;
}

/** Grow the table to keep it at most half full. @return 1 if ok. */
static int
grow(struct mxg_category* c)
{
	size_t nsize = c->size ? c->size * 2 : 64, i;
	struct cat_entry* ntab;
	if(c->count + 1 <= c->size / 2)
		return 1;
	ntab = calloc(nsize, sizeof(*ntab));
	if(!ntab)
		return 0;
	for(i = 0; i < c->size; i++) {
		size_t j;
		if(!c->tab[i].suffix)
			continue;
		for(j = (size_t)c->tab[i].hash & (nsize - 1); ntab[j].suffix;
			j = (j + 1) & (nsize - 1))
			;
		ntab[j] = c->tab[i];
	}
	free(c->tab);
	c->tab = ntab;
	c->size = nsize;
	return 1;
}

/** Check and normalise a suffix in place: lowercase, no leading or
 * trailing dot. @return NULL if ok, else the reason. */
static const char*
check_suffix(char* s, size_t* lenp)
{
	size_t len = strlen(s), i, lab = 0;
	if(len > 0 && s[len - 1] == '.')
		s[--len] = 0;
	if(len > 0 && s[0] == '.') {
		memmove(s, s + 1, len);
		len--;
	}
	if(len == 0)
		return "empty suffix";
	if(len > SUFFIX_MAX)
		return "suffix longer than 253 characters";
	for(i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if(ch == '.') {
			if(lab == 0)
				return "empty label";
			lab = 0;
			continue;
		}
		if(++lab > 63)
			return "label longer than 63 characters";
		if(isupper(ch))
			s[i] = (char)tolower(ch);
		else if(!(islower(ch) || isdigit(ch) || ch == '-' ||
			ch == '_'))
			return "character not allowed in a suffix (use "
				"letters, digits, '-', '_'; IDN as xn--)";
	}
	*lenp = len;
	return NULL;
}

/** Check a category name. @return NULL if ok, else the reason. */
static const char*
check_cat(const char* s)
{
	size_t i, len = strlen(s);
	if(len > CAT_NAME_MAX)
		return "category longer than 31 characters";
	for(i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if(!(islower(ch) || isdigit(ch) || ch == '-' || ch == '_'))
			return "category must be lowercase letters, digits, "
				"'-' or '_'";
	}
	return NULL;
}

/** Append a `file:line: value: reason` message to err (one per line). */
static void
add_err(char* err, size_t errlen, const char* file, int line,
	const char* value, const char* reason)
{
	mxg_msg_append(err, errlen, "\n", "%s:%d: %s: %s", file, line, value,
		reason);
}

/** Parse one line (modified in place). @return 1 if ok (or blank), 0 on
 * an error (reported), -1 on malloc failure. */
static int
parse_line(struct mxg_category* c, char* text, const char* file, int line,
	char* err, size_t errlen)
{
	char* p = text, *suffix, *cat, *extra;
	const char* why;
	size_t len;
	uint64_t h;
	const struct cat_entry* old;
	int ci;
	if((p = strchr(text, '#')))
		*p = 0;
	suffix = strtok_r(text, " \t\r\n", &p);
	if(!suffix)
		return 1;
	cat = strtok_r(NULL, " \t\r\n", &p);
	extra = strtok_r(NULL, " \t\r\n", &p);
	if(!cat) {
		add_err(err, errlen, file, line, suffix,
			"missing category (expected \"suffix category\")");
		return 0;
	}
	if(extra) {
		add_err(err, errlen, file, line, extra,
			"extra text after the category");
		return 0;
	}
	if((why = check_cat(cat))) {
		add_err(err, errlen, file, line, cat, why);
		return 0;
	}
	{
		char shown[SUFFIX_MAX + 8];
		snprintf(shown, sizeof(shown), "%s", suffix);
		if((why = check_suffix(suffix, &len))) {
			add_err(err, errlen, file, line, shown, why);
			return 0;
		}
	}
	for(ci = 0; ci < c->ncats; ci++)
		if(strcmp(c->cats[ci], cat) == 0)
			break;
	h = mxg_hash_bytes(0, suffix, len);
	if((old = find(c, suffix, len, h))) {
		char why2[128];
		if(old->cat == ci)
			return 1; /* the same pair twice: harmless */
		snprintf(why2, sizeof(why2), "suffix already has category "
			"%s (line %d)", c->cats[old->cat], old->line);
		add_err(err, errlen, file, line, suffix, why2);
		return 0;
	}
	if(ci == c->ncats) {
		if(c->ncats == CAT_MAX) {
			add_err(err, errlen, file, line, cat,
				"too many distinct categories (at most 64)");
			return 0;
		}
		memcpy(c->cats[c->ncats++], cat, strlen(cat) + 1);
	}
	if(!grow(c))
		return -1;
	{
		size_t i;
		struct cat_entry* e;
		for(i = (size_t)h & (c->size - 1); c->tab[i].suffix;
			i = (i + 1) & (c->size - 1))
			;
		e = &c->tab[i];
		if(!(e->suffix = strdup(suffix)))
			return -1;
		e->len = len;
		e->hash = h;
		e->cat = ci;
		e->line = line;
		c->count++;
	}
	return 1;
}

struct mxg_category*
mxg_category_load(const char* path, char* err, size_t errlen)
{
	struct mxg_category* c;
	FILE* in = NULL;
	char linebuf[4096];
	const char* name = path ? path : "(built-in)";
	const char* pos = builtin_list;
	int line = 0, bad = 0;
	if(err && errlen)
		err[0] = 0;
	if(!(c = calloc(1, sizeof(*c)))) {
		add_err(err, errlen, name, 0, "category list", "out of memory");
		return NULL;
	}
	if(path && !(in = fopen(path, "r"))) {
		add_err(err, errlen, path, 0, "category-file", strerror(errno));
		free(c);
		return NULL;
	}
	for(;;) {
		int r;
		if(in) {
			size_t n;
			if(!fgets(linebuf, sizeof(linebuf), in))
				break;
			n = strlen(linebuf);
			line++;
			if(n == sizeof(linebuf) - 1 && linebuf[n-1] != '\n') {
				int ch;
				add_err(err, errlen, name, line, "line",
					"longer than 4095 characters");
				bad = 1;
				while((ch = fgetc(in)) != EOF && ch != '\n')
					;
				continue;
			}
		} else {
			const char* nl = strchr(pos, '\n');
			size_t n;
			if(!*pos)
				break;
			n = nl ? (size_t)(nl - pos) : strlen(pos);
			if(n >= sizeof(linebuf))
				n = sizeof(linebuf) - 1;
			memcpy(linebuf, pos, n);
			linebuf[n] = 0;
			pos += nl ? (size_t)(nl - pos) + 1 : n;
			line++;
		}
		r = parse_line(c, linebuf, name, line, err, errlen);
		if(r < 0) {
			add_err(err, errlen, name, line, "category list",
				"out of memory");
			bad = 1;
			break;
		}
		if(r == 0)
			bad = 1;
	}
	if(in) {
		if(ferror(in)) {
			add_err(err, errlen, name, line, "category-file",
				strerror(errno));
			bad = 1;
		}
		fclose(in);
	}
	if(bad) {
		mxg_category_free(c);
		return NULL;
	}
	return c;
}

const char*
mxg_category_lookup(const struct mxg_category* cat, const char* name)
{
	char buf[MXG_NAME_TEXT_MAX];
	size_t len, i;
	if(!cat || !name || cat->count == 0)
		return NULL;
	len = strlen(name);
	if(len > 0 && name[len - 1] == '.')
		len--;
	if(len == 0 || len >= sizeof(buf))
		return NULL;
	for(i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		buf[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') :
			(char)ch;
	}
	buf[len] = 0;
	/* the whole name, then after every dot: longest suffix first */
	i = 0;
	for(;;) {
		const struct cat_entry* e = find(cat, buf + i, len - i,
			mxg_hash_bytes(0, buf + i, len - i));
		if(e)
			return cat->cats[e->cat];
		/* next label: skip to after the next unescaped dot ("\."
		 * is a dot inside a label) */
		while(i < len && buf[i] != '.')
			i += (buf[i] == '\\') ? 2 : 1;
		if(i + 1 >= len)
			return NULL;
		i++;
	}
}

size_t
mxg_category_count(const struct mxg_category* cat)
{
	return cat ? cat->count : 0;
}

void
mxg_category_free(struct mxg_category* cat)
{
	size_t i;
	if(!cat)
		return;
	for(i = 0; i < cat->size; i++)
		free(cat->tab[i].suffix);
	free(cat->tab);
	free(cat);
}

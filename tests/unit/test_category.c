/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_category.c - domain suffix categories.
 */
/** \file
 * Longest-suffix matching on label boundaries, case and trailing dots, the
 * `file:line: value: reason` errors of the file parser, and that
 * contrib/categories.txt (found through MXG_SRCDIR, default ".") holds
 * exactly the built-in list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxguard/category.h"
#include "tap.h"

/** Write text to a fresh temporary file. @return its path (static). */
static const char*
tmpfile_with(const char* text)
{
	static char path[64];
	FILE* f;
	int fd;
	snprintf(path, sizeof(path), "/tmp/mxg_test_cat.XXXXXX");
	fd = mkstemp(path);
	if(fd < 0 || !(f = fdopen(fd, "w")))
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

/** Load a list from text; err receives the messages. */
static struct mxg_category*
load_text(const char* text, char* err, size_t errlen, char* pathout)
{
	const char* p = tmpfile_with(text);
	struct mxg_category* c;
	if(!p)
		return NULL;
	c = mxg_category_load(p, err, errlen);
	if(pathout)
		strcpy(pathout, p);
	unlink(p);
	return c;
}

/** Names looked up in the built-in list, the category they have (NULL:
 * none) and why. */
static const struct {
	/** the name looked up */
	const char* name;
	/** its category, NULL for none */
	const char* want;
	/** why */
	const char* what;
} lookups[] = {
	{ "gmail.com", "freemail", "gmail.com is freemail" },
	{ "GMail.COM.", "freemail", "case and a trailing dot do not matter" },
	{ "alt1.gmail-smtp-in.l.google.com", NULL,
		"Google's MX hosts are not under gmail.com" },
	{ "mx1.mail.ru", "freemail", "a name under mail.ru" },
	{ "notgmail.com", NULL, "a match must start on a label boundary" },
	{ "gmail.com.evil.example", NULL, "a suffix must be at the end" },
	{ "mailinator.com", "disposable", "mailinator.com is disposable" },
	{ "x.y.duckdns.org", "dyndns", "names under duckdns.org are dyndns" },
	{ "foo.freedns.afraid.org", "dyndns", "a three-label suffix" },
	{ "afraid.org", NULL, "the parent of a suffix does not match" },
	{ "bounce.sendgrid.net", "bulk-mail", "sendgrid.net is bulk-mail" },
	{ "ec2-1-2-3-4.compute-1.amazonaws.com", "cloud",
		"EC2 host names are cloud" },
	{ "feedback-smtp.us-east-1.amazonses.com", "bulk-mail",
		"amazonses.com is bulk-mail, not cloud" },
	{ "app.cloudapp.azure.com", "cloud", "cloudapp.azure.com is cloud" },
	{ "azure.com", NULL, "azure.com itself has no category" },
	{ "com", NULL, "a TLD has no category" },
	{ "", NULL, "empty name" },
	{ ".", NULL, "the root" },
	{ "a..gmail.com", "freemail",
		"an empty label before the suffix still ends in gmail.com" },
	{ "x\\.gmail.com", NULL,
		"an escaped dot is not a boundary: x\\.gmail is one label" },
	{ "a.x\\.y.gmail.com", "freemail",
		"an escaped dot in a label under the suffix" },
	{ "gmail\\.com", NULL, "gmail\\.com is one label, not gmail.com" },
	{ "abc\\", NULL, "a trailing backslash does not overrun" },
};

/** The built-in list. */
static void
test_builtin(void)
{
	char err[512];
	size_t i;
	struct mxg_category* c = mxg_category_load(NULL, err, sizeof(err));
	ok(c != NULL, "the built-in list loads: %s", err);
	if(!c)
		return;
	is_int(mxg_category_count(c), 40, "40 built-in suffixes");
	for(i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++)
		is_str(mxg_category_lookup(c, lookups[i].name), lookups[i].want,
			"%s", lookups[i].what);
	is_str(mxg_category_lookup(NULL, "gmail.com"), NULL, "NULL list");
	is_str(mxg_category_lookup(c, NULL), NULL, "NULL name");
	{
		char longname[1100];
		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		is_str(mxg_category_lookup(c, longname), NULL,
			"an over-long name gives no category");
	}
	mxg_category_free(c);
	mxg_category_free(NULL);
	ok(1, "freeing NULL is fine");
}

/** contrib/categories.txt and the built-in list agree. */
static void
test_contrib_agrees(void)
{
	char path[4096], err[1024], line[512];
	const char* src = getenv("MXG_SRCDIR");
	struct mxg_category *b, *f;
	FILE* in;
	int n = 0, same = 0;
	snprintf(path, sizeof(path), "%s/contrib/categories.txt",
		src && *src ? src : ".");
	f = mxg_category_load(path, err, sizeof(err));
	ok(f != NULL, "contrib/categories.txt loads: %s", err);
	b = mxg_category_load(NULL, err, sizeof(err));
	if(!f || !b || !(in = fopen(path, "r"))) {
		ok(0, "cannot compare with %s", path);
		mxg_category_free(f);
		mxg_category_free(b);
		return;
	}
	is_int(mxg_category_count(f), mxg_category_count(b),
		"same number of suffixes in the file and built in");
	while(fgets(line, sizeof(line), in)) {
		char suffix[256], cat[64];
		const char* got;
		char* hash = strchr(line, '#');
		if(hash)
			*hash = 0;
		if(sscanf(line, "%255s %63s", suffix, cat) != 2)
			continue;
		n++;
		got = mxg_category_lookup(b, suffix);
		if(got && strcmp(got, cat) == 0)
			same++;
		else
			diag("%s: file says %s, built-in says %s", suffix, cat,
				got ? got : "(none)");
	}
	fclose(in);
	is_int(same, n, "every suffix of the file has the same category "
		"built in (%d)", n);
	is_int(n, (int)mxg_category_count(b), "no built-in suffix is missing "
		"from the file");
	mxg_category_free(f);
	mxg_category_free(b);
}

/** Files refused, and what the error says after the file name. */
static const struct {
	/** the file */
	const char* text;
	/** what the error says after the file name */
	const char* says;
} bad_files[] = {
	/* extra text, an upper-case category, an empty label */
	{ "a.example cat extra\n", ":1: extra: extra text after the category" },
	{ "a.example Cat\n", ":1: Cat: category must be lowercase" },
	{ "a..example cat\n", ":1: a..example: empty label" },
	/* a blank inside a suffix splits it */
	{ "a b.example cat\n", ":1: cat: extra text" },
	{ "exa$mple.com cat\n", ":1: exa$mple.com: character not allowed" },
	/* the root is not a suffix */
	{ ". cat\n", ":1: .: empty suffix" },
	/* a conflicting duplicate */
	{ "x.example one\nX.Example. two\n",
		":2: x.example: suffix already has category one (line 1)" },
};

/** The file parser. */
static void
test_file(void)
{
	char err[1024], path[64];
	struct mxg_category* c;
	size_t i;
	c = load_text("# comment\n\n  Example.COM.  corp  # trailing\n"
		"mail.example.com\tfreemail\n.lead.example other\n"
		"example.com corp\n", err, sizeof(err), NULL);
	ok(c != NULL, "a good file loads: %s", err);
	is_int(mxg_category_count(c), 3, "3 suffixes (a repeated pair once)");
	is_str(mxg_category_lookup(c, "www.example.com"), "corp",
		"suffix given in upper case with a trailing dot");
	is_str(mxg_category_lookup(c, "mx.mail.example.com"), "freemail",
		"the longest suffix wins");
	is_str(mxg_category_lookup(c, "mail.example.com"), "freemail",
		"an exact match of the longer suffix");
	is_str(mxg_category_lookup(c, "x.lead.example"), "other",
		"a leading dot is ignored");
	mxg_category_free(c);

	c = load_text("ok.example cat\nbad_only\n", err, sizeof(err), path);
	ok(c == NULL, "a line without a category is an error");
	{
		char want[256];
		snprintf(want, sizeof(want), "%s:2: bad_only: missing category",
			path);
		ok(strncmp(err, want, strlen(want)) == 0,
			"error is file:line: value: reason: %s", err);
	}
	for(i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		c = load_text(bad_files[i].text, err, sizeof(err), path);
		ok(c == NULL && strstr(err, bad_files[i].says), "refused, "
			"saying %s: %s", bad_files[i].says, err);
	}
	c = load_text("1.example\n2.example cat\n3..example c\n", err,
		sizeof(err), path);
	ok(c == NULL && strstr(err, ":1: 1.example: missing") &&
		strstr(err, "\n") && strstr(err, ":3: 3..example: empty label"),
		"every error is reported, one per line");
	{
		char text[400];
		memset(text, 'a', 70);
		strcpy(text + 70, ".example cat\n");
		c = load_text(text, err, sizeof(err), path);
		ok(c == NULL && strstr(err, "label longer than 63"),
			"a label over 63 characters: %s", err);
	}
	c = mxg_category_load("/nonexistent/cat.txt", err, sizeof(err));
	ok(c == NULL && strcmp(err, "/nonexistent/cat.txt:0: category-file: "
		"No such file or directory") == 0, "a missing file: %s", err);
	c = load_text("", err, sizeof(err), NULL);
	ok(c != NULL && mxg_category_count(c) == 0, "an empty file is an "
		"empty list");
	is_str(mxg_category_lookup(c, "gmail.com"), NULL,
		"an empty list matches nothing");
	mxg_category_free(c);
}

/** Many suffixes: the table grows and every one is found. */
static void
test_many(void)
{
	char* text = malloc(20000 * 24);
	char err[256], name[64];
	struct mxg_category* c;
	size_t off = 0;
	int i, found = 0;
	for(i = 0; i < 20000; i++)
		off += (size_t)sprintf(text + off, "d%d.example c%d\n", i, i % 3);
	c = load_text(text, err, sizeof(err), NULL);
	is_int(mxg_category_count(c), 20000, "20000 suffixes load");
	for(i = 0; i < 20000; i++) {
		const char* got;
		char want[8];
		snprintf(name, sizeof(name), "mx.D%d.Example.", i);
		snprintf(want, sizeof(want), "c%d", i % 3);
		got = mxg_category_lookup(c, name);
		if(got && strcmp(got, want) == 0)
			found++;
	}
	is_int(found, 20000, "every one of them is found under its name");
	is_str(mxg_category_lookup(c, "example"), NULL,
		"the common parent is not matched");
	mxg_category_free(c);
	free(text);
}

int
main(void)
{
	test_builtin();
	test_contrib_agrees();
	test_file();
	test_many();
	return done_testing();
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/fuzz/fuzz_conf.c - libFuzzer target: the mxguard.conf parser.
 */
/** \file
 * mxguard.conf is read at every start and reload, and mxguard-checkconf runs
 * the same parser on files an operator is still editing, so no text may
 * crash it. The input is parsed with mxg_conf_read_string() (as a file in a
 * scratch directory, so that `include:` and `relay-file:` find a few
 * fixture files there), with a large and with a small error buffer. Then:
 * - a config that parsed is printed with mxg_conf_print() and the printout
 *   must parse again and print the same (the checkconf output is a valid
 *   config);
 * - the Redis password never appears in the printout or in the errors;
 * - every option prints on its own, every rule has an action.
 *
 * The parser must not wander the file system: conf.c is compiled for this
 * target with fopen, glob and realpath renamed to the fuzz_* functions
 * below (run.sh adds -Dfopen=fuzz_fopen ...), which only open files in the
 * scratch directory.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxguard/mxguard.h"
#include "mxguard/conf.h"

/** Abort with a reason when a promise of conf.h is broken. */
#define CHECK(x) do { if(!(x)) { \
	fprintf(stderr, "fuzz_conf: check failed: %s (line %d)\n", #x, \
		__LINE__); abort(); } } while(0)

/** The scratch directory with the fixture files (no trailing slash). */
static char fixdir[PATH_MAX];
/** The name the input is parsed under: fixdir + "/fuzz.conf". */
static char confname[PATH_MAX];
/** /dev/null, for printing single options. */
static FILE* devnull;

/** The fixture files: name and content. */
static const char* const fixtures[][2] = {
	{ "relays.txt", "# relays\n10.20.0.0/16\n10.30.1.0/24 # b\n\n"
		"2001:db8:ff::/48, 192.0.2.1\n" },
	{ "bad-relays.txt", "10.0.0.0/33\nnot-an-address\n::ffff:1.2.3.4/96\n" },
	{ "a.inc", "mode: tag\nrelay: 10.0.0.0/8\n" },
	{ "b.inc", "include: a.inc\nvolume-limit: 40\n" },
	{ "loop.inc", "include: loop.inc\n" },
	{ "bad.inc", "mode: fast\nvolume-limit: -1\nredis-password: x y\n" },
	{ "inc.d/one.inc", "deny-country: RU, KP\n" },
	{ "inc.d/two.inc", "relay-file: ../relays.txt\n" },
	{ NULL, NULL }
};

/** Is path inside the scratch directory (and without "..")? */
static int
allowed(const char* path)
{
	size_t n = strlen(fixdir);
	if(!path || strncmp(path, fixdir, n) != 0 || path[n] != '/')
		return 0;
	/* "inc.d/../x" stays inside; "../../etc" would not */
	return strstr(path + n, "/../..") == NULL &&
		strncmp(path + n, "/..", 3) != 0;
}

/** fopen for conf.c: only files in the scratch directory. */
FILE*
fuzz_fopen(const char* path, const char* mode)
{
	if(!allowed(path)) {
		errno = EACCES;
		return NULL;
	}
	return fopen(path, mode);
}

/** glob for conf.c: only patterns in the scratch directory. */
int
fuzz_glob(const char* pattern, int flags,
	int (*errfunc)(const char*, int), glob_t* g)
{
	if(!allowed(pattern))
		return GLOB_NOMATCH;
	return glob(pattern, flags, errfunc, g);
}

/** realpath for conf.c: the scratch directory only. */
char*
fuzz_realpath(const char* path, char* resolved)
{
	if(!allowed(path)) {
		errno = EACCES;
		return NULL;
	}
	return realpath(path, resolved);
}

/** Remove the scratch directory at exit. */
static void
cleanup(void)
{
	char p[PATH_MAX + 64];
	int i;
	for(i = 0; fixtures[i][0]; i++) {
		snprintf(p, sizeof(p), "%s/%s", fixdir, fixtures[i][0]);
		(void)unlink(p);
	}
	snprintf(p, sizeof(p), "%s/inc.d", fixdir);
	(void)rmdir(p);
	(void)rmdir(fixdir);
}

/** libFuzzer setup: write the fixture files. */
int
LLVMFuzzerInitialize(int* argc, char*** argv)
{
	const char* tmp = getenv("TMPDIR");
	char p[PATH_MAX + 64];
	int i;
	(void)argc;
	(void)argv;
	snprintf(fixdir, sizeof(fixdir), "%s/mxg-fuzz-conf.XXXXXX",
		tmp && *tmp ? tmp : "/tmp");
	if(!mkdtemp(fixdir))
		abort();
	snprintf(p, sizeof(p), "%s/inc.d", fixdir);
	if(mkdir(p, 0700) != 0)
		abort();
	for(i = 0; fixtures[i][0]; i++) {
		FILE* f;
		snprintf(p, sizeof(p), "%s/%s", fixdir, fixtures[i][0]);
		if(!(f = fopen(p, "w")))
			abort();
		fputs(fixtures[i][1], f);
		fclose(f);
	}
	snprintf(confname, sizeof(confname), "%s/fuzz.conf", fixdir);
	if(!(devnull = fopen("/dev/null", "w")))
		abort();
	atexit(cleanup);
	return 0;
}

/** Print a config into a malloc'd string without its comment lines. */
static char*
print_conf(const struct mxg_conf* cfg)
{
	char* text = NULL;
	size_t len = 0;
	char* r, *w, *line;
	FILE* out = open_memstream(&text, &len);
	CHECK(out);
	CHECK(mxg_conf_print(cfg, out, NULL) == 1);
	fclose(out);
	/* drop "# ..." lines: they count relays, which relay-file: adds
	 * again on a second read */
	for(r = w = line = text; *r; r++) {
		if(*r != '\n')
			continue;
		if(*line != '#') {
			memmove(w, line, (size_t)(r - line) + 1);
			w += r - line + 1;
		}
		line = r + 1;
	}
	*w = 0;
	return text;
}

/** Count occurrences of needle in hay. */
static size_t
count(const char* hay, const char* needle)
{
	size_t n = 0;
	const char* p = hay;
	while((p = strstr(p, needle))) {
		n++;
		p++;
	}
	return n;
}

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	static char err[16384];
	/* a default config as printed: the text every printed config holds */
	static char* dflt;
	char small[64];
	char* text = malloc(size + 1);
	struct mxg_conf* cfg, *cfg2, *cfg3;
	char* p1, *p2;
	const char* pw;
	size_t i, sl;
	int ok;
	if(!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;

	cfg = mxg_conf_new();
	CHECK(cfg);
	memset(err, 'x', sizeof(err));
	ok = mxg_conf_read_string(cfg, confname, text, err, sizeof(err));
	CHECK(memchr(err, 0, sizeof(err)) != NULL);
	CHECK(ok ? err[0] == 0 : err[0] != 0);

	/* a small error buffer: same verdict, NUL-terminated */
	sl = size ? 1 + data[size - 1] % sizeof(small) : sizeof(small);
	cfg2 = mxg_conf_new();
	CHECK(cfg2);
	memset(small, 'x', sizeof(small));
	CHECK(mxg_conf_read_string(cfg2, confname, text, small, sl) == ok);
	CHECK(memchr(small, 0, sl) != NULL);
	mxg_conf_free(cfg2);

	for(i = 0; i < MXG_RULE_COUNT + 1; i++) {
		enum mxg_action a = mxg_conf_rule_action(cfg,
			(enum mxg_rule_id)i);
		CHECK(a <= MXG_ACT_REFUSE);
	}
	/* a password that appears once in the input never shows up in the
	 * errors (shorter ones may match other text by chance, and so may
	 * one that is text every printed config holds: an option name) */
	if(!dflt) {
		struct mxg_conf* d = mxg_conf_new();
		CHECK(d);
		dflt = print_conf(d);
		mxg_conf_free(d);
	}
	pw = cfg->redis_password;
	if(pw && (strlen(pw) < 8 || count(text, pw) != 1 ||
		strstr(dflt, pw) != NULL))
		pw = NULL;
	if(pw)
		CHECK(strstr(err, pw) == NULL);
	if(!ok) {
		mxg_conf_free(cfg);
		free(text);
		return 0;
	}

	/* the effective config reads back and prints the same */
	p1 = print_conf(cfg);
	if(pw) {
		/* the same config printed without its password holds the
		 * password's text as often: it is not printed */
		char* secret = cfg->redis_password, *p0;
		cfg->redis_password = NULL;
		p0 = print_conf(cfg);
		cfg->redis_password = secret;
		CHECK(count(p1, pw) == count(p0, pw));
		free(p0);
	}
	cfg3 = mxg_conf_new();
	CHECK(cfg3);
	if(!mxg_conf_read_string(cfg3, confname, p1, err, sizeof(err))) {
		fprintf(stderr, "fuzz_conf: printed config does not read "
			"back:\n%s--- errors:\n%s", p1, err);
		abort();
	}
	p2 = print_conf(cfg3);
	if(strcmp(p1, p2) != 0) {
		fprintf(stderr, "fuzz_conf: printed config changes on a second "
			"read:\n%s--- second:\n%s", p1, p2);
		abort();
	}
	for(i = 0; i < mxg_conf_option_count(); i++)
		CHECK(mxg_conf_print(cfg, devnull, mxg_conf_option_name(i)) ==
			1);
	free(p1);
	free(p2);
	mxg_conf_free(cfg3);
	mxg_conf_free(cfg);
	free(text);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_conf_files.c - the mxguard.conf parser: files, printing, docs.
 */
/** \file
 * Config files and printing: includes (relative, glob, loop, depth),
 * relay files, missing files; mxg_conf_print (units, quoting, hidden
 * password, round trip, one option); then every file in
 * tests/data/conf/good must parse and every file in tests/data/conf/bad
 * must fail with each line of its .err file in the messages, and
 * docs/mxguard.conf.5 and docs/mxguard.conf.example must name every option
 * of the schema, the example at its default. The data directory is
 * $MXG_TESTDATA, else tests/data. Split from test_conf.c (config text);
 * the two share tests/unit/conflib.h.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxguard/allowlist.h"
#include "mxguard/conf.h"
#include "tap.h"
#include "conflib.h"
#include "testlib.h"

/** Write a file. */
static void
write_file(const char* path, const char* text)
{
	FILE* f = fopen(path, "w");
	if(!f) {
		diag("cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/** Print cfg (one option or all) into a malloc'd string. */
static char*
print_to_string(const struct mxg_conf* cfg, const char* option, int* rc)
{
	char* buf = NULL;
	size_t len = 0;
	FILE* f = open_memstream(&buf, &len);
	*rc = mxg_conf_print(cfg, f, option);
	fclose(f);
	return buf;
}

/** Lines the printed config of test_printing holds. */
static const char* const printed[] = {
	"redis-password: (set)",	/* the password prints as (set) */
	"mode: refuse",
	/* durations and sizes in their largest exact unit; a default
	 * duration (10m) too */
	"volume-period: 90s",
	"fanout-period: 10m",
	"max-memory: 1536k",
	"redis-timeout: 1000ms",	/* milliseconds with ms */
	"relay: 192.0.2.0/24",
	"deny-country: RU CN",		/* countries on one line */
	"log-file: \"/var/log/a b.json\"",	/* a blank is quoted */
	"geoip-asn: \"\"",		/* an unset path */
};

/** mxg_conf_print: units, quoting, hidden password, round trip. */
static void
test_printing(void)
{
	size_t i;
	int r, rc;
	char* out;
	char* out2;
	struct mxg_conf* c2;
	struct mxg_conf* c = parse("mode: refuse\nredis-password: hunter2\n"
		"relay: 192.0.2.0/24\ndeny-country: ru cn\nvolume-period: 90\n"
		"max-memory: 1536k\nlog-file: \"/var/log/a b.json\"\n"
		"redis-server: 127.0.0.1:6379\n", &r);
	ok(r, "a config to print parses");
	if(!c)
		return;
	out = print_to_string(c, NULL, &rc);
	is_int(rc, 1, "printing everything returns 1");
	for(i = 0; i < sizeof(printed) / sizeof(printed[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "\n%s\n", printed[i]);
		ok(out && strstr(out, line) != NULL, "printed: %s", printed[i]);
	}
	ok(out && strstr(out, "hunter2") == NULL,
		"the password text never appears");
	/* round trip: what is printed reads back to the same config (the
	 * hidden password reads back as the text "(set)", still set) */
	c2 = mxg_conf_new();
	r = c2 && out && mxg_conf_read_string(c2, "printed", out, err,
		sizeof(err));
	ok(r, "the printed config parses again: %s", flat(err));
	if(r) {
		free(c2->file);
		c2->file = strdup(c->file);
		out2 = print_to_string(c2, NULL, &rc);
		is_str(out2, out ? out : "", "printing is a fixed point");
		free(out2);
	}
	mxg_conf_free(c2);
	free(out);

	out = print_to_string(c, "volume-limit", &rc);
	is_int(rc, 1, "printing one option returns 1");
	is_str(out, "volume-limit: 30\n", "-o prints only that option");
	free(out);
	out = print_to_string(c, "redis-password", &rc);
	is_str(out, "redis-password: (set)\n", "-o redis-password hides it");
	free(out);
	out = print_to_string(c, "no-such-option", &rc);
	is_int(rc, 0, "an unknown option returns 0");
	is_str(out, "", "and prints nothing");
	free(out);
	mxg_conf_free(c);
	c = mxg_conf_new();
	out = c ? print_to_string(c, "redis-password", &rc) : NULL;
	is_str(out, "redis-password: \"\"\n", "no password prints as \"\"");
	free(out);
	mxg_conf_free(c);
	ok(mxg_conf_option_count() >= 50, "the schema has %zu options",
		mxg_conf_option_count());
	ok(mxg_conf_option_name(mxg_conf_option_count()) == NULL,
		"past the end of the schema is NULL");
}

/** Make a temporary directory; NULL on failure. */
static char*
tmpdir(void)
{
	static char d[64];
	snprintf(d, sizeof(d), "/tmp/test_conf.XXXXXX");
	return mkdtemp(d);
}

/** Read the config file path into a fresh config and free it. @return
 * what mxg_conf_read returned; err gets its messages. */
static int
read_conf(const char* path, char* err, size_t errlen)
{
	struct mxg_conf* c = mxg_conf_new();
	int r = c && mxg_conf_read(c, path, err, errlen);
	mxg_conf_free(c);
	return r;
}

/** Files: relative includes, relay-file, loops, depth, glob. */
static void
test_files(void)
{
	char* d = tmpdir();
	char p[PATH_MAX], q[PATH_MAX], want[PATH_MAX + 200];
	struct mxg_conf* c;
	int r, i;
	if(!d) {
		skip("no temporary directory");
		return;
	}
	snprintf(p, sizeof(p), "%s/sub", d);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/main.conf", d);
	write_file(p, "mode: tag\ninclude: sub/one.conf\n"
		"geoip-country: db/country.mmdb\n"
		"relay-file: relays.txt\n");
	snprintf(q, sizeof(q), "%s/sub/one.conf", d);
	write_file(q, "volume-limit: 44\ninclude: two.conf\n");
	snprintf(q, sizeof(q), "%s/sub/two.conf", d);
	write_file(q, "fanout-limit: 55\n");
	snprintf(q, sizeof(q), "%s/relays.txt", d);
	write_file(q, "# relays\n10.0.0.0/8 # all of 10\n\n"
		"  2001:db8::/32\n192.0.2.1 198.51.100.0/24\n");
	c = mxg_conf_new();
	r = mxg_conf_read(c, p, err, sizeof(err));
	ok(r, "a file with nested relative includes reads: %s", flat(err));
	is_str(c->file, p, "the file name is kept");
	is_int(c->mode, MXG_ACT_TAG, "option from the main file");
	is_int(c->rules[MXG_RULE_VOLUME].limit, 44,
		"option from an include relative to the main file");
	is_int(c->rules[MXG_RULE_FANOUT].limit, 55,
		"option from an include relative to the including file");
	snprintf(q, sizeof(q), "%s/db/country.mmdb", d);
	is_str(c->geoip_country, q,
		"a relative path is taken from the config's directory");
	is_int(mxg_allowlist_count(c->relays), 4, "relay-file: 4 netblocks");
	is_int(match(c->relays, "10.200.0.1"), 1, "relay-file v4 entry");
	is_int(match(c->relays, "2001:db8:5::1"), 1, "relay-file v6 entry");
	is_int(match(c->relays, "198.51.100.9"), 1,
		"two netblocks on one line");
	is_int(c->relay_files_count, 1, "relay-file recorded for printing");
	mxg_conf_free(c);

	/* errors in a relay-file name that file and its line */
	snprintf(q, sizeof(q), "%s/relays.txt", d);
	write_file(q, "10.0.0.0/8\n\n10.0.0.0/33\n");
	r = read_conf(p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:3: relay: 10.0.0.0/33: bad prefix "
		"length 33 (0-32)\n", q);
	ok(!r && strcmp(err, want) == 0,
		"a relay-file error names the file and line: %s", flat(err));

	/* include loop */
	snprintf(q, sizeof(q), "%s/sub/two.conf", d);
	write_file(q, "include: ../main.conf\n");
	snprintf(q, sizeof(q), "%s/relays.txt", d);
	write_file(q, "10.0.0.0/8\n");
	r = read_conf(p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s/sub/two.conf:1: include: "
		"../main.conf: include loop", d);
	ok(!r && strstr(err, want) != NULL, "an include loop is found: %s",
		flat(err));
	is_int(count_lines(err), 1, "the loop is reported once");

	/* depth limit: a chain of 20 files */
	for(i = 0; i < 20; i++) {
		char t[64];
		snprintf(q, sizeof(q), "%s/d%d.conf", d, i);
		snprintf(t, sizeof(t), "include: d%d.conf\n", i + 1);
		write_file(q, t);
	}
	snprintf(q, sizeof(q), "%s/d20.conf", d);
	write_file(q, "mode: tag\n");
	snprintf(q, sizeof(q), "%s/d0.conf", d);
	r = read_conf(q, err, sizeof(err));
	ok(!r && strstr(err, "include: d16.conf: includes nested too deeply "
		"(max 16)") != NULL, "include depth is limited: %s", flat(err));
	snprintf(q, sizeof(q), "%s/d5.conf", d);
	c = mxg_conf_new();
	r = mxg_conf_read(c, q, err, sizeof(err));
	ok(r && c->mode == MXG_ACT_TAG, "15 nested includes are fine: %s",
		err);
	mxg_conf_free(c);

	/* glob */
	snprintf(q, sizeof(q), "%s/g", d);
	mkdir(q, 0700);
	snprintf(q, sizeof(q), "%s/g/a.conf", d);
	write_file(q, "relay: 10.0.0.0/8\n");
	snprintf(q, sizeof(q), "%s/g/b.conf", d);
	write_file(q, "relay: 11.0.0.0/7\n");
	snprintf(q, sizeof(q), "%s/glob.conf", d);
	write_file(q, "include: g/*.conf\ninclude: nothing/*.conf\n");
	c = mxg_conf_new();
	r = mxg_conf_read(c, q, err, sizeof(err));
	snprintf(want, sizeof(want), "%s/g/b.conf:1: relay: 11.0.0.0/7: "
		"host bits set (did you mean 10.0.0.0/7?)\n", d);
	ok(!r && count_lines(err) == 1, "a glob include reads each match");
	is_str(err, want, "errors name the matched file");
	is_int(mxg_allowlist_count(c->relays), 1,
		"the good match was read; a glob matching nothing is fine");
	mxg_conf_free(c);

	/* missing files */
	snprintf(q, sizeof(q), "%s/none.conf", d);
	r = read_conf(q, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
		"directory\n", q);
	ok(!r && strcmp(err, want) == 0, "a missing config file: %s", flat(err));
	snprintf(q, sizeof(q), "%s/miss.conf", d);
	write_file(q, "include: /nonexistent/x.conf\n");
	r = read_conf(q, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:1: include: /nonexistent/x.conf: "
		"cannot open: No such file or directory\n", q);
	ok(!r && strcmp(err, want) == 0, "a missing include: %s", flat(err));
	snprintf(p, sizeof(p), "rm -rf '%s'", d);
	if(system(p) != 0)
		diag("could not remove %s", d);
}

/** Does line occur in text? */
static int
contains_line(const char* text, const char* line)
{
	return strstr(text, line) != NULL;
}

/** Check every config in dir: good must parse, bad must fail as in .err. */
static void
test_dir(const char* base, int good)
{
	char dir[PATH_MAX], path[PATH_MAX + 512], epath[PATH_MAX + 512];
	struct dirent** names = NULL;
	int n, i, seen = 0;
	snprintf(dir, sizeof(dir), "%s/conf/%s", base, good ? "good" : "bad");
	n = scandir(dir, &names, NULL, alphasort);
	if(n < 0) {
		ok(0, "cannot read %s", dir);
		return;
	}
	for(i = 0; i < n; i++) {
		const char* nm = names[i]->d_name;
		size_t l = strlen(nm);
		struct mxg_conf* c;
		int r;
		if(l > 5 && strcmp(nm + l - 5, ".conf") == 0) {
			seen++;
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			c = mxg_conf_new();
			r = mxg_conf_read(c, path, err, sizeof(err));
			if(good) {
				ok(r, "good/%s parses", nm);
				if(!r)
					diag("%s", err);
			} else {
				char want[4096];
				FILE* f;
				size_t k;
				char* line;
				char* save = NULL;
				snprintf(epath, sizeof(epath), "%s/%.*s.err",
					dir, (int)(l - 5), nm);
				f = fopen(epath, "r");
				k = f ? fread(want, 1, sizeof(want) - 1, f) : 0;
				want[k] = 0;
				if(f)
					fclose(f);
				ok(!r, "bad/%s fails", nm);
				ok(k > 0, "bad/%s has a .err file", nm);
				for(line = strtok_r(want, "\n", &save); line;
					line = strtok_r(NULL, "\n", &save)) {
					ok(contains_line(err, line),
						"bad/%s: message has '%s'", nm,
						line);
					if(!contains_line(err, line))
						diag("got: %s", err);
				}
			}
			mxg_conf_free(c);
		}
		free(names[i]);
	}
	free(names);
	ok(seen >= (good ? 3 : 20), "%d %s configs checked", seen,
		good ? "good" : "bad");
}

/** Check that a doc file names every option; skip if it is missing.
 * escape_dash: look for `\-` instead of `-` (man(7) source). */
static void
test_doc(const char* base, const char* rel, const char* fmt, int escape_dash)
{
	char path[PATH_MAX], pat[128];
	char* text;
	FILE* f;
	long len;
	size_t i;
	int missing = 0;
	snprintf(path, sizeof(path), "%s/../../docs/%s", base, rel);
	f = fopen(path, "r");
	if(!f) {
		skip("docs not found");
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	if(text && fread(text, 1, (size_t)len, f) != (size_t)len)
		text[0] = 0;
	fclose(f);
	for(i = 0; text && i < mxg_conf_option_count(); i++) {
		const char* nm = mxg_conf_option_name(i);
		char name[96];
		size_t k = 0;
		/* man(7) writes the dash of an option name as \- */
		for(; *nm && k + 3 < sizeof(name); nm++) {
			if(*nm == '-' && escape_dash)
				name[k++] = '\\';
			name[k++] = *nm;
		}
		name[k] = 0;
		snprintf(pat, sizeof(pat), fmt, name);
		if(!strstr(text, pat)) {
			diag("%s lacks %s", rel, pat);
			missing++;
		}
	}
	ok(text && missing == 0, "docs/%s documents all %zu options", rel,
		mxg_conf_option_count());
	free(text);
}

/**
 * The example config lists every option commented out at its default:
 * uncommenting every `# name: value` line (except the sample relays and
 * includes) must give exactly the default config.
 */
static void
test_example_defaults(const char* base)
{
	char path[PATH_MAX], line[1024];
	char* text = NULL;
	char* p1;
	char* p2;
	size_t len = 0;
	FILE* f;
	FILE* mem;
	struct mxg_conf* c;
	struct mxg_conf* d;
	int r, rc, n = 0;
	snprintf(path, sizeof(path), "%s/../../docs/mxguard.conf.example",
		base);
	f = fopen(path, "r");
	if(!f) {
		skip("docs/mxguard.conf.example not found");
		return;
	}
	mem = open_memstream(&text, &len);
	while(fgets(line, sizeof(line), f)) {
		char name[96];
		size_t i, known = 0;
		if(strncmp(line, "# ", 2) != 0 ||
			sscanf(line + 2, "%95[a-z0-9-]", name) != 1 ||
			line[2 + strlen(name)] != ':')
			continue;
		for(i = 0; i < mxg_conf_option_count(); i++)
			if(strcmp(name, mxg_conf_option_name(i)) == 0)
				known = 1;
		if(!known || strcmp(name, "relay") == 0 ||
			strcmp(name, "relay-file") == 0 ||
			strcmp(name, "include") == 0)
			continue;
		fputs(line + 2, mem);
		n++;
	}
	fclose(f);
	fclose(mem);
	c = mxg_conf_new();
	d = mxg_conf_new();
	r = c && d && mxg_conf_read_string(c, "x", text, err, sizeof(err));
	ok(r, "the example's %d commented defaults parse: %s", n,
		flat(err));
	is_int(n + 3, mxg_conf_option_count(),
		"the example sets every option but relay, relay-file, include");
	if(r) {
		d->file = strdup("x");
		p1 = print_to_string(c, NULL, &rc);
		p2 = print_to_string(d, NULL, &rc);
		is_str(p1, p2, "the example's values are the real defaults");
		free(p1);
		free(p2);
	}
	mxg_conf_free(c);
	mxg_conf_free(d);
	free(text);
}

int
main(void)
{
	const char* base = t_datadir();
	test_printing();
	test_files();
	test_dir(base, 1);
	test_dir(base, 0);
	/* the man page has `.B name:` per option; the example `# name:` */
	test_doc(base, "mxguard.conf.5", ".B %s:", 1);
	test_doc(base, "mxguard.conf.example", "# %s:", 0);
	test_example_defaults(base);
	return done_testing();
}

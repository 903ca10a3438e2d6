/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/mxguard-checkconf.c - check mxguard.conf before a reload.
 */
/** \file
 * Reads mxguard.conf with the module's own parser (module/conf.c) and prints
 * the effective configuration, or one option with -o, in the spirit of
 * unbound-checkconf. A config that fails at `unbound-control reload` would
 * leave the module in pass-through, so operators run this first.
 *
 * With --unbound UNBOUND.CONF it also checks what a reload will meet
 * (docs/mxguard-checkconf.8): Unbound's own check of its config
 * (unbound-checkconf), the module chain, the dynlib-file (exists, is an ELF
 * shared object whose libraries are all found, carries mxguard's marker of
 * the Unbound it was built for, which must match the unbound binary), and
 * that Unbound's user can read the GeoIP databases and relay files and write
 * the log file (checked in a child that takes that user's identity when run
 * as root). Missing GeoIP databases are warnings (the module runs without
 * them).
 *
 * Usage: mxguard-checkconf [-q] [-s] [-o OPTION] [--unbound FILE] [FILE]
 * FILE defaults to $MXGUARD_CONF, else the configure-time default.
 * Exit 0: no errors; 1: errors in the config (on stderr, one per line,
 * `file:line: option: value: reason`) or in the checks; 2: usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "mxguard/conf.h"
#include "mxguard/geo.h"
#include "mxguard/mxguard.h"

/** The marker of module/buildcheck.c in mxguard.so. */
#define BUILT_FOR_TAG "mxguard-built-for: unbound "

#ifndef MXG_DEFAULT_CONF
/** Config file used without FILE and $MXGUARD_CONF (set by configure). */
#define MXG_DEFAULT_CONF "/etc/unbound/mxguard.conf"
#endif

/** Size of the error buffer: room for many error lines. */
#define ERRLEN 65536

/** Print the usage to f. */
static void
usage(FILE* f)
{
	fprintf(f, "usage: mxguard-checkconf [-q] [-s] [-o OPTION] "
		"[--unbound UNBOUND.CONF] [FILE]\n"
		"  Check an mxguard config file and print the effective "
		"configuration.\n"
		"  FILE     config file (default: $MXGUARD_CONF, else %s)\n"
		"  -o OPT   print only the value of option OPT\n"
		"  -q       quiet: print nothing but errors\n"
		"  -s       print the option schema (section, name, type, "
		"range, default, help)\n"
		"  --unbound FILE  also check what a reload of this Unbound "
		"config will meet:\n"
		"           module chain, dynlib-file (loads, built for this "
		"Unbound), and that\n"
		"           Unbound's user can read the GeoIP and relay files "
		"and write the log\n"
		"  --unbound-bin PATH  the unbound binary (default: "
		"unbound-checkconf's\n"
		"           directory, /usr/sbin, /usr/local/sbin, $PATH)\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"Exit status: 0 no errors, 1 errors in the config or checks, "
		"2 usage.\n", MXG_DEFAULT_CONF);
}

/** Is name an option of the schema? */
static int
known_option(const char* name)
{
	size_t i;
	for(i = 0; i < mxg_conf_option_count(); i++)
		if(strcmp(mxg_conf_option_name(i), name) == 0)
			return 1;
	return 0;
}

/** Errors found by the checks. */
static int nerr;
/** --quiet. */
static int quiet;

/** Report a check. */
static void
report(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

static void
report(int level, const char* fmt, ...)
{
	va_list ap;
	FILE* f = level ? stderr : stdout;
	if(level == 0 && quiet)
		return;
	fprintf(f, "%s", level == 2 ? "error: " : level == 1 ? "warning: " :
		"ok: ");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, "\n");
	if(level == 2)
		nerr++;
}

/** Find an executable: dir/name, then the usual places, then $PATH.
 * @return malloc'd path or NULL. */
static char*
find_exe(const char* dir, const char* name)
{
	static const char* dirs[] = { "/usr/sbin", "/usr/local/sbin",
		"/usr/bin", "/sbin" };
	char buf[4096], *path, *p, *save = NULL;
	size_t i;
	if(dir) {
		snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		if(access(buf, X_OK) == 0)
			return strdup(buf);
	}
	for(i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, sizeof(buf), "%s/%s", dirs[i], name);
		if(access(buf, X_OK) == 0)
			return strdup(buf);
	}
	if(!(path = getenv("PATH")) || !(path = strdup(path)))
		return NULL;
	for(p = strtok_r(path, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", p, name);
		if(access(buf, X_OK) == 0) {
			free(path);
			return strdup(buf);
		}
	}
	free(path);
	return NULL;
}

/** Run a command, collect its stdout (and stderr when both). @return the
 * exit status, -1 when it could not run. */
static int
run(char* const argv[], char* out, size_t outlen, int both)
{
	int fd[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	if(pipe(fd) != 0)
		return -1;
	if((pid = fork()) < 0)
		return -1;
	if(pid == 0) {
		dup2(fd[1], 1);
		if(both)
			dup2(fd[1], 2);
		else {
			int dn = open("/dev/null", O_WRONLY);
			if(dn >= 0)
				dup2(dn, 2);
		}
		close(fd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while(n + 1 < outlen && (r = read(fd[0], out + n, outlen - n - 1)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fd[0]);
	if(waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/** unbound-checkconf -o OPTION FILE: the value (first line), "" none. */
static void
ub_option(const char* checkconf, const char* file, const char* opt,
	char* out, size_t outlen)
{
	char* argv[] = { (char*)checkconf, "-o", (char*)opt, (char*)file,
		NULL };
	if(run(argv, out, outlen, 0) != 0)
		out[0] = 0;
	out[strcspn(out, "\n")] = 0;
}

/** Map a file. @return the map (munmap len bytes) or NULL. */
static char*
map_file(const char* path, size_t* len)
{
	struct stat st;
	void* m;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0)
		return NULL;
	if(fstat(fd, &st) != 0 || st.st_size <= 0) {
		close(fd);
		return NULL;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if(m == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return m;
}

/** The path as Unbound sees it after its chroot. */
static void
in_chroot(const char* chroot, const char* path, char* out, size_t outlen)
{
	size_t cl = chroot ? strlen(chroot) : 0;
	if(cl && strncmp(path, chroot, cl) != 0)
		snprintf(out, outlen, "%s%s%s", chroot, chroot[cl - 1] == '/' ||
			path[0] == '/' ? "" : "/", path);
	else	snprintf(out, outlen, "%s", path);
}

/** Check the dynlib-file: exists, ELF shared object, libraries found,
 * built for the unbound binary. */
static void
check_dynlib(const char* path, const char* unbound_bin)
{
	size_t len = 0, blen = 0;
	char* m = map_file(path, &len), *bin, *tag, out[8192];
	char ver[64], line[2048];
	const char* semi;
	char* lddv[] = { "/usr/bin/ldd", (char*)path, NULL };
	if(!m) {
		report(2, "dynlib-file %s: %s (Unbound exits at the reload: "
			"failed to setup modules)", path, strerror(errno));
		return;
	}
	if(len < 20 || memcmp(m, "\177ELF", 4) != 0 || m[16] != 3 /*ET_DYN*/) {
		report(2, "dynlib-file %s: not an ELF shared object", path);
		munmap(m, len);
		return;
	}
	tag = memmem(m, len, BUILT_FOR_TAG, strlen(BUILT_FOR_TAG));
	if(!tag) {
		report(2, "dynlib-file %s: not mxguard.so (no %s marker), or "
			"built before mxguard 0.1.0", path, BUILT_FOR_TAG);
		munmap(m, len);
		return;
	}
	tag += strlen(BUILT_FOR_TAG);
	semi = memchr(tag, ';', (size_t)(m + len - tag));
	if(!semi || (size_t)(semi - tag) >= sizeof(ver) ||
		strncmp(semi, "; configure: ", 13) != 0) {
		report(2, "dynlib-file %s: malformed marker", path);
		munmap(m, len);
		return;
	}
	memcpy(ver, tag, (size_t)(semi - tag));
	ver[semi - tag] = 0;
	snprintf(line, sizeof(line), "%s", semi + 13);
	munmap(m, len);
	report(0, "dynlib-file %s is mxguard, built for Unbound %s "
		"configured with \"%s\"", path, ver, line);
	if(access(lddv[0], X_OK) == 0) {
		run(lddv, out, sizeof(out), 1);
		if(strstr(out, "not found")) {
			char* nf = strstr(out, "not found");
			char* bol = nf;
			while(bol > out && bol[-1] != '\n')
				bol--;
			report(2, "dynlib-file %s cannot be loaded, a library is "
				"missing: %.*s", path, (int)(nf - bol + 9), bol);
		} else
			report(0, "dynlib-file %s: every library it needs is "
				"found", path);
	} else
		report(1, "ldd is not installed: the libraries of %s are not "
			"checked", path);
	if(!unbound_bin) {
		report(1, "no unbound binary found (--unbound-bin): cannot "
			"tell whether %s was built for it", path);
		return;
	}
	if(!(bin = map_file(unbound_bin, &blen))) {
		report(1, "cannot read %s: %s", unbound_bin, strerror(errno));
		return;
	}
	if(!memmem(bin, blen, ver, strlen(ver) + 1) ||
		!memmem(bin, blen, line, strlen(line) + 1))
		report(2, "dynlib-file %s was built for Unbound %s configured "
			"with \"%s\", %s is another (unbound -V): the module "
			"refuses to start in it; build mxguard against the tree "
			"of this Unbound (docs/building.md)", path, ver, line,
			unbound_bin);
	else
		report(0, "%s is that Unbound", unbound_bin);
	munmap(bin, blen);
}

/** Can user uid/gid open path for reading (w=0) or appending (w=1)?
 * Checked in a child that takes the identity when we are root. */
static int
user_can(uid_t uid, gid_t gid, const char* user, const char* path, int w)
{
	pid_t pid = fork();
	int st;
	if(pid < 0)
		return -1;
	if(pid == 0) {
		int fd;
		if(geteuid() == 0 && user) {
			if(initgroups(user, gid) != 0 || setgid(gid) != 0 ||
				setuid(uid) != 0)
				_exit(3);
		}
		if(w) {
			/* append to an existing file, or create one in the
			 * directory: only test for the latter */
			if(access(path, F_OK) == 0)
				fd = open(path, O_WRONLY | O_APPEND);
			else {
				char dir[4096], *sl;
				snprintf(dir, sizeof(dir), "%s", path);
				sl = strrchr(dir, '/');
				if(sl == dir)
					dir[1] = 0;
				else if(sl)
					*sl = 0;
				else
					snprintf(dir, sizeof(dir), ".");
				_exit(access(dir, W_OK | X_OK) == 0 ? 0 : 1);
			}
		} else
			fd = open(path, O_RDONLY);
		_exit(fd >= 0 ? 0 : 1);
	}
	if(waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 0 ? 1 : WEXITSTATUS(st) == 1 ? 0 : -1;
}

/** The files the module opens, as Unbound's user. */
static void
check_files(const struct mxg_conf* cfg, const char* user, const char* chroot)
{
	struct passwd* pw = NULL;
	uid_t uid = getuid();
	gid_t gid = getgid();
	const char* who = "this user";
	char p[4096];
	size_t i;
	if(user && *user) {
		if(!(pw = getpwnam(user))) {
			report(2, "Unbound's user %s does not exist", user);
			return;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		who = user;
		if(geteuid() != 0 && geteuid() != uid) {
			report(1, "not root: the files are checked as this "
				"user, not as %s", user);
			who = "this user";
			user = NULL;
		}
	} else
		user = NULL;
#define CHECK_READ(opt, path, lvl) do { \
		int r_; in_chroot(chroot, (path), p, sizeof(p)); \
		r_ = user_can(uid, gid, user, p, 0); \
		if(r_ == 1) report(0, "%s %s is readable by %s", opt, p, who); \
		else report(lvl, "%s %s cannot be read by %s%s", opt, p, who, \
			(lvl) == 1 ? ": the module runs without it" : ""); \
	} while(0)
	for(i = 0; i < cfg->relay_files_count; i++)
		CHECK_READ("relay-file", cfg->relay_files[i], 2);
	if(cfg->geoip_country)
		CHECK_READ("geoip-country", cfg->geoip_country, 1);
	if(cfg->geoip_asn)
		CHECK_READ("geoip-asn", cfg->geoip_asn, 1);
	if(cfg->category_file)
		CHECK_READ("category-file", cfg->category_file, 2);
#undef CHECK_READ
	if(cfg->log_file) {
		in_chroot(chroot, cfg->log_file, p, sizeof(p));
		if(user_can(uid, gid, user, p, 1) == 1)
			report(0, "log-file %s is writable by %s", p, who);
		else
			report(2, "log-file %s cannot be written by %s: the "
				"verdicts would go to Unbound's log instead", p,
				who);
	}
}

/** The GeoIP databases open (a missing one is a warning). */
static void
check_geoip(const struct mxg_conf* cfg)
{
	char err[1024];
	struct mxg_geo* g;
	if(!cfg->geoip_country && !cfg->geoip_asn)
		return;
	err[0] = 0;
	g = mxg_geo_open(cfg->geoip_country, cfg->geoip_asn, err,
		sizeof(err));
	if(err[0])
		report(1, "%s", err);
	else
		report(0, "GeoIP databases open");
	mxg_geo_close(g);
}

/** --unbound: what a reload of this Unbound config will meet. */
static void
check_unbound(const char* ubconf, const char* unbound_bin,
	const struct mxg_conf* cfg)
{
	char* checkconf, *bin, out[8192], mc[1024], user[256], chroot[1024];
	char dir[4096], *sl, dl[4096], files[8192], *p, *save = NULL;
	int found = 0;
	snprintf(dir, sizeof(dir), "%s", unbound_bin ? unbound_bin : "");
	if((sl = strrchr(dir, '/')))
		*sl = 0;
	checkconf = find_exe(unbound_bin ? dir : NULL, "unbound-checkconf");
	bin = unbound_bin ? strdup(unbound_bin) : NULL;
	if(!checkconf) {
		report(2, "unbound-checkconf not found: cannot read %s",
			ubconf);
		free(bin);
		return;
	}
	if(!bin) {
		snprintf(dir, sizeof(dir), "%s", checkconf);
		if((sl = strrchr(dir, '/')))
			*sl = 0;
		bin = find_exe(dir, "unbound");
	}
	{
		char* argv[] = { checkconf, (char*)ubconf, NULL };
		if(run(argv, out, sizeof(out), 1) != 0) {
			out[strcspn(out, "\n")] = 0;
			report(2, "%s: %s", ubconf, out);
			free(checkconf);
			free(bin);
			return;
		}
		report(0, "%s passes unbound-checkconf", ubconf);
	}
	ub_option(checkconf, ubconf, "module-config", mc, sizeof(mc));
	if(!strstr(mc, "dynlib"))
		report(2, "module-config \"%s\" has no dynlib: mxguard is not "
			"loaded", mc);
	else if(strstr(mc, "iterator") && strstr(mc, "iterator") <
		strstr(mc, "dynlib"))
		report(2, "module-config \"%s\": dynlib must come before the "
			"iterator (\"dynlib validator iterator\")", mc);
	else
		report(0, "module-config \"%s\"", mc);
	ub_option(checkconf, ubconf, "username", user, sizeof(user));
	ub_option(checkconf, ubconf, "chroot", chroot, sizeof(chroot));
	{
		char* argv[] = { checkconf, "-o", "dynlib-file",
			(char*)ubconf, NULL };
		if(run(argv, files, sizeof(files), 0) != 0)
			files[0] = 0;
	}
	for(p = strtok_r(files, "\n", &save); p; p = strtok_r(NULL, "\n",
		&save)) {
		if(!*p)
			continue;
		in_chroot(chroot, p, dl, sizeof(dl));
		check_dynlib(dl, bin);
		found = 1;
	}
	if(!found && strstr(mc, "dynlib"))
		report(2, "%s has no dynlib-file: (Unbound exits at the "
			"reload)", ubconf);
	if(cfg)
		check_files(cfg, user, chroot);
	free(checkconf);
	free(bin);
}

int
main(int argc, char** argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "unbound", required_argument, NULL, 1001 },
		{ "unbound-bin", required_argument, NULL, 1002 },
		{ NULL, 0, NULL, 0 }
	};
	const char* option = NULL, *ubconf = NULL, *ubbin = NULL;
	const char* file;
	struct mxg_conf* cfg;
	char* err;
	int c, rc;

	while((c = getopt_long(argc, argv, "ho:qsV", lo, NULL)) != -1) {
		switch(c) {
		case 1001:
			ubconf = optarg;
			break;
		case 1002:
			ubbin = optarg;
			break;
		case 'V':
			printf("mxguard-checkconf %s\n", MXG_VERSION);
			return 0;
		case 'o':
			option = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 's':
			mxg_conf_print_schema(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if(argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	if(option && !known_option(option)) {
		fprintf(stderr, "mxguard-checkconf: unknown option '%s' "
			"(mxguard-checkconf -s lists them)\n", option);
		return 2;
	}
	if(optind < argc)
		file = argv[optind];
	else if(getenv("MXGUARD_CONF") && *getenv("MXGUARD_CONF"))
		file = getenv("MXGUARD_CONF");
	else
		file = MXG_DEFAULT_CONF;

	cfg = mxg_conf_new();
	err = malloc(ERRLEN);
	if(!cfg || !err) {
		fprintf(stderr, "mxguard-checkconf: out of memory\n");
		mxg_conf_free(cfg);
		free(err);
		return 1;
	}
	if(!mxg_conf_read(cfg, file, err, ERRLEN)) {
		fputs(err, stderr);
		fprintf(stderr, "mxguard-checkconf: errors in %s\n", file);
		rc = 1;
	} else {
		if(!quiet && !ubconf) {
			mxg_conf_print(cfg, stdout, option);
			if(!option)
				fprintf(stderr, "mxguard-checkconf: no errors "
					"in %s\n", file);
		}
		rc = 0;
		check_geoip(cfg);
	}
	if(ubconf) {
		if(rc == 0)
			report(0, "%s has no errors", file);
		check_unbound(ubconf, ubbin, rc == 0 ? cfg : NULL);
		if(nerr)
			rc = 1;
		fprintf(stderr, "mxguard-checkconf: %d error%s\n", nerr +
			(rc && !nerr ? 1 : 0), nerr == 1 ? "" : "s");
	}
	mxg_conf_free(cfg);
	free(err);
	return rc;
}

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
 * Usage: mxguard-checkconf [-q] [-s] [-o OPTION] [FILE]
 * FILE defaults to $MXGUARD_CONF, else the configure-time default.
 * Exit 0: no errors; 1: errors in the config (on stderr, one per line,
 * `file:line: option: value: reason`); 2: usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxguard/conf.h"

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
	fprintf(f, "usage: mxguard-checkconf [-q] [-s] [-o OPTION] [FILE]\n"
		"  Check an mxguard config file and print the effective "
		"configuration.\n"
		"  FILE     config file (default: $MXGUARD_CONF, else %s)\n"
		"  -o OPT   print only the value of option OPT\n"
		"  -q       quiet: print nothing but errors\n"
		"  -s       print the option schema (section, name, type, "
		"range, default, help)\n"
		"  -h       this help\n"
		"Exit status: 0 no errors, 1 errors in the config, 2 usage.\n",
		MXG_DEFAULT_CONF);
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

int
main(int argc, char** argv)
{
	const char* option = NULL;
	const char* file;
	struct mxg_conf* cfg;
	char* err;
	int c, quiet = 0, rc;

	while((c = getopt(argc, argv, "ho:qs")) != -1) {
		switch(c) {
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
		if(!quiet) {
			mxg_conf_print(cfg, stdout, option);
			if(!option)
				fprintf(stderr, "mxguard-checkconf: no errors "
					"in %s\n", file);
		}
		rc = 0;
	}
	mxg_conf_free(cfg);
	free(err);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/buildcheck.c - was this module built for the Unbound that loads it?
 */
/** \file
 * mxguard.so uses Unbound's structs directly, so it must be built against
 * the configured tree of the very Unbound that loads it (docs/building.md):
 * another version or other configure options can change a struct layout,
 * and the module would read the wrong fields. The module therefore records
 * the version and configure line of its tree (Unbound's config.h:
 * PACKAGE_VERSION, CONFCMDLINE) in a marker string that mxguard-checkconf
 * finds in the file, and init compares them with the running binary: the
 * configure line and the version are literal strings in every unbound
 * binary (`unbound -V` prints them), so the module looks for them in
 * /proc/self/exe. When that file cannot be read (a chroot without /proc),
 * the check is skipped.
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "module/glue.h"

#ifndef CONFCMDLINE
#define CONFCMDLINE ""
#endif

/** The marker mxguard-checkconf reads (MXG_BUILT_FOR_TAG, then "unbound
 * VERSION; configure: LINE"). Kept in the file by the used attribute. */
__attribute__((used)) static const char built_for[] = MXG_BUILT_FOR_TAG
	"unbound " PACKAGE_VERSION "; configure: " CONFCMDLINE;

/** Does the file map contain needle (with its NUL)? */
static int
has(const char* m, size_t n, const char* needle)
{
	return memmem(m, n, needle, strlen(needle) + 1) != NULL;
}

int
mxg_buildcheck(char* err, size_t errlen)
{
	struct stat st;
	void* m;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), ver, line;
	if(fd < 0)
		return -1;
	if(fstat(fd, &st) != 0 || st.st_size <= 0) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if(m == MAP_FAILED)
		return -1;
	ver = has(m, (size_t)st.st_size, PACKAGE_VERSION);
	line = has(m, (size_t)st.st_size, CONFCMDLINE);
	munmap(m, (size_t)st.st_size);
	if(ver && line)
		return 1;
	snprintf(err, errlen, "this mxguard.so was built for Unbound %s "
		"configured with \"%s\", but the running unbound has %s: build "
		"mxguard against the tree of this Unbound (docs/building.md; "
		"unbound -V shows its version and configure line)",
		PACKAGE_VERSION, CONFCMDLINE, !ver ? "another version" :
		"another configure line");
	return 0;
}

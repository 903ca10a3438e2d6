/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/integration/failcalloc.c - make mxguard.so's calloc calls fail.
 */
/** \file
 * An LD_PRELOAD library for test_hardening.sh: while the file named by
 * MXG_FAILCALLOC_FILE exists, every calloc called from code in mxguard.so
 * returns NULL (out of memory at a reload); other callers are served by
 * glibc. Built by the test with the system compiler.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_calloc(size_t n, size_t size);

void*
calloc(size_t n, size_t size)
{
	const char* f = getenv("MXG_FAILCALLOC_FILE");
	Dl_info info;
	if(f && access(f, F_OK) == 0 &&
		dladdr(__builtin_return_address(0), &info) && info.dli_fname &&
		strstr(info.dli_fname, "mxguard.so"))
		return NULL;
	return __libc_calloc(n, size);
}

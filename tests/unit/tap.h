/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/tap.h - a small TAP producer for the unit tests.
 */
/** \file
 * Test Anything Protocol output for the unit test programs, read by
 * automake's tap-driver.sh. Header-only: each test program includes it once.
 * ok() prints "ok N - description" or "not ok N - description" plus the
 * failing expression and line; done_testing() prints the plan and returns the
 * exit code.
 */
#ifndef MXGUARD_TAP_H
#define MXGUARD_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run_ = 0;
static int tap_failed_ = 0;

static void
tap_ok_(int cond, const char* expr, const char* file, int line,
	const char* fmt, ...) __attribute__((format(printf, 5, 6)));

static void
tap_ok_(int cond, const char* expr, const char* file, int line,
	const char* fmt, ...)
{
	va_list ap;
	tap_run_++;
	if(!cond)
		tap_failed_++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run_);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if(!cond)
		printf("#   failed: %s (%s:%d)\n", expr, file, line);
	fflush(stdout);
}

/** ok(condition, "description %s", args...) */
#define ok(cond, ...) tap_ok_(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

/** is_int(got, expected, "description") */
#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	tap_ok_(g_ == w_, #got " == " #want, __FILE__, __LINE__, __VA_ARGS__); \
	if(g_ != w_) printf("#   got %lld, expected %lld\n", g_, w_); \
	} while(0)

/** is_str(got, expected, "description"); NULL compares equal only to NULL */
#define is_str(got, want, ...) do { \
	const char* g_ = (got); const char* w_ = (want); \
	int c_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	tap_ok_(c_, #got " eq " #want, __FILE__, __LINE__, __VA_ARGS__); \
	if(!c_) printf("#   got '%s', expected '%s'\n", g_ ? g_ : "(null)", \
		w_ ? w_ : "(null)"); \
	} while(0)

/** skip a test point with a reason */
#define skip(reason) do { tap_run_++; \
	printf("ok %d # SKIP %s\n", tap_run_, reason); } while(0)

/** diagnostic line */
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); \
	} while(0)

/** print the plan; use as `return done_testing();` in main */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_run_);
	return tap_failed_ ? 1 : 0;
}

#endif /* MXGUARD_TAP_H */

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the mxguard authors.
#
# tests/fuzz/check.sh - short libFuzzer runs for `make check` (TAP).
#
# Builds the targets as tests/fuzz/run.sh does (clang, -fsanitize=fuzzer,
# address,undefined, straight from the sources) into $FUZZ_BUILD (default:
# a fresh temporary directory, removed afterwards), replays every crash
# input kept in tests/fuzz/regress/<target>/ and every seed, then fuzzes
# each target for $FUZZ_SECONDS (default 5) on a scratch copy of its seed
# corpus. One TAP line per target; all of them are skipped when clang with
# libFuzzer (or a library the targets link) is missing. Exit 0 when every
# target passes.
#
# Usage: MXG_SRCDIR=/abs/source/dir sh tests/fuzz/check.sh
set -u

SRC=${MXG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
CC=${CC:-clang}
# every tests/fuzz/fuzz_*.c is a target
TARGETS=$(cd "$SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
ntargets=$(echo $TARGETS | wc -w)

cleanup_build=0
if [ -z "${FUZZ_BUILD:-}" ]; then
	FUZZ_BUILD=$(mktemp -d "${TMPDIR:-/tmp}/mxg-fuzz-check.XXXXXX") ||
		exit 1
	cleanup_build=1
fi
export FUZZ_BUILD MXG_SRCDIR="$SRC" CC
trap 'if [ $cleanup_build = 1 ]; then rm -rf "$FUZZ_BUILD"; fi' EXIT

ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=1024}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

echo "1..$ntargets"

skip_all() {
	i=1
	for t in $TARGETS; do
		echo "ok $i - $t # SKIP $1"
		i=$((i + 1))
	done
	exit 0
}

# clang with libFuzzer and the sanitizers, and the libraries linked
if ! command -v "$CC" >/dev/null 2>&1; then
	skip_all "clang not installed"
fi
probe="$FUZZ_BUILD/probe"
mkdir -p "$probe"
cat > "$probe/p.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n)
{ (void)d; (void)n; return 0; }
EOF
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" \
	>"$probe/log" 2>&1; then
	skip_all "clang with libFuzzer not installed (libclang-rt-dev)"
fi
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" \
	-lpsl -lmaxminddb -lhiredis >"$probe/log" 2>&1; then
	skip_all "libpsl, libmaxminddb or libhiredis missing"
fi

buildlog="$FUZZ_BUILD/build.log"
if ! sh "$SRC/tests/fuzz/run.sh" --build-only >"$buildlog" 2>&1; then
	i=1
	for t in $TARGETS; do
		echo "not ok $i - $t: build failed"
		i=$((i + 1))
	done
	sed 's/^/# /' "$buildlog" | tail -n 40
	exit 1
fi

rc=0
i=1
for t in $TARGETS; do
	bin="$FUZZ_BUILD/bin/$t"
	work="$FUZZ_BUILD/corpus/$t"
	art="$FUZZ_BUILD/artifacts/$t"
	log="$FUZZ_BUILD/$t.log"
	mkdir -p "$work" "$art"
	cp "$SRC/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
	quiet=""
	if [ "$t" = fuzz_redis_reply ]; then
		quiet="-close_fd_mask=2"
	fi
	what=""
	ok=1
	# the crashes found and fixed, and the seeds, one by one
	nreg=0
	if [ -d "$SRC/tests/fuzz/regress/$t" ]; then
		nreg=$(find "$SRC/tests/fuzz/regress/$t" -type f | wc -l)
	fi
	if [ "$nreg" -gt 0 ]; then
		if ! "$bin" -timeout=10 -rss_limit_mb=2048 $quiet \
			"$SRC/tests/fuzz/regress/$t/"* >"$log" 2>&1; then
			ok=0
			what="regression input fails"
		fi
	fi
	if [ $ok = 1 ] && ! "$bin" -timeout=10 -rss_limit_mb=2048 $quiet \
		"$SRC/tests/fuzz/corpus/$t/"* >"$log" 2>&1; then
		ok=0
		what="seed input fails"
	fi
	# then fuzz for a few seconds
	if [ $ok = 1 ] && ! "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" $quiet "$work" >"$log" 2>&1; then
		ok=0
		what="crash while fuzzing"
	fi
	if [ $ok = 1 ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $i - $t: $nreg regression inputs, ${execs:-?} runs in ${FUZZ_SECONDS} s"
	else
		echo "not ok $i - $t: $what"
		grep -E 'ERROR|SUMMARY|check failed|#[0-9]+ 0x' "$log" |
			head -n 30 | sed 's/^/# /'
		for a in "$art"/*; do
			[ -f "$a" ] && echo "# crash input: $a (kept in $art)"
		done
		cleanup_build=0
		rc=1
	fi
	i=$((i + 1))
done
if [ $rc != 0 ]; then
	echo "# build directory kept: $FUZZ_BUILD"
fi
exit $rc

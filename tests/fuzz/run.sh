#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the mxguard authors.
#
# tests/fuzz/run.sh - build the libFuzzer targets and run them for a while.
#
# Builds every target of tests/fuzz/ with clang (-fsanitize=fuzzer,address,
# undefined) straight from the sources, outside automake, then runs each
# for $FUZZ_SECONDS on a scratch copy of its seed corpus. Crashes land in
# $FUZZ_BUILD/artifacts/<target>/, never in the source tree; the inputs
# found are kept in $FUZZ_BUILD/corpus/<target>/ for the next run.
#
# Usage: sh tests/fuzz/run.sh [--build-only] [target ...]
#   FUZZ_BUILD    build directory (default /tmp/mxg-fuzz)
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_JOBS     libFuzzer -fork=N workers per target (default 1, no fork)
#   FUZZ_ARGS     more libFuzzer flags, e.g. "-only_ascii=1"
#   CC            clang binary (default clang)
# A fixed crash goes to tests/fuzz/regress/<target>/ (check.sh replays it).
set -eu

SRC=${MXG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_BUILD=${FUZZ_BUILD:-/tmp/mxg-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_ARGS=${FUZZ_ARGS:-}
CC=${CC:-clang}
# every tests/fuzz/fuzz_*.c is a target
TARGETS=$(cd "$SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')

CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -D_GNU_SOURCE
	-std=gnu11 -I$SRC/include"
LIBS="-lpsl -lmaxminddb -lhiredis -lpthread -lm"
# the sources of libmxgcore as Makefile.am lists them (conf.c apart: see
# below), in an archive each target takes what it needs from
MODSRC="$(sed -n '/^libmxgcore_la_SOURCES/,/^$/p' "$SRC/Makefile.am" |
	grep -o 'module/[a-z_0-9]*\.c' | grep -v '^module/conf\.c$')
	tools/log_stderr.c"
# fuzz_conf keeps the parser inside a scratch directory (fuzz_conf.c)
CONF_FS="-Dfopen=fuzz_fopen -Dglob=fuzz_glob -Drealpath=fuzz_realpath"

# sanitizer settings: stop at the first error, with a stack trace; big
# allocations fail (NULL) instead of killing the run, as malloc would
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=1024}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# compile one source into an object unless the object is newer
obj() {
	o=$1; s=$2; shift 2
	if [ ! -f "$o" ] || [ "$SRC/$s" -nt "$o" ] ||
		[ -n "$(find "$SRC/include" "$SRC/tests/fuzz" -newer "$o" \
		-name '*.h' 2>/dev/null |
		head -1)" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS "$@" -c -o "$o" "$SRC/$s"
	fi
}

# build all targets into $FUZZ_BUILD/bin
build() {
	mkdir -p "$FUZZ_BUILD/obj" "$FUZZ_BUILD/bin"
	case $MODSRC in
	*module/*) ;;
	*) echo "run.sh: no libmxgcore_la_SOURCES in $SRC/Makefile.am" >&2
		exit 1 ;;
	esac
	objs=""
	for s in $MODSRC; do
		o="$FUZZ_BUILD/obj/$(basename "$s" .c).o"
		obj "$o" "$s"
		objs="$objs $o"
	done
	rm -f "$FUZZ_BUILD/obj/libcore.a"
	# shellcheck disable=SC2086
	ar rcs "$FUZZ_BUILD/obj/libcore.a" $objs
	obj "$FUZZ_BUILD/obj/conf.o" module/conf.c
	obj "$FUZZ_BUILD/obj/conf-fs.o" module/conf.c $CONF_FS
	for t in $TARGETS; do
		obj "$FUZZ_BUILD/obj/$t.o" "tests/fuzz/$t.c"
		if [ "$t" = fuzz_conf ]; then
			c="$FUZZ_BUILD/obj/conf-fs.o"
		else
			c="$FUZZ_BUILD/obj/conf.o"
		fi
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$FUZZ_BUILD/bin/$t" "$FUZZ_BUILD/obj/$t.o" \
			$c "$FUZZ_BUILD/obj/libcore.a" $LIBS
	done
}

# run one target for FUZZ_SECONDS on a scratch copy of its corpus
run() {
	t=$1
	work="$FUZZ_BUILD/corpus/$t"
	art="$FUZZ_BUILD/artifacts/$t"
	mkdir -p "$work" "$art"
	cp "$SRC/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
	fork=""
	if [ "$FUZZ_JOBS" -gt 1 ]; then
		fork="-fork=$FUZZ_JOBS -ignore_crashes=1"
	fi
	quiet=""
	if [ "$t" = fuzz_redis_reply ]; then
		# every input logs a Redis failure; keep the sanitizer reports
		quiet="-close_fd_mask=2"
	fi
	echo "=== $t: $FUZZ_SECONDS s, corpus $work, crashes in $art/"
	# shellcheck disable=SC2086
	"$FUZZ_BUILD/bin/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" $quiet $fork $FUZZ_ARGS "$work"
}

build_only=0
if [ "${1:-}" = "--build-only" ]; then
	build_only=1
	shift
fi
if [ $# -gt 0 ]; then
	TARGETS="$*"
fi
build
if [ $build_only = 1 ]; then
	exit 0
fi
rc=0
for t in $TARGETS; do
	run "$t" || rc=1
done
exit $rc

#!/usr/bin/env bash
# tests/test_tsan.sh - ThreadSanitizer over the threaded parts: the window
# table, the engine, the base-domain memo, the log-rate limiter, and the
# event queue with its Redis thread. Builds the unit tests of those files
# with -fsanitize=thread straight from the sources and runs them; any data
# race report fails the test. One TAP line per program.
. "$(dirname "$0")/integration/lib.sh"
src=${MXG_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cc=${CC:-gcc}
out=$(mktemp -d /tmp/mxg-tsan.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo 'int main(void){return 0;}' >"$out/probe.c"
"$cc" -fsanitize=thread "$out/probe.c" -o "$out/probe" 2>/dev/null && "$out/probe" ||
	skip_all "$cc cannot build with -fsanitize=thread"
# the sources of libmxgcore, as Makefile.am lists them (a fixed list here
# went stale whenever a core file was added)
srcs=""
for f in $(sed -n '/^libmxgcore_la_SOURCES/,/^$/p' "$src/Makefile.am" |
	grep -o 'module/[a-z_0-9]*\.c'); do
	srcs="$srcs $src/$f"
done
[ -n "$srcs" ] || bail "no libmxgcore_la_SOURCES in $src/Makefile.am"
for t in test_window test_engine test_names test_jsonlog test_sink \
	test_redis_writer test_redis_conn; do
	if ! "$cc" -std=gnu11 -g -O1 -fsanitize=thread -D_GNU_SOURCE \
		-I"$src/include" -I"$src/tests/unit" $srcs "$src/tools/log_stderr.c" \
		"$src/tests/unit/$t.c" -lhiredis -lmaxminddb -lpsl -lpthread -lm \
		-o "$out/$t" 2>"$out/$t.build"; then
		sed 's/^/# /' "$out/$t.build" | head -20
		ok 1 "$t builds with -fsanitize=thread"
		continue
	fi
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" MXG_TESTDATA="$src/tests/data" \
		MXG_SRCDIR="$src" "$out/$t" >"$out/$t.out" 2>"$out/$t.err"
	rc=$?
	races=$(grep -c "WARNING: ThreadSanitizer" "$out/$t.err")
	[ $rc -eq 0 ] && [ "$races" -eq 0 ]
	ok $? "$t under ThreadSanitizer: exit $rc, $races race reports, $(grep -c '^ok' "$out/$t.out") checks passed"
	[ $rc -ne 0 ] && grep -A12 "WARNING: ThreadSanitizer\|^not ok" "$out/$t.err" "$out/$t.out" | head -40 | sed 's/^/# /'
done
done_testing

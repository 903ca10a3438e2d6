#!/usr/bin/env bash
# contrib/run-tests.sh - build everything and run every test (README, CI).
#
# On a fresh Debian 12 machine, as root: installs what is missing, builds
# Debian's Unbound with dynlib (cached under /var/cache/mxguard), builds
# mxguard against it, runs `make check` (unit tests, integration tests with
# real Unbound, NSD and Redis on loopback) and ends with one line
# `N passed, N failed` (`, N skipped`). Exit status 0 only if nothing failed.
#
# Environment: MXGUARD_CACHE (Unbound build cache), MXG_JOBS (make -j).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

step() { echo "== $*" >&2; }
die() { echo "run-tests: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

step "build (contrib/build.sh)"
bash contrib/build.sh >/dev/null || die "build failed"

step "make check"
rm -f tests/unit/*.trs tests/integration/*.trs
make -j1 check >&2
rc=$?

# The same unit and integration tests again, built with ASan+UBSan, in a
# copy of the tree (this one is configured in place). Unbound itself is not
# instrumented, so the sanitizer runtime is preloaded into it.
san=${MXG_SAN_BUILD:-/tmp/mxguard-sanitizers}
san_trs=""
if [ "${MXG_SKIP_SANITIZERS:-}" != yes ]; then
	step "sanitizers: ASan+UBSan build in $san"
	udir=$(sed -n 's/^UNBOUND_DIR = //p' Makefile)
	rm -rf "$san" && mkdir -p "$san"
	if git ls-files -z >/dev/null 2>&1; then
		git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$san"
	else
		tar --exclude='*.o' --exclude='*.lo' --exclude=.libs -cf - . | tar -xf - -C "$san"
		(cd "$san" && make distclean >/dev/null 2>&1)
	fi
	asan=$(gcc -print-file-name=libasan.so)
	ubsan=$(gcc -print-file-name=libubsan.so)
	if (cd "$san" && autoreconf -fi && ./configure --with-unbound="$udir" \
		--enable-werror --enable-sanitizers && make -j"${MXG_JOBS:-$(nproc)}") >"$san/build.log" 2>&1; then
		(cd "$san" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			MXG_UNBOUND_PRELOAD="$asan $ubsan" \
			make -j1 check FUZZ_TESTS= TSAN_TESTS= >&2)
		san_trs=$(find "$san/tests" -name '*.trs' | sort)
	else
		tail -30 "$san/build.log" >&2
		echo "sanitizer build failed" >&2
		rc=1
	fi
fi

pass=0; fail=0; skip=0
for t in $(find tests -name '*.trs' | sort) $san_trs; do
	p=$(grep -c '^:test-result: PASS' "$t"); f=$(grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' "$t")
	s=$(grep -c '^:test-result: SKIP' "$t")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		echo "FAILED in ${t%.trs}:" >&2
		grep -E '^not ok|^#' "${t%.trs}.log" | head -30 | sed 's/^/    /' >&2
	fi
	if [ "$s" -gt 0 ]; then
		grep -E '# SKIP' "${t%.trs}.log" | sed "s|^|    ${t%.trs}: |" >&2
	fi
done
[ $rc -ne 0 ] && [ $fail -eq 0 ] && fail=1	# make check failed before any test
line="$pass passed, $fail failed"
[ $skip -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# contrib/run-tests.sh - build everything and run every test (README, CI).
#
# On a fresh Debian 12 machine, as root: installs what is missing, builds
# Debian's Unbound with dynlib (cached under /var/cache/mxguard), builds
# mxguard against it, runs `make check` (unit tests, integration tests with
# real Unbound, NSD and Redis on loopback) and ends with one line
# `N passed, N failed` (`, N skipped`). Exit status 0 only if nothing failed.
#
# Then the same integration tests against upstream Unbound releases (the
# version matrix: ../shared/vendor/unbound-<v>.tar.gz, skipped with a message
# when absent), and Unbound's own scenario suite with mxguard loaded
# (make check-unbound-suite) on Debian's Unbound and every release of the matrix, and
# last the Debian packages of contrib/build-debs.sh (make check-debs).
#
# Environment: MXGUARD_CACHE (Unbound build cache), MXG_JOBS (make -j),
# MXG_MATRIX (upstream versions, default "1.19.2 1.22.0 1.26.0"; "" for
# none), MXG_SUITE (trees for the Unbound suite, default every version:
# "debian 1.19.2 1.22.0 1.26.0"),
# MXG_SKIP_SANITIZERS=yes, MXG_SKIP_DEBS=yes (no package build and install),
# MXG_KEEP_BUILDS=yes (keep the /tmp build copies after a run that passed).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

step() { echo "== [${SECONDS}s] $*" >&2; }	# with the seconds since the start
jobs=${MXG_JOBS:-$(nproc)}
# build copies of this clone go to directories named after it, so that runs
# from two clones on one machine do not build over each other
tag=$(printf '%s' "$top" | md5sum | cut -c1-8)

# copy_tree DEST: this source tree, without build products, into DEST
copy_tree() {
	rm -rf "$1" && mkdir -p "$1"
	if git ls-files -z >/dev/null 2>&1; then
		git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$1"
	else
		tar --exclude='*.o' --exclude='*.lo' --exclude=.libs -cf - . | tar -xf - -C "$1"
		(cd "$1" && make distclean >/dev/null 2>&1)
	fi
}
die() { echo "run-tests: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

step "build (contrib/build.sh)"
bash contrib/build.sh >/dev/null || die "build failed"

step "make check"
rm -f tests/unit/*.trs tests/integration/*.trs tests/rpl/*.trs tests/debian/*.trs
make -j1 check >&2
rc=$?

# The same unit and integration tests again, built with ASan+UBSan, in a
# copy of the tree (this one is configured in place). Unbound itself is not
# instrumented, so the sanitizer runtime is preloaded into it.
san=${MXG_SAN_BUILD:-/tmp/mxguard-sanitizers-$tag}
san_trs=""
if [ "${MXG_SKIP_SANITIZERS:-}" != yes ]; then
	step "sanitizers: ASan+UBSan build in $san"
	udir=$(sed -n 's/^UNBOUND_SRCDIR = //p' Makefile)
	copy_tree "$san"
	asan=$(gcc -print-file-name=libasan.so)
	ubsan=$(gcc -print-file-name=libubsan.so)
	if (cd "$san" && autoreconf -fi && ./configure --with-unbound="$udir" \
		--enable-werror --enable-sanitizers && make -j"$jobs") >"$san/build.log" 2>&1; then
		(cd "$san" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			MXG_UNBOUND_PRELOAD="$asan $ubsan" \
			make -j1 check FUZZ_TESTS= TSAN_TESTS= >&2) || rc=1
		san_trs=$(find "$san/tests" -name '*.trs' | sort)
	else
		tail -30 "$san/build.log" >&2
		echo "sanitizer build failed" >&2
		rc=1
	fi
fi

# The version matrix: mxguard built in a copy of the tree against each
# upstream release, its integration tests run there (the unit tests do not
# depend on Unbound and ran above).
declare -A vdir=([debian]=$top)
matrix_trs=""
matrix_skip=0
for v in ${MXG_MATRIX-1.19.2 1.22.0 1.26.0}; do
	step "version matrix: Unbound $v"
	b=/tmp/mxguard-$tag-unbound-$v
	ulog=$b.build-unbound.log
	uv=$(bash contrib/build-unbound.sh "$v" 2>"$ulog" | tail -n 1; exit "${PIPESTATUS[0]}")
	urc=$?
	if [ $urc -eq 3 ]; then
		echo "version matrix: skipping Unbound $v: $(tail -n 1 "$ulog" | sed 's/^build-unbound: //')" \
			"(the upstream tarballs are in ../shared/vendor beside the project; docs/building.md)" >&2
		matrix_skip=$((matrix_skip + 1))
		continue
	fi
	if [ $urc -ne 0 ]; then
		tail -30 "$ulog" >&2
		echo "version matrix: building Unbound $v failed (log: $ulog)" >&2
		rc=1
		continue
	fi
	copy_tree "$b"
	if ! (cd "$b" && autoreconf -fi && ./configure --with-unbound="$uv" --enable-werror &&
		make -j"$jobs") >"$b/build.log" 2>&1; then
		tail -30 "$b/build.log" >&2
		echo "version matrix: building mxguard against Unbound $v failed" >&2
		rc=1
		continue
	fi
	(cd "$b" && make -j1 check-integration >&2) || rc=1
	matrix_trs="$matrix_trs $(find "$b/tests" -name '*.trs' | sort)"
	vdir[$v]=$b
done

# Unbound's own suite (testdata/*.rpl) with mxguard loaded, on Debian's tree
# and every release of the matrix (docs/building.md).
suite_trs=""
for v in ${MXG_SUITE-debian 1.19.2 1.22.0 1.26.0}; do
	[ -n "${vdir[$v]:-}" ] || continue	# skipped or failed above
	step "Unbound's test suite with mxguard: $v"
	(cd "${vdir[$v]}" && make -j1 check-unbound-suite >&2) || rc=1
	grep '^# Unbound .*scenarios' "${vdir[$v]}/tests/rpl/test_unbound_suite.log" >&2
	suite_trs="$suite_trs ${vdir[$v]}/tests/rpl/test_unbound_suite.trs"
done

# The Debian packages: built (contrib/build-debs.sh, cached), installed with
# apt, run the way Debian runs Unbound, purged again (tests/debian/).
if [ "${MXG_SKIP_DEBS:-}" != yes ]; then
	step "Debian packages: contrib/build-debs.sh, apt install, run, purge"
	make -j1 check-debs >&2 || rc=1
fi

pass=0; fail=0; skip=$matrix_skip
for t in $(find tests -name '*.trs' ! -name test_unbound_suite.trs | sort) $san_trs $matrix_trs $suite_trs; do
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
# a make that failed without a failed test (a test program that did not
# build, a driver error) fails the run too
[ $rc -ne 0 ] && [ $fail -eq 0 ] && fail=1
line="$pass passed, $fail failed"
[ $skip -gt 0 ] && line="$line, $skip skipped"
# the build copies in /tmp are kept only when something failed (their logs)
if [ $fail -eq 0 ] && [ "${MXG_KEEP_BUILDS:-}" != yes ]; then
	rm -rf "$san" /tmp/mxguard-"$tag"-unbound-*
fi
step "done"
echo "$line"
[ $fail -eq 0 ]

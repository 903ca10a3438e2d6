#!/usr/bin/env bash
# tests/test_docs.sh - every man page renders without a groff warning, and
# every file README and the man pages point to exists.
. "$(dirname "$0")/integration/lib.sh"
src=${MXG_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v groff >/dev/null || skip_all "groff is not installed (apt-get install groff-base)"
for page in "$src"/docs/*.[158]; do
	err=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	[ -z "$err" ]
	ok $? "$(basename "$page") renders with groff -ww without warnings${err:+: $err}"
	out=$(groff -man -Tutf8 "$page" 2>/dev/null | wc -l)
	[ "$out" -gt 20 ]
	ok $? "$(basename "$page") renders to $out lines"
done
for f in docs/building.md docs/mxguard.conf.5 docs/mxguard.conf.example docs/mxguard.8 \
	docs/mxguard-report.1 docs/mxguard-checkconf.8 docs/mxguard-exporter.8 docs/redis-schema.md docs/detection.md docs/performance.md \
	contrib/demo.sh contrib/run-tests.sh contrib/build-unbound.sh contrib/build-debs.sh \
	tests/rpl/run-upstream.sh tests/debian/test_debs.sh LICENSE; do
	[ -f "$src/$f" ]
	ok $? "$f exists"
done
# the version is written once (MXG_VERSION); the man pages repeat it
ver=$(sed -n 's/^#define MXG_VERSION "\(.*\)"$/\1/p' "$src/include/mxguard/mxguard.h")
[ -n "$ver" ]
ok $? "MXG_VERSION in include/mxguard/mxguard.h: ${ver:-none}"
for page in "$src"/docs/*.[158]; do
	grep -q "^\.TH .* \"mxguard $ver\" " "$page"
	ok $? "$(basename "$page") says mxguard $ver"
done
done_testing

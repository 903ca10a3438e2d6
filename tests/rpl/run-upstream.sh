#!/usr/bin/env bash
# tests/rpl/run-upstream.sh - replay one of Unbound's own scenarios
# (testdata/*.rpl), plain or with mxguard added to its module chain.
#
# Unbound's testbound replays a scenario file (.rpl: a config section, then
# queries, upstream answers and checks) against the real resolver code with
# a fake network and clock. Unbound's own scenarios know nothing of mxguard:
# this script runs one as it is, or with mxguard put first in the chain the
# scenario uses (mxguard's own scenarios, written with an @CHAIN@ marker,
# run through tests/rpl/run.sh instead).
#
# Usage: run-upstream.sh TESTBOUND SCENARIO.rpl [MODULE.so MXGUARD.conf [CHAIN]]
#   TESTBOUND    a testbound linked with $(DYNLIBMOD_EXTRALIBS)
#                (contrib/build-unbound.sh builds one in each Unbound tree)
#   MODULE.so    mxguard's module (module/.libs/mxguard.so); "" or absent:
#                the scenario runs unchanged
#   MXGUARD.conf the mxguard config for this run (exported as MXGUARD_CONF)
#   CHAIN        the whole module-config to use; default "dynlib" followed
#                by the scenario's own module-config (or the tree's default,
#                "subnetcache validator iterator" when it has client subnet)
# The rewritten scenario ends its config section with
#   server: module-config: "CHAIN"    (a later module-config wins)
#   dynlib: dynlib-file: "MODULE.so"
# Exit status: testbound's (0 = every check of the scenario passed).
# Output: testbound's log on stdout and stderr.
# Environment: RPL_OPTS (testbound -o options, e.g. "-vvvv" for a full
# trace), RPL_KEEP=1 (print and keep the rewritten scenario).
set -uo pipefail
[ $# -ge 2 ] || { sed -n '2,26p' "$0" >&2; exit 2; }
tb=$1 scen=$2 so=${3:-} conf=${4:-} chain=${5:-}
[ -x "$tb" ] || { echo "run-upstream: no testbound at $tb" >&2; exit 2; }
[ -f "$scen" ] || { echo "run-upstream: no scenario $scen" >&2; exit 2; }
scen=$(cd "$(dirname "$scen")" && pwd)/$(basename "$scen")
tb=$(cd "$(dirname "$tb")" && pwd)/$(basename "$tb")
opts=()
[ -n "${RPL_OPTS:-}" ] && opts=(-o "$RPL_OPTS")

# testbound writes temporary files to the current directory; give it its own
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxg-rpl.XXXXXX")
cleanup() { [ -n "${RPL_KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT

if [ -z "$so" ]; then
	(cd "$tmp" && "$tb" -p "$scen" "${opts[@]}") 2>&1
	exit $?
fi
[ -f "$so" ] || { echo "run-upstream: no module $so" >&2; exit 2; }
[ -f "$conf" ] || { echo "run-upstream: no mxguard config $conf" >&2; exit 2; }
so=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")
conf=$(cd "$(dirname "$conf")" && pwd)/$(basename "$conf")

if [ -z "$chain" ]; then
	# the scenario's own chain: its last module-config in the config section
	# (not inside an AUTOTRUST_FILE or TEMPFILE_CONTENTS block)
	own=$(awk '
		/^[ \t]*CONFIG_END/ { exit }
		/^[ \t]*(AUTOTRUST_FILE|TEMPFILE_CONTENTS)/ { inblk = 1 }
		/^[ \t]*(AUTOTRUST_END|TEMPFILE_END)/ { inblk = 0; next }
		!inblk && match($0, /module-config:[ \t]*"[^"]*"/) {
			m = substr($0, RSTART, RLENGTH); sub(/^module-config:[ \t]*"/, "", m)
			sub(/"$/, "", m); last = m
		}
		END { print last }' "$scen")
	if [ -z "$own" ]; then
		if grep -q '^#define CLIENT_SUBNET 1' "$(dirname "$tb")/config.h" 2>/dev/null; then
			own="subnetcache validator iterator"
		else
			own="validator iterator"
		fi
	fi
	chain="dynlib $own"
fi

awk -v chain="$chain" -v so="$so" '
	!done && /^[ \t]*CONFIG_END/ {
		print "server:"
		print "\tmodule-config: \"" chain "\""
		print "dynlib:"
		print "\tdynlib-file: \"" so "\""
		done = 1
	}
	{ print }' "$scen" >"$tmp/scenario.rpl"
[ -n "${RPL_KEEP:-}" ] && echo "run-upstream: rewritten scenario in $tmp/scenario.rpl (chain \"$chain\")" >&2
(cd "$tmp" && MXGUARD_CONF="$conf" "$tb" -p "$tmp/scenario.rpl" "${opts[@]}") 2>&1

#!/usr/bin/env bash
# tests/rpl/run.sh - run one scenario of Unbound's own format (testbound)
# with mxguard loaded, in one module chain and one mode.
#
# Usage: tests/rpl/run.sh TESTBOUND MXGUARD_SO SCENARIO.rpl CHAIN MODE [OUT]
#   CHAIN  Unbound's module-config ("dynlib validator iterator"), put where
#          the scenario says "@CHAIN@"
#   MODE   log | tag | refuse: mxguard's mode; the scenario's ";@MODE "
#          lines are kept for it, the other ";@word " lines dropped
#   OUT    directory for the generated scenario, mxguard.conf, the JSON log
#          and testbound's output (default: a new temporary directory)
# The scenario's "; mxguard: " lines make up mxguard.conf (after "mode:"),
# with @DATADIR@ the tree's tests/data.
# A "dynlib:" section naming MXGUARD_SO is added to the config (and a
# "cachedb:" section with testbound's backend when the chain has cachedb).
# Exit status: testbound's (0: every step matched).
set -uo pipefail
[ $# -ge 5 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
tb=$1 so=$2 scen=$3 chain=$4 mode=$5
out=${6:-$(mktemp -d /tmp/mxguard-rpl.XXXXXX)}
mkdir -p "$out"
name=$(basename "$scen" .rpl)
conf=$out/$name.conf
{
	echo "mode: $mode"
	echo "log-file: $out/$name.json"
	# @DATADIR@: the tree's test data (tests/data: GeoIP test databases)
	sed -n 's/^; mxguard: //p' "$scen" |
		sed "s|@DATADIR@|$(cd "$(dirname "$scen")/../data" && pwd)|g"
} >"$conf"
# modules that need a section of their own in testbound
extra="dynlib:\\n\\tdynlib-file: \"$so\""
case " $chain " in *" cachedb "*)
	extra="$extra\\ncachedb:\\n\\tbackend: \"testframe\"\\n\\tsecret-seed: \"mxguard\"" ;;
esac
srv="server:"
case " $chain " in *" ipsecmod "*)
	srv="$srv\\n\\tipsecmod-hook: \"/bin/true\"" ;;
esac
sed -e "s|^server:|$srv|" -e "s|@CHAIN@|$chain|" -e "s/^;@$mode //" -e '/^;@[a-z]* /d' \
	-e "s|^CONFIG_END|$extra\\nCONFIG_END|" "$scen" >"$out/$name.rpl"
# MXG_UNBOUND_PRELOAD: the sanitizer runtime, when the module is built with
# --enable-sanitizers (testbound itself is not)
MXGUARD_CONF=$conf LD_PRELOAD="${MXG_UNBOUND_PRELOAD:-}" \
	"$tb" -p "$out/$name.rpl" -o "" >"$out/$name.out" 2>&1

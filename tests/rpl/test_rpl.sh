#!/usr/bin/env bash
# tests/rpl/test_rpl.sh - mxguard in Unbound's own scenario driver
# (testbound), in every module chain it may meet and in each mode.
#
# Each scenario of tests/rpl/*.rpl runs in each chain of CHAINS, first
# without mxguard ("plain": dynlib taken out of the chain, the scenario's
# log-mode answers expected), then with mxguard in log, tag and refuse mode.
# A chain where plain Unbound passes must pass in every mode; where plain
# Unbound fails (dns64 first keeps the referrals of its queries out of the
# cache; cachedb answers a stale query from its backend), mxguard must get at
# least as far. Chains that refuse mode cannot hold
# must make the module refuse to start in refuse mode, naming the chain and
# the fix, and still work in log mode. Output is TAP.
#
# Needs UNBOUND_DIR (a tree from contrib/build-unbound.sh, with testbound)
# and MXG_BUILDDIR; make check sets them.
. "$(dirname "$0")/../integration/lib.sh"
: "${UNBOUND_DIR:?}" "${MXG_BUILDDIR:?}"
MXG_SRCDIR=${MXG_SRCDIR:-$MXG_BUILDDIR}
TB=$UNBOUND_DIR/testbound
SO=$MXG_BUILDDIR/module/.libs/mxguard.so
RUN=$MXG_SRCDIR/tests/rpl/run.sh
[ -x "$TB" ] || skip_all "no testbound in $UNBOUND_DIR (contrib/build-unbound.sh builds it)"
[ -f "$SO" ] || bail "module not built: $SO"
OUT=$(mktemp -d /tmp/mxguard-rpl.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# the modules this Unbound has
mods=$("$UNBOUND_DIR/unbound" -V 2>/dev/null | sed -n 's/^Linked modules: //p')
have() { case " $mods " in *" $1 "*) return 0 ;; esac; return 1; }

CHAINS=(
	"dynlib validator iterator"
	"dynlib iterator"
	"dynlib respip validator iterator"
	"respip dynlib validator iterator"
	"dynlib subnetcache validator iterator"
	"dns64 dynlib validator iterator"
	"dynlib dns64 validator iterator"
	"dynlib validator cachedb iterator"
	"dynlib cachedb iterator"
	"dynlib ipsecmod validator iterator"
	"ipsecmod dynlib validator iterator"
	"dynlib respip subnetcache validator cachedb iterator"
	"validator dynlib iterator"
)
# chains refuse mode cannot hold: the module must refuse to start in them
UNSAFE=(
	"subnetcache dynlib validator iterator"
	"cachedb dynlib validator iterator"
)

usable() {	# usable CHAIN: every module of it is linked in
	local m
	for m in $1; do [ "$m" = dynlib ] || have "$m" || return 1; done
}
# step NAME DIR: the step a run stopped at, "pass" if it passed
step() {
	if [ "$(cat "$2/$1.rc")" -eq 0 ]; then echo pass; return; fi
	grep -o 'do STEP [0-9]*' "$2/$1.out" | tail -1 | awk '{print $3}'
}
# one NAME CHAIN MODE DIR: run one scenario, leave NAME.rc
one() {
	bash "$RUN" "$TB" "$SO" "$MXG_SRCDIR/tests/rpl/$1.rpl" "$2" "$3" "$4"
	echo $? >"$4/$1.rc"
}

# glue_log JSON CHAIN MODE: mx_glue's verdicts, which log and tag mode do
# not show in the answers: the three lookups of example.com (the third two
# cache hits) without a country verdict, both of jp.example.net (the
# second a cache hit) with one
glue_log() {
	local ex jp
	ex=$(grep '"DnsQuery":"example.com"' "$1" 2>/dev/null)
	jp=$(grep '"DnsQuery":"jp.example.net"' "$1" 2>/dev/null)
	[ "$(echo "$ex" | grep -c '"IsCached":true')" -ge 2 ] &&
		! echo "$ex" | grep -q '"RuleName":"country"' &&
		[ "$(echo "$jp" | grep -c '"RuleName":"country"')" -eq 2 ] &&
		echo "$jp" | grep '"SrcIpAddr":"10.0.0.6"' | grep -q '"IsCached":true'
	ok $? "mx_glue, \"$2\", $3: the name server's glue gets no verdict, the MX host does (first and cached lookups, JSON log)"
}

for scen in "$MXG_SRCDIR"/tests/rpl/*.rpl; do
	name=$(basename "$scen" .rpl)
	want=$(sed -n 's/^; chains: //p' "$scen")
	for chain in "${CHAINS[@]}"; do
		if [ -n "$want" ] && ! echo "$chain" | grep -Eq "$want"; then
			continue
		fi
		usable "$chain" || { diag "$name: this Unbound lacks a module of \"$chain\""; continue; }
		tag=${chain// /_}
		plain=$(echo "$chain" | sed 's/dynlib //')
		d=$OUT/$name-$tag-plain; mkdir -p "$d"
		one "$name" "$plain" log "$d"
		ps=$(step "$name" "$d")
		for mode in log tag refuse; do
			d=$OUT/$name-$tag-$mode; mkdir -p "$d"
			one "$name" "$chain" "$mode" "$d"
			ms=$(step "$name" "$d")
			if [ "$ps" = pass ]; then
				[ "$ms" = pass ]
				ok $? "$name, \"$chain\", $mode: $ms (plain: pass)"
			else
				[ "$ms" = pass ] || [ "${ms:-0}" -ge "${ps:-1}" ]
				ok $? "$name, \"$chain\", $mode: $ms, as far as plain Unbound in this chain (it stops at step ${ps:-?})"
			fi
			if [ "$ms" != pass ] && [ "$ps" = pass ]; then
				grep -E 'STEP|not matched|fatal|error' "$d/$name.out" | tail -4 | sed 's/^/#   /'
			fi
			[ "$name" = mx_glue ] && glue_log "$d/$name.json" "$chain" "$mode"
		done
	done
done

# unsafe chains: refuse mode does not start, log mode does and warns
for chain in "${UNSAFE[@]}"; do
	usable "$chain" || continue
	tag=${chain// /_}
	d=$OUT/unsafe-$tag-refuse; mkdir -p "$d"
	one mx_repeat "$chain" refuse "$d"
	first=${chain%% *}
	[ "$(cat "$d/mx_repeat.rc")" -ne 0 ] &&
		grep -q "put dynlib before $first" "$d/mx_repeat.out" &&
		grep -q "refuse mode needs a safe module-config" "$d/mx_repeat.out"
	ok $? "\"$chain\" in refuse mode: mxguard does not start, and says: $(grep -o "$first before dynlib[^;]*" "$d/mx_repeat.out" | head -1)"
	d=$OUT/unsafe-$tag-log; mkdir -p "$d"
	one mx_repeat "$chain" log "$d"
	grep -q "started:" "$d/mx_repeat.out" && grep -q "warning: .*put dynlib before $first" "$d/mx_repeat.out"
	ok $? "\"$chain\" in log mode: mxguard starts with a warning"
done
done_testing

#!/usr/bin/env bash
# tests/rpl/test_unbound_suite.sh - Unbound's own regression suite with
# mxguard loaded: a transparency test.
#
# Every testdata/*.rpl scenario of the Unbound tree is replayed by its
# testbound (tests/rpl/run-upstream.sh) three times: as it is, with mxguard first
# in the chain in log mode, and in refuse mode (no relays, default rules).
# A scenario that passes plain and fails with mxguard is a failure, unless
# docs/building.md lists it ("Unbound's own test suite") for that version
# and mode; a listed one must then pass with the chain the list gives as its
# fix. One TAP line per scenario; the counts per mode are printed as
# diagnostics. Run by `make check-unbound-suite`.
#
# Needs UNBOUND_DIR (where Unbound was built by contrib/build-unbound.sh:
# config.h, testbound relinked), UNBOUND_SRCDIR (its source tree, testdata/;
# default UNBOUND_DIR), MXG_BUILDDIR, MXG_SRCDIR. RPL_JOBS: parallel runs
# (default: the number of CPUs). RPL_ONLY: a grep -E pattern of scenario
# names to run (for debugging).
. "$(dirname "$0")/../integration/lib.sh"
: "${UNBOUND_DIR:?UNBOUND_DIR is not set (run through make check-unbound-suite)}"
: "${MXG_BUILDDIR:?MXG_BUILDDIR is not set}"
src=${MXG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tb=$UNBOUND_DIR/testbound
so=$MXG_BUILDDIR/module/.libs/mxguard.so
run=$src/tests/rpl/run-upstream.sh
[ -x "$tb" ] || bail "no testbound in $UNBOUND_DIR (contrib/build-unbound.sh builds it)"
[ -f "$so" ] || bail "module not built: $so"
nm -D "$tb" 2>/dev/null | grep -q ' T log_err$' ||
	bail "$tb is not linked with \$(DYNLIBMOD_EXTRALIBS) (contrib/build-unbound.sh relinks it)"
ver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$UNBOUND_DIR/config.h")
jobs=${RPL_JOBS:-$(nproc)}

T=$(mktemp -d /tmp/mxg-suite.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/res" "$T/log"
for m in log refuse; do
	{
		echo "mxguard:"
		echo "	mode: $m"
		echo "	log-file: \"$T/log/@@.$m.jsonl\""
		[ $m = log ] && echo "	log-lookups: yes"
	} >"$T/$m.conf.in"
done

# the documented exceptions: | `name.rpl` | versions | modes | why | fix |
exc=$T/exceptions
awk '/^## Unbound.s own test suite/ { on = 1; next } /^## / { on = 0 }
	on && /^\| `[^`]*\.rpl` *\|/ {
		n = split($0, f, "|")
		name = f[2]; gsub(/[ `]/, "", name); sub(/\.rpl$/, "", name)
		vers = f[3]; gsub(/ /, "", vers)
		modes = f[4]; gsub(/ /, "", modes)
		fix = ""
		if (match(f[6], /module-config: *"[^"]*"/)) {
			fix = substr(f[6], RSTART, RLENGTH); sub(/^module-config: *"/, "", fix); sub(/"$/, "", fix)
		}
		print name "\t" vers "\t" modes "\t" fix
	}' "$src/docs/building.md" >"$exc"
diag "Unbound $ver: $(wc -l <"$exc") documented exceptions in docs/building.md"

# one_run SCENARIO MODE [CHAIN]: exit status into $T/res/NAME.MODE
one_run() {
	local s=$1 m=$2 chain=${3:-} name rc
	name=$(basename "$s" .rpl)
	if [ "$m" = plain ]; then
		"$run" "$tb" "$s" >"$T/res/$name.$m.out" 2>&1
	else
		sed "s|@@|$name|" "$T/${m%-fix}.conf.in" >"$T/res/$name.$m.conf"
		"$run" "$tb" "$s" "$so" "$T/res/$name.$m.conf" "$chain" \
			>"$T/res/$name.$m.out" 2>&1
	fi
	rc=$?
	# with mxguard, the module must really have started (it opens its log)
	if [ "$rc" -eq 0 ] && [ "$m" != plain ] && [ ! -e "$T/log/$name.${m%-fix}.jsonl" ]; then
		echo "mxguard did not start (no $T/log/$name.${m%-fix}.jsonl)" >>"$T/res/$name.$m.out"
		rc=99
	fi
	echo "$rc" >"$T/res/$name.$m"
	# keep the log of a failure only
	[ "$rc" -eq 0 ] && rm -f "$T/res/$name.$m.out"
	return 0
}
export -f one_run
export T tb so run

scens=$(ls "${UNBOUND_SRCDIR:-$UNBOUND_DIR}"/testdata/*.rpl | grep -E "${RPL_ONLY:-.}")
[ -n "$scens" ] || skip_all "no testdata/*.rpl in ${UNBOUND_SRCDIR:-$UNBOUND_DIR}"
for m in plain log refuse; do
	printf '%s\n' $scens | sed "s/\$/ $m/"
done | xargs -P "$jobs" -n 2 bash -c 'one_run "$0" "$1"'

excepted() {	# excepted NAME MODE: prints the fix chain, status 0 if listed
	awk -F'\t' -v n="$1" -v m="$2" -v v="$ver" '
		$1 == n {
			nv = split($2, vs, ","); okv = 0
			for (i = 1; i <= nv; i++) if (vs[i] == "all" || vs[i] == v) okv = 1
			nm = split($3, ms, ","); okm = 0
			for (i = 1; i <= nm; i++) if (ms[i] == m) okm = 1
			if (okv && okm) { print $4; found = 1; exit }
		}
		END { exit !found }' "$exc"
}

np=0 nl=0 nr=0 ntot=0 nmx=0 listed_pass=""
for s in $scens; do
	name=$(basename "$s" .rpl)
	ntot=$((ntot + 1))
	p=$(cat "$T/res/$name.plain") l=$(cat "$T/res/$name.log") r=$(cat "$T/res/$name.refuse")
	[ "$p" = 0 ] && np=$((np + 1))
	[ "$l" = 0 ] && nl=$((nl + 1))
	[ "$r" = 0 ] && nr=$((nr + 1))
	[ -s "$T/log/$name.log.jsonl" ] && nmx=$((nmx + 1))
	if [ "$p" != 0 ]; then
		ok 0 "$name: fails without mxguard too, not counted # SKIP plain testbound fails"
		continue
	fi
	bad="" notes=""
	for m in log refuse; do
		case $m in log) rc=$l ;; *) rc=$r ;; esac
		if fix=$(excepted "$name" "$m"); then
			if [ "$rc" = 0 ]; then
				listed_pass="$listed_pass $name/$m"
				continue
			fi
			if [ -n "$fix" ]; then
				one_run "$s" "$m-fix" "$fix"
				if [ "$(cat "$T/res/$name.$m-fix")" = 0 ]; then
					notes="$notes; $m: fails as documented, passes with \"$fix\""
				else
					bad="$bad $m-fix"
				fi
			else
				notes="$notes; $m: fails as documented"
			fi
		elif [ "$rc" != 0 ]; then
			bad="$bad $m"
		fi
	done
	if [ -n "$bad" ]; then
		ok 1 "$name: passes plain, fails with mxguard in:$bad"
		for m in $bad; do
			diag "--- $name, $m: last lines of testbound's log"
			grep -v '^\[[0-9]*\] unbound\[[0-9:]*\] info: \(query\|matched\|reply\)' \
				"$T/res/$name.$m.out" 2>/dev/null | tail -12 | sed 's/^/# /'
		done
	else
		[ -n "$notes" ] || notes="; passes with mxguard in log and refuse mode"
		ok 0 "$name: passes plain${notes}"
	fi
done
diag "Unbound $ver: $ntot scenarios; passed plain $np, log $nl, refuse $nr;" \
	"mxguard logged MX lookups in $nmx"
[ -n "$listed_pass" ] && diag "listed in docs/building.md but passed:$listed_pass"
done_testing

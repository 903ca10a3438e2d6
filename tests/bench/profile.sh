#!/usr/bin/env bash
# tests/bench/profile.sh - where mxguard's instructions go, per query.
#
#   MXG_BUILDDIR=... UNBOUND_DIR=... bash tests/bench/profile.sh [MODE...]
#
# For each MODE (default: log refuse) runs Unbound + mxguard (one thread, no
# Redis) under valgrind --tool=callgrind, warms the cache, then sends N MX
# cache hits (50 names, from the relay 127.0.0.1) and N A cache hits with
# tests/bench/qsend.c, stops Unbound with SIGTERM and prints the inclusive
# instruction count per query of Unbound's cache-hit callback chain, of
# operate() and of the module's main functions. The callgrind files stay
# in tests/bench/results/profile-DATE/ for callgrind_annotate.
# N: PROFILE_N (default 20000). PROFILE_VGOPTS adds valgrind options
# (--dump-instr=yes: counts per instruction, for addr2line). PROFILE_REDIS=1 starts a private Redis and
# points the module at it (the Redis thread's functions then show too).
# PROFILE_RL=MAXMX profiles the resolver-like workload of run.sh instead:
# 1000 names rlN.test with up to MAXMX (1..10) MX and their A and AAAA in
# the additional section, from 6 relays and 4 other clients,
# PROFILE_WINDOW (default 1) queries in flight; the start and the warm-up
# are not counted (callgrind --instr-atstart=no, callgrind_control -i on).
# MODE plain profiles Unbound without the module.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MXG_SRCDIR=${MXG_SRCDIR:-$(cd "$here/../.." && pwd)}
export MXG_SRCDIR
: "${MXG_BUILDDIR:?set MXG_BUILDDIR to an mxguard build}"
: "${UNBOUND_DIR:?set UNBOUND_DIR to the Unbound tree}"
N=${PROFILE_N:-20000}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(log refuse)
. "$here/lib.sh"
mxg_setup
OUT=$here/results
mkdir -p "$OUT"
[ -f "$OUT/.gitignore" ] || echo '*' >"$OUT/.gitignore"
OUT=$OUT/profile-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RL=${PROFILE_RL:-}
WINDOW=${PROFILE_WINDOW:-1}
bench_zone "$MXG_T/root.zone" 200 "$([ -n "$RL" ] && echo 1000 || echo 0)"
bench_nsd "$MXG_T/root.zone"
redis=""
if [ "${PROFILE_REDIS:-0}" = 1 ]; then
	start_redis
	redis="127.0.0.1:$REDIS_PORT"
fi
gcc -O2 -o "$MXG_T/qsend" "$here/qsend.c" || bail "cannot build qsend.c"
seq 1 50 | sed 's/.*/company&.test MX/' >"$MXG_T/mx"
seq 1 50 | sed 's/.*/company&.test A/' >"$MXG_T/a"
cat "$MXG_T/a" "$MXG_T/mx" >"$MXG_T/warm"
if [ -n "$RL" ]; then
	# the streams of run.sh's rl_ scenarios (1000 names)
	rl_stream 1000 MX "$RL" >"$MXG_T/mx"
	rl_stream 1000 A "$RL" >"$MXG_T/a"
	cat "$MXG_T/a" "$MXG_T/mx" >"$MXG_T/warm"
fi
nmx=$(wc -l <"$MXG_T/mx")
for mode in "${modes[@]}"; do
	d=$MXG_T/$mode
	mkdir -p "$d"
	bench_instance "$d" "$mode" 1 "$redis"
	# shellcheck disable=SC2086 # PROFILE_VGOPTS: more valgrind options
	bench_start "$d" valgrind --tool=callgrind --instr-atstart=no \
		${PROFILE_VGOPTS:-} \
		--callgrind-out-file="$OUT/callgrind.$mode.out" || bail "unbound did not start"
	"$MXG_T/qsend" 127.0.0.1 "$UB_PORT" "$MXG_T/warm" 1 127.0.0.1 16 >/dev/null
	callgrind_control -i on "$UB_PID" >/dev/null 2>&1
	"$MXG_T/qsend" 127.0.0.1 "$UB_PORT" "$MXG_T/mx" $((N / nmx)) 127.0.0.1 "$WINDOW" >/dev/null
	"$MXG_T/qsend" 127.0.0.1 "$UB_PORT" "$MXG_T/a" $((N / nmx)) 127.0.0.1 "$WINDOW" >/dev/null
	callgrind_control -i off "$UB_PID" >/dev/null 2>&1
	bench_stop "$UB_PID"
	N=$((N / nmx * nmx))
	echo "== $mode: inclusive Ir per query ($N MX cache hits + $N A cache hits)"
	callgrind_annotate --inclusive=yes "$OUT/callgrind.$mode.out" 2>/dev/null |
		awk -v n="$N" '
		/^ *[0-9,]+ \( *[0-9.]+%\)  [\/?.]/ && (/\/module\/[a-z]+\.c:/ || /inplace_cb_reply_cache_call|dynlib_inplace_cb_reply_generic|mesh_new_client|worker_handle_request/) && !/=>/ {
			c = $1; gsub(",", "", c)
			fn = $0; sub(/^.*:/, "", fn); sub(/ \[.*$/, "", fn)
			if (seen[fn]++) next
			printf "%9.0f  %s\n", c / n, fn
		}' | sort -k1,1nr | head -30
done
echo "callgrind files: $OUT"

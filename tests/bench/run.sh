#!/usr/bin/env bash
# tests/bench/run.sh - what mxguard costs on Unbound's query path.
#
#   bash tests/bench/run.sh [--quick]
#
# Compares plain Unbound ("validator iterator", no dynlib) with Unbound +
# mxguard in log, tag and refuse mode: the same Unbound binary, the same
# unbound.conf (tests/integration/lib.sh write_unbound_conf) but for the
# module line. Everything runs on loopback: a private NSD serves the test
# zone (contrib/make-zone.sh plus a wildcard MX for *.test), Redis takes the
# events, Unbound never queries off the machine. Servers are stopped by PID.
#
# 1. Instructions per answered query (the measure of the targets in docs/performance.md):
#    unbound under valgrind --tool=callgrind, num-threads 1 (and 2 for @2),
#    instrumentation off during the start and the warm-up and on
#    (callgrind_control -i on) for the scenario's queries only; Ir of all
#    threads / answered queries. The queries come from qsend.c (see
#    docs/performance.md).
# 2. Server CPU µs per answered query under dnsperf at a fixed rate (CPU of
#    all unbound threads from /proc/PID/task/*/schedstat, and utime+stime of
#    /proc/PID/stat), QPS, p50/p99 latency (from dnsperf -v per-query times),
#    lost and SERVFAIL; unbound pinned to cpu 0 and dnsperf to cpu 1;
#    configurations interleaved, repeated, min-max reported; also 2 threads.
# 3. Redis up vs SIGSTOPped vs down (nothing listening): throughput, p99,
#    SERVFAIL under the same load.
# 4. Flood: N distinct clients (127.16.0.0 + i) asking N distinct MX names
#    (fi.test, each its own base domain) against max-memory 16m: peak RSS
#    (VmHWM) of unbound with the module vs plain, and the module's own
#    memory (unbound-control stats: mem.mod.dynlibmod).
#
# Results go to tests/bench/results/DATE/ (results.md, results.tsv, box.txt;
# not committed) or MXG_BENCH_RESULTS. The full run takes about 20 minutes
# on a 2-core box, --quick about 3.
#
# Environment: MXG_BUILDDIR (an existing mxguard build; default: build in
# the source tree with contrib/build.sh), UNBOUND_DIR (the Unbound tree,
# default: the one contrib/build.sh prints), MXG_SRCDIR (the source tree).
# BENCH_SECTIONS: which parts to run (default "ir cache load redis flood").
# Knobs: BENCH_Q (cached queries per Ir run), BENCH_QMISS, BENCH_RATE (qps),
# BENCH_SECS (seconds per load run), BENCH_REPS, BENCH_FLOOD (flood size).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MXG_SRCDIR=${MXG_SRCDIR:-$(cd "$here/../.." && pwd)}
export MXG_SRCDIR
QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: bash tests/bench/run.sh [--quick]" >&2; exit 2 ;;
esac

# ---- what we need ----
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v valgrind >/dev/null || need+=(valgrind)
command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || need+=(nsd)
command -v redis-server >/dev/null || need+=(redis-server)
command -v dig >/dev/null || need+=(bind9-dnsutils)
command -v gcc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2 ||
		{ echo "cannot install ${need[*]}" >&2; exit 1; }
fi
if [ -z "${MXG_BUILDDIR:-}" ] || [ ! -f "$MXG_BUILDDIR/module/.libs/mxguard.so" ]; then
	udir=$(bash "$MXG_SRCDIR/contrib/build.sh" | tail -n 1) || {
		echo "build failed (contrib/build.sh)" >&2; exit 1; }
	MXG_BUILDDIR=$MXG_SRCDIR
	UNBOUND_DIR=${UNBOUND_DIR:-$udir}
fi
if [ -z "${UNBOUND_DIR:-}" ]; then
	UNBOUND_DIR=$(bash "$MXG_SRCDIR/contrib/build-unbound.sh" | tail -n 1)
fi
export MXG_BUILDDIR UNBOUND_DIR

. "$here/lib.sh"
mxg_setup

# ---- sizes ----
if [ "$QUICK" = 1 ]; then
	Q=${BENCH_Q:-5000} QMISS=${BENCH_QMISS:-500} RATE=${BENCH_RATE:-20000}
	SECS=${BENCH_SECS:-3} REPS=${BENCH_REPS:-1} IRREPS=1 FLOOD=${BENCH_FLOOD:-20000}
else
	Q=${BENCH_Q:-100000} QMISS=${BENCH_QMISS:-3000} RATE=${BENCH_RATE:-20000}
	SECS=${BENCH_SECS:-10} REPS=${BENCH_REPS:-3} IRREPS=1 FLOOD=${BENCH_FLOOD:-1000000}
fi
NAMES=50			# cached names per scenario
# resolver-like workloads: RLN names with 1-10 MX (A and AAAA of each in the
# additional section), RLQ queries per Ir run from a mix of clients
if [ "$QUICK" = 1 ]; then RLN=${BENCH_RLN:-200} RLQ=${BENCH_RLQ:-4000}
else RLN=${BENCH_RLN:-1000} RLQ=${BENCH_RLQ:-20000}; fi
COMPANIES=$((1000 + QMISS))	# misses use company1001..
RES=${MXG_BENCH_RESULTS:-$here/results}
mkdir -p "$RES"
[ -f "$RES/.gitignore" ] || echo '*' >"$RES/.gitignore"
RES=$RES/$(date +%Y%m%d-%H%M%S)$([ "$QUICK" = 1 ] && echo -quick)
mkdir -p "$RES"
TSV=$RES/results.tsv
MD=$RES/results.md
printf 'section\tscenario\tconfig\tmetric\tvalue\tratio_to_plain\n' >"$TSV"
tsv() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TSV"; }
box >"$RES/box.txt"
say "results in $RES"
T0=$(date +%s)

# ---- servers and data ----
bench_zone "$MXG_T/root.zone" "$COMPANIES" "$RLN"
bench_nsd "$MXG_T/root.zone"
start_redis
REDIS="127.0.0.1:$REDIS_PORT"
gcc -O2 -o "$MXG_T/floodq" "$here/flood.c" || bail "cannot build flood.c"
gcc -O2 -o "$MXG_T/qsend" "$here/qsend.c" || bail "cannot build qsend.c"
DATA=$MXG_T/data
mkdir -p "$DATA"
seq 1 $NAMES | sed 's/.*/company&.test A/' >"$DATA/a_hit"
seq 1 $NAMES | sed 's/.*/company&.test MX/' >"$DATA/mx_hit"
seq 1001 $((1000 + QMISS)) | sed 's/.*/company&.test MX/' >"$DATA/mx_miss"
# the mix: 1000 queries, 20 of them MX (2 %), all names cached
awk -v n=$NAMES 'BEGIN {
	for (i = 0; i < 1000; i++) {
		c = i % n + 1
		if (i % 50 == 25) print "company" c ".test MX"; else print "company" c ".test A"
	}}' >"$DATA/mix"
cat "$DATA/a_hit" "$DATA/mx_hit" >"$DATA/warm"
# the resolver-like query streams: the RLN names in a scattered order, each
# query from one of 10 clients: 6 relays (127.0.0.1, 127.0.2.1-5) and 4
# other clients (127.0.3.1-4, below the raised volume and fanout limits; the
# non-relay rule logs each of their domains once a period, in the warm-up,
# which sends every stream once, so the measured part is the steady state)
rl_stream "$RLN" MX >"$DATA/rl_mx"
rl_stream "$RLN" MX 3 >"$DATA/rl_mx3"
rl_stream "$RLN" A >"$DATA/rl_a"
cat "$DATA/rl_a" "$DATA/rl_mx" "$DATA/rl_mx3" >"$DATA/rl_warm"
NONRELAY=127.0.0.77

# warm PORT: every cached name once from the relay, then the MX names once
# from the non-relay client (its counters exist before the measured part)
# and the resolver-like names with every client of their stream (16 in
# flight: these are misses that go to NSD)
warm() {
	QSEND_IDLE=${2:-} "$MXG_T/qsend" 127.0.0.1 "$1" "$DATA/warm" 1 127.0.0.1 >/dev/null
	QSEND_IDLE=${2:-} "$MXG_T/qsend" 127.0.0.1 "$1" "$DATA/mx_hit" 1 $NONRELAY >/dev/null
	"$MXG_T/qsend" 127.0.0.1 "$1" "$DATA/rl_warm" 1 127.0.0.1 16 >/dev/null
}

CONFIGS=(plain log tag refuse)
declare -A IR

# ---- 1. instructions per answered query ----
# scenario -> "datafile passes source [window]" (window: queries in flight,
# default 1 with the idle wait; the rl_ streams name their own sources)
declare -A SCEN=(
	[a_hit]="a_hit $((Q / NAMES)) 127.0.0.1"
	[mx_hit_relay]="mx_hit $((Q / NAMES)) 127.0.0.1"
	[mx_hit_nonrelay]="mx_hit $((Q / NAMES)) $NONRELAY"
	[mx_miss]="mx_miss 1 127.0.0.1"
	[mix]="mix $((Q / 1000)) 127.0.0.1"
	[rl_mx_q1]="rl_mx $((RLQ / RLN)) 127.0.0.1 1"
	[rl_mx_q8]="rl_mx $((RLQ / RLN)) 127.0.0.1 8"
	[rl_mx3_q1]="rl_mx3 $((RLQ * 10 / 3 / RLN)) 127.0.0.1 1"
	[rl_mx3_q8]="rl_mx3 $((RLQ * 10 / 3 / RLN)) 127.0.0.1 8"
	[rl_a_q1]="rl_a $((RLQ / RLN)) 127.0.0.1 1"
	[rl_a_q8]="rl_a $((RLQ / RLN)) 127.0.0.1 8"
)
read -ra SCENS <<<"${BENCH_SCENS:-a_hit mx_hit_relay mx_hit_nonrelay mx_miss mix rl_mx_q1 rl_mx_q8 rl_mx3_q1 rl_mx3_q8 rl_a_q1 rl_a_q8}"
# CONFIG[+redis|+geo][@2]: @2 runs Unbound with num-threads 2 (its ratio is
# to plain@2); the queries then reach one thread, and qsend waits until both
# are idle (with one query in flight). +geo: the GeoIP databases and the
# country rule (an inline lookup per MX host); only the rl_ scenarios run
# for it
read -ra IRCONFIGS <<<"${BENCH_IRCONFIGS:-plain log tag refuse log+redis log+geo refuse+geo plain@2 log@2 refuse@2}"
# the scenarios of the @2 configurations (the cached ones: their ratio is
# what the second thread changes)
read -ra SCENS2 <<<"${BENCH_SCENS2:-a_hit mx_hit_relay mix rl_mx_q8 rl_mx3_q1 rl_mx3_q8 rl_a_q8}"
# scens_of CONFIG: the scenarios run for it
scens_of() {
	local x
	case ${1%:qp} in
	*@2) for x in "${SCENS2[@]}"; do [[ " ${SCENS[*]} " == *" $x "* ]] && echo "$x"; done ;;
	*+geo) for x in "${SCENS[@]}"; do [[ $x == rl_* ]] && echo "$x"; done ;;
	*) printf '%s\n' "${SCENS[@]}" ;;
	esac
}

# idle_workers PID: wchan files of the threads of PID sleeping in epoll_wait
# (Unbound's workers once warm; the module's thread waits on a condition)
idle_workers() {
	local t out=""
	for t in /proc/"$1"/task/*; do
		grep -q epoll_wait "$t/wchan" 2>/dev/null && out="$out${out:+:}$t/wchan"
	done
	echo "$out"
}

# base_of CONFIG: the plain configuration its ratio is to
base_of() { case ${1%:qp} in *@2) echo plain@2 ;; *) echo plain ;; esac; }

# ir_run CONFIG SCENARIO REP: one callgrind run, instructions counted for the
# scenario's queries only (not the start, not the warm-up: their variation
# from run to run, divided by Q, was as large as the effects measured);
# prints "Ir completed"
ir_run() {
	local cfg=$1 scen=$2 rep=$3 d mode redis=$REDIS file passes src win
	local threads=1 idle geo=
	d=$MXG_T/ir/$cfg.$scen.$rep
	mode=${cfg%@2}
	[ "$mode" != "$cfg" ] && threads=2
	[ "${mode%+redis}" = "$mode" ] && redis=""	# Redis only for +redis
	mode=${mode%+redis}
	[ "${mode%+geo}" != "$mode" ] && geo=1
	mode=${mode%+geo}
	mkdir -p "$d"
	BENCH_GEO=$geo bench_instance "$d" "$mode" "$threads" "$redis"
	# with Redis, a file per thread: the event thread's apart from the
	# query path's
	local sep=
	[ -n "$redis" ] && sep=--separate-threads=yes
	# shellcheck disable=SC2086
	bench_start "$d" valgrind --tool=callgrind --instr-atstart=no $sep \
		--callgrind-out-file="$d/cg.out" || { echo "0 0 0"; return 1; }
	idle=/proc/$UB_PID/task/$UB_PID/wchan
	warm "$UB_PORT" "$idle"
	if [ "$threads" = 2 ]; then
		sleep 0.5
		idle=$(idle_workers "$UB_PID")
	fi
	local nans=0
	read -r file passes src win <<<"${SCEN[$scen]}"
	# with Redis, let the event thread send the warm-up's events first
	# (under valgrind that takes a few seconds), so that they are not
	# counted against the scenario's queries
	[ -n "$redis" ] && sleep "${BENCH_SETTLE:-5}"
	callgrind_control -i on "$UB_PID" >/dev/null 2>&1
	nans=$(QSEND_IDLE=$idle \
		"$MXG_T/qsend" 127.0.0.1 "$UB_PORT" "$DATA/$file" "$passes" "$src" "${win:-1}" |
		sed -n 's/.*answered=\([0-9]*\).*/\1/p')
	callgrind_control -i off "$UB_PID" >/dev/null 2>&1
	bench_stop "$UB_PID"
	# Ir of every thread, and of the threads but mxguard's event thread
	# (the one that takes events from the queue): the query path
	local f t tot=0 qp=0
	for f in "$d"/cg.out*; do
		t=$(awk '/^totals:/ {print $2; exit}' "$f")
		tot=$((tot + ${t:-0}))
		grep -q 'sink_pop_batch' "$f" || qp=$((qp + ${t:-0}))
		# keep the profile of one run per configuration for
		# callgrind_annotate
		[ "$rep" = 1 ] && cp "$f" "$RES/callgrind.$cfg.$scen${f#"$d"/cg.out}.out"
	done
	echo "$tot $nans $qp"
	[ -n "${MXG_KEEP:-}" ] || rm -f "$d"/cg.out*
}

SECTIONS=" ${BENCH_SECTIONS:-ir cache load redis flood} "
has() { [[ "$SECTIONS" == *" $1 "* ]]; }
has ir || IRCONFIGS=()
say "1. Ir per query: Q=$Q cached, $QMISS misses, configs ${IRCONFIGS[*]}"
for ((rep = 1; rep <= IRREPS; rep++)); do
	for cfg in "${IRCONFIGS[@]}"; do
		for scen in $(scens_of "$cfg"); do
			read -r ir n qp < <(ir_run "$cfg" "$scen" "$rep")
			if [ "${n:-0}" -gt 0 ] && [ "${ir:-0}" -gt 0 ]; then
				IR[$cfg.$scen.$rep]=$(awk -v a="$ir" -v n="$n" \
					'BEGIN {printf "%.0f", a / n}')
				IR[$cfg:qp.$scen.$rep]=$(awk -v a="$qp" -v n="$n" \
					'BEGIN {printf "%.0f", a / n}')
			else
				IR[$cfg.$scen.$rep]=0
				IR[$cfg:qp.$scen.$rep]=0
			fi
			say "  $cfg $scen rep $rep: ${IR[$cfg.$scen.$rep]} Ir/query ($n answered)"
		done
	done
done
# the configurations as reported: after each +redis one, its query path
# (CONFIG:qp, the threads but the event thread)
SHOWCONFIGS=()
for cfg in "${IRCONFIGS[@]}"; do
	SHOWCONFIGS+=("$cfg")
	[[ $cfg == *+redis* ]] && SHOWCONFIGS+=("$cfg:qp")
done
# the mean over repetitions; the spread in the TSV
for cfg in "${SHOWCONFIGS[@]}"; do
	for scen in $(scens_of "$cfg"); do
		vals=""
		for ((rep = 1; rep <= IRREPS; rep++)); do vals="$vals ${IR[$cfg.$scen.$rep]}"; done
		IR[$cfg.$scen]=$(echo "$vals" | awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.0f", s / NF}')
		IR[$cfg.$scen.spread]=$(echo "$vals" | awk '{mn = $1; mx = $1; for (i = 2; i <= NF; i++) {if ($i < mn) mn = $i; if ($i > mx) mx = $i}; printf "%s-%s", mn, mx}')
	done
done
for cfg in "${SHOWCONFIGS[@]}"; do
	for scen in $(scens_of "$cfg"); do
		tsv ir "$scen" "$cfg" ir_per_query "${IR[$cfg.$scen]}" \
			"$(ratio "${IR[$cfg.$scen]}" "${IR[$(base_of "$cfg").$scen]:-0}")"
		tsv ir "$scen" "$cfg" ir_per_query_range "${IR[$cfg.$scen.spread]}" ""
	done
done

# ---- 2. CPU per query under load ----
# load_run DIR SCENARIO THREADS-TAG: one fixed-rate dnsperf run pinned to
# cpu 1; prints "us_per_q us_per_q_ticks qps p50 p99 completed lost servfail"
load_run() {
	local d=$1 file=$2 src=${3:-127.0.0.1} pid port c0 c1 t0 t1 out
	pid=$(cat "$d/pid") port=$(cat "$d/port")
	out=$d/perf.$file.out
	c0=$(cpu_ns "$pid") t0=$(cpu_ticks "$pid")
	read -r nans lost noerr sf refused qps avg sd < <(PERF_OUT=$out PERF_PREFIX="taskset -c ${CLIENT_CPU:-1}" \
		perf "$port" "$DATA/$file" -a "$src" -Q "$RATE" -l "$SECS" -q 500 -t 5 -v)
	c1=$(cpu_ns "$pid") t1=$(cpu_ticks "$pid")
	read -r p50 p99 < <(latency_pct "$out")
	rm -f "$out"
	awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v n="$nans" -v q="$qps" \
		-v p50="$p50" -v p99="$p99" -v l="$lost" -v sf="$sf" 'BEGIN {
		printf "%.2f %.2f %.0f %s %s %d %d %d\n", n ? (c1 - c0) / n / 1000 : 0,
			n ? (t1 - t0) / n / 1000 : 0, q, p50, p99, n, l, sf}'
}

# minmax KEY-PREFIX FIELD: "min-max" of field FIELD over the reps in LOAD
minmax() {
	local k=$1 f=$2 r vals=""
	for ((r = 1; r <= REPS; r++)); do
		vals="$vals $(echo "${LOAD[$k.$r]}" | awk -v f="$f" '{print $f}')"
	done
	echo "$vals" | awk '{mn = $1; mx = $1; for (i = 2; i <= NF; i++) {if ($i + 0 < mn + 0) mn = $i; if ($i + 0 > mx + 0) mx = $i}
		if (mn == mx) print mn; else print mn "-" mx}'
}
# sumf KEY-PREFIX FIELD: the sum over reps (lost, SERVFAIL)
sumf() {
	local k=$1 f=$2 r s=0
	for ((r = 1; r <= REPS; r++)); do
		s=$((s + $(echo "${LOAD[$k.$r]}" | awk -v f="$f" '{print $f + 0}')))
	done
	echo $s
}

declare -A LOAD
LOADSCENS=(mx_hit mix a_hit)
start_load_set() {	# start_load_set THREADS CPUS: one instance per config
	local threads=$1 cpus=$2 cfg
	for cfg in "${CONFIGS[@]}"; do
		local d=$MXG_T/load$threads/$cfg
		mkdir -p "$d"
		bench_instance "$d" "$cfg" "$threads" "$REDIS"
		bench_start "$d" taskset -c "$cpus" || bail "unbound $cfg did not start"
		warm "$UB_PORT"
	done
}
stop_load_set() {
	local cfg
	for cfg in "${CONFIGS[@]}"; do bench_stop "$(cat "$MXG_T/load$1/$cfg/pid")"; done
}
if has load; then
say "2. load: $RATE qps for $SECS s, $REPS reps interleaved, 1 thread on cpu 0, dnsperf on cpu 1"
start_load_set 1 0
for ((rep = 1; rep <= REPS; rep++)); do
	for scen in "${LOADSCENS[@]}"; do
		for cfg in "${CONFIGS[@]}"; do
			LOAD[t1.$scen.$cfg.$rep]=$(load_run "$MXG_T/load1/$cfg" "$scen")
			say "  t1 $scen $cfg rep $rep: ${LOAD[t1.$scen.$cfg.$rep]}"
		done
	done
done
stop_load_set 1
say "2b. load with num-threads 2 on cpus 0-1 (shared with dnsperf)"
start_load_set 2 0,1
for ((rep = 1; rep <= REPS; rep++)); do
	for cfg in "${CONFIGS[@]}"; do
		LOAD[t2.mx_hit.$cfg.$rep]=$(CLIENT_CPU=0,1 load_run "$MXG_T/load2/$cfg" mx_hit)
		say "  t2 mx_hit $cfg rep $rep: ${LOAD[t2.mx_hit.$cfg.$rep]}"
	done
done
stop_load_set 2
for key in t1.mx_hit t1.mix t1.a_hit t2.mx_hit; do
	for cfg in "${CONFIGS[@]}"; do
		k=$key.$cfg
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" us_per_query "$(minmax "$k" 1)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" us_per_query_ticks "$(minmax "$k" 2)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" qps "$(minmax "$k" 3)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" p50_ms "$(minmax "$k" 4)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" p99_ms "$(minmax "$k" 5)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" lost "$(sumf "$k" 7)" ""
		tsv "load_${key%%.*}" "${key#*.}" "$cfg" servfail "$(sumf "$k" 8)" ""
	done
done

fi
# ---- 3. Redis up, stopped, down ----
if has redis; then
say "3. Redis up / SIGSTOPped / down, log mode, MX cache hits from the relay"
RD=$MXG_T/redis-states
mkdir -p "$RD/up" "$RD/down"
bench_instance "$RD/up" log 1 "$REDIS"
bench_start "$RD/up" taskset -c 0 || bail "unbound (redis up) did not start"
warm "$UB_PORT"
bench_instance "$RD/down" log 1 "127.0.0.1:$(free_port)"
bench_start "$RD/down" taskset -c 0 || bail "unbound (redis down) did not start"
warm "$UB_PORT"
for ((rep = 1; rep <= REPS; rep++)); do
	LOAD[redis.up.$rep]=$(load_run "$RD/up" mx_hit)
	kill -STOP "$REDIS_PID"
	LOAD[redis.stopped.$rep]=$(load_run "$RD/up" mx_hit)
	kill -CONT "$REDIS_PID"
	LOAD[redis.down.$rep]=$(load_run "$RD/down" mx_hit)
	say "  rep $rep: up ${LOAD[redis.up.$rep]} | stopped ${LOAD[redis.stopped.$rep]} | down ${LOAD[redis.down.$rep]}"
done
bench_stop "$(cat "$RD/up/pid")"
bench_stop "$(cat "$RD/down/pid")"
for st in up stopped down; do
	k=redis.$st
	tsv redis mx_hit "log-redis-$st" us_per_query "$(minmax "$k" 1)" ""
	tsv redis mx_hit "log-redis-$st" qps "$(minmax "$k" 3)" ""
	tsv redis mx_hit "log-redis-$st" p50_ms "$(minmax "$k" 4)" ""
	tsv redis mx_hit "log-redis-$st" p99_ms "$(minmax "$k" 5)" ""
	tsv redis mx_hit "log-redis-$st" lost "$(sumf "$k" 7)" ""
	tsv redis mx_hit "log-redis-$st" servfail "$(sumf "$k" 8)" ""
done

fi
# ---- 3b. the private answer cache: bytes per answer ----
# refuse mode keeps each MX answer in the module's cache (mx-cache-size);
# log mode has no such cache. The difference of the module's memory
# (mem.mod.dynlibmod) after the same answers, per answer, for answers of 1
# MX (2 addresses), 3 MX and 10 MX (20 addresses): CPU per lookup is in the
# Ir tables (refuse vs plain) and in tests/bench/profile.sh
if has cache; then
say "3b. answer cache: bytes per answer (1, 3 and 10 MX with A and AAAA)"
declare -A ACB
for w in 1 3 10; do
	awk -v n="$RLN" -v w="$w" 'BEGIN {for (i = w; i <= n; i += 10) print "rl" i ".test MX"}' >"$DATA/ac_$w"
	for cfg in log refuse; do
		d=$MXG_T/acache/$cfg.$w
		mkdir -p "$d"
		bench_instance "$d" "$cfg" 1 ""
		bench_start "$d" || bail "unbound $cfg (cache) did not start"
		"$MXG_T/qsend" 127.0.0.1 "$UB_PORT" "$DATA/ac_$w" 1 127.0.0.1 16 >/dev/null
		m0=$(ubctl "$d" stats_noreset 2>/dev/null | awk -F= '$1 == "mem.mod.dynlibmod" {print $2}')
		ACB[$cfg.$w]=${m0:-0}
		bench_stop "$UB_PID"
	done
	n=$(wc -l <"$DATA/ac_$w")
	ACB[$w]=$(awk -v a="${ACB[refuse.$w]}" -v b="${ACB[log.$w]}" -v n="$n" 'BEGIN {printf "%.0f", n ? (a - b) / n : 0}')
	ACB[n.$w]=$n
	tsv cache "mx$w" refuse bytes_per_answer "${ACB[$w]}" ""
	say "  $w MX: ${ACB[$w]} bytes per answer ($n answers)"
done
fi
# ---- 4. flood: distinct clients and names against max-memory ----
if has flood; then
say "4. flood: $FLOOD distinct clients x distinct MX names, max-memory 16m"
declare -A FL FLPARTS
for cfg in plain log refuse; do
	d=$MXG_T/flood/$cfg
	mkdir -p "$d"
	BENCH_LIMITS=default bench_instance "$d" "$cfg" 1 "$REDIS" 16m
	bench_start "$d" || bail "unbound $cfg (flood) did not start"
	warm "$UB_PORT"
	pid=$UB_PID
	rss0=$(mem_kb "$pid" VmRSS)
	c0=$(cpu_ns "$pid")
	fl=$("$MXG_T/floodq" 127.0.0.1 "$UB_PORT" "$FLOOD" 200 3000 f test)
	c1=$(cpu_ns "$pid")
	hwm=$(mem_kb "$pid" VmHWM) rss=$(mem_kb "$pid" VmRSS)
	FLPARTS[$cfg]="$(mem_parts "$pid")"
	cp "/proc/$pid/smaps" "$RES/smaps.flood.$cfg" 2>/dev/null
	modmem=$(ubctl "$d" stats_noreset 2>/dev/null | awk -F= '$1 == "mem.mod.dynlibmod" {print $2}')
	msgmem=$(ubctl "$d" stats_noreset 2>/dev/null | awk -F= '$1 == "mem.cache.message" {print $2}')
	ok=0; kill -0 "$pid" 2>/dev/null && ok=1
	answered=$(echo "$fl" | sed 's/.*answered=\([0-9]*\).*/\1/')
	FL[$cfg]="$rss0 $hwm $rss ${modmem:-0} ${msgmem:-0} $answered $(echo "$fl" | sed 's/.*lost=\([0-9]*\).*/\1/') $(echo "$fl" | sed 's/.*servfail=\([0-9]*\).*/\1/') $(echo "$fl" | sed 's/.*qps=\([0-9]*\).*/\1/') $(awk -v a="$c0" -v b="$c1" -v n="$answered" 'BEGIN {printf "%.1f", n ? (b - a) / n / 1000 : 0}') $ok"
	say "  $cfg: $fl; RSS ${rss0} -> HWM ${hwm} kB, module ${modmem:-?} B, alive $ok"
	bench_stop "$pid"
done
for cfg in plain log refuse; do
	read -r rss0 hwm rss modmem msgmem ans lost sf qps us alive <<<"${FL[$cfg]}"
	tsv flood distinct "$cfg" rss_start_kb "$rss0" ""
	read -r mh ma64 ma mf <<<"${FLPARTS[$cfg]}"
	tsv flood distinct "$cfg" rss_end_heap_kb "$mh" ""
	tsv flood distinct "$cfg" rss_end_thread_arenas_kb "$ma64" ""
	tsv flood distinct "$cfg" rss_end_other_anon_kb "$ma" ""
	tsv flood distinct "$cfg" rss_end_files_kb "$mf" ""
	tsv flood distinct "$cfg" vmhwm_kb "$hwm" "$(ratio "$hwm" "$(echo "${FL[plain]}" | awk '{print $2}')")"
	tsv flood distinct "$cfg" rss_end_kb "$rss" ""
	tsv flood distinct "$cfg" module_mem_bytes "$modmem" ""
	tsv flood distinct "$cfg" answered "$ans" ""
	tsv flood distinct "$cfg" lost "$lost" ""
	tsv flood distinct "$cfg" servfail "$sf" ""
	tsv flood distinct "$cfg" qps "$qps" ""
	tsv flood distinct "$cfg" us_per_query "$us" ""
	tsv flood distinct "$cfg" alive "$alive" ""
done

fi
# ---- the report ----
T1=$(date +%s)
{
echo "# mxguard benchmark $(basename "$RES")"
echo
echo '```'
cat "$RES/box.txt"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run time: $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s$([ "$QUICK" = 1 ] && echo ' (--quick)')"
echo '```'
echo
if has ir; then
echo "## Instructions per answered query (callgrind, 1 thread)"
echo
echo "Q = $Q cached queries ($NAMES names), $QMISS misses; rl_: $RLQ queries over $RLN names; mean of $IRREPS run(s);"
echo "ratio to plain Unbound of the same run (@2: num-threads 2, ratio to"
echo "plain@2). No Redis except +redis: the whole process (the event thread"
echo "writes every event to Redis), and +redis:qp its query path (every"
echo "thread but the event thread)."
echo
printf '| scenario |'; for c in "${SHOWCONFIGS[@]}"; do
	case $c in plain|plain@2) printf ' %s |' "$c" ;; *) printf ' %s | ratio |' "$c" ;; esac; done; echo
printf '|---|'; for c in "${SHOWCONFIGS[@]}"; do
	case $c in plain|plain@2) printf -- '---:|' ;; *) printf -- '---:|---:|' ;; esac; done; echo
for scen in "${SCENS[@]}"; do
	printf '| %s |' "$scen"
	for c in "${SHOWCONFIGS[@]}"; do
		case $c in
		plain|plain@2) printf ' %s |' "${IR[$c.$scen]:--}" ;;
		*) if [ -n "${IR[$c.$scen]:-}" ]; then
			printf ' %s | %s× |' "${IR[$c.$scen]}" \
				"$(ratio "${IR[$c.$scen]}" "${IR[$(base_of "$c").$scen]:-0}")"
		else printf ' - | - |'; fi ;;
		esac
	done
	echo
done
echo
fi
if has load; then
echo "## Server CPU per answered query under load (1 thread, cpu 0; dnsperf on cpu 1)"
echo
echo "$RATE qps for $SECS s per run, $REPS interleaved repetitions (min-max);"
echo "µs/q from /proc/PID/task/*/schedstat; latency percentiles from dnsperf -v."
echo
echo "| scenario | config | µs/query | QPS | p50 ms | p99 ms | lost | SERVFAIL |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for key in t1.mx_hit t1.mix t1.a_hit t2.mx_hit; do
	for cfg in "${CONFIGS[@]}"; do
		k=$key.$cfg
		echo "| ${key#*.}$([ "${key%%.*}" = t2 ] && echo ' (2 threads)') | $cfg | $(minmax "$k" 1) | $(minmax "$k" 3) | $(minmax "$k" 4) | $(minmax "$k" 5) | $(sumf "$k" 7) | $(sumf "$k" 8) |"
	done
done
echo
fi
if has redis; then
echo "## Redis up, SIGSTOPped, down (log mode, MX cache hits from the relay)"
echo
echo "| Redis | µs/query | QPS | p50 ms | p99 ms | lost | SERVFAIL |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for st in up stopped down; do
	k=redis.$st
	echo "| $st | $(minmax "$k" 1) | $(minmax "$k" 3) | $(minmax "$k" 4) | $(minmax "$k" 5) | $(sumf "$k" 7) | $(sumf "$k" 8) |"
done
echo
fi
if has cache; then
echo "## Private answer cache (refuse mode): bytes per answer"
echo
echo "| answer | answers | bytes per answer | answers in the default mx-cache-size (16m) |"
echo "|---|---:|---:|---:|"
for w in 1 3 10; do
	echo "| $w MX + $((2 * w)) A/AAAA | ${ACB[n.$w]} | ${ACB[$w]} | $(awk -v b="${ACB[$w]}" 'BEGIN {printf "%d", (b > 0) ? 16777216 / b : 0}') |"
done
echo
fi
if has flood; then
echo "## Flood: $FLOOD distinct clients asking $FLOOD distinct MX names, max-memory 16m"
echo
echo "| config | RSS before kB | peak RSS (VmHWM) kB | ratio | module mem (stats) | answered | lost | SERVFAIL | QPS | µs/query | alive |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for cfg in plain log refuse; do
	read -r rss0 hwm rss modmem msgmem ans lost sf qps us alive <<<"${FL[$cfg]}"
	echo "| $cfg | $rss0 | $hwm | $(ratio "$hwm" "$(echo "${FL[plain]}" | awk '{print $2}')")× | $(awk -v m="$modmem" 'BEGIN {printf "%.1f MiB", m / 1048576}') | $ans | $lost | $sf | $qps | $us | $([ "$alive" = 1 ] && echo yes || echo NO) |"
done
echo
echo "Where the resident memory is at the end of the flood (kB, /proc/PID/smaps):"
echo "the main malloc arena, the malloc arenas of other threads (mxguard's"
echo "event thread), other anonymous memory (large blocks such as the event"
echo "ring, thread stacks) and mapped files."
echo
echo "| config | RSS at end | main arena | thread arenas | other anonymous | files |"
echo "|---|---:|---:|---:|---:|---:|"
for cfg in plain log refuse; do
	read -r rss0 hwm rss _ <<<"${FL[$cfg]}"
	read -r mh ma64 ma mf <<<"${FLPARTS[$cfg]}"
	echo "| $cfg | $rss | $mh | $ma64 | $ma | $mf |"
done
fi
} >"$MD"
cat "$MD"
say "done in $(( (T1 - T0) / 60 )) min: $MD and $TSV"

# tests/bench/lib.sh - helpers of the benchmark suite (sourced by run.sh).
#
# Builds on tests/integration/lib.sh (private NSD, Redis and Unbound on
# loopback, free ports, stopped by PID). Adds: the bench zone, mxguard.conf
# per mode, starting Unbound under a wrapper (valgrind, taskset), stopping it
# so that cachegrind writes its totals, dnsperf runs parsed into fields, and
# per-process CPU and memory readings from /proc.

. "$MXG_SRCDIR/tests/integration/lib.sh"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# rl_stream N TYPE [MAXMX]: the resolver-like query stream ("name type
# source" lines for qsend.c) of the names rl1..rlN.test in a scattered
# order, each query from one of 10 clients: 6 relays (127.0.0.1,
# 127.0.2.1-5) and 4 other clients (127.0.3.1-4); with MAXMX only the names
# of at most that many MX (the narrow answers: rlN.test has 1 + (N-1) % 10)
rl_stream() {
	awk -v n="$1" -v t="$2" -v w="${3:-10}" 'BEGIN {
		j = 0
		for (i = 0; i < n; i++) {
			name = i * 7919 % n + 1
			if ((name - 1) % 10 + 1 > w)
				continue
			c = j++ % 10
			src = c == 0 ? "127.0.0.1" : (c < 6 ? "127.0.2." c : "127.0.3." (c - 5))
			print "rl" name ".test " t " " src
		}}'
}

# bench_zone OUT COMPANIES [RL_NAMES]: the test zone plus a wildcard MX for
# the flood (every fN.test that is not in the zone gets "MX 10
# mx.flood.test.") and RL_NAMES resolver-like names rlN.test: 1 + (N-1) % 10
# MX each, every exchange (mxK.rlN.test, in the zone, so NSD puts them in the
# additional section) with an A and an AAAA record, and an A for rlN.test
bench_zone() {
	bash "$MXG_SRCDIR/contrib/make-zone.sh" "$1" "$2" >/dev/null
	cat >>"$1" <<'ZONE'
*.test.		IN MX 10 mx.flood.test.
mx.flood.test.	IN A 192.0.2.25
ZONE
	awk -v n="${3:-0}" 'BEGIN {
		split("81.2.69.142 216.160.83.56 89.160.20.113 67.43.156.1 202.196.224.1", a4, " ")
		split("2001:218::25 2001:250::25 2a02:d0c0::25", a6, " ")
		for (i = 1; i <= n; i++) {
			printf "rl%d.test. IN A 192.0.2.%d\n", i, 1 + i % 250
			for (k = 1; k <= 1 + (i - 1) % 10; k++) {
				printf "rl%d.test. IN MX %d mx%d.rl%d.test.\n", i, k * 10, k, i
				printf "mx%d.rl%d.test. IN A %s\n", k, i, a4[1 + (i + k) % 5]
				printf "mx%d.rl%d.test. IN AAAA %s\n", k, i, a6[1 + (i + k) % 3]
			}
		}}' >>"$1"
}

# bench_nsd ZONE: lib.sh start_nsd, restarted without response rate limiting
# (NSD's default rrl-ratelimit of 200 qps per source /24 would truncate and
# drop the misses of a flood: every upstream query comes from 127.0.0.1)
bench_nsd() {
	start_nsd "$1"
	stop_pid "$NSD_PID"
	sed -i 's/^server:$/server:\n\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0/' \
		"$MXG_T/nsd/nsd.conf"
	"$(command -v nsd || echo /usr/sbin/nsd)" -d -c "$MXG_T/nsd/nsd.conf" \
		>"$MXG_T/nsd/nsd.out" 2>&1 &
	NSD_PID=$!
	MXG_PIDS+=("$NSD_PID")
	wait_dns "$NSD_ADDR" "$NSD_PORT" "." SOA || bail "nsd did not restart"
}

# mxg_conf FILE MODE [REDIS(host:port|"")] [MAX_MEMORY]: the mxguard.conf
# of every configuration. The relays are 127.0.0.1 (dnsperf's source) and
# 127.0.2.0/29 (the resolver-like workloads); other 127/8 sources are
# non-relay clients, with volume and fanout limits raised
# so that a steady-state client stays below them (BENCH_LIMITS=default keeps
# the defaults: the flood, where each client makes one lookup).
mxg_conf() {
	local file=$1 mode=$2 redis=${3:-} mem=${4:-64m}
	{
	echo "mode: $mode"
	echo "relay: 127.0.0.1"
	echo "relay: 127.0.2.0/29"
	if [ -n "${BENCH_GEO:-}" ]; then
		# the country rule on (an inline GeoIP lookup per MX host; KP
		# is in no answer) and the ASN database for the events
		echo "geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb"
		echo "geoip-asn: $MXG_SRCDIR/tests/data/geoip/GeoLite2-ASN-Test.mmdb"
		echo "deny-country: KP"
	fi
	if [ "${BENCH_LIMITS:-raised}" = raised ]; then
		echo "volume-limit: 1000000"
		echo "fanout-limit: 1000000"
	fi
	echo "max-memory: $mem"
	echo "log-file: $(dirname "$file")/mxguard.json"
	[ -n "$redis" ] && echo "redis-server: $redis"
	echo "instance: bench"
	} >"$file"
}

# bench_instance DIR MODE THREADS [REDIS] [MAX_MEMORY]: unbound.conf (lib.sh
# write_unbound_conf: the same for all, "validator iterator" for plain) and
# mxguard.conf. MODE plain means no module. Sets UB_PORT, UB_CPORT.
bench_instance() {
	local dir=$1 mode=$2 threads=$3 redis=${4:-} mem=${5:-64m}
	if [ "$mode" = plain ]; then
		write_unbound_conf "$dir" "$threads" no
	else
		write_unbound_conf "$dir" "$threads" yes
		mxg_conf "$dir/mxguard.conf" "$mode" "$redis" "$mem"
	fi
	echo "$UB_PORT" >"$dir/port"
	echo "$UB_CPORT" >"$dir/cport"
}

# bench_start DIR [WRAPPER...]: start unbound of DIR under WRAPPER (e.g.
# valgrind ... or taskset -c 0); the wrapper execs unbound, so the PID is
# unbound's. Sets UB_PID (also written to DIR/pid) and UB_PORT.
bench_start() {
	local dir=$1 i; shift
	UB_PORT=$(cat "$dir/port")
	MXGUARD_CONF="$dir/mxguard.conf" "$@" "$UNBOUND" -d -c "$dir/unbound.conf" \
		>"$dir/unbound.out" 2>&1 &
	UB_PID=$!
	MXG_PIDS+=("$UB_PID")
	echo "$UB_PID" >"$dir/pid"
	for ((i = 0; i < 600; i++)); do
		dig +time=2 +tries=1 -p "$UB_PORT" @127.0.0.1 version.bind TXT -c CH \
			>/dev/null 2>&1 && return 0
		kill -0 "$UB_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$dir/unbound.out" "$dir/unbound.log" >&2 2>/dev/null
	return 1
}

# bench_stop PID: stop_pid with up to 120 s (valgrind writes its totals at
# exit)
bench_stop() { stop_pid "$1" 120; }

# perf PORT DATAFILE [dnsperf args...]: run dnsperf against 127.0.0.1:PORT;
# prints "completed lost noerror servfail refused qps avg_ms sd_ms" and keeps
# the full output in $PERF_OUT (set it to a file). With -v in the args the
# per-query lines go to $PERF_OUT too (percentiles: see latency_pct).
perf() {
	local port=$1 data=$2; shift 2
	local out=${PERF_OUT:-$MXG_T/perf.out}
	${PERF_PREFIX:-} dnsperf -s 127.0.0.1 -p "$port" -d "$data" -t 30 "$@" >"$out" 2>&1
	awk '
		/Queries completed:/ {c = $3}
		/Queries lost:/ {l = $3}
		/Response codes:/ {
			for (i = 3; i <= NF; i += 3) {
				code = $i; n = $(i + 1); sub(/,$/, "", n); rc[code] = n
			}
		}
		/Queries per second:/ {q = $4}
		/Average Latency/ {a = $4 * 1000}
		/Latency StdDev/ {s = $4 * 1000}
		END {printf "%d %d %d %d %d %.0f %.3f %.3f\n", c, l, rc["NOERROR"] + 0,
			rc["SERVFAIL"] + 0, rc["REFUSED"] + 0, q, a, s}' "$out"
}

# latency_pct FILE: "p50_ms p99_ms" from dnsperf -v lines "> RCODE name type secs"
latency_pct() {
	awk '$1 == ">" {print $NF * 1000}' "$1" | sort -n | awk '
		{v[NR] = $1}
		END {
			if (NR == 0) {print "- -"; exit}
			i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
			i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
			printf "%.3f %.3f\n", v[i50], v[i99]
		}'
}

# cpu_ns PID: CPU time of all threads of PID in ns (sum of
# /proc/PID/task/*/schedstat; falls back to utime+stime of /proc/PID/stat)
cpu_ns() {
	local pid=$1
	if [ -r "/proc/$pid/schedstat" ]; then
		cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
	else
		awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f\n", ($14 + $15) * 1e9 / hz}' \
			"/proc/$pid/stat"
	fi
}

# cpu_ticks PID: utime+stime of /proc/PID/stat in ns (10 ms resolution)
cpu_ticks() {
	awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e9 / hz}' "/proc/$1/stat"
}

# mem_kb PID FIELD: VmHWM, VmRSS ... in kB
mem_kb() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

# mem_parts PID: resident kB of the process by kind of mapping, from
# /proc/PID/smaps: "heap arenas anon file" = the main malloc arena ([heap]),
# the malloc arenas of other threads (anonymous mappings that start on a
# 64 MiB boundary, glibc's HEAP_MAX_SIZE), other anonymous mappings (large
# malloc blocks such as the event ring, thread stacks) and file mappings
# (binaries, libraries, the GeoIP databases).
mem_parts() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / {
		name = $6
		split($1, r, "-")
		arena = (name == "" && substr(r[1], length(r[1]) - 6) ~ /^[048c]000000$/)
		next
	}
	$1 == "Size:" {
		if (name == "[heap]") kind = "heap"
		else if (arena) kind = "arenas"
		else if (name == "" || name ~ /^\[(stack|anon)/) kind = "anon"
		else kind = "file"
	}
	$1 == "Rss:" {k[kind] += $2}
	END {printf "%d %d %d %d\n", k["heap"], k["arenas"], k["anon"], k["file"]}' "/proc/$1/smaps"
}

# cg_total FILE: total Ir of a cachegrind output file
cg_total() {
	awk '/^summary:/ {print $2}' "$1"
}

# ratio A B: A/B with 3 decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f\n", a / b; else print "-"}'
}

# box: a description of the machine, one "key: value" per line
box() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc: $(nproc)"
	echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "kernel: $(uname -sr)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "unbound: $("$UNBOUND" -V 2>/dev/null | awk '/^Version/ {print $2; exit}') ($UNBOUND)"
	echo "dnsperf: $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}')"
	echo "valgrind: $(valgrind --version 2>/dev/null)"
	echo "mxguard: $(git -C "$MXG_SRCDIR" describe --always --dirty 2>/dev/null || echo '?'), module $MXG_MODULE"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the box skews the µs and latency figures, not the Ir counts)"
}

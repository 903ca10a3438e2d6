# tests/integration/lib.sh - start and stop private servers for the tests.
#
# Sourced by the integration tests and by contrib/demo.sh. Every server
# listens on loopback only, on a free port, runs in a private directory
# under $MXG_T, and is stopped by its PID (never by name). Output is TAP.
#
# Needs: UNBOUND_DIR (configured Unbound tree with its built binaries) and
# MXG_BUILDDIR (where module/.libs/mxguard.so is). make check exports them.

MXG_T=${MXG_T:-}
MXG_PIDS=()
TAP_N=0
TAP_FAIL=0

# ---- TAP ----
ok() {	# ok CONDITION-EXIT-CODE DESCRIPTION
	local rc=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}
check() {	# check DESCRIPTION -- COMMAND...: ok if COMMAND succeeds
	local desc=$1; shift; [ "$1" = "--" ] && shift
	"$@" >/dev/null 2>&1
	ok $? "$desc"
}
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAIL" -eq 0 ]; }

# ---- setup and teardown ----
# mxg_setup [COMMAND...]: the private directory $MXG_T and the paths of the
# build (UNBOUND, MXG_MODULE, REPORT for mxguard-report); the whole test is
# skipped when one of the COMMANDs is not installed
mxg_setup() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip_all "$c is not installed"
	done
	: "${UNBOUND_DIR:?UNBOUND_DIR is not set (run through make check)}"
	: "${MXG_BUILDDIR:?MXG_BUILDDIR is not set (run through make check)}"
	MXG_SRCDIR=${MXG_SRCDIR:-$MXG_BUILDDIR}
	MXG_MODULE=$MXG_BUILDDIR/module/.libs/mxguard.so
	REPORT=$MXG_BUILDDIR/tools/mxguard-report
	UNBOUND=$UNBOUND_DIR/unbound
	UNBOUND_CONTROL=$UNBOUND_DIR/unbound-control
	[ -x "$UNBOUND" ] || bail "no unbound binary at $UNBOUND"
	[ -f "$MXG_MODULE" ] || bail "module not built: $MXG_MODULE"
	MXG_T=$(mktemp -d /tmp/mxg-test.XXXXXX)
	chmod 755 "$MXG_T"
	trap mxg_teardown EXIT
}

mxg_teardown() {
	local i pid
	set +e	# a caller's errexit must not stop the cleanup half way
	for ((i = ${#MXG_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${MXG_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null && wait_gone "$pid" 10
		kill -KILL "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	MXG_PIDS=()
	if [ -n "$MXG_T" ] && [ -z "${MXG_KEEP:-}" ]; then
		rm -rf "$MXG_T"
	fi
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds,
# for at most SECONDS (whole); the status is COMMAND's last. The tests wait
# on a condition this way, never for a fixed time.
wait_until() {
	local i n=$(( $1 * 10 ))
	shift
	for ((i = 1; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# gone PID: has the process exited?
gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_gone PID SECONDS: wait until the process has exited
wait_gone() { wait_until "$2" gone "$1"; }

# stop_pid PID [SECONDS]: stop one server we started, by its PID: SIGTERM,
# and SIGKILL if it has not exited after SECONDS (default 10). Removes PID
# from MXG_PIDS.
stop_pid() {
	local pid=$1 i
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" "${2:-10}" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for i in "${!MXG_PIDS[@]}"; do
		[ "${MXG_PIDS[$i]}" = "$pid" ] && unset 'MXG_PIDS[i]'
	done
	MXG_PIDS=("${MXG_PIDS[@]}")
	return 0
}

# free_port: a TCP and UDP port nobody listens on (from /proc/net)
free_port() {
	local p hex
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		hex=$(printf ':%04X ' "$p")
		if ! cat /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 \
			2>/dev/null | awk '{print $2}' | grep -q "${hex% }$"; then
			echo "$p"
			return
		fi
	done
}

# have_ipv6: ::1 is configured on loopback
have_ipv6() {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# start_zone COMPANIES: the test zone of contrib/make-zone.sh with that many
# companyN.test domains, in $MXG_T/root.zone, served by NSD (start_nsd)
start_zone() {
	bash "$MXG_SRCDIR/contrib/make-zone.sh" "$MXG_T/root.zone" "$1"
	start_nsd "$MXG_T/root.zone"
}

# ---- the authoritative server: NSD serving one root zone ----
# start_nsd ZONEFILE: sets NSD_ADDR, NSD_PORT, NSD_PID.
# NSD listens on port 53 of a random 127.x.y.z, so that Unbound's root-hints
# (which cannot name a port) and its stub-zone "." both point at it. If some
# server already listens on port 53 of every address, it uses 127.0.0.1 and a
# free port, and the Unbound config gets only the stub-zone (NSD_HINTS=no).
start_nsd() {
	local zone=$1 dir=$MXG_T/nsd nsd
	nsd=$(command -v nsd || echo /usr/sbin/nsd)
	[ -x "$nsd" ] || bail "nsd is not installed"
	mkdir -p "$dir"
	if awk '{print $2}' /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q '^00000000:0035$'; then
		NSD_ADDR=127.0.0.1; NSD_PORT=$(free_port); NSD_HINTS=no
	else
		NSD_ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
		NSD_PORT=53; NSD_HINTS=yes
	fi
	# the root's glue must point at this NSD
	sed "s/^ns\.root\.test\.\([[:space:]].*\)IN A .*/ns.root.test.\1IN A $NSD_ADDR/" \
		"$zone" >"$dir/root.zone"
	cat >"$dir/nsd.conf" <<NSDCONF
server:
	ip-address: $NSD_ADDR@$NSD_PORT
	do-ip6: no
	port: $NSD_PORT
	username: ""
	chroot: ""
	zonesdir: "$dir"
	database: ""
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	pidfile: "$dir/nsd.pid"
	logfile: "$dir/nsd.log"
	server-count: 1
	tcp-count: 64
	verbosity: 1
	hide-version: yes
	refuse-any: no
	round-robin: no
	minimal-responses: no
remote-control:
	control-enable: yes
	control-interface: "$dir/nsd.ctl"
zone:
	name: "."
	zonefile: "$dir/root.zone"
NSDCONF
	"$nsd" -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 &
	NSD_PID=$!
	MXG_PIDS+=("$NSD_PID")
	wait_dns "$NSD_ADDR" "$NSD_PORT" "." SOA || {
		cat "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null | sed 's/^/# /'
		bail "nsd did not start"
	}
}

# nsd_count TYPE: queries of TYPE NSD has answered so far (num.type.TYPE)
nsd_count() {
	nsd-control -c "$MXG_T/nsd/nsd.conf" stats_noreset 2>/dev/null |
		awk -F= -v k="num.type.$1" '$1 == k {print $2; f=1} END {if (!f) print 0}'
}

# wait_dns ADDR PORT NAME TYPE [dig options]: wait until a server answers
# (DNS_WAIT seconds, default 10)
wait_dns() {
	local i
	for ((i = 0; i < ${DNS_WAIT:-10} * 10; i++)); do
		dig +time=1 +tries=1 -p "$2" @"$1" "$3" "$4" "${@:5}" >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	return 1
}

# ---- Redis ----
# start_redis [extra redis-server args]: sets REDIS_PORT, REDIS_PID
start_redis() {
	local dir=$MXG_T/redis
	command -v redis-server >/dev/null || bail "redis-server is not installed"
	mkdir -p "$dir"
	REDIS_PORT=${REDIS_PORT:-$(free_port)}
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' \
		--appendonly no --dir "$dir" --daemonize no \
		--logfile "$dir/redis.log" "$@" &
	REDIS_PID=$!
	MXG_PIDS+=("$REDIS_PID")
	local i
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -Eq 'PONG|NOAUTH' && return 0
		sleep 0.1
	done
	bail "redis-server did not start"
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# ---- Unbound with mxguard ----
# write_unbound_conf DIR [THREADS] [WITH_MODULE yes|no]: sets UB_PORT, UB_CPORT
write_unbound_conf() {
	local dir=$1 threads=${2:-1} withmod=${3:-yes} v6=""
	mkdir -p "$dir"
	UB_PORT=$(free_port)
	UB_CPORT=$(free_port)
	have_ipv6 && v6="	interface: ::1@$UB_PORT
	access-control: ::1 allow"
	local hints=""
	if [ "${NSD_HINTS:-no}" = yes ]; then
		cat >"$dir/root.hints" <<HINTS
.			3600000	NS	ns.root.test.
ns.root.test.		3600000	A	$NSD_ADDR
HINTS
		hints="	root-hints: \"$dir/root.hints\""
	fi
	{
	cat <<UBCONF
server:
	verbosity: ${UB_VERBOSITY:-1}
	interface: 127.0.0.1@$UB_PORT
$v6
	port: $UB_PORT
	access-control: 127.0.0.0/8 allow
	do-ip6: yes
	prefer-ip6: no
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	logfile: "$dir/unbound.log"
	use-syslog: no
	log-time-ascii: yes
	num-threads: $threads
	so-reuseport: no
	outgoing-interface: 127.0.0.1
	outgoing-range: 64
	num-queries-per-thread: 512
	qname-minimisation: no
	do-not-query-localhost: no
$hints
	harden-referral-path: no
	minimal-responses: no
	prefetch: no
	ede: yes
	val-log-level: 0
	extended-statistics: yes
	local-zone: "test." nodefault
UBCONF
	if [ "$withmod" = yes ]; then
		echo '	module-config: "dynlib validator iterator"'
		echo "dynlib:"
		echo "	dynlib-file: \"$MXG_MODULE\""
	else
		echo '	module-config: "validator iterator"'
	fi
	cat <<UBCONF
stub-zone:
	name: "."
	stub-addr: $NSD_ADDR@$NSD_PORT
remote-control:
	control-enable: yes
	control-interface: 127.0.0.1
	control-port: $UB_CPORT
	control-use-cert: no
UBCONF
	} >"$dir/unbound.conf"
}

# resolver_dir NAME [THREADS]: the directory of a test resolver, D=$MXG_T/NAME,
# with its unbound.conf (write_unbound_conf: sets UB_PORT, UB_CPORT), and
# J=$D/mxguard.json, where mxguard_conf puts the JSON log
resolver_dir() {
	D=$MXG_T/$1
	J=$D/mxguard.json
	write_unbound_conf "$D" "${2:-1}"
}

# mxguard_conf DIR MODE [INSTANCE]: DIR/mxguard.conf of a test resolver:
# MODE, the relay 127.0.0.2, the JSON log in DIR/mxguard.json, with INSTANCE
# the Redis of start_redis (prefix t:) as that instance, then the lines on
# stdin
mxguard_conf() {
	{
		printf 'mode: %s\nrelay: 127.0.0.2\nlog-file: %s/mxguard.json\n' \
			"$2" "$1"
		[ -z "${3:-}" ] || printf 'redis-server: 127.0.0.1:%s\nredis-prefix: t:\ninstance: %s\n' \
			"$REDIS_PORT" "$3"
		cat
	} >"$1/mxguard.conf"
}

# start_unbound DIR: run unbound -d with $dir/unbound.conf and
# MXGUARD_CONF=$dir/mxguard.conf; sets UB_PID
start_unbound() {
	local dir=$1
	# MXG_UNBOUND_PRELOAD: the sanitizer runtime, when the module is built
	# with --enable-sanitizers (Unbound itself is not)
	MXGUARD_CONF="$dir/mxguard.conf" LD_PRELOAD="${MXG_UNBOUND_PRELOAD:-}" \
		"$UNBOUND" -d -c "$dir/unbound.conf" >"$dir/unbound.out" 2>&1 &
	UB_PID=$!
	MXG_PIDS+=("$UB_PID")
	wait_dns 127.0.0.1 "$UB_PORT" version.bind TXT -c CH || {
		sed 's/^/# /' "$dir/unbound.out" "$dir/unbound.log" 2>/dev/null | tail -20
		return 1
	}
}

# ubctl DIR ARGS...: unbound-control for the instance in DIR
ubctl() {
	local dir=$1; shift
	"$UNBOUND_CONTROL" -c "$dir/unbound.conf" "$@"
}

# q [dig args...]: query the test Unbound (127.0.0.1 unless -b says where from)
q() {
	dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 "$@"
}

# wait_for FILE PATTERN [SECONDS]: wait until grep finds PATTERN in FILE
wait_for() { wait_until "${3:-5}" grep -qs -- "$2" "$1"; }

# reload DIR [SECONDS]: unbound-control reload, then wait until the daemon
# answers unbound-control again (it does once the reload, the modules' init
# included, is over); fails if it does not within SECONDS (10)
reload() {
	ubctl "$1" reload >/dev/null 2>&1 &&
		wait_until "${2:-10}" ubctl "$1" status >/dev/null 2>&1
}

# log_settled FILE CLIENT NAME: an MX lookup of NAME by CLIENT (a client
# whose lookups get a line), then wait until its line is in the JSON log
# FILE. The lines of the lookups answered before it are in FILE then too:
# the module queues an event before the answer goes out, and the log thread
# writes them in order. For checks that a line is not there; bails out if
# the line does not come within 10 s.
log_settled() {
	dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$2" "$3" MX +noall \
		>/dev/null 2>&1
	wait_for "$1" "\"SrcIpAddr\":\"${2//./\\.}\"" 10 ||
		bail "no line of $2 ($3) in $1 within 10 s"
}

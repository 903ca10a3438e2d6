#!/usr/bin/env bash
# tests/integration/test_hardening.sh - what a hostile Redis, a local user
# or another client can do, and the bounds that hold (docs/security.md):
# the Redis password is not in mxguard-report's argument list, terminal
# control bytes stored in Redis are shown as \xHH, instances reads are
# bounded.
. "$(dirname "$0")/lib.sh"
mxg_setup
command -v redis-server >/dev/null || skip_all "redis-server is not installed"
REPORT=$MXG_BUILDDIR/tools/mxguard-report
start_redis
bash "$MXG_SRCDIR/contrib/make-zone.sh" "$MXG_T/root.zone" 20
start_nsd "$MXG_T/root.zone"
# the report tool reads the server and prefix from a config file (its
# command line flags for them are the operator's, not this test's business)
RCONF=$MXG_T/report.conf
printf 'redis-server: 127.0.0.1:%s\nredis-prefix: t:\n' "$REDIS_PORT" >"$RCONF"
report() { "$REPORT" -c "$RCONF" "$@"; }

# ---- -a PASSWORD is not visible in the process list ----
# Redis paused: the tool waits for the AUTH reply while we read its argv
kill -STOP "$REDIS_PID"
printf 'redis-timeout: 3s\n' >>"$MXG_T/slow.conf"
cat "$RCONF" >>"$MXG_T/slow.conf"
"$REPORT" -c "$MXG_T/slow.conf" -a 's3cr3t-pw' top-clients >/dev/null 2>&1 &
rp=$!
found=2	# 2: could not look (a failure too)
for ((i = 0; i < 40; i++)); do
	sleep 0.05
	[ -r "/proc/$rp/cmdline" ] || break
	tr '\0' ' ' <"/proc/$rp/cmdline" | grep -q 'top-clients' || continue
	diag "argv: $(tr '\0' ' ' <"/proc/$rp/cmdline")"
	tr '\0' ' ' <"/proc/$rp/cmdline" | grep -q 's3cr3t-pw'; found=$?
	break
done
kill "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
kill -CONT "$REDIS_PID"
[ "$found" -eq 1 ]
ok $? "mxguard-report -a: the password is overwritten in /proc/PID/cmdline"

# ---- an IPv4-mapped client is the IPv4 client ----
rcli HSET 't:{c:10.0.0.42}:h' count 7 >/dev/null
out=$(report client ::ffff:10.0.0.42 2>&1)
echo "$out" | grep -Eq 'lookups +7'
ok $? "mxguard-report client ::ffff:10.0.0.42 reads the client 10.0.0.42"
out=$(report client ::ffff:10.0.0.0/120 2>&1)
echo "$out" | grep -q '10.0.0.0/24'
ok $? "mxguard-report client ::ffff:10.0.0.0/120 is 10.0.0.0/24"

# ---- an allocation failing at reload does not stop Unbound ----
D=$MXG_T/alloc
write_unbound_conf "$D"
printf 'mode: log\nrelay: 127.0.0.2\n' >"$D/mxguard.conf"
${CC:-cc} -shared -fPIC -o "$MXG_T/failcalloc.so" \
	"$MXG_SRCDIR/tests/integration/failcalloc.c" -ldl ||
	bail "cannot build failcalloc.so"
export MXG_FAILCALLOC_FILE=$MXG_T/failcalloc.on
MXG_UNBOUND_PRELOAD="$MXG_T/failcalloc.so${MXG_UNBOUND_PRELOAD:+ $MXG_UNBOUND_PRELOAD}" \
	start_unbound "$D"
ok $? "unbound starts with mxguard (and the calloc shim)"
touch "$MXG_FAILCALLOC_FILE"
ubctl "$D" reload >/dev/null 2>&1
sleep 0.5
kill -0 "$UB_PID" 2>/dev/null && q mx.test MX | grep -q "status: NOERROR"
ok $? "calloc failing in init at reload: Unbound keeps answering"
grep -q "pass-through" "$D/unbound.log"
ok $? "and says it runs in pass-through mode"
rm -f "$MXG_FAILCALLOC_FILE"
ubctl "$D" reload >/dev/null 2>&1
wait_for "$D/unbound.log" "started: config" 5 &&
	kill -0 "$UB_PID" 2>/dev/null && q mx.test MX | grep -q "status: NOERROR"
ok $? "the next reload starts the module again"

done_testing

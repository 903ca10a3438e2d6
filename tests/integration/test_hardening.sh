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

done_testing

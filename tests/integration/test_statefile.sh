#!/usr/bin/env bash
# tests/integration/test_statefile.sh - without Redis, state-file: keeps the
# blocks the rules started across unbound-control reload and a restart
# (counters start again, the block stays until its end).
. "$(dirname "$0")/lib.sh"
mxg_setup
start_zone 10
resolver_dir s
mkdir -p "$D/state"
cat >"$D/mxguard.conf" <<EOF
mode: log
relay: 127.0.0.2
volume-limit: 5
volume-action: refuse
block-duration: 10m
state-file: $D/state/blocks
EOF
start_unbound "$D"
ok $? "unbound starts with a state-file and no Redis"
UB=$UB_PID; PORT=$UB_PORT
status() {
	dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 -b "$1" "$2" MX +noall +comments 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
for i in 1 2 3 4 5 6 7; do status 127.0.0.7 "company$i.test" >/dev/null; done
[ "$(status 127.0.0.7 company8.test)" = REFUSED ]
ok $? "the volume rule refuses and blocks 127.0.0.7"

ubctl "$D" reload >/dev/null
ok $? "reload"
grep -q '^127\.0\.0\.7|	[0-9]*|[0-9]*|volume|' "$D/state/blocks"
ok $? "the block is in the state file: $(head -c 80 "$D/state/blocks" 2>/dev/null | tr '\t' ' ')"
wait_for "$D/unbound.log" "blocks read back from $D/state/blocks" 5
ok $? "the new config read it back"
[ "$(status 127.0.0.7 company9.test)" = REFUSED ] && [ "$(status 127.0.0.8 company9.test)" = NOERROR ]
ok $? "after the reload 127.0.0.7 is still refused (its counters restarted), 127.0.0.8 is not"

stop_pid "$UB"
start_unbound "$D"
ok $? "restart"
# the thread reads the blocks back after start: wait for its second line
# (the first was the reload's; unbound.log is appended to)
readback() { [ "$(grep -c "blocks read back from $D/state/blocks" "$D/unbound.log")" -ge 2 ]; }
wait_until 5 readback
[ "$(status 127.0.0.7 company10.test)" = REFUSED ]
ok $? "after a restart 127.0.0.7 is still refused"
done_testing

#!/usr/bin/env bash
# tests/integration/test_blocks.sh - blocks shared by two resolvers through
# one Redis: mxguard-report block refuses a client on both within 2 s (and
# no one else), blocks lists it, the block survives a reload and a restart,
# unblock lifts it on both; a block started by a rule on one resolver is
# listed with its rule and instance, survives a reload of that resolver, is
# not applied by the other without fleet mode, and is lifted by unblock;
# block and unblock are in the alert stream; a reload with a bad config is
# shown as mode pass-through in mxguard-report instances, and the blocks come
# back with the fixed config; a blocks hash grown past 16384 entries is read
# with HSCAN up to that many, logged once.
. "$(dirname "$0")/lib.sh"
mxg_setup redis-server
start_zone 10
start_redis

# resolver DIR INSTANCE: start one Unbound; the volume rule refuses (so MX
# answers come from mxguard's cache and blocks apply to cache hits too)
resolver() {
	local dir=$1 inst=$2
	write_unbound_conf "$dir" 2
	mxguard_conf "$dir" log "$inst" <<EOF
volume-limit: 100
volume-action: refuse
block-duration: 10m
EOF
	start_unbound "$dir"
}
rep() { "$REPORT" -h 127.0.0.1 -p "$REDIS_PORT" --prefix t: "$@"; }
# status PORT FROM NAME: the rcode of one MX query
status() {
	dig +time=2 +tries=1 -p "$1" @127.0.0.1 -b "$2" "$3" MX +noall +comments 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
# within SECONDS PORT FROM NAME RCODE: poll until the rcode is RCODE;
# prints the milliseconds it took
within() {
	local t0 t i
	t0=$(date +%s%N)
	for ((i = 0; i < 1000; i++)); do
		if [ "$(status "$2" "$3" "$4")" = "$5" ]; then
			t=$(( ($(date +%s%N) - t0) / 1000000 ))
			echo "$t"
			[ "$t" -le $(( $1 * 1000 )) ]
			return
		fi
		t=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ "$t" -gt $(( $1 * 1000 + 3000 )) ] && break
		sleep 0.2
	done
	echo "never"
	return 1
}

# both_within FROM NAME RCODE WHAT: within 2 s both resolvers answer RCODE to
# FROM's MX query for NAME (ok WHAT), each poll timed from its start
both_within() {
	local ta tb ra rb
	ta=$(within 2 "$PA" "$1" "$2" "$3"); ra=$?
	tb=$(within 2 "$PB" "$1" "$2" "$3"); rb=$?
	diag "$3 after ${ta} ms on a, ${tb} ms later on b"
	[ $ra -eq 0 ] && [ $rb -eq 0 ]
	ok $? "$4"
}

"$REPORT" --help | grep -q -- "-h, --host HOST" && "$REPORT" --version | grep -q "^mxguard-report "
ok $? "mxguard-report --help (redis-cli's -h HOST) and --version"

A=$MXG_T/a; B=$MXG_T/b
resolver "$A" res-a
ok $? "resolver a starts"
UB_A=$UB_PID; PA=$UB_PORT
resolver "$B" res-b
ok $? "resolver b starts"
UB_B=$UB_PID; PB=$UB_PORT

[ "$(status "$PA" 127.0.0.5 company1.test)" = NOERROR ] &&
	[ "$(status "$PB" 127.0.0.5 company1.test)" = NOERROR ]
ok $? "127.0.0.5 is answered by both before the block (and cached)"

rep block 127.0.0.5 --for 10m --reason "ticket 42" >"$MXG_T/block.out" 2>&1
ok $? "mxguard-report block 127.0.0.5 --for 10m"
both_within 127.0.0.5 company1.test REFUSED "the block refuses 127.0.0.5 on both resolvers within 2 s"
[ "$(status "$PA" 127.0.0.5 company2.test)" = REFUSED ]
ok $? "the block covers every domain of the client (not cached: company2)"
[ "$(status "$PA" 127.0.0.6 company1.test)" = NOERROR ] &&
	[ "$(status "$PB" 127.0.0.6 company1.test)" = NOERROR ]
ok $? "another client is still answered"
wait_for "$A/mxguard.json" '"SrcIpAddr":"127.0.0.5".*blocked by the operator' 3
ok $? "the verdict says the operator blocked the client"

rep blocks >"$MXG_T/blocks.out"
grep -E '^127\.0\.0\.5 +manual .*mxguard-report .*ticket 42' "$MXG_T/blocks.out" >/dev/null
ok $? "blocks lists 127.0.0.5, rule manual, who and the reason"
"$REPORT" --server "127.0.0.1:$REDIS_PORT" --prefix t: --json blocks | grep -q '"client": "127.0.0.5", "domain": "", "rule": "manual"'
ok $? "blocks --json"
rep alerts | grep -Eq '127\.0\.0\.5 +manual +Block'
ok $? "the block is in the alert stream"

ubctl "$A" reload >/dev/null
ok $? "reload of a"
wait_for "$A/unbound.log" "mxguard: started" 5
r=$(within 5 "$PA" 127.0.0.5 company1.test REFUSED)
ok $? "the block survives the reload (refused ${r} ms after it)"

stop_pid "$UB_B"
start_unbound "$B" # same config and ports
ok $? "b restarts"
UB_B=$UB_PID
r=$(within 5 "$PB" 127.0.0.5 company1.test REFUSED)
ok $? "the block survives a restart (refused ${r} ms after it)"

rep unblock 127.0.0.5 --reason "false alarm" >"$MXG_T/unblock.out" 2>&1
ok $? "mxguard-report unblock 127.0.0.5"
both_within 127.0.0.5 company1.test NOERROR "unblock lifts the block on both within 2 s"
[ -z "$(rep blocks | grep '^127\.0\.0\.5 ')" ]
ok $? "blocks no longer lists 127.0.0.5"
rep alerts | grep -Eq '127\.0\.0\.5 +unblock +Unblock'
ok $? "the lift is in the alert stream"

# a block started by a rule: volume (limit 100) on a
for i in $(seq 1 110); do echo "company$(( i % 10 + 1 )).test MX"; done >"$MXG_T/q110"
dig +time=2 +tries=1 -p "$PA" @127.0.0.1 -b 127.0.0.7 -f "$MXG_T/q110" +noall >/dev/null 2>&1
[ "$(status "$PA" 127.0.0.7 company8.test)" = REFUSED ]
ok $? "the volume rule refuses 127.0.0.7 on a"
# rep_has COMMAND PATTERN: does mxguard-report COMMAND print PATTERN?
rep_has() { rep "$1" | grep -Eq "$2"; }
wait_until 3 rep_has blocks '^127\.0\.0\.7 +volume .*res-a'
ok $? "blocks lists the rule's block with rule volume and instance res-a"
[ "$(status "$PB" 127.0.0.7 company1.test)" = NOERROR ]
ok $? "b (not in fleet mode) does not apply a's rule block"
reload "$A"
r=$(within 5 "$PA" 127.0.0.7 company9.test REFUSED)
ok $? "the rule's block survives the reload of a, whose counters restart"
rep unblock 127.0.0.0/24 >/dev/null 2>&1
r=$(within 2 "$PA" 127.0.0.7 company9.test NOERROR)
ok $? "unblock of the netblock 127.0.0.0/24 lifts it (${r} ms)"

rep block 10.0.0.0/8 --for 1h >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "a netblock wider than 1024 client keys is refused"
rep block 127.0.0.5 >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "block without --for is a usage error"

# a reload with a bad config: pass-through, and the heartbeat says so
rep block 127.0.0.9 --for 10m >/dev/null 2>&1
within 2 "$PA" 127.0.0.9 company1.test REFUSED >/dev/null
ok $? "127.0.0.9 blocked on a"
cp "$A/mxguard.conf" "$A/mxguard.conf.good"
echo "mode: refuse-everything" >>"$A/mxguard.conf"
ubctl "$A" reload >/dev/null
ok $? "reload of a with a bad config"
wait_until 8 rep_has instances '^res-a +[^ ]+ +pass-through +up'
ok $? "instances shows res-a in mode pass-through"
[ "$(status "$PA" 127.0.0.9 company1.test)" = NOERROR ]
ok $? "pass-through: the blocked client is answered (nothing is enforced)"
cp "$A/mxguard.conf.good" "$A/mxguard.conf"
ubctl "$A" reload >/dev/null
r=$(within 2 "$PA" 127.0.0.9 company1.test REFUSED)
ok $? "reload with the config fixed: the block is back (${r} ms)"
wait_until 8 rep_has instances '^res-a +[^ ]+ +log +up'
ok $? "instances shows res-a in mode log again"

# ---- a blocks hash grown too big is not read whole ----
# 20000 junk fields (a writer that never prunes, or a hostile one): reads
# go through it with HSCAN, at most 16384 entries (MXG_BLOCKS_READ_MAX),
# never HGETALL, and the module says so once
rcli CONFIG RESETSTAT >/dev/null
rcli EVAL "for i = 1, tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'junk' .. i, string.rep('x', 100)) end return 1" \
	1 't:{blocks}' 20000 >/dev/null
rcli INCR 't:{blocks}:gen' >/dev/null
wait_for "$A/unbound.log" "blocks.*has more than 16384 entries" 5
ok $? "a blocks hash of 20000 entries: the module logs that it reads only 16384"
# stat NAME: calls of a Redis command since the reset
stat() {
	local n
	n=$(rcli INFO commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p")
	echo "${n:-0}"
}
h0=$(stat hscan)
rcli INCR 't:{blocks}:gen' >/dev/null
# hscan_past N: more than N HSCAN calls so far
hscan_past() { [ "$(stat hscan)" -gt "$1" ]; }
wait_until 5 hscan_past $((h0 + 16))
ok $? "the next change is read again, with HSCAN ($h0 -> $(stat hscan) calls)"
[ "$(grep -c 'blocks.*has more than 16384 entries' "$A/unbound.log")" = 1 ]
ok $? "and logged once, not at every read"
rep blocks >/dev/null 2>"$MXG_T/blocks.err"
grep -q "more than 16384 entries: only 16384 were read" "$MXG_T/blocks.err"
ok $? "mxguard-report blocks warns that it read only 16384 ($(head -c 100 "$MXG_T/blocks.err"))"
[ "$(stat hgetall)" = 0 ] && [ "$(stat hscan)" -gt 0 ]
ok $? "no HGETALL of the blocks hash: $(stat hscan) HSCAN calls, $(stat hgetall) HGETALL"
rcli DEL 't:{blocks}' >/dev/null
# a huge P{blocks}:gen (read every second) is not read whole either
hwm() { awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status"; }
m0=$(hwm "$UB_A"); g0=$(stat getrange)
rcli SETRANGE 't:{blocks}:gen' 50000000 x >/dev/null
getrange_past() { [ "$(stat getrange)" -gt "$1" ]; }
wait_until 5 getrange_past $((g0 + 4))
m1=$(hwm "$UB_A")
[ -n "$m0" ] && [ -n "$m1" ] && [ $((m1 - m0)) -lt 16384 ]
ok $? "a 48 MB P{blocks}:gen is not read whole: peak memory of a resolver +$((m1 - m0)) kB"
rcli DEL 't:{blocks}:gen' >/dev/null

kill -0 "$UB_A" && kill -0 "$UB_B"
ok $? "both resolvers still run"
done_testing

#!/usr/bin/env bash
# tests/integration/test_redis.sh - counters and alerts in a real Redis:
# exact counts after known queries, mxguard-report tables and JSON, Redis
# stopped (SIGSTOP) and killed during traffic with every query still
# answered, counters resuming after Redis returns, wrong password and Redis
# absent at start, two resolvers adding up in one Redis, fleet mode catching
# a client that stays under the limit on each resolver, and 100 reloads
# leaving no connection, thread or descriptor behind.
. "$(dirname "$0")/lib.sh"
mxg_setup redis-server
start_zone 40
start_redis
day=$(date -u +%Y%m%d)

# resolver DIR INSTANCE [extra mxguard.conf lines...]: start one Unbound
resolver() {
	local dir=$1 inst=$2; shift 2
	write_unbound_conf "$dir" 2
	{
		echo "geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb"
		echo "geoip-asn: $MXG_SRCDIR/tests/data/geoip/GeoLite2-ASN-Test.mmdb"
		for l in "$@"; do echo "$l"; done
	} | mxguard_conf "$dir" log "$inst"
	start_unbound "$dir"
}
# zscore KEY MEMBER: the score, 0 when absent
zscore() { local v; v=$(rcli ZSCORE "$1" "$2"); echo "${v:-0}"; }
# wait_score KEY MEMBER VALUE [SECONDS]
wait_score() {
	local i n=$(( ${4:-5} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(zscore "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# answered ADDR COUNT NAMEFILE: send the names from ADDR, print how many
# got NOERROR (1 s timeout each)
answered() {
	dig +time=1 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$1" -f "$3" +noall +comments 2>/dev/null |
		grep -c "status: NOERROR"
}

A=$MXG_T/a
resolver "$A" res-a
ok $? "unbound starts with mxguard writing to Redis"
UB_A=$UB_PID; PORT_A=$UB_PORT

seq 1 20 | sed 's/.*/company&.test MX/' >"$MXG_T/c20"
for i in 1 2 3 4 5 6 7; do echo "mx.test MX"; done >"$MXG_T/mx7"
n1=$(answered 127.0.0.2 20 "$MXG_T/c20"); n2=$(answered 127.0.0.3 7 "$MXG_T/mx7")
[ "$n1" -eq 20 ] && [ "$n2" -eq 7 ]
ok $? "27 known MX queries answered ($n1 + $n2)"
wait_score "t:{day:$day}:clients" 127.0.0.3 7
ok $? "top clients today: 127.0.0.3 has exactly 7 lookups"
[ "$(zscore "t:{day:$day}:clients" 127.0.0.2)" = 20 ]
ok $? "the relay 127.0.0.2 has exactly 20"
[ "$(zscore "t:{day:$day}:nonrelay" 127.0.0.3)" = 7 ] && [ "$(zscore "t:{day:$day}:nonrelay" 127.0.0.2)" = 0 ]
ok $? "top non-relay clients: 127.0.0.3 (7), not the relay"
[ "$(zscore "t:{day:$day}:domains" mx.test)" = 7 ] && [ "$(zscore "t:{day:$day}:domains" company5.test)" = 1 ]
ok $? "per domain per day: mx.test 7, company5.test 1"
[ "$(rcli HGET 't:{d:mx.test}:h' count)" = 7 ] && [ "$(rcli PFCOUNT 't:{d:mx.test}:hll')" = 1 ]
ok $? "domain hash: count 7, one distinct client"
[ "$(rcli HGET 't:{d:mx.test}:h' country)" = GB ]
ok $? "domain hash: country of its mail host (GB)"
now_min=$(( $(date +%s) / 60 ))
sum=0; for m in $now_min $((now_min - 1)); do v=$(rcli GET "t:{c:127.0.0.3}:m:$m"); sum=$((sum + ${v:-0})); done
[ "$sum" -eq 7 ]
ok $? "per-minute buckets of the client add up to 7"
[ "$(rcli XLEN 't:{alerts}')" -ge 1 ] && rcli XRANGE 't:{alerts}' - + | grep -q '127.0.0.3'
ok $? "the alert stream has the non-relay alert of 127.0.0.3"
nottl=0
for k in $(rcli --scan --pattern 't:*'); do
	[ "$(rcli TTL "$k")" -gt 0 ] || { nottl=$((nottl + 1)); diag "no TTL: $k"; }
done
[ "$nottl" -eq 0 ]
ok $? "every key has a TTL ($(rcli --scan --pattern 't:*' | wc -l) keys)"
has_version() { rcli HGET 't:{inst:res-a}' version | grep -q .; }
wait_until 6 has_version
ok $? "the heartbeat of instance res-a is in Redis"

out=$("$REPORT" -p "$REDIS_PORT" --prefix t: top-clients)
echo "$out" | grep -E '127\.0\.0\.3 +7' >/dev/null
ok $? "mxguard-report top-clients shows 127.0.0.3 with 7"
"$REPORT" -p "$REDIS_PORT" --prefix t: --json top-domains | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d)' | grep -q "mx.test"
ok $? "mxguard-report --json top-domains is JSON and lists mx.test"
"$REPORT" -p "$REDIS_PORT" --prefix t: domain mx.test | grep -q GB
ok $? "mxguard-report domain mx.test shows its country"
"$REPORT" -p "$((REDIS_PORT + 1))" --prefix t: top-clients >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "mxguard-report exits 2 when Redis is unreachable"

# Redis paused, then killed, during traffic
seq 1 40 | sed 's/.*/company&.test MX/' >"$MXG_T/c40"
kill -STOP "$REDIS_PID"
n=$(answered 127.0.0.4 40 "$MXG_T/c40")
[ "$n" -eq 40 ]
ok $? "Redis stopped (SIGSTOP): all 40 MX queries answered within 1 s ($n)"
kill -KILL "$REDIS_PID"; kill -CONT "$REDIS_PID" 2>/dev/null; stop_pid "$REDIS_PID"
n=$(answered 127.0.0.5 40 "$MXG_T/c40")
[ "$n" -eq 40 ]
ok $? "Redis killed: all 40 MX queries answered ($n)"
grep -qi "redis" "$A/unbound.log"
ok $? "the lost connection is in Unbound's log"
start_redis
for ((i = 0; i < 150; i++)); do
	answered 127.0.0.6 1 "$MXG_T/mx7" >/dev/null
	[ "$(zscore "t:{day:$day}:clients" 127.0.0.6)" != 0 ] && break
	sleep 0.1
done
[ "$(zscore "t:{day:$day}:clients" 127.0.0.6)" != 0 ]
ok $? "after Redis restarts, counters resume within seconds ($((i / 10)) s)"
for ((i = 0; i < 80; i++)); do
	d=$(rcli HGET 't:{inst:res-a}' unsent); e=$(rcli HGET 't:{inst:res-a}' errors)
	[ "${d:-0}" -gt 0 ] || [ "${e:-0}" -gt 0 ] && break; sleep 0.1
done
[ "${d:-0}" -gt 0 ] || [ "${e:-0}" -gt 0 ]
ok $? "the heartbeat counts what was lost (unsent ${d:-0}, errors ${e:-0})"

# Redis slow (DEBUG SLEEP) and out of memory (tiny maxmemory): still answering
rcli DEBUG SLEEP 3 >/dev/null &
slept=$!
# busy: Redis does not answer a PING within 0.2 s
busy() { ! timeout 0.2 redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; }
wait_until 2 busy
n=$(answered 127.0.0.11 40 "$MXG_T/c40")
[ "$n" -eq 40 ]
ok $? "Redis busy in DEBUG SLEEP 3: all 40 MX queries answered within 1 s ($n)"
wait "$slept"
rcli CONFIG SET maxmemory 1 >/dev/null; rcli CONFIG SET maxmemory-policy noeviction >/dev/null
e0=$(rcli HGET 't:{inst:res-a}' errors)
n=$(answered 127.0.0.12 40 "$MXG_T/c40")
[ "$n" -eq 40 ]
ok $? "Redis out of memory (maxmemory 1, OOM errors): all 40 answered ($n)"
# the module's writes met the OOM errors before the memory comes back
oom() { rcli INFO errorstats | grep -q '^errorstat_OOM:count=[1-9]'; }
wait_until 5 oom
rcli CONFIG SET maxmemory 0 >/dev/null
more_errors() { e1=$(rcli HGET 't:{inst:res-a}' errors); [ "${e1:-0}" -gt "${e0:-0}" ]; }
wait_until 8 more_errors
ok $? "the OOM errors are counted in the heartbeat (${e0:-0} -> ${e1:-0})"

# a second resolver on the same Redis: totals add up
B=$MXG_T/b
resolver "$B" res-b
UB_B=$UB_PID; PORT_B=$UB_PORT
printf 'company7.test MX\ncompany8.test MX\ncompany9.test MX\n' >"$MXG_T/c3"
UB_PORT=$PORT_A answered 127.0.0.7 3 "$MXG_T/c3" >/dev/null
UB_PORT=$PORT_B answered 127.0.0.7 3 "$MXG_T/c3" >/dev/null
wait_score "t:{day:$day}:clients" 127.0.0.7 6
ok $? "two resolvers on one Redis: 3 + 3 lookups of 127.0.0.7 add up to 6"
"$REPORT" -p "$REDIS_PORT" --prefix t: instances | grep -q res-b
ok $? "mxguard-report instances lists both resolvers"
stop_pid "$UB_B"

# fleet mode: volume over the sum of two resolvers
F1=$MXG_T/f1; F2=$MXG_T/f2
resolver "$F1" fleet-1 "fleet: yes" "redis-prefix: f:" "volume-limit: 8"
P1=$UB_PORT; U1=$UB_PID
resolver "$F2" fleet-2 "fleet: yes" "redis-prefix: f:" "volume-limit: 8"
P2=$UB_PORT
for i in 1 2 3 4 5 6; do echo "company1$i.test MX"; done >"$MXG_T/f6"
# fleet_has N: the lookups of 127.0.0.8 in the fleet's minute keys (this
# minute and the one before, what the read-back reads) add up to N
fleet_has() {
	local m=$(( $(date +%s) / 60 )) a b
	a=$(rcli GET "f:{c:127.0.0.8}:m:$m"); b=$(rcli GET "f:{c:127.0.0.8}:m:$((m - 1))")
	[ $(( ${a:-0} + ${b:-0} )) -eq "$1" ]
}
# fleet_reads: the reads of 127.0.0.8's minute keys (GETRANGE) Redis has
# run since the MONITOR into $MXG_T/monitor started; a read-back reads
# FLEET_MIN = 10 minutes of each client
fleet_reads() { grep -c '"GETRANGE" "f:{c:127\.0\.0\.8}:m:' "$MXG_T/monitor" 2>/dev/null; }
reads_20() { [ "$(fleet_reads)" -ge 20 ]; }
UB_PORT=$P1 answered 127.0.0.8 6 "$MXG_T/f6" >/dev/null
wait_until 5 fleet_has 6
ok $? "fleet: the 6 lookups on the first resolver are in Redis"
# its part is done: from here on only the second reads 127.0.0.8 back
stop_pid "$U1"
UB_PORT=$P2 answered 127.0.0.8 6 "$MXG_T/f6" >/dev/null
wait_until 5 fleet_has 12
# every read from now on sees both resolvers' counts; 20 reads hold at
# least one whole read-back (one under way now has at most 9 of them left)
redis-cli -p "$REDIS_PORT" monitor >"$MXG_T/monitor" 2>&1 &
MON_PID=$!; MXG_PIDS+=("$MON_PID")
wait_until 5 reads_20
ok $? "fleet: 6 + 6 lookups in Redis, and the second resolver read them back ($(fleet_reads) reads)"
stop_pid "$MON_PID"
UB_PORT=$P2 answered 127.0.0.8 1 "$MXG_T/mx7" >/dev/null
wait_for "$F2/mxguard.json" '"SrcIpAddr":"127\.0\.0\.8".*"RuleName":"volume"' 5
grep '"RuleName":"volume"' "$F2/mxguard.json" | grep -q "across the fleet"
ok $? "fleet mode: 6 + 7 lookups on two resolvers (limit 8 each) fire volume on the sum"
! grep -q '"RuleName":"volume"' "$F1/mxguard.json" 2>/dev/null || grep '"RuleName":"volume"' "$F1/mxguard.json" | grep -q "across the fleet"
ok $? "and neither resolver fired on its own count"

# wrong password and Redis absent at start
W=$MXG_T/w
REDIS_PORT_SAVE=$REDIS_PORT
REDIS_PORT=$(free_port)
start_redis --requirepass "right-pass-123"
PWPORT=$REDIS_PORT; REDIS_PORT=$REDIS_PORT_SAVE
write_unbound_conf "$W" 1
cat >"$W/mxguard.conf" <<CONF
redis-server: 127.0.0.1:$PWPORT
redis-password: "wrong-pass-456"
CONF
start_unbound "$W"
ok $? "a wrong Redis password does not stop unbound from starting"
q -b 127.0.0.9 mx.test MX | grep -q "status: NOERROR"
ok $? "and MX queries are answered"
wait_for "$W/unbound.log" "mxguard.*redis" 5 && grep -Eq "WRONGPASS|invalid username-password" "$W/unbound.log"
ok $? "a clear log line says authentication failed: $(grep -Ei 'mxguard.*(auth|pass)' "$W/unbound.log" | head -1 | cut -c1-160)"
! grep -q "wrong-pass-456" "$W/unbound.log"
ok $? "the password is not in the log"
stop_pid "$UB_PID"
write_unbound_conf "$W" 1
printf 'redis-server: 127.0.0.1:%s\n' "$(free_port)" >"$W/mxguard.conf"
start_unbound "$W"
ok $? "Redis absent at start: unbound starts"
q -b 127.0.0.9 mx.test MX | grep -q "status: NOERROR"
ok $? "and answers MX queries"
stop_pid "$UB_PID"

# 100 reloads with Redis configured
UB_PORT=$PORT_A
base_conn=$(rcli CLIENT LIST | grep -c .)
th0=$(ls /proc/"$UB_A"/task | wc -l); fd0=$(ls /proc/"$UB_A"/fd | wc -l)
# queries keep coming while it reloads
( for ((j = 0; j < 400; j++)); do
	dig +time=1 +tries=1 -p "$UB_PORT" @127.0.0.1 -b 127.0.0.13 "company$((j % 40 + 1)).test" MX +noall >/dev/null 2>&1
done ) &
loadpid=$!
for ((i = 0; i < 100; i++)); do ubctl "$A" reload >/dev/null || break; done
[ "$i" -eq 100 ]
ok $? "100 reloads done under query load"
wait "$loadpid"
wait_until 10 ubctl "$A" status >/dev/null 2>&1
q -b 127.0.0.2 mx.test MX | grep -q "status: NOERROR"
ok $? "unbound answers after 100 reloads"
no_extra_conn() { conn=$(rcli CLIENT LIST | grep -c .); [ "$conn" -le "$base_conn" ]; }
wait_until 5 no_extra_conn
th1=$(ls /proc/"$UB_A"/task | wc -l); fd1=$(ls /proc/"$UB_A"/fd | wc -l)
[ "$conn" -le "$base_conn" ]
ok $? "no extra Redis connection after 100 reloads ($base_conn before, $conn after)"
[ "$th1" -eq "$th0" ] && [ "$fd1" -le "$fd0" ]
ok $? "no extra thread or descriptor (threads $th0 -> $th1, fds $fd0 -> $fd1)"
done_testing

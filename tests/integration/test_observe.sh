#!/usr/bin/env bash
# tests/integration/test_observe.sh - the foundation, end to end: a real
# Unbound loads mxguard, and every client MX lookup, cache miss and cache
# hit, UDP and TCP, IPv4 and IPv6, is observed with the right client; A
# queries are not; CHAOS queries do not crash it; it survives a reload; a bad
# config at reload leaves Unbound answering in pass-through mode.
. "$(dirname "$0")/lib.sh"
mxg_setup
start_zone 30
UB_VERBOSITY=3 resolver_dir ub
echo "log-lookups: yes" | mxguard_conf "$D" log
start_unbound "$D"
ok $? "unbound starts with mxguard loaded"
grep -q "mxguard: started" "$D/unbound.log"
ok $? "the module logs that it started"
log=$D/unbound.log

out=$(q -b 127.0.0.2 mx.test MX)
echo "$out" | grep -q "status: NOERROR" && echo "$out" | grep -q "mail1.mx.test"
ok $? "relay 127.0.0.2 gets the MX answer (cache miss)"
wait_for "$log" "MX lookup client=127.0.0.2 qname=mx.test cache-miss"
ok $? "the miss is observed with client 127.0.0.2"

out=$(q -b 127.0.0.3 mx.test MX)
echo "$out" | grep -q "mail1.mx.test"
ok $? "client 127.0.0.3 gets the same answer (cache hit)"
wait_for "$log" "MX lookup client=127.0.0.3 qname=mx.test cache-hit"
ok $? "the cache hit is observed with client 127.0.0.3"

q -b 127.0.0.4 +tcp MX.Test MX | grep -qi "mail1.mx.test"
ok $? "TCP query answered"
wait_for "$log" "MX lookup client=127.0.0.4 qname=MX.Test cache-hit tcp"
ok $? "the TCP cache hit is observed as TCP with client 127.0.0.4"

if have_ipv6; then
	dig +time=3 +tries=1 -p "$UB_PORT" @::1 company7.test MX | grep -q "mx1.company7.test"
	ok $? "IPv6 client gets an answer"
	wait_for "$log" "MX lookup client=::1 qname=company7.test cache-miss"
	ok $? "the IPv6 client is observed as ::1"
else
	echo "ok $((TAP_N += 1)) # SKIP no ::1 on loopback"
	echo "ok $((TAP_N += 1)) # SKIP no ::1 on loopback"
fi

q -b 127.0.0.5 a.mx.test A | grep -q "192.0.2.2"
ok $? "A query answered"
q -b 127.0.0.5 a.mx.test A >/dev/null
# an MX lookup after them is logged after them (the line is written before
# the answer goes out): once it is there, theirs would be too
q -b 127.0.0.15 company8.test MX >/dev/null
wait_for "$log" "MX lookup client=127.0.0.15 " &&
	! grep -q "MX lookup client=127.0.0.5" "$log"
ok $? "A queries (miss and hit) are not observed"

q -b 127.0.0.6 id.server CH TXT >/dev/null; q -b 127.0.0.6 version.bind CH TXT >/dev/null
q -b 127.0.0.6 mx.test MX CH >/dev/null
q -b 127.0.0.6 nonexistent.test MX | grep -q "status: NXDOMAIN"
ok $? "CHAOS and CH-class MX queries do not crash it; NXDOMAIN passes through"
kill -0 "$UB_PID"
ok $? "unbound is still running"

wait_for "$D/mxguard.json" '"SrcIpAddr":"127.0.0.3"' 5
ok $? "the JSON log has the cache-hit lookup of 127.0.0.3"
n=$(grep -ci '"DnsQuery":"mx.test"' "$D/mxguard.json" 2>/dev/null)
[ "${n:-0}" -ge 3 ]
ok $? "the JSON log has every mx.test lookup ($n)"

reload "$D"
q -b 127.0.0.7 mx.test MX | grep -q "mail1.mx.test"
ok $? "after unbound-control reload, MX queries are answered"
wait_for "$log" "MX lookup client=127.0.0.7 qname=mx.test"
ok $? "and observed by the reloaded module"
[ "$(grep -c 'mxguard: started' "$log")" -ge 2 ]
ok $? "the module was initialised again at reload"

echo "mode: refuse-everything" >>"$D/mxguard.conf"
reload "$D"
kill -0 "$UB_PID"
ok $? "a bad config at reload does not stop unbound"
q -b 127.0.0.8 mx.test MX | grep -q "mail1.mx.test"
ok $? "MX queries are answered in pass-through mode"
grep -q "pass-through" "$log" && grep -q "refuse-everything" "$log"
ok $? "the log says pass-through and names the bad value"

done_testing

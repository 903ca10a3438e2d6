#!/usr/bin/env bash
# tests/integration/test_enforce.sh - acting on MX lookups in a real Unbound:
# refuse mode (REFUSED + EDE 18, also for names already cached, no upstream
# query for a refused lookup, the relay always answered from the private
# answer cache without upstream traffic, TTLs counting down), the staging
# client refused at its first query with no payload delivered, tag mode
# (EDE 0 on a miss and on a cache hit) after a reload that switches mode,
# and odd queries (CHAOS, ANY, 255-byte names, RD=0) that change nothing.
. "$(dirname "$0")/lib.sh"
mxg_setup
start_zone 60
resolver_dir ub 2
conf() { printf 'log-rate: 0\n%s\n' "${2:-}" | mxguard_conf "$D" "$1"; }
conf refuse
start_unbound "$D"
ok $? "unbound starts with mxguard in refuse mode"
grep -q "enforcing" "$D/unbound.log"
ok $? "the module says MX answers are served from its own cache"

# batch CLIENT FILE -> "noerror refused ede18"
batch() {
	dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$1" -f "$2" +noall +comments 2>/dev/null |
		awk '/status: NOERROR/ {a++} /status: REFUSED/ {r++} /EDE: 18/ {e++}
			END {printf "%d %d %d\n", a, r, e}'
}
seq 1 50 | sed 's/.*/company&.test MX/' >"$MXG_T/c50"

m0=$(nsd_count MX)
read -r a r e < <(batch 127.0.0.2 "$MXG_T/c50")
m1=$(nsd_count MX)
read -r a2 r2 e2 < <(batch 127.0.0.2 "$MXG_T/c50")
m2=$(nsd_count MX)
[ "$a" -eq 50 ] && [ "$a2" -eq 50 ] && [ "$r" -eq 0 ] && [ "$r2" -eq 0 ]
ok $? "the relay gets answers for 100 MX lookups in a row ($a + $a2 NOERROR, $((r + r2)) REFUSED)"
[ $((m1 - m0)) -ge 50 ] && [ "$m2" -eq "$m1" ]
ok $? "no upstream query after the first per domain (NSD MX queries: +$((m1 - m0)) then +$((m2 - m1)))"

ttl() { q -b 127.0.0.2 mx.test MX +noall +answer | awk 'NR == 1 {print $2}'; }
t1=$(ttl)
# lower_ttl: is the TTL of the answer now below t1?
lower_ttl() { t2=$(ttl); [ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -lt "$t1" ]; }
wait_until 5 lower_ttl
ok $? "answers from the private cache count their TTL down ($t1 then $t2)"

read -r ba br be < <(batch 127.0.0.66 "$MXG_T/c50")
[ "$ba" -le 21 ] && [ "$br" -ge 29 ] && [ "$be" -eq "$br" ]
ok $? "the spam bot is refused with EDE 18 once over the threshold, for cached names too ($ba answered, $br refused, $be with EDE 18)"
out=$(q -b 127.0.0.66 company60.test MX)
echo "$out" | grep -q "status: REFUSED" && echo "$out" | grep -q "EDE: 18 (Prohibited)"
ok $? "the blocked bot's next MX lookup: $(echo "$out" | grep 'EDE:' | head -1 | cut -c1-110)"
echo "$out" | grep -Eq "EDE: 18 \(Prohibited\): \(mxguard [a-z-]+\)$"
ok $? "ede-text rule (default): the EDE text is the rule name only, no counts or thresholds"
m3=$(nsd_count MX)
q -b 127.0.0.66 mx.test MX | grep -q "status: REFUSED"
ok $? "a new name from the blocked bot is refused"
[ "$(nsd_count MX)" -eq "$m3" ]
ok $? "and the refused lookup caused no upstream query"
q -b 127.0.0.66 a.mx.test A | grep -q "192.0.2.2"
ok $? "an A query from the spam bot still resolves"

out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b 127.0.0.99 1.evil.test MX)
echo "$out" | grep -q "status: REFUSED"
ok $? "the staging client's first MX query of 1.evil.test is refused"
[ "$(echo "$out" | grep -c 'IN[[:space:]]*MX[[:space:]]')" -eq 0 ]
ok $? "with zero payload records delivered"
echo "$out" | grep -q "EDE: 18 (Prohibited): (mxguard staging-shape"
ok $? "the EDE names the staging-shape rule"
out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b 127.0.0.99 2.evil.test MX)
echo "$out" | grep -q "status: REFUSED"
ok $? "its next query of the same base domain is refused too (blocked)"
out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b 127.0.0.98 1.evil.test MX)
echo "$out" | grep -q "status: REFUSED"
ok $? "another client asking for the cached staging answer is refused"
q -b 127.0.0.2 1.evil.test MX +tcp | grep -q "status: NOERROR"
ok $? "the relay still gets it (relays are never blocked)"

# odd queries: nothing crashes, nothing changes
long=$(printf 'a%.0s' $(seq 1 63)).$(printf 'b%.0s' $(seq 1 63)).$(printf 'c%.0s' $(seq 1 63)).$(printf 'd%.0s' $(seq 1 56)).test
q -b 127.0.0.5 id.server CH TXT >/dev/null
q -b 127.0.0.5 mx.test ANY >/dev/null
q -b 127.0.0.5 "$long" MX | grep -q "status: NXDOMAIN"
ok $? "a 255-byte MX name gets NXDOMAIN"
q -b 127.0.0.5 +norec mx.test MX | grep -q "status:"
ok $? "an RD=0 MX query gets an answer"
q -b 127.0.0.5 -c CH mx.test MX | grep -q "status:"
ok $? "a CHAOS-class MX query gets an answer"
q -b 127.0.0.5 -c NONE mx.test MX | grep -q "status:"
ok $? "a class NONE MX query gets an answer"
q -b 127.0.0.2 +noedns company2.test MX | grep -q "status: NOERROR"
ok $? "an MX query without EDNS is answered"
out=$(q -b 127.0.0.66 +noedns company3.test MX)
echo "$out" | grep -q "status: REFUSED" && ! echo "$out" | grep -q "EDE:"
ok $? "the blocked bot without EDNS gets a plain REFUSED (no OPT, so no EDE)"
q -b 127.0.0.2 +ednsopt=65001:c0ffee +nsid +cookie company4.test MX | grep -q "status: NOERROR"
ok $? "an MX query with unknown EDNS options, NSID and a cookie is answered"
kill -0 "$UB_PID"
ok $? "unbound still runs after CHAOS, ANY, NONE, 255-byte, RD=0 and EDNS-option queries"

conf tag "ede-text: full"
reload "$D"
grep -q "mode tag" "$D/unbound.log"
ok $? "a reload switches the module to tag mode"
out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b 127.0.0.70 1.evil.test MX)
echo "$out" | grep -q "status: NOERROR" && echo "$out" | grep -q "EDE: 0 (Other): (mxguard staging-shape"
ok $? "tag mode: the answer carries EDE 0 with the rule text on a miss"
echo "$out" | grep -Eq "EDE: 0 \(Other\): \(mxguard staging-shape: .*score"
ok $? "ede-text full: the EDE text has the rule's details ($(echo "$out" | grep 'EDE:' | cut -c1-100))"
out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b 127.0.0.71 1.evil.test MX)
echo "$out" | grep -q "status: NOERROR" && echo "$out" | grep -q "EDE: 0 (Other): (mxguard staging-shape"
ok $? "and on a cache hit"
kill -0 "$UB_PID"
ok $? "unbound still runs"
done_testing

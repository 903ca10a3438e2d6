#!/usr/bin/env bash
# tests/integration/test_rules.sh - the detection rules inside a real Unbound
# (log mode): each rule's verdict appears in the JSON log with its rule name
# and reason, for a non-relay client, a client over the volume threshold, a
# spam bot resolving MX of 25 domains, a client making 11 numeric-prefixed
# lookups of one base domain, the first query of a payload-staging client,
# and an MX host in a denied country. The relay doing the same gets no
# blocking verdict.
. "$(dirname "$0")/lib.sh"
mxg_setup
start_zone 40
resolver_dir ub 2
mxguard_conf "$D" log <<CONF
log-rate: 0
geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb
geoip-asn: $MXG_SRCDIR/tests/data/geoip/GeoLite2-ASN-Test.mmdb
deny-country: JP
CONF
start_unbound "$D"
ok $? "unbound starts with mxguard in log mode"

# lines CLIENT RULE: JSON lines of CLIENT with RuleName RULE (the thread
# writes a line up to ~50 ms after the lookup: wait for the client's own
# line, not any line of the rule)
lines() { grep "\"SrcIpAddr\":\"$1\"" "$J" 2>/dev/null | grep "\"RuleName\":\"$2\""; }
# batch CLIENT FILE
batch() { dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$1" -f "$2" +noall +comments 2>/dev/null; }

q -b 127.0.0.10 company5.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127.0.0.10"'
lines 127.0.0.10 non-relay | grep -q '"Reason":"client 127.0.0.10'
ok $? "a laptop's MX lookup gets a non-relay verdict with a reason naming the client"
q -b 127.0.0.10 company5.test MX >/dev/null
log_settled "$J" 127.0.3.1 company1.test
[ "$(lines 127.0.0.10 non-relay | wc -l)" -eq 1 ]
ok $? "non-relay is logged once per client and base domain per period"

for i in $(seq 1 30); do echo "bigmail.test MX"; done >"$MXG_T/vol30"
batch 127.0.0.20 "$MXG_T/vol30" >/dev/null
log_settled "$J" 127.0.3.2 company1.test
! lines 127.0.0.20 volume | grep -q .
ok $? "30 MX lookups in 60 s: no volume verdict (the limit is > 30)"
q -b 127.0.0.20 bigmail.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.20".*"RuleName":"volume"'
lines 127.0.0.20 volume | grep -q '31 MX lookups'
ok $? "the 31st lookup gets a volume verdict: '$(lines 127.0.0.20 volume | sed -n 's/.*"Reason":"\([^"]*\)".*/\1/p' | head -1)'"

seq 1 25 | sed 's/.*/company&.test MX/' >"$MXG_T/bot25"
batch 127.0.0.30 "$MXG_T/bot25" >/dev/null
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.30".*"RuleName":"fanout"'
lines 127.0.0.30 fanout | grep -q 'base domains'
ok $? "a spam bot resolving MX for 25 domains gets a fanout verdict: '$(lines 127.0.0.30 fanout | sed -n 's/.*"Reason":"\([^"]*\)".*/\1/p' | head -1)'"

seq 1 10 | sed 's/.*/&.num.test MX/' >"$MXG_T/num10"
batch 127.0.0.40 "$MXG_T/num10" >/dev/null
log_settled "$J" 127.0.3.3 company1.test
! lines 127.0.0.40 staging-window | grep -q .
ok $? "10 numeric-prefixed lookups: no staging-window verdict (the limit is > 10)"
q -b 127.0.0.40 11.num.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.40".*"RuleName":"staging-window"'
lines 127.0.0.40 staging-window | grep -q 'num.test'
ok $? "the 11th numeric-prefixed lookup of num.test gets a staging-window verdict: '$(lines 127.0.0.40 staging-window | sed -n 's/.*"Reason":"\([^"]*\)".*/\1/p' | head -1)'"

out=$(dig +time=5 +tries=1 -p "$UB_PORT" @127.0.0.1 -b 127.0.0.50 1.evil.test MX)
echo "$out" | grep -q "status: NOERROR" && [ "$(echo "$out" | grep -c 'IN[[:space:]]*MX')" -ge 100 ]
ok $? "log mode: the staging client's first query is answered (100 MX)"
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.50".*"RuleName":"staging-shape"'
lines 127.0.0.50 staging-shape | grep -q 'score'
ok $? "and logged with rule staging-shape at the first query: '$(lines 127.0.0.50 staging-shape | sed -n 's/.*"Reason":"\([^"]*\)".*/\1/p' | head -1)'"

q -b 127.0.0.60 mx.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.60".*"RuleName":"country"'
lines 127.0.0.60 country | grep -q 'JP'
ok $? "an MX host in a deny-country (JP) gets a country verdict"
grep '"SrcIpAddr":"127.0.0.60"' "$J" | grep -q '"DnsResponseIpCountry":"GB'
ok $? "the log line carries the MX hosts' countries (GB first)"
# cache hits: a denied answer is never remembered as clean (the answer
# memo), so every client's lookup of it gets the verdict
q -b 127.0.0.62 mx.test MX >/dev/null
q -b 127.0.0.63 mx.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127\.0\.0\.62".*"RuleName":"country"' &&
	wait_for "$J" '"SrcIpAddr":"127\.0\.0\.63".*"RuleName":"country"'
ok $? "and so do the cache hits of other clients"
q -b 127.0.0.61 asn.test MX >/dev/null
wait_for "$J" '"SrcIpAddr":"127.0.0.61"'
grep '"SrcIpAddr":"127.0.0.61"' "$J" | grep -q '1221'
ok $? "and their ASN (AS1221 from the ASN test database)"

batch 127.0.0.2 "$MXG_T/vol30" >/dev/null
batch 127.0.0.2 "$MXG_T/bot25" >/dev/null
batch 127.0.0.2 "$MXG_T/num10" >/dev/null
q -b 127.0.0.2 11.num.test MX >/dev/null
q -b 127.0.0.2 bigmail.test MX >/dev/null
log_settled "$J" 127.0.3.4 company1.test
! grep '"SrcIpAddr":"127.0.0.2"' "$J" | grep -Eq '"DvcAction":"(Block|Would block|Tag)"'
ok $? "the relay doing the same volume gets no blocking verdict"
kill -0 "$UB_PID"
ok $? "unbound still runs"
done_testing

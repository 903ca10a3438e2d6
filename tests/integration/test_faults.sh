#!/usr/bin/env bash
# tests/integration/test_faults.sh - bad surroundings and hostile input:
# missing and corrupt GeoIP databases, a GeoIP file replaced while running,
# a missing or invalid config at start, an unwritable log file, names with
# binary bytes (escaped in the JSON log), a flood of distinct clients and
# names (memory bounded), and mxguard-checkconf's verdicts.
. "$(dirname "$0")/lib.sh"
mxg_setup
CHECKCONF=$MXG_BUILDDIR/tools/mxguard-checkconf
G=$MXG_SRCDIR/tests/data/geoip
start_zone 20

# --- GeoIP missing, corrupt, replaced while running ---
resolver_dir geo
cp "$G/GeoIP2-Country-Test.mmdb" "$D/country.mmdb"
cat >"$D/mxguard.conf" <<CONF
geoip-country: $D/missing.mmdb
geoip-asn: $G/bad-data/MaxMind-DB-test-broken-search-tree-24.mmdb
log-file: $D/mx.json
log-lookups: yes
CONF
start_unbound "$D"
ok $? "unbound starts with a missing country DB and a corrupt ASN DB"
grep -q "missing.mmdb" "$D/unbound.log" && grep -q "broken-search-tree" "$D/unbound.log"
ok $? "the log names both files: $(grep -m1 'missing.mmdb' "$D/unbound.log" | cut -c1-150)"
q -b 127.0.0.3 mx.test MX | grep -q "status: NOERROR"
ok $? "MX queries are answered with GeoIP off"
sed -i "s|^geoip-country: .*|geoip-country: $D/country.mmdb|; /geoip-asn/d" "$D/mxguard.conf"
reload "$D"
q -b 127.0.0.4 mx.test MX >/dev/null
wait_for "$D/mx.json" '"SrcIpAddr":"127.0.0.4".*"DnsResponseIpCountry":"GB' 5
ok $? "after a reload with a good DB, lookups carry countries"
cp "$G/bad-data/invalid-data-record-offset.mmdb" "$D/new.mmdb" && mv "$D/new.mmdb" "$D/country.mmdb"
q -b 127.0.0.5 company3.test MX | grep -q "status: NOERROR"
ok $? "the DB file replaced (mv) by a corrupt one while running: still answering"
reload "$D"
q -b 127.0.0.6 company4.test MX | grep -q "status: NOERROR"
ok $? "and after a reload with the corrupt file: still answering"
head -c 2000 "$G/GeoIP2-Country-Test.mmdb" >"$D/country.mmdb"
reload "$D"
q -b 127.0.0.6 company5.test MX | grep -q "status: NOERROR"
ok $? "a truncated DB: still answering"
kill -0 "$UB_PID"
ok $? "unbound runs on"
stop_pid "$UB_PID"

# --- config missing, invalid at start; unwritable log file ---
C=$MXG_T/conf
write_unbound_conf "$C" 1
start_unbound "$C" 2>/dev/null
rc=$?
! kill -0 "$UB_PID" 2>/dev/null && [ $rc -ne 0 ]
ok $? "a missing mxguard.conf at start: unbound does not start"
grep -q "mxguard.conf" "$C/unbound.log" "$C/unbound.out" 2>/dev/null
ok $? "and says which file: $(grep -h -m1 'mxguard' "$C/unbound.log" "$C/unbound.out" 2>/dev/null | cut -c1-140)"
printf 'mode: refuse\nvolume-limit: lots\n' >"$C/mxguard.conf"
start_unbound "$C" 2>/dev/null
! kill -0 "$UB_PID" 2>/dev/null
ok $? "an invalid mxguard.conf at start: unbound does not start"
grep -q "mxguard.conf:2: volume-limit: lots" "$C/unbound.log"
ok $? "the error names file, line, option and value"
printf 'log-file: /nonexistent-dir/mx.json\nlog-lookups: yes\n' >"$C/mxguard.conf"
start_unbound "$C"
ok $? "an unwritable log-file does not stop unbound"
q -b 127.0.0.3 mx.test MX | grep -q "status: NOERROR"
ok $? "and MX queries are answered"
stop_pid "$UB_PID"

# --- hostile names, flood of clients and names ---
H=$MXG_T/hostile
write_unbound_conf "$H" 2
cat >"$H/mxguard.conf" <<CONF
max-memory: 1m
log-file: $H/mx.json
log-lookups: yes
log-rate: 0
CONF
start_unbound "$H"
ok $? "unbound starts with max-memory: 1m"
q -b 127.0.0.3 'a\000b\255c\".\\\\x.test' MX >/dev/null
q -b 127.0.0.3 'bin\010\013\034ary.mx.test' MX >/dev/null
q -b 127.0.0.3 'quote\"and\\\\back.mx.test' MX >/dev/null
wait_for "$H/mx.json" 'ary.mx.test' 5
python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line); n += 1
print(n)' "$H/mx.json" >"$H/n" 2>"$H/jerr"
ok $? "names with binary bytes, quotes and backslashes: every JSON line parses ($(cat "$H/n") lines) $(head -c 200 "$H/jerr")"
grep -qF 'bin\\010\\013\"ary' "$H/mx.json"
ok $? "binary bytes appear escaped as \\DDD (decimal), quotes JSON-escaped"
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$UB_PID"/status)
for ((i = 0; i < 1500; i++)); do echo "r$RANDOM$i.company$((i % 20 + 1)).test MX"; done >"$H/names"
digs=()
for a in 1 2 3 4; do
	dig +time=1 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "127.0.$a.$((a * 7))" -f "$H/names" +noall >/dev/null 2>&1 &
	digs+=($!)
done
wait "${digs[@]}"	# only the digs: the servers run in the background too
for a in $(seq 10 70); do
	q -b "127.1.1.$a" company1.test MX >/dev/null 2>&1
done
kill -0 "$UB_PID"
ok $? "6000 random names and 60 more clients later unbound runs"
rss1=$(awk '/VmRSS/ {print $2}' /proc/"$UB_PID"/status)
diag "RSS ${rss0} kB -> ${rss1} kB"
q -b 127.0.0.3 mx.test MX | grep -q "status: NOERROR"
ok $? "and answers"
mem=$(ubctl "$H" stats_noreset | awk -F= '$1 == "mem.mod.dynlibmod" {print $2}')
[ -n "$mem" ] && [ "$mem" -le $((1024 * 1024 + 512 * 1024)) ]
ok $? "the module's memory stays near max-memory (mem.mod.dynlibmod=$mem for max-memory 1m)"
stop_pid "$UB_PID"

# --- mxguard-checkconf ---
printf 'mode: refuse\nrelay: 10.0.0.0/8\n' >"$MXG_T/good.conf"
"$CHECKCONF" "$MXG_T/good.conf" >/dev/null 2>&1
ok $? "mxguard-checkconf accepts a good config (exit 0)"
[ "$("$CHECKCONF" -o mode "$MXG_T/good.conf" 2>/dev/null)" = "mode: refuse" ]
ok $? "mxguard-checkconf -o mode prints the value"
printf 'mode: refuse\nrelay: 10.0.0.0/33\nvolme-limit: 3\n' >"$MXG_T/bad.conf"
err=$("$CHECKCONF" "$MXG_T/bad.conf" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "bad.conf:2: relay: 10.0.0.0/33" &&
	echo "$err" | grep -q "bad.conf:3: volme-limit" && echo "$err" | grep -q "did you mean 'volume-limit'"
ok $? "mxguard-checkconf rejects a bad config (exit $rc) naming every error with file:line and a hint"
MXGUARD_CONF=$MXG_T/good.conf "$CHECKCONF" >/dev/null 2>&1
ok $? "mxguard-checkconf reads MXGUARD_CONF when no file is given"
done_testing

#!/usr/bin/env bash
# tests/integration/test_valgrind.sh - a start, traffic, reload, traffic,
# stop cycle of Unbound with mxguard under valgrind memcheck: no invalid
# access and no leaked block that mxguard.so allocated (deinit frees all).
. "$(dirname "$0")/lib.sh"
mxg_setup valgrind
[ -n "${MXG_UNBOUND_PRELOAD:-}" ] && skip_all "sanitizer build (valgrind and ASan do not mix)"
start_zone 20
start_redis
resolver_dir vg 2
mxguard_conf "$D" refuse vg <<CONF
geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb
CONF
MXGUARD_CONF="$D/mxguard.conf" valgrind --leak-check=full --show-leak-kinds=definite --keep-debuginfo=yes \
	--num-callers=30 --log-file="$D/valgrind.log" \
	"$UNBOUND" -d -c "$D/unbound.conf" >"$D/unbound.out" 2>&1 &
UB_PID=$!
MXG_PIDS+=("$UB_PID")
# Unbound under valgrind starts slowly
DNS_WAIT=25 wait_dns 127.0.0.1 "$UB_PORT" version.bind TXT -c CH
ok $? "unbound with mxguard starts under valgrind"
traffic() {
	seq 1 20 | sed 's/.*/company&.test MX/' >"$D/names"
	q -b 127.0.0.2 -f "$D/names" +noall >/dev/null
	q -b 127.0.0.66 -f "$D/names" +noall >/dev/null
	q -b 127.0.0.99 +tcp 1.evil.test MX >/dev/null
	q -b 127.0.0.5 a.mx.test A >/dev/null
	q -b 127.0.0.5 id.server CH TXT >/dev/null
}
traffic
reload "$D" 60
traffic
q -b 127.0.0.2 mx.test MX | grep -q "status: NOERROR"
ok $? "answers after a reload under valgrind"
kill -TERM "$UB_PID"
wait_gone "$UB_PID" 60
ok $? "unbound stops on SIGTERM"
wait "$UB_PID" 2>/dev/null
grep -q "ERROR SUMMARY" "$D/valgrind.log"
ok $? "valgrind wrote its report"
# records that involve mxguard.so: invalid accesses or definitely lost blocks
bad=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|.*definitely lost in)/ {rec = $0; keep = 1; next}
	keep && /^==[0-9]+== *$/ {if (rec ~ /mxguard/) print first; keep = 0; rec = ""; next}
	keep {rec = rec "\n" $0; if (first == "") first = $0}' "$D/valgrind.log" | head -5)
n=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|.*definitely lost in)/ {rec = $0; keep = 1; next}
	keep && /^==[0-9]+== *$/ {if (rec ~ /mxguard/) c++; keep = 0; rec = ""; next}
	keep {rec = rec "\n" $0} END {print c + 0}' "$D/valgrind.log")
[ "$n" -eq 0 ]
ok $? "no invalid access and no definitely lost block from mxguard.so ($n records)"
[ "$n" -eq 0 ] || grep -B2 -A25 "mxguard" "$D/valgrind.log" | head -60 | sed 's/^/# /'
grep -Eq "All heap blocks were freed|definitely lost: 0 bytes" "$D/valgrind.log"
ok $? "nothing definitely lost at all: $(grep -E 'in use at exit|definitely lost:' "$D/valgrind.log" | sed 's/^==[0-9]*== *//' | head -2 | tr '\n' ' ')"
diag "$(grep -E 'definitely lost:|ERROR SUMMARY' "$D/valgrind.log" | sed 's/^==[0-9]*== //' | tr '\n' ';')"
done_testing

#!/usr/bin/env bash
# tests/integration/test_hardening.sh - what a hostile Redis, a local user
# or another client can do, and the bounds that hold (docs/security.md):
# the Redis password is not in mxguard-report's argument list, terminal
# control bytes stored in Redis are shown as \xHH, instances and metrics
# reads are bounded; a truncated UDP answer and its TCP retry count once in Redis.
. "$(dirname "$0")/lib.sh"
mxg_setup redis-server
start_redis
start_zone 20
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

# ---- terminal control bytes from Redis are shown as \xHH ----
day=$(date -u +%Y%m%d)
rcli SET 't:{meta}:schema' 1 >/dev/null
esc=$(printf '\033')
bel=$(printf '\007')
csi8=$(printf '\302\233')	# U+009B, the 8-bit CSI, as UTF-8
rcli ZADD "t:{day:$day}:domains" 5 "evil${esc}[2j.example" >/dev/null
rcli HSET "t:{d:evil${esc}[2j.example}:h" count 5 country "G${esc}]0;pwned${bel}B" \
	as_org "Org${esc}]52;c;SGVsbG8=${bel}${csi8}x" first 1 last 2 >/dev/null
rcli ZADD 't:{inst}:all' 1 "inst${esc}[31m" >/dev/null
rcli HSET "t:{inst:inst${esc}[31m}" version "1${esc}c" last_seen 1 >/dev/null
rcli XADD 't:{alerts}' '*' TimeGenerated now SrcIpAddr 10.0.0.9 RuleName volume \
	DvcAction log DnsQuery "q${esc}[2J" Dvc i Reason "r${esc}]0;t${bel}" >/dev/null
# clean FILE: no ESC, BEL or raw C1 byte in it
clean() { ! LC_ALL=C grep -q "[$esc$bel]" "$1" && ! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1"; }
for c in top-domains "domain evil${esc}[2j.example" instances alerts; do
	# shellcheck disable=SC2086
	report $c >"$MXG_T/out" 2>&1
	clean "$MXG_T/out" && grep -q '\\x1b' "$MXG_T/out"
	ok $? "mxguard-report ${c%% *}: control bytes from Redis shown as \\x1b ($(head -c 300 "$MXG_T/out" | tr -d '\033\007' | tr '\n' ' ' | cut -c1-120))"
done
report domain "evil${esc}[2j.example" >"$MXG_T/out" 2>&1
grep -q 'Org\\x1b\]52;c;SGVsbG8=\\x07\\xc2\\x9bx' "$MXG_T/out"
ok $? "mxguard-report domain: OSC 52 and the 8-bit CSI are shown escaped"
report --json domain "evil${esc}[2j.example" >"$MXG_T/out" 2>&1
clean "$MXG_T/out" && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$MXG_T/out" 2>/dev/null
ok $? "mxguard-report --json domain: valid JSON with no raw control byte"

# ---- reads are bounded ----
seq 1 1500 | sed 's/.*/ZADD t:{inst}:all & inst&/' | rcli >/dev/null
report instances >"$MXG_T/out" 2>&1
rows=$(grep -c '^inst[0-9]' "$MXG_T/out")
[ "$rows" -le 1000 ] && grep -q 'more instances' "$MXG_T/out"
ok $? "mxguard-report instances reads at most 1000 of 1500 instances ($rows rows)"
# mxguard-report metrics (and mxguard-exporter): the instance index and
# the blocks hash are read bounded too; 1500 instances with a heartbeat and
# 20000 blocks in force
rcli EVAL "for i = 1, 1500 do redis.call('HSET', 't:{inst:inst' .. i .. '}', 'version', '1', 'last_seen', '1') end return 1" 0 >/dev/null
rcli EVAL "local u = tonumber(ARGV[1]) for i = 1, 20000 do redis.call('HSET', KEYS[1], '10.' .. math.floor(i / 65536) .. '.' .. (math.floor(i / 256) % 256) .. '.' .. (i % 256) .. '|', u .. '|1|manual|t|x') end return 1" \
	1 't:{blocks}' $(( $(date +%s) + 3600 )) >/dev/null
report metrics >"$MXG_T/out" 2>&1
ups=$(grep -c '^mxguard_up{' "$MXG_T/out"); ba=$(sed -n 's/^mxguard_blocks_active //p' "$MXG_T/out")
[ "$ups" -le 1000 ] && [ "$ups" -ge 900 ] && [ "${ba:-0}" -le 16384 ] && [ "${ba:-0}" -ge 16000 ]
ok $? "mxguard-report metrics reads at most 1000 instances ($ups of 1500) and 16384 blocks (${ba:-none} of 20000)"
rcli DEL 't:{blocks}' >/dev/null
{ printf 'HSET t:{c:10.0.0.77}:h count 3'; seq 1 200 | sed 's/.*/ f& v&/' | tr -d '\n'; echo; } | rcli >/dev/null
report client 10.0.0.77 >"$MXG_T/out" 2>&1
[ $? -ne 0 ] && grep -q 'fields' "$MXG_T/out"
ok $? "mxguard-report client: a hash of 201 fields is not read ($(head -c 100 "$MXG_T/out"))"

# ---- an IPv4-mapped client is the IPv4 client ----
rcli HSET 't:{c:10.0.0.42}:h' count 7 >/dev/null
out=$(report client ::ffff:10.0.0.42 2>&1)
echo "$out" | grep -Eq 'lookups +7'
ok $? "mxguard-report client ::ffff:10.0.0.42 reads the client 10.0.0.42"
out=$(report client ::ffff:10.0.0.0/120 2>&1)
echo "$out" | grep -q '10.0.0.0/24'
ok $? "mxguard-report client ::ffff:10.0.0.0/120 is 10.0.0.0/24"

# ---- an allocation failing at reload does not stop Unbound ----
# (not in the sanitizer pass: ASan's allocator must come first and would
# take calloc from the shim; the plain pass runs these checks)
if [ -n "${MXG_UNBOUND_PRELOAD:-}" ]; then
	for t in "unbound starts with mxguard (and the calloc shim)" \
		"calloc failing in init at reload: Unbound keeps answering" \
		"and says it runs in pass-through mode" \
		"the next reload starts the module again"; do
		TAP_N=$((TAP_N + 1))
		echo "ok $TAP_N # SKIP $t: the calloc shim and ASan do not mix"
	done
else
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
reload "$D"
kill -0 "$UB_PID" 2>/dev/null && q mx.test MX | grep -q "status: NOERROR"
ok $? "calloc failing in init at reload: Unbound keeps answering"
grep -q "pass-through" "$D/unbound.log"
ok $? "and says it runs in pass-through mode"
rm -f "$MXG_FAILCALLOC_FILE"
ubctl "$D" reload >/dev/null 2>&1
wait_for "$D/unbound.log" "started: config" 5 &&
	kill -0 "$UB_PID" 2>/dev/null && q mx.test MX | grep -q "status: NOERROR"
ok $? "the next reload starts the module again"
fi

# ---- GeoIP files: overwritten in place, replaced by rename ----
G=$MXG_SRCDIR/tests/data/geoip
GD=$MXG_T/geo
write_unbound_conf "$GD"
cp "$G/GeoIP2-Country-Test.mmdb" "$GD/country.mmdb"
cat >"$GD/mxguard.conf" <<CONF
geoip-country: $GD/country.mmdb
deny-country: JP
log-file: $GD/mx.json
log-lookups: yes
log-rate: 0
CONF
start_unbound "$GD"
ok $? "unbound starts with a country DB"
q -b 127.0.0.4 mx.test MX >/dev/null
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.4".*"DnsResponseIpCountry":"GB' 5
ok $? "lookups carry countries"
# in place: truncated to nothing, then rewritten by cp (what the
# install recipe does when repeated); with a mapped file this is SIGBUS
truncate -s 0 "$GD/country.mmdb"
# (names not looked up yet: the sink thread looks each base domain up once
# a minute)
for i in 1 2 3 4 5 6 7 8 9 10; do q -b 127.0.0.$((10 + i)) company$i.test MX >/dev/null; done
# the thread has read the DB for the last of them once its line is written
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.20"' 5
kill -0 "$UB_PID" 2>/dev/null && q -b 127.0.0.5 mx.test MX | grep -q "status: NOERROR"
ok $? "the DB truncated in place while in use: Unbound runs on and answers"
cp "$G/GeoIP2-City-Test.mmdb" "$GD/country.mmdb"
for i in 11 12 13 14 15 16 17 18 19 20; do q -b 127.0.0.$((10 + i)) company$i.test MX >/dev/null; done
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.30"' 5
kill -0 "$UB_PID" 2>/dev/null && q -b 127.0.0.6 mx.test MX | grep -q "status: NOERROR"
ok $? "the DB overwritten in place (cp) while in use: Unbound runs on"
# by rename (geoipupdate): picked up by the background thread, logged with
# its build date
cp "$G/GeoIP2-Country-Test.mmdb" "$GD/new.mmdb" && mv "$GD/new.mmdb" "$GD/country.mmdb"
wait_for "$GD/unbound.log" "country.mmdb: reloaded.*built 20" 60
ok $? "a DB replaced by rename is picked up within a minute: $(grep -o 'geoip.*reloaded.*' "$GD/unbound.log" | tail -1 | cut -c1-120)"
q -b 127.0.0.9 mx.test MX >/dev/null
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.9".*"DnsResponseIpCountry":"GB' 5
ok $? "and used for the next lookups"
# the country rule remembers the cached answers it found clean (the
# answer memo): a replaced database must make it judge them again.
# mx.test (mail1 81.2.69.142, mail2 2001:218::25) stays in Unbound's
# cache; with a database that knows no country it is clean, with the
# country database its mail2 is in JP
reloads_ge() { [ "$(grep -c 'country.mmdb: reloaded' "$GD/unbound.log")" -ge "$1" ]; }
cp "$G/GeoLite2-ASN-Test.mmdb" "$GD/new.mmdb" && mv "$GD/new.mmdb" "$GD/country.mmdb"
wait_until 60 reloads_ge 2
ok $? "a database without countries replaces it"
q -b 127.0.0.91 mx.test MX >/dev/null
q -b 127.0.0.92 mx.test MX >/dev/null
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.92"' 5 &&
	! grep -E '"SrcIpAddr":"127.0.0.9[12]"' "$GD/mx.json" | grep -q '"RuleName":"country"' &&
	grep '"SrcIpAddr":"127.0.0.92"' "$GD/mx.json" | grep -q '"IsCached":true'
ok $? "then the cached mx.test is clean, judged and then remembered (cache hits)"
cp "$G/GeoIP2-Country-Test.mmdb" "$GD/new.mmdb" && mv "$GD/new.mmdb" "$GD/country.mmdb"
wait_until 60 reloads_ge 3
q -b 127.0.0.93 mx.test MX >/dev/null
wait_for "$GD/mx.json" '"SrcIpAddr":"127.0.0.93".*"RuleName":"country"' 5 &&
	grep '"SrcIpAddr":"127.0.0.93"' "$GD/mx.json" | grep -q '"IsCached":true'
ok $? "the country database back: the same cached answer gets its country verdict (JP) at once"
kill -0 "$UB_PID"
ok $? "unbound still runs"

# ---- a truncated UDP answer and its TCP retry count once ----
# N.evil.test has 100 MX of 200+ bytes: over UDP the client gets TC, dig
# asks again over TCP; both are answered from Unbound's cache
TD=$MXG_T/tc
write_unbound_conf "$TD"
cat >"$TD/mxguard.conf" <<CONF
mode: log
redis-server: 127.0.0.1:$REDIS_PORT
redis-prefix: tc:
log-file: $TD/mx.json
log-lookups: yes
CONF
start_unbound "$TD"
ok $? "unbound starts with mxguard writing to Redis"
q -b 127.0.0.30 1.evil.test MX +tcp >/dev/null	# fills the cache
q -b 127.0.0.33 1.evil.test MX +ignore >"$MXG_T/tc.out"
grep -q "flags: qr tc" "$MXG_T/tc.out"
ok $? "the answer to 1.evil.test MX is truncated over UDP (TC)"
q -b 127.0.0.31 1.evil.test MX >"$MXG_T/tc.out"
grep -q "ANSWER: 100" "$MXG_T/tc.out" && grep -q "(TCP)" "$MXG_T/tc.out"
ok $? "dig retries it over TCP and gets the 100 MX"
# events are written in order: once this later one is in Redis, those of
# the pair are too
q -b 127.0.0.32 mx.test MX >/dev/null
day=$(date -u +%Y%m%d)
zscore_is() { [ "$(rcli ZSCORE "$1" "$2")" = "$3" ]; }
wait_until 10 zscore_is "tc:{day:$day}:clients" 127.0.0.32 1
ok $? "the lookup after the pair is in Redis"
min=$(( $(date +%s) / 60 ))
cm=0; for m in $min $((min - 1)); do v=$(rcli GET "tc:{c:127.0.0.31}:m:$m"); cm=$((cm + ${v:-0})); done
dm=0; for m in $min $((min - 1)); do v=$(rcli GET "tc:{d:evil.test}:m:$m"); dm=$((dm + ${v:-0})); done
[ "$cm" = 1 ]
ok $? "the UDP lookup and its TCP retry: client minute counter 1 (got $cm)"
pc=$(rcli ZSCORE "tc:{c:127.0.0.31}:d:$day" evil.test)
[ "$pc" = 1 ] && [ "$(rcli HGET 'tc:{c:127.0.0.31}:h' count)" = 1 ] &&
	[ "$(rcli ZSCORE "tc:{day:$day}:clients" 127.0.0.31)" = 1 ]
ok $? "client + domain pair 1 (got ${pc:-none}), client hash and top clients 1"
[ "$dm" = 3 ]
ok $? "domain minute counter 3 for the three clients (got $dm)"
grep '"SrcIpAddr":"127.0.0.31"' "$TD/mx.json" | grep -q '"NetworkProtocol":"TCP".*"IsTcpRetry":true'
ok $? "the retry's JSON line says IsTcpRetry"

done_testing

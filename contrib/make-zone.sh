#!/usr/bin/env bash
# contrib/make-zone.sh - the test and demo root zone for the private NSD.
#
# Writes one zone file for "." holding every name the tests and the demo
# query, so a test Unbound (stub-zone "." -> NSD on loopback) never needs
# anything from outside. MX host addresses sit in the ranges of MaxMind's
# test databases (tests/data/geoip) so GeoIP has something to say:
#   81.2.69.142 GB, 216.160.83.56 US, 89.160.20.112 SE, 67.43.156.1 BT,
#   202.196.224.1 PH, 2001:218::/32 JP, 2001:250::/31 CN, 2a02:d0c0::/29 RU;
#   ASN: 1.128.0.0/11 AS1221, 12.81.92.0/22 AS7018.
#
# Zones (all under the test TLDs .test and .example, never real ones):
#   mx.test                 2 MX (GB, JP)
#   companyN.test  N=1..C   1-5 MX each, mixed countries
#   bigmail.test            10 MX mx1..mx10 (a large provider)
#   home.dyndns.test        MX of a dynamic-DNS name (RU)
#   N.num.test    N=1..30   numeric prefixes with ordinary MX answers
#   N.evil.test   N=1..S    the MX payload staging tool's answers: 100 MX per
#                           numeric name, exchanges of four 50-char lowercase
#                           hex labels under evil.test, preferences 10..1000,
#                           carrying the hex of PAYLOAD (default: generated)
#   WORD.drip.test          a slow staging variant: 30 word names (alpha,
#                           bravo, ...), one MX each, whose exchange is one
#                           50-char hex label of the same payload under
#                           drip.test (the staging-drip rule)
#   a.mx.test A, mx.test A  for non-MX queries
#
# Usage: make-zone.sh OUTFILE [COMPANIES [PAYLOAD_FILE]]
set -euo pipefail
out=$1
companies=${2:-600}
payload=${3:-}

hexof() { od -An -v -tx1 | tr -d ' \n'; }

{
cat <<'HEAD'
$TTL 300
.		86400	IN SOA ns.root.test. hostmaster.root.test. 1 3600 600 86400 300
.		86400	IN NS ns.root.test.
ns.root.test.	86400	IN A 127.0.0.1
mx.test.	IN MX 10 mail1.mx.test.
mx.test.	IN MX 20 mail2.mx.test.
mx.test.	IN A 192.0.2.1
a.mx.test.	IN A 192.0.2.2
mail1.mx.test.	IN A 81.2.69.142
mail2.mx.test.	IN AAAA 2001:218::25
bigmail.test.	IN A 192.0.2.3
home.dyndns.test. IN MX 10 home.dyndns.test.
home.dyndns.test. IN AAAA 2a02:d0c0::25
asn.test.	IN MX 10 mx.asn.test.
mx.asn.test.	IN A 1.128.0.25
mx.asn.test.	IN A 12.81.92.25
HEAD
for i in 1 2 3 4 5 6 7 8 9 10; do
	echo "bigmail.test. IN MX $((i * 10)) mx$i.bigmail.test."
	echo "mx$i.bigmail.test. IN A 216.160.83.$((55 + i % 4))"
done
addrs=("A 81.2.69.142" "A 216.160.83.56" "A 89.160.20.113" "A 67.43.156.1"
	"A 202.196.224.1" "AAAA 2001:218::25" "AAAA 2001:250::25"
	"AAAA 2a02:d0c0::25" "A 1.128.0.25" "A 12.81.92.25")
for ((c = 1; c <= companies; c++)); do
	n=$((1 + c % 5))
	for ((k = 1; k <= n; k++)); do
		echo "company$c.test. IN MX $((k * 10)) mx$k.company$c.test."
		echo "mx$k.company$c.test. IN ${addrs[$(((c + k) % 10))]}"
	done
	echo "company$c.test. IN A 192.0.2.4"
done
# numeric-prefixed names with ordinary answers (the seed's staging-window rule)
for ((n = 1; n <= 30; n++)); do
	echo "$n.num.test. IN MX 10 mx.num.test."
done
echo "mx.num.test. IN A 89.160.20.113"
# the staging domain: the payload hex, 100 MX per numeric name
if [ -n "$payload" ]; then
	hex=$(hexof <"$payload")
else
	hex=$(for ((i = 0; i < 1200; i++)); do printf 'mxguard staging payload line %04d\n' "$i"; done | hexof)
fi
per=200	# hex chars per exchange: four labels of 50
rec=0
name=1
len=${#hex}
for ((o = 0; o < len; o += per)); do
	chunk=${hex:o:per}
	while [ ${#chunk} -lt $per ]; do chunk="${chunk}0"; done
	pref=$(( (rec % 100 + 1) * 10 ))
	echo "$name.evil.test. IN MX $pref ${chunk:0:50}.${chunk:50:50}.${chunk:100:50}.${chunk:150:50}.evil.test."
	rec=$((rec + 1))
	if [ $((rec % 100)) -eq 0 ]; then name=$((name + 1)); fi
done
# the slow variant: one record per answer, whatever the names
words=(alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo
	lima mike november oscar papa quebec romeo sierra tango uniform victor
	whiskey xray yankee zulu news mail cdn static)
for ((i = 0; i < 30; i++)); do
	echo "${words[i]}.drip.test. IN MX 10 ${hex:i * 50:50}.drip.test."
done
echo "; staging: $len hex chars in $rec MX records over $(( (rec + 99) / 100 )) names"
} >"$out"

#!/usr/bin/env bash
# tests/debian/test_debs.sh - the Debian packages from contrib/build-debs.sh,
# installed with apt and run the way Debian runs Unbound.
#
# Installs the rebuilt unbound and the mxguard package, starts Unbound the
# way Debian's unit does (unbound-helper, then /usr/sbin/unbound -d -p with
# Debian's /etc/unbound/unbound.conf; it drops to user unbound) with one test
# snippet that moves it to a free loopback port and points "." at a private
# NSD (nothing is queried off the machine), and checks: the module loads
# from the packaged paths, an MX lookup is logged to the packaged log, a
# reload through the unit's (drop-in's) ExecReload commands switches to
# refuse mode and refuses a bot while a bad config is refused at reload,
# mxguard-report reads the counters from Redis, and after `apt purge
# mxguard` Unbound starts and answers without it. Then it purges every
# package it installed: the box is as before.
#
# Root on Debian 12 only; skipped where unbound is already installed (it
# would replace the operator's resolver). MXG_DEBS_DIR: the folder of .debs
# (default: run contrib/build-debs.sh, cached). Run by `make check-debs`.
. "$(dirname "$0")/../integration/lib.sh"
src=${MXG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || skip_all "needs root (installs packages)"
command -v apt-get >/dev/null && [ -f /etc/debian_version ] || skip_all "not a Debian system"
case "$(cat /etc/debian_version)" in 12.*|bookworm*) ;; *) skip_all "the packages are built for Debian 12" ;; esac
# one run at a time on a machine: they install and purge the same packages
lock=/run/lock/mxguard-test-debs.lock; [ -d /run/lock ] || lock=/tmp/mxguard-test-debs.lock
exec 9>"$lock"
flock -w 1200 9 || skip_all "another test_debs.sh run holds $lock"
if dpkg-query -W -f='${Status}' unbound 2>/dev/null | grep -q 'ok installed'; then
	skip_all "unbound is installed on this machine: this test would replace it"
fi

MXG_T=$(mktemp -d /tmp/mxg-debs.XXXXXX)
chmod 755 "$MXG_T"
before=$MXG_T/packages.before
installed() { dpkg-query -W -f='${Package} ${Status}\n' | awk '$NF != "not-installed" {print $1}' | sort; }
installed >"$before"
snip=/etc/unbound/unbound.conf.d/zz-mxguard-test.conf
prc=/usr/sbin/policy-rc.d
own_prc=no
UB=""
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive

restore() {
	set +e
	[ -n "$UB" ] && stop_pid "$UB"
	rm -f "$snip" /etc/unbound/mxguard-test.hints
	# purge exactly what this test installed
	local new
	new=$(installed | comm -13 "$before" -)
	if [ -n "$new" ]; then
		# shellcheck disable=SC2086
		"${APT[@]}" purge $new >"$MXG_T/purge.log" 2>&1 ||
			{ echo "# purging $new failed:"; tail -5 "$MXG_T/purge.log" | sed 's/^/# /'; }
	fi
	[ $own_prc = yes ] && rm -f "$prc"
	mxg_teardown	# NSD, Redis, $MXG_T
}
trap restore EXIT
hold_services() { [ -e $prc ] || { printf '#!/bin/sh\nexit 101\n' >$prc; chmod 755 $prc; own_prc=yes; }; }
release_services() { [ $own_prc = yes ] && rm -f $prc; own_prc=no; }

debs=${MXG_DEBS_DIR:-}
if [ -z "$debs" ]; then
	debs=$(bash "$src/contrib/build-debs.sh" 2>"$MXG_T/build-debs.log" | tail -n 1)
	[ -d "$debs" ] || { tail -20 "$MXG_T/build-debs.log" | sed 's/^/# /'; bail "contrib/build-debs.sh failed"; }
fi
udeb=$(ls "$debs"/unbound_*.deb 2>/dev/null | head -1)
mdeb=$(ls "$debs"/mxguard_*.deb 2>/dev/null | head -1)
[ -f "$udeb" ] && [ -f "$mdeb" ] || bail "no unbound_*.deb and mxguard_*.deb in $debs"
uver=$(dpkg-deb -f "$udeb" Version)
diag "installing $(basename "$udeb") $(basename "$mdeb")"

# ---- install ----
hold_services
# as an operator would: with the recommended packages (dns-root-data holds
# the root trust anchor Debian's configuration points at)
"${APT[@]}" install "$udeb" "$mdeb" >"$MXG_T/install.log" 2>&1
ok $? "apt installs unbound $uver and mxguard from $debs"
release_services
[ "$(dpkg-query -W -f='${Version}' unbound 2>/dev/null)" = "$uver" ] || {
	tail -20 "$MXG_T/install.log" | sed 's/^/# /'; bail "unbound $uver is not installed"; }
dpkg-query -W -f='${Depends}' mxguard | grep -qF "unbound (= $uver)"
ok $? "mxguard depends on exactly unbound $uver"
/usr/sbin/unbound -V | grep -q 'dynlib'
ok $? "Debian's /usr/sbin/unbound has dynlib: $(/usr/sbin/unbound -V | grep -o 'Linked modules:.*')"
dpkg -L unbound | grep -qx /lib/systemd/system/unbound.service
ok $? "the unbound package keeps Debian's unit file"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
so=/usr/lib/$ma/unbound/mxguard.so
check "the module is at $so" -- test -f "$so"
check "mxguard-checkconf and mxguard-report are on the PATH" -- \
	sh -c 'command -v mxguard-checkconf && command -v mxguard-report'
man=$(dpkg-deb -c "$mdeb" | grep -c 'usr/share/man/man[158]/mxguard.*\.gz$')
nman=$(ls "$src"/docs/*.[158] | wc -l)
[ "$man" -eq "$nman" ]
ok $? "the package holds the $nman man pages of docs/ ($man)"
dpkg-query -W -f='${Conffiles}\n' mxguard | grep -q ' /etc/unbound/mxguard.conf '
ok $? "/etc/unbound/mxguard.conf is a conffile"
[ "$(mxguard-checkconf -o mode 2>/dev/null)" = "mode: log" ] && mxguard-checkconf -q
ok $? "the packaged mxguard.conf passes mxguard-checkconf, in log mode"
[ "$(stat -c '%U:%G %a' /etc/unbound/mxguard.conf)" = "root:unbound 640" ]
ok $? "mxguard.conf is root:unbound 0640 ($(stat -c '%U:%G %a' /etc/unbound/mxguard.conf))"
grep -q "dynlib-file: \"$so\"" /etc/unbound/unbound.conf.d/mxguard.conf &&
	grep -q 'module-config: "dynlib validator iterator"' /etc/unbound/unbound.conf.d/mxguard.conf
ok $? "the snippet in unbound.conf.d loads $so first in the chain"
[ "$(stat -c %U /var/lib/mxguard)" = unbound ] && [ "$(stat -c %U /var/log/mxguard)" = unbound ]
ok $? "/var/lib/mxguard and /var/log/mxguard belong to unbound"
check "a logrotate file" -- test -f /etc/logrotate.d/mxguard
grep -qx 'include if exists <mxguard/unbound>' /etc/apparmor.d/local/usr.sbin.unbound &&
	grep -q "$so mr" /etc/apparmor.d/mxguard/unbound
ok $? "Unbound's AppArmor profile includes mxguard's rules"
grep -q '^ExecReload=/usr/bin/mxguard-checkconf -q --unbound /etc/unbound/unbound.conf' /lib/systemd/system/unbound.service.d/mxguard.conf
ok $? "a systemd drop-in checks the config before a reload"

# ---- start it the way Debian does ----
bash "$src/contrib/make-zone.sh" "$MXG_T/root.zone" 60
start_nsd "$MXG_T/root.zone"
start_redis
P=$(free_port)
hints=""
if [ "$NSD_HINTS" = yes ]; then
	printf '.\t3600000\tNS\tns.root.test.\nns.root.test.\t3600000\tA\t%s\n' "$NSD_ADDR" \
		>/etc/unbound/mxguard-test.hints
	hints="	root-hints: \"/etc/unbound/mxguard-test.hints\""
fi
cat >"$snip" <<SNIP
# tests/debian/test_debs.sh: a free loopback port, "." served by a private NSD
server:
	interface: 127.0.0.1
	port: $P
	access-control: 127.0.0.0/8 allow
	outgoing-interface: 127.0.0.1
	do-not-query-localhost: no
	do-ip6: no
	domain-insecure: "test."
	domain-insecure: "example."
	qname-minimisation: no
	local-zone: "test." nodefault
	logfile: "$MXG_T/unbound.log"
	use-syslog: no
	verbosity: 1
$hints
stub-zone:
	name: "."
	stub-addr: $NSD_ADDR@$NSD_PORT
SNIP
chmod 644 "$snip"
touch "$MXG_T/unbound.log"; chown unbound "$MXG_T/unbound.log"
sed -i "s|^\s*#\s*redis-server:.*|\tredis-server: 127.0.0.1:$REDIS_PORT|" /etc/unbound/mxguard.conf
sed -i "s|^\(\s*mode:.*\)|\1\n\tlog-lookups: yes|" /etc/unbound/mxguard.conf
# what unbound.service runs before unbound (ExecStartPre)
helpers() {
	/usr/libexec/unbound-helper chroot_setup
	/usr/libexec/unbound-helper root_trust_anchor_update >/dev/null
}
helpers
unbound-checkconf >"$MXG_T/checkconf.out" 2>&1
ok $? "unbound-checkconf accepts Debian's config with mxguard's snippet: $(tail -1 "$MXG_T/checkconf.out")"

start_debian_unbound() {
	helpers
	/usr/sbin/unbound -d -p >>"$MXG_T/unbound.out" 2>&1 &
	UB=$!
	wait_dns 127.0.0.1 "$P" version.bind TXT -c CH || {
		sed 's/^/# /' "$MXG_T/unbound.out" "$MXG_T/unbound.log" | tail -20; return 1; }
}
qq() { dig +time=3 +tries=1 -p "$P" @127.0.0.1 "$@"; }
start_debian_unbound
ok $? "Debian's unbound starts with -d -p and the packaged snippet"
[ "$(ps -o user= -p "$UB" | tr -d ' ')" = unbound ]
ok $? "it runs as user unbound ($(ps -o user= -p "$UB"))"
grep -q " $so\$" "/proc/$UB/maps"
ok $? "it has loaded the module from $so"
kill -0 "$UB" && wait_for "$MXG_T/unbound.log" "mxguard: started: config /etc/unbound/mxguard.conf, mode log"
ok $? "mxguard says it started with /etc/unbound/mxguard.conf in log mode"

out=$(qq -b 127.0.0.10 mx.test MX)
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'IN[[:space:]]MX'
ok $? "an MX lookup through it is answered"
wait_for /var/log/mxguard/mxguard.log '"mx.test' 5
ok $? "and logged to /var/log/mxguard/mxguard.log: $(grep -m1 '"mx.test' /var/log/mxguard/mxguard.log | cut -c1-120)"
[ "$(stat -c %U /var/log/mxguard/mxguard.log)" = unbound ]
ok $? "the log file was created by user unbound"

# ---- reload the way the unit does: its ExecReload commands in order ----
unit_reload() {
	local cmd
	while IFS= read -r cmd; do
		cmd=${cmd#ExecReload=}; cmd=${cmd#+}
		[ -n "$cmd" ] || continue
		cmd=${cmd//\$MAINPID/$UB}
		sh -c "$cmd" >>"$MXG_T/reload.out" 2>&1 || return 1
	done < <(grep '^ExecReload=' /lib/systemd/system/unbound.service.d/mxguard.conf)
}
cp /etc/unbound/mxguard.conf "$MXG_T/mxguard.conf.good"
sed -i 's/^\(\s*\)mode: log/\1mode: refuse\n\1volume-limit: banana/' /etc/unbound/mxguard.conf
n0=$(grep -c 'mxguard: started' "$MXG_T/unbound.log")
unit_reload
rc=$?
sleep 1
[ $rc -ne 0 ] && [ "$(grep -c 'mxguard: started' "$MXG_T/unbound.log")" -eq "$n0" ] && kill -0 "$UB"
ok $? "a reload with a bad mxguard.conf is refused before it reaches Unbound: $(grep -m1 banana "$MXG_T/reload.out")"
cp "$MXG_T/mxguard.conf.good" /etc/unbound/mxguard.conf
sed -i 's/^\(\s*\)mode: log/\1mode: refuse/' /etc/unbound/mxguard.conf
unit_reload
ok $? "the unit's reload (unbound-checkconf, mxguard-checkconf, HUP) passes in refuse mode"
i=0
while [ "$(grep -c 'mxguard: started' "$MXG_T/unbound.log")" -le "$n0" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1)); done
wait_dns 127.0.0.1 "$P" version.bind TXT -c CH
grep 'mxguard: started' "$MXG_T/unbound.log" | tail -1 | grep -q 'mode refuse'
ok $? "after the reload mxguard runs in refuse mode"
seq 1 50 | sed 's/.*/company&.test MX/' >"$MXG_T/c50"
res=$(dig +time=3 +tries=1 -p "$P" @127.0.0.1 -b 127.0.0.66 -f "$MXG_T/c50" +noall +comments |
	awk '/status: NOERROR/ {a++} /status: REFUSED/ {r++} END {printf "%d %d", a, r}')
read -r ba br <<<"$res"
[ "$ba" -le 21 ] && [ "$br" -ge 29 ]
ok $? "a spam bot (MX of 50 domains) is refused over the fanout threshold ($ba answered, $br refused)"
qq -b 127.0.0.66 a.mx.test A | grep -q "192.0.2.2"
ok $? "its A queries still resolve"
qq -b 127.0.0.10 mx.test MX | grep -q 'status: NOERROR'
ok $? "another client's MX lookup is still answered"

# ---- Redis ----
i=0
until mxguard-report -c /etc/unbound/mxguard.conf top-clients 2>/dev/null | grep -q '127\.0\.0\.66' || [ $i -ge 50 ]; do
	sleep 0.2; i=$((i + 1)); done
mxguard-report -c /etc/unbound/mxguard.conf top-clients >"$MXG_T/report.out" 2>&1
grep -q '127\.0\.0\.66' "$MXG_T/report.out"
ok $? "mxguard-report -c /etc/unbound/mxguard.conf reads the bot's count from Redis: $(grep -m1 '127\.0\.0\.66' "$MXG_T/report.out" | tr -s ' ')"

stop_pid "$UB"; UB=""

# ---- purge mxguard: Unbound still starts and answers ----
"${APT[@]}" purge mxguard >"$MXG_T/purge-mxguard.log" 2>&1
ok $? "apt purge mxguard"
[ ! -e /etc/unbound/unbound.conf.d/mxguard.conf ] && [ ! -e /etc/unbound/mxguard.conf ] &&
	[ ! -e "$so" ] && ! grep -q mxguard /etc/apparmor.d/local/usr.sbin.unbound 2>/dev/null
ok $? "it leaves no snippet, config, module or AppArmor include behind"
unbound-checkconf >/dev/null 2>&1
ok $? "unbound-checkconf accepts the configuration without mxguard"
start_debian_unbound
ok $? "Debian's unbound starts after the purge"
out=$(qq -b 127.0.0.10 mx.test MX)
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'IN[[:space:]]MX'
ok $? "and answers MX lookups"
[ -e "/proc/$UB/maps" ] && ! grep -q mxguard "/proc/$UB/maps"
ok $? "without the module"
stop_pid "$UB"; UB=""
done_testing

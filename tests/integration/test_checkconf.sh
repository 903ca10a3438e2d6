#!/usr/bin/env bash
# tests/integration/test_checkconf.sh - mxguard-checkconf --unbound checks
# what a reload will meet (module chain, dynlib-file present, loadable,
# built for this Unbound, files readable and writable by Unbound's user),
# and the module refuses to start in an unbound whose configure line differs
# from the tree it was built against, with a clear message.
. "$(dirname "$0")/lib.sh"
mxg_setup
CC=$MXG_BUILDDIR/tools/mxguard-checkconf
D=$MXG_T/cc; mkdir -p "$D"
ubconf() {	# ubconf MODULE-CONFIG DYNLIB-FILE [USER]
	cat >"$D/unbound.conf" <<EOF
server:
	username: "${3:-}"
	chroot: ""
	module-config: "$1"
dynlib:
	dynlib-file: "$2"
EOF
}
cat >"$D/mxguard.conf" <<EOF
mode: log
log-file: $D/mxguard.json
geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb
EOF
chk() { "$CC" --unbound "$D/unbound.conf" --unbound-bin "$UNBOUND" "$@" "$D/mxguard.conf" >"$D/out" 2>&1; }

"$CC" --help | grep -q -- "--unbound"
ok $? "--help describes --unbound"
"$CC" --version | grep -Eq '^mxguard-checkconf [0-9]'
ok $? "--version"

ubconf "dynlib validator iterator" "$MXG_MODULE"
chk; rc=$?
[ $rc -eq 0 ] && grep -q "^ok: .*is that Unbound" "$D/out" &&
	grep -q "^ok: dynlib-file .*every library it needs is found" "$D/out"
ok $? "a good setup passes: module built for this unbound, libraries found (rc $rc)"

ubconf "dynlib validator iterator" "$D/missing.so"
chk; rc=$?
[ $rc -eq 1 ] && grep -q "^error: dynlib-file $D/missing.so: No such file" "$D/out"
ok $? "a missing dynlib-file is an error (rc $rc)"

ubconf "validator iterator" "$MXG_MODULE"
chk; rc=$?
[ $rc -eq 1 ] && grep -q '^error: module-config "validator iterator" has no dynlib' "$D/out"
ok $? "a module chain without dynlib is an error"
ubconf "validator iterator dynlib" "$MXG_MODULE"
chk; rc=$?
[ $rc -eq 1 ] && grep -Eq '^error: .*(dynlib must come before the iterator|not known to work)' "$D/out"
ok $? "dynlib after the iterator is an error"

cp /bin/true "$D/notlib.so"
ubconf "dynlib validator iterator" "$D/notlib.so"
chk; rc=$?
[ $rc -eq 1 ] && grep -Eq "^error: dynlib-file $D/notlib.so: (not an ELF shared object|not mxguard.so)" "$D/out"
ok $? "a file that is not mxguard.so is an error"

# an unbound whose configure line differs (one byte patched in a copy)
sed 's/--enable-subnet/--enable-subnex/' "$UNBOUND" >"$D/unbound-other"
chmod 755 "$D/unbound-other"
ln -s "$UNBOUND_DIR/unbound-checkconf" "$D/unbound-checkconf"  # found next to it
cmp -s "$UNBOUND" "$D/unbound-other"
[ $? -eq 1 ]
ok $? "a copy of unbound with another configure line"
ubconf "dynlib validator iterator" "$MXG_MODULE"
"$CC" --unbound "$D/unbound.conf" --unbound-bin "$D/unbound-other" "$D/mxguard.conf" >"$D/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "^error: dynlib-file .* was built for Unbound .*is another" "$D/out"
ok $? "a module built for another configure line is an error"

# missing GeoIP database: a warning only
sed -i "s|^geoip-country:.*|geoip-country: $D/none.mmdb|" "$D/mxguard.conf"
chk; rc=$?
[ $rc -eq 0 ] && grep -q "^warning: geoip-country: $D/none.mmdb" "$D/out"
ok $? "a missing GeoIP database is a warning, not an error"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$D/priv"; chmod 700 "$D/priv"
	sed -i "s|^log-file:.*|log-file: $D/priv/mxguard.json|" "$D/mxguard.conf"
	ubconf "dynlib validator iterator" "$MXG_MODULE" nobody
	chk; rc=$?
	[ $rc -eq 1 ] && grep -q "^error: log-file $D/priv/mxguard.json cannot be written by nobody" "$D/out"
	ok $? "a log file Unbound's user cannot write is an error"
	chmod 777 "$D/priv"
	chk; rc=$?
	[ $rc -eq 0 ] && grep -q "^ok: log-file $D/priv/mxguard.json is writable by nobody" "$D/out"
	ok $? "and passes once the user can write it"
else
	diag "not root or no user nobody: the user checks are not run"
fi

# the module itself refuses to start in the other unbound
NSD_HINTS=no NSD_ADDR=127.0.0.1 NSD_PORT=9 write_unbound_conf "$D/ub" 1
echo "mode: log" >"$D/ub/mxguard.conf"
MXGUARD_CONF="$D/ub/mxguard.conf" LD_PRELOAD="${MXG_UNBOUND_PRELOAD:-}" \
	timeout 20 "$D/unbound-other" -d -c "$D/ub/unbound.conf" >"$D/ub/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] &&
	cat "$D/ub/unbound.log" "$D/ub/out" 2>/dev/null |
	grep -q "was built for Unbound .*but the running unbound has another configure line"
ok $? "the module refuses to start in an unbound with another configure line (rc $rc)"
done_testing

#!/usr/bin/env bash
# contrib/build-unbound.sh - build Debian 12's own Unbound source with dynlib support.
#
# Debian's packaged unbound is built without --with-dynlibmodule, so it cannot load
# C modules such as mxguard. This script fetches Debian's source (apt-get source),
# configures it --with-dynlibmodule --with-libevent and installs it into a cache
# directory outside the source clone, keyed by the Unbound version:
#
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/src     configured and built source tree
#                                           (pass it to ./configure --with-unbound=)
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/inst    installed sbin/unbound, unbound-control ...
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/src/testbound
#                                           Unbound's scenario test driver, linked with
#                                           $(DYNLIBMOD_EXTRALIBS) so it can load mxguard.so
#
# A second run with the cache present only checks it and prints the tree path.
# The last line printed on stdout is the source tree directory.
#
# Usage: contrib/build-unbound.sh [--deps-only] [--print-dir]
# Environment: MXGUARD_CACHE (default /var/cache/mxguard)
set -euo pipefail

cache=${MXGUARD_CACHE:-/var/cache/mxguard}
deps_only=no
print_dir=no
for a in "$@"; do
	case "$a" in
	--deps-only) deps_only=yes ;;
	--print-dir) print_dir=yes ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "build-unbound.sh: unknown argument '$a'" >&2; exit 2 ;;
	esac
done

say() { echo "build-unbound: $*" >&2; }

# Packages needed to build Unbound and mxguard and to run the tests and demo.
PKGS="build-essential autoconf automake libtool pkg-config dpkg-dev
 libssl-dev libevent-dev libexpat1-dev bison flex
 libhiredis-dev libmaxminddb-dev libpsl-dev
 redis-server redis-tools nsd ldnsutils bind9-dnsutils
 groff-base valgrind python3 iproute2 clang libclang-rt-14-dev dnsperf
 libmicrohttpd-dev prometheus"

need_install() {
	local p missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	echo "$missing"
}

ensure_deb_src() {
	# deb-src entries are needed by apt-get source; add them next to the deb ones.
	if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
		return 0
	fi
	say "enabling deb-src for bookworm"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/mxguard-deb-src.sources
	else
		grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/mxguard-deb-src.list
	fi
	APT_UPDATED=no
}

APT_UPDATED=no
apt_update() {
	if [ "$APT_UPDATED" = no ]; then
		say "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		APT_UPDATED=yes
	fi
}

missing=$(need_install)
if [ -n "$missing" ]; then
	apt_update
	say "installing:$missing"
	# nsd and redis-server must not start system-wide daemons on port 53/6379
	# behind our back; policy-rc.d keeps them from starting at install.
	prc=/usr/sbin/policy-rc.d
	had_prc=no; [ -e $prc ] && had_prc=yes
	[ $had_prc = yes ] || { printf '#!/bin/sh\nexit 101\n' >$prc; chmod 755 $prc; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
	[ $had_prc = yes ] || rm -f $prc
fi
[ $deps_only = yes ] && exit 0

# The archive's newest unbound, never our own rebuild (contrib/build-debs.sh
# makes +mxguardN versions; installed, they would be apt's candidate).
archive_version() {
	apt-cache madison unbound 2>/dev/null |
		awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -v mxguard | head -n 1
}
ver=$(archive_version)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	apt_update
	ver=$(archive_version)
fi
[ -n "$ver" ] || { say "cannot find the unbound package version (apt-cache madison unbound)"; exit 1; }

# testbound links without -export-dynamic, so a dynlib module loaded into it
# cannot resolve Unbound's symbols; give its link line $(DYNLIBMOD_EXTRALIBS).
build_testbound() {
	[ -x "$1/testbound" ] && return 0
	say "building testbound with \$(DYNLIBMOD_EXTRALIBS) in $1"
	sed -i '/^testbound\$(EXEEXT):/{n;/DYNLIBMOD_EXTRALIBS/!s/$/ $(DYNLIBMOD_EXTRALIBS)/}' "$1/Makefile"
	make -C "$1" -j"$(nproc)" testbound >&2
}

# Every module a chain can hold is built in (subnetcache, cachedb, ipsecmod,
# dns64 and respip are always there), so the scenario tests (tests/rpl) can
# try mxguard next to each. .built records these options: a cache built with
# others is rebuilt.
UB_OPTS="--with-dynlibmodule --with-libevent --enable-subnet --enable-cachedb
 --with-libhiredis --enable-ipsecmod --disable-flto --disable-rpath"
UB_OPTS=$(echo $UB_OPTS)
# the key names the version and the options, so a tree that other builds
# point at is never rebuilt under them
key="unbound-${ver//[:~]/_}-$(echo "$UB_OPTS" | md5sum | cut -c1-6)"
dir="$cache/$key"

if [ -f "$dir/.built" ] && [ "$(cat "$dir/.built")" = "$UB_OPTS" ] &&
	[ -x "$dir/inst/sbin/unbound" ] && [ -f "$dir/src/config.h" ]; then
	say "cached build found: $dir"
	build_testbound "$dir/src"
	echo "$dir/src"
	exit 0
fi

say "building Debian unbound $ver with dynlib into $dir"
rm -rf "$dir"
mkdir -p "$dir/dl"
ensure_deb_src
apt_update
(cd "$dir/dl" && apt-get source -qq --download-only "unbound=$ver" >&2)
dsc=$(ls "$dir"/dl/unbound_*.dsc | head -1)
dpkg-source --no-check -x "$dsc" "$dir/src" >&2
cd "$dir/src"
# shellcheck disable=SC2086
./configure --prefix="$dir/inst" $UB_OPTS \
	--with-pidfile="" --with-chroot-dir="" --with-username="" >&2
make -j"$(nproc)" >&2
make install >&2
grep -q 'define WITH_DYNLIBMODULE 1' config.h || { say "config.h lacks WITH_DYNLIBMODULE"; exit 1; }
build_testbound "$dir/src"
echo "$UB_OPTS" >"$dir/.built"
rm -rf "$dir/dl"
say "done: $dir"
echo "$dir/src"

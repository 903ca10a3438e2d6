#!/usr/bin/env bash
# contrib/build-unbound.sh - build an Unbound source tree with dynlib support.
#
# Distribution packages of unbound are built without --with-dynlibmodule, so
# they cannot load C modules such as mxguard. This script builds Unbound with
# dynlib (and every module a chain can hold, see UB_OPTS) into a cache
# directory outside the source clone, keyed by the version and the options:
#
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/src     configured and built source tree
#                                           (pass it to ./configure --with-unbound=)
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/inst    installed sbin/unbound, unbound-control ...
#   $MXGUARD_CACHE/unbound-<version>-<options hash>/src/testbound
#                                           Unbound's scenario test driver, linked with
#                                           $(DYNLIBMOD_EXTRALIBS) so it can load mxguard.so
#
# Which source:
#   (none) or "debian"   Debian's own source of the candidate unbound package
#                        (apt-get source; the default, what the tests use)
#   a version, 1.22.0    upstream unbound-<version>.tar.gz from $MXG_VENDOR
#                        (default: ../shared/vendor beside the project root)
#   a path to a tarball  unbound-<version>.tar.gz (release or git export; a
#                        git export needs bison and flex, which are installed)
#
# A second run with the cache present only checks it and prints the tree path.
# The last line printed on stdout is the source tree directory. Exit status 3:
# the version's tarball is not there (callers may skip that version).
#
# Usage: contrib/build-unbound.sh [--deps-only] [debian | VERSION | TARBALL]
# Environment: MXGUARD_CACHE (default /var/cache/mxguard), MXG_VENDOR
set -euo pipefail

cache=${MXGUARD_CACHE:-/var/cache/mxguard}
top=$(cd "$(dirname "$0")/.." && pwd)
vendor=${MXG_VENDOR:-$top/../shared/vendor}
deps_only=no
source=debian
for a in "$@"; do
	case "$a" in
	--deps-only) deps_only=yes ;;
	--print-dir) ;;	# accepted for old callers: the last line is always the dir
	-h|--help) sed -n '2,29p' "$0"; exit 0 ;;
	-*) echo "build-unbound.sh: unknown argument '$a'" >&2; exit 2 ;;
	*) source=$a ;;
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

# apt_update, ensure_deb_src, hold_services, release_services
. "$top/contrib/apt-lib.sh"
trap release_services EXIT

missing=$(need_install)
if [ -n "$missing" ]; then
	apt_update
	say "installing:$missing"
	hold_services
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
	release_services
fi
[ $deps_only = yes ] && exit 0

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
optkey=$(echo "$UB_OPTS" | md5sum | cut -c1-6)

cached() {	# cached DIR: a complete build with these options is there
	[ -f "$1/.built" ] && [ "$(cat "$1/.built")" = "$UB_OPTS" ] &&
		[ -x "$1/inst/sbin/unbound" ] && [ -f "$1/src/config.h" ]
}

# build DIR: configure, build and install the tree in DIR/src, mark it
build() {
	cd "$1/src"
	# shellcheck disable=SC2086
	./configure --prefix="$1/inst" $UB_OPTS \
		--with-pidfile="" --with-chroot-dir="" --with-username="" >&2
	make -j"$(nproc)" >&2
	make install >&2
	grep -q 'define WITH_DYNLIBMODULE 1' config.h || { say "config.h lacks WITH_DYNLIBMODULE"; exit 1; }
	build_testbound "$1/src"
	echo "$UB_OPTS" >"$1/.built"
	rm -rf "$1/dl"
	say "done: $1"
	echo "$1/src"
}

# the key names the version and the options, so a tree that other builds
# point at is never rebuilt under them
if [ "$source" = debian ]; then
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
	dir="$cache/unbound-${ver//[:~]/_}-$optkey"
	if cached "$dir"; then
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
	build "$dir"
	exit 0
fi

# An upstream tarball, by version (from $vendor) or by path.
case "$source" in
*.tar.gz|*.tgz|*.tar.xz|*.tar.bz2) tarball=$source ;;
*) tarball=$vendor/unbound-$source.tar.gz ;;
esac
if [ ! -f "$tarball" ]; then
	say "no source tarball $tarball"
	exit 3
fi
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
ver=$(basename "$tarball"); ver=${ver#unbound-}; ver=${ver%%.t*}
case "$ver" in
[0-9]*.[0-9]*.[0-9]*) ;;
*) say "cannot tell the version from the name $tarball (expected unbound-X.Y.Z.tar.gz)"; exit 2 ;;
esac
dir="$cache/unbound-$ver-$optkey"
if cached "$dir"; then
	say "cached build found: $dir"
	build_testbound "$dir/src"
	echo "$dir/src"
	exit 0
fi
sums=$(dirname "$tarball")/SHA256SUMS
if [ -f "$sums" ] && grep -q " $(basename "$tarball")\$" "$sums"; then
	(cd "$(dirname "$tarball")" && grep " $(basename "$tarball")\$" SHA256SUMS | sha256sum -c --quiet -) >&2 ||
		{ say "checksum mismatch for $tarball"; exit 1; }
fi
say "building upstream unbound $ver from $tarball with dynlib into $dir"
rm -rf "$dir"
mkdir -p "$dir/dl"
tar -xf "$tarball" -C "$dir/dl"
top_in=$(ls "$dir/dl")
[ "$(echo "$top_in" | wc -l)" = 1 ] && [ -f "$dir/dl/$top_in/configure" ] ||
	{ say "$tarball does not hold one unbound-X.Y.Z/ directory with a configure script"; exit 1; }
mv "$dir/dl/$top_in" "$dir/src"
build "$dir"

#!/usr/bin/env bash
# contrib/build-debs.sh - Debian 12 packages: Debian's own unbound rebuilt
# with dynlib, and an mxguard package for exactly that build.
#
# 1. unbound: `apt-get source unbound`, `--with-dynlibmodule` added to its
#    configure in debian/rules and nothing else changed (same paths, unit
#    file, AppArmor profile, python module, subnet, dnstap), version suffix
#    +mxguard1 so apt never takes it for the archive's. Built once per
#    version and kept in $MXGUARD_CACHE/debian-unbound-<version>/ (about 3
#    minutes on 2 cores; `apt-get build-dep unbound` is installed first).
# 2. mxguard: built against that package's tree, installed with Debian's
#    paths: the module in /usr/lib/<multiarch>/unbound/, mxguard-report and
#    mxguard-checkconf in /usr/bin, man pages, /etc/unbound/mxguard.conf
#    (conffile, log mode), a snippet in /etc/unbound/unbound.conf.d/ that
#    loads the module, /var/lib/mxguard and /var/log/mxguard owned by
#    unbound, a logrotate file, an AppArmor include for Unbound's profile and
#    a systemd drop-in that checks the configuration before a reload
#    (mxguard-exporter too when libmicrohttpd is there).
#    Depends: unbound (= the rebuilt version): the module's ABI is that tree's.
#    The files are in contrib/debian/.
#
# Run as root on Debian 12. The last line printed on stdout is the folder
# holding the .deb files; install with
#   apt install "$dir"/unbound_*.deb "$dir"/mxguard_*.deb
# Environment: MXGUARD_CACHE (default /var/cache/mxguard), MXG_DEB_OUT (the
# output folder, default $MXGUARD_CACHE/debs), MXG_DEB_SUFFIX (+mxguard1).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MXGUARD_CACHE:-/var/cache/mxguard}
out=${MXG_DEB_OUT:-$cache/debs}
suffix=${MXG_DEB_SUFFIX:-+mxguard1}
export DEBIAN_FRONTEND=noninteractive
# Debian's own tools first: another python3 earlier on PATH would lend its
# headers to the python module of the unbound build
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "build-debs: $*" >&2; }
die() { say "$*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (it installs the build dependencies)"

# apt_update, ensure_deb_src; services must not start while packages are
# installed: the policy-rc.d of hold_services goes away on any exit
. "$top/contrib/apt-lib.sh"
trap release_services EXIT

# the tools and libraries mxguard itself needs (and deb-src, apt-get update)
bash "$top/contrib/build-unbound.sh" --deps-only >&2

ver=$(apt-cache policy unbound | awk '/Candidate:/ {print $2}')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	apt_update
	ver=$(apt-cache policy unbound | awk '/Candidate:/ {print $2}')
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no unbound package known to apt"
case "$ver" in *"$suffix"*) die "apt's candidate is already $ver: remove /etc/apt sources that offer the rebuilt package" ;; esac
newver=$ver$suffix
udeb=$cache/debian-unbound-${newver//[:~]/_}

#### 1. Debian's unbound, with dynlib ####
if [ -f "$udeb/.built" ]; then
	say "cached unbound $newver packages: $udeb"
else
	say "building Debian's unbound $ver with --with-dynlibmodule as $newver in $udeb"
	ensure_deb_src
	apt_update
	hold_services
	apt-get build-dep -y -qq unbound >&2
	release_services
	rm -rf "$udeb"
	mkdir -p "$udeb"
	(cd "$udeb" && apt-get source -qq "unbound=$ver" >&2)
	src=$(find "$udeb" -mindepth 1 -maxdepth 1 -type d -name 'unbound-*' | head -1)
	[ -n "$src" ] || die "apt-get source unbound gave no source tree"
	grep -q -- '--with-pythonmodule \\$' "$src/debian/rules" ||
		die "debian/rules has no '--with-pythonmodule \\' line to add --with-dynlibmodule after"
	sed -i 's/^\(\s*\)--with-pythonmodule \\$/&\n\1--with-dynlibmodule \\/' "$src/debian/rules"
	grep -q -- '--with-dynlibmodule' "$src/debian/rules" || die "could not add --with-dynlibmodule"
	# a changelog entry for the new version (what dch --local would write)
	dist=$(cd "$src" && dpkg-parsechangelog -S Distribution)
	{
		echo "unbound ($newver) $dist; urgency=medium"
		echo
		echo "  * Rebuilt with --with-dynlibmodule so that Unbound can load C modules"
		echo "    (mxguard). Nothing else changed."
		echo
		echo " -- mxguard build-debs <root@localhost>  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
		dpkg-buildpackage -b -uc -us >"$udeb/build.log" 2>&1) ||
		{ tail -40 "$udeb/build.log" >&2; die "dpkg-buildpackage failed (log: $udeb/build.log)"; }
	grep -q 'define WITH_DYNLIBMODULE 1' "$src/b/unbound/config.h" || die "the build has no dynlib"
	touch "$udeb/.built"
fi
src=$(find "$udeb" -mindepth 1 -maxdepth 1 -type d -name 'unbound-*' | head -1)
ls "$udeb"/unbound_*.deb >/dev/null 2>&1 || die "no unbound .deb in $udeb"

#### 2. mxguard, against that tree ####
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
moddir=/usr/lib/$multiarch/unbound
b=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-deb-build.XXXXXX")
trap 'release_services; rm -rf "$b"' EXIT
say "building mxguard against unbound $newver in $b"
mkdir -p "$b/src"
cd "$top"
if git ls-files -z >/dev/null 2>&1; then
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$b/src"
else
	tar --exclude='*.o' --exclude='*.lo' --exclude=.libs -cf - . | tar -xf - -C "$b/src"
	(cd "$b/src" && make distclean >/dev/null 2>&1) || true
fi
(cd "$b/src" && autoreconf -fi && ./configure --prefix=/usr --sysconfdir=/etc \
	--localstatedir=/var --libdir="/usr/lib/$multiarch" --with-moduledir="$moddir" \
	--with-unbound="$src" --with-unbound-build="$src/b/unbound" &&
	make -j"$(nproc)" && make install DESTDIR="$b/root") >"$b/build.log" 2>&1 ||
	{ tail -40 "$b/build.log" >&2; die "building mxguard failed"; }

mver=$(sed -n 's/^PACKAGE_VERSION = //p' "$b/src/Makefile")-1
[ "$mver" != -1 ] || die "no PACKAGE_VERSION in $b/src/Makefile"
say "mxguard $mver built"
r=$b/root
d=$top/contrib/debian
rm -f "$r$moddir"/*.la
[ -f "$r$moddir/mxguard.so" ] || die "no $moddir/mxguard.so in the install"
install -D -m 0640 "$d/mxguard.conf" "$r/etc/unbound/mxguard.conf"
install -d -m 0755 "$r/etc/unbound/mxguard.d"
install -D -m 0644 "$top/contrib/categories.txt" "$r/usr/share/mxguard/categories.txt"
sed "s|@MODULE@|$moddir/mxguard.so|" "$d/unbound-mxguard.conf" \
	>"$r/usr/share/mxguard/unbound.conf.d-mxguard.conf"
install -D -m 0644 "$d/logrotate" "$r/etc/logrotate.d/mxguard"
install -d -m 0755 "$r/etc/apparmor.d/mxguard"
sed "s|@MODULE@|$moddir/mxguard.so|" "$d/apparmor" >"$r/etc/apparmor.d/mxguard/unbound"
install -D -m 0644 "$d/unbound.service.d.conf" "$r/lib/systemd/system/unbound.service.d/mxguard.conf"
gzip -9n "$r"/usr/share/man/man*/*.[0-9]
install -d "$r/var/lib/mxguard" "$r/var/log/mxguard"
strip --strip-unneeded "$r$moddir/mxguard.so" "$r"/usr/bin/mxguard-*

# shared library dependencies, the way debhelper computes them
mkdir -p "$b/shlibs/debian"
printf 'Source: mxguard\n\nPackage: mxguard\nArchitecture: any\n' >"$b/shlibs/debian/control"
shlibs=$(cd "$b/shlibs" && dpkg-shlibdeps -O -e"$r$moddir/mxguard.so" \
	$(printf -- ' -e%s' "$r"/usr/bin/mxguard-*) 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"

mkdir -p "$r/DEBIAN"
cat >"$r/DEBIAN/control" <<CONTROL
Package: mxguard
Version: $mver
Architecture: $arch
Maintainer: mxguard build-debs <root@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$r" | cut -f1)
Depends: unbound (= $newver), $shlibs
Recommends: redis-server
Section: net
Priority: optional
Description: guard MX lookups inside the Unbound resolver
 mxguard is a dynlib module for Unbound: it sees every MX query the
 resolver answers, knows the mail relays, counts MX lookups per client and
 per domain, detects spam bots and payload staging over MX, and logs, tags
 or refuses them. Built for unbound $newver (Debian's unbound rebuilt with
 --with-dynlibmodule); mxguard-report reads its counters from Redis.
CONTROL
(cd "$r" && find etc -type f | sed 's|^|/|' | sort) >"$r/DEBIAN/conffiles"
install -m 0755 "$d/postinst" "$d/postrm" "$r/DEBIAN/"
chown -R root:root "$r"
rm -rf "$out" && mkdir -p "$out"
dpkg-deb --build --root-owner-group "$r" "$out/mxguard_${mver}_$arch.deb" >&2
for f in "$udeb"/*.deb; do
	case "$f" in *-dbgsym_*) ;; *) cp "$f" "$out/" ;; esac
done
say "packages:"
(cd "$out" && ls -1 *.deb) | sed 's/^/  /' >&2
echo "$out"

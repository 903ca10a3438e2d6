# contrib/apt-lib.sh - apt steps shared by build-unbound.sh and build-debs.sh
# (sourced, not run; the caller defines say()).
#
# apt_update         apt-get update, once per run (again after ensure_deb_src)
# ensure_deb_src     add deb-src entries next to the deb ones (apt-get source)
# hold_services      installed packages must not start their daemons (nsd on
#                    53, redis-server on 6379) behind our back: put a
#                    policy-rc.d that says no, unless there is one already
# release_services   remove the policy-rc.d we put there; the caller runs it
#                    on EXIT too (trap), so that a failing apt-get leaves
#                    nothing behind

APT_UPDATED=no
apt_update() {
	if [ "$APT_UPDATED" = no ]; then
		say "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		APT_UPDATED=yes
	fi
}

ensure_deb_src() {
	if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
		return 0
	fi
	say "enabling deb-src"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/mxguard-deb-src.sources
	else
		grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/mxguard-deb-src.list
	fi
	APT_UPDATED=no
}

APT_PRC=/usr/sbin/policy-rc.d
APT_OWN_PRC=no
hold_services() {
	[ -e $APT_PRC ] && return 0
	printf '#!/bin/sh\nexit 101\n' >$APT_PRC
	chmod 755 $APT_PRC
	APT_OWN_PRC=yes
}
release_services() {
	if [ $APT_OWN_PRC = yes ]; then rm -f $APT_PRC; APT_OWN_PRC=no; fi
}

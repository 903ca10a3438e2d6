#!/usr/bin/env bash
# contrib/build.sh - install what is missing, build Unbound with dynlib
# (cached) and mxguard against it, in this source tree.
#
# Used by contrib/run-tests.sh and contrib/demo.sh. Prints the Unbound tree
# directory as its last line on stdout; everything else goes to stderr.
# Environment: MXGUARD_CACHE (Unbound build cache), MXG_JOBS (make -j),
# MXG_CONFIGURE_FLAGS (extra ./configure flags, e.g. --enable-sanitizers).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${MXG_JOBS:-$(nproc)}
# our builds and CI treat warnings as errors (a plain ./configure does not)
flags="--enable-werror ${MXG_CONFIGURE_FLAGS:-}"

udir=$(bash contrib/build-unbound.sh | tail -n 1)
[ -f "$udir/config.h" ] || { echo "build: no Unbound tree at '$udir'" >&2; exit 1; }
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi >&2
fi
stamp="--with-unbound=$udir $flags"
if [ ! -f Makefile ] || [ "$(cat .configure-flags 2>/dev/null)" != "$stamp" ]; then
	[ -f Makefile ] && make distclean >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	./configure --with-unbound="$udir" $flags >&2
	echo "$stamp" >.configure-flags
fi
make -j"$jobs" >&2
echo "$udir"

#!/usr/bin/env bash
# tests/integration/test_symbols.sh - mxguard.so exports exactly the six
# dynlib entry points (style.md rule 2), is linked -z now, and needs no
# symbol that the Unbound binary it was built against lacks.
. "$(dirname "$0")/lib.sh"
: "${MXG_BUILDDIR:?run through make check}"
so=$MXG_BUILDDIR/module/.libs/mxguard.so
[ -f "$so" ] || bail "no $so"

exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TtWwDdBbVv]$/ {print $3}' | sort | tr '\n' ' ')
diag "exported: $exported"
[ "$exported" = "clear deinit get_mem inform_super init operate " ]
ok $? "exactly init deinit operate inform_super clear get_mem are exported"

readelf -d "$so" | grep -Eq 'BIND_NOW|FLAGS.*NOW'
ok $? "linked with -z now (missing symbols fail at load, not at a query)"

# every undefined symbol that is not from a shared library we link must be
# exported by the unbound binary
missing=""
n=0
for s in $(nm -D --undefined-only "$so" | awk '$2 !~ /@/ {print $2}'); do
	case "$s" in _*) continue ;; esac
	n=$((n + 1))
	if ! nm -D --defined-only "$UNBOUND_DIR/unbound" | awk '{print $3}' | grep -qx "$s"; then
		for lib in $(ldd "$so" | awk '/=>/ {print $3}'); do
			nm -D --defined-only "$lib" 2>/dev/null | awk '{print $3}' | grep -qx "$s" && continue 2
		done
		missing="$missing $s"
	fi
done
[ -z "$missing" ] && [ "$n" -gt 0 ]
ok $? "each of the $n unversioned undefined symbols is in the unbound binary or a linked library${missing:+ (missing:$missing)}"
done_testing

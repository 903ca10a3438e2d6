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
[ "$exported" = "clear deinit get_mem init inform_super operate " ]
ok $? "exactly init deinit operate inform_super clear get_mem are exported"

readelf -d "$so" | grep -Eq 'BIND_NOW|FLAGS.*NOW'
ok $? "linked with -z now (missing symbols fail at load, not at a query)"

# every undefined symbol that is not from a shared library we link must be
# exported by the unbound binary
missing=""
for s in $(nm -D --undefined-only "$so" | awk '{print $2}' | sed 's/@.*//'); do
	case "$s" in _*|*GLIBC*) continue ;; esac
	if ! nm -D --defined-only "$UNBOUND_DIR/unbound" | awk '{print $3}' | grep -qx "$s"; then
		for lib in $(ldd "$so" | awk '/=>/ {print $3}'); do
			nm -D --defined-only "$lib" 2>/dev/null | awk '{print $3}' | grep -qx "$s" && continue 2
		done
		missing="$missing $s"
	fi
done
[ -z "$missing" ]
ok $? "every undefined symbol is provided by unbound or a linked library${missing:+ (missing:$missing)}"
done_testing

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/check-includes.sh: first on a small tree with one violation of each kind,
# whose report must be exactly the expected one (so the checker is known to fail
# when it should), then on src/ itself, which must have no violation.
. "$(dirname "$0")/lib.sh"
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CHECK="$srcdir/scripts/check-includes.sh"

# file PATH [LINE...]: create $T/tree/PATH holding the lines
file() {
	mkdir -p "$(dirname "$T/tree/$1")"
	f="$T/tree/$1"
	shift
	: > "$f"
	for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
}
file include/memspy/events.h
file bpf/x.bpf.c
file src/base/log.h
file src/base/log.c '#include "base/log.h"'
file src/target/t.c '#include "../base/log.h"' '#include "probes/p.h"'
file src/probes/p.h
file src/probes/p.c '#include "probes/x.skel.h"' '#include "probes/p.h"' '#include "probes/y.skel.h"'
file src/output/o.h '#include "python/y.h"'
file src/output/o.c '#include <stdio.h>' '#include "memspy/events.h"' '#include <profile/q.h>' \
	'#include "config.h"' '#include "gone.h"' '  #  include "probes/x.skel.h"' '#include "output/o.h"'
file src/profile/q.h
file src/profile/a.h '#include "profile/b.h"'
file src/profile/b.h '#include "profile/a.h" /* why */'
file src/profile/c.h
file src/profile/d.h
file src/profile/c.c '#include "profile/c.h"' '#include "profile/d.h"'
file src/profile/d.c '#include "profile/c.h"'
file src/python/y.h
file src/python/y.c '#include "output/o.h"'
file src/extra/e.c '#include "base/log.h"'

cat > "$T/want" <<'EOF'
src/extra/e.c:1: folder extra is not in the table of scripts/check-includes.sh
src/output/o.c:5: "gone.h" does not resolve (not in src/output/, include/ or src/)
src/output/o.c:6: folder output may not include skeleton probes/x.skel.h (skeletons only in probes)
src/output/o.h:1: folder output may not include python (allowed: base, profile)
src/probes/p.c:3: "probes/y.skel.h" does not resolve (not in src/probes/, include/ or src/)
src/python/y.c:1: folder python may not include output (allowed: base, target, symbolize)
src/target/t.c:2: folder target may not include probes (allowed: base)
src/python/y.c:1: module cycle output/o -> python/y -> output/o (with src/output/o.h:1)
src/profile/b.h:1: module cycle profile/a -> profile/b -> profile/a (with src/profile/a.h:1)
src/profile/d.c:1: module cycle profile/c -> profile/d -> profile/c (with src/profile/c.c:2)
src/python/y.c:1: folder cycle output -> python -> output (with src/output/o.h:1)
check-includes: 11 violations in 11 files
EOF
sh "$CHECK" "$T/tree" > "$T/got" 2>&1 && fail "check-includes passed a tree with violations"
diff -u "$T/want" "$T/got" || fail "check-includes did not report the test tree's violations as expected"
echo "ok: the test tree's 11 violations reported"

sh "$CHECK" "$srcdir" || fail "src/ includes across the stages' order (table in $CHECK)"
echo PASS

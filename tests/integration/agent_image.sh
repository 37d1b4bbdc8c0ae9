#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent image has the layout the injector maps (scripts/check-agent-image.sh),
# also once stripped as distributions strip libraries, and the checker rejects an
# ordinary shared library. Needs neither root nor BPF.
. "$(dirname "$0")/lib.sh"
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MEMSPY_AGENT:=$(pwd)/src/agent/memspy-agent.so}"
CHECK="$srcdir/scripts/check-agent-image.sh"
command -v readelf > /dev/null || skip "needs readelf (binutils)"

sh "$CHECK" "$MEMSPY_AGENT" || fail "memspy-agent.so is not laid out as the injector maps it"
if command -v strip > /dev/null; then
	strip -o "$T/stripped.so" "$MEMSPY_AGENT" || fail "cannot strip a copy of memspy-agent.so"
	sh "$CHECK" "$T/stripped.so" || fail "a stripped memspy-agent.so lost what memspy needs"
fi
libc=$(ldd /bin/sh | awk '/libc\.so/ { print $3 }')
sh "$CHECK" "$libc" > "$T/libc.out" && fail "check-agent-image.sh accepted $libc"
grep -q 'has relocations' "$T/libc.out" || fail "check-agent-image.sh did not see libc's relocations"
echo PASS

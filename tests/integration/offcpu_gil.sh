#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --off-cpu on three CPython 3.11 threads that never block but share one GIL:
# their waits for it are told apart as the GIL (a futex on a word inside
# _PyRuntime), shown under the Python function that waited, and they are most
# of the time the threads spent off the CPU.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ -x /usr/bin/python3.11 ] || skip "needs Debian's python3.11"
start_target /usr/bin/python3.11 "$srcdir/tests/data/python/gil_threads.py"
start_memspy --off-cpu --no-heap -q -d 3 -o "$T/out" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
sed -n '/^== off-cpu ==/,/^== top waits ==/p' "$T/out/report.txt"
o=$T/out/offcpu.folded
gil=$(folded_value "$o" '(^|;)spin \(gil_threads\.py:[0-9]+\);.*\[off-cpu: GIL\] ')
all=$(folded_value "$o" '.')
echo "GIL waits under spin(): $gil of $all us off the CPU"
[ "$gil" -gt 0 ] || fail "no GIL wait under spin() in $o"
[ $((gil * 100)) -ge $((all * 40)) ] || fail "GIL waits are only $gil of $all us"
kill -TERM "$TARGET_PID"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames (issue 6): Debian's python3.11 runs a script with known call chains;
# heap and CPU stacks show "function (file.py:LINE)" in place of the evaluator's
# frames, in the right order, merged with the native frames around them, for the
# main thread and a second thread; an interpreter memspy cannot read gets native
# stacks and a warning.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip "needs Debian's python3.11"
SCRIPT="$srcdir/tests/data/python/frames.py"

start_target "$PY" "$SCRIPT"
sleep 0.5
check_python_frames 3.11

# An interpreter memspy cannot read: native stacks and a warning, never wrong names.
OTHER=""
for p in /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
	[ -x "$p" ] && { OTHER=$p; break; }
done
if [ -n "$OTHER" ]; then
	kill -TERM "$TARGET_PID"
	start_target "$OTHER" "$SCRIPT"
	start_memspy -d 2 -o "$T/other" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 30
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on $OTHER exited $EXIT_STATUS"; }
	grep -q 'cannot read.*native frames' "$T/memspy.err" ||
		{ cat "$T/memspy.err"; fail "no warning for $OTHER"; }
	! grep -q 'frames.py' "$T/other/heap.folded" "$T/other/cpu.folded" ||
		fail "Python names from an unsupported interpreter"
	echo "unsupported $OTHER: warned, native stacks"
else
	echo "note: no other CPython version here to check the unsupported path"
fi
echo "PASS"

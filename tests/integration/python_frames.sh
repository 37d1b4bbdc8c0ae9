#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames (issue 6): Debian's python3.11 runs a script with known call chains;
# heap and CPU stacks show "function (file.py:LINE)" in place of the evaluator's
# frames, in the right order, merged with the native frames around them, for the
# main thread and a second thread; an interpreter memspy cannot read gets native
# stacks, a warning and a line in the report saying why, and the native frames
# of its evaluator are named as one.
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
# Another CPython if there is one, else a copy of python3.11 whose Py_Version
# says 3.12.5: the path is checked either way.
OTHER=""
for p in /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
	[ -x "$p" ] && { OTHER=$p; break; }
done
if [ -z "$OTHER" ]; then
	OTHER="$T/python3.12-fake"
	cp "$PY" "$OTHER"
	patch_symbol "$OTHER" Py_Version 0 '\360\005\014\003'
fi
kill -TERM "$TARGET_PID"
start_target "$OTHER" "$SCRIPT"
start_memspy -d 2 -o "$T/other" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 30
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on $OTHER exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
grep -q 'cannot read.*native frames' "$T/memspy.err" ||
	{ cat "$T/memspy.err"; fail "no warning for $OTHER"; }
# the report keeps the warning's reason: Python frames were off, and why
why=$(sed -n 's/^memspy: pid [0-9]* runs \(.*CPython.*native frames\)$/\1/p' "$T/memspy.err")
[ -n "$why" ] || { cat "$T/memspy.err"; fail "no reason in the warning for $OTHER"; }
grep -qxF "  python     frames off: $why" "$T/other/report.txt" ||
	{ sed -n '1,8p' "$T/other/report.txt"; fail "the report does not say Python frames were off"; }
[ -e "$T/other/heap.folded" ] && [ -e "$T/other/cpu.folded" ] || fail "no folded files for $OTHER"
! grep -q 'frames.py' "$T/other/heap.folded" "$T/other/cpu.folded" ||
	fail "Python names from an unsupported interpreter"
echo "unsupported $OTHER: warned, native stacks"
kill -TERM "$TARGET_PID"

# Frames off, evaluator unnamed (as in a build whose loop has no symbol, like
# 3.14's .cold part): a copy that claims 3.12.5 and whose evaluator symbol is no
# function, so nothing names its addresses but memspy's evaluator range. They
# fold into one _PyEval_EvalFrameDefault frame, not a row per address.
NOEVAL="$T/python3.12-noeval"
cp "$PY" "$NOEVAL"
patch_symbol "$NOEVAL" Py_Version 0 '\360\005\014\003'
patch_symbol_info "$NOEVAL" _PyEval_EvalFrameDefault '\021' # global, object
start_target "$NOEVAL" "$SCRIPT"
start_memspy -v -d 3 -o "$T/noeval" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 30
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on $NOEVAL exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
kill -TERM "$TARGET_PID"
range=$(sed -n 's/^memspy: evaluator at \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\), cold part \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)$/\1 \2 \3 \4/p' "$T/memspy.err")
[ -n "$range" ] || { cat "$T/memspy.err"; fail "no evaluator range for $NOEVAL"; }
set -- $range
cat "$T/noeval/cpu.folded" "$T/noeval/heap.folded" > "$T/noeval/all.folded"
grep -q '_PyEval_EvalFrameDefault' "$T/noeval/all.folded" ||
	{ cat "$T/noeval/all.folded"; fail "no evaluator frame with frames off"; }
# a non-PIE executable: the offsets printed are the addresses
inside=0
for a in $(grep -o 'python3\.12-noeval+0x[0-9a-f]*' "$T/noeval/all.folded" | cut -d+ -f2 | sort -u); do
	if { [ $((a)) -ge $(($1)) ] && [ $((a)) -lt $(($2)) ]; } ||
	   { [ $((a)) -ge $(($3)) ] && [ $((a)) -lt $(($4)) ]; }; then
		inside=$((inside + 1))
	fi
done
echo "frames off, evaluator unnamed: $inside addresses inside the evaluator left unnamed"
sed -n '/top functions by self/,/^$/p' "$T/noeval/report.txt" | head -8
[ "$inside" = 0 ] || fail "$inside evaluator addresses not folded into _PyEval_EvalFrameDefault"
echo "PASS"

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
start_memspy -d 5 -o "$T/out" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
grep -q 'runs CPython 3\.11.*Python frames on' "$T/memspy.err" ||
	{ cat "$T/memspy.err"; fail "CPython 3.11 not detected"; }

python3 - "$SCRIPT" "$T/out/heap.folded" "$T/out/cpu.folded" <<'PY' || fail "python frame checks failed"
import re, sys
script, heap, cpu = sys.argv[1:]
line = {}
for n, text in enumerate(open(script), 1):
    m = re.search(r"# L:(\S+)", text)
    if m:
        line[m.group(1)] = n
def fr(fn, mark):
    return "%s (frames.py:%d)" % (fn, line[mark])
def stacks(path):
    out = []
    for l in open(path):
        s, n = l.rstrip("\n").rsplit(" ", 1)
        out.append((s.split(";"), int(n)))
    return out

# heap: the main thread's chain, root first, between native frames
want = ["<module> (frames.py:%d)" % line["module"], fr("outer", "outer"),
        fr("middle", "middle"), fr("inner", "inner")]
h = stacks(heap)
total = sum(n for _, n in h)
good = 0
for f, n in h:
    if want[-1] not in f:
        continue
    i = f.index(want[0])
    assert f[i:i + 4] == want, "python frames out of order: %s" % f
    assert f[0] == "_start", "root is %s" % f[0]
    assert "Py_RunMain" in f[:i], "no Py_RunMain before <module>: %s" % f
    # the allocator's caller is the innermost frame: bytearray's C code here
    assert len(f) > i + 4 and "(" not in f[-1], "no native frames below inner: %s" % f
    good += n
print("heap: %d of %d bytes under outer->middle->inner" % (good, total))
assert total > 0 and good >= 0.8 * total, "too little of the heap under the known chain"
assert not any("_PyEval_EvalFrameDefault" in x for f, _ in h for x in f), \
    "an evaluator frame was not replaced"

# cpu: the spinner thread's chain, rooted in the thread start
c = stacks(cpu)
spin_lines = set(range(line["spin-first"], line["spin-last"] + 1))
spins = 0
for f, n in c:
    spin = [x for x in f if x.startswith("spin (frames.py:")]
    if not spin:
        continue
    ln = int(re.search(r":(\d+)\)", spin[0]).group(1))
    assert ln in spin_lines, "spin at line %d, expected %s" % (ln, sorted(spin_lines))
    i = f.index(spin[0])
    assert f[i - 1] == fr("spinner", "spinner"), "spinner not the caller of spin: %s" % f
    assert f[0] in ("clone3", "__clone3", "clone", "[truncated]"), "root is %s" % f[0]
    spins += n
ctotal = sum(n for _, n in c)
evals = sum(n for f, n in c if any("_PyEval_EvalFrameDefault" in x for x in f))
print("cpu: %d samples, %d in spin(), %d with an evaluator frame left" % (ctotal, spins, evals))
assert ctotal > 0 and spins >= 0.5 * ctotal, "spin() should hold most CPU samples"
assert evals <= 0.02 * ctotal, "evaluator frames left in CPU stacks"
PY
grep 'frames.py' "$T/out/report.txt" | head -5

# An interpreter memspy cannot read: native stacks and a warning, never wrong names.
OTHER=""
for p in /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/bin/python3.13; do
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

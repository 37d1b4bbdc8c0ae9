# SPDX-License-Identifier: GPL-2.0-or-later
# Checks of the Python frame tests (python_frames.sh, python313_frames.sh) on
# memspy's folded stacks of tests/data/python/frames.py: the "# L:" markers of the
# script say which line each frame must show.
# usage: python3 python_frames_check.py [--heap-only] SCRIPT HEAP.folded CPU.folded
#        [THREAD_ROOT_RE]
# --heap-only: only the main thread's heap stacks (CPython 3.14's JIT, whose CPU
# stacks in traces are counted as truncated).
# THREAD_ROOT_RE: what the root of the spinner thread's stacks may be, when its
# libc names no thread start (trixie's exports no clone3).
import re
import sys

heap_only = sys.argv[1:2] == ["--heap-only"]
args = sys.argv[2:] if heap_only else sys.argv[1:]
script, heap, cpu = args[:3]
thread_root = re.compile(args[3] if len(args) > 3 else
                         r"(clone3|__clone3|clone|\[truncated\])$")
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

if heap_only:
    sys.exit(0)

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
    assert thread_root.match(f[0]), "root is %s" % f[0]
    spins += n
ctotal = sum(n for _, n in c)
evals = sum(n for f, n in c if any("_PyEval_EvalFrameDefault" in x for x in f))
print("cpu: %d samples, %d in spin(), %d with an evaluator frame left" % (ctotal, spins, evals))
assert ctotal > 0 and spins >= 0.5 * ctotal, "spin() should hold most CPU samples"
assert evals <= 0.02 * ctotal, "evaluator frames left in CPU stacks"

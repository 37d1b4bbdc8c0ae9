# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames of a CPython from Debian's unstable suite (3.14, 3.15), sourced by
# python314_frames.sh and python315_frames.sh with PYV set: sid's python$PYV, in the
# chroot scripts/setup-deps.sh builds, runs the script of python_frames.sh; heap and
# CPU stacks show "function (file.py:LINE)" in place of the evaluator's frames, in
# the right order, merged with the native frames around them, for the main thread
# and a second thread, the offsets read from the interpreter's _Py_DebugOffsets.
# The same with the experimental JIT on (PYTHON_JIT=1): right stacks, or stacks
# counted as truncated in JIT code. The interpreter's __init__ shim frame never
# shows. A copy whose debug offsets are damaged gets native stacks and a warning.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MEMSPY_SID:=/var/lib/memspy/sid}"
PY=/usr/bin/python$PYV
if [ ! -x "$MEMSPY_SID$PY" ]; then
	# setup-deps builds the chroot: on CI a missing one is a failure, not a skip
	[ -z "$CI" ] || fail "no python$PYV in $MEMSPY_SID: scripts/setup-deps.sh builds it"
	skip "needs Debian sid's python$PYV in $MEMSPY_SID (scripts/setup-deps.sh builds it)"
fi
# the target sees the chroot's /tmp: the scripts and the binaries go there
IN=$(mktemp -d "$MEMSPY_SID/tmp/memspy-test.XXXXXX")
INNER=${IN#"$MEMSPY_SID"}
trap 'cleanup; rm -rf "$IN"' EXIT
cp "$srcdir/tests/data/python/frames.py" "$srcdir/tests/data/python/init_shim.py" "$IN/"
# sid's libc names no thread start: the spinner thread's root is an address in it
ROOT_RE='(clone3|__clone3|clone|\[libc\.so\.6\+0x[0-9a-f]+\])$'

start_target chroot "$MEMSPY_SID" "$PY" "$INNER/frames.py"
sleep 0.5
check_python_frames "$PYV" "$ROOT_RE"
kill -TERM "$TARGET_PID"

# The JIT (built in, off by default): traces run as code in anonymous memory,
# crossed by frame pointer. Stacks it truncates are counted, with the reason.
start_target chroot "$MEMSPY_SID" env PYTHON_JIT=1 "$PY" "$INNER/frames.py"
sleep 0.5
if [ "$PYV" = 3.14 ]; then
	# 3.14's traces keep no frame pointer of their own: see README (Python)
	start_memspy -d 5 --sample-bytes 65536 -o "$T/jit" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy (JIT) exited $EXIT_STATUS"; }
	/usr/bin/python3 "$srcdir/tests/integration/python_frames_check.py" --heap-only \
		"$srcdir/tests/data/python/frames.py" "$T/jit/heap.folded" "$T/jit/cpu.folded" ||
		fail "python frame checks failed with the JIT"
	sed -n '/truncated stacks/,/^$/p' "$T/jit/report.txt"
	# the trace's frame stands for the evaluator frame unwinding skipped: the
	# busy loop keeps its Python frame in most CPU samples
	awk '{ n += $NF } /spin \(frames\.py:[0-9]+\)/ { s += $NF }
	     END { printf "spin in %d of %d CPU samples\n", s, n; exit !(n >= 20 && s * 2 >= n) }' \
		"$T/jit/cpu.folded" || fail "the JIT's CPU stacks lost the Python frames"
	! grep -q '^\[truncated\]' "$T/jit/cpu.folded" ||
		grep -q 'in JIT code' "$T/jit/report.txt" || fail "truncated JIT stacks without the reason"
else
	mv "$T/out" "$T/nojit"
	check_python_frames "$PYV" "$ROOT_RE"
	grep -q '_\[j\]' "$T/out/cpu.folded" || fail "no JIT frame with PYTHON_JIT=1"
fi
kill -TERM "$TARGET_PID"

# A class called from Python: its __init__ runs behind a shim code object of the
# interpreter's ("__init__" in file "__init__", no line), which is left out.
check_init_shim "$MEMSPY_SID" "$PY"

# the _Py_DebugOffsets cookie damaged: offsets memspy cannot trust
BAD=python$PYV-baddebug
cp "$MEMSPY_SID$PY" "$IN/$BAD"
patch_symbol "$IN/$BAD" _PyRuntime 0 'ydebugpy'
start_target chroot "$MEMSPY_SID" "$INNER/$BAD" "$INNER/frames.py"
start_memspy -d 3 -o "$T/bad" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 30
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on $BAD exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
grep "pid $TARGET_PID runs CPython" "$T/memspy.err"
[ "$(grep -c "pid $TARGET_PID runs CPython" "$T/memspy.err")" = 1 ] || fail "not one warning for $BAD"
grep -q "runs CPython $PYV\.[0-9]* .*cannot read.*_Py_DebugOffsets.*supported: 3\.11, 3\.13, 3\.14, 3\.15.*native frames" \
	"$T/memspy.err" || { cat "$T/memspy.err"; fail "no warning for $BAD"; }
! grep -q 'frames.py' "$T/bad/heap.folded" "$T/bad/cpu.folded" || fail "Python names from $BAD"
cat "$T/bad/heap.folded" "$T/bad/cpu.folded" | grep -q '_PyEval_EvalFrameDefault' ||
	{ cat "$T/bad/heap.folded" "$T/bad/cpu.folded"; fail "no native evaluator frames for $BAD"; }
kill -TERM "$TARGET_PID"
echo "PASS"

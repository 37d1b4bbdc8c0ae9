#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames of CPython 3.13 (issue 6): Debian trixie's python3.13, in the chroot
# scripts/setup-deps.sh builds, runs the script of python_frames.sh; heap and CPU
# stacks show "function (file.py:LINE)" in place of the evaluator's frames, in the
# right order, merged with the native frames around them, for the main thread and
# a second thread. The offsets come from the interpreter's _Py_DebugOffsets, read
# from the process through its chroot. Copies of the same binary that claim
# another version, or whose debug offsets are damaged, get native stacks and a
# warning naming the version and the supported ones, never wrong names. The
# interpreter's own __init__ shim frame never shows.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MEMSPY_TRIXIE:=/var/lib/memspy/trixie}"
if [ ! -x "$MEMSPY_TRIXIE/usr/bin/python3.13" ]; then
	# setup-deps builds the chroot: on CI a missing one is a failure, not a skip
	[ -z "$CI" ] || fail "no python3.13 in $MEMSPY_TRIXIE: scripts/setup-deps.sh builds it"
	skip "needs Debian trixie's python3.13 in $MEMSPY_TRIXIE (scripts/setup-deps.sh builds it)"
fi
SCRIPT="$srcdir/tests/data/python/frames.py"
# the target sees the chroot's /tmp: the script and the binaries go there
IN=$(mktemp -d "$MEMSPY_TRIXIE/tmp/memspy-test.XXXXXX")
INNER=${IN#"$MEMSPY_TRIXIE"}
trap 'cleanup; rm -rf "$IN"' EXIT
cp "$SCRIPT" "$IN/frames.py"

start_target chroot "$MEMSPY_TRIXIE" /usr/bin/python3.13 "$INNER/frames.py"
sleep 0.5
# trixie's libc exports no clone3: the spinner thread's root is an address in it
check_python_frames 3.13 '(clone3|__clone3|clone|\[libc\.so\.6\+0x[0-9a-f]+\])$'
kill -TERM "$TARGET_PID"

# A class called from Python: 3.13 runs its __init__ behind a shim code object
# of the interpreter's ("__init__" in file "__init__", no line), which is left
# out: the caller's frame is followed by the real __init__ with its line.
check_init_shim "$MEMSPY_TRIXIE" /usr/bin/python3.13

# other_python NAME: run the copy $IN/NAME, expect the warning and native stacks
other_python() {
	start_target chroot "$MEMSPY_TRIXIE" "$INNER/$1" "$INNER/frames.py"
	start_memspy -d 3 -o "$T/$1" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 30
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on $1 exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	grep "pid $TARGET_PID runs CPython" "$T/memspy.err"
	[ "$(grep -c "pid $TARGET_PID runs CPython" "$T/memspy.err")" = 1 ] ||
		fail "not one warning for $1"
	grep -q "runs CPython $2 .*cannot read.*supported: 3\.11, 3\.13.*native frames" \
		"$T/memspy.err" || { cat "$T/memspy.err"; fail "no warning for $1"; }
	! grep -q 'frames.py' "$T/$1/heap.folded" "$T/$1/cpu.folded" ||
		fail "Python names from $1"
	# a short run on a loaded machine may catch few samples of either kind
	cat "$T/$1/heap.folded" "$T/$1/cpu.folded" | grep -q '_PyEval_EvalFrameDefault' ||
		{ cat "$T/$1/heap.folded" "$T/$1/cpu.folded"; fail "no native evaluator frames for $1"; }
	kill -TERM "$TARGET_PID"
}

# Py_Version says 3.12.5: a version memspy has no layout for
cp "$MEMSPY_TRIXIE/usr/bin/python3.13" "$IN/python3.12-fake"
patch_symbol "$IN/python3.12-fake" Py_Version 0 '\360\005\014\003'
other_python python3.12-fake 3.12.5
# the _Py_DebugOffsets cookie damaged: offsets memspy cannot trust
cp "$MEMSPY_TRIXIE/usr/bin/python3.13" "$IN/python3.13-baddebug"
patch_symbol "$IN/python3.13-baddebug" _PyRuntime 0 'ydebugpy'
other_python python3.13-baddebug '3\.13\.[0-9]*'
echo "PASS"

# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the integration tests: start real targets, attach real BPF, check
# that nothing is left behind. Sourced by each test; run from `make check`.

: "${MEMSPY:=$(pwd)/memspy}"
: "${TARGETS:=$(pwd)/tests/targets}"
T=$(mktemp -d "${TMPDIR:-/tmp}/memspy-test.XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	if [ -n "$KEEP" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Integration tests load BPF: they need root and a kernel with BTF and uprobes.
need_bpf() {
	[ "$(id -u)" = 0 ] || skip "needs root to load BPF programs (run make check as root)"
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF"
	[ -e /sys/bus/event_source/devices/uprobe/type ] || skip "kernel has no uprobes"
}

# wait_for FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_for() {
	local i=0 limit=$(( ${3:-20} * 10 ))
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $limit ] || { echo "--- $1:"; cat "$1"; fail "timed out waiting for '$2' in $1"; }
		sleep 0.1
	done
}

# start_target NAME ARGS...: sets TARGET_PID; its stdout goes to $T/target.out
start_target() {
	"$@" > "$T/target.out" 2> "$T/target.err" &
	TARGET_PID=$!
	PIDS="$PIDS $TARGET_PID"
	wait_for "$T/target.out" '^ready'
}

# start_memspy ARGS...: attach in the background; sets MEMSPY_PID, waits until attached.
start_memspy() {
	"$MEMSPY" attach "$@" > "$T/memspy.out" 2> "$T/memspy.err" &
	MEMSPY_PID=$!
	PIDS="$PIDS $MEMSPY_PID"
	wait_for "$T/memspy.err" 'attached to pid' 30
}

# wait_exit PID [SECONDS]: wait for a background child; sets EXIT_STATUS.
wait_exit() {
	local i=0 limit=$(( ${2:-60} * 10 ))
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $limit ] || fail "pid $1 did not exit"
		# a zombie child counts as exited
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && break
		sleep 0.1
	done
	wait "$1"
	EXIT_STATUS=$?
}

# After memspy exits, no program, link or perf event of it may remain: a link or
# perf event keeps its program loaded, so a memspy program still loaded once no
# memspy runs is a probe left behind. Programs are freed a moment after their last
# holder closes, hence the wait. Another memspy still running (a second test run at
# the same time) owns programs of the same names: then only its perf events can be
# told apart (by pid), and the program check waits for it.
check_no_probes_left() {
	command -v bpftool >/dev/null || fail "bpftool missing"
	if [ -n "$1" ] && bpftool perf show 2>/dev/null | grep -q "pid $1 "; then
		fail "perf events of memspy pid $1 remain: $(bpftool perf show)"
	fi
	local i=0 names='name (uprobe_alloc|uretprobe_alloc|uprobe_free|on_cpu_sample) '
	while bpftool prog show 2>/dev/null | grep -qE "$names"; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			if pgrep -x memspy >/dev/null; then
				echo "note: another memspy is running; its programs hide ours"
				return 0
			fi
			fail "memspy programs still loaded: $(bpftool prog show | grep -E "$names")"
		fi
		sleep 0.1
	done
}

# free_port FROM: the first loopback TCP port from FROM on that nothing holds.
free_port() {
	python3 - "$1" <<'PY'
import socket, sys
for port in range(int(sys.argv[1]), int(sys.argv[1]) + 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
}

# folded_value FILE REGEX: sum of the values of lines matching REGEX.
folded_value() {
	grep -E -- "$2" "$1" | awk '{s += $NF} END {printf "%d\n", s}'
}

# check_python_frames VERSION [THREAD_ROOT_RE]: attach to $TARGET_PID, running
# tests/data/python/frames.py, for 5 s into $T/out, and check that CPython VERSION
# was detected and its frames (python_frames_check.py, which THREAD_ROOT_RE goes to).
check_python_frames() {
	# a sample per 64 KiB: the script allocates ~0.5 MB/s, too few 512 KiB samples
	# to be sure of one on a loaded machine (the tests are about frames, not sampling)
	start_memspy -d 5 --sample-bytes 65536 -o "$T/out" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	grep -q "runs CPython $1\\..*Python frames on" "$T/memspy.err" ||
		{ cat "$T/memspy.err"; fail "CPython $1 not detected"; }
	python3 "$srcdir/tests/integration/python_frames_check.py" \
		"$srcdir/tests/data/python/frames.py" "$T/out/heap.folded" "$T/out/cpu.folded" \
		${2:+"$2"} ||
		{ cat "$T/memspy.err"; sed -n '1,16p' "$T/out/report.txt"; fail "python frame checks failed"; }
	grep 'frames.py' "$T/out/report.txt" | head -5
}

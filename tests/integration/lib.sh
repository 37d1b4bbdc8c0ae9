# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the integration tests: start real targets, attach real BPF, check
# that nothing is left behind. Sourced by each test; run from `make check`.

: "${MEMSPY:=$(pwd)/memspy}"
: "${TARGETS:=$(pwd)/tests/targets}"
T=$(mktemp -d "${TMPDIR:-/tmp}/memspy-test.XXXXXX")
PIDS=""
WATCHED=""

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
# The files are emptied here, before the start: the background child opens them
# only once it runs, and until then a previous target's "ready" would still be
# there for wait_for to find.
start_target() {
	: > "$T/target.out"
	: > "$T/target.err"
	"$@" > "$T/target.out" 2> "$T/target.err" &
	TARGET_PID=$!
	PIDS="$PIDS $TARGET_PID"
	wait_for "$T/target.out" '^ready'
}

# start_memspy ARGS...: attach in the background; sets MEMSPY_PID, waits until attached.
# As for start_target, the files are emptied first: a previous run's "attached"
# line would otherwise let a test go on while the probes are still being set
# (under load, a workload run then was missed: an empty heap.folded).
start_memspy() {
	: > "$T/memspy.out"
	: > "$T/memspy.err"
	"$MEMSPY" attach "$@" > "$T/memspy.out" 2> "$T/memspy.err" &
	MEMSPY_PID=$!
	PIDS="$PIDS $MEMSPY_PID"
	watch_bpf "$MEMSPY_PID"
	wait_for "$T/memspy.err" 'attached to pid' 30
	wait_bpf_seen "$MEMSPY_PID"
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

# watch_bpf PID: until PID is gone, record the ids of the BPF programs, maps and
# links it holds (from its fds' fdinfo) in $T/bpf.PID; $T/bpf.PID.done when it
# is gone. These ids are its own: the kernel does not hand out an id again (it
# counts up to 2^31 before it wraps), so another memspy running meanwhile, of
# this test run or another, cannot be mistaken for it.
watch_bpf() {
	(
		while [ -d "/proc/$1/fdinfo" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; do
			cat "/proc/$1/fdinfo/"* 2>/dev/null |
				sed -nE 's/^(prog|map|link)_id:[[:space:]]*([0-9]+)$/\1 \2/p' | sort -u
			sleep 0.1
		done >> "$T/bpf.$1"
		: > "$T/bpf.$1.done"
	) 2>/dev/null &
	PIDS="$PIDS $!"
	WATCHED="$WATCHED $1"
}

# wait_bpf_seen PID: until the watcher saw a BPF program of PID (attached, PID
# holds them until it is told to stop).
wait_bpf_seen() {
	local i=0
	while ! grep -q '^prog ' "$T/bpf.$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "memspy pid $1 holds no BPF program: $(cat "/proc/$1/status" 2>&1 | head -3)"
		sleep 0.1
	done
}

# bpf_left PID...: the recorded programs, maps and links of the PIDs that still
# exist, one "kind id" a line.
bpf_left() {
	local p kind
	for p in "$@"; do cat "$T/bpf.$p"; done | sort -u > "$T/bpf.ours"
	for kind in prog map link; do
		bpftool "$kind" list 2>/dev/null | sed -n "s/^\([0-9][0-9]*\): .*/$kind \1/p"
	done | awk 'NR == FNR { ours[$0] = 1; next } $0 in ours' "$T/bpf.ours" -
}

# check_no_probes_left [PID...]: after the memspy PIDs (all watched and not yet
# checked when none is given) exited, none of the BPF programs, maps and links
# they held may remain: a uprobe or perf event still attached, a pin, a child
# that inherited an fd, all keep them. The kernel frees them a moment after
# their last holder closes, hence the wait.
check_no_probes_left() {
	local p pids i left id
	pids=$(echo ${*:-$WATCHED})
	command -v bpftool >/dev/null || fail "bpftool missing"
	[ -n "$pids" ] || fail "check_no_probes_left: no memspy was watched"
	for p in $pids; do
		i=0
		while [ ! -e "$T/bpf.$p.done" ]; do
			i=$((i + 1))
			[ $i -le 100 ] || fail "memspy pid $p still runs: cannot check what it left"
			sleep 0.1
		done
		grep -q '^prog ' "$T/bpf.$p" || fail "no BPF program of memspy pid $p was seen"
	done
	i=0
	# shellcheck disable=SC2086
	while left=$(bpf_left $pids) && [ -n "$left" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			for id in $(echo "$left" | sed -n 's/^prog //p'); do bpftool prog show id "$id"; done
			fail "BPF objects of memspy pid $pids remain after it exited:" $left
		fi
		sleep 0.1
	done
	echo "ok: none of the $(wc -l < "$T/bpf.ours") BPF programs, maps and links of memspy" \
		"pid $pids remain"
	for p in $pids; do WATCHED=$(echo " $WATCHED " | sed "s/ $p / /; s/^ *//; s/ *$//"); done
}

# check_no_syscall_tracepoints PID: while memspy PID runs with its page-fault
# tracepoints attached, none of its links is a raw syscall tracepoint (sys_enter,
# sys_exit): those would slow every syscall of every process on the machine.
check_no_syscall_tracepoints() {
	local i=0 id links
	command -v bpftool >/dev/null || fail "bpftool missing"
	while :; do
		links=$(sed -n 's/^link //p' "$T/bpf.$1" | sort -un |
			while read -r id; do bpftool link show id "$id" 2>/dev/null; done)
		echo "$links" | grep -q "tp 'page_fault_user'" && break
		i=$((i + 1))
		[ $i -le 50 ] || fail "no page_fault_user link of memspy pid $1 seen"
		sleep 0.1
	done
	if echo "$links" | grep -E "tp 'sys_(enter|exit)'"; then
		fail "memspy pid $1 attached a raw syscall tracepoint"
	fi
	for id in $(sed -n 's/^prog //p' "$T/bpf.$1" | sort -un); do
		bpftool prog show id "$id" 2>/dev/null | grep -E 'name on_sys_(enter|exit)' &&
			fail "memspy pid $1 loaded a syscall tracepoint program"
	done
	echo "ok: memspy pid $1 holds the page-fault tracepoints and no syscall tracepoint"
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

# patch_symbol FILE SYMBOL SKIP BYTES: overwrite the bytes at SKIP bytes into SYMBOL's
# initial value in FILE (printf escapes in BYTES), found through the PT_LOAD
# segment that holds it.
patch_symbol() {
	local addr off=""
	addr=$(readelf -sW --dyn-syms "$1" | awk -v s="$2" '$8 == s {print "0x" $2; exit}')
	[ -n "$addr" ] || fail "no $2 in $1"
	# Type Offset VirtAddr PhysAddr FileSiz ...: the segment holding addr
	off=$(readelf -lW "$1" | awk '$1 == "LOAD" {print $2, $3, $5}' |
		while read -r o v n; do
			if [ $((addr)) -ge $((v)) ] && [ $((addr)) -lt $((v + n)) ]; then
				echo $((addr - v + o))
				break
			fi
		done)
	[ -n "$off" ] || fail "$2 of $1 not in the file"
	printf "$4" | dd of="$1" bs=1 seek=$((off + $3)) conv=notrunc status=none
}

# patch_symbol_info FILE SYMBOL BYTE: overwrite st_info (binding and type, printf
# escapes in BYTE) of SYMBOL's .dynsym entry in FILE.
patch_symbol_info() {
	local idx off
	idx=$(readelf -sW --dyn-syms "$1" |
		awk -v s="$2" '/^Symbol table/ {d = /\.dynsym/} d && $8 == s {sub(":", "", $1); print $1; exit}')
	off=$(readelf -SW "$1" | awk '{for (i = 1; i < NF; i++) if ($i == ".dynsym") print $(i + 3)}')
	[ -n "$idx" ] && [ -n "$off" ] || fail "no $2 in the .dynsym of $1"
	# Elf64_Sym: 24 bytes, st_info at 4
	printf "$3" | dd of="$1" bs=1 seek=$((0x$off + idx * 24 + 4)) conv=notrunc status=none
}

# finish_small_leak: tell tests/data/python/small_leak.py to stop storing (USR2),
# wait for its last line, stop memspy, check that it exited 0 and left nothing and
# that the target lives; sets STORED to the bytes the script says it stored
finish_small_leak() {
	kill -USR2 "$TARGET_PID"
	wait_for "$T/target.out" '^stored' 30
	kill -TERM "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID"
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -0 "$TARGET_PID" || fail "the target died"
	STORED=$(sed -n 's/^stored [0-9]* dicts \([0-9]*\) bytes/\1/p' "$T/target.out")
}

# py_domain_fields ADDR: the four function pointers of the PyMemAllocatorEx at ADDR
# in the target (CPython's allocator domain), in hex, one a line
py_domain_fields() {
	dd if="/proc/$TARGET_PID/mem" bs=8 skip=$(($1 / 8 + 1)) count=4 2>/dev/null |
		od -An -v -t x8 | tr -s ' ' '\n' | grep .
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

# check_init_shim ROOT PYTHON: run tests/data/python/init_shim.py (copied to $IN,
# seen as $INNER inside the chroot ROOT) under PYTHON; a class called from Python
# runs its __init__ behind a shim code object of the interpreter's ("__init__" in
# file "__init__", no line), which must be left out: the caller's frame is followed
# by the real __init__ with its line.
check_init_shim() {
	cp "$srcdir/tests/data/python/init_shim.py" "$IN/init_shim.py"
	start_target chroot "$1" "$2" "$INNER/init_shim.py"
	start_memspy -d 4 --sample-bytes 65536 -o "$T/init" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] ||
		{ cat "$T/memspy.err"; fail "memspy on init_shim.py exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	local make init chain n
	make=$(grep -n "# L:make\$" "$IN/init_shim.py" | cut -d: -f1)
	init=$(grep -n "# L:init\$" "$IN/init_shim.py" | cut -d: -f1)
	chain="make (init_shim.py:$make);__init__ (init_shim.py:$init);"
	cat "$T/init/heap.folded" "$T/init/cpu.folded" > "$T/init/all.folded"
	! grep -F '(__init__)' "$T/init/all.folded" || fail "a frame of the __init__ shim"
	n=$(grep -cF ";$chain" "$T/init/all.folded")
	echo "init_shim.py: $n stacks with $chain"
	[ "$n" -gt 0 ] || { cat "$T/init/all.folded"; fail "no stack with $chain"; }
}

# start_redis: Debian's redis-server, private, on the first free loopback port (a
# taken port makes it exit); sets RPID and PORT. Skips when redis is not installed.
start_redis() {
	REDIS=/usr/bin/redis-server
	[ -x "$REDIS" ] || skip "$REDIS missing (Debian package redis-server)"
	for tool in redis-benchmark redis-cli; do
		command -v $tool >/dev/null || skip "$tool missing (Debian package redis-tools)"
	done
	mkdir "$T/redis"
	PORT=""
	for p in 16379 16479 16579 16679 16779; do
		"$REDIS" --port $p --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
			--dir "$T/redis" --logfile '' > "$T/redis.log" 2>&1 &
		RPID=$!
		PIDS="$PIDS $RPID"
		i=0
		while kill -0 $RPID 2>/dev/null && ! grep -q 'Ready to accept' "$T/redis.log"; do
			i=$((i + 1))
			[ $i -le 100 ] || break
			sleep 0.1
		done
		if grep -q 'Ready to accept' "$T/redis.log" && kill -0 $RPID 2>/dev/null; then
			PORT=$p
			break
		fi
		kill -KILL $RPID 2>/dev/null
	done
	[ -n "$PORT" ] || { cat "$T/redis.log"; fail "redis-server did not start on any port tried"; }
	[ "$(redis-cli -p $PORT ping)" = PONG ] || fail "redis-server on port $PORT does not answer"
	echo "redis-server pid $RPID on 127.0.0.1:$PORT"
}

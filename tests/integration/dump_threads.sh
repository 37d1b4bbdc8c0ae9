#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy dump on a C target built -O2 -g without frame pointers whose named
# threads wait in a mutex (futex), nanosleep, a socket read and epoll_wait, and
# spin: each is listed with its state, syscall, the libc function it waits in and
# the target's function that called it, complete to its root; none of the reads
# disturbs the target (its epoll_wait thread sees no EINTR) and no BPF program is
# left. --json parses; --consistent stops the process and the target measures
# the pause; errors are one line.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3
CHECK="$srcdir/tests/integration/dump_check.py"

no_dump_programs_left() {
	! bpftool prog list 2>/dev/null | grep -qE 'name (dump_task|on_dump_sample) ' ||
		fail "a dump BPF program is still loaded after memspy exited"
}

start_target "$TARGETS/waiters"
"$MEMSPY" dump "$TARGET_PID" > "$T/dump.txt" 2> "$T/dump.err" ||
	{ cat "$T/dump.err"; fail "memspy dump exited $?"; }
cat "$T/dump.txt"
for name in waiters w-mutex w-sleep w-socket w-epoll w-busy; do
	grep -qE "^Thread [0-9]+ \"$name\": " "$T/dump.txt" || fail "no block for thread $name"
done
grep -q '^Thread [0-9]* "w-epoll": sleeping in epoll_wait$' "$T/dump.txt" ||
	fail "the epoll thread is not shown sleeping in epoll_wait"

# several reads, JSON: the same stacks each time
for i in 1 2 3; do
	"$MEMSPY" dump --json "$TARGET_PID" > "$T/dump.json" 2> "$T/dump.err" ||
		{ cat "$T/dump.err"; fail "memspy dump --json exited $?"; }
	$PY -m json.tool "$T/dump.json" > /dev/null || fail "--json output does not parse"
	$PY "$CHECK" "$T/dump.json" \
		"waiters:S:rt_sigtimedwait:__sigtimedwait,sigwait,main,__libc_start_call_main" \
		"w-mutex:S:futex:__GI___lll_lock_wait,__pthread_mutex_lock,wait_on_mutex,thread_main,start_thread" \
		"w-sleep:S:clock_nanosleep:clock_nanosleep,__nanosleep,sleep_in_nanosleep,thread_main" \
		"w-socket:S:read:read,read_socket,thread_main" \
		"w-epoll:S:epoll_wait:epoll_wait,wait_in_epoll,thread_main" \
		"w-busy:R::spin_forever,thread_main,start_thread" || fail "dump $i"
done
no_dump_programs_left

# the target was never interrupted: its epoll_wait saw no EINTR
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID" 10
cat "$T/target.out"
[ "$EXIT_STATUS" = 0 ] || fail "the target exited $EXIT_STATUS: epoll_wait returned EINTR"

# --consistent: 20 more threads nap 200 us at a time and record the longest gap
# between their naps: the pause memspy caused, beside the same measure over the
# second before (on two CPUs shared with a spinning thread, the scheduler's own
# delays). Only running threads are stopped, so epoll_wait still sees no EINTR.
gap_report() {
	n=$(grep -c '^gap_us' "$T/target.out")
	kill -USR1 "$TARGET_PID"
	i=0
	while [ "$(grep -c '^gap_us' "$T/target.out")" = "$n" ]; do
		i=$((i + 1)); [ $i -le 50 ] || fail "the target does not report its gaps"; sleep 0.1
	done
	grep '^gap_us' "$T/target.out" | tail -1 | cut -d' ' -f2
}
start_target "$TARGETS/waiters" --clocks 20
for i in 1 2 3; do
	sleep 1
	before=$(gap_report)
	"$MEMSPY" dump --consistent --json "$TARGET_PID" > "$T/held.json" 2> "$T/dump.err" ||
		{ cat "$T/dump.err"; fail "memspy dump --consistent exited $?"; }
	during=$(gap_report)
	$PY "$CHECK" "$T/held.json" "w-sleep:S:clock_nanosleep:clock_nanosleep,__nanosleep,sleep_in_nanosleep" \
		"w-busy:R::spin_forever,thread_main" "w-epoll:S:epoll_wait:epoll_wait,wait_in_epoll" \
		"w-mutex:S:futex:__pthread_mutex_lock,wait_on_mutex" > /dev/null || fail "--consistent stacks"
	held=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["stopped_ms"], len(d["threads"]), sum(t["read"] == "stopped" for t in d["threads"]))' "$T/held.json")
	set -- $held
	echo "--consistent $i: $2 threads, $3 of them stopped, for $1 ms (memspy's count); the target's longest gap: ${during} us during the dump, ${before} us in the second before"
	$PY -c 'import sys; sys.exit(float(sys.argv[1]) >= 100)' "$1" || fail "held $1 ms (over 100 ms)"
	[ "$during" -lt 200000 ] || fail "the target was paused ${during} us (over 200 ms)"
done
grep -q '"read": "stopped"' "$T/held.json" || fail "--consistent stopped no thread (the busy one runs)"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID" 10
[ "$EXIT_STATUS" = 0 ] || fail "the target exited $EXIT_STATUS: --consistent made epoll_wait return EINTR"
no_dump_programs_left

# errors: one line each, exit status 2 for usage, 1 otherwise
"$MEMSPY" dump 2> "$T/err" && fail "no pid accepted"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q 'give its pid' "$T/err" || { cat "$T/err"; fail "missing pid"; }
"$MEMSPY" dump 999999999 2> "$T/err" && fail "a pid that does not exist accepted"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q 'no process with pid' "$T/err" || { cat "$T/err"; fail "bad pid"; }
if grep -qx kthreadd /proc/2/comm 2>/dev/null; then
	"$MEMSPY" dump 2 2> "$T/err" && fail "a kernel thread accepted"
	[ "$(wc -l < "$T/err")" = 1 ] && grep -q 'kernel thread' "$T/err" || { cat "$T/err"; fail "kernel thread"; }
fi
sh -c 'exit 0' & gone=$!
sleep 0.3
"$MEMSPY" dump "$gone" 2> "$T/err" && fail "an exited process accepted"
[ "$(wc -l < "$T/err")" = 1 ] || { cat "$T/err"; fail "exited process: not one line"; }
# killed during the read, at different moments: a whole dump, or one line
for delay in 0.05 0.15 0.3; do
	start_target "$TARGETS/waiters"
	"$MEMSPY" dump "$TARGET_PID" > "$T/racing.out" 2> "$T/err" &
	dumper=$!
	sleep $delay
	kill -KILL "$TARGET_PID"
	wait_exit "$dumper" 30
	if [ "$EXIT_STATUS" = 0 ]; then
		[ "$(grep -c '^Thread' "$T/racing.out")" = 6 ] || { cat "$T/racing.out"; fail "partial dump"; }
	else
		[ "$(wc -l < "$T/err")" = 1 ] && grep -q 'exited' "$T/err" ||
			{ cat "$T/err"; fail "a process killed meanwhile: not one line saying it exited"; }
	fi
	echo "killed after $delay s: exit $EXIT_STATUS $(cat "$T/err")"
done
start_target "$TARGETS/waiters"
if command -v setpriv > /dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMSPY" dump "$TARGET_PID" 2> "$T/err" &&
		fail "dump without privileges succeeded"
	[ "$(wc -l < "$T/err")" = 1 ] && grep -q 'needs root' "$T/err" || { cat "$T/err"; fail "no privileges"; }
fi
cat "$T/err"
echo "errors: one line each"

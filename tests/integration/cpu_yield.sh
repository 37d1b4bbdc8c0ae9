#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy records at SCHED_IDLE (src/run/cpu_yield.h): every thread of its but
# the watchdog is SCHED_IDLE while it records, and the load command it starts
# runs at normal priority all the same. Once normal threads keep every CPU busy,
# the watchdog gives memspy normal priority back, and it loses nothing; once
# they stop, memspy is SCHED_IDLE again. With --normal-priority no thread of
# memspy's is ever SCHED_IDLE.
. "$(dirname "$0")/lib.sh"
need_bpf

# classes PID: the scheduling classes of PID's threads, sorted ("IDL TS")
classes() { ps -L -o cls= -p "$1" 2>/dev/null | tr -d ' ' | sort -u | tr '\n' ' '; }
# wait_classes PID WANT WHAT: until PID's classes are WANT (a grep -E pattern),
# 10 s at most
wait_classes() {
	i=0
	until classes "$1" | grep -qE "$2"; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "$3 after 10 s: memspy's threads are $(classes "$1")"
		sleep 0.1
	done
}

start_target "$TARGETS/leaky" steady 60
start_memspy -v -d 20 -o "$T/out" "$TARGET_PID" -- sh -c \
	"kill -USR1 $TARGET_PID; chrt -p \$\$; exec sleep 60"
wait_classes "$MEMSPY_PID" '^ *IDL TS *$' "not SCHED_IDLE with a normal watchdog"
echo "memspy's threads while recording: $(classes "$MEMSPY_PID")"
wait_for "$T/memspy.err" 'scheduling policy' 10
grep 'scheduling policy' "$T/memspy.err"
grep -q 'scheduling policy: SCHED_OTHER' "$T/memspy.err" ||
	fail "the load command did not run at normal priority"

# every CPU busy with normal threads: SCHED_IDLE would starve memspy
n=$(($(nproc) * 2))
HOGS=""
for i in $(seq "$n"); do
	sh -c 'while :; do :; done' &
	HOGS="$HOGS $!"
done
PIDS="$PIDS $HOGS"
wait_classes "$MEMSPY_PID" '^ *TS *$' "$n busy threads on $(nproc) CPUs, and memspy not back at normal priority"
echo "with every CPU busy: $(classes "$MEMSPY_PID")"
sleep 3
classes "$MEMSPY_PID" | grep -qw IDL && fail "SCHED_IDLE again while every CPU is busy"
kill -KILL $HOGS 2>/dev/null
wait_classes "$MEMSPY_PID" '^ *IDL TS *$' "the CPUs idle again, and memspy not back at SCHED_IDLE"
echo "the CPUs idle again: $(classes "$MEMSPY_PID")"
wait_exit "$MEMSPY_PID" 120
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
grep 'recorded at SCHED_IDLE' "$T/memspy.err" || fail "no word of SCHED_IDLE at -v"
R="$T/out/report.txt"
sed -n '/== totals ==/,/^$/p' "$R"
grep -q '^  lost allocations *0$' "$R" || fail "allocations lost while the CPUs were busy"
grep -q '^  lost frees *0$' "$R" || fail "frees lost while the CPUs were busy"
grep -q 'leak_steady' "$T/out/heap.folded" || fail "no leak_steady in heap.folded"

# --normal-priority: nothing at SCHED_IDLE
start_memspy -v --normal-priority -d 3 -o "$T/normal" "$TARGET_PID"
sleep 1
echo "with --normal-priority: $(classes "$MEMSPY_PID")"
classes "$MEMSPY_PID" | grep -qw IDL && fail "--normal-priority, and a thread is SCHED_IDLE"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "--normal-priority: memspy exited $EXIT_STATUS"; }
grep -q 'recorded at SCHED_IDLE' "$T/memspy.err" && fail "--normal-priority, yet recorded at SCHED_IDLE"
echo PASS

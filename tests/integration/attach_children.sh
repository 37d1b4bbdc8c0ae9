#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --children follows processes forked after memspy attached (and a grandchild):
# one output directory per process with its own exact leak, and merged files at
# the top whose stacks start with the process, name-pid.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/leaky" fork 2
start_memspy --children --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
i=0
while [ "$(grep -c '^child ' "$T/target.out")" -lt 3 ]; do
	i=$((i + 1)); [ $i -le 100 ] || fail "children did not report: $(cat "$T/target.out")"
	sleep 0.1
done
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

O="$T/out"
cat "$O/report.txt" | head -12
echo "--- heap.folded"
grep -E 'leak_' "$O/heap.folded"

grep -q -- '--children: 4 processes' "$O/report.txt" || fail "report does not list 4 processes"
# the parent: its own directory, and its leak under leaky-PID in the merged file
for f in heap.folded heap.svg report.txt; do
	[ -s "$O/$TARGET_PID/$f" ] || fail "no $TARGET_PID/$f"
done
# a short run may give a process no CPU sample or page fault: the files exist,
# possibly empty
for f in cpu.folded rss.folded cpu.svg; do
	[ -e "$O/$TARGET_PID/$f" ] || fail "no $TARGET_PID/$f"
done
[ -e "$O/rss.folded" ] && [ -e "$O/cpu.folded" ] && [ -s "$O/heap.svg" ] || fail "merged files missing"
v=$(folded_value "$O/$TARGET_PID/heap.folded" '^_start;(.*;)?main;(.*;)?leak_a;leak_b;leak_c;leak_d ')
[ "$v" = 20000 ] || fail "parent leak $v bytes in $TARGET_PID/heap.folded, expected 20000"
v=$(folded_value "$O/heap.folded" "^leaky-$TARGET_PID;_start;(.*;)?leak_d ")
[ "$v" = 20000 ] || fail "parent leak $v bytes under leaky-$TARGET_PID, expected 20000"
grep -q 'leak_in_child' "$O/$TARGET_PID/heap.folded" && fail "a child's leak in the parent's profile"

# each child and the grandchild: 10 blocks of its size, nowhere else
grep '^child ' "$T/target.out" | while read -r _ pid size; do
	want=$((size * 10))
	[ -s "$O/$pid/heap.folded" ] || fail "no $pid/heap.folded"
	v=$(folded_value "$O/$pid/heap.folded" '^_start;(.*;)?main;(.*;)?leak_in_child ')
	[ "$v" = "$want" ] || fail "child $pid leak $v bytes, expected $want"
	v=$(folded_value "$O/heap.folded" "^leaky-$pid;_start;(.*;)?leak_in_child ")
	[ "$v" = "$want" ] || fail "child $pid leak $v bytes under leaky-$pid, expected $want"
	grep -q "^ *$pid " "$O/report.txt" || fail "report does not list $pid"
done || exit 1
# every merged line starts with a process
grep -vqE '^leaky-[0-9]+;' "$O/heap.folded" && fail "merged line without a process root"

# the target and its children are untouched
kill -0 "$TARGET_PID" || fail "target died"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"
[ "$EXIT_STATUS" = 0 ] || fail "target exited $EXIT_STATUS after detach"
echo PASS

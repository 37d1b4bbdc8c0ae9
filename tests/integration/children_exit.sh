#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --children bookkeeping: children that each allocate 10 MiB and exit are listed
# as exited, their memory gone from the merged live heap, heap.folded,
# rss.folded and the suspects (their own directories keep what they held at
# exit); an idle child running at attach is listed though it sent nothing; the
# process frame comes first in every merged line, [truncated] after it.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/forker" 3
IDLE=$(sed -n 's/^idle //p' "$T/target.out")
start_memspy --children --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

O="$T/out"
sed -n '1,/^== top allocation/p' "$O/report.txt"
grep -q -- '--children: 5 processes' "$O/report.txt" || fail "report does not list 5 processes"
grep -qE "^ *$IDLE +$TARGET_PID +forker .* running" "$O/report.txt" ||
	fail "the idle child $IDLE is not listed as running"
grep -qE "^ *$TARGET_PID .* running" "$O/report.txt" || fail "the target is not listed as running"
grep -q '3 of the 5 processes exited during the run: the 30.0 MiB of live heap' "$O/report.txt" ||
	fail "no line of the exited processes' memory"
grep -qE 'released at exit +30.0 MiB of the blocks freed went with the 3 processes' "$O/report.txt" ||
	fail "the totals do not say the exited processes' heap was released"
grep '^child ' "$T/target.out" | while read -r _ pid; do
	grep -qE "^ *$pid +$TARGET_PID +forker .* 0 B .*exited at [0-9.]+ s: 10.0 MiB of live heap" \
		"$O/report.txt" || fail "child $pid not listed as exited with its 10 MiB released"
	v=$(folded_value "$O/$pid/heap.folded" ';child_alloc ')
	[ "$v" = 10485760 ] || fail "child $pid: $v bytes in its own heap.folded, expected what it had at exit"
	grep -q 'exited at .* the figures below are what it held\|the figures below are what it held' \
		"$O/$pid/report.txt" || fail "child $pid's own report does not say it exited"
done || exit 1
grep -q 'child_alloc' "$O/heap.folded" && fail "an exited child's heap in the merged heap.folded"
grep -q 'child_alloc' "$O/rss.folded" && fail "an exited child's pages in the merged rss.folded"
sed -n '/== leak suspects ==/,/^==/p' "$O/report.txt" | grep -q 'child_alloc' &&
	fail "an exited child among the suspects"
live=$(sed -n 's/^  live  *\([0-9]*\) B.*/\1/p' "$O/report.txt")
[ -n "$live" ] && [ "$live" -lt 1048576 ] || fail "merged live heap $live B, expected the parent's alone"
for f in heap cpu rss; do
	grep -qvE '^forker-[0-9]+;' "$O/$f.folded" && fail "a line of $f.folded does not start with the process"
done
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"
echo PASS

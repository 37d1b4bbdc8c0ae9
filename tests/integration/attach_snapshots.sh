#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A long attach: --every writes a whole snapshot of the outputs into a numbered
# directory each interval, SIGUSR1 one more at once, and --keep leaves only the
# newest; the final outputs are written as ever.
. "$(dirname "$0")/lib.sh"
need_bpf

# complete DIR: every output of a run is there, the report about the leak
complete() {
	for f in report.txt heap.folded heap.svg heap.pb.gz cpu.svg cpu.pb.gz timeline.svg; do
		[ -s "$1/$f" ] || { ls -la "$1"; fail "$1/$f missing or empty"; }
	done
	# The in-process sampler leaves leaky nearly idle: 4 s at 99 Hz may hold
	# no CPU sample at all, and an empty folded file is the right output then.
	[ -f "$1/cpu.folded" ] || { ls -la "$1"; fail "$1/cpu.folded missing"; }
	grep -q leak_steady "$1/heap.folded" || fail "$1: no leak_steady in heap.folded"
}

start_target "$TARGETS/leaky" steady 60
start_memspy -q -d 18 --every 4 --keep 3 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for_file() {
	local i=0
	while [ ! -d "$1" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "no $1 after 10 s"
		sleep 0.1
	done
}
# snapshots at 4 s (1), on SIGUSR1 right after (2), then at 8, 12 and 16 s (3..5)
wait_for_file "$T/out/snap-0001"
complete "$T/out/snap-0001"
kill -USR1 "$MEMSPY_PID"
wait_for_file "$T/out/snap-0002"
wait_exit "$MEMSPY_PID" 60
check_no_probes_left "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
cat "$T/memspy.err"

got=$(cd "$T/out" && ls -d snap-* .snap-* 2>/dev/null | tr '\n' ' ')
[ "$got" = "snap-0003 snap-0004 snap-0005 " ] ||
	fail "want snap-0003 snap-0004 snap-0005 (five written, three kept), got '$got'"
for d in "$T"/out/snap-*; do
	complete "$d"
	grep -q 'snapshot (the run goes on)' "$d/report.txt" || fail "$d/report.txt: not a snapshot"
done
complete "$T/out"
grep -q 'duration reached' "$T/out/report.txt" || fail "the final report is not the run's end"
# later snapshots saw more of the leak
a=$(awk '/leak_steady/ { s += $NF } END { print s + 0 }' "$T/out/snap-0003/heap.folded")
b=$(awk '/leak_steady/ { s += $NF } END { print s + 0 }' "$T/out/snap-0005/heap.folded")
[ "$b" -gt "$a" ] || fail "snap-0005 holds no more leaked bytes ($b) than snap-0003 ($a)"
echo "ok: 5 snapshots written, the newest 3 kept, whole; leaked bytes $a then $b"
echo PASS

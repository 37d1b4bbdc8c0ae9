#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Overload is visible, never silent: every allocation recorded (--sample-bytes 1)
# of a target that makes and frees blocks as fast as it can from 4 threads, 40
# frames deep, with the biggest stack copies, overflows the ring buffer. The report must count what
# was dropped per kind and say which figures that makes unreliable; the
# tracked-address map must hold 2M blocks (BPF_F_NO_PREALLOC: the kernel memory
# grows with what is tracked, and is printed).
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/churn" mallocs
start_memspy --sample-bytes 1 --no-cpu --stack-bytes 32K -d 10 -o "$T/out" "$TARGET_PID"
# The map of tracked blocks, among the maps this memspy holds.
ids=$(sed -n 's/^map //p' "$T/bpf.$MEMSPY_PID" | sort -u)
allocs=""
for id in $ids; do
	line=$(bpftool map show id "$id" 2>/dev/null | tr '\n' ' ')
	case $line in *" name allocs "*) allocs=$line ;; esac
done
[ -n "$allocs" ] || fail "no map named allocs among memspy's maps ($ids)"
echo "allocs map: $allocs"
echo "$allocs" | grep -q 'max_entries 2097152 ' || fail "the allocs map does not hold 2M entries"
wait_exit "$MEMSPY_PID" 120
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"
R="$T/out/report.txt"
sed -n '/== totals ==/,/^$/p' "$R"
la=$(sed -n 's/^  lost allocations *\([0-9]*\).*/\1/p' "$R")
lf=$(sed -n 's/^  lost frees *\([0-9]*\).*/\1/p' "$R")
[ -n "$la" ] && [ -n "$lf" ] || fail "the report does not count lost allocations and frees apart"
[ $((la + lf)) -gt 0 ] || skip "nothing was lost: this machine kept up with 4 threads of mallocs"
[ "$la" = 0 ] || grep -q '^  lost allocations *[0-9]* (ring buffer full: missing from live bytes, heap.folded' "$R" ||
	fail "lost allocations without saying which figures they affect"
[ "$lf" = 0 ] || grep -q '^  lost frees *[0-9]* (ring buffer full: those blocks still count as live' "$R" ||
	fail "lost frees without saying which figures they affect"
echo "ok: $la allocations and $lf frees lost, each said and explained"
echo PASS

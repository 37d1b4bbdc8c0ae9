#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Attaching to a target already in a fault storm: tests/targets/fault_storm maps
# 65,536 new pages a second from half a second before memspy attaches. memspy
# takes its first page-fault sampling period from the minor faults the target
# made while memspy attached (over 20 ms at least: the target maps its pages in
# bursts every 10 ms, so the first rate may come out low), so the report's periods
# start at 1 in 64 or more and the samples stay near 100 a second (before: 1 in 1
# for the first tenth of a second, over 6,000 samples). memspy stops 3 s after
# attaching, while the storm still runs (a window after it would see no faults
# and go back to 1 in 1). Nothing is left behind.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/fault_storm" 8
kill -USR1 "$TARGET_PID"
sleep 0.5
start_memspy --no-heap --no-cpu -o "$T/out" "$TARGET_PID"
sleep 3
grep -q '^done' "$T/target.out" && fail "the storm ended before memspy stopped: the machine is too slow for this test"
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

R="$T/out/report.txt"
line=$(grep '^  page faults ' "$R")
echo "$line"
first=$(echo "$line" | sed -n 's/.* sampled (1 in \([0-9]*\).*/\1/p')
samples=$(echo "$line" | sed -n 's/.*, \([0-9]*\) sampled (.*/\1/p')
[ -n "$first" ] && [ -n "$samples" ] || fail "no sampled faults in the report's rss section"
[ "$first" -ge 64 ] ||
	fail "the first period was 1 in $first: the storm under way at attach was sampled densely"
[ "$samples" -le 700 ] || fail "$samples faults sampled in 3 s of a storm (about 300 expected)"
echo "ok: a storm under way at attach sampled 1 in $first from the start, $samples samples"

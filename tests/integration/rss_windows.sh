#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A fault storm: tests/targets/fault_storm maps 65,536 new pages a second for 6 s,
# four times the rate past which memspy traces page faults in windows
# (src/run/rss_adapt.h). While it runs, memspy's page-fault tracepoint links come
# and go; the report says the faults were traced in windows and for how long,
# its estimate of the new pages is within 5% of what the target wrote, and
# rss.folded still charges them to grow_heap within 10%. The storm starts after
# the attach, while memspy samples every fault: past 16 samples in 8.4 ms a
# CPU doubles the gap to its next, which keeps the samples of that first tenth
# of a second to a few hundred, not thousands (5,212 over the run before, ~500).
# Nothing is left behind.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/fault_storm" 6
start_memspy --no-heap --no-cpu -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
# the memspy's page_fault_user links, every 50 ms from the second second on
sleep 2
links=""
for i in $(seq 60); do
	links="$links$(grep -l 'page_fault_user' /proc/"$MEMSPY_PID"/fdinfo/* 2>/dev/null | wc -l)"
	sleep 0.05
done
echo "page_fault_user links of memspy, every 50 ms: $links"
case $links in *0*) ;; *) fail "the tracepoints stayed attached in a storm: $links" ;; esac
case $links in *1*) ;; *) fail "the tracepoints never came back: $links" ;; esac
wait_for "$T/target.out" '^done' 30
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

R="$T/out/report.txt"
sed -n '/== rss ==/,/^$/p' "$R"
wrote=$(sed -n 's/^done \([0-9]*\)$/\1/p' "$T/target.out")
[ -n "$wrote" ] || fail "no page count from the target"
secs=$(sed -n 's/^  traced in windows 1\/8 of the time for \([0-9.]*\) s.*/\1/p' "$R")
[ -n "$secs" ] || fail "the report does not say the faults were traced in windows"
awk -v s="$secs" 'BEGIN { exit !(s >= 4.5 && s <= 6) }' ||
	fail "in windows for $secs s, expected about 5.5 of the storm's 6"
new=$(sed -n 's/^  page faults  *~[0-9]*, ~\([0-9]*\) of them on a new page.*/\1/p' "$R")
echo "new pages: ~$new estimated, $wrote written"
awk -v n="$new" -v w="$wrote" 'BEGIN { exit !(n >= 0.95 * w && n <= 1.05 * w) }' ||
	fail "new pages estimated '$new', the target wrote $wrote"
grow=$(folded_value "$T/out/rss.folded" ';grow_heap[^;]* [0-9]+$')
echo "grow_heap: $grow bytes of $((wrote * 4096))"
awk -v g="$grow" -v w="$((wrote * 4096))" 'BEGIN { exit !(g >= 0.9 * w && g <= 1.1 * w) }' ||
	fail "rss.folded charges grow_heap $grow bytes, the target wrote $((wrote * 4096))"
sampled=$(sed -n 's/^  page faults .* \([0-9]*\) sampled (.*/\1/p' "$R")
[ -n "$sampled" ] && [ "$sampled" -lt 1500 ] ||
	fail "$sampled page-fault samples in a 6 s storm: the burst budget did not hold the start"
echo "ok: a fault storm traced in windows for $secs s, its new pages estimated within 5%, $sampled samples"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Temporary allocations sampled at the default mean: a target makes 1,000,000
# blocks of 1000 bytes that it frees at once (temporary) under make_temps, and
# 500,000 pairs freed each after the other was allocated (not temporary) under
# keep_pairs. The report's estimate for make_temps is within 15% of 1,000,000,
# and keep_pairs' blocks are not counted temporary. (heap_peak.sh checks exact
# counts with --sample-bytes 1.)
. "$(dirname "$0")/lib.sh"
need_bpf
N=1000000

start_target "$TARGETS/temps" "$N"
start_memspy -q -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 180
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID" 120
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
kill -TERM "$TARGET_PID"
sed -n '/^== most temporary allocations ==/,/^$/p' "$T/out/report.txt" | tee "$T/temp"
grep -q keep_pairs "$T/temp" && fail "keep_pairs' blocks reported temporary"
est=$(awk '$NF == "make_temps" { sub(/^~/, "", $1); print $1 }' "$T/temp")
[ -n "$est" ] || fail "make_temps not among the temporary allocations"
awk -v e="$est" -v n="$N" 'BEGIN { d = (e - n) / n; printf "make_temps: ~%d temporary, %+.1f%%\n", e, 100 * d; exit !(d <= 0.15 && d >= -0.15) }' ||
	fail "make_temps' estimate ~$est is more than 15% off $N"
echo PASS

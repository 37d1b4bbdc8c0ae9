#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Default Poisson sampling: an 80 MiB leak of 4 KiB blocks is estimated within 30%
# from far fewer samples than allocations, and the churned site is not live.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/leaky" sampled
start_memspy -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 60
sleep 0.5
kill -TERM "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
F="$T/out/heap.folded"
R="$T/out/report.txt"
cat "$R"

truth=83886080
est=$(folded_value "$F" ';leak_d ')
echo "estimated $est bytes for leak_d, truth $truth"
awk -v e="$est" -v t="$truth" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(d <= 0.30) }' ||
	fail "estimate $est is not within 30% of $truth"

busy=$(folded_value "$F" ';busy_transient ')
# 64 blocks of 4 KiB stay live in the ring: 256 KiB, below one sampling mean
[ "$busy" -le $((4 * 524288)) ] || fail "busy_transient live estimate $busy too high"

samples=$(sed -n 's/^ *samples[^0-9]*\([0-9][0-9]*\).*/\1/p' "$R" | head -1)
[ -n "$samples" ] || fail "report has no samples line"
# 40960 allocations; sampling at 512 KiB takes about 320 of them
[ "$samples" -lt 4096 ] || fail "$samples samples: not far fewer than 40960 allocations"
[ "$samples" -gt 20 ] || fail "only $samples samples"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An allocation storm: tests/targets/alloc_storm mallocs 1.6 GB a second for 6 s,
# some 3,000 samples a second at the default mean, six times what the in-process
# sampler takes before it raises its mean (src/run/mean_adapt.h). The report says
# the mean was raised and for how long; the samples stay near the bound; the
# estimate of the bytes allocated is within 10% of the agent's exact count and
# the kept blocks (1.2 GB, some 300 samples at the raised mean) are charged to
# keep() within 35%. With --max-samples 0 the mean stays as it was.
. "$(dirname "$0")/lib.sh"
need_bpf

storm() { # OUTDIR [memspy options]: one run of the storm; sets R
	out=$1
	shift
	rm -f "$T/target.out" "$T/memspy.err"
	start_target "$TARGETS/alloc_storm" 6
	start_memspy --no-cpu --no-rss -o "$out" "$@" "$TARGET_PID"
	grep -q "in-process sampler" "$T/memspy.err" || { cat "$T/memspy.err"; fail "memspy did not attach in-process"; }
	kill -USR1 "$TARGET_PID"
	wait_for "$T/target.out" '^done' 30
	kill -INT "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID"
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait_exit "$TARGET_PID"
	[ "$EXIT_STATUS" = 0 ] || fail "the target exited $EXIT_STATUS"
	R="$out/report.txt"
}

storm "$T/out"
sed -n '1,/^== top/p' "$R"
set -- $(grep '^done' "$T/target.out")
churned=$2 kept=$3
grep -q '^ *raised up to [0-9.]* [KMG]iB for [0-9.]* s, while more than 512 allocations' "$R" ||
	fail "the report does not say the mean was raised"
dur=$(sed -n 's/^ *run  *\([0-9.]*\) s.*/\1/p' "$R")
samples=$(sed -n 's/^ *samples  *\([0-9]*\)$/\1/p' "$R")
echo "samples: $samples in $dur s"
# 3,000 a second without the bound: the first look (a quarter of a second) may
# take ~750, then no more than 512 a second
awk -v n="$samples" -v d="$dur" 'BEGIN { exit !(n > 0 && n <= 1000 + 512 * d) }' ||
	fail "$samples samples in $dur s: the mean was not raised enough"
exact=$(sed -n 's/^ *allocated *[0-9]* calls, \([0-9]*\) B.*/\1/p' "$R")
est=$(awk '{ s += $NF } END { printf "%.0f", s }' "$T/out/alloc.folded")
echo "bytes allocated: exact $exact, estimated $est (the target: $churned churned, $kept kept)"
awk -v e="$est" -v t="$exact" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.10) }' ||
	fail "estimate $est of the bytes allocated is not within 10% of the agent's $exact"
k=$(folded_value "$T/out/heap.folded" ';keep[^;]* [0-9]+$')
echo "keep: $k bytes live, $kept kept"
awk -v e="$k" -v t="$kept" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(d <= 0.35) }' ||
	fail "keep() charged $k bytes live, the target kept $kept"

storm "$T/fixed" --max-samples 0
grep -q 'raised up to' "$R" && fail "--max-samples 0 raised the mean"
fixed=$(sed -n 's/^ *samples  *\([0-9]*\)$/\1/p' "$R")
echo "samples with the mean fixed: $fixed"
[ "$fixed" -gt $((2 * samples)) ] || fail "with the mean fixed, $fixed samples against $samples"
echo "ok: an allocation storm sampled at a raised mean, $samples samples against $fixed"

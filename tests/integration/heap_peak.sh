#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The peak, the bytes allocated and temporary allocations: a target builds a known
# peak of 100,000 blocks (200,000 sampled) of 32 B to 4 KiB under build_peak,
# frees it, makes 1000 temporary allocations and 1000 pairs that are not, then
# leaks slowly elsewhere.
# Recording every allocation, peak.folded holds exactly the peak's bytes under
# build_peak, heap.folded none there, alloc.folded adds up to the bytes the probes
# counted, and the report's size histogram is the target's own. Sampled at the
# default mean, the peak and the bytes allocated are within 15%, and the size
# histogram, counted by the probes for every allocation, is still exact. Exact,
# the temporary allocations are make_temporaries' 1000 and none of keep_pairs'.
. "$(dirname "$0")/lib.sh"
need_bpf

# run NAME PACE BLOCKS MEMSPY-ARGS...: attach, let the target build its peak of
# BLOCKS blocks (pausing PACE ms per 1000) and do the rest, stop; outputs in $T/NAME
run() {
	name=$1
	pace=$2
	blocks=$3
	shift 3
	rm -rf "${T:?}/$name"
	start_target "$TARGETS/peak" "$pace" "$blocks"
	start_memspy "$@" -q -o "$T/$name" "$TARGET_PID"
	kill -USR1 "$TARGET_PID"
	wait_for "$T/target.out" '^done' 120
	sleep 0.5
	kill -INT "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID" 120
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait_exit "$TARGET_PID"
	[ "$EXIT_STATUS" = 0 ] || fail "target exited $EXIT_STATUS after detach"
	cp "$T/target.out" "$T/$name/target.out"
	# sampled, the slow leak may have no sample: heap.folded can be empty
	[ -e "$T/$name/heap.folded" ] || fail "$name: no heap.folded"
	for f in report.txt peak.folded peak.svg alloc.folded alloc.svg; do
		[ -s "$T/$name/$f" ] || fail "$name: no $f"
	done
}

# within A B PERCENT: |A - B| <= PERCENT% of B
within() {
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100) }'
}

# The bytes the probes counted: "allocated   N calls, X B ..." in the totals.
counted_bytes() {
	sed -n 's/^  allocated *[0-9]* calls, \([0-9]*\) B.*/\1/p' "$1" | head -1
}

# The report's allocations per power of two, as "hist K COUNT" lines like the target's.
report_hist() {
	awk '/^== allocation sizes ==/ { on = 1; next } /^== / { on = 0 }
	     on && $3 == "-" {
		v = $1; if ($2 == "KiB") v *= 1024; if ($2 == "MiB") v *= 1048576
		k = 0; while (v >= 2) { v /= 2; k++ }
		n = $6; sub(/^~/, "", n); print "hist " k " " n }' "$1"
}

# --- every allocation recorded
# 12,500 blocks a second, within what memspy unwinds on an idle machine; on a
# loaded one the ring buffer may drop events: then again, five times slower
O="$T/exact"
# nothing_lost: no allocation and no free dropped by the ring buffer
nothing_lost() {
	grep -q '^  lost allocations *0$' "$O/report.txt" && grep -q '^  lost frees *0$' "$O/report.txt"
}
run exact 80 100000 --sample-bytes 1
if ! nothing_lost; then
	echo "events lost at 12,500 blocks/s ($(uptime)): again at 2,500 blocks/s"
	run exact 400 100000 --sample-bytes 1
fi
cat "$O/report.txt"
peak=$(sed -n 's/^peak //p' "$O/target.out")
nothing_lost || fail "events were lost: the figures cannot be exact"
v=$(folded_value "$O/peak.folded" ';build_peak( |;)')
[ "$v" = "$peak" ] || fail "peak.folded has $v B under build_peak, expected $peak"
grep -q "peak live heap .*($peak B)" "$O/report.txt" || fail "the report's peak is not $peak B"
grep -q 'build_peak' "$O/heap.folded" && fail "build_peak still live at the end: $(grep build_peak "$O/heap.folded")"
v=$(folded_value "$O/heap.folded" ';leak_slowly( |;)')
[ "$v" = 100000 ] || fail "leak_slowly live bytes $v, expected 100000"
counted=$(counted_bytes "$O/report.txt")
v=$(folded_value "$O/alloc.folded" '.')
echo "alloc.folded $v B, counted $counted B, the target's own $(sed -n 's/^allocated //p' "$O/target.out") B"
[ "$v" = "$counted" ] || fail "alloc.folded adds up to $v B, the probes counted $counted B"
v=$(folded_value "$O/alloc.folded" ';build_peak( |;)')
[ "$v" = "$peak" ] || fail "alloc.folded has $v B under build_peak, expected $peak"
grep '^hist ' "$O/target.out" > "$T/hist.target"
report_hist "$O/report.txt" > "$T/hist.report"
diff "$T/hist.target" "$T/hist.report" || fail "the report's size histogram is not the target's"
grep -q '^== most calls ==' "$O/report.txt" || fail "no most calls section"
grep -q 'peak of the live heap' "$O/timeline.svg" || fail "the peak is not marked on timeline.svg"
# temporary allocations: make_temporaries' 1000 blocks, none of keep_pairs'
sed -n '/^== most temporary allocations ==/,/^$/p' "$O/report.txt" > "$T/temp"
grep -qE '^ +1000 +97\.7 KiB +make_temporaries$' "$T/temp" ||
	fail "make_temporaries' 1000 temporary allocations not reported: $(cat "$T/temp")"
grep -q keep_pairs "$T/temp" && fail "keep_pairs' blocks reported temporary: $(cat "$T/temp")"
awk '/^== most calls ==/ { getline; getline; print; exit }' "$O/report.txt" | grep -q '100000 .*build_peak' ||
	fail "build_peak is not first by calls with 100000"

# --- sampled at the default mean: estimates
run sampled 0 200000
O="$T/sampled"
sed -n '/^== peak ==/,$p' "$O/report.txt"
peak=$(sed -n 's/^peak //p' "$O/target.out")
v=$(folded_value "$O/peak.folded" ';build_peak( |;)')
echo "sampled: peak.folded $v B under build_peak, exact $peak B"
within "$v" "$peak" 15 || fail "sampled peak $v B not within 15% of $peak B"
grep -q 'build_peak' "$O/heap.folded" && fail "build_peak still live at the end (sampled)"
counted=$(counted_bytes "$O/report.txt")
v=$(folded_value "$O/alloc.folded" '.')
echo "sampled: alloc.folded $v B, counted $counted B"
within "$v" "$counted" 15 || fail "sampled alloc.folded $v B not within 15% of $counted B"
grep -q 'peak live heap ~' "$O/report.txt" || fail "the sampled peak is not marked estimated"
# the probes count every allocation's size: the histogram is exact when sampling too
grep '^hist ' "$O/target.out" > "$T/hist.target"
report_hist "$O/report.txt" > "$T/hist.report"
diff "$T/hist.target" "$T/hist.report" || fail "the sampled run's size histogram is not the target's"
grep -q '^== allocation sizes == *$' "$O/report.txt" || fail "the counted histogram is marked estimated"
echo PASS

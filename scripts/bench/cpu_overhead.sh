#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU sampling overhead: a CPU-bound target's throughput bare, with memspy attached
# at 99 Hz and 999 Hz, and with `perf record --call-graph dwarf` at the same
# frequencies, alternating in one run; prints medians and ratios against bare.
# Run as root from the build directory: scripts/bench/cpu_overhead.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-5}
SECS=${2:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
MEMSPY=${MEMSPY:-$(pwd)/memspy}
W=$(mktemp -d /tmp/memspy-cpubench.XXXXXX)
trap 'rm -rf "$W"' EXIT
[ -x "$MEMSPY" ] || { echo "cpu_overhead: no memspy at $MEMSPY (run from the build dir or set MEMSPY)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "cpu_overhead: run as root" >&2; exit 1; }
cc -O2 -g -o "$W/cpu_bound" "$HERE/cpu_bound.c"
HAVE_PERF=1
command -v perf >/dev/null || HAVE_PERF=0

# run MODE: start the target, attach the profiler of MODE, measure, print units/s
run() {
	local mode=$1 prof=""
	"$W/cpu_bound" "$SECS" > "$W/out" &
	local pid=$!
	while ! grep -q ready "$W/out" 2>/dev/null; do sleep 0.01; done
	case $mode in
	bare) ;;
	memspy99|memspy999)
		: > "$W/ms.err" # the last run's line must not pass for this one's
		"$MEMSPY" attach -q -F "${mode#memspy}" -o "$W/ms" "$pid" 2> "$W/ms.err" &
		prof=$!
		while ! grep -q 'attached to' "$W/ms.err" 2>/dev/null; do sleep 0.05; done ;;
	perf99|perf999)
		perf record -q -F "${mode#perf}" --call-graph dwarf -o "$W/perf.data" -p "$pid" \
			> /dev/null 2>&1 &
		prof=$!
		sleep 1 ;;
	esac
	kill -USR1 "$pid"
	wait "$pid"
	if [ -n "$prof" ]; then
		kill -INT "$prof" 2>/dev/null || true
		wait "$prof" 2>/dev/null || true
	fi
	tail -1 "$W/out"
}

MODES="bare memspy99 memspy999"
[ $HAVE_PERF = 1 ] && MODES="$MODES perf99 perf999"
for m in $MODES; do : > "$W/res.$m"; done
for r in $(seq "$ROUNDS"); do
	for m in $MODES; do
		v=$(run "$m")
		echo "$v" >> "$W/res.$m"
		echo "round $r $m: $v units/s" >&2
	done
done
median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
bare=$(median "$W/res.bare")
printf '\n%-12s %14s %8s %8s\n' mode "units/s" ratio cost
for m in $MODES; do
	v=$(median "$W/res.$m")
	awk -v m="$m" -v v="$v" -v b="$bare" 'BEGIN { printf "%-12s %14.0f %8.3f %7.1f%%\n", m, v, v / b, 100 * (1 - v / b) }'
done
echo "(median of $ROUNDS rounds of $SECS s; goal: memspy at 99 Hz costs at most 1%)"

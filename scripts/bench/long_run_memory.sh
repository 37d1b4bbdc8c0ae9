#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy's own memory against the length of a run, in the fast-forward test mode
# (MEMSPY_FAST_FORWARD=SECONDS: a busy server's sampled records, a fifth of them
# at stacks never seen before, fed through the real ingestion with the target's
# real modules; see src/run/fast_forward.c). Prints one line per simulated
# duration: the stacks kept, the heap memspy uses and its RSS at the end of the
# recording, the peak RSS of the whole run with the outputs written, and the
# wall time. Once the bounds are reached (about 35 simulated minutes at the
# default --max-stacks) the figures stay flat; what still grows is the sampled
# blocks of the simulated leak, which memspy tracks while they live (bounded by
# --max-tracked).
# Run from the build directory: scripts/bench/long_run_memory.sh [SECONDS...]
# (default: 60 600 3600 14400, one minute to four hours); MAX_STACKS=N passes
# --max-stacks N.
set -euo pipefail
MEMSPY=${MEMSPY:-$(pwd)/memspy}
TARGET=${TARGET:-$(pwd)/tests/targets/forker}
W=$(mktemp -d /tmp/memspy-longbench.XXXXXX)
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill -TERM "$TPID" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
[ -x "$MEMSPY" ] || { echo "long_run_memory: no memspy at $MEMSPY (run from the build dir or set MEMSPY)" >&2; exit 1; }
[ -x "$TARGET" ] || { echo "long_run_memory: no target at $TARGET (make check TESTS= builds it)" >&2; exit 1; }
[ $# -gt 0 ] || set -- 60 600 3600 14400
EXTRA=()
[ -n "${MAX_STACKS:-}" ] && EXTRA=(--max-stacks "$MAX_STACKS")

"$TARGET" 1 > "$W/target.out" &
TPID=$!
while ! grep -q '^ready' "$W/target.out" 2>/dev/null; do sleep 0.05; done

printf "%-12s %8s %12s %12s %14s %8s\n" "simulated" "stacks" "heap in use" "rss at end" "peak rss (+out)" "wall s"
for s in "$@"; do
	start=$(date +%s.%N)
	MEMSPY_FAST_FORWARD=$s "$MEMSPY" attach -q "${EXTRA[@]}" -o "$W/out-$s" "$TPID" \
		> /dev/null 2> "$W/err-$s"
	end=$(date +%s.%N)
	line=$(grep "^memspy: fast-forward $s s:" "$W/err-$s" | tail -1)
	peak=$(sed -n 's/^memspy: fast-forward done: peak rss \([0-9.]*\) MiB.*/\1/p' "$W/err-$s")
	stacks=$(sed -n 's/.*: \([0-9]*\) stacks,.*/\1/p' <<< "$line")
	heap=$(sed -n 's/.*heap in use \([0-9.]*\) MiB.*/\1/p' <<< "$line")
	rss=$(sed -n 's/.*, rss \([0-9.]*\) MiB.*/\1/p' <<< "$line")
	label=$(awk -v s="$s" 'BEGIN { if (s >= 3600) printf "%g h", s / 3600; else printf "%g min", s / 60 }')
	printf "%-12s %8s %8s MiB %8s MiB %10s MiB %8.1f\n" "$label" "$stacks" "$heap" "$rss" "$peak" \
		"$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
done

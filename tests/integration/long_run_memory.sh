#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy's own memory stays bounded however long it runs. The fast-forward test
# mode (MEMSPY_FAST_FORWARD=SECONDS) feeds an hour of a busy server's records
# (new stacks at a fifth of the samples, so the stack table and the heap sites
# reach their bounds half-way) through the real ingestion, unwinding and
# symbolizing in the target's real modules, in seconds. Checked: the heap memspy
# uses stops growing once the bounds are reached (the last half hour adds less
# than 10%), stays under 64 MiB, the whole run's peak RSS (outputs included)
# under 160 MiB; the report states what the bounds kept out and heap.folded
# holds it under [other stacks].
. "$(dirname "$0")/lib.sh"

start_target "$TARGETS/forker" 1
MEMSPY_FAST_FORWARD=3600 "$MEMSPY" attach -q -o "$T/out" "$TARGET_PID" > "$T/memspy.out" \
	2> "$T/memspy.err" || { cat "$T/memspy.err"; fail "memspy failed"; }
cat "$T/memspy.err"

# heap in use at a simulated time, in MiB
heap_at() {
	sed -n "s/^memspy: fast-forward $1 s: .*heap in use \([0-9.]*\) MiB.*/\1/p" "$T/memspy.err" |
		head -1
}
half=$(heap_at 1800)
full=$(heap_at 3600)
peak=$(sed -n 's/^memspy: fast-forward done: peak rss \([0-9.]*\) MiB.*/\1/p' "$T/memspy.err")
[ -n "$half" ] && [ -n "$full" ] && [ -n "$peak" ] || fail "no memory figures on stderr"
awk -v a="$half" -v b="$full" 'BEGIN { exit !(b <= 64 && b <= a * 1.10) }' ||
	fail "heap in use grew from $half MiB (30 min) to $full MiB (60 min), bound 64 MiB"
awk -v p="$peak" 'BEGIN { exit !(p <= 160) }' || fail "peak rss $peak MiB, bound 160 MiB"
grep -q "65536 stacks" <<< "$(grep 'fast-forward 3600 s' "$T/memspy.err")" ||
	fail "the stack table did not stop at its bound"

R="$T/out/report.txt"
grep -q "^== memspy's own memory ==" "$R" || { cat "$R"; fail "report does not state the drops"; }
grep -Eq "^  stacks +65536 kept \(at most 65536, --max-stacks\); [1-9][0-9]* samples at newer stacks counted as \[other stacks\]" "$R" ||
	fail "report does not count the stacks past the bound"
grep -Eq "^  heap sites +at most 16384; [1-9][0-9]* sampled allocations" "$R" ||
	fail "report does not count the heap sites past the bound"
grep -q '^\[other stacks\] [0-9]' "$T/out/heap.folded" || fail "heap.folded has no [other stacks]"
grep -q '^\[other stacks\] [0-9]' "$T/out/cpu.folded" || fail "cpu.folded has no [other stacks]"
# the designed leak (one hot stack never frees) is still found, the overflow never
sed -n '/^== leak suspects ==/,/^== /p' "$R" | grep -q '^#1 ' || fail "no leak suspect"
sed -n '/^== leak suspects ==/,/^== /p' "$R" | grep -q '^#[0-9]* \[other stacks\]' &&
	fail "[other stacks] ranked as a leak suspect"
echo "PASS: 1 h simulated, heap in use $half -> $full MiB, peak rss $peak MiB"

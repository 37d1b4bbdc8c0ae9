#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# In-process sampling on a test target: the report says so, the allocator's slots
# point into the agent while memspy is attached and back at the allocator after,
# the sampled estimate of the bytes allocated is within 10% of the agent's exact
# count, and the 80 MiB leak is found as in uprobe mode (attach_sampled.sh). Then
# --no-inject writes nothing: no agent mapped, uprobes on the allocator.
. "$(dirname "$0")/lib.sh"
need_bpf
SLOTS=$(dirname "$TARGETS")/agent_slots

start_target "$TARGETS/leaky" sampled
# a mean of 64 KiB: some 2500 samples, so the estimate is within 10% (about
# 4 sigma) on every run
start_memspy --sample-bytes 65536 -o "$T/out" "$TARGET_PID"
if grep -q 'has no injector' "$T/memspy.err"; then
	kill -TERM "$MEMSPY_PID"
	skip "this build of memspy has no injector (src/inject)"
fi
grep -q 'in-process sampler' "$T/memspy.err" || { cat "$T/memspy.err"; fail "memspy did not attach in-process"; }
"$SLOTS" "$TARGET_PID" > "$T/slots.during" || fail "cannot list the target's slots"
read -r _ left _ hooked _ other < "$T/slots.during"
echo "while attached: $left slots at the allocator, $hooked into the agent, $other elsewhere"
[ "$hooked" -gt 0 ] && [ "$left" = 0 ] || fail "slots not switched to the agent: $(cat "$T/slots.during")"

kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 60
sleep 0.5
kill -TERM "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
"$SLOTS" "$TARGET_PID" > "$T/slots.after" || fail "cannot list the target's slots"
read -r _ back _ still _ other2 < "$T/slots.after"
echo "after: $back slots at the allocator, $still into the agent"
[ "$still" = 0 ] && [ "$back" = "$hooked" ] || fail "slots not restored: $(cat "$T/slots.after")"
kill -0 "$TARGET_PID" || fail "the target died"

R="$T/out/report.txt"
cat "$R"
grep -Eq '^ *heap +in-process sampler' "$R" || fail "report does not say in-process"
exact=$(sed -n 's/^ *allocated *[0-9]* calls, \([0-9]*\) B.*/\1/p' "$R")
est=$(awk '{ s += $NF } END { printf "%.0f", s }' "$T/out/alloc.folded")
echo "bytes allocated: exact $exact, estimated $est"
awk -v e="$est" -v t="$exact" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.10) }' ||
	fail "estimate $est of the bytes allocated is not within 10% of the agent's $exact"
truth=83886080
leak=$(folded_value "$T/out/heap.folded" ';leak_d ')
echo "estimated $leak bytes for leak_d, truth $truth"
awk -v e="$leak" -v t="$truth" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(d <= 0.30) }' ||
	fail "leak estimate $leak is not within 30% of $truth"
grep -q 'ms_hook_' "$T/out/heap.folded" && fail "an agent frame shows in heap.folded"

# --no-inject: nothing of memspy's enters a new target (the first run's files go,
# or the waits below could see their lines)
rm -f "$T/target.out" "$T/memspy.err"
start_target "$TARGETS/leaky" sampled
start_memspy --no-inject -o "$T/out2" "$TARGET_PID"
grep -q 'heap probes on' "$T/memspy.err" || fail "--no-inject did not use uprobes"
grep -q memspy-agent "/proc/$TARGET_PID/maps" && fail "--no-inject mapped the agent"
kill -TERM "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
grep -Eq '^ *heap +uprobes on .*\(--no-inject\)' "$T/out2/report.txt" ||
	fail "report does not say uprobes (--no-inject)"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --sample-bytes 1 records every allocation: a known leak through a chain of four
# functions is reported to the exact byte with a complete stack from _start, and
# blocks freed through every allocator entry point are not live.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/leaky" exact
start_memspy --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

F="$T/out/heap.folded"
R="$T/out/report.txt"
[ -s "$F" ] || fail "no heap.folded"
[ -s "$R" ] || fail "no report.txt"
cat "$R"
echo "--- heap.folded"
cat "$F"

# the leak: one line, root _start, through main and the chain, exact bytes
line=$(grep -E ';leak_a;leak_b;leak_c;leak_d ' "$F") || fail "no leak_a..leak_d stack"
[ "$(echo "$line" | wc -l)" = 1 ] || fail "leak stack split: $line"
echo "$line" | grep -qE '^_start;(.*;)?main;(.*;)?leak_a;leak_b;leak_c;leak_d [0-9]+$' ||
	fail "leak stack does not run from _start through main: $line"
[ "${line##* }" = 1019900 ] || fail "leak bytes ${line##* }, expected 1019900"

# realloc moved ownership: 10 blocks of 3000 bytes live under grow_kept
v=$(folded_value "$F" '^_start;(.*;)?main;(.*;)?grow_kept ')
[ "$v" = 30000 ] || fail "grow_kept live bytes $v, expected 30000"

# every freed entry point leaves nothing live
if grep -q 'churn_all' "$F"; then fail "freed allocations reported live: $(grep churn_all "$F")"; fi

# nothing else of the workload is live; no truncated stacks from the target's code
grep -q '^\[truncated\].*leak_d' "$F" && fail "truncated leak stacks"

# the report names the leak site and its exact bytes
grep -q 'leak_d' "$R" || fail "report does not name leak_d"
grep -q '1019900' "$R" || fail "report does not show 1019900 bytes"

# the target is untouched: it still runs and exits normally
kill -0 "$TARGET_PID" || fail "target died"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"
[ "$EXIT_STATUS" = 0 ] || fail "target exited $EXIT_STATUS after detach"
echo PASS

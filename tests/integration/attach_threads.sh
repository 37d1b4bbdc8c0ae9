#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Threads created after attach are tracked, with stacks unwound to the thread's start.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/allocs"
start_memspy --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
F="$T/out/heap.folded"
cat "$F"
a=$(folded_value "$F" 'thread_leak_a ')
b=$(folded_value "$F" 'thread_leak_b ')
[ "$a" = 100000 ] || fail "thread_leak_a $a bytes, expected 100000"
[ "$b" = 100000 ] || fail "thread_leak_b $b bytes, expected 100000"
grep -E 'thread_leak_a ' "$F" | grep -qE '^[^;]*clone[^;]*;' || fail "thread stack does not start at clone3"
echo PASS

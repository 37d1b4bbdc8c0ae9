#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Where libc's stacks end and how its functions are named. Samples of threads
# that start and end in a loop reach a thread's first frame (__clone3 or
# start_thread) and count as complete: rooted there, not under [truncated],
# with few truncated stacks overall. glibc's write, whose DWARF shows it
# inlined into itself, prints once: "__write", never followed by
# "__GI___libc_write_[i]". Both need libc's debug info (libc6-dbg, installed by
# scripts/setup-deps.sh): without it neither name exists to check.
. "$(dirname "$0")/lib.sh"
need_bpf

LIBC=/usr/lib/x86_64-linux-gnu/libc.so.6
id=$(readelf -n "$LIBC" | awk '/Build ID/ {print $3}')
dbg="/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
[ -n "$id" ] && [ -e "$dbg" ] || fail "no debug info for $LIBC: install libc6-dbg (scripts/setup-deps.sh)"

# record_churn MODE SECONDS: run tests/targets/churn MODE under memspy into $T/MODE
record_churn() {
	start_target "$TARGETS/churn" "$1"
	start_memspy -d "$2" -o "$T/$1" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on churn $1 exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
}

record_churn threads 4
F="$T/threads/cpu.folded"
total=$(folded_value "$F" '.')
trunc=$(folded_value "$F" '^\[truncated\]')
roots=$(folded_value "$F" '^(__clone3|clone3|start_thread)[; ]')
echo "threads: $total samples, $roots rooted at the thread start, $trunc truncated"
sed -n '/^== cpu ==/,/truncated stacks/p' "$T/threads/report.txt"
[ "$total" -ge 30 ] || { cat "$F"; fail "too few CPU samples of churn threads ($total)"; }
[ "$roots" -gt 0 ] || { cat "$F"; fail "no stack rooted at __clone3 or start_thread"; }
! grep -E '^\[truncated\];(__clone3|clone3|clone|start_thread)[; ]' "$F" ||
	fail "stacks that reached the thread start counted as truncated"
[ $((trunc * 100)) -le $((total * 3)) ] || { cat "$F"; fail "$trunc of $total stacks truncated"; }

record_churn writes 3
F="$T/writes/cpu.folded"
in_write=$(folded_value "$F" ';(__write|write|__libc_write)([; ]|$)')
echo "writes: $in_write samples in write"
sort -t' ' -k2 -nr "$F" | head -3
[ "$in_write" -gt 0 ] || { cat "$F"; fail "no samples in write"; }
! grep -q 'libc_write_\[i\]' "$F" || fail "write followed by an inlined copy of itself"
echo PASS

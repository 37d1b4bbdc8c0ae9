#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A steady leak is the first leak suspect; a busy allocate-and-free site at a steady
# level is not a suspect at all.
. "$(dirname "$0")/lib.sh"
need_bpf

# the target outlives the run even when attaching is slow on a loaded machine: a
# leak that stopped before the end is, rightly, no suspect
start_target "$TARGETS/leaky" steady 40
start_memspy -d 10 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_exit "$MEMSPY_PID" 40
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
R="$T/out/report.txt"
cat "$R"
sus=$(sed -n '/== leak suspects ==/,/^==/p' "$R")
first=$(echo "$sus" | grep -m1 -E '^ *#1 ')
echo "$first" | grep -q 'leak_steady' || fail "first suspect is not leak_steady: $first"
echo "$sus" | grep -E '^ *#[0-9]+ ' | grep -q busy_transient && fail "busy_transient is a suspect"
echo PASS

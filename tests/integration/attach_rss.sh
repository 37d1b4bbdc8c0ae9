#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RSS growth counts new pages that stay. A forked worker (tests/targets/pages.c)
# writes to 32 MiB it shares with its parent (copy-on-write: 8192 faults on present
# pages, no growth), fills 32 MiB it keeps in fill_fresh and 32 MiB it unmaps again
# in fill_returned, then moves 8 MiB of the kept memory (mremap) and gives 8 MiB
# back (MADV_DONTNEED). The report counts every kind of fault to the page and the
# 40 MiB given back; rss.folded charges the 24 MiB still mapped, moved pages
# included, to fill_fresh's stack, and nothing to the other two functions. memspy
# sees what is given back in the child's page map, with no syscall tracepoint.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/pages"
CHILD=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$T/target.out")
[ -n "$CHILD" ] || fail "no child pid in $(cat "$T/target.out")"
PIDS="$CHILD $PIDS"
start_memspy --no-heap --no-cpu -o "$T/out" "$CHILD"
# releases are read from the page map: no syscall of any process pays for them
check_no_syscall_tracepoints "$MEMSPY_PID"
kill -USR1 "$CHILD"
wait_for "$T/target.out" '^done' 30
sleep 0.3
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"

R="$T/out/report.txt"
F="$T/out/rss.folded"
sed -n '/== rss ==/,/^$/p' "$R"
echo "--- rss.folded"
cat "$F"

# 32 steps of 256 pages each of three ways, and a few pages of the child's own
faults=$(sed -n 's/^  page faults  *[0-9]*, \([0-9]*\) of them on a new page.*/\1/p' "$R")
cow=$(sed -n 's/^  copy-on-write  *\([0-9]*\) faults on present pages.*/\1/p' "$R")
[ -n "$faults" ] && [ "$faults" -ge 16384 ] && [ "$faults" -le 16600 ] ||
	fail "new-page faults '$faults', expected 16384 and a few"
[ -n "$cow" ] && [ "$cow" -ge 8192 ] && [ "$cow" -le 8400 ] ||
	fail "copy-on-write faults '$cow', expected 8192 and a few"

# given back: fill_returned's 32 MiB and the 8 MiB of MADV_DONTNEED (an estimate
# from the samples, whose period follows the fault rate)
back=$(sed -n 's/^  new pages  *~[0-9.]* [KMG]*i*B: ~\([0-9.]*\) MiB given back.*/\1/p' "$R")
awk -v b="$back" 'BEGIN { exit !(b >= 36 && b <= 44) }' ||
	fail "given back '$back' MiB, expected about 40"

# rss.folded: 24 MiB under fill_fresh (16 MiB if the moved pages were lost),
# nothing under write_inherited or fill_returned
grep -qE 'write_inherited|fill_returned' "$F" &&
	fail "pages no longer new or no longer mapped charged: $(grep -E 'write_inherited|fill_returned' "$F")"
fresh=$(folded_value "$F" '^[^;]*(;.*)?;main;(.*;)?fill_fresh(;fill_\[i\])? [0-9]+$')
total=$(folded_value "$F" '.')
echo "fill_fresh $fresh of $total bytes"
[ "$fresh" -ge $((21 << 20)) ] && [ "$fresh" -le $((27 << 20)) ] ||
	fail "fill_fresh charged $fresh bytes, expected about 24 MiB"
[ $((fresh * 10)) -ge $((total * 9)) ] || fail "fill_fresh is not 90% of rss.folded"

# the worker still runs and exits cleanly after detach
kill -0 "$CHILD" || fail "child died"
kill -TERM "$CHILD"
wait_exit "$TARGET_PID"
[ "$EXIT_STATUS" = 0 ] || fail "target exited $EXIT_STATUS after detach"
echo PASS

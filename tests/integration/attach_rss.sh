#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RSS growth counts new pages only. A forked worker writes to 32 MiB it shares
# with its parent (copy-on-write: 8192 faults on present pages, no growth) and maps
# and fills 32 MiB of new pages in fill_fresh: the report counts both kinds of
# fault to the page, and rss.folded charges the new pages, and only them, to
# fill_fresh's stack, from _start's process (the child of a fork keeps main).
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/pages"
CHILD=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$T/target.out")
[ -n "$CHILD" ] || fail "no child pid in $(cat "$T/target.out")"
PIDS="$CHILD $PIDS"
start_memspy --no-heap --no-cpu -o "$T/out" "$CHILD"
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

# 32 steps of 256 pages each way, and a few pages of the child's own besides
faults=$(sed -n 's/^  page faults  *[0-9]*, \([0-9]*\) of them on a new page.*/\1/p' "$R")
cow=$(sed -n 's/^  copy-on-write  *\([0-9]*\) faults on present pages.*/\1/p' "$R")
[ -n "$faults" ] && [ "$faults" -ge 8192 ] && [ "$faults" -le 8400 ] ||
	fail "new-page faults '$faults', expected 8192 and a few"
[ -n "$cow" ] && [ "$cow" -ge 8192 ] && [ "$cow" -le 8400 ] ||
	fail "copy-on-write faults '$cow', expected 8192 and a few"

# rss.folded: the 32 MiB of new pages under fill_fresh (sampled: an estimate),
# nothing under write_inherited
grep -q write_inherited "$F" && fail "copy-on-write charged as growth: $(grep write_inherited "$F")"
fresh=$(folded_value "$F" '^[^;]*(;.*)?;main;(.*;)?fill_fresh [0-9]+$')
total=$(folded_value "$F" '.')
echo "fill_fresh $fresh of $total bytes"
[ "$fresh" -ge $((24 << 20)) ] && [ "$fresh" -le $((40 << 20)) ] ||
	fail "fill_fresh charged $fresh bytes, expected about 32 MiB"
[ $((fresh * 10)) -ge $((total * 9)) ] || fail "fill_fresh is not 90% of rss.folded"

# the worker still runs and exits cleanly after detach
kill -0 "$CHILD" || fail "child died"
kill -TERM "$CHILD"
wait_exit "$TARGET_PID"
[ "$EXIT_STATUS" = 0 ] || fail "target exited $EXIT_STATUS after detach"
echo PASS

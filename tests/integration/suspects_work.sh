#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Leak suspects are judged against the work done (bytes allocated), not wall time,
# on our own -O2 target: a leak under load for the first ~60% of the run, then
# idle, is suspect #1 and kept all it grew; a site that grew and gave it back under
# load is no suspect; a cache filled in the first 30% while the load goes on is
# none; with no load at all nothing is judged and the report says so.
. "$(dirname "$0")/lib.sh"
need_bpf

# shape MODE SECONDS_OF_LOAD RUN_SECONDS: the report of a run of leaky MODE
shape() {
	start_target "$TARGETS/leaky" "$1" "$2"
	start_memspy -d "$3" -o "$T/$1" "$TARGET_PID"
	kill -USR1 "$TARGET_PID"
	wait_exit "$MEMSPY_PID" $(($3 + 40))
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "$1: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null
	R="$T/$1/report.txt"
	sed -n '/== totals ==/,/^ *freed/p' "$R"
	SUS=$(sed -n '/== leak suspects ==/,/^== /p' "$R")
	echo "$SUS" | head -12
}

# loaded for 7 of 12 s: when the load stops the leak is flat, and still the leak
shape steady 7 12
first=$(echo "$SUS" | grep -m1 -E '^ *#1 ')
echo "$first" | grep -q 'leak_steady  +[0-9.]* [KMG]iB per GiB allocated' ||
	fail "load then idle: first suspect is not leak_steady: $first"
echo "$SUS" | grep -A1 -E '^ *#1 ' | grep -q 'kept all of it' ||
	fail "load then idle: the leak did not keep all it grew"
echo "$SUS" | grep -E '^ *#[0-9]+ ' | grep -q busy_transient && fail "busy_transient is a suspect"
grep -qE '^  load  +[0-9.]+ s of [0-9.]+ s allocating' "$R" || fail "no load line in the totals"

# grew for half the load, given back by three quarters of it
shape giveback 12 12
echo "$SUS" | grep -E '^ *#[0-9]+ ' | grep -q leak_steady &&
	fail "grown then given back: leak_steady is a suspect"

# filled in the first 30% of a run under continuous load, then level
shape cache 14 12
echo "$SUS" | grep -E '^ *#[0-9]+ ' | grep -q fill_cache && fail "cache: fill_cache is a suspect"
echo "$SUS" | grep -q 'none found' || fail "cache: suspects found: $SUS"

# never started: nothing allocates, nothing to judge
start_target "$TARGETS/leaky" steady 5
start_memspy -d 5 -o "$T/idle" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 45
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "idle: memspy exited $EXIT_STATUS"; }
SUS=$(sed -n '/== leak suspects ==/,/^== /p' "$T/idle/report.txt")
echo "$SUS"
echo "$SUS" | grep -q 'no work to judge by' || fail "idle: the report does not say there was no work"
echo "$SUS" | grep -qE '^ *#[0-9]+ ' && fail "idle: suspects without work"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# attach <pid> -- CMD: the load command starts once the probes are live and the run
# ends with it. A failing CMD's status is memspy's and its last lines are in the
# report; a CMD that outlives -d is ended (SIGTERM); the target exiting first ends
# CMD too; Ctrl-C reaches CMD once; under sudo (SUDO_UID/SUDO_GID of nobody) CMD
# runs as nobody, with no supplementary groups.
. "$(dirname "$0")/lib.sh"
need_bpf

# load_section DIR: the report's load command section
load_section() { sed -n '/== load command ==/,/^== /p' "$1/report.txt"; }

# CMD starts the target's load, then fails
start_target "$TARGETS/leaky" steady 60
start_memspy -o "$T/fail" "$TARGET_PID" -- sh -c "kill -USR1 $TARGET_PID; sleep 3; echo boom; exit 3"
wait_exit "$MEMSPY_PID" 60
check_no_probes_left "$MEMSPY_PID"
[ "$EXIT_STATUS" = 3 ] || { cat "$T/memspy.err"; fail "CMD failed with 3, memspy exited $EXIT_STATUS"; }
load_section "$T/fail"
load_section "$T/fail" | grep -q 'status     exited with status 3$' || fail "fail: no status 3 in the report"
load_section "$T/fail" | grep -q '| boom$' || fail "fail: CMD's last line is not in the report"
grep -q 'ended by load command exited' "$T/fail/report.txt" || fail "fail: the run did not end with CMD"
grep -q '^boom$' "$T/memspy.err" || fail "fail: CMD's output was not echoed"
# the load ran while recording: its leak was seen
grep -q 'leak_steady' "$T/fail/heap.folded" || fail "fail: no leak_steady in heap.folded"

# CMD outlives -d: ended with SIGTERM, memspy's own status
# a sleep no other process on the machine runs: its time carries this test's pid
NAP=300.$$
start_memspy -d 3 -o "$T/dur" "$TARGET_PID" -- sh -c "echo started; exec sleep $NAP"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "-d: memspy exited $EXIT_STATUS"; }
load_section "$T/dur"
load_section "$T/dur" | grep -q 'killed by SIGTERM (memspy sent it SIGTERM' ||
	fail "-d: CMD was not ended by SIGTERM"
grep -q 'ended by duration reached' "$T/dur/report.txt" || fail "-d: not ended by the duration"
pgrep -f "sleep $NAP" >/dev/null && fail "-d: CMD still runs"

# Ctrl-C: passed on to CMD, which ends cleanly on it
start_memspy -o "$T/int" "$TARGET_PID" -- sh -c \
	'trap "echo got INT; exit 0" INT; echo waiting; while :; do sleep 0.1; done'
wait_for "$T/memspy.err" '^waiting' 20
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "Ctrl-C: memspy exited $EXIT_STATUS"; }
load_section "$T/int"
load_section "$T/int" | grep -q '| got INT$' || fail "Ctrl-C: CMD did not get SIGINT"
load_section "$T/int" | grep -q 'exited with status 0 (memspy sent it SIGINT' ||
	fail "Ctrl-C: CMD's status is not told"

# under sudo: CMD runs as the invoking user (here nobody), never as root
SUDO_UID=$(id -u nobody) SUDO_GID=$(id -g nobody) \
	start_memspy -o "$T/sudo" "$TARGET_PID" -- sh -c 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"'
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "sudo: memspy exited $EXIT_STATUS"; }
load_section "$T/sudo"
want="uid=$(id -u nobody) gid=$(id -g nobody) groups=$(id -g nobody)"
load_section "$T/sudo" | grep -qF "| $want" || fail "sudo: CMD did not run as nobody alone ($want)"
load_section "$T/sudo" | grep -q "ran as     nobody (uid $(id -u nobody))" || fail "sudo: user not told"

# the target exits first: the run ends, and CMD with it
start_memspy -o "$T/exit" "$TARGET_PID" -- sh -c 'echo running; exec sleep 301'
wait_for "$T/memspy.err" '^running' 20
kill -TERM "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "target exit: memspy exited $EXIT_STATUS"; }
grep -q 'ended by target exited' "$T/exit/report.txt" || fail "target exit: not ended by it"
load_section "$T/exit" | grep -q 'killed by SIGTERM' || fail "target exit: CMD not ended"
pgrep -f 'sleep 301' >/dev/null && fail "target exit: CMD still runs"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input gets one clear line on stderr and a non-zero exit; nothing is left behind.
. "$(dirname "$0")/lib.sh"

expect_error() { # expected-pattern args...
	pat=$1; shift
	"$MEMSPY" "$@" > "$T/o" 2> "$T/e" && fail "memspy $* succeeded"
	[ "$(wc -l < "$T/e")" -le 2 ] || { cat "$T/e"; fail "memspy $*: more than a line or two of error"; }
	grep -qiE "$pat" "$T/e" || { cat "$T/e"; fail "memspy $*: error does not match '$pat'"; }
	echo "ok: memspy $* -> $(head -1 "$T/e")"
}

expect_error 'which process' attach
expect_error 'not a process id' attach abc
expect_error 'unknown command' frobnicate
expect_error "sample-bytes .*not 'x'" attach --sample-bytes x 1
expect_error 'nothing left to record' attach --no-heap --no-cpu --no-rss 1
expect_error 'nothing left to record' top --no-heap --no-cpu 1
"$MEMSPY" attach --help | grep -q 'sample-bytes' || fail "attach --help lacks options"
"$MEMSPY" --help | grep -q attach || fail "--help lacks commands"

# the rest loads BPF, and runs memspy unprivileged to see it refuse
[ "$(id -u)" = 0 ] || skip "needs root for the checks that load BPF (run make check as root)"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run memspy unprivileged"
# a kernel thread: kthreadd is pid 2, unless a pid namespace hides the kernel's
grep -qx kthreadd /proc/2/comm 2>/dev/null || skip "pid 2 is not kthreadd: no kernel thread to attach to"
# a pid that does not exist
expect_error 'no process with pid' attach 999999
# a kernel thread
expect_error 'kernel thread' attach 2
# no privileges: run as nobody
sleep 30 & SP=$!
PIDS="$PIDS $SP"
setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMSPY" attach -o "$T/np" "$SP" > "$T/o" 2> "$T/e" &&
	fail "unprivileged memspy succeeded"
grep -qiE 'root|CAP_BPF|permitted' "$T/e" || { cat "$T/e"; fail "unprivileged error unclear"; }
echo "ok: unprivileged -> $(head -1 "$T/e")"
# the target exits during the run: the report is still written
start_target "$TARGETS/leaky" exact
start_memspy --sample-bytes 1 -o "$T/exit" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
kill -TERM "$TARGET_PID"
wait_exit "$MEMSPY_PID" 20
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS when the target exited"; }
grep -q 'exited' "$T/memspy.err" || fail "no note that the target exited"
[ -s "$T/exit/report.txt" ] && [ -s "$T/exit/heap.folded" ] || fail "outputs missing after target exit"
grep -q leak_d "$T/exit/heap.folded" || fail "leak not symbolized after the target exited"
check_no_probes_left "$MEMSPY_PID"
# Ctrl-C right after attaching: the report is still written
start_target "$TARGETS/leaky" exact
start_memspy -o "$T/int" "$TARGET_PID"
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID" 20
[ "$EXIT_STATUS" = 0 ] || fail "memspy exited $EXIT_STATUS on early Ctrl-C"
[ -s "$T/int/report.txt" ] || fail "no report after early Ctrl-C"
check_no_probes_left "$MEMSPY_PID"
echo PASS

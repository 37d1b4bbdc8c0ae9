#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The injector (src/inject) leaves a borrowed thread correct whatever happens:
# for each state a thread can be borrowed in (blocked in read, futex,
# clock_nanosleep, poll; busy in floating point) and each step at which memspy
# may die (MEMSPY_TEST_DIE_AT, src/inject/die_at.h), plus no death, the target
# goes on, ends with the checksum of a bare run, never sees EINTR or a mistimed
# sleep, keeps the payload mapping when the death came after mapping, is traced
# by no one after, and the next injection works. A SIGTERM sent during an
# injection is handled; a thread in epoll_wait is never borrowed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to ptrace a target (run make check as root)"

PROBE=$TARGETS/../inject_probe
PAYLOAD=$TARGETS/payload.so
WAITERS=$TARGETS/inject_waiters
# 30 s at 20 ms, more than every case of one state takes (a death holds 0.5 s
# first) on a loaded VM; then SIGUSR2 feeds the rounds left at once
ROUNDS=1500
[ -x "$PROBE" ] && [ -r "$PAYLOAD" ] || fail "build the test programs first (make check TESTS=)"
readelf -lW "$PAYLOAD" | awk '$1 == "LOAD"' > "$T/loads"
[ "$(wc -l < "$T/loads")" = 2 ] && awk 'NR == 1 && $2 == "0x000000" && $7 $8 == "RE" { ok++ }
	NR == 2 && $5 == "0x000000" && $7 == "RW" { ok++ } END { exit ok != 2 }' "$T/loads" ||
	fail "payload.so does not follow the image convention: $(cat "$T/loads")"
readelf -rW "$PAYLOAD" | grep -q 'no relocations' || fail "payload.so has relocations"

# The steps, in the order die_at.h lists them; a ":N" dies at the N-th pass.
STEPS="seized interrupted frame-written regs-set mask-blocked syscall-entry syscall-exit
	syscall-entry:4 syscall-exit:7 mapped call-entry called called:2 restoring restore-stop restored"
# steps after which the payload is mapped
AFTER_MAP="mapped call-entry called called:2 restoring restore-stop restored"
STATES="w-read w-futex w-sleep w-poll w-epinf w-busy"
cases=0
failures=0

problem() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# what the probe reports a thread of waiters in
want_state() {
	case $1 in
	w-sleep) echo clock_nanosleep ;;
	w-epinf) echo "syscall 232" ;;
	w-busy) echo user ;;
	*) echo "${1#w-}" ;;
	esac
}

mappings() {
	grep -c 'memfd:memspy-agent' "/proc/$1/maps" 2>/dev/null || true
}

traced_threads() {
	grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/"$1"/task/*/status 2>/dev/null | wc -l
}

# start_waiters NAME: a waiters target with its output in $T/NAME.*; sets WPID
start_waiters() {
	"$WAITERS" "$ROUNDS" 20 > "$T/$1.out" 2> "$T/$1.err" &
	WPID=$!
	PIDS="$PIDS $WPID"
	wait_for "$T/$1.out" '^ready'
}

# end_waiters NAME: the target ran to its end, undisturbed
end_waiters() {
	kill -USR2 "$WPID" 2>/dev/null
	wait_exit "$WPID" 60
	[ "$EXIT_STATUS" = 0 ] || problem "$1: target exited $EXIT_STATUS: $(cat "$T/$1.err")"
	grep -q . "$T/$1.err" && problem "$1: target complained: $(cat "$T/$1.err")"
	sum=$(sed -n 's/^checksum //p' "$T/$1.out")
	[ "$sum" = "$BARE" ] || problem "$1: checksum '$sum', a bare run gives '$BARE'"
}

# one_case STATE STEP: run the probe on the target WPID, dying at STEP ("" none)
one_case() {
	local state=$1 step=$2 before after rc
	cases=$((cases + 1))
	before=$(mappings "$WPID")
	# in a subshell, whose stderr takes the shell's "Killed" notice
	(MEMSPY_TEST_DIE_AT=$step "$PROBE" -t "$state" "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1) 2>/dev/null
	rc=$?
	after=$(mappings "$WPID")
	kill -0 "$WPID" 2>/dev/null || { problem "$state/${step:-none}: target gone"; return; }
	[ "$(traced_threads "$WPID")" = 0 ] || problem "$state/${step:-none}: a thread is still traced"
	if [ -z "$step" ]; then
		[ $rc = 0 ] && grep -q '^ok' "$T/probe.out" ||
			problem "$state: injection failed ($rc): $(cat "$T/probe.out")"
		grep -q "state $(want_state "$state") " "$T/probe.out" ||
			problem "$state: borrowed in another state: $(grep '^thread' "$T/probe.out")"
		grep -q 'restart exact' "$T/probe.out" ||
			problem "$state: not restored exactly: $(grep '^thread' "$T/probe.out")"
		sed -n "s/^thread .* stopped_us \([0-9]*\) .*/$state \1/p" "$T/probe.out" >> "$T/stopped"
		return
	fi
	[ $rc = 137 ] || problem "$state/$step: probe did not die there (exit $rc): $(cat "$T/probe.out")"
	# a death restarts a timed sleep from its start: let it end before the
	# next case, or one sleep would add up every case's hold
	[ "$state" != w-sleep ] || sleep 0.2
	case " $AFTER_MAP " in
	*" $step "*) [ "$after" -gt "$before" ] || problem "$state/$step: no payload mapping left" ;;
	esac
}

start_waiters bare
BARE_PID=$WPID
for state in $STATES; do
	start_waiters "$state"
	for step in "" $STEPS ""; do
		one_case "$state" "$step"
	done
	if [ "$BARE_PID" ]; then
		kill -USR2 "$BARE_PID"
		wait_exit "$BARE_PID" 60
		BARE=$(sed -n 's/^checksum //p' "$T/bare.out")
		[ "$EXIT_STATUS" = 0 ] && [ -n "$BARE" ] || fail "the bare run failed: $(cat "$T/bare.err")"
		BARE_PID=
	fi
	end_waiters "$state"
	echo "ok: $state: $(grep -c "^$state " "$T/stopped") clean injections and every death step" \
		"($(grep '^latest sleep' "$T/$state.out"))"
done

# A thread waiting in epoll_wait with a timeout is never borrowed while it waits:
# restarted, the wait would be late by what it had waited, and left alone, its
# program would see EINTR. (Without a timeout it is: w-epinf above, whose wait
# memspy restarts.) After the first half of the wait a thread seen running is
# taken, so w-epoll, woken every 20 ms, may be borrowed between two waits; an
# interrupt that lands in its next wait restarts that wait, which had just
# begun. Either way it must never see EINTR (it exits 3 if it does: end_waiters).
start_waiters epoll
cases=$((cases + 1))
"$PROBE" -t w-epoll -w 1500 "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1
rc=$?
if [ $rc = 2 ]; then
	grep -q 'refused: .*safe to interrupt' "$T/probe.out" ||
		problem "epoll: refused for another reason: $(cat "$T/probe.out")"
	echo "ok: epoll: w-epoll never seen running, not borrowed"
elif [ $rc = 0 ] && grep -q '^ok' "$T/probe.out"; then
	echo "ok: epoll: w-epoll borrowed between waits: $(grep '^thread' "$T/probe.out")"
else
	problem "epoll: injection failed ($rc): $(cat "$T/probe.out")"
fi
# SIGUSR1 to the borrowed thread: held back (all signals blocked), handled after
cases=$((cases + 1))
"$PROBE" -t w-read -H 200 -s 10 "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1 ||
	problem "usr1: injection failed: $(cat "$T/probe.out")"
# a later injection finds that payload by its build-id and uses it again
cases=$((cases + 1))
base=$(sed -n 's/^mapped base \([^ ]*\) .*/\1/p' "$T/probe.out")
"$PROBE" -r -t w-futex "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1 &&
	grep -q "^reused base $base\$" "$T/probe.out" ||
	problem "reuse: the payload mapped at '$base' was not found again: $(cat "$T/probe.out")"
# a function that never returns: abandoned after its timeout, thread put back
cases=$((cases + 1))
"$PROBE" -S -t w-sleep "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1 &&
	grep -q '^spin abandoned' "$T/probe.out" && grep -q 'restart exact' "$T/probe.out" ||
	problem "timeout: a call that never returns was not abandoned cleanly: $(cat "$T/probe.out")"
end_waiters epoll
grep -q '^usr1 1$' "$T/epoll.out" || problem "usr1: the handler did not run once: $(cat "$T/epoll.out")"

# SIGTERM during an injection: to the process (another thread handles it), to
# the borrowed thread (held back, delivered when it is put back), and to the
# borrowed thread with memspy dying (its signal frame restores the mask).
for how in process thread thread-die; do
	cases=$((cases + 1))
	start_waiters "term-$how"
	case $how in
	process) "$PROBE" -t w-futex -H 800 "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1 &
		probe=$!
		sleep 0.4
		kill -TERM "$WPID"
		wait "$probe" ;;
	thread) "$PROBE" -t w-futex -H 200 -s 15 "$WPID" "$PAYLOAD" > "$T/probe.out" 2>&1 ;;
	thread-die) (MEMSPY_TEST_DIE_AT=restoring "$PROBE" -t w-futex -s 15 "$WPID" "$PAYLOAD" \
		> "$T/probe.out" 2>&1) 2>/dev/null ;;
	esac
	wait_exit "$WPID" 20
	[ "$EXIT_STATUS" = 0 ] && grep -q '^term$' "$T/term-$how.out" ||
		problem "SIGTERM to the $how during an injection was not handled (exit $EXIT_STATUS):" \
			"$(cat "$T/term-$how.out" "$T/term-$how.err" "$T/probe.out")"
done

echo "stopped for a full install (map the payload, two calls), us:" \
	"$(sort -k2 -n "$T/stopped" | awk '{ a[NR] = $2 } END { print "min", a[1], "median", a[int((NR + 1) / 2)], "max", a[NR] }')"
echo "$cases cases, $failures failures"
[ "$failures" = 0 ] || fail "$failures of $cases injection cases failed"
echo PASS

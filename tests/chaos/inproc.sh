# SPDX-License-Identifier: GPL-2.0-or-later
# The chaos suite's in-process cases, sourced by tests/chaos/run.sh (which has the
# helpers launch, after_kill, run_case...). memspy installs its agent in a ptrace
# session (map, fill, install call) and removes it in another (remove call); it
# is made to die at every pass of every injection step of both
# (MEMSPY_TEST_DIE_AT=step:N), with the borrowed thread in each state it can be
# in (MEMSPY_TEST_INJECT_THREAD names it), against
#   tight    8 threads in malloc/free loops, no sleep, no system call;
#   mixed    the same, with a thread whose SIGUSR1 handler allocates (every
#            2 ms) and one that forks children that exec;
#   python   python3 threads running allocating Python code, the GIL contended,
#            and one in time.sleep;
#   waiters  threads blocked in read, futex, clock_nanosleep, poll and
#            epoll_wait, and one busy in floating point;
# each of which exits non-zero on a corrupted block, a changed hash, EINTR or a
# mistimed sleep. After every case: memspy died there, nothing of its BPF is
# left, the target lives, the slots point all at the allocator or all into the
# agent (never half), the next attach is in-process (taking over the agent when
# the dead memspy left it counting) with the slots in the agent while attached
# and back after, and the target ends with the checksum of a bare run.

TIGHT="$TARGETS/tight"
WAITERS="$TARGETS/inject_waiters"
GIL="$HERE/gil.py"
SLOTS="$(dirname "$TARGETS")/agent_slots"
PY=/usr/bin/python3
# the thread each waiters case borrows (w-epinf: in epoll_wait with no timeout,
# which the injector puts back on its syscall; w-epoll, with a timeout, never:
# epoll_inproc checks that)
WAIT_THREADS="w-read w-futex w-sleep w-poll w-epinf w-busy"
for f in "$TIGHT" "$WAITERS" "$SLOTS"; do
	[ -x "$f" ] || fail "$f missing: build it with make check TESTS="
done
[ -x "$PY" ] || fail "$PY missing (Debian package python3)"

# start_kind DIR KIND: a target of KIND, its output in DIR; sets TARGET_PID.
start_kind() {
	: > "$1/target.out"
	case $2 in
	tight) "$TIGHT" 8 ;;
	mixed) "$TIGHT" 8 signals fork ;;
	python) "$PY" "$GIL" 4 ;;
	# 100000 rounds 20 ms apart: longer than any case; SIGUSR2 ends it
	waiters) "$WAITERS" 100000 20 ;;
	esac > "$1/target.out" 2> "$1/target.err" &
	TARGET_PID=$!
	echo "$TARGET_PID" >> "$T/pids"
	wait_for "$1/target.out" '^ready'
}

# stop_kind DIR KIND: SIGUSR2 ends the target: it exits 0, says nothing wrong
# and prints the checksum of a bare run.
stop_kind() {
	kill -USR2 "$TARGET_PID"
	wait_exit "$TARGET_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$1/target.err"; fail "the $2 target exited $EXIT_STATUS"; }
	grep -v '^rounds [0-9]* handled [0-9]* children [0-9]*$' "$1/target.err" | grep . &&
		fail "the $2 target complained"
	grep '^checksum ' "$1/target.out" > "$1/sum"
	cmp -s "$T/ref.$2" "$1/sum" ||
		fail "the $2 target's checksum changed: '$(cat "$1/sum")' instead of '$(cat "$T/ref.$2")'"
}

# slots_now DIR NAME: where the target's allocator slots point, into DIR/slots.NAME
# ("slots LEFT hooked HOOKED other OTHER"); sets LEFT and HOOKED.
slots_now() {
	"$SLOTS" "$TARGET_PID" > "$1/slots.$2" || fail "cannot list the target's slots"
	read -r _ LEFT _ HOOKED _ _ < "$1/slots.$2"
}

# sampled_ok REPORT: the agent sampled what it counted: samples (lost ones
# included) times the mean are within 15% of the exact bytes allocated (a little
# under: a block of S bytes is sampled with probability 1 - exp(-S/mean)), when
# they are enough for that to hold (400 means' worth: 3 sigma is 15%); a sampler that samples
# nothing, or counters that are not this run's, fail.
sampled_ok() {
	awk -v mean=524288 '
		/^ *allocated .*calls, [0-9]+ B/ && !b { for (i = 1; i <= NF; i++) if ($i == "B") b = $(i - 1) }
		/^  samples / && s == "" { s = $2 }
		/^  lost allocations / && l == "" { l = $3 }
		END {
			r = b ? (s + l) * mean / b : 0
			printf "sampled %d of %.0f expected (%.3f)\n", s + l, b / mean, r
			exit b >= 400 * mean && (r < 0.85 || r > 1.15)
		}' "$1"
}

# verify_attach DIR: the next attach works and is in-process: its report says so,
# the slots point into the agent while it is attached and back at the allocator
# after, nothing of its BPF is left, and it says nothing unexpected.
verify_attach() {
	local d=$1/next during
	mkdir -p "$d"
	launch "$d" -d 1 -o "$d/out" "$TARGET_PID"
	attached "$d"
	slots_now "$d" during
	during=$HOOKED
	[ "$HOOKED" -gt 0 ] && [ "$LEFT" = 0 ] ||
		{ cat "$d/memspy.err"; fail "next attach: slots not in the agent: $(cat "$d/slots.during")"; }
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$d/memspy.err"; fail "next attach: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID" > /dev/null
	grep -Eq '^ *heap +in-process sampler' "$d/out/report.txt" ||
		{ grep -E '^ *heap' "$d/out/report.txt"; fail "next attach was not in-process"; }
	SAMPLED=$(sampled_ok "$d/out/report.txt") || fail "next attach: $SAMPLED"
	slots_now "$d" after
	[ "$HOOKED" = 0 ] && [ "$LEFT" = "$during" ] ||
		fail "next attach: slots not given back: $(cat "$d/slots.after") ($during hooked)"
	grep -v -e 'attached to pid' -e 'taking over the one memspy' -e 'runs CPython' "$d/memspy.err" | grep . &&
		fail "next attach: unexpected messages"
	if grep -q 'taking over' "$d/memspy.err"; then
		TOOK_OVER=", next attach took the agent over"
	fi
}

# inproc_refs: the checksum each kind prints without memspy (it depends on the
# kind's arguments alone, not on how long it ran), in $T/ref.KIND.
inproc_refs() {
	local kind d
	for kind in tight mixed python waiters; do
		d=$T/ref-$kind
		mkdir -p "$d"
		start_kind "$d" "$kind"
		kill -USR2 "$TARGET_PID"
		wait_exit "$TARGET_PID" 60
		[ "$EXIT_STATUS" = 0 ] || { cat "$d/target.err"; fail "the bare run of $kind exited $EXIT_STATUS"; }
		grep '^checksum ' "$d/target.out" > "$T/ref.$kind" || fail "the bare run of $kind printed no checksum"
	done
}

# learn_steps KIND: the injection steps of an attach to a fresh KIND target, as
# memspy passes them (MEMSPY_TEST_STEPS): $T/steps.KIND holds "install STEP:N"
# and "removal STEP:N" lines, in order. The sessions are the same whatever the
# target (one agent, mapped the same way), so one kind's list serves them all: a
# case whose step memspy does not reach fails on it.
learn_steps() {
	local d=$T/learn-$1
	[ -s "$T/steps.$1" ] && return 0
	mkdir -p "$d"
	start_kind "$d" "$1"
	MEMSPY_TEST_STEPS=1 "$MEMSPY" attach -q --max-samples 0 -d 1 -o "$d/out" "$TARGET_PID" > /dev/null 2> "$d/memspy.err" ||
		{ cat "$d/memspy.err"; fail "the attach that lists the steps failed"; }
	grep -q 'heap by the in-process sampler' "$d/memspy.err" ||
		{ cat "$d/memspy.err"; fail "the attach that lists the steps was not in-process"; }
	stop_kind "$d" "$1"
	# counted passes only ("seized:1"); the first removal pass ends the install
	sed -n 's/^memspy: test: step \([a-z-]*:[0-9]*\)$/\1/p' "$d/memspy.err" |
		awk 'BEGIN { phase = "install" } /^seized:2$/ { phase = "removal" } { print phase, $0 }' \
		> "$T/steps.$1"
	grep -q '^install restored:1$' "$T/steps.$1" && grep -q '^removal restored:2$' "$T/steps.$1" ||
		{ cat "$T/steps.$1"; fail "no install and removal session in the steps listed"; }
}

# inproc_pick SEED N: N of the step cases of the matrix on stdin, one adopt case
# and the epoll case, chosen by SEED.
inproc_pick() {
	awk -v seed="$1" -v n="$2" 'BEGIN { srand(seed) }
		$1 == "inproc_die" { die[nd++] = $0 } $1 == "adopt" { ad[na++] = $0 } $1 == "epoll_inproc" { ep = $0 }
		END {
			for (i = nd - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = die[i]; die[i] = die[j]; die[j] = t }
			for (i = 0; i < n && i < nd; i++) print die[i]
			if (na) print ad[int(rand() * na)]
			if (ep != "") print ep
		}'
}

# The cases, one a line ("inproc_die KIND THREAD PHASE STEP", "adopt KIND",
# "epoll_inproc"): every step of both sessions for each target and borrowed
# thread state ("any": the one memspy picks).
inproc_matrix() {
	local kind thread th
	learn_steps tight
	for kind in tight mixed python waiters; do
		if [ "$kind" = waiters ]; then thread=$WAIT_THREADS; else thread=any; fi
		for th in $thread; do
			awk -v k="$kind" -v t="$th" '{ print "inproc_die", k, t, $1, $2 }' "$T/steps.tight"
		done
		echo "adopt $kind"
	done
	echo "epoll_inproc"
}

# memspy dies at STEP (a "step:N" of the install or removal session) with THREAD
# borrowed; what it leaves must be harmless and the next attach in-process.
case_inproc_die() { # KIND THREAD PHASE STEP
	local d=$DIR kind=$1 thread=$2 phase=$3 step=$4 left
	TOOK_OVER=""
	start_kind "$d" "$kind"
	[ "$thread" = any ] && thread=""
	MEMSPY_TEST_INJECT_THREAD=$thread MEMSPY_TEST_DIE_AT=$step \
		launch "$d" -d 1 -o "$d/out" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 30
	[ "$EXIT_STATUS" = 137 ] || { cat "$d/memspy.err"; fail "memspy exited $EXIT_STATUS, not by SIGKILL"; }
	grep -q 'dying at a named step' "$d/memspy.err" || fail "memspy did not reach $phase step $step"
	# the install steps up to the map come before memspy loads any BPF
	if grep -q '^prog ' "$T/bpf.$MEMSPY_PID" 2>/dev/null; then
		check_no_probes_left "$MEMSPY_PID" > /dev/null
	fi
	kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died with memspy"
	[ -z "$(grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/"$TARGET_PID"/task/*/status 2>/dev/null)" ] ||
		fail "a thread of the target is still traced"
	slots_now "$d" died
	[ "$HOOKED" = 0 ] || [ "$LEFT" = 0 ] || fail "slots half switched: $(cat "$d/slots.died")"
	left=$HOOKED
	verify_attach "$d"
	stop_kind "$d" "$kind"
	echo "died at $phase $step${thread:+ borrowing $thread}, left $left slots hooked$TOOK_OVER; $SAMPLED"
}

# memspy SIGKILLed while attached in-process leaves its agent counting; the next
# attach takes it over and says so, a memspy attached meanwhile uses uprobes, and
# the one after that finds the agent idle and reuses it.
case_adopt() { # KIND
	local d=$DIR kind=$1 killed hooked
	start_kind "$d" "$kind"
	mkdir -p "$d/a" "$d/b" "$d/c"
	launch "$d/a" -o "$d/a/out" "$TARGET_PID"
	attached "$d/a"
	killed=$MEMSPY_PID
	slots_now "$d" attached
	hooked=$HOOKED
	[ "$hooked" -gt 0 ] && [ "$LEFT" = 0 ] || fail "first attach: slots not in the agent"
	kill -KILL "$killed"
	after_kill "$d/a"
	slots_now "$d" killed
	[ "$HOOKED" = "$hooked" ] || fail "the killed memspy's agent lost slots: $(cat "$d/slots.killed")"
	launch "$d/b" -d 3 -o "$d/b/out" "$TARGET_PID"
	attached "$d/b"
	grep -q "taking over the one memspy pid $killed left counting" "$d/b/memspy.err" ||
		{ cat "$d/b/memspy.err"; fail "the next attach did not take the agent over"; }
	slots_now "$d" adopted
	[ "$HOOKED" = "$hooked" ] && [ "$LEFT" = 0 ] || fail "slots not in the agent: $(cat "$d/slots.adopted")"
	# one in-process memspy at a time: the owner is alive now
	"$MEMSPY" attach -q --max-samples 0 -d 0.5 -o "$d/c/out" "$TARGET_PID" > /dev/null 2> "$d/c/memspy.err" ||
		{ cat "$d/c/memspy.err"; fail "a memspy beside the adopting one failed"; }
	grep -q "uprobes on the allocator: the sampler of memspy pid $MEMSPY_PID is installed" \
		"$d/c/memspy.err" || { cat "$d/c/memspy.err"; fail "a memspy beside the adopting one did not use uprobes"; }
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$d/b/memspy.err"; fail "the adopting memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID" > /dev/null
	grep -Eq "^ *heap +in-process sampler .*taken over from memspy pid $killed" "$d/b/out/report.txt" ||
		{ grep -E '^ *heap' "$d/b/out/report.txt"; fail "the report does not say the agent was taken over"; }
	grep -Eq '^ *allocated +[1-9][0-9]* calls' "$d/b/out/report.txt" || [ "$kind" = waiters ] ||
		fail "the adopting memspy counted no allocation"
	SAMPLED=$(sampled_ok "$d/b/out/report.txt") || fail "the adopting memspy: $SAMPLED"
	echo "adopting memspy: $SAMPLED"
	slots_now "$d" removed
	[ "$HOOKED" = 0 ] && [ "$LEFT" = "$hooked" ] || fail "slots not given back: $(cat "$d/slots.removed")"
	verify_attach "$d"
	grep -q 'taking over' "$d/next/memspy.err" && fail "an idle agent was taken over"
	stop_kind "$d" "$kind"
	echo "taken over from killed memspy pid $killed, $hooked slots"
}

# A thread in epoll_wait with a timeout is never borrowed blocked (restarted, its
# wait would start again): with only that one allowed, memspy uses uprobes, or
# takes it while it runs between two waits; either way the target never sees
# EINTR, its timing holds and its checksum is the bare run's.
case_epoll_inproc() {
	local d=$DIR
	start_kind "$d" waiters
	MEMSPY_TEST_INJECT_THREAD=w-epoll launch "$d" -d 1 -o "$d/out" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$d/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID" > /dev/null
	stop_kind "$d" waiters
	if grep -q 'uprobes on the allocator' "$d/memspy.err"; then
		echo "the thread in epoll_wait was refused: $(grep -o 'uprobes on the allocator: .*' "$d/memspy.err")"
	else
		echo "the thread in epoll_wait was taken between two waits, no EINTR"
	fi
}

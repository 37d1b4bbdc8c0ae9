#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The chaos suite: memspy killed at named steps and at random moments, two runs
# on one target, attach/detach loops, the target killed under it, targets that
# fork, exec and allocate in signal handlers. After every case:
#   - the target's output (a checksum of deterministic work) is the same as a
#     run without memspy, and it exits 0;
#   - no BPF program, map or link memspy held is left in the kernel;
#   - no partial file in the output directory, under its name or hidden;
#   - the next attach to the same target works.
# The in-process cases (inproc.sh) kill memspy at every step of the agent's
# install and removal. A round runs every run case once and, of the in-process
# matrix (about 340 cases, 4 to 9 s each), CHAOS_INPROC_CASES (6) chosen by the seed
# printed first, with one agent take-over and the epoll case; CHAOS_MATRIX=full
# runs the whole matrix each round (scripts/chaos.sh does).
# usage: [CHAOS_SEED=S] run.sh [ROUNDS]   (make check: 1 round; scripts/chaos.sh N
# for long runs). Prints the counts; exits 1 on any failure. CHAOS_SEED=S with the
# same ROUNDS runs the same cases again.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
need_bpf

ROUNDS=${1:-1}
# ~1.1 ms a round without memspy: long enough for every step of a case
WORK=${CHAOS_WORK:-5000}
CHAOS="$TARGETS/chaos"
[ -x "$CHAOS" ] || fail "$CHAOS missing: build it with make check TESTS="
SEED=${CHAOS_SEED:-$(date +%s)}
echo "chaos: seed $SEED (CHAOS_SEED=$SEED $0 ${1:-1} runs the same cases again)"

# The checksum each kind of target must print: the work is deterministic and
# does not depend on timing, so the reference runs without sleeping.
for kind in plain fork; do
	args=""
	[ "$kind" = fork ] && args="fork"
	"$CHAOS" "$WORK" fast $args > "$T/ref.$kind" || fail "reference run of chaos $args failed"
	grep -q '^checksum ' "$T/ref.$kind" || fail "reference run printed no checksum"
done

cases=0
failures=0
failed=""

# A random delay in [0, $1) seconds with 3 decimals, different each call.
rand_delay() {
	awk -v max="$1" -v seed="$$$(date +%N)" 'BEGIN { srand(seed % 2147483647); printf "%.3f\n", rand() * max }'
}

# outputs_whole DIR: every file in DIR and below, named or hidden, is whole
# (a hidden one may be left by a kill between naming and renaming: it is whole
# too), and no directory holds a file cut short.
outputs_whole() {
	[ -d "$1" ] || return 0
	find "$1" -type f | while read -r f; do
		base=${f##*/}
		kind=${base#.}
		# hidden temporaries carry a suffix: judge them by their real name
		case "$base" in .*) kind=${kind%.*} ;; esac
		case "$kind" in
		*.svg) tail -n 1 "$f" | grep -q '</svg>' ;;
		*.pb.gz) gzip -t "$f" 2>/dev/null ;;
		*.folded) awk 'NF < 2 || $NF !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$f" ;;
		report.txt) grep -q '^== verdict ==' "$f" ;;
		*) true ;;
		esac || { echo "partial file: $f"; exit 1; }
	done
}

# target_ok DIR KIND: the target of the case exited 0 with the reference checksum.
target_ok() {
	wait_exit "$TARGET_PID" 120
	[ "$EXIT_STATUS" = 0 ] || { cat "$1/target.err"; fail "the target exited $EXIT_STATUS"; }
	grep '^checksum ' "$1/target.out" > "$1/sum"
	grep '^checksum ' "$T/ref.$2" | cmp -s - "$1/sum" ||
		fail "the target's checksum changed: $(cat "$1/sum") instead of $(grep '^checksum ' "$T/ref.$2")"
}

# launch DIR ARGS...: memspy attach in the background, watched; sets MEMSPY_PID.
launch() {
	local dir=$1
	shift
	# the mean stays fixed: inproc.sh's sampled_ok counts samples against it
	"$MEMSPY" attach -q --max-samples 0 "$@" > "$dir/memspy.out" 2> "$dir/memspy.err" &
	MEMSPY_PID=$!
	echo "$MEMSPY_PID" >> "$T/pids"
	watch_bpf "$MEMSPY_PID"
}

# attached DIR: until memspy said it is attached.
attached() {
	wait_for "$1/memspy.err" 'attached to pid' 30
	wait_bpf_seen "$MEMSPY_PID"
}

# next_attach DIR: a fresh attach to the same target works after the case.
next_attach() {
	"$MEMSPY" attach -q -d 1 -o "$1/next" "$TARGET_PID" > /dev/null 2> "$1/next.err" ||
		{ cat "$1/next.err"; fail "the next attach failed"; }
	grep -q '^== verdict ==' "$1/next/report.txt" || fail "the next attach wrote no report"
}

# begin DIR KIND ARGS...: a chaos target for the case.
begin() {
	local dir=$1
	shift 2
	"$CHAOS" "$WORK" "$@" > "$dir/target.out" 2> "$dir/target.err" &
	TARGET_PID=$!
	echo "$TARGET_PID" >> "$T/pids"
	wait_for "$dir/target.out" '^ready'
}

# after_kill DIR: memspy died by SIGKILL; what it leaves must be harmless.
after_kill() {
	wait_exit "$MEMSPY_PID" 30
	[ "$EXIT_STATUS" = 137 ] || { cat "$1/memspy.err"; fail "memspy exited $EXIT_STATUS, not by SIGKILL"; }
	check_no_probes_left "$MEMSPY_PID" > /dev/null
	outputs_whole "$1/out" || fail "a partial file was left"
	kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died with memspy"
}

# after_end DIR: memspy ended by itself or on a signal: exit 0 and a whole report.
after_end() {
	wait_exit "$MEMSPY_PID" 60
	[ "$EXIT_STATUS" = 0 ] || { cat "$1/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID" > /dev/null
	grep -q '^== verdict ==' "$1/out/report.txt" || fail "no whole report"
	outputs_whole "$1/out" || fail "a partial file was left"
}

case_die_at() { # STEP
	local d=$DIR
	begin "$d" plain
	MEMSPY_TEST_DIE_AT=$1 launch "$d" -d 2 -o "$d/out" "$TARGET_PID"
	after_kill "$d"
	grep -q 'dying at a named step' "$d/memspy.err" || fail "memspy did not reach step $1"
	next_attach "$d"
	target_ok "$d" plain
}

case_random_kill() {
	local d=$DIR delay
	begin "$d" plain
	launch "$d" -o "$d/out" --every 1 "$TARGET_PID"
	attached "$d"
	delay=$(rand_delay 2)
	echo "killed $delay s after attach"
	sleep "$delay"
	kill -KILL "$MEMSPY_PID"
	after_kill "$d"
	next_attach "$d"
	target_ok "$d" plain
}

case_kill_attaching() {
	local d=$DIR delay
	begin "$d" plain
	launch "$d" -o "$d/out" "$TARGET_PID"
	# while memspy reads the target, loads BPF and attaches its probes
	delay=$(rand_delay 1)
	echo "killed $delay s after start"
	sleep "$delay"
	kill -KILL "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID" 30
	[ "$EXIT_STATUS" = 137 ] || { cat "$d/memspy.err"; fail "memspy exited $EXIT_STATUS, not by SIGKILL"; }
	# it may have died before it held any BPF object
	if grep -q '^prog ' "$T/bpf.$MEMSPY_PID" 2>/dev/null; then
		check_no_probes_left "$MEMSPY_PID" > /dev/null
	fi
	outputs_whole "$d/out" || fail "a partial file was left"
	kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died with memspy"
	next_attach "$d"
	target_ok "$d" plain
}

case_interrupt() {
	local d=$DIR delay
	begin "$d" plain
	launch "$d" -o "$d/out" "$TARGET_PID"
	attached "$d"
	delay=$(rand_delay 2)
	echo "SIGINT $delay s after attach"
	sleep "$delay"
	kill -INT "$MEMSPY_PID"
	after_end "$d"
	target_ok "$d" plain
}

case_two_at_once() {
	local d=$DIR first
	begin "$d" plain
	mkdir -p "$d/a" "$d/b"
	launch "$d/a" -d 3 -o "$d/a/out" "$TARGET_PID"
	first=$MEMSPY_PID
	launch "$d/b" -d 2 -o "$d/b/out" "$TARGET_PID"
	after_end "$d/b"
	MEMSPY_PID=$first
	after_end "$d/a"
	target_ok "$d" plain
}

case_loop() {
	local d=$DIR i
	begin "$d" plain
	for i in 1 2 3 4; do
		mkdir -p "$d/$i"
		launch "$d/$i" -d 0.5 -o "$d/$i/out" "$TARGET_PID"
		after_end "$d/$i"
	done
	target_ok "$d" plain
}

case_target_killed() {
	local d=$DIR delay
	begin "$d" plain
	launch "$d" -o "$d/out" "$TARGET_PID"
	attached "$d"
	delay=$(rand_delay 1.5)
	echo "target killed $delay s after attach"
	sleep "$delay"
	kill -KILL "$TARGET_PID"
	after_end "$d"
	grep -q 'exited' "$d/out/report.txt" || fail "the report does not say the target exited"
}

case_children_kill() {
	local d=$DIR delay
	begin "$d" fork fork exec
	launch "$d" --children -o "$d/out" "$TARGET_PID"
	attached "$d"
	delay=$(rand_delay 3)
	echo "killed $delay s after attach, following children"
	sleep "$delay"
	kill -KILL "$MEMSPY_PID"
	after_kill "$d"
	target_ok "$d" fork
}

case_signals() {
	local d=$DIR
	begin "$d" plain signals
	launch "$d" -d 2 -o "$d/out" "$TARGET_PID"
	after_end "$d"
	target_ok "$d" plain
}

# run_case NAME ARGS...: one case in a subshell of its own, counted.
run_case() {
	local name="$1" status
	shift
	cases=$((cases + 1))
	DIR="$T/case-$cases"
	mkdir -p "$DIR"
	(case_"$name" "$@") > "$DIR/log" 2>&1
	status=$?
	# whatever the case started is gone before the next one
	if [ -s "$T/pids" ]; then
		for p in $(cat "$T/pids"); do kill -KILL "$p" 2>/dev/null; done
		: > "$T/pids"
	fi
	if [ "$status" = 0 ]; then
		echo "ok   $cases $name $* $(grep -v '^ok:' "$DIR/log" | tail -n 1)"
	else
		failures=$((failures + 1))
		failed="$failed $cases:$name${1:+:$1}"
		echo "FAIL $cases $name $*"
		sed 's/^/    /' "$DIR/log"
	fi
}

. "$HERE/inproc.sh"

: > "$T/pids"
start=$(date +%s)
inproc_refs
inproc_matrix > "$T/matrix"
# CHAOS_MATCH=REGEX: only the in-process cases whose line matches
if [ -n "${CHAOS_MATCH:-}" ]; then
	grep -E -- "$CHAOS_MATCH" "$T/matrix" > "$T/matched"
	mv "$T/matched" "$T/matrix"
fi
echo "chaos: in-process matrix of $(wc -l < "$T/matrix") cases"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ "${CHAOS_MATRIX:-sample}" = full ]; then
		cp "$T/matrix" "$T/round"
	else
		inproc_pick "$((SEED + r))" "${CHAOS_INPROC_CASES:-6}" < "$T/matrix" > "$T/round"
	fi
	while read -r line; do
		# shellcheck disable=SC2086
		run_case $line < /dev/null
	done < "$T/round"
	r=$((r + 1))
	# CHAOS_ONLY=inproc: the in-process cases alone
	[ "${CHAOS_ONLY:-}" != inproc ] || continue
	for step in probes-attached first-event report-writing output-commit; do
		run_case die_at "$step"
	done
	run_case random_kill
	run_case kill_attaching
	run_case interrupt
	run_case two_at_once
	run_case loop
	run_case target_killed
	run_case children_kill
	run_case signals
done
echo "chaos: $cases cases in $ROUNDS round(s), $failures failures, $(( $(date +%s) - start )) s${failed:+ (failed:$failed)}"
[ "$failures" = 0 ] || exit 1
echo PASS

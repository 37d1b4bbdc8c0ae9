#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU sampling: two threads with a known 80/20 split of CPU time, partly inside
# stripped libc, are found within 5 points; at least 99% of samples have complete
# stacks, judged by their root frame, not by the unwinder's verdict; --threads and
# --kernel shape the stacks; a sleeping target yields almost no samples.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/cpu_split"
kill -USR1 "$TARGET_PID"
sleep 0.5
start_memspy -d 8 -o "$T/out" --threads "$TARGET_PID"
wait_exit "$MEMSPY_PID" 40
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
F="$T/out/cpu.folded"
[ -s "$F" ] || fail "no cpu.folded"
sed -n '/== cpu ==/,$p' "$T/out/report.txt"
[ -s "$T/out/cpu.svg" ] || fail "no cpu.svg"

python3 - "$F" <<'PY' || fail "cpu profile checks failed"
import sys
total = hot = cold = complete = libc = 0
roots = {"_start", "__clone3", "clone3", "clone", "start_thread"}
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    n = int(n)
    # judged by the root frame alone, whatever the unwinder said: drop its marker
    frames = [f for f in stack.split(";") if f != "[truncated]"]
    total += n
    # --threads: the thread is the root frame, the real root comes next
    thread = frames[0]
    if thread.startswith("hot-"): hot += n
    if thread.startswith("cold-"): cold += n
    if len(frames) > 1 and frames[1] in roots: complete += n
    if any(f in ("qsort", "msort_with_tmp", "__memmove_avx_unaligned_erms", "memcpy") or "memcpy" in f or "memmove" in f or "msort" in f for f in frames): libc += n
print("samples %d hot %d cold %d complete %d in-libc %d" % (total, hot, cold, complete, libc))
assert total >= 200, "too few samples"
share = 100.0 * hot / (hot + cold)
print("hot share %.1f%% (expected 80)" % share)
assert abs(share - 80) <= 5, "split off by more than 5 points"
assert complete >= 0.99 * total, "only %.2f%% complete" % (100.0 * complete / total)
assert libc > 0, "no samples inside libc"
PY
grep -q 'hot_thread' "$F" || fail "hot_thread not in stacks"
grep -q '_\[k\]' "$F" && fail "kernel frames without --kernel"

# --kernel adds kernel frames suffixed _[k]
start_memspy -d 2 -o "$T/k" --no-heap --kernel "$TARGET_PID"
wait_exit "$MEMSPY_PID" 20
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy --kernel exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
# the threads read their CPU clock by a system call (CLOCK_THREAD_CPUTIME_ID has no
# vDSO path): about one sample in ten is in the kernel
grep -q '_\[k\]' "$T/k/cpu.folded" || fail "no kernel frames with --kernel"
kill -TERM "$TARGET_PID"

# a sleeping target is not sampled
sleep 60 & SLEEPER=$!
PIDS="$PIDS $SLEEPER"
# attach to sleep itself, not to the shell that forked it before its exec
i=0
until [ "$(cat "/proc/$SLEEPER/comm" 2>/dev/null)" = sleep ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "sleep did not start"
	sleep 0.05
done
start_memspy -d 3 -o "$T/sleep" "$SLEEPER"
wait_exit "$MEMSPY_PID" 20
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy on a sleeping target exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
[ -e "$T/sleep/cpu.folded" ] || fail "no cpu.folded for the sleeping target"
n=$(awk '{s += $NF} END {print s + 0}' "$T/sleep/cpu.folded")
echo "sleeping target: $n samples in 3 s"
[ "$n" -le 3 ] || fail "sleeping target got $n samples"
echo PASS

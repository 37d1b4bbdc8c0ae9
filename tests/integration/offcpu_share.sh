#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --off-cpu on a C target (-O2 -g, no frame pointers) whose thread "mixer" spends
# 20% of its time on the CPU, 30% in nanosleep and 50% in a futex wait: in
# wall.folded the thread's sleep, lock and CPU shares (on CPU, or preempted while
# running) are each within 5 points of what the target measured over the run;
# offcpu.folded names the reasons at the leaf, under the functions that waited;
# the idle main thread is under "[idle threads]", the mixer is not; the report
# has the top waits; the pprof copies are written; nothing is left attached.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/offcpu_mix"
# -F 499: the CPU share comes from CPU samples, the rest from exact wait times
start_memspy --off-cpu --no-heap -F 499 -q -d 4 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID" # the target's own figures start now
wait_exit "$MEMSPY_PID" 60
kill -USR1 "$TARGET_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
wait_for "$T/target.out" '^cpu .* sleep .* lock ' 5
measured=$(grep '^cpu ' "$T/target.out" | tail -1)
echo "target: $measured"
for f in offcpu.folded offcpu.svg offcpu.pb.gz wall.folded wall.svg wall.pb.gz; do
	[ -s "$T/out/$f" ] || fail "no $f"
done
grep -q '^== top waits ==' "$T/out/report.txt" || fail "no top waits in the report"
sed -n '/^== off-cpu ==/,/^== rss ==/p' "$T/out/report.txt"

o=$T/out/offcpu.folded
w=$T/out/wall.folded
grep -q 'nap[^;]*;.*\[off-cpu: sleep\] [0-9]*$' "$o" || fail "no sleep under nap() in $o"
grep -q 'wait_lock[^;]*;.*\[off-cpu: futex/lock\] [0-9]*$' "$o" ||
	fail "no futex wait under wait_lock() in $o"
grep -q '^mixer-[0-9]*;' "$w" || fail "the mixer is not a root of $w"
grep -q '^\[idle threads\];offcpu_mix-[0-9]*;' "$w" ||
	fail "the idle main thread is not under [idle threads] in $w"
grep -q '^\[idle threads\];mixer' "$w" && fail "the busy mixer is under [idle threads]"

all=$(folded_value "$w" '^mixer-')
sleep_us=$(folded_value "$w" '^mixer-.*;nap[^;]*;.*\[off-cpu: sleep\] ')
lock_us=$(folded_value "$w" '^mixer-.*;wait_lock[^;]*;.*\[off-cpu: futex/lock\] ')
/usr/bin/python3 - "$measured" "$all" "$sleep_us" "$lock_us" <<'PY' || fail "shares off"
import sys
m = sys.argv[1].split()
real = {"cpu": float(m[1]), "sleep": float(m[3]), "lock": float(m[5])}
allv, s, l = (int(x) for x in sys.argv[2:])
assert allv > 3e6, "the mixer has %d us of wall time in a 4 s run" % allv
shown = {"sleep": 100.0 * s / allv, "lock": 100.0 * l / allv}
shown["cpu"] = 100.0 - shown["sleep"] - shown["lock"]
for k in ("cpu", "sleep", "lock"):
    print("%-5s shown %5.1f%%  measured %5.1f%%" % (k, shown[k], real[k]))
    assert abs(shown[k] - real[k]) <= 5, "%s: %.1f%% shown, %.1f%% measured" % (k, shown[k], real[k])
PY
kill -TERM "$TARGET_PID"
echo PASS

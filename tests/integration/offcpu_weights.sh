#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --off-cpu samples waits by blocked time and weights each sample by the time it
# stands for: a thread's 1,000 sleeps of 100 us and its one sleep of 100 ms are
# each shown within 15% of the wall time the target measured for them, and the
# report's top waits count about 1,000 short waits and 1 long one.
. "$(dirname "$0")/lib.sh"
need_bpf

start_target "$TARGETS/offcpu_waits"
start_memspy --off-cpu --no-heap -q -d 4 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^short ' 10
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
measured=$(grep '^short ' "$T/target.out")
echo "target (ms): $measured"
sed -n '/^== top waits ==/,/^== rss ==/p' "$T/out/report.txt"
o=$T/out/offcpu.folded
short_us=$(folded_value "$o" ';short_waits;.*\[off-cpu: sleep\] ')
long_us=$(folded_value "$o" ';long_wait;.*\[off-cpu: sleep\] ')
/usr/bin/python3 - "$measured" "$short_us" "$long_us" "$T/out/report.txt" <<'PY' || fail "weights off"
import re, sys
m = sys.argv[1].split()
real_short, real_long = float(m[1]) * 1000, float(m[3]) * 1000
short, long_ = int(sys.argv[2]), int(sys.argv[3])
for name, shown, real in (("1000 x 100 us", short, real_short), ("1 x 100 ms", long_, real_long)):
    print("%-14s shown %8d us, measured %8.0f us (%+.1f%%)" % (name, shown, real, 100.0 * (shown - real) / real))
    assert abs(shown - real) <= 0.15 * real, name
# the estimated number of waits: the row above the stack that names the function
lines = open(sys.argv[4]).read().splitlines()
counts = {}
for i, l in enumerate(lines[1:], 1):
    for fn in ("short_waits", "long_wait"):
        if re.search(r"< %s <" % fn, l) and fn not in counts:
            counts[fn] = float(lines[i - 1].split()[4])
print("estimated waits:", counts)
assert 850 <= counts["short_waits"] <= 1150, counts
assert counts["long_wait"] == 1, counts
PY
kill -TERM "$TARGET_PID"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Names in an executable whose mappings have gaps (non-PIE, text aligned to
# 2 MiB in a segment of its own, as node's text is split): the CPU stacks of
# tests/targets/gapped reach _start through main -> gap_outer -> gap_inner,
# named as perf names them for the same process at the same time.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v perf >/dev/null || fail "perf missing (scripts/setup-deps.sh installs linux-perf)"

start_target "$TARGETS/gapped"
# the layout under test: headers at 0x400000, text past a gap at 0x600000
grep -q '^00600000-.* r-xp 00200000 .*/gapped$' "/proc/$TARGET_PID/maps" ||
	{ cat "/proc/$TARGET_PID/maps"; fail "gapped's text is not mapped past a gap"; }
start_memspy -d 4 -F 199 --no-heap --no-rss -o "$T/out" "$TARGET_PID"
perf record -q -e cpu-clock -F 199 -g --call-graph dwarf -p "$TARGET_PID" \
	-o "$T/perf.data" -- sleep 2 > "$T/perf.out" 2>&1 ||
	{ cat "$T/perf.out"; fail "perf record failed"; }
wait_exit "$MEMSPY_PID" 40
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
kill -TERM "$TARGET_PID"

# perf's stacks, root first, one a line: "name;name;... count"
perf script -i "$T/perf.data" -F ip,sym 2> /dev/null |
	awk 'NF == 0 { if (s != "") n[s]++; s = ""; next }
	     { sub(/ \(inlined\)$/, ""); s = s == "" ? $2 : $2 ";" s }
	     END { for (k in n) print k, n[k] }' > "$T/perf.folded"
echo "--- memspy"
sort -k2 -nr "$T/out/cpu.folded" | head -5
echo "--- perf"
sort -k2 -nr "$T/perf.folded" | head -5

python3 - "$T/out/cpu.folded" "$T/perf.folded" <<'PY' || fail "gapped stacks differ from perf's"
import sys

def load(path):
    out = []
    for line in open(path):
        stack, n = line.rsplit(" ", 1)
        out.append((stack.split(";"), int(n)))
    return out

ours, perfs = load(sys.argv[1]), load(sys.argv[2])
chain = ["main", "gap_outer", "gap_inner"]
total = sum(n for _, n in ours)
good = sum(n for f, n in ours if f[0] == "_start" and f[-3:] == chain)
print("memspy: %d of %d samples _start ... main;gap_outer;gap_inner" % (good, total))
assert total >= 100, "too few samples"
assert good >= 0.95 * total, "only %.1f%% complete and named" % (100.0 * good / total)
# perf names the same frames of the executable, in the same order
ptotal = sum(n for _, n in perfs)
pgood = sum(n for f, n in perfs if f[-3:] == chain and f[0] == "_start")
print("perf:   %d of %d samples _start ... main;gap_outer;gap_inner" % (pgood, ptotal))
assert pgood >= 0.8 * ptotal, "perf does not see the chain: the test is wrong"
PY
echo PASS

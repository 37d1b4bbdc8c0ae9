#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Names in modules whose mappings have gaps: an executable (non-PIE, text
# aligned to 2 MiB in a segment of its own, as node's text is split) and its
# library (the same alignment: ld.so leaves inaccessible mappings of the file
# between its segments). The CPU stacks of tests/targets/gapped reach _start
# through main -> gap_outer -> gap_inner and main -> gap_outer -> gap_lib_burn,
# named as perf names them for the same process at the same time.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v perf >/dev/null || fail "perf missing (scripts/setup-deps.sh installs linux-perf)"

start_target "$TARGETS/gapped"
# the layout under test: headers at 0x400000, text past a gap at 0x600000
grep -q '^00600000-.* r-xp 00200000 .*/gapped$' "/proc/$TARGET_PID/maps" ||
	{ cat "/proc/$TARGET_PID/maps"; fail "gapped's text is not mapped past a gap"; }
grep -q ' ---p .*/libgapped\.so$' "/proc/$TARGET_PID/maps" ||
	{ cat "/proc/$TARGET_PID/maps"; fail "libgapped.so has no inaccessible mapping"; }
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

def through(frames, chain):
    """From _start through the chain (perf's kernel frames may follow it)."""
    i = frames.index(chain[-1]) if chain[-1] in frames else -1
    return frames[0] == "_start" and i >= 2 and frames[i - 2:i + 1] == chain

def check(who, stacks, floor):
    """At least floor of all samples through each chain."""
    total = sum(n for _, n in stacks)
    assert total >= 100, "%s: too few samples" % who
    for leaf in ("gap_inner", "gap_lib_burn"):
        chain = ["main", "gap_outer", leaf]
        good = sum(n for f, n in stacks if through(f, chain))
        print("%s: %d of %d samples _start ... %s" % (who, good, total, ";".join(chain)))
        assert good >= floor * total, "%s: only %.1f%% in %s" % (who, 100.0 * good / total, leaf)
    return total

total = check("memspy", ours, 0.3)
complete = sum(n for f, n in ours if f[0] == "_start")
assert complete >= 0.95 * total, "memspy: only %.1f%% complete" % (100.0 * complete / total)
# perf sees the same chains: the test itself is sound
check("perf", perfs, 0.2)
PY
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pprof output: heap.pb.gz and cpu.pb.gz read by go tool pprof agree with the
# folded files (bytes and samples to the unit), with --sample-bytes 1 the object
# counts are the exact allocations and live blocks, inlined frames show as
# pprof's inline lines, and Python frames are functions with their file and line.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
GO=/usr/lib/go-1.19/bin/go
[ -x "$GO" ] || skip "needs Debian's golang-1.19-go (scripts/setup-deps.sh)"
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip "needs Debian's python3.11"
# go tool pprof wants a home and a build cache; no network
export HOME="$T/home" GOCACHE="$T/gocache" GOPROXY=off
mkdir -p "$HOME"
pprof() {
	"$GO" tool pprof "$@" 2> "$T/pprof.err" || { cat "$T/pprof.err"; fail "go tool pprof $*"; }
}
# pprof_sum FILE COLUMN: sum of one value column of the samples pprof -raw lists
pprof_sum() {
	pprof -raw "$1" | awk -v c="$2" '
		/^Samples:/ { on = 1; getline; next }
		/^Locations/ { on = 0 }
		on && /:/ { s += $c } END { printf "%.0f\n", s }'
}
folded_sum() {
	awk '{ s += $NF } END { printf "%.0f\n", s }' "$1"
}

# --- the heap, exactly: leaky's known leak, every allocation recorded
start_target "$TARGETS/leaky" exact
start_memspy --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
O="$T/out"
for f in heap.pb.gz cpu.pb.gz rss.pb.gz; do
	[ -s "$O/$f" ] || fail "no $f"
done
pprof -raw "$O/heap.pb.gz" > "$T/heap.raw"
sed -n '1,/^Locations/p' "$T/heap.raw"
grep -q '^alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' \
	"$T/heap.raw" || fail "heap.pb.gz sample types are not Go's"
grep -q '^PeriodType: space bytes' "$T/heap.raw" || fail "heap.pb.gz period type"
# inuse_space is what heap.folded shows
[ "$(pprof_sum "$O/heap.pb.gz" 4)" = "$(folded_sum "$O/heap.folded")" ] ||
	fail "inuse_space $(pprof_sum "$O/heap.pb.gz" 4) != heap.folded's $(folded_sum "$O/heap.folded")"
# exact counts: the report's allocation calls, and 200 + 10 blocks live
calls=$(sed -n 's/^  allocated *\([0-9]*\) calls.*/\1/p' "$O/report.txt")
[ -n "$calls" ] && [ "$(pprof_sum "$O/heap.pb.gz" 1)" = "$calls" ] ||
	fail "alloc_objects $(pprof_sum "$O/heap.pb.gz" 1), report says $calls calls"
bytes=$(sed -n 's/^  allocated *[0-9]* calls, \([0-9]*\) B.*/\1/p' "$O/report.txt")
[ "$(pprof_sum "$O/heap.pb.gz" 2)" = "$bytes" ] ||
	fail "alloc_space $(pprof_sum "$O/heap.pb.gz" 2), report says $bytes B"
[ "$(pprof_sum "$O/heap.pb.gz" 3)" = 210 ] ||
	fail "inuse_objects $(pprof_sum "$O/heap.pb.gz" 3), expected 210"
# pprof's own views by sample index: the leak's stack, by name
pprof -top -sample_index=inuse_space "$O/heap.pb.gz" > "$T/top"
grep -qE ' leak_d$' "$T/top" || { cat "$T/top"; fail "-top does not show leak_d"; }
pprof -traces -sample_index=alloc_objects "$O/heap.pb.gz" > "$T/traces"
grep -q '^Type: alloc_objects' "$T/traces" || fail "-sample_index=alloc_objects not read"
grep -A3 ' leak_d$' "$T/traces" | grep -q '^ *leak_c$' || { cat "$T/traces"; fail "leak_d's caller"; }
# a frame the symbolizer marked inlined is an inline line of pprof's location
inl=$(grep -o '[A-Za-z0-9_]*_\[i\]' "$O/heap.folded" | head -1)
if [ -n "$inl" ]; then
	grep -qF "${inl%_\[i\]} (inline)" "$T/traces" ||
		{ cat "$T/traces"; fail "inlined $inl is not an inline line in heap.pb.gz"; }
	echo "inlined ${inl%_\[i\]}: an inline line"
fi
kill -TERM "$TARGET_PID"

# --- CPU and a sampled heap with Python frames
start_target "$PY" "$srcdir/tests/data/python/frames.py"
sleep 0.5
start_memspy -d 4 -F 199 --sample-bytes 65536 -o "$T/py" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
O="$T/py"
pprof -raw "$O/cpu.pb.gz" > "$T/cpu.raw"
sed -n '1,/^Samples/p' "$T/cpu.raw"
grep -q '^samples/count cpu/nanoseconds' "$T/cpu.raw" || fail "cpu.pb.gz sample types"
grep -q '^Period: 5025125$' "$T/cpu.raw" || fail "cpu.pb.gz period is not 1e9/199 ns"
n=$(pprof_sum "$O/cpu.pb.gz" 1)
[ "$n" -gt 0 ] && [ "$n" = "$(folded_sum "$O/cpu.folded")" ] ||
	fail "cpu samples $n != cpu.folded's $(folded_sum "$O/cpu.folded")"
[ "$(pprof_sum "$O/cpu.pb.gz" 2)" = "$((n * 5025125))" ] || fail "cpu nanoseconds"
[ "$(pprof_sum "$O/heap.pb.gz" 4)" = "$(folded_sum "$O/heap.folded")" ] ||
	fail "sampled inuse_space != heap.folded"
# spin(), frames.py's CPU burner, by name with its file in pprof's listing
pprof -top -sample_index=samples "$O/cpu.pb.gz" > "$T/top"
grep -qE ' spin$' "$T/top" || { cat "$T/top"; fail "-top does not show the Python function spin"; }
grep -qE '^ +[0-9]+: 0x0 M=1 spin frames\.py:3[0-9] ' "$T/cpu.raw" ||
	{ grep spin "$T/cpu.raw"; fail "spin is not a function of frames.py with its line"; }
pprof -traces "$O/heap.pb.gz" > "$T/traces"
grep -A2 '^ .* inner$' "$T/traces" | grep -q '^ *middle$' ||
	{ cat "$T/traces"; fail "inner's caller middle not in heap.pb.gz"; }
kill -TERM "$TARGET_PID"
echo PASS

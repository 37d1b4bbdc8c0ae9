#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy flamegraph and diff read pprof: a run's heap.pb.gz draws the same SVG as
# its heap.folded and diffs to nothing against it, the heap and CPU profiles of a
# Go program (tests/data/gopprof) draw its main. functions at every sample index,
# and a damaged profile fails with one line naming the file.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
GO=${MEMSPY_GO:-/usr/lib/go-1.19/bin/go}
[ -x "$GO" ] || skip "needs Debian's golang-1.19-go (scripts/setup-deps.sh installs it)"

# --- memspy's own profile: leaky's known leak, every allocation recorded
start_target "$TARGETS/leaky" exact
start_memspy --sample-bytes 1 -o "$T/out" "$TARGET_PID"
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^done' 30
sleep 0.5
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
O="$T/out"
[ -s "$O/heap.pb.gz" ] && [ -s "$O/heap.folded" ] || fail "no heap.pb.gz or heap.folded"
# both from stdin, so the subtitles name the same input
"$MEMSPY" flamegraph < "$O/heap.folded" > "$T/folded.svg" || fail "flamegraph of heap.folded"
"$MEMSPY" flamegraph --sample-index inuse_space < "$O/heap.pb.gz" > "$T/pprof.svg" ||
	fail "flamegraph of heap.pb.gz"
cmp "$T/folded.svg" "$T/pprof.svg" || fail "heap.pb.gz draws another graph than heap.folded"
grep -q 'leak_d' "$T/pprof.svg" || fail "leak_d is not in the graph of heap.pb.gz"
# inuse_space is the default type of memspy's heap profiles; the file by name
"$MEMSPY" flamegraph "$O/heap.pb.gz" > "$T/default.svg" || fail "flamegraph heap.pb.gz"
grep -q 'heap.pb.gz: ' "$T/default.svg" || fail "the subtitle does not name heap.pb.gz"
# the two inputs hold the same stacks: no change between them, either way round
"$MEMSPY" diff --folded "$O/heap.folded" "$O/heap.pb.gz" > "$T/delta" || fail "diff folded pprof"
[ ! -s "$T/delta" ] || { head "$T/delta"; fail "heap.folded and heap.pb.gz differ"; }
"$MEMSPY" diff -s 3 "$O/heap.pb.gz" "$O/heap.folded" > "$T/diff.svg" || fail "diff pprof folded"
grep -q 'change 0 B' "$T/diff.svg" || fail "diff of a profile against itself is not 0 B"
kill -TERM "$TARGET_PID"

# --- Go's runtime/pprof: a heap and a CPU profile
cp -r "$srcdir/tests/data/gopprof" "$T/src"
(cd "$T/src" && HOME="$T" GOPATH="$T/gopath" GOCACHE="$T/gocache" GOFLAGS= \
	GOPROXY=off CGO_ENABLED=0 "$GO" build -buildvcs=false -o "$T/gopprof" .) ||
	fail "cannot build tests/data/gopprof with $GO"
"$T/gopprof" "$T/heap.pprof" "$T/cpu.pprof" || fail "gopprof did not write its profiles"
for i in 0 1 2 3 alloc_objects alloc_space inuse_objects inuse_space; do
	"$MEMSPY" flamegraph --sample-index $i "$T/heap.pprof" > "$T/go.svg" ||
		fail "flamegraph --sample-index $i of Go's heap profile"
	grep -q 'main\.allocate' "$T/go.svg" || fail "main.allocate not in the graph of index $i"
done
"$MEMSPY" flamegraph "$T/heap.pprof" > "$T/go.svg" || fail "flamegraph of Go's heap profile"
grep -q 'inuse_space\|main\.allocate' "$T/go.svg" || fail "Go's default heap type"
for i in 0 1 samples cpu; do
	"$MEMSPY" flamegraph -s $i "$T/cpu.pprof" > "$T/go.svg" ||
		fail "flamegraph --sample-index $i of Go's CPU profile"
	grep -q 'main\.spin' "$T/go.svg" || fail "main.spin not in the CPU graph of index $i"
done
# gzip's or not: the same profile unpacked draws the same graph
gzip -dc < "$T/cpu.pprof" > "$T/cpu.raw"
"$MEMSPY" flamegraph < "$T/cpu.raw" > "$T/raw.svg" || fail "flamegraph of a raw protobuf"
"$MEMSPY" flamegraph < "$T/cpu.pprof" > "$T/gz.svg" || fail "flamegraph of Go's CPU profile"
cmp "$T/raw.svg" "$T/gz.svg" || fail "raw and gzipped CPU profiles draw different graphs"

# --- damaged input: one line naming the file, exit 1, no crash
head -c 100 "$T/heap.pprof" > "$T/cut.pb.gz"
"$MEMSPY" flamegraph "$T/cut.pb.gz" > /dev/null 2> "$T/err"
[ $? = 1 ] || fail "a truncated profile did not exit 1"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q "cut.pb.gz: damaged gzip data" "$T/err" ||
	{ cat "$T/err"; fail "a truncated profile's message"; }
"$MEMSPY" flamegraph -s bytes "$T/heap.pprof" > /dev/null 2> "$T/err" && fail "-s bytes read"
grep -q "heap.pprof: no sample type bytes; the profile has 0 alloc_objects" "$T/err" ||
	{ cat "$T/err"; fail "an unknown sample type's message"; }
echo "pprof input: memspy's heap round trip, Go heap and CPU profiles, damaged files"

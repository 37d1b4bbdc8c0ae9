#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A Go program's heap is the Go runtime's, not malloc's (tests/data/go). Built with
# cgo it links libc: memspy probes libc's malloc, which sees the C allocations
# only, and says so once on stderr and in the report's header, pointing at the
# new pages, where rss.folded shows the Go code that grows. Built with
# CGO_ENABLED=0 it has no malloc at all: attach fails with an error that names Go
# and --no-heap, and --no-heap records the CPU and the new pages.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
GO=${MEMSPY_GO:-/usr/lib/go-1.19/bin/go}
[ -x "$GO" ] || skip "needs Debian's golang-1.19-go (scripts/setup-deps.sh installs it)"

# The Debian toolchain, the standard library only: no network, no module cache,
# nothing written outside $T.
cp -r "$srcdir/tests/data/go" "$T/src"
build() {
	(cd "$T/src" && HOME="$T" GOPATH="$T/gopath" GOCACHE="$T/gocache" GOFLAGS= \
		GOPROXY=off CGO_ENABLED=$1 "$GO" build -buildvcs=false -o "$T/$2" .) ||
		fail "cannot build $2 with $GO"
}
build 1 grow-cgo
build 0 grow-static
readelf -d "$T/grow-cgo" | grep -q 'NEEDED.*libc\.so' || fail "grow-cgo does not link libc"
readelf -d "$T/grow-static" 2>/dev/null | grep -q NEEDED && fail "grow-static links a library"

# cgo: libc's malloc probed, the Go heap told as not seen, its growth in rss.folded
start_target "$T/grow-cgo"
start_memspy -d 4 -o "$T/out" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
R="$T/out/report.txt"
cat "$T/memspy.err"
sed -n '1,/^  run /p' "$R"
sed -n '/== leak suspects ==/,/^$/p' "$R"
[ "$(grep -c 'is a Go program: the malloc probes see only C allocations' "$T/memspy.err")" = 1 ] ||
	fail "no one-line note of the Go heap on stderr"
grep 'is a Go program' "$T/memspy.err" | grep -q 'rss\.folded.*show where its memory grows' ||
	fail "the stderr note does not point at the RSS view"
grep -q '^  allocator  .*libc\.so' "$R" || fail "libc's malloc not probed"
grep -q '^  not seen   the Go heap, which the Go runtime manages itself:$' "$R" ||
	fail "no Go heap line in the report's header"
grep -q 'the new pages still mapped (== rss ==, rss.folded) show$' "$R" ||
	fail "the Go heap line does not point at the RSS view"
grep -q 'among C allocations only: the Go heap is not seen' "$R" ||
	fail "the leak suspects do not say they cover C allocations only"
calls=$(sed -n 's/^  allocated  *\([0-9]*\) calls.*/\1/p' "$R")
[ -n "$calls" ] && [ "$calls" -gt 0 ] || fail "cgo's C allocations not seen ($calls calls)"
grep -q '^== rss ==' "$R" || fail "no rss section"
F="$T/out/rss.folded"
[ -s "$F" ] || fail "rss.folded is empty"
# Go 1.19 code has frame pointers and .debug_frame: the stacks reach main.grow
grow=$(folded_value "$F" ';main\.grow(;|$| )')
total=$(folded_value "$F" '.')
echo "rss.folded: main.grow $grow of $total bytes"
[ "$grow" -gt $((8 << 20)) ] || { head -5 "$F"; fail "main.grow's new pages not in rss.folded"; }
kill -0 "$TARGET_PID" || fail "the Go program died"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"

# CGO_ENABLED=0: no malloc anywhere; the error says why and what to do
start_target "$T/grow-static"
"$MEMSPY" attach -d 1 -o "$T/static" "$TARGET_PID" > "$T/static.out" 2> "$T/static.err" &&
	fail "attach to a Go program without libc succeeded without --no-heap"
cat "$T/static.err"
grep -q 'no allocator found.*it is a Go program.*--no-heap' "$T/static.err" ||
	fail "the error does not name Go and --no-heap"
[ ! -e "$T/static" ] || fail "a failed attach left $T/static"
start_memspy --no-heap -d 3 -o "$T/nh" "$TARGET_PID"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy --no-heap exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
grep -q ';main\.grow' "$T/nh/rss.folded" || fail "no Go frames in rss.folded with --no-heap"
kill -0 "$TARGET_PID" || fail "the static Go program died"
echo PASS

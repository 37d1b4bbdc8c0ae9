#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every libFuzzer target of scripts/fuzz/ builds and runs a few hundred inputs
# (its seeds, then mutations of them) without a finding, so a parser change that
# breaks a target (or that a target's seeds already crash) shows in CI. A count
# of inputs, not seconds: a loaded CI machine ran 28 ELF inputs in 3 s. Long
# runs: scripts/fuzz/run.sh -n 1000000.
. "$(dirname "$0")/lib.sh"
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

command -v clang >/dev/null || skip "needs clang with libFuzzer (apt-get install clang libclang-rt-14-dev)"
command -v protoc-c >/dev/null || skip "needs protoc-c (apt-get install protobuf-c-compiler)"

ALL="flame pprof procmaps jitmap elf python symbolize"
RUNS=${FUZZ_RUNS:-500}
OUT="$T/fuzz" sh "$srcdir/scripts/fuzz/run.sh" -n "$RUNS" $ALL > "$T/fuzz.out" 2>&1
status=$?
cat "$T/fuzz.out"
for t in $ALL; do
	line=$(grep "^$t execs " "$T/fuzz.out") || fail "fuzz target $t did not build or run (see above)"
	set -- $line
	[ "$3" -ge "$RUNS" ] || fail "fuzz target $t ran only $3 of $RUNS inputs"
	if [ "$5" -ne 0 ]; then
		for f in "$T/fuzz/$t"/crash-* "$T/fuzz/$t"/leak-* "$T/fuzz/$t"/timeout-*; do
			[ -f "$f" ] && { echo "--- $f"; od -c "$f" | head -20; }
		done
		tail -40 "$T/fuzz/$t/log"
		fail "fuzz target $t found $5 failing inputs: keep them as seeds and fix the parser"
	fi
done
[ "$status" -eq 0 ] || fail "scripts/fuzz/run.sh exited $status"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# JIT code: node running hotA -> hotB -> hotC (tests/data/jit/hot_chain.js).
# With --perf-basic-prof the functions are named from /tmp/perf-<pid>.map with
# the JIT suffix _[j], in call order; with or without the map, the main thread's
# stacks are unwound through the JIT frames (V8 keeps frame pointers, it has no
# CFI) back into node's CFI, to _start. Debian 12's node 18 and node 20 alike.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v node >/dev/null || fail "node missing (scripts/setup-deps.sh installs nodejs)"
JS="$srcdir/tests/data/jit/hot_chain.js"
# node never removes its perf map
trap 'rm -f "/tmp/perf-$TARGET_PID.map"; cleanup' EXIT
echo "node $(node --version)"

# run_node LABEL NODE-OPTIONS...: 4 s of CPU samples into $T/LABEL
run_node() {
	label=$1
	shift
	start_target node "$@" --no-turbo-inlining "$JS"
	start_memspy -d 4 -F 199 --threads --no-heap --no-rss -o "$T/$label" "$TARGET_PID"
	wait_exit "$MEMSPY_PID" 40
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "$label: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait_exit "$TARGET_PID"
	rm -f "/tmp/perf-$TARGET_PID.map"
	sed -n '/== cpu ==/,/top functions/p' "$T/$label/report.txt"
}

# check LABEL FUNCTION...: of the main thread's samples, 80% complete (from
# _start), and a third complete through consecutive JIT frames of the JavaScript
# functions named (as the perf map names them: node 18 writes
# "LazyCompile:*hotA /path:13", node 20 "JS:*hotA /path:13:14"), or of unnamed
# JIT code for "-"
check() {
	label=$1
	shift
	python3 - "$T/$label/cpu.folded" "node-$TARGET_PID" "$@" <<'PY' || fail "$label: JIT stacks checks failed"
import re, sys
path, main = sys.argv[1], sys.argv[2]
chain = [re.compile(r"\[unknown\]_\[j\]" if f == "-" else r"[^;]*[*~^+]%s [^;]*_\[j\]" % f)
         for f in sys.argv[3:]]
pattern = " ; ".join(sys.argv[3:])
total = complete = through = 0
example = None
for line in open(path):
    stack, n = line.rsplit(" ", 1)
    frames, n = stack.split(";"), int(n)
    if frames[0] != main:
        continue
    total += n
    if frames[1] != "_start":
        continue
    complete += n
    # the chain's frames in order, each right below the one before
    at = [i for i, f in enumerate(frames) if chain[0].fullmatch(f)]
    if any(all(i + k < len(frames) and chain[k].fullmatch(frames[i + k])
               for k in range(len(chain))) for i in at):
        through += n
        example = example or stack
print("main thread: %d samples, %d complete, %d complete through %s" %
      (total, complete, through, pattern))
print("e.g. " + (example or "none").replace(";", "\n  "))
assert total >= 100, "too few samples"
assert complete >= 0.8 * total, "only %.1f%% complete" % (100.0 * complete / total)
assert through >= total / 3, "only %.1f%% through the JIT frames" % (100.0 * through / total)
PY
}

# 1. with the perf map
run_node map --perf-basic-prof
check map hotA hotB hotC

# 2. without: the same frames, unnamed, are still crossed
run_node nomap
check nomap - - -
grep -q 'hotA' "$T/nomap/cpu.folded" && fail "nomap: JS names without a perf map?"
echo PASS

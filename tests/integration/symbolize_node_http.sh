#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Heap stacks of an HTTP server in node (tests/data/jit/http_buffer.js), run as
# its users run it: node --perf-basic-prof, no flags that shape the JIT. Its
# handler's Buffers are malloced by node's C++ binding, called from JIT code
# through V8's builtins, which run from a copy that V8 maps into its reserved
# code range after start (as it does JIT code): the stacks must go on through
# Builtins_CallApiCallback, name the handler from /tmp/perf-<pid>.map and reach
# the event loop (uv_run) and _start.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v node >/dev/null || fail "node missing (scripts/setup-deps.sh installs nodejs)"
JS="$srcdir/tests/data/jit/http_buffer.js"
trap 'rm -f "/tmp/perf-$TARGET_PID.map"; cleanup' EXIT
echo "node $(node --version)"

start_target node --perf-basic-prof "$JS"
PORT=$(sed -n 's/^ready //p' "$T/target.out")
# uv__io_poll's frame holds 12 KiB of epoll events: a 16K copy ends there, so
# memspy copies 32K for node by default (no --stack-bytes here: that is checked)
start_memspy -d 30 --no-cpu --no-rss -o "$T/out" "$TARGET_PID" -- \
	node "$JS" client "$PORT" 5
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
sed -n '/truncated stacks/p' "$T/out/report.txt"

# of the sampled bytes the Buffer binding allocated, 80% on complete stacks
# through the handler's JIT frame to uv_run, a third of them across
# Builtins_CallApiCallback (optimized code's way into the binding)
python3 - "$T/out/alloc.folded" <<'PY' || fail "node HTTP heap stacks checks failed"
import re, sys
handler = re.compile(r"[^;]*[*~^+]keepRequest [^;]*_\[j\]")
total = good = api = 0
example = other = None
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    frames, n = stack.split(";"), int(n)
    if not any("CreateUnsafeArrayBuffer" in f for f in frames):
        continue
    total += n
    if frames[0] == "_start" and "uv_run" in frames and any(handler.fullmatch(f) for f in frames):
        good += n
        # optimized code calls the binding through this builtin (before, through CEntry)
        if "Builtins_CallApiCallback" in frames:
            api += n
            example = example or stack
    else:
        other = other or stack
print("Buffer bytes sampled: %d, %d through keepRequest to uv_run and _start, "
      "%d of them through Builtins_CallApiCallback" % (total, good, api))
print("e.g. " + (example or "none").replace(";", "\n  "))
if other:
    print("not through, e.g. " + other.replace(";", "\n  "))
assert total > 0, "no Buffer allocation sampled"
assert good >= 0.8 * total, "only %.1f%% through" % (100.0 * good / total)
assert api >= total / 3, "only %.1f%% through Builtins_CallApiCallback" % (100.0 * api / total)
PY
echo PASS

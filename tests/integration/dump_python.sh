#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy dump on Debian's python3.11 running threads that wait in time.sleep, a
# lock and a socket recv, and one that spins: each thread's Python frames by
# function and line (the lines marked in the script; the spinning thread may be
# caught on its loop's test, the line before) under the native frame it
# waits in, complete to its root, and the spinning thread marked as the GIL's
# holder; --json parses; --consistent holds the spinning thread for the read.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3.11
[ -x "$PY" ] || skip "needs Debian's python3.11"
SCRIPT="$srcdir/tests/data/python/waiters.py"
CHECK="$srcdir/tests/integration/dump_check.py"

at() { grep -n "# at:$1\$" "$SCRIPT" | cut -d: -f1; }
RUN=$(grep -n '^    fn()$' "$SCRIPT" | cut -d: -f1)

start_target "$PY" "$SCRIPT"
"$MEMSPY" dump "$TARGET_PID" > "$T/dump.txt" 2> "$T/dump.err" ||
	{ cat "$T/dump.err"; fail "memspy dump exited $?"; }
cat "$T/dump.txt"
grep -q '^Python: CPython 3\.11' "$T/dump.txt" || fail "the interpreter is not named"
grep -qE '^Thread [0-9]+ "py-spin": (running|runnable \(waiting for a CPU\)), holds the GIL' \
	"$T/dump.txt" || fail "the spinning thread is not shown holding the GIL"

for i in 1 2 3; do
	"$MEMSPY" dump --json "$TARGET_PID" > "$T/dump.json" 2> "$T/dump.err" ||
		{ cat "$T/dump.err"; fail "memspy dump --json exited $?"; }
	/usr/bin/python3 -m json.tool "$T/dump.json" > /dev/null || fail "--json output does not parse"
	/usr/bin/python3 "$CHECK" "$T/dump.json" --gil py-spin \
		"python3.11:S:pause:pause,<module>@$(at main),Py_RunMain" \
		"py-sleep:S:clock_nanosleep:clock_nanosleep,nap@$(at nap),run@$RUN,_bootstrap_inner" \
		"py-lock:S:futex:PyThread_acquire_lock_timed,take_lock@$(at take_lock),run@$RUN" \
		"py-recv:S:recvfrom:__recv,receive@$(at receive),run@$RUN" \
		"py-spin:R::spin@$(($(at spin) - 1))-$(at spin),run@$RUN,_bootstrap_inner" || fail "dump $i"
done
# --consistent: the spinning thread is held for the read, the others are read as
# they wait, the GIL read while they are held
"$MEMSPY" dump --consistent --json "$TARGET_PID" > "$T/held.json" 2> "$T/dump.err" ||
	{ cat "$T/dump.err"; fail "memspy dump --consistent exited $?"; }
/usr/bin/python3 "$CHECK" "$T/held.json" --gil py-spin \
	"py-sleep:S:clock_nanosleep:clock_nanosleep,nap@$(at nap),run@$RUN" \
	"py-spin:R::spin@$(($(at spin) - 1))-$(at spin),run@$RUN" || fail "dump --consistent"
grep -q '"read": "stopped"' "$T/held.json" || fail "--consistent held no thread (one spins)"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID" 10
[ "$EXIT_STATUS" = 0 ] || fail "the target exited $EXIT_STATUS after the dumps"
! bpftool prog list 2>/dev/null | grep -qE 'name (dump_task|on_dump_sample) ' ||
	fail "a dump BPF program is still loaded after memspy exited"

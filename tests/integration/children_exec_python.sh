#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --children: a followed shell that execs python3 is read again after the exec:
# CPython is found and said, its stacks have Python frames, and it is listed
# under its new name.
. "$(dirname "$0")/lib.sh"
need_bpf
[ -x /usr/bin/python3 ] || fail "Debian's /usr/bin/python3 missing (scripts/setup-deps.sh installs it)"

mkfifo "$T/go"
# read is a shell builtin: the shell waits in it without forking
start_target sh -c 'echo ready; read x < "$1"; exec /usr/bin/python3 "$2"' sh "$T/go" \
	"$srcdir/tests/data/python/exec_target.py"
start_memspy --children -d 6 --sample-bytes 65536 -o "$T/out" "$TARGET_PID"
echo go > "$T/go"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
O="$T/out"
cat "$T/memspy.err"
sed -n '1,6p' "$O/report.txt"
grep -q "pid $TARGET_PID runs CPython" "$T/memspy.err" || fail "CPython after the exec not detected"
grep -qE "^ *$TARGET_PID +0 +python3 .*exec'd" "$O/report.txt" ||
	fail "the shell is not listed as python3, exec'd"
grep -qE "^python3-$TARGET_PID;.*exec_script_work \\(exec_target.py:[0-9]+\\)" \
	"$O/cpu.folded" "$O/heap.folded" || fail "no Python frame of the script in cpu or heap.folded"
grep -c 'exec_script_work' "$O/cpu.folded" "$O/heap.folded"
kill -TERM "$TARGET_PID" 2>/dev/null
echo PASS

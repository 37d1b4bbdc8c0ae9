#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Flask case that wall time got wrong: the app of flask_leak.sh under gunicorn,
# loaded by wrk for about 60% of a 20 s run, then idle. The leaking line is still
# suspect #1, judged against the bytes the worker allocated. Then the same app with
# no load at all: no suspect, and the report says there was no work to judge by.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v gunicorn >/dev/null || skip "needs gunicorn (Debian's gunicorn)"
command -v wrk >/dev/null || skip "needs wrk"
/usr/bin/python3 -c 'import flask' 2>/dev/null || skip "needs python3-flask"
APPDIR="$srcdir/tests/data/python"
PORT=$((20000 + ($$ + 7000) % 20000))
want="leak (flask_app.py:$(grep -n '# L:leak$' "$APPDIR/flask_app.py" | cut -d: -f1))"

# gunicorn NAME: a one-worker app; sets MASTER, WORKER, PORT
gunicorn_app() {
	PORT=$(free_port $((PORT + 1))) || fail "no free loopback port"
	gunicorn -w 1 -k sync -b "127.0.0.1:$PORT" --chdir "$APPDIR" flask_app:app \
		> "$T/gunicorn-$1.out" 2> "$T/gunicorn-$1.err" &
	MASTER=$!
	PIDS="$PIDS $MASTER"
	wait_for "$T/gunicorn-$1.err" 'Booting worker with pid' 20
	WORKER=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$T/gunicorn-$1.err" | head -1)
	[ -n "$WORKER" ] || fail "no gunicorn worker"
}

# load for 15 s from 3 s before attaching (the worker warms up first): about 12 s
# of the 20 s run
gunicorn_app idle-after
timeout 40 wrk -t1 -c2 -d 15s -s "$APPDIR/flask_mix.lua" "http://127.0.0.1:$PORT" -- leak 10 \
	> "$T/wrk.out" 2>&1 &
WRK=$!
PIDS="$PIDS $WRK"
sleep 3
start_memspy -d 20 -o "$T/load" "$WORKER"
wait_exit "$MEMSPY_PID" 80
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
wait "$WRK" 2>/dev/null
grep -E 'Requests/sec' "$T/wrk.out"
kill -TERM "$MASTER"
R="$T/load/report.txt"
grep -A1 -E '^  load  ' "$R"
sed -n '/== leak suspects ==/,/^$/p' "$R" | head -8
first=$(sed -n '/== leak suspects ==/,/^$/p' "$R" | grep -m1 '^ *#1 ')
echo "$first" | grep -qF "#1 $want" || fail "load then idle: first suspect is not $want: $first"
grep -qE '^  load  +1[0-9]\.[0-9] s of' "$R" || grep -qE '^  load  +[5-9]\.[0-9] s of' "$R" ||
	fail "load then idle: the load line is off: $(grep -E '^  load' "$R")"

gunicorn_app no-load
start_memspy -d 8 -o "$T/none" "$WORKER"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "no load: memspy exited $EXIT_STATUS"; }
kill -TERM "$MASTER"
SUS=$(sed -n '/== leak suspects ==/,/^== /p' "$T/none/report.txt")
echo "$SUS"
echo "$SUS" | grep -q 'no work to judge by' || fail "no load: the report does not say so"
echo "$SUS" | grep -qE '^ *#[0-9]+ ' && fail "no load: suspects without work"
echo PASS

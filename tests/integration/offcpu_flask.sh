#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --off-cpu on a Flask view under gunicorn that waits 50 ms per request for a slow
# local backend on a socket: in wall.folded the worker's wait is under the view's
# own Python line, recv(), with the socket/pipe reason as the leaf, and it is most
# of the worker's wall time; the report's top wait is that one.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v gunicorn >/dev/null || skip "needs gunicorn (Debian's gunicorn)"
command -v wrk >/dev/null || skip "needs wrk"
/usr/bin/python3 -c 'import flask' 2>/dev/null || skip "needs python3-flask"
APPDIR="$srcdir/tests/data/python"
line=$(grep -n '# L:wait$' "$APPDIR/flask_slow.py" | cut -d: -f1)
want="slow (flask_slow.py:$line)"

BPORT=$(free_port $((20000 + ($$ + 9000) % 20000))) || fail "no free loopback port"
/usr/bin/python3 "$APPDIR/slow_backend.py" "$BPORT" > "$T/backend.out" 2>&1 &
PIDS="$PIDS $!"
wait_for "$T/backend.out" '^ready' 10
PORT=$(free_port $((BPORT + 1))) || fail "no free loopback port"
SLOW_BACKEND_PORT=$BPORT gunicorn -w 1 -k sync -b "127.0.0.1:$PORT" --chdir "$APPDIR" \
	flask_slow:app > "$T/gunicorn.out" 2> "$T/gunicorn.err" &
MASTER=$!
PIDS="$PIDS $MASTER"
wait_for "$T/gunicorn.err" 'Booting worker with pid' 20
WORKER=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$T/gunicorn.err" | head -1)
[ -n "$WORKER" ] || fail "no gunicorn worker"
curl -sf "http://127.0.0.1:$PORT/slow" | grep -q 'backend said ok' || fail "the view does not answer"

start_memspy --off-cpu --no-heap -q -o "$T/out" "$WORKER" -- \
	wrk -t1 -c1 -d 5s "http://127.0.0.1:$PORT/slow"
wait_exit "$MEMSPY_PID" 60
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
kill -TERM "$MASTER"
grep -E 'Requests/sec' "$T/memspy.err"
sed -n '/^== top waits ==/,/^== rss ==/p' "$T/out/report.txt" | head -8
w=$T/out/wall.folded
all=$(folded_value "$w" '^[^[]')
waited=$(folded_value "$w" "slow \\(flask_slow\\.py:$line\\);.*\\[off-cpu: socket/pipe\\] ")
echo "wall: $all us, waiting under '$want': $waited us"
[ "$waited" -gt 0 ] || fail "no socket wait under '$want' in $w"
[ $((waited * 100)) -ge $((all * 50)) ] ||
	fail "the socket wait is only $waited of $all us of wall time"
top=$(sed -n '/^== top waits ==/,/^== rss ==/p' "$T/out/report.txt" | sed -n 3,4p)
echo "$top" | grep -q 'socket/pipe' || fail "the top wait is not the socket: $top"
echo "$top" | grep -qF "$want" || fail "the top wait is not under '$want': $top"
echo PASS

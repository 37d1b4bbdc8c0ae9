#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Flask scenario (issue 6): a Flask app under gunicorn (sync worker, loopback),
# loaded by wrk mixing list users : one user : leak = 1 : 4 : 3. memspy attached to
# the worker for 20 s names the leaking view function with its file and line as the
# first leak suspect and as the widest Python frame of heap.folded and rss.folded;
# the transient endpoints are not suspects. The leak is found again with memspy
# attached to the gunicorn master with --children: in the worker's own directory,
# and under name-WORKER in the merged files. Then a cache dict that grows without
# bound (`cache[page] = ...` for random pages): the first suspect is the line that
# stores into it, from the dict's length read each second and its module's bytecode.
# Its small objects come from pymalloc: the in-process sampler sees them through
# CPython's allocator domains (issue 15), so the storing line is also the widest
# Python frame of heap.folded. Not of rss.folded: the faults on new pages name
# whichever endpoint first touches a fresh pool (the JSON encoder, mostly), so
# that check is for the list leak only, whose own allocations dominate.
# The report must count the worker's copy-on-write faults apart from new pages.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${DURATION:=20}"
command -v gunicorn >/dev/null || skip "needs gunicorn (Debian's gunicorn)"
command -v wrk >/dev/null || skip "needs wrk"
/usr/bin/python3 -c 'import flask' 2>/dev/null || skip "needs python3-flask"
APPDIR="$srcdir/tests/data/python"
PORT=$((20000 + $$ % 20000))

line_of() { grep -n "# L:$1\$" "$APPDIR/flask_app.py" | cut -d: -f1; }

# scenario MODE FUNCTION MARK [children]
scenario() {
	mode=$1 fn=$2 want="$2 (flask_app.py:$(line_of "$3"))" out="$T/$1"
	PORT=$(free_port $((PORT + 1))) || fail "no free loopback port"
	gunicorn -w 1 -k sync -b "127.0.0.1:$PORT" --chdir "$APPDIR" flask_app:app \
		> "$T/gunicorn-$mode.out" 2> "$T/gunicorn-$mode.err" &
	MASTER=$!
	PIDS="$PIDS $MASTER"
	wait_for "$T/gunicorn-$mode.err" 'Booting worker with pid' 20
	WORKER=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$T/gunicorn-$mode.err" | head -1)
	[ -n "$WORKER" ] || fail "no gunicorn worker"
	# load first, so the worker has warmed up (imports, first requests) before attaching
	timeout $((DURATION + 20)) wrk -t1 -c2 -d $((DURATION + 8))s -s "$APPDIR/flask_mix.lua" \
		"http://127.0.0.1:$PORT" -- "$mode" 10 > "$T/wrk-$mode.out" 2>&1 &
	WRK=$!
	PIDS="$PIDS $WRK"
	sleep 3
	if [ "$4" = children ]; then
		out="$T/$mode-children"
		start_memspy --children -d "$DURATION" -o "$out" "$MASTER"
	else
		# the cache grows ~12 KiB/s (70 entries of ~174 B): at the default
		# mean of 512 KiB its 20 s of growth would get a sample one run in
		# three; at 16 KiB, about fifteen
		opt=""
		[ "$mode" = cache ] && opt="--sample-bytes 16K"
		start_memspy -d "$DURATION" $opt -o "$out" "$WORKER"
	fi
	wait_exit "$MEMSPY_PID" $((DURATION + 60))
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	wait "$WRK" 2>/dev/null
	grep -E 'Requests/sec|Non-2xx|Socket errors' "$T/wrk-$mode.out"
	kill -TERM "$MASTER"
	D="$out"
	if [ "$4" = children ]; then
		D="$out/$WORKER"
		grep -q "^ *$WORKER  *$MASTER " "$out/report.txt" ||
			fail "children: worker $WORKER not listed: $(head -5 "$out/report.txt")"
		grep -qE "^[^;]*-$WORKER;.*$fn \\(flask_app" "$out/heap.folded" ||
			fail "children: no $fn under the worker in the merged heap.folded"
		grep -vqE '^[^;]*-[0-9]+;' "$out/heap.folded" &&
			fail "children: merged line without a process root"
	fi
	R="$D/report.txt"
	# events the rings had no room for (a loaded machine): a lost free leaves
	# a transient block live, a lost allocation thins a tower
	grep -E '^ *(samples|lost allocations|lost frees) ' "$R"
	sed -n '/== leak suspects ==/,/^$/p' "$R" | head -8
	first=$(sed -n '/== leak suspects ==/,/^$/p' "$R" | grep -m1 '^ *#1 ')
	echo "$first" | grep -qF "#1 $want" || fail "$mode: first suspect is not $want: $first"
	if sed -n '/== leak suspects ==/,/^== /p' "$R" | grep -E 'list_users|one_user|make_user'; then
		fail "$mode: a transient endpoint is a leak suspect"
	fi
	container=$(sed -n '/== leak suspects ==/,/^== /p' "$R" | grep -m1 -E 'the (dict|list) flask_app\.')
	case "$mode:$container" in
	leak:*"the list flask_app.leaked grew"*) ;;
	cache:*"the dict flask_app.cache grew"*) ;;
	*) fail "$mode: the growing module-level container is not named: $container" ;;
	esac
	[ "$4" = children ] || grep -qE '^  copy-on-write  +[0-9]+ faults on present pages' "$R" ||
		fail "$mode: no copy-on-write line in the rss section: $(sed -n '/== rss ==/,/^$/p' "$R")"
	profs="heap rss"
	[ "$mode" = leak ] || profs=heap
	for prof in $profs; do
		python3 - "$D/$prof.folded" "$want" <<'PY' || fail "$mode: $prof.folded widest Python frame"
import sys
path, want = sys.argv[1:]
width = {}
for line in open(path):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    app = [f for f in stack.split(";") if "(flask_app.py:" in f]
    if app:  # each stack counts once, for its innermost frame of the app
        width[app[-1]] = width.get(app[-1], 0) + int(n)
top = sorted(width.items(), key=lambda kv: -kv[1])
print("%s: %s" % (path.rsplit("/", 1)[1], ", ".join("%s %d" % kv for kv in top[:3])))
assert top and top[0][0] == want, "widest is %s, not %s" % (top[0][0] if top else None, want)
PY
	done
}

scenario leak leak leak
scenario leak leak leak children
scenario cache page cache
echo "PASS"

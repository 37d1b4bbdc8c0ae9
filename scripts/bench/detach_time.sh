#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# How long memspy takes to attach and to stop, on targets under load: Debian's
# redis-server (jemalloc, unix socket, redis-benchmark SETs) and the Flask app of
# tests/data/python under gunicorn with 2 sync workers (wrk with the test's Lua
# mix), attached to one worker and to the master with --children. Attach time runs
# from memspy's start to its "attached" line; detach time from SIGINT to memspy's
# exit with report.txt written. Prints one line per target with the heap probes
# and the median of ROUNDS runs.
# Run as root from the build directory: scripts/bench/detach_time.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
APPDIR="$HERE/../../tests/data/python"
MEMSPY=${MEMSPY:-$(pwd)/memspy}
W=$(mktemp -d /tmp/memspy-detachbench.XXXXXX)
KILL=""
cleanup() {
	for p in $KILL; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.2
	rm -rf "$W"
}
trap cleanup EXIT
[ -x "$MEMSPY" ] || { echo "detach_time: no memspy at $MEMSPY (run from the build dir or set MEMSPY)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "detach_time: run as root" >&2; exit 1; }
for c in redis-server redis-benchmark gunicorn wrk; do
	command -v $c >/dev/null || { echo "detach_time: needs $c" >&2; exit 1; }
done

now() { date +%s.%N; }
# median: of the space-separated numbers on stdin
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }

# wait_line FILE PATTERN PID: until FILE has PATTERN; fails if PID exits first
wait_line() {
	while ! grep -qi -- "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || { cat "$1" >&2; exit 1; }
		sleep 0.01
	done
}

# measure NAME ARGS...: ROUNDS runs of memspy attach ARGS; prints the line
measure() {
	local name=$1 t0 t1 t2 t3 ms probes="" att="" det=""
	shift
	for _ in $(seq "$ROUNDS"); do
		rm -rf "$W/out"
		: > "$W/ms.err" # the last round's line must not pass for this one's
		t0=$(now)
		"$MEMSPY" attach -o "$W/out" "$@" > /dev/null 2> "$W/ms.err" &
		ms=$!
		wait_line "$W/ms.err" 'attached to pid' $ms
		t1=$(now)
		sleep "$SECS"
		t2=$(now)
		kill -INT $ms
		wait $ms || { cat "$W/ms.err" >&2; exit 1; }
		t3=$(now)
		[ -s "$W/out/report.txt" ] || { echo "detach_time: no report.txt" >&2; exit 1; }
		probes=$(sed -n 's/.*: \([0-9]*\) heap probes on.*/\1/p' "$W/ms.err")
		att="$att $(echo "$t1 - $t0" | bc)"
		det="$det $(echo "$t3 - $t2" | bc)"
	done
	printf '%-36s %3s heap probes   attach %5s s   detach %5s s\n' "$name" "$probes" \
		"$(echo "$att" | median)" "$(echo "$det" | median)"
}

redis() {
	local rpid
	mkdir "$W/redis"
	redis-server --port 0 --unixsocket "$W/redis/sock" --save '' --appendonly no \
		--dir "$W/redis" --logfile '' > "$W/redis.log" 2>&1 &
	rpid=$!
	KILL="$KILL $rpid"
	wait_line "$W/redis.log" 'ready to accept' $rpid
	redis-benchmark -s "$W/redis/sock" -q -t set -r 100000 -d 256 -n 1000000000 -l \
		> /dev/null 2>&1 &
	KILL="$KILL $!"
	sleep 1
	measure "redis-server (jemalloc)" $rpid
	kill -TERM $rpid
}

flask() {
	local port=$((30000 + $$ % 20000)) master worker
	while ss -Htan "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 97)); done
	gunicorn -w 2 -k sync -b "127.0.0.1:$port" --chdir "$APPDIR" flask_app:app \
		> "$W/g.out" 2> "$W/g.err" &
	master=$!
	KILL="$KILL $master"
	wait_line "$W/g.err" 'Booting worker with pid' $master
	worker=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$W/g.err" | head -1)
	# the transient endpoints only: the workers do not grow without bound
	wrk -t1 -c4 -d 600s -s "$APPDIR/flask_mix.lua" "http://127.0.0.1:$port" -- none 0 \
		> /dev/null 2>&1 &
	KILL="$KILL $!"
	sleep 2
	measure "gunicorn Flask, 1 of 2 workers" "$worker"
	measure "gunicorn Flask, master --children" --children "$master"
	kill -TERM $master
}

redis
flask

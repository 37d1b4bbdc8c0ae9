#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy's own peak RSS as GNU time reports it (ring buffers included: the kernel
# maps each ring's data twice), against the bounds memspy keeps to: 100 MiB in
# default mode attached to Debian's redis-server under redis-benchmark and to the
# Flask app of tests/data/python (gunicorn, one worker) under wrk, 150 MiB with
# --sample-bytes 1 and a million live blocks tracked.
#
# usage: sudo scripts/bench/memspy_rss.sh [BUILD_DIR]   (default: .)
# Needs root, redis-server, redis-tools, gunicorn, python3-flask, wrk, GNU time
# (Debian package time), cc.
set -u
SRC=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-.}" && pwd)
MEMSPY=$BUILD/memspy
die() { echo "memspy_rss: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root to load BPF programs"
[ -x "$MEMSPY" ] || die "no memspy in $BUILD (give the build directory as argument)"
for t in cc redis-server redis-benchmark gunicorn wrk /usr/bin/time; do
	command -v "$t" > /dev/null || die "$t missing"
done
W=$(mktemp -d "${TMPDIR:-/tmp}/memspy-rss.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2> /dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cc -O2 -g -o "$W/live_blocks" "$SRC/live_blocks.c" || die "cannot build live_blocks"

# peak NAME ARGS...: memspy attach ARGS under GNU time; prints the peak in MiB
peak() {
	name=$1
	shift
	/usr/bin/time -f %M -o "$W/rss.$name" "$MEMSPY" attach -q -o "$W/out.$name" "$@" \
		> /dev/null 2> "$W/err.$name" || { cat "$W/err.$name"; die "memspy failed ($name)"; }
	awk '{ printf "%.1f", $1 / 1024 }' "$W/rss.$name"
}

redis-server --port 0 --unixsocket "$W/redis.sock" --save '' > /dev/null 2>&1 &
RP=$!
PIDS="$PIDS $RP"
i=0
while [ ! -S "$W/redis.sock" ]; do
	i=$((i + 1)); [ $i -le 50 ] || die "redis-server did not start"; sleep 0.1
done
redis-benchmark -s "$W/redis.sock" -t set,get -n 100000000 -q > /dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 1
redis=$(peak redis -d 10 "$RP")
kill -KILL $PIDS 2> /dev/null
PIDS=""

PORT=$((30000 + $$ % 20000))
gunicorn -w 1 -k sync -b "127.0.0.1:$PORT" --chdir "$SRC/../../tests/data/python" flask_app:app \
	> "$W/g.out" 2> "$W/g.err" &
GP=$!
PIDS="$GP"
i=0
while ! grep -q 'Booting worker with pid' "$W/g.err" 2> /dev/null; do
	i=$((i + 1)); [ $i -le 100 ] || die "gunicorn did not start"; sleep 0.1
done
worker=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$W/g.err" | head -1)
flask=$(peak flask -d 10 "$worker" -- wrk -t1 -c2 -d 8s -s "$SRC/../../tests/data/python/flask_mix.lua" \
	"http://127.0.0.1:$PORT" -- leak 0)
kill -TERM $PIDS 2> /dev/null
sleep 0.5
PIDS=""

"$W/live_blocks" 1000000 8 > "$W/live.out" &
LP=$!
PIDS="$LP"
live=$(peak live --sample-bytes 1 -d 18 "$LP")
tracked=$(awk '/^  live / { print $2 }' "$W/out.live/report.txt")
lost=$(awk '/^  lost (allocations|frees) / { n += $3 } END { print n + 0 }' "$W/out.live/report.txt")

echo "memspy peak RSS, $(nproc) CPUs, Linux $(uname -r):"
printf "  default mode, redis-server under redis-benchmark:  %6s MiB  (bound 100)\n" "$redis"
printf "  default mode, gunicorn Flask worker under wrk:     %6s MiB  (bound 100)\n" "$flask"
printf "  --sample-bytes 1, 1 M live blocks of 32 B:         %6s MiB  (bound 150; %s B live tracked, %s allocations and frees lost)\n" \
	"$live" "$tracked" "$lost"

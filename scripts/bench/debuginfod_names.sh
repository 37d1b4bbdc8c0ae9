#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Time to a report whose frames are named, for a stripped target whose debug file
# only a debuginfod server has: the leaky test target stripped to its build-id,
# its debug file served by Debian's debuginfod on loopback. memspy attaches for
# SECONDS (-d) while the target leaks; the figure is the wall time from
# memspy's start to its exit with report.txt written, its leak named, with a cold
# client cache (emptied before each round), a warm one, and without debuginfod
# (the frames then stay addresses), plus the fetch time the report gives.
# Prints the median of ROUNDS runs of each.
# Run as root from the build directory: scripts/bench/debuginfod_names.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-5}
SECS=${2:-1}
MEMSPY=${MEMSPY:-$(pwd)/memspy}
LEAKY=${LEAKY:-$(pwd)/tests/targets/leaky}
W=$(mktemp -d /tmp/memspy-dbgbench.XXXXXX)
KILL=""
cleanup() {
	for p in $KILL; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.2
	rm -rf "$W"
}
trap cleanup EXIT
[ -x "$MEMSPY" ] && [ -x "$LEAKY" ] ||
	{ echo "debuginfod_names: run from the build directory after make check" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "debuginfod_names: run as root" >&2; exit 1; }
command -v debuginfod >/dev/null || { echo "debuginfod_names: needs debuginfod" >&2; exit 1; }
unset DEBUGINFOD_URLS

mkdir -p "$W/srv"
cp "$LEAKY" "$W/leaky"
objcopy --only-keep-debug "$W/leaky" "$W/srv/leaky.debug"
objcopy --strip-all "$W/leaky"
ID=$(readelf -n "$W/leaky" | sed -n 's/.*Build ID: *//p')
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
debuginfod -F -p "$PORT" -d "$W/db.sqlite" -t 0 -g 0 "$W/srv" > "$W/server.log" 2>&1 &
KILL="$KILL $!"
python3 - "$URL/buildid/$ID/debuginfo" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("debuginfod_names: the server did not index the debug file")
PY

now() { date +%s.%N; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }

# one_run MODE: prints "wall fetch" for one attach; fails when names are wrong
one_run() {
	local args=() t0 t1 tp mp fetch
	case $1 in
	cold) rm -rf "$W/cache"; args=(--debuginfod="$URL") ;;
	warm) args=(--debuginfod="$URL") ;;
	none) ;;
	esac
	"$W/leaky" exact > "$W/target.out" 2>&1 &
	tp=$!
	while ! grep -q ready "$W/target.out"; do sleep 0.01; done
	rm -rf "$W/out"
	: > "$W/memspy.err"
	t0=$(now)
	DEBUGINFOD_CACHE_PATH="$W/cache" "$MEMSPY" attach -q --sample-bytes 1 --no-cpu --no-rss \
		-d "$SECS" -o "$W/out" "${args[@]}" "$tp" 2> "$W/memspy.err" &
	mp=$!
	while ! grep -q attached "$W/memspy.err"; do sleep 0.01; done
	kill -USR1 "$tp"
	wait "$mp"
	t1=$(now)
	kill "$tp"
	wait "$tp" 2>/dev/null || true
	if [ "$1" = none ]; then
		grep -q 'leak_d' "$W/out/heap.folded" && { echo "names without debug info" >&2; exit 1; }
		fetch=0
	else
		grep -q ';leak_a;leak_b;leak_c;leak_d 1019900$' "$W/out/heap.folded" ||
			{ echo "$1: leak not named" >&2; cat "$W/out/report.txt" >&2; exit 1; }
		fetch=$(sed -n 's/.*debuginfo in \([0-9.]*\) s$/\1/p' "$W/out/report.txt")
		fetch=${fetch:-0}
	fi
	echo "$(echo "$t1 - $t0" | bc) $fetch"
}

echo "debuginfod_names: leaky stripped, debug file $(stat -c %s "$W/srv/leaky.debug") bytes," \
	"-d $SECS, median of $ROUNDS rounds"
one_run cold > /dev/null # the cache primed for warm, the page cache for all
for mode in none cold warm; do
	walls="" fetches=""
	for _ in $(seq "$ROUNDS"); do
		read -r wall fetch < <(one_run "$mode")
		walls="$walls $wall"
		fetches="$fetches $fetch"
	done
	printf "  %-5s report written %s s after start (-d %s s), fetch %s s\n" "$mode" \
		"$(echo "$walls" | median)" "$SECS" "$(echo "$fetches" | median)"
done

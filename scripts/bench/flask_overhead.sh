#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Flask app of tests/data/python (gunicorn, one sync worker, 127.0.0.1) under
# wrk with the test's Lua mix (list users : one user : leak = 1 : 4 : 3, no delay):
# requests/s bare, with memspy attached to the worker (default mode), with
# --no-rss, and in default mode plus --off-cpu. Every measurement starts a fresh
# gunicorn (the leak endpoint grows the worker by hundreds of MB a second) and
# warms it for 2 s first.
# This VM's speed drifts by 5-10% over a minute, more than the overhead measured,
# so each memspy run sits between two bare runs (bare, mode 1, bare, mode 2, bare,
# ...) and its ratio is to the mean of those two, the modes' order turning by one
# each round (run a multiple of 3 rounds); every gunicorn gets the same
# PYTHONHASHSEED, so its dicts lay out alike from run to run. Prints each run,
# then per mode the median requests/s, the worker's median CPU use during wrk's
# run (under 100% by what other threads took of its CPU, memspy's among them)
# and CPU time a request (what memspy's probes and sampler add to its own work),
# the median ratio and the ratios' spread.
# Run as root from the build directory: [MODES=...] scripts/bench/flask_overhead.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-6}
SECS=${2:-6}
HERE=$(cd "$(dirname "$0")" && pwd)
APPDIR="$HERE/../../tests/data/python"
MEMSPY=${MEMSPY:-$(pwd)/memspy}
W=$(mktemp -d /tmp/memspy-flaskbench.XXXXXX)
MASTER=""
cleanup() {
	[ -n "$MASTER" ] && kill -TERM "$MASTER" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
[ -x "$MEMSPY" ] || { echo "flask_overhead: no memspy at $MEMSPY (run from the build dir or set MEMSPY)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "flask_overhead: run as root" >&2; exit 1; }
for c in gunicorn wrk; do
	command -v $c >/dev/null || { echo "flask_overhead: needs $c" >&2; exit 1; }
done
PORT=$((30000 + $$ % 20000))
export PYTHONHASHSEED=${PYTHONHASHSEED:-0}

# cpu_ns PID: the CPU time PID's threads ran, in ns (their schedstat)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }

# run MODE N: fresh gunicorn on port PORT+N, warm-up, attach memspy in MODE, wrk;
# prints requests/s (run is called in $(...): a new port each time, as the last
# one may still be closing)
run() {
	local mode=$1 prof="" worker rps
	PORT=$((PORT + $2))
	while ss -Htan "sport = :$PORT" 2>/dev/null | grep -q .; do PORT=$((PORT + 97)); done
	# emptied here: the background job's own redirection may come after the
	# loop below has read the last run's boot line
	: > "$W/g.err"
	gunicorn -w 1 -k sync -b "127.0.0.1:$PORT" --chdir "$APPDIR" flask_app:app \
		> "$W/g.out" 2> "$W/g.err" &
	MASTER=$!
	while ! grep -q 'Booting worker with pid: [0-9]' "$W/g.err" 2>/dev/null; do
		kill -0 "$MASTER" 2>/dev/null || { cat "$W/g.err" >&2; exit 1; }
		sleep 0.05
	done
	worker=$(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$W/g.err" | head -1)
	[ -n "$worker" ] || { echo "flask_overhead: no worker pid in:" >&2; cat "$W/g.err" >&2; exit 1; }
	timeout 10 wrk -t1 -c2 -d 2s -s "$APPDIR/flask_mix.lua" "http://127.0.0.1:$PORT" \
		-- leak 0 > /dev/null 2>&1
	case $mode in
	bare) ;;
	memspy|no-rss|off-cpu|normal-priority)
		local extra=""
		[ "$mode" = no-rss ] && extra=--no-rss
		[ "$mode" = off-cpu ] && extra=--off-cpu
		[ "$mode" = normal-priority ] && extra=--normal-priority
		# emptied here, as g.err above: the last run's "attached to" would
		# start wrk while this memspy still loads its BPF and injects
		: > "$W/ms.err"
		"$MEMSPY" attach -q $extra -o "$W/ms" "$worker" > /dev/null 2> "$W/ms.err" &
		prof=$!
		while ! grep -q 'attached to' "$W/ms.err" 2>/dev/null; do
			kill -0 "$prof" 2>/dev/null || { cat "$W/ms.err" >&2; exit 1; }
			sleep 0.05
		done ;;
	esac
	local c0 t0
	c0=$(cpu_ns "$worker")
	t0=$(date +%s%N)
	rps=$(timeout $((SECS + 10)) wrk -t1 -c2 -d "${SECS}s" -s "$APPDIR/flask_mix.lua" \
		"http://127.0.0.1:$PORT" -- leak 0 | awk '/Requests\/sec/ {print $2}')
	# the worker's CPU time over the wall time of wrk's run (100: one CPU
	# throughout): what it lost to other threads on its CPU (memspy's among them)
	# shows here; and its CPU time per request, what its own work costs it
	awk -v c0="$c0" -v c1="$(cpu_ns "$worker")" -v t0="$t0" -v t1="$(date +%s%N)" -v r="${rps:-0}" \
		-v f="$W/req.last" 'BEGIN {printf "%.2f\n", (c1 - c0) / (t1 - t0) * 100
			printf "%.1f\n", (r > 0 ? (c1 - c0) / 1000 / (r * (t1 - t0) / 1e9) : 0) > f}' \
		> "$W/cpu.last"
	if [ -n "$prof" ]; then
		kill -INT "$prof"
		wait "$prof" || true
		rm -rf "$W/ms"
	fi
	kill -TERM "$MASTER"
	wait "$MASTER" 2>/dev/null || true
	MASTER=""
	echo "${rps:-0}"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# MODES="memspy" (or any of the modes) measures only those: more rounds of one
# mode in the same time; normal-priority (the default mode with
# --normal-priority) is measured only when asked for
MODES=${MODES:-"memspy no-rss off-cpu"}
for m in $MODES; do
	case $m in
	memspy | no-rss | off-cpu | normal-priority) ;;
	*) echo "flask_overhead: no mode '$m' (memspy, no-rss, off-cpu, normal-priority)" >&2; exit 1 ;;
	esac
done
n=0
echo "flask_overhead: $ROUNDS rounds of $SECS s per mode, wrk -t1 -c2, each mode between two bare runs"
n=$((n + 1))
prev=$(run bare "$n")
echo "$prev" >> "$W/bare"
cat "$W/cpu.last" >> "$W/bare.cpu"
cat "$W/req.last" >> "$W/bare.req"
for r in $(seq "$ROUNDS"); do
	line="round $r: bare $prev"
	# the modes take turns in each place of the round: three runs of 8 or 16
	# rounds in a fixed order put default plus --off-cpu, which does more, 2
	# points above the default mode every time
	order=$(echo $MODES | awk -v r="$r" '{for (i = 0; i < NF; i++) printf "%s ", $((i + r - 1) % NF + 1)}')
	for m in $order; do
		n=$((n + 1))
		v=$(run "$m" "$n")
		cat "$W/cpu.last" >> "$W/$m.cpu"
		cat "$W/req.last" >> "$W/$m.req"
		n=$((n + 1))
		b=$(run bare "$n")
		cat "$W/cpu.last" >> "$W/bare.cpu"
		cat "$W/req.last" >> "$W/bare.req"
		echo "$v" >> "$W/$m"
		echo "$b" >> "$W/bare"
		awk -v v="$v" -v a="$prev" -v b="$b" 'BEGIN {if (a + b > 0) print 2 * v / (a + b)}' \
			>> "$W/$m.ratios"
		line="$line $m $v bare $b"
		prev=$b
	done
	echo "$line"
done
awk -v v="$(median < "$W/bare")" -v c="$(median < "$W/bare.cpu")" -v u="$(median < "$W/bare.req")" \
	'BEGIN {printf "%-8s median %8.1f requests/s  worker CPU %.1f%%, %.0f us a request\n", "bare", v, c, u}'
for m in $MODES; do
	med=$(median < "$W/$m")
	ratio=$(median < "$W/$m.ratios")
	spread=$(sort -n "$W/$m.ratios" | awk '{a[NR] = $1} END {
		q1 = a[int((NR + 3) / 4)]; q3 = a[NR + 1 - int((NR + 3) / 4)]
		printf "%.3f-%.3f, middle half %.3f-%.3f", a[1], a[NR], q1, q3}')
	awk -v m="$m" -v v="$med" -v q="$ratio" -v s="$spread" -v c="$(median < "$W/$m.cpu")" \
		-v u="$(median < "$W/$m.req")" \
		'BEGIN {printf "%-8s median %8.1f requests/s  worker CPU %.1f%%, %.0f us a request  median ratio to bare %.3f (%s)\n", m, v, c, u, q, s}'
done

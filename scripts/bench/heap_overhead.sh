#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What attaching memspy costs the target: a malloc-heavy loop and Debian's
# redis-server under redis-benchmark (plain, and pipelined -P 16 so the server is
# the bottleneck), each bare, under `memspy attach` (default sampling and
# --sample-bytes 1) and under empty probes on the same entry points (the
# trap-only floor), alternating in one run; medians over several rounds, with
# their spread. Default mode is the in-process sampler when memspy can install it
# (the summary says which ran); "uprobe" is --no-inject, the probes on the allocator.
#
# usage: sudo scripts/bench/heap_overhead.sh [BUILD_DIR]   (default: .)
#        QUICK=1 for a shorter run; ROUNDS=N and WINDOW=SECS override.
# Needs root, a build of memspy in BUILD_DIR (memspy, libmemspy.a, bpf/vmlinux.h),
# clang, bpftool, redis-server and redis-tools, GNU time (Debian package time).
set -u

SRC=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-.}" && pwd)
if [ -n "${QUICK:-}" ]; then
	: "${ROUNDS:=2}" "${WINDOW:=2}"
else
	: "${ROUNDS:=8}" "${WINDOW:=3}"
fi
MEMSPY=$BUILD/memspy
REDIS=/usr/bin/redis-server
MODES="bare default uprobe all floor"
WORKLOADS="malloc redis redis_p16"

die() {
	echo "heap_overhead: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root to load BPF programs"
[ -x "$MEMSPY" ] || die "no memspy in $BUILD (give the build directory as argument)"
for f in libmemspy.a bpf/vmlinux.h; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f missing: build memspy first"
done
for t in clang bpftool cc redis-benchmark redis-cli /usr/bin/time "$REDIS"; do
	command -v "$t" > /dev/null || die "$t missing"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/memspy-bench.XXXXXX")
CHILDREN=""
cleanup() {
	for p in $CHILDREN; do kill -TERM "$p" 2> /dev/null; done
	sleep 0.3
	for p in $CHILDREN; do kill -KILL "$p" 2> /dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
cc -O2 -g -Wall -o "$W/malloc_loop" "$SRC/malloc_loop.c" || die "cannot build malloc_loop"
clang -g -O2 -target bpf -I"$BUILD/bpf" -c "$SRC/floor.bpf.c" -o "$W/floor.bpf.o" &&
	bpftool gen skeleton "$W/floor.bpf.o" name floor > "$W/floor.skel.h" &&
	cc -O2 -g -Wall -D_GNU_SOURCE -I"$W" -I"$SRC/../../src" -I"$SRC/../../include" \
		-o "$W/floor" "$SRC/floor.c" "$BUILD/libmemspy.a" -lbpf -ldw -lelf -lz ||
	die "cannot build the floor loader"

now() { date +%s.%N; }

# wait_line FILE PATTERN SECS
wait_line() {
	local i=0
	while ! grep -q -- "$2" "$1" 2> /dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 10)) ] || return 1
		sleep 0.1
	done
}

# wait_gone PID SECS: wait for a child, killing it if it overstays.
wait_gone() {
	local i=0
	while kill -0 "$1" 2> /dev/null; do
		i=$((i + 1))
		if [ $i -gt $(($2 * 10)) ]; then
			echo "heap_overhead: pid $1 did not exit; killing it" >&2
			kill -KILL "$1" 2> /dev/null
		fi
		sleep 0.1
	done
	wait "$1" 2> /dev/null
}

# attach MODE PID TAG: sets AGENT (pid to signal) and AGENT_WAIT (pid to wait for).
attach() {
	AGENT=""
	AGENT_WAIT=""
	# a stale file would let wait_line see the previous agent's line
	rm -f "$W/agent.err"
	case $1 in
	bare) return 0 ;;
	floor)
		"$W/floor" "$2" 2> "$W/agent.err" &
		AGENT=$!
		AGENT_WAIT=$AGENT
		;;
	default | uprobe | all)
		local opt=""
		[ "$1" = all ] && opt="--sample-bytes 1"
		[ "$1" = uprobe ] && opt="--no-inject"
		# GNU time reports memspy's peak RSS (KiB) once it exits.
		/usr/bin/time -f %M -o "$W/rss.$3" "$MEMSPY" attach -q $opt -o "$W/out.$3" "$2" \
			> /dev/null 2> "$W/agent.err" &
		AGENT_WAIT=$!
		local i=0
		while [ -z "$AGENT" ] && [ $i -lt 50 ]; do
			AGENT=$(ps -o pid= --ppid "$AGENT_WAIT" | tr -d ' ')
			i=$((i + 1))
			[ -n "$AGENT" ] || sleep 0.1
		done
		;;
	esac
	CHILDREN="$CHILDREN $AGENT_WAIT"
	wait_line "$W/agent.err" 'attached to pid' 60 || {
		cat "$W/agent.err" >&2
		die "$1 did not attach"
	}
	# what default mode really ran, for the summary
	if [ "$1" = default ]; then
		if grep -q 'in-process sampler' "$W/agent.err"; then
			echo "in-process sampler" > "$W/default.mode"
		else
			sed -n 's/.*heap: uprobes on the allocator: \(.*\)/uprobes (\1)/p' "$W/agent.err" \
				> "$W/default.mode"
		fi
	fi
}

detach() {
	[ -n "$AGENT_WAIT" ] || return 0
	kill -INT "$AGENT" 2> /dev/null
	wait_gone "$AGENT_WAIT" 120
	grep -qiE 'error|cannot|fail' "$W/agent.err" && { echo "--- agent:" >&2; cat "$W/agent.err" >&2; }
	return 0
}

# ---------------------------------------------------------------- malloc loop
# run_malloc MODE TAG: prints malloc+free pairs per second.
run_malloc() {
	rm -f "$W/ml.out"
	"$W/malloc_loop" "$WINDOW" > "$W/ml.out" 2>&1 &
	local tp=$!
	CHILDREN="$CHILDREN $tp"
	wait_line "$W/ml.out" '^ready' 10 || die "malloc_loop did not start"
	attach "$1" $tp "$2"
	kill -USR1 $tp
	wait_gone $tp $((WINDOW * 10 + 30))
	detach
	sed -n 's/^ops_per_s \([0-9]*\).*/\1/p' "$W/ml.out"
}

# ---------------------------------------------------------------- redis
REDIS_PORT=""
for p in 16380 16480 16580 16680; do
	mkdir -p "$W/redis"
	"$REDIS" --port $p --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$W/redis" --logfile '' > "$W/redis.log" 2>&1 &
	REDIS_PID=$!
	if wait_line "$W/redis.log" 'Ready to accept' 10 && kill -0 $REDIS_PID 2> /dev/null; then
		REDIS_PORT=$p
		CHILDREN="$CHILDREN $REDIS_PID"
		break
	fi
	kill -KILL $REDIS_PID 2> /dev/null
done
[ -n "$REDIS_PORT" ] || die "redis-server did not start"
BENCH="redis-benchmark -p $REDIS_PORT -q -t set -r 100000 -d 256"
# Fill the key space first, so measured SETs replace values: a steady heap with
# one allocation and one free per value.
$BENCH -n 300000 > /dev/null 2>&1 || die "redis-benchmark failed"

commands() {
	redis-cli -p $REDIS_PORT info stats | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p'
}

# redis_window PIPELINE: SETs per second served over WINDOW seconds of load.
redis_window() {
	$BENCH -n 1000000000 -P "$1" > /dev/null 2>&1 &
	local bp=$! c0 c1 t0 t1
	CHILDREN="$CHILDREN $bp"
	sleep 0.5
	c0=$(commands)
	t0=$(now)
	sleep "$WINDOW"
	c1=$(commands)
	t1=$(now)
	kill -TERM $bp 2> /dev/null
	wait_gone $bp 10
	awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f\n", (b - a - 1) / (e - s) }'
}

# run_redis MODE TAG: prints "plain pipelined" SETs per second, one attach for both.
run_redis() {
	attach "$1" $REDIS_PID "$2"
	local a b
	a=$(redis_window 1)
	b=$(redis_window 16)
	detach
	echo "$a $b"
}

# ---------------------------------------------------------------- rounds
echo "memspy heap overhead: $ROUNDS rounds, ${WINDOW}s windows, $(nproc) CPUs, Linux $(uname -r)"
echo "redis-server $($REDIS --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') on 127.0.0.1:$REDIS_PORT; load: $BENCH"
: > "$W/results"
MODE_LIST=($MODES)
NMODES=${#MODE_LIST[@]}
for r in $(seq 1 "$ROUNDS"); do
	# Rotate the order each round so drift does not favour one mode.
	order=""
	for k in $(seq 0 $((NMODES - 1))); do
		order="$order ${MODE_LIST[(r - 1 + k) % NMODES]}"
	done
	for m in $order; do
		v=$(run_malloc "$m" "malloc.$m.$r")
		echo "$r malloc $m $v" >> "$W/results"
		read -r rp rq <<< "$(run_redis "$m" "redis.$m.$r")"
		echo "$r redis $m $rp" >> "$W/results"
		echo "$r redis_p16 $m $rq" >> "$W/results"
		printf 'round %d %-7s malloc %10s pairs/s   redis %8s SET/s   redis -P 16 %8s SET/s\n' \
			"$r" "$m" "$v" "$rp" "$rq"
	done
done

# ---------------------------------------------------------------- summary
for m in default uprobe all; do
	cat "$W"/rss.*."$m".* 2> /dev/null | sort -n | tail -1 > "$W/peak.$m"
done
echo
echo "default mode ran: $(cat "$W/default.mode" 2> /dev/null)"
awk -v peak_default="$(cat "$W/peak.default")" -v peak_uprobe="$(cat "$W/peak.uprobe")" \
	-v peak_all="$(cat "$W/peak.all")" '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function spread(list,   n, a, i, lo, hi) {
	n = split(list, a, " ")
	lo = hi = a[1]
	for (i = 2; i <= n; i++) {
		if (a[i] < lo) lo = a[i]
		if (a[i] > hi) hi = a[i]
	}
	return sprintf("%.3f-%.3f", lo, hi)
}
{ v[$1, $2, $3] = $4; rounds[$1] = 1 }
END {
	nw = split("malloc redis redis_p16", wl, " ")
	title["malloc"] = "malloc loop (pairs/s)"
	title["redis"] = "redis SET (req/s)"
	title["redis_p16"] = "redis SET -P 16 (req/s)"
	nm = split("default uprobe all floor", ms, " ")
	ok = 1
	printf "%-26s %12s %13s %13s %13s %13s\n", "workload", "bare", "default", "uprobe", \
		"sample-bytes 1", "floor"
	for (w = 1; w <= nw; w++) {
		k = wl[w]
		lb = ""
		for (r in rounds) lb = lb " " v[r, k, "bare"]
		bare[k] = median(lb)
		line = sprintf("%-26s %12.0f", title[k], bare[k])
		for (i = 1; i <= nm; i++) {
			m = ms[i]
			# per-round ratio against the same round bare run, then the median
			lr = ""; lt = ""
			for (r in rounds) {
				lr = lr " " v[r, k, m] / v[r, k, "bare"]
				lt = lt " " v[r, k, m]
			}
			ratio[k, m] = median(lr)
			range[k, m] = spread(lr)
			rate[k, m] = median(lt)
			line = line sprintf(" %7.0f %5.3f", rate[k, m], ratio[k, m])
		}
		print line
	}
	print ""
	print "throughput ratio to bare (median of rounds); cost = 1 - ratio;"
	print "added time per operation = 1/rate - 1/bare (from medians)"
	printf "%-26s %-15s %7s %13s %9s %13s %15s\n", "workload", "mode", "ratio", "spread", \
		"cost/floor", "added us/op", "added/floor"
	for (w = 1; w <= nw; w++) {
		k = wl[w]
		fl = 1 - ratio[k, "floor"]
		fa = 1e6 / rate[k, "floor"] - 1e6 / bare[k]
		for (i = 1; i <= nm; i++) {
			m = ms[i]
			c = 1 - ratio[k, m]
			a = 1e6 / rate[k, m] - 1e6 / bare[k]
			printf "%-26s %-15s %7.3f %13s %9.2fx %13.3f %14.2fx\n", title[k], \
				(m == "all" ? "sample-bytes 1" : m), ratio[k, m], range[k, m], \
				(fl > 0 ? c / fl : 0), a, (fa > 0 ? a / fa : 0)
		}
	}
	print ""
	printf "memspy peak RSS: default %.1f MiB, uprobe %.1f MiB, --sample-bytes 1 %.1f MiB\n", \
		peak_default / 1024, peak_uprobe / 1024, peak_all / 1024
	print ""
	print "goals (default mode, in-process: issue 14):"
	split("redis redis_p16 malloc", gk, " ")
	goal["redis"] = 0.97; goal["redis_p16"] = 0.9; goal["malloc"] = 0.7
	for (w = 1; w <= 3; w++) {
		k = gk[w]
		g = ratio[k, "default"] >= goal[k]
		ok = ok && g
		printf "  >= %.2f of bare on %-26s %.3f  %s\n", goal[k], title[k] ":", \
			ratio[k, "default"], g ? "met" : "MISSED"
	}
	print "goals (uprobe mode):"
	for (w = 1; w <= nw; w++) {
		k = wl[w]
		fl = 1 - ratio[k, "floor"]
		c = 1 - ratio[k, "uprobe"]
		fa = 1e6 / rate[k, "floor"] - 1e6 / bare[k]
		a = 1e6 / rate[k, "uprobe"] - 1e6 / bare[k]
		g = c <= 1.5 * fl && a <= 1.5 * fa
		ok = ok && g
		printf "  within 1.5x of the floor, %-10s cost %.2fx, time/op %.2fx  %s\n", k, \
			(fl > 0 ? c / fl : 0), (fa > 0 ? a / fa : 0), g ? "met" : "MISSED"
	}
	print ok ? "all goals met" : "some goals missed"
}' "$W/results"

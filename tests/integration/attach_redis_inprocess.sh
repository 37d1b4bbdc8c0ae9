#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's redis-server (jemalloc) under redis-benchmark with the in-process
# sampler: the report says so, jemalloc's slots (the executable's GOT, hiredis's
# allocator table, libc's and the other libraries' GOTs) point into the agent while
# memspy is attached and back after, the sampled estimate of the bytes allocated
# is within 10% of the agent's exact count, the live strings SET stores are found
# as in uprobe mode (attach_redis.sh), and redis serves throughout, its keys intact.
. "$(dirname "$0")/lib.sh"
need_bpf
SLOTS=$(dirname "$TARGETS")/agent_slots
start_redis

commands() { redis-cli -p $PORT info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'; }
# GETs from before the install until after the removal: served throughout, no error
redis-benchmark -p $PORT -q -t get -r 100000 -c 10 -n 1000000000 > "$T/through.out" 2>&1 &
TPID=$!
PIDS="$PIDS $TPID"
sleep 1
c0=$(commands)
# a mean of 64 KiB: thousands of samples, so the estimate holds 10% on every run
start_memspy --sample-bytes 65536 -o "$T/out" "$RPID"
if grep -q 'has no injector' "$T/memspy.err"; then
	kill -TERM "$MEMSPY_PID"
	skip "this build of memspy has no injector (src/inject)"
fi
grep -q 'in-process sampler' "$T/memspy.err" || { cat "$T/memspy.err"; fail "memspy did not attach in-process"; }
timeout -s INT 20 redis-benchmark -p $PORT -q -t set,get,lpush -r 100000 -d 256 -n 200000 \
	> "$T/bench.out" 2>&1 &
BPID=$!
PIDS="$PIDS $BPID"
sleep 2
"$SLOTS" "$RPID" > "$T/slots.during" || fail "cannot list redis's slots"
read -r _ left _ hooked _ other < "$T/slots.during"
echo "while attached: $left slots at jemalloc, $hooked into the agent, $other elsewhere"
[ "$hooked" -gt 0 ] && [ "$left" = 0 ] || fail "slots not switched to the agent: $(cat "$T/slots.during")"
sleep 4
kill -INT "$MEMSPY_PID"
wait_exit "$MEMSPY_PID" 30
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
check_no_probes_left "$MEMSPY_PID"
"$SLOTS" "$RPID" > "$T/slots.after" || fail "cannot list redis's slots"
read -r _ back _ still _ other2 < "$T/slots.after"
echo "after: $back slots at jemalloc, $still into the agent"
[ "$still" = 0 ] && [ "$back" = "$hooked" ] || fail "slots not restored: $(cat "$T/slots.after")"
sleep 1
c1=$(commands)
kill -TERM "$TPID" 2>/dev/null
wait "$TPID" 2>/dev/null
tr '\r' '\n' < "$T/through.out" | grep -iE 'error|refused|reset' && fail "redis-benchmark saw errors through install and removal"
echo "commands served from before the install to after the removal: $((c1 - c0))"
[ $((c1 - c0)) -gt 10000 ] || fail "redis served only $((c1 - c0)) commands through install and removal"
wait $BPID 2>/dev/null
cat "$T/bench.out" | tr '\r' '\n' | grep -v '^ *$' | tail -3

R="$T/out/report.txt"
cat "$R"
grep -Eq '^ *heap +in-process sampler' "$R" || fail "report does not say in-process"
grep -Eq '^ *allocator +[^ ]*/libjemalloc\.so\.2 ' "$R" || fail "report does not name jemalloc"
exact=$(sed -n 's/^ *allocated *[0-9]* calls, \([0-9]*\) B.*/\1/p' "$R")
est=$(awk '{ s += $NF } END { printf "%.0f", s }' "$T/out/alloc.folded")
echo "bytes allocated: exact $exact, estimated $est"
awk -v e="$est" -v t="$exact" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.10) }' ||
	fail "estimate $est of the bytes allocated is not within 10% of the agent's $exact"
F="$T/out/heap.folded"
total=$(folded_value "$F" '.')
strings=$(folded_value "$F" ';(createStringObject|_?sdsnewlen);')
echo "live ~$total B; via createStringObject/sdsnewlen $strings B"
[ "$strings" -ge 1048576 ] || fail "only $strings B live through createStringObject/sdsnewlen"
whole=$(folded_value "$F" '^_start;(.*;)?main;')
awk -v w="$whole" -v t="$total" 'BEGIN { exit !(w >= 0.8 * t) }' ||
	fail "only $whole of $total live bytes on stacks from _start through main"
grep -q 'ms_hook_' "$F" && fail "an agent frame shows in heap.folded"

[ "$(redis-cli -p $PORT ping)" = PONG ] || fail "redis-server stopped answering after memspy"
[ "$(redis-cli -p $PORT dbsize)" -gt 0 ] || fail "redis-server lost its keys"
echo PASS

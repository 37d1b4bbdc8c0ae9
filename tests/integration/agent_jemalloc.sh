#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent's self-test (tests/agent_selftest.c) with jemalloc preloaded, as
# Debian's redis-server uses it: the allocator then defines the C++ operators
# itself, so the throwing operator new goes through the agent's tail-jumping hook.
. "$(dirname "$0")/lib.sh"
: "${MEMSPY_AGENT:=$(pwd)/src/agent/memspy-agent.so}"
SELFTEST=$(dirname "$TARGETS")/agent_selftest
[ "$(id -u)" = 0 ] || skip "needs root to read /proc/self/map_files"
JE=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2> /dev/null) ||
	skip "libjemalloc2 is not installed"

LD_PRELOAD=$JE "$SELFTEST" "$MEMSPY_AGENT" > "$T/out" 2>&1 || {
	cat "$T/out"
	fail "the agent's self-test failed over jemalloc"
}
cat "$T/out"
grep -q '^PASS' "$T/out" || fail "the self-test did not run"
echo PASS

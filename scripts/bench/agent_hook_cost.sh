#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The cost the in-process agent's hooks add per malloc+free pair, over glibc and
# over jemalloc (preloaded), bare and hooked alternating in one process
# (agent_hook_cost.c). No BPF: the traps are plain returns, as they are between
# samples.
# usage: sudo scripts/bench/agent_hook_cost.sh [BUILD_DIR]   (default: .); ROUNDS=N
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$SRC/../.." && pwd)
BUILD=$(cd "${1:-.}" && pwd)
AGENT=$BUILD/src/agent/memspy-agent.so
[ "$(id -u)" = 0 ] || { echo "agent_hook_cost: needs root (reads /proc/self/map_files)" >&2; exit 1; }
for f in libmemspy.a src/agent/memspy-agent.so; do
	[ -e "$BUILD/$f" ] || { echo "agent_hook_cost: $BUILD/$f missing: build memspy first" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/memspy-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -O2 -g -Wall -D_GNU_SOURCE -I"$TOP/src" -I"$TOP/include" -I"$TOP/tests" -I"$BUILD/src" \
	-o "$W/agent_hook_cost" "$SRC/agent_hook_cost.c" "$TOP/tests/agent_local.c" \
	"$BUILD/libmemspy.a" -ldw -lelf -lz -lm -lpthread
echo "== glibc"
"$W/agent_hook_cost" "$AGENT" "${ROUNDS:-8}"
JE=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [ -e "$JE" ]; then
	echo "== jemalloc (LD_PRELOAD)"
	LD_PRELOAD=$JE "$W/agent_hook_cost" "$AGENT" "${ROUNDS:-8}"
fi

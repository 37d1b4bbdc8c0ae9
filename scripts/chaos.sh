#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Long runs of the chaos suite: scripts/chaos.sh N runs every case N times, the
# whole in-process matrix included (memspy killed at each step of the agent's
# install and removal, for each target and borrowed thread: about 340 cases, some
# 23 minutes a round on 2 cores), against the memspy of this build tree (run from
# the top of it, as root, after `make check TESTS=` has built the test targets)
# and prints the counts. CHAOS_MATRIX=sample keeps make check's share of it
# (CHAOS_INPROC_CASES chosen by CHAOS_SEED); CHAOS_ONLY=inproc skips the rest.
#   sudo scripts/chaos.sh 20
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
: "${MEMSPY:=$(pwd)/memspy}"
: "${TARGETS:=$(pwd)/tests/targets}"
[ -x "$MEMSPY" ] || { echo "chaos.sh: $MEMSPY missing: run it from a built tree (make; make check TESTS=)" >&2; exit 2; }
export MEMSPY TARGETS
CHAOS_MATRIX=${CHAOS_MATRIX:-full}
export CHAOS_MATRIX
exec sh "$top/tests/chaos/run.sh" "${1:-10}"

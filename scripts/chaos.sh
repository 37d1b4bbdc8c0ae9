#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Long runs of the chaos suite: scripts/chaos.sh N runs every case N times
# against the memspy of this build tree (run from the top of it, as root, after
# `make check TESTS=` has built the test targets) and prints the counts.
#   sudo scripts/chaos.sh 20
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
: "${MEMSPY:=$(pwd)/memspy}"
: "${TARGETS:=$(pwd)/tests/targets}"
[ -x "$MEMSPY" ] || { echo "chaos.sh: $MEMSPY missing: run it from a built tree (make; make check TESTS=)" >&2; exit 2; }
export MEMSPY TARGETS
exec sh "$top/tests/chaos/run.sh" "${1:-10}"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Draws a flame graph with memspy, opens it in headless Chromium and checks it through the DOM.
set -eu

MEMSPY=${MEMSPY:-./memspy}
srcdir=${srcdir:-$(dirname "$0")/../..}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
out=$(pwd)/tests/flamegraph-browser

if [ ! -x "$CHROMIUM" ]; then
	echo "SKIP: $CHROMIUM not found (Debian package chromium)"
	exit 77
fi
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node not found (Debian package nodejs)"
	exit 77
fi
if [ ! -d "$srcdir/tests/browser/node_modules/playwright-core" ]; then
	echo "FAIL: playwright-core is not installed: run 'npm ci --prefix $srcdir/tests/browser'" >&2
	exit 1
fi

mkdir -p "$out"
# 10000 bytes in all: 85% under malloc, 5% in a recursion, a kernel and a Python path.
cat > "$out/profile.folded" <<'FOLDED'
main;parse;malloc 3000
main;cache_put;malloc 5000
main;handle (app.py:12);json_loads (json/__init__.py:346) 1000
main;do_syscall_64_[k];__x64_sys_mmap_[k] 500
main;recurse;recurse;malloc 500
FOLDED
"$MEMSPY" flamegraph --title 'browser test <&>' "$out/profile.folded" > "$out/flamegraph.svg"
xmllint --noout "$out/flamegraph.svg"

node "$srcdir/tests/browser/flamegraph.mjs" "$out/flamegraph.svg" "$out"

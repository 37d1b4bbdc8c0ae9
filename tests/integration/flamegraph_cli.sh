#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The flamegraph and diff commands end to end: inputs, errors, exit codes, a million lines.
set -u

MEMSPY=${MEMSPY:-./memspy}
srcdir=${srcdir:-$(dirname "$0")/../..}
data=$srcdir/tests/data/flamegraph
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
# expect STATUS PATTERN -- command...: exit status and a line of stderr
expect() {
	local status=$1 pattern=$2
	shift 3
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local got=$?
	if [ "$got" -ne "$status" ]; then
		fail "$*: exit $got, want $status ($(cat "$tmp/err"))"
	elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err"; then
		fail "$*: stderr '$(cat "$tmp/err")' lacks '$pattern'"
	else
		ok "$* -> $status"
	fi
}

"$MEMSPY" flamegraph --help | grep -q 'usage: memspy flamegraph' && ok "flamegraph --help" ||
	fail "flamegraph --help"
"$MEMSPY" diff --help | grep -q 'red grew' && ok "diff --help" || fail "diff --help"

printf 'main;a 1\nmain;b 2\n\n# note\nmain;c\n' > "$tmp/bad.folded"
expect 1 "memspy: $tmp/bad.folded:5: missing sample count" -- "$MEMSPY" flamegraph "$tmp/bad.folded"
: > "$tmp/empty.folded"
expect 1 "no stacks to draw" -- "$MEMSPY" flamegraph "$tmp/empty.folded"
expect 1 "cannot open $tmp/nope.folded: No such file or directory" -- \
	"$MEMSPY" flamegraph "$tmp/nope.folded"
expect 2 "unknown palette" -- "$MEMSPY" flamegraph --colors hot "$data/basic.folded"
expect 2 "--width 10" -- "$MEMSPY" flamegraph --width 10 "$data/basic.folded"
expect 2 "unknown option --bogus" -- "$MEMSPY" flamegraph --bogus "$data/basic.folded"
expect 2 "unknown option --folded" -- "$MEMSPY" flamegraph --folded "$data/basic.folded"
expect 2 "needs two profiles" -- "$MEMSPY" diff "$data/a.folded"
expect 1 "memspy: $tmp/bad.folded:5: missing sample count" -- \
	"$MEMSPY" diff "$data/a.folded" "$tmp/bad.folded"

# stdin in, stdout out, all options
if "$MEMSPY" flamegraph --title T --colors cpu --inverted --width 900 < "$data/perf.folded" \
	> "$tmp/stdin.svg" && xmllint --noout "$tmp/stdin.svg" &&
	grep -q 'width="900"' "$tmp/stdin.svg" && grep -q 'stdin: 90 samples in total' "$tmp/stdin.svg"; then
	ok "flamegraph from stdin"
else
	fail "flamegraph from stdin"
fi
expect 1 "stdin:1: missing sample count" -- sh -c "echo oops | '$MEMSPY' flamegraph"
expect 1 "stdin: no stacks to draw" -- sh -c ": | '$MEMSPY' flamegraph"

"$MEMSPY" diff --folded "$data/a.folded" "$data/b.folded" > "$tmp/delta" 2>&1
if printf 'main;cache_put;malloc 8000\nmain;new_path;malloc 250\nmain;old_path;malloc -500\nmain;parse;malloc -1000\n' |
	cmp -s - "$tmp/delta"; then
	ok "diff --folded"
else
	fail "diff --folded: $(cat "$tmp/delta")"
fi
if "$MEMSPY" diff "$data/a.folded" "$data/b.folded" > "$tmp/diff.svg" &&
	xmllint --noout "$tmp/diff.svg" && grep -q 'A 5.37 KiB, B 11.96 KiB' "$tmp/diff.svg"; then
	ok "diff svg"
else
	fail "diff svg"
fi

# A million distinct stacks (a million distinct leaves) in seconds and bounded memory.
awk 'BEGIN { for (i = 0; i < 1000000; i++)
	printf "main;service_%d;handler_%d;work_%d;leaf_%d %d\n", i % 7, i % 53, i % 211, i, 1 + i % 1000 }' \
	> "$tmp/big.folded"
start=$(date +%s.%N)
if (ulimit -v 400000 && "$MEMSPY" flamegraph "$tmp/big.folded" > "$tmp/big.svg") 2> "$tmp/err" &&
	xmllint --noout "$tmp/big.svg"; then
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	if [ "$(echo "$secs < 20" | bc)" = 1 ]; then
		ok "a million lines in ${secs}s under 400 MB of address space"
	else
		fail "a million lines took ${secs}s"
	fi
else
	fail "a million lines under 400 MB: $(cat "$tmp/err")"
fi

[ "$fails" -eq 0 ]

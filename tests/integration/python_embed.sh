#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# CPython embedded in a C program through the shared libpython, as uwsgi's python
# plugin and other embedders load it: tests/targets/pyembed runs tests/data/
# python/small_leak.py in Debian's libpython3.11.so.1.0, whose PyMem_GetAllocator
# GCC compiled into SSE copies (not python3.11's rep movsl). The attach finds
# the allocator domains in the library ("Python objects sampled"); the line of
# the script that keeps small dicts is the widest tower of heap.folded, within
# 30% of the bytes the script says it stored; while attached, the domains'
# realloc fields point into the agent, their malloc and calloc fields into the
# agent in Python windows and into libpython between them, their frees into
# libpython (left to pymalloc), and after detach all 8 are libpython's again.
. "$(dirname "$0")/lib.sh"
need_bpf
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ -x "$TARGETS/pyembed" ] ||
	skip "tests/targets/pyembed not built: install python3-dev (pkg-config python3-embed) and configure again"
SCRIPT="$srcdir/tests/data/python/small_leak.py"
STORE=$(grep -n '# L:store$' "$SCRIPT" | cut -d: -f1)
WANT="remember (small_leak.py:$STORE)"

# count_in PATTERN: how many of the mem and obj domains' 8 function fields lie in
# a mapping of the target whose line matches PATTERN
count_in() {
	for d in $DOMAINS; do py_domain_fields "$d"; done |
		awk -v pat="$1" -v maps="/proc/$TARGET_PID/maps" '
		function hex(s,   i, n) { n = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return n }
		BEGIN { while ((getline l < maps) > 0) if (l ~ pat) { split(l, f, " "); split(f[1], r, "-")
				lo[++k] = hex(r[1]); hi[k] = hex(r[2]) } }
		{ v = hex($1); for (i = 1; i <= k; i++) if (v >= lo[i] && v < hi[i]) { n++; break } }
		END { print n + 0 }'
}

# towers FOLDED: "bytes<TAB>frame" by each stack's innermost frame of the
# script, widest first
towers() {
	awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";"); t = ""
		for (i = 1; i <= k; i++) if (f[i] ~ /\(small_leak\.py:/) t = f[i]
		if (t != "") w[t] += n }
		END { for (t in w) printf "%d\t%s\n", w[t], t }' "$1" | sort -rn
}

start_target "$TARGETS/pyembed" "$SCRIPT"
grep -q 'libpython3\.[0-9]*\.so' "/proc/$TARGET_PID/maps" || fail "pyembed maps no shared libpython"
# the default mean, as python_small_leak.sh: some 400 samples of the ~200 MB stored
start_memspy -o "$T/out" "$TARGET_PID"
line=$(grep 'attached to pid' "$T/memspy.err")
echo "$line"
echo "$line" | grep -q 'Python objects sampled' ||
	{ cat "$T/memspy.err"; fail "Python objects not sampled in the embedded interpreter"; }
DOMAINS=$(echo "$line" | sed -n 's/.*mem domain at \(0x[0-9a-f]*\), obj domain at \(0x[0-9a-f]*\).*/\1 \2/p')
[ -n "$DOMAINS" ] || fail "the attach line names no domain address"
kill -USR1 "$TARGET_PID"
sleep 6
# the reallocs hooked, the mallocs and callocs in windows; the frees left to
# pymalloc (the sampled small objects go to malloc, whose free the agent hooks in
# libpython too). 40 looks, 20 ms apart: the windows seen open and closed.
echo "$line" | grep -q 'frees left to pymalloc; in windows, 1/8 of the time' ||
	fail "the attach line does not say the domains' frees are left to pymalloc, their mallocs hooked in windows"
open=0 closed=0
for k in $(seq 40); do
	n=$(count_in memspy-agent)
	# the domains are read one after the other: a window may open or close
	# in between
	case $n in
	2) closed=$((closed + 1)) ;;
	3 | 4 | 5 | 6) open=$((open + 1)) ;;
	*) fail "while attached, $n of the 6 allocating fields point into the agent: the reallocs always do" ;;
	esac
	n=$(count_in 'r-xp.*libpython3')
	[ "$n" -ge 2 ] || fail "while attached, only $n fields are libpython's: the 2 frees are"
	sleep 0.02
done
echo "while attached, 40 looks: $open with mallocs or callocs in the agent, $closed with the 2 reallocs only"
[ "$open" -gt 0 ] && [ "$closed" -gt 0 ] ||
	fail "while attached, the mallocs and callocs were not seen both hooked ($open) and libpython's ($closed)"
finish_small_leak
n=$(count_in 'r-xp.*libpython3')
[ "$n" = 8 ] || fail "after detach, $n of the 8 function fields point back into libpython"
echo "after detach: the 8 function fields point into libpython again"

grep -Eq '^ *heap +in-process sampler.*Python objects sampled' "$T/out/report.txt" ||
	fail "the report's heap line does not say Python objects are sampled"
towers "$T/out/heap.folded" | head -3
top=$(towers "$T/out/heap.folded" | head -1)
[ "${top#*	}" = "$WANT" ] || fail "widest tower is ${top#*	}, not $WANT"
echo "$WANT: ~${top%%	*} bytes, the script stored $STORED"
awk -v e="${top%%	*}" -v t="$STORED" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.30) }' ||
	fail "estimate ${top%%	*} not within 30% of $STORED"
grep -q 'ms_hook_' "$T/out/heap.folded" && fail "an agent frame shows in heap.folded"
kill -TERM "$TARGET_PID"
echo PASS

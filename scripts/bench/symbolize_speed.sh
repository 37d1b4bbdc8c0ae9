#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Symbolization speed: the same unique addresses in python3.11 and libc (debug info
# from libc6-dbg) named with inline chains and file:line by memspy (a fresh
# process, cold caches), by `addr2line -f -i` and by `eu-addr2line -f -i`, one
# invocation per module each, in one run. Addresses: every function start plus
# offsets into it (a quarter, half, three quarters), up to N (default 20000).
# Then, untimed: how many addresses memspy and addr2line agree on (function names
# of the whole inline chain, lines), and whether memspy's scope index names
# every address as libdw's dwarf_getscopes does.
# Usage: scripts/bench/symbolize_speed.sh [N]   (env: BUILD=memspy build dir)
set -e
N=${1:-20000}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-/tmp/b-sym}
W=$(mktemp -d /tmp/memspy-symbench.XXXXXX)
trap 'rm -rf "$W"' EXIT

PY=$(readlink -f /usr/bin/python3)
LIBC=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
id=$(readelf -n "$LIBC" | sed -n 's/.*Build ID: *//p')
LIBC_DBG=/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug
[ -r "$LIBC_DBG" ] || { echo "libc debug info missing: install libc6-dbg" >&2; exit 77; }
[ -f "$BUILD/libmemspy.a" ] || { echo "no $BUILD/libmemspy.a: build memspy first" >&2; exit 1; }

cc -O2 -D_GNU_SOURCE -I"$BUILD" -I"$SRC/include" -I"$SRC/src" "$HERE/symbolize_driver.c" \
	"$BUILD/libmemspy.a" -ldw -lelf -ldl -lpthread -o "$W/driver"

# func_addrs NM-ARGS...: start, +1/4, +1/2, +3/4 of every sized function, sorted
func_addrs() {
	nm -S --defined-only "$@" 2>/dev/null | python3 -c '
import sys
out = set()
for l in sys.stdin:
    f = l.split()
    if len(f) == 4 and f[2] in ("T", "t") and int(f[1], 16):
        s, z = int(f[0], 16), int(f[1], 16)
        out.update(s + z * k // 4 for k in range(4))
print("\n".join("%x" % a for a in sorted(out)))'
}
func_addrs -D "$PY" | head -n $((N / 2)) > "$W/py.addrs"
# an even spread over libc's functions, the same every run
func_addrs "$LIBC_DBG" > "$W/libc.all"
awk -v n=$((N - $(wc -l < "$W/py.addrs"))) -v all="$(wc -l < "$W/libc.all")" \
	'NR * n % all < n' "$W/libc.all" > "$W/libc.addrs"
NPY=$(wc -l < "$W/py.addrs")
NLIBC=$(wc -l < "$W/libc.addrs")
echo "addresses: $NPY in $PY, $NLIBC in $LIBC (debug info $LIBC_DBG)"

# time_of CMD...: wall seconds
time_of() {
	s=$(date +%s.%N)
	"$@" > "$W/out" 2>/dev/null || true
	e=$(date +%s.%N)
	echo "$s $e" | awk '{printf "%.3f", $2 - $1}'
}

# drop the page cache's copy of the files when we may: each tool's timed run
# starts cold alike; a second run shows it warm
cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
ms() { "$W/driver" "$PY" 0 "$W/py.addrs" "$LIBC" 0x7f0000000000 "$W/libc.addrs" 2>/dev/null; }
a2l() { addr2line -f -i -e "$PY" < "$W/py.addrs"; addr2line -f -i -e "$LIBC" < "$W/libc.addrs"; }
eua2l() { eu-addr2line -f -i -e "$PY" < "$W/py.addrs"; eu-addr2line -f -i -e "$LIBC" < "$W/libc.addrs"; }
cold
t_ms=$(ms)
w_ms=$(ms)
cold
t_a2l=$(time_of a2l)
w_a2l=$(time_of a2l)
cold
t_eu=$(time_of eua2l)
w_eu=$(time_of eua2l)
echo "warm runs: memspy $w_ms s, addr2line $w_a2l s, eu-addr2line $w_eu s" |
	awk '{ $4 = sprintf("%.3f", $4); print }'

# agreement, untimed: both print an address line, then name and file:line per
# level, innermost first
"$W/driver" -p "$PY" 0 "$W/py.addrs" > "$W/m.py" 2>/dev/null
"$W/driver" -p "$LIBC" 0x7f0000000000 "$W/libc.addrs" > "$W/m.libc" 2>/dev/null
addr2line -a -f -i -e "$PY" < "$W/py.addrs" > "$W/a.py"
addr2line -a -f -i -e "$LIBC" < "$W/libc.addrs" > "$W/a.libc"
nm -D --defined-only "$PY" > "$W/py.nm"
nm --defined-only "$LIBC_DBG" > "$W/libc.nm"
python3 - "$W" <<'PYEOF'
import re, sys
w = sys.argv[1]

def parse(path):
    """address -> [(name, line)], innermost first"""
    out, cur, lines, i = {}, None, open(path).read().split('\n'), 0
    while i < len(lines):
        l = lines[i]
        if l.startswith('0x'):
            cur = int(l, 16)
            out[cur] = []
            i += 1
        elif cur is not None and l:
            ln = lines[i + 1].rsplit(':', 1)[-1].split(' ')[0] if i + 1 < len(lines) else ''
            out[cur].append((l.replace('_[i]', ''), ln if ln not in ('0', '?') else ''))
            i += 2
        else:
            i += 1
    return out

clone = re.compile(r'\.(cold|part|isra|constprop|lto_priv|localalias)(\.\d+)*')

for mod in ('py', 'libc'):
    m, a = parse('%s/m.%s' % (w, mod)), parse('%s/a.%s' % (w, mod))
    addr = {}
    for l in open('%s/%s.nm' % (w, mod)):
        f = l.split()
        if len(f) == 3:
            addr.setdefault(f[2].split('@')[0], set()).add(int(f[0], 16))

    def same(x, y):
        """one name, or aliases: GCC clone suffixes, symbols at one address"""
        x, y = clone.sub('', x), clone.sub('', y)
        return x == y or bool(addr.get(x, set()) & addr.get(y, set()))

    exact = alias = chain = lines = 0
    shown = []
    for k, v in m.items():
        u = a.get(k, [])
        if v and u and v[-1][0] == u[-1][0]:
            exact += 1
        if v and u and same(v[-1][0], u[-1][0]):
            alias += 1
        elif len(shown) < 3:
            shown.append('    0x%x: memspy %s, addr2line %s' % (k, [n for n, _ in v], [n for n, _ in u]))
        if len(v) == len(u) and all(same(x[0], y[0]) for x, y in zip(v, u)):
            chain += 1
        if [l for _, l in v] == [l for _, l in u]:
            lines += 1
    print('agreement with addr2line, %s: function %d exact, %d as aliases or .cold/.part clones, '
          'whole inline chain %d, lines %d, of %d addresses' % (mod, exact, alias, chain, lines, len(m)))
    for s in shown:
        print(s)
PYEOF
"$W/driver" -c "$PY" 0 "$W/py.addrs" "$LIBC" 0x7f0000000000 "$W/libc.addrs" 2>/dev/null | tail -n 1 |
	sed 's/^/memspy: /'

echo "memspy (names, inline chains, file:line): $t_ms s"
echo "addr2line -f -i:                          $t_a2l s"
echo "eu-addr2line -f -i:                       $t_eu s"
echo "$t_ms $t_a2l $t_eu $((NPY + NLIBC))" | awk '{
	printf "memspy is %.1fx faster than addr2line, %.1fx faster than eu-addr2line; %.1f us per address\n",
		$2 / $1, $3 / $1, $1 * 1e6 / $4
	if ($2 / $1 < 10 || $1 > 0.5 * $4 / 20000) { print "goal (>= 10x addr2line, < 0.5 s per 20000) NOT met"; exit 1 }
	print "goal (>= 10x addr2line, < 0.5 s per 20000) met" }'

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds fuzz_symbolize with libFuzzer and ASan (clang; Debian's clang 14 ships
# libFuzzer in libclang-rt-14-dev) and runs it for a bounded time on a seed corpus
# of small real ELF files. Crashes are left in $OUT as crash-*; exit status is
# libFuzzer's (0 when nothing was found).
# Usage: scripts/fuzz/run.sh [SECONDS]   (env: OUT=dir, JOBS=n, CC=clang)
set -e
SECS=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-/tmp/memspy-fuzz}
CC=${CC:-clang}
mkdir -p "$OUT/corpus" "$OUT/seeds"

# config.h only carries package names; an empty one does for the symbolizer.
[ -f "$OUT/config.h" ] || : > "$OUT/config.h"
$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -std=gnu11 -I"$OUT" -I"$SRC/include" -I"$SRC/src" \
	"$HERE/fuzz_symbolize.c" "$SRC"/src/symbolize/target_dwfl*.c "$SRC/src/target/procmaps.c" \
	"$SRC/src/target/procroot.c" "$SRC/src/symbolize/jitmap.c" "$SRC/src/symbolize/dwarf_index.c" \
	"$SRC/src/symbolize/symcache.c" "$SRC/src/symbolize/debuginfo_find.c" \
	"$SRC/src/symbolize/debuginfod_fetch.c" \
	"$SRC/src/target/elfload.c" "$SRC/src/base/hashtab.c" "$SRC/src/base/log.c" -o "$OUT/fuzz_symbolize" -ldw -lelf -ldl -lpthread

# Seeds: small ELF files with DWARF, inline chains, C++, MiniDebugInfo, stripped.
if [ ! -e "$OUT/seeds/.done" ]; then
	sh "$SRC/tests/data/symbolize/build.sh" "$SRC/tests/data/symbolize" "$OUT/build" >/dev/null 2>&1 || true
	for f in full cxx multi mini strip bid dbg/.build-id/*/*.debug link/linked.debug; do
		for g in "$OUT/build/"$f; do [ -f "$g" ] && cp "$g" "$OUT/seeds/"; done
	done
	for f in /bin/true /usr/lib/x86_64-linux-gnu/libdl.so.2; do
		[ -f "$f" ] && cp "$f" "$OUT/seeds/$(basename "$f")"
	done
	printf '1000 100 jit_one\n2000 10 jit_two\nzz\n' > "$OUT/seeds/perfmap"
	touch "$OUT/seeds/.done"
fi
cd "$OUT"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
exec ./fuzz_symbolize -max_total_time="$SECS" -max_len=131072 -timeout=10 \
	-rss_limit_mb=2048 -jobs="${JOBS:-1}" -workers="${JOBS:-1}" corpus seeds

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds memspy's libFuzzer targets (clang -fsanitize=fuzzer,address,undefined;
# Debian's clang 14 ships libFuzzer in libclang-rt-14-dev) and runs each in turn
# for a bounded time or number of executions, on a corpus seeded from
# scripts/fuzz/seeds/<target>/ (kept regression inputs) and from small real
# files. Prints one line per target: "TARGET execs N crashes M"; crash, leak and
# timeout inputs are left in $OUT/TARGET/ as crash-*, leak-*, timeout-*.
# Exit status: 0 when no target found anything, 1 otherwise, 2 when one failed to
# build.
# Usage: scripts/fuzz/run.sh [-t SECONDS | -n EXECS] [TARGET...]
#   TARGET: flame pprof procmaps jitmap elf python symbolize (default: all)
#   env: OUT=dir (default /tmp/memspy-fuzz), CC=clang, BUILD_ONLY=1,
#   FUZZ_TIMEOUT=seconds one input may take before it counts as a hang (120:
#   a loaded CI machine stalls far longer than any input needs)
set -e
SECS=60
RUNS=
while getopts t:n: o; do
	case $o in
	t) SECS=$OPTARG ;;
	n) RUNS=$OPTARG; SECS=0 ;;
	*) echo "usage: $0 [-t SECONDS | -n EXECS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-/tmp/memspy-fuzz}
CC=${CC:-clang}
ALL="flame pprof procmaps jitmap elf python symbolize"
TARGETS=${*:-$ALL}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

S=$SRC/src
# Each target's sources (beside its fuzz_<target>.c) and libraries.
sources() {
	case $1 in
	flame|pprof) echo "$S/output/flame_read.c $S/output/flame_tree.c $S/output/flame_input.c \
		$S/output/pprof_read.c $OUT/gen/profile.pb-c.c $S/base/hashtab.c $S/base/log.c" ;;
	procmaps) echo "$S/target/procmaps.c" ;;
	jitmap) echo "$S/symbolize/jitmap.c $S/target/procroot.c $S/target/procstat.c $S/base/log.c" ;;
	elf) echo "$S/target/elfsyms.c $S/target/elfload.c $S/base/log.c" ;;
	python) echo "$S/python/python_names.c $S/python/python_globals.c $S/python/python_layout.c \
		$S/python/python_opcodes.c $S/python/python_detect.c $S/target/procmaps.c \
		$S/target/procroot.c $S/base/hashtab.c $S/base/log.c" ;;
	symbolize) echo "$S/symbolize/target_dwfl*.c $S/target/procmaps.c $S/target/procroot.c \
		$S/target/procstat.c $S/symbolize/debuginfo_root.c \
		$S/symbolize/jitmap.c $S/symbolize/dwarf_index.c $S/symbolize/symcache.c \
		$S/symbolize/debuginfo_find.c $S/symbolize/debuginfod_fetch.c $S/target/elfload.c \
		$S/base/hashtab.c $S/base/log.c" ;;
	*) return 1 ;;
	esac
}
libs() {
	case $1 in
	flame|pprof) echo "-lprotobuf-c -lz" ;;
	jitmap) echo "-Wl,--wrap=clock_gettime" ;;
	elf|python) echo "-lelf" ;;
	symbolize) echo "-ldw -lelf -lz -ldl -lpthread" ;;
	esac
}

build() {
	t=$1
	mkdir -p "$OUT/$t/corpus" "$OUT/$t/seeds" "$OUT/gen"
	# config.h only carries package names; an empty one does here.
	[ -f "$OUT/gen/config.h" ] || : > "$OUT/gen/config.h"
	if [ ! -f "$OUT/gen/profile.pb-c.c" ]; then
		protoc-c --proto_path="$S/output" --c_out="$OUT/gen" "$S/output/profile.proto"
		mkdir -p "$OUT/gen/output"
		cp "$OUT/gen/profile.pb-c.h" "$OUT/gen/output/"
	fi
	# shellcheck disable=SC2046 # word splitting of the lists is wanted
	$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -std=gnu11 -I"$OUT/gen" -I"$SRC/include" -I"$S" -I"$HERE" \
		"$HERE/fuzz_$t.c" $(sources "$t") -o "$OUT/$t/fuzz_$t" $(libs "$t")
}

# Seeds: the kept regression inputs, and small real inputs of each kind.
seed() {
	t=$1 d=$OUT/$t/seeds
	[ -d "$HERE/seeds/$t" ] && cp "$HERE/seeds/$t/"* "$d/" 2>/dev/null || true
	[ -e "$d/.done" ] && return 0
	case $t in
	flame)
		cp "$SRC"/tests/data/*.folded "$d/" 2>/dev/null || true
		printf 'main;a;b 10\nmain;a;c 5.5\n# c\n\nmain 1\n' > "$d/small" ;;
	pprof)
		find "$SRC/tests/data" -name '*.pb.gz' -size -64k -exec cp {} "$d/" \; 2>/dev/null || true ;;
	procmaps)
		cp /proc/self/maps "$d/self" 2>/dev/null || true
		printf '55d4a000-55d4b000 r-xp 00001000 fd:01 123 /usr/bin/x (deleted)\n7ffd-7ffe rw-p 0 0:0 0 [stack]\n' > "$d/small" ;;
	jitmap)
		printf '1000 100 jit_one\n2000 10 jit_two\nzz\n0x3000 0x20 with spaces \r\n' > "$d/small" ;;
	elf|symbolize)
		sh "$SRC/tests/data/symbolize/build.sh" "$SRC/tests/data/symbolize" "$OUT/elfbuild" >/dev/null 2>&1 || true
		for f in full cxx multi mini strip bid dbg/.build-id/*/*.debug link/linked.debug; do
			for g in "$OUT/elfbuild/"$f; do [ -f "$g" ] && cp "$g" "$d/"; done
		done
		for f in /bin/true /usr/lib/x86_64-linux-gnu/libdl.so.2; do
			[ -f "$f" ] && cp "$f" "$d/$(basename "$f")"
		done ;;
	python)
		printf '\0\0\0\0\0\0\0\0' > "$d/small" ;;
	esac
	touch "$d/.done"
}

# Runs one target; prints its line. libFuzzer's last "#N" status line holds the
# executions; crash-, leak- and timeout- files are its findings.
run() {
	t=$1 log=$OUT/$t/log
	if [ -n "$RUNS" ]; then lim=-runs=$RUNS; else lim=-max_total_time=$SECS; fi
	rm -f "$OUT/$t"/crash-* "$OUT/$t"/leak-* "$OUT/$t"/timeout-* "$OUT/$t"/oom-*
	(cd "$OUT/$t" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
		./"fuzz_$t" $lim -max_len=131072 -timeout=${FUZZ_TIMEOUT:-120} -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/$t/" -print_final_stats=1 corpus seeds) > "$log" 2>&1 || true
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	found=$(find "$OUT/$t" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) | wc -l)
	echo "$t execs ${execs:-0} crashes $found"
	[ "$found" -eq 0 ]
}

status=0
for t in $TARGETS; do
	if ! sources "$t" >/dev/null; then
		echo "unknown fuzz target $t: choose among $ALL" >&2
		exit 2
	fi
	if ! build "$t"; then
		echo "$t: build failed" >&2
		exit 2
	fi
	[ -n "$BUILD_ONLY" ] && continue
	seed "$t"
	run "$t" || status=1
done
exit $status

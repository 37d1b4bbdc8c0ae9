#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Symbolization of targets whose files the host path does not name: a binary
# deleted after it started, and a target in a chroot with its own copy of its
# libraries. Both must get their leak named leak_a..leak_d.
. "$(dirname "$0")/lib.sh"
need_bpf

# run_leak LABEL CMD...: start the target, attach, leak, stop; leaves $T/LABEL/heap.folded
run_leak() {
	label=$1
	shift
	start_target "$@"
	[ "$label" = deleted ] && rm -f "$T/del/leaky"
	start_memspy --sample-bytes 1 --no-cpu -o "$T/$label" "$TARGET_PID"
	kill -USR1 "$TARGET_PID"
	wait_for "$T/target.out" '^done' 30
	sleep 0.5
	kill -INT "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID"
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "$label: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait_exit "$TARGET_PID"
	F="$T/$label/heap.folded"
	[ -s "$F" ] || { cat "$T/memspy.err"; fail "$label: no heap.folded"; }
	echo "--- $label: heap.folded"
	cat "$F"
	line=$(grep -E ';leak_a;leak_b;leak_c;leak_d ' "$F") ||
		fail "$label: leak_a..leak_d not named"
	[ "${line##* }" = 1019900 ] || fail "$label: leak bytes ${line##* }, expected 1019900"
	echo "$line" | grep -q '^_start;' || fail "$label: stack does not start at _start: $line"
}

# 1. the binary is deleted once the target runs (it reads as "... (deleted)")
mkdir -p "$T/del"
cp "$TARGETS/leaky" "$T/del/leaky"
run_leak deleted "$T/del/leaky" exact

# 2. a chroot with copies of the binary and its libraries: no host path names them
R="$T/root"
mkdir -p "$R"
cp "$TARGETS/leaky" "$R/leaky"
for lib in $(ldd "$TARGETS/leaky" | grep -oE '/[^ ]+'); do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
# the loader's own name may be reached through a symlink (/lib64 -> usr/lib64)
run_leak chroot chroot "$R" /leaky exact
# and its libc was read from the chroot's copy, not the host's file
grep -q "heap probes on $R/" "$T/memspy.err" ||
	fail "chroot: probes not on the chroot's libc: $(cat "$T/memspy.err")"
echo PASS

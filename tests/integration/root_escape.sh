#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A target in a chroot whose debug files are symlinks out of its root, to files of
# the host: memspy must neither open nor read them. The chroot holds a stripped
# copy of leaky (its function names are only in a debug file) whose build-id and
# debuglink paths link to the host's $T/host/leaky.debug, a real debug file of
# leaky (absolute and ../../.. links), and to a FIFO (opening it for reading would
# wake a writer that records it). Then the control: the same debug file inside
# the root, which memspy must find and use.
. "$(dirname "$0")/lib.sh"
need_bpf
unset DEBUGINFOD_URLS

H="$T/host"
R="$T/root"
mkdir -p "$H" "$R"
objcopy --only-keep-debug "$TARGETS/leaky" "$H/leaky.debug"
strip --strip-all -o "$R/leaky" "$TARGETS/leaky"
objcopy --add-gnu-debuglink="$H/leaky.debug" "$R/leaky"
for lib in $(ldd "$TARGETS/leaky" | grep -oE '/[^ ]+'); do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
id=$(readelf -n "$R/leaky" | sed -n 's/.*Build ID: *//p')
[ -n "$id" ] || fail "leaky has no build-id"
bid="$R/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)"
mkdir -p "$bid" "$R/.debug" "$R/usr/lib/debug"
# ../ enough to climb from anywhere in the root to the host's /
up=../../../../../../../../../../../../../../../..
ln -s "$H/leaky.debug" "$bid/$(echo "$id" | cut -c3-).debug"
ln -s "$up$H/leaky.debug" "$R/leaky.debug"
mkfifo "$H/fifo"
ln -s "$H/fifo" "$R/.debug/leaky.debug"
ln -s "$up$H/fifo" "$R/usr/lib/debug/leaky.debug"
(echo x > "$H/fifo" && : > "$T/fifo-opened") 2>/dev/null &
FIFO_WRITER=$!
PIDS="$PIDS $FIFO_WRITER"

# run LABEL: leaky exact in the chroot, attached; leaves $T/LABEL/
run() {
	start_target chroot "$R" /leaky exact
	start_memspy --sample-bytes 1 --no-cpu -o "$T/$1" "$TARGET_PID"
	kill -USR1 "$TARGET_PID"
	wait_for "$T/target.out" '^done' 30
	sleep 0.5
	kill -INT "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID"
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "$1: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	kill -TERM "$TARGET_PID"
	wait_exit "$TARGET_PID"
	[ -s "$T/$1/heap.folded" ] || { cat "$T/memspy.err"; fail "$1: no heap.folded"; }
	cat "$T/memspy.out" "$T/memspy.err" > "$T/$1/stdio"
}

run escape
echo "--- escape: heap.folded"
cat "$T/escape/heap.folded"
if grep -rl 'leak_[abcd]' "$T/escape"; then
	fail "names from the host's $H/leaky.debug appear in the output: memspy followed a symlink out of the target's root"
fi
[ -e "$T/fifo-opened" ] && fail "memspy opened the host's FIFO $H/fifo through a symlink in the target's root"
echo "ok: nothing of the host's debug file in the output, its FIFO never opened"

# Control: the debug file inside the root is found (so the test above could fail).
rm "$bid/$(echo "$id" | cut -c3-).debug"
cp "$H/leaky.debug" "$bid/$(echo "$id" | cut -c3-).debug"
run inside
grep -E ';leak_a;leak_b;leak_c;leak_d ' "$T/inside/heap.folded" ||
	{ cat "$T/inside/heap.folded"; fail "the debug file inside the root was not used"; }
[ -e "$T/fifo-opened" ] && fail "memspy opened the host's FIFO $H/fifo"
echo "ok: the debug file inside the root, by build-id, names leak_a..leak_d"
# and by debuglink, under the root's /usr/lib/debug
rm "$bid/$(echo "$id" | cut -c3-).debug" "$R/usr/lib/debug/leaky.debug"
cp "$H/leaky.debug" "$R/usr/lib/debug/leaky.debug"
run link
grep -E ';leak_a;leak_b;leak_c;leak_d ' "$T/link/heap.folded" ||
	{ cat "$T/link/heap.folded"; fail "the debuglink inside the root was not followed"; }
[ -e "$T/fifo-opened" ] && fail "memspy opened the host's FIFO $H/fifo"
echo "ok: the debug file inside the root, by debuglink, names leak_a..leak_d"
kill "$FIFO_WRITER" 2>/dev/null
echo PASS

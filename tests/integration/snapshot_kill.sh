#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy killed with SIGKILL while it writes a snapshot: every snapshot directory
# that exists under its own name is whole (a snapshot is written under a hidden
# temporary name and renamed), no output file is left half-written under its own
# name, no probe is left behind, and the target runs on.
. "$(dirname "$0")/lib.sh"
need_bpf

# whole DIR: every output of a run is there and ends where it should (a folded
# file may be empty: a snapshot early in a run may hold no sample yet)
whole() {
	for f in report.txt heap.folded heap.svg heap.pb.gz cpu.folded cpu.svg cpu.pb.gz \
		timeline.svg; do
		[ -e "$1/$f" ] || { ls -la "$1"; fail "$1/$f missing after SIGKILL"; }
	done
	for f in heap.svg cpu.svg timeline.svg; do
		tail -n 1 "$1/$f" | grep -q '</svg>' || fail "$1/$f cut short"
	done
	for f in heap.pb.gz cpu.pb.gz; do
		gzip -t "$1/$f" || fail "$1/$f cut short"
	done
	grep -q '^== verdict ==' "$1/report.txt" || fail "$1/report.txt cut short"
}

start_target "$TARGETS/leaky" steady 120
kill -USR1 "$TARGET_PID" # its load loop
kills=0
for delay in 0 0.005 0.01 0.02 0.05 0.2; do
	out="$T/out-$kills"
	start_memspy -q --every 1 -o "$out" "$TARGET_PID"
	# wait for the first snapshot, then ask for one more and kill memspy while
	# it is being written
	i=0
	while [ ! -d "$out/snap-0001" ]; do
		i=$((i + 1))
		[ $i -le 150 ] || { cat "$T/memspy.err"; fail "no first snapshot after 15 s"; }
		sleep 0.1
	done
	kill -USR1 "$MEMSPY_PID"
	sleep "$delay"
	kill -KILL "$MEMSPY_PID"
	wait_exit "$MEMSPY_PID" 10
	check_no_probes_left "$MEMSPY_PID"
	kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died with memspy"
	# what carries its own name is whole; temporaries are hidden
	for f in "$out"/*; do
		case "$f" in
		"$out"/snap-[0-9][0-9][0-9][0-9]) whole "$f" ;;
		*) ls -la "$out"; fail "$f: an output of a killed run under its own name" ;;
		esac
	done
	echo "killed $delay s after SIGUSR1: $(cd "$out" && ls -d snap-* | tr '\n' ' ')(temporaries: $(cd "$out" && ls -d .snap-* 2>/dev/null | tr '\n' ' '))"
	kills=$((kills + 1))
done
kill -TERM "$TARGET_PID"
echo PASS

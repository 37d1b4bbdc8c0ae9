#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# memspy top driven in a detached tmux: the screen shows the pid and the leaking
# function, sorting reorders it, Enter/Tab/?/p/r work, q exits 0 with the terminal
# given back and no probe left; a target that exits ends top with a line saying so;
# without a terminal top refuses clearly.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v tmux >/dev/null || skip "tmux is not installed"

# A server of our own, its socket in $T: nothing of the user's tmux is touched.
tm() { tmux -S "$T/tmux.sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

screen() { tm capture-pane -p -t top; }

# wait_screen REGEX [SECONDS]: until the screen shows REGEX.
wait_screen() {
	local i=0 limit=$(( ${2:-10} * 10 ))
	while ! screen | grep -qE -- "$1"; do
		i=$((i + 1))
		if [ $i -gt $limit ]; then
			echo "--- screen:"; screen; echo "--- memspy top stderr:"; cat "$T/top.err"
			fail "timed out waiting for '$1' on the screen"
		fi
		sleep 0.1
	done
}

# above REGEX1 REGEX2: one capture of the screen shows both, REGEX1 on a line above.
above() {
	local s a b
	s=$(screen)
	a=$(printf '%s\n' "$s" | grep -nE -- "$1" | head -n1 | cut -d: -f1)
	b=$(printf '%s\n' "$s" | grep -nE -- "$2" | head -n1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

# start_top PID: memspy top in a fresh 120x40 tmux session; its exit status goes to
# $T/top.exit.
start_top() {
	rm -f "$T/top.exit"
	cat > "$T/run_top.sh" <<EOF
"$MEMSPY" top "$1" 2> "$T/top.err"
echo "exit=\$?" > "$T/top.exit"
sleep 600
EOF
	tm kill-session -t top 2>/dev/null
	# killing the last session ends the tmux server: a new session started while
	# it is still going away fails with "server exited unexpectedly"
	local i=0
	until tm new-session -d -s top -x 120 -y 40 "sh $T/run_top.sh"; do
		i=$((i + 1))
		[ $i -le 10 ] || fail "cannot start tmux"
		sleep 0.3
	done
}

# wait_top_exit: until memspy top has exited; sets TOP_EXIT.
wait_top_exit() {
	local i=0
	while [ ! -s "$T/top.exit" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || { screen; fail "memspy top did not exit"; }
		sleep 0.1
	done
	TOP_EXIT=$(sed 's/^exit=//' "$T/top.exit")
}

# --- no terminal: a clear error that points to memspy attach, exit 2
start_target "$TARGETS/leaky" steady 60
"$MEMSPY" top "$TARGET_PID" < /dev/null > "$T/notty.out" 2> "$T/notty.err"
status=$?
cat "$T/notty.err"
[ "$status" = 2 ] || fail "memspy top without a terminal exited $status, not 2"
[ "$(wc -l < "$T/notty.err")" = 1 ] || fail "want one line of error without a terminal"
grep -q 'not a terminal' "$T/notty.err" || fail "error does not say there is no terminal"
grep -q 'memspy attach' "$T/notty.err" || fail "error does not point to memspy attach"
[ -s "$T/notty.out" ] && fail "memspy top wrote to a non-terminal stdout"

# --- the live view
start_top "$TARGET_PID"
wait_screen "pid $TARGET_PID \(leaky\)" 30
TOP_PID=$(pgrep -f "^$MEMSPY top $TARGET_PID\$" | head -n1)
[ -n "$TOP_PID" ] || fail "no memspy top process found"
watch_bpf "$TOP_PID"
wait_bpf_seen "$TOP_PID"
kill -USR1 "$TARGET_PID"
wait_screen 'LEAK +leak_steady' 15
wait_screen 'busy_transient' 10
echo "--- heap view:"; screen

# Sorted by live bytes, the leak (4 MiB/s) comes before the busy site (1 MiB flat).
i=0
while ! above leak_steady busy_transient; do
	i=$((i + 1)); [ $i -le 50 ] || { screen; fail "leak_steady is not above busy_transient by live bytes"; }
	sleep 0.1
done
# s six times: LIVE -> BLOCKS -> GROWTH -> SHARE -> ALLOCATED -> LEAK -> SITE (a to z).
tm send-keys -t top s s s s s s
wait_screen 'sorted by site name'
above busy_transient leak_steady ||
	{ screen; fail "sorting by site name did not put busy_transient first"; }
# > wraps to LIVE again, < back to SITE.
tm send-keys -t top '>'
wait_screen 'sorted by live bytes'
above leak_steady busy_transient ||
	{ screen; fail "sorting by live bytes again did not put leak_steady first"; }
tm send-keys -t top '<'
wait_screen 'sorted by site name'
tm send-keys -t top '>'
wait_screen 'sorted by live bytes'

# Enter: the selected (first) site's stack, leaf first, down to main; Esc goes back.
tm send-keys -t top Home Enter
wait_screen 'Stack +of allocation site leak_steady'
wait_screen '#[0-9]+ +main'
screen | grep -qE '#0 +leak_steady' || { screen; fail "stack does not start at leak_steady"; }
tm send-keys -t top Escape
wait_screen 'LIVE +BLOCKS'

# Tab: the CPU view, by own and total percent.
tm send-keys -t top Tab
wait_screen '%OWN +%TOTAL +OWNTIME +TOTALTIME +FUNCTION'
wait_screen '[0-9.]+% +[0-9.]+% +[0-9.]+s +[0-9.]+s main$' 30
echo "--- cpu view:"; screen
tm send-keys -t top Tab
wait_screen 'LIVE +BLOCKS'

# ? shows the help, any key goes back; p pauses; r starts the counting over.
tm send-keys -t top '?'
wait_screen 'Columns of the Heap view'
tm send-keys -t top x
wait_screen 'LIVE +BLOCKS'
tm send-keys -t top p
wait_screen 'PAUSED'
# Paused, the screen is not redrawn: the attach clock stands still.
clock=$(screen | grep -oE 'attached [0-9:]+')
sleep 2.2
[ "$(screen | grep -oE 'attached [0-9:]+')" = "$clock" ] ||
	{ screen; fail "the screen still changes while paused (was '$clock')"; }
tm send-keys -t top p
i=0
while screen | grep -q PAUSED; do
	i=$((i + 1)); [ $i -le 30 ] || fail "p did not resume"; sleep 0.1
done
wait_screen 'attached 0:00:(0[5-9]|[1-9])'
tm send-keys -t top r
wait_screen 'attached 0:00:0[0-2] '

# q: exit status 0, the terminal out of the alternate screen, no probe left.
tm send-keys -t top q
wait_top_exit
[ "$TOP_EXIT" = 0 ] || { cat "$T/top.err"; fail "memspy top exited $TOP_EXIT after q"; }
[ "$(tm display-message -p -t top '#{alternate_on}')" = 0 ] ||
	fail "the terminal is still in the alternate screen after q"
check_no_probes_left "$TOP_PID"

# --- the target exits: the terminal is restored and a line says so, exit 0
kill -TERM "$TARGET_PID"
start_target "$TARGETS/leaky" steady 60
start_top "$TARGET_PID"
wait_screen "pid $TARGET_PID \(leaky\)" 30
TOP_PID=$(pgrep -f "^$MEMSPY top $TARGET_PID\$" | head -n1)
[ -n "$TOP_PID" ] || fail "no memspy top process found"
watch_bpf "$TOP_PID"
wait_bpf_seen "$TOP_PID"
kill -TERM "$TARGET_PID"
wait_top_exit
[ "$TOP_EXIT" = 0 ] || { cat "$T/top.err"; fail "memspy top exited $TOP_EXIT when the target exited"; }
wait_screen "memspy top: pid $TARGET_PID \(leaky\) exited after"
[ "$(tm display-message -p -t top '#{alternate_on}')" = 0 ] ||
	fail "the terminal is still in the alternate screen after the target exited"
check_no_probes_left "$TOP_PID"
echo PASS

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /tmp/perf-<pid>.map is anyone's to plant: memspy reads it only when it is a
# regular file (not through a symlink) owned by root or the target's user, and
# finds it under the pid the target has in its own pid namespace. node runs
# hotA -> hotB -> hotC (tests/data/jit/hot_chain.js) under CPU sampling:
#  1. no map from node, a symlink planted at its name: refused with a warning,
#     none of its names used;
#  2. the same as a regular file owned by another user: refused likewise;
#  3. node in its own pid namespace (unshare --pid) writing its map: found under
#     its namespace's pid, hotA..hotC named.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v node >/dev/null || fail "node missing (scripts/setup-deps.sh installs nodejs)"
command -v unshare >/dev/null || fail "unshare missing (util-linux)"
JS="$srcdir/tests/data/jit/hot_chain.js"
MAPS=""
trap 'rm -f $MAPS; cleanup' EXIT

# A map that names every address: whatever JIT frame is looked up gets its name.
printf '0 7fffffffffff PLANTED_NAME\n' > "$T/planted.map"

# profile LABEL PID: 4 s of CPU samples of PID into $T/LABEL
profile() {
	start_memspy -d 4 -F 199 --no-heap --no-rss -o "$T/$1" "$2"
	wait_exit "$MEMSPY_PID" 40
	[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "$1: memspy exited $EXIT_STATUS"; }
	check_no_probes_left "$MEMSPY_PID"
	cp "$T/memspy.err" "$T/$1/stderr"
}

# refused LABEL WHY: no planted name in the output, and the warning said WHY
refused() {
	grep -rq PLANTED_NAME "$T/$1" && fail "$1: names from the planted map were used"
	grep "ignoring JIT map /tmp/perf-$TARGET_PID.map" "$T/$1/stderr" | grep -q "$2" ||
		{ cat "$T/$1/stderr"; fail "$1: no warning that the map is $2"; }
	echo "ok: $1: $(grep 'ignoring JIT map' "$T/$1/stderr")"
}

start_target node --no-turbo-inlining "$JS"
MAPS="/tmp/perf-$TARGET_PID.map"
ln -s "$T/planted.map" "/tmp/perf-$TARGET_PID.map"
profile symlink "$TARGET_PID"
refused symlink "a symlink"

rm -f "/tmp/perf-$TARGET_PID.map"
cp "$T/planted.map" "/tmp/perf-$TARGET_PID.map"
chown nobody "/tmp/perf-$TARGET_PID.map"
profile foreign "$TARGET_PID"
refused foreign "uid $(id -u nobody)"
kill -TERM "$TARGET_PID"
wait_exit "$TARGET_PID"
rm -f "/tmp/perf-$TARGET_PID.map"

# 3. In its own pid namespace node is pid 1 and writes /tmp/perf-1.map.
[ -e /tmp/perf-1.map ] && fail "/tmp/perf-1.map exists already: remove it first"
MAPS="/tmp/perf-1.map"
# --kill-child: node, pid 1 of its namespace, must not outlive unshare (it did
# once, computing for minutes after the test)
start_target unshare --pid --fork --mount-proc --kill-child node --perf-basic-prof \
	--no-turbo-inlining "$JS"
NODE=$(cat "/proc/$TARGET_PID/task/$TARGET_PID/children" | awk '{print $1}')
[ -n "$NODE" ] || fail "no node under unshare pid $TARGET_PID"
PIDS="$PIDS $NODE"
grep -q '^NSpid:.*[[:space:]]1$' "/proc/$NODE/status" || fail "node is not pid 1 in its namespace"
[ -e /tmp/perf-1.map ] || fail "node in its pid namespace wrote no /tmp/perf-1.map"
profile pidns "$NODE"
grep -q 'ignoring JIT map' "$T/pidns/stderr" && fail "pidns: node's own map was refused"
grep -E '[*~^+]hotA [^;]*_\[j\];[^;]*[*~^+]hotB [^;]*_\[j\];[^;]*[*~^+]hotC ' "$T/pidns/cpu.folded" |
	head -1 | grep -q . || { head -5 "$T/pidns/cpu.folded"; fail "pidns: hotA..hotC not named from /tmp/perf-1.map"; }
echo "ok: pidns: node (host pid $NODE, pid 1 inside) named from /tmp/perf-1.map"
echo PASS

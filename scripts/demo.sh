#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: start the bundled leaky target, attach memspy with a load command that
# starts the target's load loop and lasts a few seconds, and show the report and
# the files it wrote. Run as root from the build directory. Under sudo the load
# command runs as the invoking user, so the target does too (it signals it).
set -e
B=$(cd "$(dirname "$0")/.." && pwd)
MEMSPY=${MEMSPY:-$B/memspy}
TARGET=${TARGET:-$B/tests/targets/leaky}
SECONDS_TO_RUN=${1:-10}
OUT=${OUT:-$B/memspy-demo}
[ -x "$MEMSPY" ] || { echo "demo: build memspy first (./configure && make)" >&2; exit 1; }
[ -x "$TARGET" ] || make -C "$B" tests/targets/leaky >/dev/null
if [ "$(id -u)" != 0 ]; then
	echo "demo: memspy needs root for BPF: sudo $0" >&2
	exit 1
fi
rm -rf "$OUT"
TOUT=$(mktemp "${TMPDIR:-/tmp}/memspy-demo.XXXXXX")
if [ -n "$SUDO_UID" ] && [ "$SUDO_UID" != 0 ] && command -v setpriv >/dev/null; then
	chmod a+r "$TOUT"
	setpriv --reuid="$SUDO_UID" --regid="${SUDO_GID:-$SUDO_UID}" --clear-groups \
		"$TARGET" steady $((SECONDS_TO_RUN + 5)) > "$TOUT" &
else
	"$TARGET" steady $((SECONDS_TO_RUN + 5)) > "$TOUT" &
fi
PID=$!
trap 'kill $PID 2>/dev/null; rm -f "$TOUT"' EXIT
# SIGUSR1 before leaky installed its handler would kill it: wait for its "ready"
i=0
until grep -q '^ready' "$TOUT"; do
	i=$((i + 1))
	[ $i -le 100 ] || { echo "demo: $TARGET did not start" >&2; exit 1; }
	sleep 0.1
done
echo "demo: leaky (pid $PID) leaks 4 MiB/s in leak_steady beside a busy allocate-and-free loop"
LOAD="kill -USR1 $PID && sleep $SECONDS_TO_RUN"
echo "demo: sudo memspy attach -o $OUT $PID -- sh -c '$LOAD'"
"$MEMSPY" attach -o "$OUT" "$PID" -- sh -c "$LOAD"
echo
echo "demo: files written:"
ls -l "$OUT"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# In-process sampling and a library loaded after attach: memspy hooks the new
# library's pointer slots once the dynamic linker has relocated them (within a
# few seconds), its leak is then found, and every slot is restored at the end.
. "$(dirname "$0")/lib.sh"
need_bpf
SLOTS=$(dirname "$TARGETS")/agent_slots

start_target "$TARGETS/dlopener" "$TARGETS/libdlalloc.so"
start_memspy --sample-bytes 65536 -o "$T/out" "$TARGET_PID"
if grep -q 'has no injector' "$T/memspy.err"; then
	kill -TERM "$MEMSPY_PID"
	skip "this build of memspy has no injector (src/inject)"
fi
grep -q 'in-process sampler' "$T/memspy.err" || { cat "$T/memspy.err"; fail "memspy did not attach in-process"; }
kill -USR1 "$TARGET_PID"
wait_for "$T/target.out" '^loaded' 10
wait_for "$T/memspy.err" 'libraries loaded since attach hooked' 10 ||
	{ cat "$T/memspy.err"; fail "the new library's slots were not hooked"; }
"$SLOTS" "$TARGET_PID" > "$T/slots.during" || fail "cannot list the target's slots"
read -r _ left _ hooked _ other < "$T/slots.during"
echo "after dlopen: $left slots at the allocator, $hooked into the agent"
[ "$left" = 0 ] || fail "slots left unhooked after dlopen: $(cat "$T/slots.during")"
wait_for "$T/target.out" '^done' 30
sleep 0.5
kill -TERM "$MEMSPY_PID"
wait_exit "$MEMSPY_PID"
[ "$EXIT_STATUS" = 0 ] || { cat "$T/memspy.err"; fail "memspy exited $EXIT_STATUS"; }
"$SLOTS" "$TARGET_PID" > "$T/slots.after" || fail "cannot list the target's slots"
read -r _ back _ still _ other2 < "$T/slots.after"
[ "$still" = 0 ] && [ "$back" = "$hooked" ] || fail "slots not restored: $(cat "$T/slots.after")"

truth=16777216
leak=$(folded_value "$T/out/heap.folded" ';dl_leak ')
echo "estimated $leak bytes for dl_leak, truth $truth"
awk -v e="$leak" -v t="$truth" 'BEGIN { d = (e - t) / t; if (d < 0) d = -d; exit !(d <= 0.30) }' ||
	fail "dl_leak estimate $leak is not within 30% of $truth"
echo PASS

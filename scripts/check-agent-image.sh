#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks that memspy-agent.so has the layout the injector maps (src/agent/agent.lds):
# ELF64 x86-64 shared object; exactly one file-backed PT_LOAD, R+X from offset 0;
# at most one more PT_LOAD, RW with nothing from the file; no relocation at all;
# the entry points memspy calls and uprobes findable by name; each trap function
# opening with a one-byte instruction. One line per problem, exit 1 if any.
# Usage: check-agent-image.sh AGENT.so
set -eu
so=${1:?usage: check-agent-image.sh AGENT.so}
[ -r "$so" ] || { echo "check-agent-image: cannot read $so (run make first)" >&2; exit 2; }
export LC_ALL=C
bad=0
problem() {
	echo "check-agent-image: $so: $*"
	bad=1
}

hdr=$(readelf -hW "$so")
echo "$hdr" | grep -q 'Class: *ELF64' || problem "not ELF64"
echo "$hdr" | grep -q 'Type: *DYN' || problem "not a shared object"
echo "$hdr" | grep -q 'Machine: *Advanced Micro Devices X86-64' || problem "not x86-64"

# LOAD offset vaddr paddr filesz memsz flags... align
loads=$(readelf -lW "$so" | awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i; print $2, $5, f }')
n=$(echo "$loads" | grep -c . || true)
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || problem "$n PT_LOAD segments, want 1 or 2"
first=$(echo "$loads" | sed -n 1p)
set -- $first
[ "${1:-}" = 0x000000 ] || problem "first PT_LOAD at file offset ${1:-none}, want 0"
[ "${3:-}" = RE ] || problem "first PT_LOAD is ${3:-none}, want R E"
if [ "$n" = 2 ]; then
	set -- $(echo "$loads" | sed -n 2p)
	[ "$2" = 0x000000 ] || problem "second PT_LOAD takes $2 bytes from the file, want 0"
	[ "$3" = RW ] || problem "second PT_LOAD is $3, want RW"
fi

readelf -rW "$so" | grep -q 'There are no relocations in this file' ||
	problem "has relocations: $(readelf -rW "$so" | grep -c 'R_X86_64') entries"
readelf -dW "$so" | grep -Eq '\((TEXTREL|NEEDED|INIT|FINI|INIT_ARRAY|FINI_ARRAY)\)' &&
	problem "dynamic section asks the loader for something (NEEDED, INIT, TEXTREL...)"
readelf -sW "$so" | awk '$7 == "UND" && $8 != "" { found = 1 } END { exit !found }' &&
	problem "has undefined symbols"

# in .dynsym, which strip keeps
syms=$(readelf -W --dyn-syms "$so")
for s in ms_agent_ctl ms_agent_install ms_agent_remove ms_trap_alloc ms_trap_free \
	ms_hook_malloc ms_hook_free ms_hook_calloc ms_hook_realloc ms_hook_new ms_hook_delete; do
	echo "$syms" | awk -v s="$s" '$8 == s { found = 1 } END { exit !found }' ||
		problem "no symbol $s in .dynsym"
done
for t in ms_trap_alloc ms_trap_free; do
	first=$(objdump -d --no-show-raw-insn "$so" | awk -v t="<$t>:" '$2 == t { getline; print $2; exit }')
	[ "$first" = nop ] || problem "$t opens with '$first', want a one-byte nop"
done
# the throwing operator new hooks leave no frame when they forward: a jump
for h in ms_hook_new ms_hook_new_array ms_hook_new_aligned ms_hook_new_array_aligned; do
	objdump -d --no-show-raw-insn "$so" | awk -v h="<$h>:" '
		$2 == h { on = 1; next } on && /^$/ { exit } on && /jmp +\*%rdx/ { found = 1 }
		END { exit !found }' || problem "$h does not tail-jump to the original"
done
# nothing of ours may touch vector or x87 registers (the target's extended state)
objdump -d --no-show-raw-insn "$so" | grep -Eq '%(x|y|z)mm|%st|%k[0-7]|fxsave|xsave' &&
	problem "uses extended register state"
[ $bad = 0 ] && echo "check-agent-image: $so: layout as the injector maps it"
exit $bad

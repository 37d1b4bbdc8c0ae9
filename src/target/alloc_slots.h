/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pointer slots through which a process calls its allocator: every loaded
 * module's GOT entries (JUMP_SLOT, GLOB_DAT) and absolute pointers in data
 * (R_X86_64_64, such as redis-server's hiredis allocator table) that name an entry
 * point the in-process agent hooks, with the resolved original of each hook. */
#ifndef MEMSPY_ALLOC_SLOTS_H
#define MEMSPY_ALLOC_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/agent_abi.h"
#include "target/allocator.h"
#include "target/procmaps.h"

struct alloc_slot {
	uint64_t addr;	 /* runtime address of the 8-byte slot */
	uint64_t value;	 /* what it held when listed */
	uint32_t hook;	 /* enum ms_agent_hook */
	uint32_t prot;	 /* PROT_* of its page when listed */
	uint32_t rtype;	 /* R_X86_64_JUMP_SLOT, _GLOB_DAT or _64 */
	uint32_t module; /* index into alloc_slots.modules */
};

struct alloc_slot_module {
	char *path;	   /* as mapped */
	uint64_t bias;	   /* load bias */
	size_t nr_slots;   /* slots listed in it */
	size_t nr_foreign; /* slots naming a hooked entry that resolve elsewhere: left */
	size_t nr_in_skip; /* of those, slots pointing into the skipped range (the
			    * agent's hooks, from an install still in place) */
};

struct alloc_slots {
	struct alloc_slot *slots; /* releases first, then resizes, then allocations
				   * (enum ms_agent_hook order): the install order */
	size_t n;
	struct alloc_slot_module *modules; /* every module read, with or without slots */
	size_t nr_modules;
	uint64_t orig[MS_HOOK_COUNT]; /* resolved original of each hook; 0: not hooked */
};

/* The hook names, indexed by enum ms_agent_hook: "malloc", "_Znwm", ... */
extern const char *const alloc_slot_names[MS_HOOK_COUNT];

/*
 * List the slots of pid's modules that name an entry point the allocator a defines
 * (allocator_resolve_pid): a hook's original is that definition, never the slot's
 * current value (a lazy JUMP_SLOT holds a PLT stub). A slot is listed only when it
 * holds that original, or, for a JUMP_SLOT, a stub inside its own module not bound
 * yet; one holding anything else (another interposer) is counted as foreign and
 * left alone. Mappings in [skip_start, skip_end) are ignored (the agent's own);
 * foreign slots pointing there are counted apart (nr_in_skip).
 * Returns 0 (out->n may be 0) or -errno (-ENOENT: the allocator is not mapped).
 */
int alloc_slots_find(pid_t pid, const struct allocator *a, uint64_t skip_start,
		     uint64_t skip_end, struct alloc_slots *out);
/* Add n slots found some other way (CPython's allocator domains: struct fields no
 * relocation names) in install order, orig[i] the original of add[i]'s hook.
 * 0, or -ENOMEM with s unchanged. */
int alloc_slots_add(struct alloc_slots *s, const struct alloc_slot *add, const uint64_t *orig,
		    size_t n);
void alloc_slots_release(struct alloc_slots *s);

#endif

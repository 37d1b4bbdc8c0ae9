/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython's mem and obj allocator domains as pointer slots of the in-process agent:
 * the malloc, calloc, realloc and free fields of their PyMemAllocatorEx structs,
 * each hooked by the agent's hook for that domain and field. */
#ifndef MEMSPY_PYTHON_SLOTS_H
#define MEMSPY_PYTHON_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/alloc_slots.h"

/* The agent the slots are for: where it is, its hooks and what its control
 * block held before this attach (an agent an earlier memspy left idle). */
struct python_slots_agent {
	uint64_t start, end;	   /* its mapping */
	const uint64_t *hooks;	   /* target address of each hook, by enum ms_agent_hook */
	const uint64_t *prev_orig; /* its control block's orig[] now: 0s when fresh */
};

/* The largest request CPython's pymalloc serves from its own pools (its
 * SMALL_REQUEST_THRESHOLD, since 3.8); larger ones it hands to malloc. */
#define PY_SMALL_MAX 512

/*
 * Add the function fields of pid's domains (dom: their addresses, as
 * python__domains gives them) to slots in install order, each field's original
 * the function it holds now: pymalloc, or what wrapped it (tracemalloc,
 * PYTHONMALLOC=debug). With an agent an earlier attach left, whose hooks may
 * still be called from where a wrapper saved them, a hook keeps the original it
 * had (another would make a cycle through that wrapper): a field must hold that
 * original, or the hook itself (put back by the wrapper), else the domains are
 * refused. When small_to_malloc is set and both domains are CPython's own
 * pymalloc, their free fields are left out and *small_max is PY_SMALL_MAX (the
 * agent asks malloc for its sampled small blocks, whose frees malloc's hook
 * sees: agent_abi.h), else every field is added and *small_max is 0. *writable:
 * the domains' pages are writable as they are (the agent may switch their fields
 * for Python windows without mprotect). 0, or -errno with a one-line reason in
 * why and slots as they were.
 */
int python_slots_add(pid_t pid, const uint64_t dom[3], const struct python_slots_agent *agent,
		     bool small_to_malloc, struct alloc_slots *slots, uint32_t *small_max,
		     bool *writable, char *why, size_t len);

#endif

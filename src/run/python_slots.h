/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython's mem and obj allocator domains as pointer slots of the in-process agent:
 * the malloc, calloc, realloc and free fields of their PyMemAllocatorEx structs,
 * each hooked by the agent's hook for that domain and field. */
#ifndef MEMSPY_PYTHON_SLOTS_H
#define MEMSPY_PYTHON_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/alloc_slots.h"

/*
 * Add the function fields of pid's domains (dom: their addresses, as
 * python__domains gives them) to slots in install order, each field's original
 * the function it holds now: pymalloc, or what wrapped it (tracemalloc,
 * PYTHONMALLOC=debug). A field pointing into [agent_start, agent_end), a hook of
 * an agent still there, is refused. 0, or -errno with a one-line reason in why
 * and slots as they were.
 */
int python_slots_add(pid_t pid, const uint64_t dom[3], uint64_t agent_start, uint64_t agent_end,
		     struct alloc_slots *slots, char *why, size_t len);

#endif

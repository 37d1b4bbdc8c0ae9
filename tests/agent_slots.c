/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a process's allocator slots point, for the in-process tests: prints
 * "slots N hooked H other O" with N the slots holding the allocator's own entry
 * points, H those pointing into a mapping of memspy's agent, O any other.
 * Usage: agent_slots PID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/alloc_slots.h"
#include "target/allocator.h"
#include "target/procmaps.h"

int main(int argc, char **argv)
{
	struct procmaps maps;
	struct allocator a;
	struct alloc_slots s;
	uint64_t lo = 0, hi = 0;
	size_t hooked = 0, other = 0;
	pid_t pid = argc > 1 ? atoi(argv[1]) : 0;

	if (pid <= 0 || procmaps_read(pid, &maps) || allocator_resolve_pid(pid, &a)) {
		fprintf(stderr, "usage: agent_slots PID (a live process, as root)\n");
		return 2;
	}
	/* the agent's text, where its hooks are: named after the memfd it came from */
	for (size_t i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.entries[i];
		if (strstr(e->path, "memspy-agent")) {
			lo = lo ? lo : e->start;
			hi = e->end;
		}
	}
	if (alloc_slots_find(pid, &a, lo, hi, &s)) {
		fprintf(stderr, "agent_slots: cannot list pid %d's slots\n", (int)pid);
		return 1;
	}
	for (size_t i = 0; i < s.nr_modules; i++) {
		hooked += s.modules[i].nr_in_skip;
		other += s.modules[i].nr_foreign - s.modules[i].nr_in_skip;
	}
	printf("slots %zu hooked %zu other %zu\n", s.n, hooked, other);
	alloc_slots_release(&s);
	allocator_release(&a);
	procmaps_release(&maps);
	return 0;
}

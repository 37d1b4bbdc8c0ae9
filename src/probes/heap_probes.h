/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load the heap BPF programs and attach them to one process's allocator. */
#ifndef MEMSPY_HEAP_PROBES_H
#define MEMSPY_HEAP_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/allocator.h"
#include "memspy/events.h"
#include "probes/probe_common.h"

/* In-process mode: the agent's trap functions, where the probes go instead of the
 * allocator's entry points. */
struct heap_agent_traps {
	const char *path;	/* the agent's file as the target maps it
				 * (/proc/<pid>/map_files/<range>) */
	uint64_t alloc_offset;	/* file offsets of ms_trap_alloc and ms_trap_free */
	uint64_t free_offset;
};

struct heap_probes_opts {
	struct probe_target target; /* with children, every process mapping the
				     * allocator is probed: the procs map filters */
	uint64_t sample_mean;	/* bytes; <= 1 records every allocation */
	uint32_t max_tracked;	/* capacity of the tracked-address map */
	uint64_t seed;		/* shuffles the countdown table */
	const struct heap_agent_traps *agent; /* NULL: uprobes on the allocator */
};

struct heap_probes;

/* Load the programs and attach them to every entry point of a (one probe per
 * address), or with o->agent to the agent's two trap functions only (a is then
 * not used). On error returns NULL, sets errno and writes a one-line reason to err. */
struct heap_probes *heap_probes__open(const struct heap_probes_opts *o, const struct allocator *a,
				      char *err, size_t errlen);
/* Remove every probe from the target; maps stay readable. Idempotent. */
void heap_probes__detach(struct heap_probes *h);
/* Detach and unload everything. Accepts NULL. */
void heap_probes__free(struct heap_probes *h);
/* The ring buffer map's fd, for capture. */
int heap_probes__events_fd(const struct heap_probes *h);
/* Sum the per-CPU counters (enum ms_counter). Returns 0 or -errno. */
int heap_probes__counters(const struct heap_probes *h, uint64_t out[MS_CNT_COUNT]);
/* Sum the per-CPU counts of allocations per power of two of their size. 0 or -errno. */
int heap_probes__sizes(const struct heap_probes *h, uint64_t out[MS_SIZE_BUCKETS]);
/* Number of uprobes attached (entry, return and free probes). */
size_t heap_probes__nr_links(const struct heap_probes *h);

#endif

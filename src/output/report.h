/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The text report of a run: totals, top sites by live bytes, leak suspects. */
#ifndef MEMSPY_REPORT_H
#define MEMSPY_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "profile/leak.h"
#include "profile/profile.h"
#include "profile/stacktab.h"

struct heap_totals {
	uint64_t alloc_calls;	 /* every outermost allocation (exact, counted in BPF) */
	uint64_t alloc_bytes;	 /* their requested bytes (exact) */
	uint64_t free_calls;	 /* every outermost free of a non-NULL pointer */
	uint64_t lost_events;	 /* ring buffer full: records dropped (allocs + frees) */
	uint64_t unseen_calls;	 /* allocator calls missed: no per-thread state in BPF */
	uint64_t map_full;	 /* blocks not tracked because the address map was full */
	uint64_t unknown_frees;	 /* frees of blocks never seen allocated (exact mode) */
	uint64_t truncated;	 /* sampled stacks whose unwinding stopped early */
	uint64_t unwind_failed;	 /* sampled stacks that could not be unwound at all */
	uint64_t exited_procs;	 /* --children: processes that exited during the run */
	double exit_released;	 /* the live bytes they took along (counted as freed) */
};

struct report_input {
	pid_t pid;
	const char *comm;	     /* target's command name */
	const char *allocator;	     /* module probed */
	const char *allocator_why;   /* why that module */
	const char *end_reason;	     /* "Ctrl-C", "duration reached", "target exited", ... */
	double duration_s;	     /* length of the run */
	uint64_t now_ns;	     /* end of the run, CLOCK_MONOTONIC, for ages */
	const struct stacktab *stacks;
	struct profile *profile;
	const struct leak_suspect *suspects;
	size_t nr_suspects;
	const struct container_growth *growth; /* growing module-level Python containers */
	size_t nr_growth;
	struct heap_totals totals;
	size_t top_n;		     /* sites listed by live bytes (default 10) */
};

/* Write the report. Sizes print as B/KiB/MiB/GiB; every listed site is titled by its
 * first frame outside the allocator and its wrappers, with the full stack under it,
 * leaf first. Sections start with stable headings ("== totals ==", "== top allocation
 * sites by live bytes ==", "== leak suspects =="); a site reads "#1 title" then
 * "live 1048576 B (1.0 MiB) in N blocks, oldest ... old" (exact runs print bytes
 * exactly; sampled runs print "~1.0 MiB"), a suspect
 * "#1 title  +97.7 KiB/s  (grew 1.9 MiB over 20.0 s, rose in 95% of intervals)".
 * Growing Python containers rank among the suspects by their estimated bytes per
 * second, titled by the line that stores into them; one whose writer is already a
 * heap suspect is told under that suspect. */
void report_write(FILE *f, const struct report_input *in);
/* Format bytes as "12.3 MiB". */
void report_format_bytes(double bytes, char *buf, size_t size);

#endif

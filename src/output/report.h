/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The text report of a run: totals, top sites by live bytes, leak suspects. */
#ifndef MEMSPY_REPORT_H
#define MEMSPY_REPORT_H

#include <stdbool.h>
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
	bool small_py_frees_uncounted; /* but those of CPython's pymalloc blocks */
	double py_share;	 /* < 1: the Python objects' part of the allocations is
				  * scaled from windows hooked this share of the time */
	unsigned mean_top_shift; /* > 0: the sampling mean was raised up to mean << it */
	double mean_raised_s;	 /* for this long (run/mean_adapt.h) */
	uint32_t max_samples;	 /* past this many samples a second */
	uint64_t lost_allocs;	 /* ring buffer full: sampled allocations dropped */
	uint64_t lost_frees;	 /* ring buffer full: frees of tracked blocks dropped */
	uint64_t unseen_calls;	 /* allocator calls missed: no per-thread state in BPF */
	uint64_t map_full;	 /* blocks not tracked because the address map was full */
	uint64_t unknown_frees;	 /* frees of blocks never seen allocated (exact mode) */
	uint64_t truncated;	 /* sampled stacks whose unwinding stopped early */
	uint64_t unwind_failed;	 /* sampled stacks that could not be unwound at all */
	uint64_t exited_procs;	 /* --children: processes that exited during the run */
	double exit_released;	 /* the live bytes they took along (counted as freed) */
};

/* A heap a language runtime keeps itself, out of the malloc probes' sight. */
struct unseen_heap {
	const char *heap;    /* "the Go heap"; NULL: none */
	const char *manager; /* "the Go runtime" */
	const char *seen;    /* what the probes see there: "cgo code, C libraries" */
};

struct report_input {
	pid_t pid;
	const char *comm;	     /* target's command name */
	const char *allocator;	     /* module probed */
	const char *allocator_why;   /* why that module */
	const char *heap_mode;	     /* how the heap was watched: "in-process sampler (...)"
				      * or "uprobes on <allocator> (<why>)"; NULL: not said */
	struct unseen_heap unseen;   /* a runtime's own heap; .heap NULL: none */
	bool rss;		     /* new pages were sampled: "== rss ==", rss.folded */
	const char *python_off;	     /* why a CPython's frames are off; NULL or "": on, or none */
	const char *end_reason;	     /* "Ctrl-C", "duration reached", "target exited", ... */
	double duration_s;	     /* length of the run */
	uint64_t now_ns;	     /* end of the run, CLOCK_MONOTONIC, for ages */
	const struct stacktab *stacks;
	struct profile *profile;
	const struct leak_suspect *suspects;
	size_t nr_suspects;
	const struct leak_work *work; /* what growth was judged against; NULL: time */
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
 * heap suspect is told under that suspect. A heap the probes cannot see (a Go
 * program's) gets a "  not seen   the Go heap, ..." line under the allocator that
 * points at the new pages, and the suspects say they cover C allocations only. */
void report_write(FILE *f, const struct report_input *in);
/* The header line "  python     frames off: <off>" when off is set: the same
 * reason the warning gave, kept with the run's outputs. */
void report_write_python(FILE *f, const char *off);
/* A suspect's lines, each first line starting with lead: "#1 title  +X per GiB
 * allocated, +Y/s of load" (per GiB of new pages when w counts faults; "+Y/s"
 * alone when time is the work), then how it grew and what it gave back. */
void report_write_suspect(FILE *f, const char *lead, size_t rank, const struct leak_suspect *s,
			  const char *title, const struct leak_work *w);
/* The full stack under a title, leaf first as debuggers print it, six spaces in. */
void report_write_stack(FILE *f, const struct stacktab *t, uint32_t stack_id);
/* Format bytes as "12.3 MiB". */
void report_format_bytes(double bytes, char *buf, size_t size);

#endif

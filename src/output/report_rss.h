/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RSS growth in the outputs: rss.folded/rss.svg and the report's "== rss ==" section. */
#ifndef MEMSPY_REPORT_RSS_H
#define MEMSPY_REPORT_RSS_H

#include <stdint.h>
#include <stdio.h>

#include "profile/cpu_profile.h"
#include "profile/leak.h"
#include "memspy/events.h"
#include "profile/rss_pages.h"
#include "profile/stacktab.h"

/* How the page faults were traced (src/run/rss_adapt.h). */
struct rss_tracing {
	uint32_t period_min, period_max; /* one sample in period new-page faults */
	uint32_t window_scale;		 /* in windows: traced 1 in window_scale of the time */
	uint32_t windows_above;		 /* new pages a second that start the windows */
	double windowed_s;		 /* seconds in windows; 0: traced throughout */
};

/* Write <dir>/rss.folded and rss.svg: bytes of new pages still mapped, per stack.
 * Returns 0 or -errno (reported). */
int report_rss_write_profile(const char *dir, const struct stacktab *t,
			     const struct cpu_profile *p, int pid, const char *comm,
			     const struct rss_tracing *tr);
/* The "== rss ==" section: sampled faults (counters: enum ms_rss_counter),
 * estimated bytes of new pages (p holds those still mapped, released_bytes those
 * given back since), the anonymous resident memory at attach and at the end (< 0:
 * not known, no line) and the top stacks, each titled by its innermost Python
 * frame or its first frame outside the allocator. */
void report_rss_write(FILE *f, const struct stacktab *t, const struct cpu_profile *p,
		      uint64_t released_bytes, const uint64_t *counters,
		      const struct rss_tracing *tr, double anon_start, double anon_end);

/* RSS growth judged as heap growth is (profile/rss_growth.h). */
struct rss_suspects_input {
	const struct stacktab *stacks;
	const struct leak_work *work;	      /* what they were judged against */
	const char *work_why;		      /* why the work is the new pages faulted in
					       * (work->faults), "the heap was not tracked
					       * (--no-heap)"; NULL otherwise */
	const struct leak_suspect *suspects; /* ranked, steepest first */
	size_t nr_suspects;
};

/* The end of "== rss ==": the stacks whose new pages grew with the work and
 * stayed, each with its growth per GiB of work and per second of load, what it
 * gave back, and its stack; or why there are none. */
void report_rss_write_suspects(FILE *f, const struct rss_suspects_input *in);

#endif

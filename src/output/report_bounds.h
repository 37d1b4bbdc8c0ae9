/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's account of what memspy's own memory bounds kept out of a run:
 * stacks, frame names and heap sites past their limits, counted under a
 * placeholder rather than dropped unseen. */
#ifndef MEMSPY_REPORT_BOUNDS_H
#define MEMSPY_REPORT_BOUNDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bounds_report {
	size_t stacks, max_stacks;  /* distinct stacks kept, and the bound */
	uint64_t stacks_dropped;    /* samples at new stacks past it: "[other stacks]" */
	size_t frames, max_frames;  /* frame names kept, and the bound */
	uint64_t frames_dropped;    /* names past it: "[other frames]" */
	size_t max_sites;	    /* heap sites per profile */
	uint64_t sites_folded;	    /* sampled allocations past it: "[other stacks]" */
};

/* "== memspy's own memory ==" with one line per bound that was reached; nothing
 * when none was (every sample then has its own stack). */
void report_bounds_write(FILE *f, const struct bounds_report *b);

#endif

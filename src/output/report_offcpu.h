/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The off-CPU part of the report: time waited by reason, and the top waits. */
#ifndef MEMSPY_REPORT_OFFCPU_H
#define MEMSPY_REPORT_OFFCPU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/offcpu_profile.h"
#include "profile/stacktab.h"

struct offcpu_report_input {
	const struct offcpu_profile *profile;
	const struct stacktab *stacks;
	const uint64_t *counters; /* enum ms_off_counter: exact, every wait counted */
	uint64_t period_us;	  /* one sample per this much of a thread's waiting */
	uint64_t samples;	  /* samples ingested */
	uint64_t truncated;	  /* ... whose stacks stopped early */
	double duration_s;
	size_t top_n;
};

/* Write "== off-cpu ==": the time waited by reason (counted exactly by the
 * kernel side), then "== top waits ==": the off-CPU stacks that waited longest,
 * with their total, estimated number of waits, mean wait and reason. */
void report_offcpu_write(FILE *f, const struct offcpu_report_input *in);

#endif

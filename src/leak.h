/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rank allocation sites whose live bytes keep growing: the leak suspects. */
#ifndef MEMSPY_LEAK_H
#define MEMSPY_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct leak_suspect {
	uint32_t stack_id;
	double slope;	   /* least-squares growth, bytes per second */
	double growth;	   /* live bytes at the end minus at the start */
	double rise_share; /* share of intervals in which live bytes rose */
};

/* Criteria: live bytes rose in more than half the intervals, were still rising over
 * the last quarter of the run, and grew by more than noise_bytes (sampling noise;
 * use about 3 * sample mean, or 0 for exact runs). Needs at least 3 points.
 * Fills at most max suspects ranked by slope, largest first; returns their number. */
size_t leak_rank(const struct profile *p, double noise_bytes, struct leak_suspect *out,
		 size_t max);
/* The test for one series (exposed for unit tests). Fills *s except stack_id. */
bool leak_is_suspect(const struct series *s, double noise_bytes, struct leak_suspect *out);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rank allocation sites whose live bytes keep growing: the leak suspects. */
#ifndef MEMSPY_LEAK_H
#define MEMSPY_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

struct leak_suspect {
	uint32_t stack_id;
	double slope;	   /* least-squares growth, bytes per second */
	double growth;	   /* live bytes at the end minus at the start */
	double rise_share; /* of the intervals in which live bytes changed, the share that rose */
	double span_s;	   /* time from the series' first point to its last */
	uint32_t intervals; /* intervals in the series (points - 1) */
	uint32_t rises;	    /* intervals in which live bytes rose */
	uint32_t falls;	    /* intervals in which live bytes fell */
};

/* A container of the target (a module-level Python dict, list or set) whose length
 * grew steadily: the growth is judged here, the rest told by whoever reads the
 * containers. */
struct container_growth {
	char name[272];		/* "module.global" */
	char writer[320];	/* the code storing into it, "function (file.py:LINE)";
				 * "" when not found */
	const char *type;	/* static: "dict", "list" or "set" */
	int64_t len_start, len_end;
	double entries_per_s;	/* least-squares slope of the length */
	double bytes_per_entry; /* estimate: its slot plus its newest element */
	double span_s;		/* time from the first reading to the last */
};

/* Criteria: live bytes rose in more than half of the intervals in which they changed
 * (flat intervals are left out: a sampled leak climbs in steps of one sample), the
 * least-squares slope is positive, the slope over the last quarter of the run (at
 * least 3 points) is still at least a quarter of it and 2.5 of its standard errors
 * (a settled level that wobbles is not rising), and the growth exceeds both
 * noise_bytes and 3 standard deviations of the series around its fitted line (a busy
 * steady site wanders). Needs at least 3 points.
 * leak_rank passes noise_bytes (use about 3 * sample mean, or 0 for exact runs),
 * raised per site in sampled runs to 3 * sqrt(mean * (|start| + |end|)), the spread
 * of a sampled estimate of that many bytes. Fills at most max suspects ranked by
 * slope, largest first (ties by stack id); returns their number. */
size_t leak_rank(const struct profile *p, double noise_bytes, struct leak_suspect *out,
		 size_t max);
/* Least-squares slope of the last `last` points of a series, in units per second
 * (0 with fewer than two points): a site's growth right now (memspy top). */
double leak_recent_slope(const struct series *s, size_t last);
/* The test for one series (exposed for unit tests). Fills *out except stack_id,
 * whatever the verdict. */
bool leak_is_suspect(const struct series *s, double noise_bytes, struct leak_suspect *out);
/* Whether a container's length series (at least 3 points) grew steadily: the test of
 * leak_is_suspect without noise, since lengths are exact and only their wobble around
 * the line counts. When it did, fills out's len_start, len_end, entries_per_s and
 * span_s and zeroes the rest. */
bool leak_container_grows(const struct series *lengths, struct container_growth *out);
/* Rank growing containers by their estimated bytes per second (entries_per_s *
 * bytes_per_entry), largest first, ties by name. */
void leak_rank_containers(struct container_growth *g, size_t n);

#endif

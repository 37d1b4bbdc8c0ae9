/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rank allocation sites whose live bytes keep growing: the leak suspects. */
#ifndef MEMSPY_LEAK_H
#define MEMSPY_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

/* The work a process did over a run, against which growth is judged: memory that
 * grows while the process allocates, and stays, is a leak; idle seconds neither
 * prove nor disprove one (a load test that stopped leaves a leak flat). */
struct leak_work {
	const struct series *allocated; /* bytes allocated since the start; NULL: time
					 * itself is the work (every second is load) */
	double load_rate;   /* bytes per second from which an interval is load */
	double median_rate; /* the run's median allocation rate, bytes per second */
	double peak_rate;   /* its highest, bytes per second */
	double total;	    /* bytes allocated over the run */
	double load_s;	    /* seconds of load */
	double span_s;	    /* the run's seconds */
	bool no_work;	    /* fewer than 3 seconds of load: nothing to judge by */
	bool faults;	    /* allocated counts bytes of new pages faulted in, not bytes
			     * allocated (leak_work_init_faults) */
};

/* A series to judge, and the stack it stands for. */
struct leak_candidate {
	uint32_t stack_id;
	const struct series *s;
};

struct leak_suspect {
	uint32_t stack_id;
	double slope;	   /* growth per second of load, bytes (least squares against the
			    * bytes allocated, times the allocation rate under load) */
	double per_gib;	   /* growth per GiB allocated, bytes; 0 when time is the work */
	double growth;	   /* live bytes at the end minus at the start */
	double peak;	   /* highest live bytes, minus those at the start */
	double released;   /* given back since the peak: peak - growth */
	double rise_share; /* of the load intervals in which live bytes changed, the share
			    * that rose */
	double span_s;	   /* time from the series' first point to its last */
	double load_s;	   /* seconds of load in that time */
	uint32_t intervals; /* load intervals in the series */
	uint32_t rises;	    /* load intervals in which live bytes rose */
	uint32_t falls;	    /* load intervals in which live bytes fell */
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
	double entries_per_s;	/* entries per second of load */
	double bytes_per_entry; /* estimate: its slot plus its newest element */
	double span_s;		/* time from the first reading to the last */
	double entries_per_gib; /* entries per GiB allocated; 0 when time is the work */
	double load_s;		/* seconds of load in that time */
};

/* The work of a run from its bytes-allocated series (profile__allocated_series;
 * NULL: time is the work). An interval is load when the process allocated at
 * least a tenth of the run's median rate and at least MS_LEAK_IDLE_RATE (an idle
 * process's housekeeping); with fewer than 3 such intervals there was no work. */
void leak_work_init(struct leak_work *w, const struct series *allocated);
/* The same from the bytes of new pages the process faulted in since the start:
 * the work of a process whose allocator the probes do not see at work (--no-heap,
 * a runtime's own heap). */
void leak_work_init_faults(struct leak_work *w, const struct series *faulted);

/* Criteria, on the series' points at the ends of load intervals, placed by the
 * bytes allocated so far (idle intervals are folded into the next load one):
 * live bytes rose in more than half of the load intervals in which they changed
 * (a sampled leak climbs in steps of one sample), the least-squares slope against
 * the work is positive, the slope over the last quarter of the work (at least 3
 * points) is still at least a quarter of it and 2.5 of its standard errors (with 5
 * points or more), the slope over the last half of the work is 2.5 of its standard
 * errors (a settled level that wobbles is not rising), at least half the growth is
 * still held at the end (grown, then given back, is not a leak), and the growth
 * exceeds both noise_bytes and 3 standard deviations around the fitted line.
 * Needs at least 3 such points, and work (w->no_work false).
 * leak_rank passes noise_bytes (use about 3 * sample mean, or 0 for exact runs),
 * raised per site in sampled runs to 3 * sqrt(mean * (|start| + |end|)), the spread
 * of a sampled estimate of that many bytes. Fills at most max suspects ranked by
 * growth per second of load, largest first (ties by stack id); returns their
 * number. */
size_t leak_rank(const struct profile *p, const struct leak_work *w, double noise_bytes,
		 struct leak_suspect *out, size_t max);
/* Least-squares slope of the last `last` points of a series, in units per second
 * (0 with fewer than two points): a site's growth right now (memspy top). */
/* leak_rank over any series: n candidates whose values are sampled estimates,
 * one sample standing for about sample_mean bytes (<= 1: exact). */
size_t leak_rank_series(const struct leak_candidate *c, size_t n, double sample_mean,
			const struct leak_work *w, double noise_bytes, struct leak_suspect *out,
			size_t max);
double leak_recent_slope(const struct series *s, size_t last);
/* The test for one series (exposed for unit tests). Fills *out except stack_id,
 * whatever the verdict. */
bool leak_is_suspect(const struct series *s, const struct leak_work *w, double noise_bytes,
		     struct leak_suspect *out);
/* Whether a container's length series (at least 3 points) grew steadily with the
 * work: the test of leak_is_suspect without noise, since lengths are exact and only
 * their wobble around the line counts. When it did, fills out's len_start,
 * len_end, entries_per_s, entries_per_gib, span_s and load_s and zeroes the
 * rest. */
bool leak_container_grows(const struct series *lengths, const struct leak_work *w,
			  struct container_growth *out);
/* Rank growing containers by their estimated bytes per second of load
 * (entries_per_s * bytes_per_entry), largest first, ties by name. */
void leak_rank_containers(struct container_growth *g, size_t n);

#endif

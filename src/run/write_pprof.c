/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pprof copies of a run's heap, CPU and RSS profiles, typed as Go's own
 * profiles are, so go tool pprof's habits (-sample_index=alloc_space) carry over. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "output/pprof.h"
#include "run/write_pprof.h"

/* Go's heap profile: what was allocated over the run, and what is live at its end. */
static const struct pprof_type heap_types[] = {
	{"alloc_objects", "count"},
	{"alloc_space", "bytes"},
	{"inuse_objects", "count"},
	{"inuse_space", "bytes"},
};

static const struct pprof_type cpu_types[] = {
	{"samples", "count"},
	{"cpu", "nanoseconds"},
};

static const struct pprof_type rss_types[] = {
	{"rss", "bytes"},
};

/* The start of the run on the wall clock, which pprof shows. */
static int64_t wall_start_ns(const struct pprof_set *s)
{
	struct timespec ts;
	uint64_t ago = clock_now_ns() - s->start_ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - (int64_t)ago;
}

static struct pprof_desc desc_of(const struct pprof_set *s, const struct pprof_type *types,
				 size_t n)
{
	return (struct pprof_desc){
		.types = types,
		.nr_types = n,
		.time_ns = wall_start_ns(s),
		.duration_ns = s->end_ns > s->start_ns ? (int64_t)(s->end_ns - s->start_ns) : 0,
		.mapping_name = s->comm,
	};
}

/* Estimates rounded as heap.folded rounds live bytes, so the totals agree. */
static int64_t estimate(double v)
{
	return v > 0 ? (int64_t)(v + 0.5) : 0;
}

static int write_heap(const struct pprof_set *s)
{
	size_t n;
	const struct site_stats *sites = profile__sites(s->heap, &n);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	int64_t *vals = calloc(n ? n * 4 : 1, sizeof(*vals));
	struct pprof_desc d = desc_of(s, heap_types, 4);
	int err = -ENOMEM;

	d.period_type = (struct pprof_type){"space", "bytes"};
	d.period = s->sample_mean > 1 ? (int64_t)s->sample_mean : 1;
	d.default_type = "inuse_space";
	if (ids && vals) {
		for (size_t i = 0; i < n; i++) {
			ids[i] = sites[i].stack_id;
			vals[i * 4] = estimate(sites[i].alloc_count);
			vals[i * 4 + 1] = estimate(sites[i].alloc_bytes);
			vals[i * 4 + 2] = estimate(sites[i].live_count);
			vals[i * 4 + 3] = estimate(sites[i].live_bytes);
		}
		err = pprof_write(s->dir, "heap.pb.gz", s->stacks, ids, vals, n, &d);
	} else {
		ms_err("out of memory writing heap.pb.gz");
	}
	free(ids);
	free(vals);
	return err;
}

/* The CPU samples, and what they stand for: 1/freq s of CPU each. The RSS
 * profile counts bytes the same way, one value a stack. */
static int write_counts(const struct pprof_set *s, const struct cpu_profile *p, bool cpu)
{
	const uint32_t *ids;
	const uint64_t *counts;
	size_t n = cpu_profile__stacks(p, &ids, &counts), nv = cpu ? 2 : 1;
	int64_t *vals = calloc(n ? n * nv : 1, sizeof(*vals));
	int64_t period = s->freq_hz ? 1000000000 / s->freq_hz : 0;
	struct pprof_desc d = cpu ? desc_of(s, cpu_types, 2) : desc_of(s, rss_types, 1);
	const char *name = cpu ? "cpu.pb.gz" : "rss.pb.gz";
	int err;

	if (!vals) {
		ms_err("out of memory writing %s", name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		vals[i * nv] = (int64_t)counts[i];
		if (cpu)
			vals[i * nv + 1] = (int64_t)counts[i] * period;
	}
	d.period_type = cpu ? cpu_types[1] : rss_types[0];
	d.period = cpu ? period : 0;
	err = pprof_write(s->dir, name, s->stacks, ids, vals, n, &d);
	free(vals);
	return err;
}

int write_pprof_time(const struct pprof_set *s, const char *name, const char *type,
		     const uint32_t *ids, const uint64_t *us, size_t n)
{
	const struct pprof_type types[] = {{type, "nanoseconds"}};
	struct pprof_desc d = desc_of(s, types, 1);
	int64_t *vals = calloc(n ? n : 1, sizeof(*vals));
	int err;

	if (!vals) {
		ms_err("out of memory writing %s", name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		vals[i] = (int64_t)us[i] * 1000;
	d.period_type = types[0];
	err = pprof_write(s->dir, name, s->stacks, ids, vals, n, &d);
	free(vals);
	return err;
}

int write_pprof(const struct pprof_set *s)
{
	int status = 0;

	if (s->heap && write_heap(s))
		status = -EIO;
	if (s->cpu && write_counts(s, s->cpu, true))
		status = -EIO;
	if (s->rss && write_counts(s, s->rss, false))
		status = -EIO;
	return status;
}

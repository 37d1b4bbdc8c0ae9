/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run recorded so far, analysed for display: the one ranking of leak
 * suspects, and the rows memspy top shows. */
#include <stdlib.h>

#include "output/report.h"
#include "profile/cpu_profile.h"
#include "profile/profile.h"
#include "profile/site_name.h"
#include "run/run_opts.h"
#include "run/snapshot.h"

/* Growth per second is the slope over this many recent points (one a second). */
#define GROWTH_POINTS 6
#define MAX_SUSPECTS 64

size_t heap_suspects(const struct profile *p, uint64_t sample_mean, struct leak_suspect *out,
		     size_t max)
{
	/* A site must grow by more than a few samples' worth to stand out from the
	 * spread sampling adds (at the widest mean, raised in a storm); exact runs
	 * have none. */
	double noise = sample_mean <= 1 ? 0 : 3.0 * (double)profile__widest_mean(p);
	struct leak_work w;

	leak_work_init(&w, profile__allocated_series(p));
	return leak_rank(p, &w, noise, out, max);
}

static struct top_row *rows_reserve(struct top_row **rows, size_t *cap, size_t n)
{
	if (n > *cap) {
		struct top_row *r = realloc(*rows, n * sizeof(*r));
		if (!r)
			return NULL;
		*rows = r;
		*cap = n;
	}
	return *rows;
}

size_t snapshot_heap_rows(const struct profile *p, const struct stacktab *stacks,
			  const struct run_opts *o, struct top_row **out, size_t *cap)
{
	struct leak_suspect sus[MAX_SUSPECTS];
	size_t n, nsus = 0;
	const struct site_stats *sites = profile__sites(p, &n);
	double live = profile__live_bytes(p);
	struct top_row *rows = rows_reserve(out, cap, n);

	if (!rows)
		return 0;
	if (o->heap)
		nsus = heap_suspects(p, o->sample_mean, sus, MAX_SUSPECTS);
	for (size_t i = 0; i < n; i++) {
		const struct site_stats *st = &sites[i];
		struct top_row *row = &rows[i];

		*row = (struct top_row){
			.live_bytes = st->live_bytes,
			.live_count = st->live_count,
			.growth = leak_recent_slope(profile__site_series(p, st->stack_id),
						    GROWTH_POINTS),
			.share = live > 0 ? 100.0 * st->live_bytes / live : 0,
			.alloc_bytes = st->alloc_bytes,
			.key = st->stack_id,
			.frame = site_name_frame(stacks, st->stack_id),
		};
		for (size_t k = 0; k < nsus; k++)
			if (sus[k].stack_id == st->stack_id)
				row->suspect = sus[k].slope;
	}
	return n;
}

size_t snapshot_cpu_rows(const struct cpu_profile *c, const struct stacktab *stacks,
			 uint32_t freq_hz, struct top_row **out, size_t *cap)
{
	uint64_t total = cpu_profile__total(c);
	double freq = freq_hz ? (double)freq_hz : 1;
	struct cpu_function *fns = NULL;
	size_t nr = 0;

	if (!total)
		return 0;
	long n = cpu_profile_functions(c, stacks, 1, &fns);
	struct top_row *rows = n > 0 ? rows_reserve(out, cap, (size_t)n) : NULL;
	if (rows) {
		for (long i = 0; i < n; i++)
			rows[i] = (struct top_row){
				.self_pct = 100.0 * (double)fns[i].self / (double)total,
				.total_pct = 100.0 * (double)fns[i].total / (double)total,
				.self_s = (double)fns[i].self / freq,
				.total_s = (double)fns[i].total / freq,
				.key = fns[i].frame_id,
				.frame = fns[i].frame_id,
			};
		nr = (size_t)n;
	}
	free(fns);
	return nr;
}

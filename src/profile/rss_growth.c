/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bytes of new pages still mapped per stack over time, for the stacks that hold the
 * most, and the leak test on them by title. */
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "profile/rss_growth.h"
#include "profile/site_name.h"

struct tracked {
	uint32_t stack_id;
	double bytes; /* at the last tick */
	struct tseries series;
};

struct rss_growth {
	struct tracked stacks[MS_RSS_TRACKED];
	size_t n;
	struct hashtab by_stack; /* entries of stacks */
	struct tseries faulted;
	struct series_clock clock;
};

static const struct series empty_series;

struct rss_growth *rss_growth__new(void)
{
	struct rss_growth *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	series_clock_start(&g->clock);
	if (hashtab__init(&g->by_stack, MS_RSS_TRACKED, 0)) {
		free(g);
		return NULL;
	}
	return g;
}

void rss_growth__free(struct rss_growth *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		tseries_fini(&g->stacks[i].series);
	tseries_fini(&g->faulted);
	hashtab__fini(&g->by_stack);
	free(g);
}

static uint32_t find(const struct rss_growth *g, uint32_t stack_id, size_t *pos)
{
	uint64_t h = hash_u64(stack_id);

	for (uint32_t i = hashtab__first(&g->by_stack, h, pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&g->by_stack, h, pos))
		if (g->stacks[i].stack_id == stack_id)
			return i;
	return MS_HASHTAB_NONE;
}

static size_t smallest(const struct rss_growth *g)
{
	size_t m = 0;

	for (size_t i = 1; i < g->n; i++)
		if (g->stacks[i].bytes < g->stacks[m].bytes)
			m = i;
	return m;
}

/* Give slot i to stack_id, its series starting at this point. */
static void track(struct rss_growth *g, size_t i, uint32_t stack_id, double bytes, size_t point)
{
	struct tracked *s = &g->stacks[i];

	if (hashtab__insert(&g->by_stack, hash_u64(stack_id), (uint32_t)i))
		return;
	*s = (struct tracked){.stack_id = stack_id, .bytes = bytes};
	tseries_add(&s->series, &g->clock, point, bytes);
	if (i == g->n)
		g->n++;
}

/* Stacks without a series: into a free slot, or in place of the smallest tracked
 * stack when they hold more than twice its bytes (the hysteresis keeps two stacks
 * of about one size from swapping at every tick). */
static void admit(struct rss_growth *g, const uint32_t *ids, const uint64_t *vals, size_t n,
		  size_t point)
{
	size_t swaps = 0, m = smallest(g), pos;

	for (size_t i = 0; i < n; i++) {
		if (!vals[i] || find(g, ids[i], &pos) != MS_HASHTAB_NONE)
			continue;
		if (g->n < MS_RSS_TRACKED) {
			track(g, g->n, ids[i], (double)vals[i], point);
			continue;
		}
		if (swaps == MS_RSS_SWAPS || (double)vals[i] <= 2 * g->stacks[m].bytes)
			continue;
		hashtab__remove(&g->by_stack, hash_u64(g->stacks[m].stack_id), (uint32_t)m);
		tseries_fini(&g->stacks[m].series);
		track(g, m, ids[i], (double)vals[i], point);
		swaps++;
		m = smallest(g);
	}
}

void rss_growth__tick(struct rss_growth *g, const struct cpu_profile *rss, uint64_t released_bytes,
		      uint64_t ts_ns)
{
	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(rss, &ids, &vals), pos;
	uint64_t halve;
	size_t point = series_clock_tick(&g->clock, ts_ns, &halve);

	if (halve) {
		tseries_halve(&g->faulted, halve);
		for (size_t i = 0; i < g->n; i++)
			tseries_halve(&g->stacks[i].series, halve);
	}
	tseries_add(&g->faulted, &g->clock, point,
		    (double)(cpu_profile__total(rss) + released_bytes));
	/* every tracked stack stays listed in rss, at 0 once its pages are gone */
	for (size_t i = 0; i < n; i++) {
		uint32_t k = find(g, ids[i], &pos);

		if (k == MS_HASHTAB_NONE)
			continue;
		g->stacks[k].bytes = (double)vals[i];
		tseries_add(&g->stacks[k].series, &g->clock, point, (double)vals[i]);
	}
	admit(g, ids, vals, n, point);
}

const struct series *rss_growth__faulted_series(const struct rss_growth *g)
{
	return &g->faulted.s;
}

const struct series *rss_growth__stack_series(const struct rss_growth *g, uint32_t stack_id)
{
	size_t pos;
	uint32_t k = find(g, stack_id, &pos);

	return k == MS_HASHTAB_NONE ? &empty_series : &g->stacks[k].series.s;
}

size_t rss_growth__nr_tracked(const struct rss_growth *g)
{
	return g->n;
}

/* The tracked stacks under one title, summed on the clock's grid: a stack that
 * got its series later held nothing before (or was too small to count). */
struct title_sum {
	uint32_t frame;
	uint32_t stack_id; /* the one holding the most bytes now */
	double bytes;
	size_t first, end; /* clock points [first, end) */
	struct series s;
};

/* Group the tracked stacks by title into sums[]; returns their number. */
static size_t group(const struct rss_growth *g, const struct stacktab *t, struct title_sum *sums)
{
	size_t nr = 0;

	for (size_t i = 0; i < g->n; i++) {
		const struct tracked *s = &g->stacks[i];
		uint32_t frame = site_name_frame(t, s->stack_id);
		size_t k, end = s->series.first_point + s->series.s.n;

		if (!s->series.s.n)
			continue;
		for (k = 0; k < nr && sums[k].frame != frame; k++)
			;
		if (k == nr)
			sums[nr++] = (struct title_sum){.frame = frame, .stack_id = s->stack_id,
							.bytes = -1, .first = s->series.first_point};
		if (s->bytes > sums[k].bytes) {
			sums[k].bytes = s->bytes;
			sums[k].stack_id = s->stack_id;
		}
		if (s->series.first_point < sums[k].first)
			sums[k].first = s->series.first_point;
		if (end > sums[k].end)
			sums[k].end = end;
	}
	return nr;
}

/* Fill the sum's points from its stacks' series; -1 when out of memory. */
static int sum_series(const struct rss_growth *g, const struct stacktab *t, struct title_sum *sum)
{
	size_t n = sum->end - sum->first;

	sum->s.points = calloc(n ? n : 1, sizeof(double));
	if (!sum->s.points)
		return -1;
	sum->s.n = n;
	sum->s.interval_ns = g->faulted.s.interval_ns;
	sum->s.start_ns = g->clock.first_tick_ns + sum->first * sum->s.interval_ns;
	for (size_t i = 0; i < g->n; i++) {
		const struct tseries *ts = &g->stacks[i].series;

		if (!ts->s.n || site_name_frame(t, g->stacks[i].stack_id) != sum->frame)
			continue;
		for (size_t p = ts->first_point; p < sum->end; p++) {
			size_t at = p - ts->first_point;

			/* a series a lost point left short holds its last value */
			sum->s.points[p - sum->first] += ts->s.points[at < ts->s.n ? at : ts->s.n - 1];
		}
	}
	return 0;
}

size_t rss_growth__rank(const struct rss_growth *g, const struct stacktab *t,
			const struct leak_work *w, double sample_mean, struct leak_suspect *out,
			size_t max)
{
	struct title_sum *sums = calloc(g->n ? g->n : 1, sizeof(*sums));
	struct leak_candidate *c = calloc(g->n ? g->n : 1, sizeof(*c));
	size_t nr = 0, nsums = 0;

	if (sums && c && !w->no_work) {
		nsums = group(g, t, sums);
		for (nr = 0; nr < nsums; nr++) {
			if (sum_series(g, t, &sums[nr]))
				break;
			c[nr] = (struct leak_candidate){sums[nr].stack_id, &sums[nr].s};
		}
		/* a site must grow by more than a few samples' worth to stand out */
		nr = nr == nsums ? leak_rank_series(c, nsums, sample_mean, w, 3.0 * sample_mean,
						    out, max)
				 : 0;
	}
	for (size_t i = 0; sums && i < nsums; i++)
		free(sums[i].s.points);
	free(sums);
	free(c);
	return nr;
}

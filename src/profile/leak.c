/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Leak suspects: sites whose live bytes grew steadily and were still growing at the end,
 * and containers whose length did. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile/leak.h"

/* The tail must still climb at this fraction of the run's slope: a leak that slowed
 * down is still a leak, a site that levelled off is not. */
#define MS_LEAK_TAIL_RATIO 0.25
/* Growth must exceed this many standard deviations of the series around its line:
 * a busy site's level wanders, and its ends can differ by chance. */
#define MS_LEAK_NOISE_SIGMAS 3.0
/* The tail's slope must exceed this many of its standard errors (a t test; about
 * a 2% chance for a flat tail with 6 degrees of freedom). */
#define MS_LEAK_TAIL_T 2.5
/* Fewest points in the last quarter for its own t test. */
#define MS_LEAK_TAIL_MIN_T_POINTS 5

/* Least-squares fit of points[from..to) against time dt apart; returns the slope,
 * the standard deviation of the residuals and the standard error of the slope. */
static double fit(const double *y, size_t from, size_t to, double dt, double *sd, double *se)
{
	size_t n = to - from;
	double mx = 0, my = 0, sxx = 0, sxy = 0, slope, icpt, ss = 0;

	for (size_t i = from; i < to; i++) {
		mx += (double)(i - from) * dt;
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = from; i < to; i++) {
		double dx = (double)(i - from) * dt - mx;

		sxx += dx * dx;
		sxy += dx * (y[i] - my);
	}
	slope = sxx > 0 ? sxy / sxx : 0;
	icpt = my - slope * mx;
	for (size_t i = from; i < to; i++) {
		double r = y[i] - (icpt + slope * (double)(i - from) * dt);

		ss += r * r;
	}
	*sd = n > 2 ? sqrt(ss / (double)(n - 2)) : 0;
	*se = sxx > 0 ? *sd / sqrt(sxx) : 0;
	return slope;
}

bool leak_is_suspect(const struct series *s, double noise_bytes, struct leak_suspect *out)
{
	double dt = s->interval_ns ? (double)s->interval_ns / 1e9 : 1.0;
	double sd, se, tail_sd, tail_se, tail_slope, half_slope, half_se, threshold;
	size_t n = s->n, tail, half, changed;

	out->slope = out->growth = out->rise_share = out->span_s = 0;
	out->rises = out->falls = 0;
	out->intervals = n ? (uint32_t)(n - 1) : 0;
	if (n < 3)
		return false;
	for (size_t i = 1; i < n; i++) {
		if (s->points[i] > s->points[i - 1])
			out->rises++;
		else if (s->points[i] < s->points[i - 1])
			out->falls++;
	}
	/*
	 * Flat intervals say nothing either way: a sampled leak moves in steps of about
	 * one sample's weight, with flat seconds between them, and an exact run of a slow
	 * leak does the same. Judge by the intervals that moved.
	 */
	changed = out->rises + out->falls;
	out->rise_share = changed ? (double)out->rises / (double)changed : 0;
	out->growth = s->points[n - 1] - s->points[0];
	out->span_s = (double)(n - 1) * dt;
	out->slope = fit(s->points, 0, n, dt, &sd, &se);

	tail = (n + 3) / 4;
	if (tail < 3)
		tail = 3;
	tail_slope = fit(s->points, n - tail, n, dt, &tail_sd, &tail_se);
	half = (n + 1) / 2;
	if (half < 3)
		half = 3;
	half_slope = fit(s->points, n - half, n, dt, &tail_sd, &half_se);

	threshold = MS_LEAK_NOISE_SIGMAS * sd;
	if (threshold < noise_bytes)
		threshold = noise_bytes;
	/*
	 * "Still rising" must be more than the wobble of a level that has settled: a
	 * cache that filled early and then churns has a tail slope of either sign, so
	 * ask for a slope clearly above its own standard error, over the last quarter
	 * and, with more points to judge by, over the second half. A quarter of a short
	 * run has too few points for a t test (one degree of freedom with three): there
	 * the second half alone is tested and the tail need only still climb.
	 */
	bool tail_ok = tail_slope > 0 && tail_slope >= MS_LEAK_TAIL_RATIO * out->slope &&
		       (tail < MS_LEAK_TAIL_MIN_T_POINTS || tail_slope > MS_LEAK_TAIL_T * tail_se);
	return out->rise_share > 0.5 && out->slope > 0 && tail_ok &&
	       half_slope > MS_LEAK_TAIL_T * half_se && out->growth > threshold;
}

size_t leak_rank(const struct profile *p, double noise_bytes, struct leak_suspect *out,
		 size_t max)
{
	double mean = (double)profile__sample_mean(p);
	const struct site_stats *sites;
	size_t nr_sites, nr = 0;

	sites = profile__sites(p, &nr_sites);
	for (size_t i = 0; i < nr_sites; i++) {
		const struct series *s = profile__site_series(p, sites[i].stack_id);
		double noise = noise_bytes;
		struct leak_suspect cand;
		size_t at;

		/*
		 * A sampled estimate of a level L is a sum of about L / mean samples of
		 * about mean bytes each: its standard deviation is near sqrt(L * mean),
		 * so a site holding much memory wanders by more than one sample's weight.
		 */
		if (mean > 1 && s->n) {
			double span = fabs(s->points[0]) + fabs(s->points[s->n - 1]);
			double sampling = MS_LEAK_NOISE_SIGMAS * sqrt(span * mean);

			if (noise < sampling)
				noise = sampling;
		}
		if (!leak_is_suspect(s, noise, &cand))
			continue;
		cand.stack_id = sites[i].stack_id;
		/* Insertion into the ranked output: max is small. */
		for (at = nr; at > 0; at--) {
			const struct leak_suspect *o = &out[at - 1];

			if (o->slope > cand.slope ||
			    (o->slope == cand.slope && o->stack_id < cand.stack_id))
				break;
		}
		if (at >= max)
			continue;
		if (nr < max)
			nr++;
		for (size_t j = nr - 1; j > at; j--)
			out[j] = out[j - 1];
		out[at] = cand;
	}
	return nr;
}

double leak_recent_slope(const struct series *s, size_t last)
{
	size_t k = s->n < last ? s->n : last;
	double dt = (double)s->interval_ns / 1e9, sd, se;

	if (k < 2 || dt <= 0)
		return 0;
	return fit(s->points, s->n - k, s->n, dt, &sd, &se);
}

bool leak_container_grows(const struct series *lengths, struct container_growth *out)
{
	struct leak_suspect verdict;

	if (lengths->n < 3 || !leak_is_suspect(lengths, 0, &verdict))
		return false;
	memset(out, 0, sizeof(*out));
	out->len_start = (int64_t)lengths->points[0];
	out->len_end = (int64_t)lengths->points[lengths->n - 1];
	out->entries_per_s = verdict.slope;
	out->span_s = verdict.span_s;
	return true;
}

static int cmp_rate(const void *a, const void *b)
{
	const struct container_growth *x = a, *y = b;
	double rx = x->entries_per_s * x->bytes_per_entry, ry = y->entries_per_s * y->bytes_per_entry;

	return rx < ry ? 1 : rx > ry ? -1 : strcmp(x->name, y->name);
}

void leak_rank_containers(struct container_growth *g, size_t n)
{
	if (n > 1)
		qsort(g, n, sizeof(*g), cmp_rate);
}

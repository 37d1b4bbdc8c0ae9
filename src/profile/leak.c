/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Leak suspects: sites whose live bytes grew with the work the process did and kept
 * what they grew, and containers whose length did. */
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
/* A load interval allocates at least this share of the run's median rate... */
#define MS_LEAK_LOAD_SHARE 0.1
/* ...and at least this many bytes a second: below it a process is idle (a gunicorn
 * worker waiting for requests allocates nothing through malloc). */
#define MS_LEAK_IDLE_RATE 1024.0
/* Fewer load intervals than this: there was no work to judge growth by. */
#define MS_LEAK_MIN_LOAD 3
/* A suspect still holds at least this share of what it grew at its peak. */
#define MS_LEAK_KEPT_SHARE 0.5

#define GIB 1073741824.0

/* Least-squares fit of y against x over [from, to); returns the slope, the standard
 * deviation of the residuals and the standard error of the slope. */
static double fit(const double *x, const double *y, size_t from, size_t to, double *sd,
		  double *se)
{
	size_t n = to - from;
	double mx = 0, my = 0, sxx = 0, sxy = 0, slope, icpt, ss = 0;

	for (size_t i = from; i < to; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = from; i < to; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	slope = sxx > 0 ? sxy / sxx : 0;
	icpt = my - slope * mx;
	for (size_t i = from; i < to; i++) {
		double r = y[i] - (icpt + slope * x[i]);

		ss += r * r;
	}
	*sd = n > 2 ? sqrt(ss / (double)(n - 2)) : 0;
	*se = sxx > 0 ? *sd / sqrt(sxx) : 0;
	return slope;
}

static double series_dt(const struct series *s)
{
	return s->interval_ns ? (double)s->interval_ns / 1e9 : 1.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void leak_work_init(struct leak_work *w, const struct series *allocated)
{
	const struct series *a = allocated;
	size_t n = a ? a->n : 0, nload = 0;
	double dt = a ? series_dt(a) : 1.0, rates[n ? n : 1];

	*w = (struct leak_work){.allocated = a};
	if (!a)
		return;
	w->span_s = n ? (double)(n - 1) * dt : 0;
	w->total = n ? a->points[n - 1] - a->points[0] : 0;
	for (size_t i = 1; i < n; i++) {
		rates[i - 1] = (a->points[i] - a->points[i - 1]) / dt;
		if (rates[i - 1] > w->peak_rate)
			w->peak_rate = rates[i - 1];
	}
	if (n > 1) {
		qsort(rates, n - 1, sizeof(*rates), cmp_double);
		w->median_rate = rates[(n - 1) / 2];
	}
	w->load_rate = MS_LEAK_LOAD_SHARE * w->median_rate;
	if (w->load_rate < MS_LEAK_IDLE_RATE)
		w->load_rate = MS_LEAK_IDLE_RATE;
	for (size_t i = 0; i + 1 < n; i++)
		nload += rates[i] >= w->load_rate;
	w->load_s = (double)nload * dt;
	w->no_work = nload < MS_LEAK_MIN_LOAD;
}

void leak_work_init_faults(struct leak_work *w, const struct series *faulted)
{
	leak_work_init(w, faulted);
	w->faults = true;
}

/* Bytes allocated by time t (linear between points, held past the ends); the
 * time in seconds when time is the work. */
static double work_at(const struct leak_work *w, uint64_t t)
{
	const struct series *a = w->allocated;
	double pos;
	size_t i;

	if (!a)
		return (double)t / 1e9;
	if (!a->n)
		return 0;
	if (t <= a->start_ns || a->n == 1)
		return a->points[0];
	pos = (double)(t - a->start_ns) / (double)(a->interval_ns ? a->interval_ns : 1);
	i = (size_t)pos;
	if (i >= a->n - 1)
		return a->points[a->n - 1];
	return a->points[i] + (pos - (double)i) * (a->points[i + 1] - a->points[i]);
}

/* A series as the test sees it: its first point, then its points at the ends of
 * load intervals, placed by the bytes allocated since its first point. */
struct work_points {
	double *x, *y;
	size_t n;
	double load_s;
};

static int work_points_make(const struct series *s, const struct leak_work *w,
			    struct work_points *wp)
{
	double dt = series_dt(s), w0, prev;

	wp->x = malloc(2 * s->n * sizeof(double));
	if (!wp->x)
		return -1;
	wp->y = wp->x + s->n;
	wp->x[0] = 0;
	wp->y[0] = s->points[0];
	wp->n = 1;
	wp->load_s = 0;
	w0 = prev = work_at(w, s->start_ns);
	for (size_t i = 1; i < s->n; i++) {
		double wi = work_at(w, s->start_ns + i * s->interval_ns);

		if (!w->allocated || (wi > prev && (wi - prev) / dt >= w->load_rate)) {
			wp->x[wp->n] = wi - w0;
			wp->y[wp->n++] = s->points[i];
			wp->load_s += dt;
		}
		prev = wi;
	}
	return 0;
}

/* Start of the last `share` of the work, with at least 3 points in it. */
static size_t work_tail(const struct work_points *wp, double share)
{
	double from = wp->x[wp->n - 1] * (1 - share);
	size_t i = wp->n - 3;

	while (i > 0 && wp->x[i - 1] >= from)
		i--;
	return i;
}

/* Rises and falls between the load points, the growth and what was given back. */
static void describe(const struct series *s, const struct work_points *wp,
		     struct leak_suspect *out)
{
	double peak = s->points[0];

	for (size_t i = 1; i < wp->n; i++) {
		if (wp->y[i] > wp->y[i - 1])
			out->rises++;
		else if (wp->y[i] < wp->y[i - 1])
			out->falls++;
	}
	for (size_t i = 1; i < s->n; i++)
		if (s->points[i] > peak)
			peak = s->points[i];
	out->intervals = (uint32_t)(wp->n - 1);
	out->rise_share = out->rises + out->falls
				  ? (double)out->rises / (double)(out->rises + out->falls)
				  : 0;
	out->growth = s->points[s->n - 1] - s->points[0];
	out->peak = peak - s->points[0];
	out->released = out->peak - out->growth;
	out->span_s = (double)(s->n - 1) * series_dt(s);
	out->load_s = wp->load_s;
}

/* The verdict on the load points: grew with the work, still growing in its last
 * part, kept most of it, and beyond the noise. */
static bool judge(const struct work_points *wp, const struct leak_work *w, double noise_bytes,
		  struct leak_suspect *out)
{
	size_t n = wp->n, tail = work_tail(wp, 0.25), half = work_tail(wp, 0.5);
	double sd, se, tail_sd, tail_se, half_sd, half_se, slope, tail_slope, half_slope;
	double threshold;

	slope = fit(wp->x, wp->y, 0, n, &sd, &se);
	tail_slope = fit(wp->x, wp->y, tail, n, &tail_sd, &tail_se);
	half_slope = fit(wp->x, wp->y, half, n, &half_sd, &half_se);
	if (w->allocated) {
		out->per_gib = slope * GIB;
		out->slope = wp->load_s > 0 ? slope * wp->x[n - 1] / wp->load_s : 0;
	} else {
		out->slope = slope;
	}
	threshold = MS_LEAK_NOISE_SIGMAS * sd;
	if (threshold < noise_bytes)
		threshold = noise_bytes;
	/*
	 * "Still rising" must be more than the wobble of a level that has settled: a
	 * cache that filled early and then churns has a tail slope of either sign, so
	 * ask for a slope clearly above its own standard error, over the last quarter
	 * of the work and, with more points to judge by, over its second half. A
	 * quarter of a short run has too few points for a t test: there the second
	 * half alone is tested and the tail need only still climb.
	 */
	bool tail_ok = tail_slope > 0 && tail_slope >= MS_LEAK_TAIL_RATIO * slope &&
		       (n - tail < MS_LEAK_TAIL_MIN_T_POINTS || tail_slope > MS_LEAK_TAIL_T * tail_se);
	return out->rise_share > 0.5 && slope > 0 && tail_ok &&
	       half_slope > MS_LEAK_TAIL_T * half_se && out->growth > threshold &&
	       out->growth >= MS_LEAK_KEPT_SHARE * out->peak;
}

bool leak_is_suspect(const struct series *s, const struct leak_work *w, double noise_bytes,
		     struct leak_suspect *out)
{
	struct work_points wp;
	bool verdict = false;

	memset(out, 0, sizeof(*out));
	if (s->n < 3 || w->no_work || work_points_make(s, w, &wp))
		return false;
	describe(s, &wp, out);
	if (wp.n >= 3)
		verdict = judge(&wp, w, noise_bytes, out);
	free(wp.x);
	return verdict;
}

/* Insert cand into out[0..*nr), ranked by growth per second of load. */
static void rank_insert(struct leak_suspect *out, size_t *nr, size_t max,
			const struct leak_suspect *cand)
{
	size_t at;

	for (at = *nr; at > 0; at--) {
		const struct leak_suspect *o = &out[at - 1];

		if (o->slope > cand->slope ||
		    (o->slope == cand->slope && o->stack_id < cand->stack_id))
			break;
	}
	if (at >= max)
		return;
	if (*nr < max)
		(*nr)++;
	for (size_t j = *nr - 1; j > at; j--)
		out[j] = out[j - 1];
	out[at] = *cand;
}

size_t leak_rank_series(const struct leak_candidate *c, size_t n, double mean,
			const struct leak_work *w, double noise_bytes, struct leak_suspect *out,
			size_t max)
{
	size_t nr = 0;

	if (w->no_work)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct series *s = c[i].s;
		double noise = noise_bytes;
		struct leak_suspect cand;

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
		if (!leak_is_suspect(s, w, noise, &cand))
			continue;
		cand.stack_id = c[i].stack_id;
		rank_insert(out, &nr, max, &cand);
	}
	return nr;
}

size_t leak_rank(const struct profile *p, const struct leak_work *w, double noise_bytes,
		 struct leak_suspect *out, size_t max)
{
	size_t nr_sites, nr;
	const struct site_stats *sites = profile__sites(p, &nr_sites);
	struct leak_candidate *c;

	if (w->no_work)
		return 0;
	c = malloc((nr_sites ? nr_sites : 1) * sizeof(*c));
	if (!c)
		return 0;
	for (size_t i = 0; i < nr_sites; i++)
		c[i] = (struct leak_candidate){sites[i].stack_id,
					       profile__site_series(p, sites[i].stack_id)};
	nr = leak_rank_series(c, nr_sites, (double)profile__widest_mean(p), w, noise_bytes, out,
			      max);
	free(c);
	return nr;
}

double leak_recent_slope(const struct series *s, size_t last)
{
	size_t k = s->n < last ? s->n : last;
	double dt = (double)s->interval_ns / 1e9, x[k ? k : 1], sd, se;

	if (k < 2 || dt <= 0)
		return 0;
	for (size_t i = 0; i < k; i++)
		x[i] = (double)i * dt;
	return fit(x, s->points + s->n - k, 0, k, &sd, &se);
}

bool leak_container_grows(const struct series *lengths, const struct leak_work *w,
			  struct container_growth *out)
{
	struct leak_suspect verdict;

	if (lengths->n < 3 || !leak_is_suspect(lengths, w, 0, &verdict))
		return false;
	memset(out, 0, sizeof(*out));
	out->len_start = (int64_t)lengths->points[0];
	out->len_end = (int64_t)lengths->points[lengths->n - 1];
	out->entries_per_s = verdict.slope;
	out->entries_per_gib = verdict.per_gib;
	out->span_s = verdict.span_s;
	out->load_s = verdict.load_s;
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

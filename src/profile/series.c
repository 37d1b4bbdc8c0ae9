/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Series of values one point per tick, merged pairwise when full, on a shared clock. */
#include <stdlib.h>

#include "profile/series.h"

#define MS_SERIES_MIN 16u

void series_clock_start(struct series_clock *c)
{
	*c = (struct series_clock){.ticks_per_point = 1};
}

size_t series_clock_tick(struct series_clock *c, uint64_t ts, uint64_t *halve)
{
	size_t point;

	if (!c->ticks)
		c->first_tick_ns = ts;
	c->last_tick_ns = ts;
	*halve = 0;
	point = c->ticks / c->ticks_per_point;
	if (point >= MS_SERIES_CAP) {
		*halve = c->ticks_per_point;
		c->ticks_per_point *= 2;
		point = c->ticks / c->ticks_per_point;
	}
	c->ticks++;
	return point;
}

/* The tick period is whatever the caller keeps; take the mean spacing so far. */
static uint64_t clock_interval(const struct series_clock *c)
{
	uint64_t base = c->ticks >= 2 ? (c->last_tick_ns - c->first_tick_ns) / (c->ticks - 1)
				      : 1000000000ull;

	return base * c->ticks_per_point;
}

/* Global point g goes to g / 2, so every series keeps the clock's time base. */
void tseries_halve(struct tseries *t, uint64_t old_ticks_per_point)
{
	size_t first = t->first_point, nfirst = first / 2, n = 0;

	if (!t->started || !t->s.n) {
		t->first_point = nfirst;
		return;
	}
	for (size_t g = nfirst; g <= (first + t->s.n - 1) / 2; g++) {
		double sum = 0;
		unsigned cnt = 0;

		for (size_t o = 2 * g; o <= 2 * g + 1; o++) {
			if (o >= first && o < first + t->s.n) {
				sum += t->s.points[o - first];
				cnt++;
			}
		}
		t->s.points[n++] = sum / cnt;
		t->last_ticks = (uint32_t)(cnt * old_ticks_per_point);
	}
	t->s.n = n;
	t->first_point = nfirst;
}

static void tseries_put(struct tseries *t, size_t point, double v)
{
	size_t local;

	if (!t->started) {
		t->started = true;
		t->first_point = point;
	}
	local = point - t->first_point;
	if (t->s.n && local == t->s.n - 1) {
		/* Still inside the last point's interval: keep a running mean. */
		t->s.points[local] = (t->s.points[local] * t->last_ticks + v) / (t->last_ticks + 1);
		t->last_ticks++;
		return;
	}
	if (local >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : MS_SERIES_MIN;
		double *np;

		while (cap <= local)
			cap *= 2;
		if (cap > MS_SERIES_CAP)
			cap = MS_SERIES_CAP;
		np = realloc(t->s.points, cap * sizeof(*np));
		if (!np)
			return; /* the point is lost; the next tick fills the gap */
		t->s.points = np;
		t->cap = cap;
	}
	/* A gap (a point lost to ENOMEM) repeats the current value. */
	while (t->s.n <= local)
		t->s.points[t->s.n++] = v;
	t->last_ticks = 1;
}

void tseries_add(struct tseries *t, const struct series_clock *c, size_t point, double v)
{
	tseries_put(t, point, v);
	t->s.interval_ns = clock_interval(c);
	t->s.start_ns = c->first_tick_ns + t->first_point * t->s.interval_ns;
}

void tseries_fini(struct tseries *t)
{
	free(t->s.points);
	*t = (struct tseries){0};
}

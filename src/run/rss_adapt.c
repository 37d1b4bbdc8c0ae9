/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The page-fault tracing's period and windows, from the new-page rate. */
#include <string.h>

#include "probes/rss_probes.h"
#include "run/rss_adapt.h"

uint32_t rss_adapt__first_period(double attach_rate)
{
	return attach_rate >= MS_RSS_WINDOWS_ABOVE ? rss_period_for(attach_rate) : 1;
}

void rss_adapt__init(struct rss_adapt *a, uint64_t now, uint32_t period)
{
	memset(a, 0, sizeof(*a));
	a->period = a->period_min = a->period_max = period ? period : 1;
	a->scale = 1;
	a->traced = true;
	a->rate_ns = now;
}

/* Counts since the last step go to the totals: a window's faults of every kind
 * stand for the gap after it too; samples and merged samples are what they are. */
static void accrue(struct rss_adapt *a, const uint64_t counts[MS_RSS_COUNT])
{
	for (int i = 0; i < MS_RSS_COUNT; i++) {
		uint64_t d = counts[i] >= a->seen[i] ? counts[i] - a->seen[i] : 0;
		bool estimated = i == MS_RSS_ALL_FAULTS || i == MS_RSS_NEW_PAGES;

		a->total[i] += estimated ? d * a->scale : d;
		a->seen[i] = counts[i];
		if (estimated && a->scale > 1)
			a->win_counts[i == MS_RSS_NEW_PAGES] += d;
	}
}

/* The last window's counts went in at scale times: how many times too many for
 * the time that has passed since it opened (none once a cycle has passed; all
 * but one while it is still open, or when it ended the windows). */
static double overcredit(const struct rss_adapt *a, uint64_t now)
{
	double f;

	if (a->scale <= 1 || !a->win_open)
		return 0;
	if (!a->win_close || a->win_close <= a->win_open)
		return a->scale - 1.0;
	f = (double)(now - a->win_open) / (double)(a->win_close - a->win_open);
	return f >= a->scale ? 0 : a->scale - f;
}

static void open_window(struct rss_adapt *a, uint64_t now, const uint64_t *counts)
{
	a->traced = true;
	a->rate_ns = a->win_open = now;
	a->win_close = 0;
	a->win_counts[0] = a->win_counts[1] = 0;
	a->rate_new = counts[MS_RSS_NEW_PAGES];
}

static void set_period(struct rss_adapt *a, struct rss_adapt_step *s, double new_per_s)
{
	/* in windows, as many samples a second over the run as throughout */
	uint32_t p = rss_period_for(new_per_s / a->scale);

	if (p == a->period)
		return;
	s->period = a->period = p;
	if (p < a->period_min)
		a->period_min = p;
	if (p > a->period_max)
		a->period_max = p;
}

static double rate(const struct rss_adapt *a, uint64_t now, const uint64_t *counts)
{
	return (double)(counts[MS_RSS_NEW_PAGES] - a->rate_new) * 1e9 / (double)(now - a->rate_ns);
}

/* Traced throughout: the period follows each tenth of a second's rate; a rate
 * over the mark for long enough starts the windows with this one. */
static void step_throughout(struct rss_adapt *a, struct rss_adapt_step *s, uint64_t now,
			    const uint64_t *counts)
{
	double r;

	if (now < a->rate_ns + MS_RSS_RATE_NS)
		return;
	r = rate(a, now, counts);
	if (r < MS_RSS_WINDOWS_ABOVE)
		a->high_since = 0;
	else if (!a->high_since)
		a->high_since = a->rate_ns;
	if (a->high_since && now - a->high_since >= MS_RSS_WINDOWS_AFTER_NS) {
		s->scale = a->scale = MS_RSS_WINDOW_SCALE;
		a->cycle_ns = a->windowed_since = now;
		open_window(a, now, counts);
	}
	set_period(a, s, r);
	a->rate_ns = now;
	a->rate_new = counts[MS_RSS_NEW_PAGES];
}

/* In windows: each ends MS_RSS_WINDOW_NS after it opened, the next begins a cycle
 * after the last was due (a late step does not shift the ones after it). */
static void step_windows(struct rss_adapt *a, struct rss_adapt_step *s, uint64_t now,
			 const uint64_t *counts)
{
	uint64_t cycle = MS_RSS_WINDOW_NS * a->scale;
	double r;

	if (!a->traced) {
		if (now < a->cycle_ns + cycle)
			return;
		a->cycle_ns = now - a->cycle_ns >= 2 * cycle ? now : a->cycle_ns + cycle;
		s->trace = 1;
		open_window(a, now, counts);
		return;
	}
	/* a window opened late still lasts its whole length: a rate measured over
	 * less would say little */
	if (now < a->win_open + MS_RSS_WINDOW_NS)
		return;
	r = rate(a, now, counts);
	a->win_close = now;
	if (r < MS_RSS_WINDOWS_ABOVE / 2) { /* traced throughout from here */
		/* this window stands for itself alone: no gap follows */
		for (int i = 0; i < 2; i++)
			a->total[i ? MS_RSS_NEW_PAGES : MS_RSS_ALL_FAULTS] -=
				a->win_counts[i] * (a->scale - 1);
		a->win_open = 0;
		s->scale = a->scale = 1;
		a->windowed_ns += now - a->windowed_since;
		a->high_since = 0;
		set_period(a, s, r);
		a->rate_ns = now;
		a->rate_new = counts[MS_RSS_NEW_PAGES];
		return;
	}
	set_period(a, s, r);
	s->trace = 0;
	a->traced = false;
}

struct rss_adapt_step rss_adapt__step(struct rss_adapt *a, uint64_t now,
				      const uint64_t counts[MS_RSS_COUNT])
{
	struct rss_adapt_step s = {.trace = -1};

	/* the scale of the spell the counts come from */
	accrue(a, counts);
	if (a->scale > 1)
		step_windows(a, &s, now, counts);
	else
		step_throughout(a, &s, now, counts);
	return s;
}

void rss_adapt__finish(struct rss_adapt *a, uint64_t now, const uint64_t counts[MS_RSS_COUNT],
		       uint64_t out[MS_RSS_COUNT])
{
	double over;

	accrue(a, counts);
	if (a->scale > 1 && now > a->windowed_since) {
		a->windowed_ns += now - a->windowed_since;
		a->windowed_since = now;
	}
	over = overcredit(a, now);
	for (int i = 0; i < MS_RSS_COUNT; i++)
		out[i] = a->total[i];
	for (int i = 0; i < 2 && over > 0; i++) {
		uint64_t *o = &out[i ? MS_RSS_NEW_PAGES : MS_RSS_ALL_FAULTS];
		uint64_t less = (uint64_t)((double)a->win_counts[i] * over);

		*o = *o > less ? *o - less : 0;
	}
}

void rss_adapt__failed(struct rss_adapt *a, uint64_t now, const uint64_t counts[MS_RSS_COUNT])
{
	uint64_t out[MS_RSS_COUNT];

	rss_adapt__finish(a, now, counts, out);
	memcpy(a->total, out, sizeof(out)); /* the last gap, as far as it went */
	a->scale = 1;
	a->traced = false;
	a->win_open = 0;
}

int rss_adapt__wait_ms(const struct rss_adapt *a, uint64_t now, int max_ms)
{
	uint64_t due;

	if (a->scale <= 1)
		return max_ms;
	due = a->traced ? a->win_open + MS_RSS_WINDOW_NS : a->cycle_ns + MS_RSS_WINDOW_NS * a->scale;
	if (due <= now)
		return 0;
	/* rounded up: a step woken a little early would wait a whole poll more */
	uint64_t ms = (due - now + 999999) / 1000000;
	return ms < (uint64_t)max_ms ? (int)ms : max_ms;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The page-fault tracing's period and windows, from the new-page rate. */
#include <string.h>

#include "probes/rss_probes.h"
#include "run/rss_adapt.h"

void rss_adapt__init(struct rss_adapt *a, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->period = a->period_min = a->period_max = 1;
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
	}
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
	}
	set_period(a, s, r);
	a->rate_ns = now;
	a->rate_new = counts[MS_RSS_NEW_PAGES];
}

/* In windows: each ends after MS_RSS_WINDOW_NS, the next begins a cycle after the
 * last began (a late step does not shift the ones after it). */
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
		a->traced = true;
		a->rate_ns = now;
		a->rate_new = counts[MS_RSS_NEW_PAGES];
		return;
	}
	if (now < a->cycle_ns + MS_RSS_WINDOW_NS || now <= a->rate_ns)
		return;
	r = rate(a, now, counts);
	if (r < MS_RSS_WINDOWS_ABOVE / 2) { /* traced throughout from here */
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

void rss_adapt__finish(struct rss_adapt *a, uint64_t now, const uint64_t counts[MS_RSS_COUNT])
{
	accrue(a, counts);
	if (a->scale > 1 && now > a->windowed_since) {
		a->windowed_ns += now - a->windowed_since;
		a->windowed_since = now;
	}
}

int rss_adapt__wait_ms(const struct rss_adapt *a, uint64_t now, int max_ms)
{
	uint64_t due;

	if (a->scale <= 1)
		return max_ms;
	due = a->cycle_ns + (a->traced ? MS_RSS_WINDOW_NS : MS_RSS_WINDOW_NS * a->scale);
	if (due <= now)
		return 0;
	/* rounded up: a step woken a little early would wait a whole poll more */
	uint64_t ms = (due - now + 999999) / 1000000;
	return ms < (uint64_t)max_ms ? (int)ms : max_ms;
}

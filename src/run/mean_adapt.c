/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The in-process sampler's mean during an allocation storm (mean_adapt.h). */
#include "run/mean_adapt.h"
#include "memspy/events.h"

void mean_adapt__init(struct mean_adapt *a, uint32_t max, uint64_t now)
{
	*a = (struct mean_adapt){.max = max, .last_ns = now};
}

bool mean_adapt__due(const struct mean_adapt *a, uint64_t now)
{
	return a->max && now >= a->last_ns + MS_MEAN_LOOK_NS;
}

unsigned mean_adapt__step(struct mean_adapt *a, uint64_t now, uint64_t sampled)
{
	if (!mean_adapt__due(a, now))
		return a->shift;
	uint64_t dt = now - a->last_ns;
	if (sampled < a->last_sampled) { /* counts that went back: start again */
		a->last_ns = now;
		a->last_sampled = sampled;
		return a->shift;
	}
	double rate = (double)(sampled - a->last_sampled) * 1e9 / (double)dt;
	if (a->shift)
		a->raised_ns += dt;
	a->last_ns = now;
	a->last_sampled = sampled;
	if (rate > a->max) {
		/* as many doublings as bring the rate under max at once */
		while (rate > a->max && a->shift < MS_MAX_MEAN_SHIFT) {
			a->shift++;
			rate /= 2;
		}
		a->calm = 0;
	} else if (a->shift && rate < a->max / 4.0) {
		if (++a->calm >= MS_MEAN_CALM_LOOKS) {
			a->shift--;
			a->calm = 0;
		}
	} else {
		a->calm = 0;
	}
	if (a->shift > a->top_shift)
		a->top_shift = a->shift;
	return a->shift;
}

uint64_t mean_adapt__raised_ns(const struct mean_adapt *a, uint64_t now)
{
	return a->raised_ns + (a->shift && now > a->last_ns ? now - a->last_ns : 0);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The in-process sampler's mean during an allocation storm. A sample costs the
 * allocating thread ~10 to 40 us (the trap, the copy of its stack, the walk of
 * its Python frames): a Flask worker that allocates 500 MB a second takes ~1,000
 * samples a second at the default mean, 2 to 4% of its time. While more than
 * max samples a second come (looked at every MS_MEAN_LOOK_NS), the mean doubles
 * as many times as the rate asks, and when fewer than a quarter of max come for
 * MS_MEAN_CALM_LOOKS looks running it halves again; a sample's weight follows the mean its countdown was drawn
 * with (agent_abi.h), so the estimates stay unbiased. The mean rises at most
 * MS_MAX_MEAN_SHIFT doublings. Pure logic: the run reads the agent's count of
 * samples every MS_MEAN_LOOK_NS and writes the shift. */
#ifndef MEMSPY_MEAN_ADAPT_H
#define MEMSPY_MEAN_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

#define MS_MEAN_MAX_SAMPLES 512		      /* samples a second: the default bound */
#define MS_MEAN_LOOK_NS (250 * 1000000ull) /* a look at the rate every this long */
#define MS_MEAN_CALM_LOOKS 4

struct mean_adapt {
	uint32_t max;	    /* samples a second; 0: the mean stays as it is */
	unsigned shift;	    /* the mean is the run's << shift now */
	unsigned top_shift; /* the largest over the run */
	unsigned calm;	    /* looks running under a quarter of max */
	uint64_t last_ns;   /* the last look */
	uint64_t last_sampled;
	uint64_t raised_ns; /* time with shift > 0, up to the last look */
};

/* Bound the samples to max a second (0: never move the mean), from now, when the
 * agent has taken none yet, at shift 0. */
void mean_adapt__init(struct mean_adapt *a, uint32_t max, uint64_t now);
/* Whether a look is due at now (reading the agent's counts costs a copy of its
 * thread table). */
bool mean_adapt__due(const struct mean_adapt *a, uint64_t now);
/* The agent has taken sampled samples so far, at now: the shift to ask for. */
unsigned mean_adapt__step(struct mean_adapt *a, uint64_t now, uint64_t sampled);
/* Time with the mean raised, up to now. */
uint64_t mean_adapt__raised_ns(const struct mean_adapt *a, uint64_t now);

#endif

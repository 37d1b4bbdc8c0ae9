/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU profile: samples per stack, and functions ranked by self and total samples. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/cpu_profile.h"

struct cpu_profile {
	uint32_t *ids;	    /* stacks with samples, in first-seen order */
	uint64_t *samples;  /* samples[i] of ids[i] */
	size_t n, cap;
	uint32_t *slot_of;  /* stack id -> index + 1 (0: none) */
	size_t slot_cap;
	uint64_t total;
};

struct cpu_profile *cpu_profile__new(void)
{
	return calloc(1, sizeof(struct cpu_profile));
}

void cpu_profile__free(struct cpu_profile *c)
{
	if (!c)
		return;
	free(c->ids);
	free(c->samples);
	free(c->slot_of);
	free(c);
}

int cpu_profile__add(struct cpu_profile *c, uint32_t stack_id, uint64_t n)
{
	/* stacktab ids are dense from 0, so a direct index is the cheapest map. */
	if (stack_id >= c->slot_cap) {
		size_t nc = c->slot_cap ? c->slot_cap : 1024;
		while (nc <= stack_id)
			nc *= 2;
		uint32_t *ns = realloc(c->slot_of, nc * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		memset(ns + c->slot_cap, 0, (nc - c->slot_cap) * sizeof(*ns));
		c->slot_of = ns;
		c->slot_cap = nc;
	}
	uint32_t slot = c->slot_of[stack_id];
	if (!slot) {
		if (c->n == c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 256;
			uint32_t *ni = realloc(c->ids, nc * sizeof(*ni));
			if (!ni)
				return -ENOMEM;
			c->ids = ni;
			uint64_t *nsm = realloc(c->samples, nc * sizeof(*nsm));
			if (!nsm)
				return -ENOMEM;
			c->samples = nsm;
			c->cap = nc;
		}
		c->ids[c->n] = stack_id;
		c->samples[c->n] = 0;
		slot = (uint32_t)++c->n;
		c->slot_of[stack_id] = slot;
	}
	c->samples[slot - 1] += n;
	c->total += n;
	return 0;
}

void cpu_profile__remove(struct cpu_profile *c, uint32_t stack_id, uint64_t n)
{
	uint32_t slot = stack_id < c->slot_cap ? c->slot_of[stack_id] : 0;

	if (!slot)
		return;
	if (n > c->samples[slot - 1])
		n = c->samples[slot - 1];
	c->samples[slot - 1] -= n;
	c->total -= n;
}

uint64_t cpu_profile__total(const struct cpu_profile *c)
{
	return c->total;
}

size_t cpu_profile__stacks(const struct cpu_profile *c, const uint32_t **ids,
			   const uint64_t **samples)
{
	*ids = c->ids;
	*samples = c->samples;
	return c->n;
}

static int by_self_desc(const void *a, const void *b)
{
	const struct cpu_function *x = a, *y = b;
	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

static int by_total_desc(const void *a, const void *b)
{
	const struct cpu_function *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->self < y->self ? 1 : x->self > y->self ? -1 : 0;
}

long cpu_profile_functions(const struct cpu_profile *c, const struct stacktab *t, int by_self,
			   struct cpu_function **out)
{
	size_t nf = stacktab__nr_frames(t);
	struct cpu_function *all = calloc(nf ? nf : 1, sizeof(*all));
	uint64_t *seen_in = calloc(nf ? nf : 1, sizeof(*seen_in)); /* last stack counted + 1 */
	long k = 0;

	if (!all || !seen_in) {
		free(all);
		free(seen_in);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n; i++) {
		const uint32_t *frames;
		size_t n = stacktab__stack(t, c->ids[i], &frames);
		if (!n)
			continue;
		all[frames[n - 1]].self += c->samples[i];
		/* A recursive function counts once per stack in its total. */
		for (size_t j = 0; j < n; j++) {
			if (seen_in[frames[j]] == i + 1)
				continue;
			seen_in[frames[j]] = i + 1;
			all[frames[j]].total += c->samples[i];
		}
	}
	for (size_t f = 0; f < nf; f++) {
		if (!all[f].total)
			continue;
		all[k] = all[f];
		all[k].frame_id = (uint32_t)f;
		k++;
	}
	free(seen_in);
	qsort(all, (size_t)k, sizeof(*all), by_self ? by_self_desc : by_total_desc);
	*out = all;
	return k;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Poisson sampling by bytes: the countdown table BPF draws from, and sample weights. */
#include <math.h>

#include "base/sampling.h"

/* splitmix64: tiny, seedable, good enough to shuffle a table. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Integral of the exponential quantile function -ln(1-u) from 0 to u. */
static double quantile_integral(double u)
{
	if (u >= 1.0)
		return 1.0;
	return (1.0 - u) * log1p(-u) + u;
}

void sampling_fill_countdowns(uint64_t *out, size_t n, uint64_t mean, uint64_t seed)
{
	uint64_t state = seed;

	if (mean <= 1) {
		for (size_t i = 0; i < n; i++)
			out[i] = 1;
		return;
	}
	/*
	 * Slot i holds the mean of the distribution over its equal-probability slice
	 * [i/n, (i+1)/n) rather than the slice's midpoint: the table's mean is then the
	 * distribution's mean exactly, whereas midpoints cut the long tail short.
	 */
	for (size_t i = 0; i < n; i++) {
		double a = (double)i / (double)n, b = (double)(i + 1) / (double)n;
		double v = (quantile_integral(b) - quantile_integral(a)) * (double)n * (double)mean;

		out[i] = v < 1.0 ? 1 : (uint64_t)llround(v);
	}
	/* Fisher-Yates; the modulo bias of a 64-bit draw is negligible here. */
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(splitmix64(&state) % i);
		uint64_t tmp = out[i - 1];

		out[i - 1] = out[j];
		out[j] = tmp;
	}
}

double sampling_weight(uint64_t size, uint64_t mean)
{
	if (mean <= 1 || size == 0)
		return (double)size;
	/* expm1 keeps precision when size is tiny against the mean. */
	return (double)size / -expm1(-(double)size / (double)mean);
}

double sampling_count_weight(uint64_t size, uint64_t mean)
{
	if (mean <= 1 || size == 0)
		return 1.0;
	return 1.0 / -expm1(-(double)size / (double)mean);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Poisson sampling by bytes: countdown draws for BPF and unbiased weights. */
#ifndef MEMSPY_SAMPLING_H
#define MEMSPY_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

/* Fill n countdowns (bytes until the next sample) with the quantiles of an
 * exponential distribution of the given mean, shuffled by seed: BPF picks one at
 * random, so the draws follow the distribution. Each slot is the mean of one of n
 * equal-probability slices, so the table's mean is the distribution's mean; every
 * value is at least 1. The same seed gives the same table. mean <= 1 fills with 1. */
void sampling_fill_countdowns(uint64_t *out, size_t n, uint64_t mean, uint64_t seed);
/* Estimated bytes a sampled allocation of size bytes stands for: size / (1 - e^(-size/mean)),
 * so the sum over samples estimates total bytes without bias. mean <= 1 returns size. */
double sampling_weight(uint64_t size, uint64_t mean);
/* Estimated number of allocations a sample stands for: 1 / (1 - e^(-size/mean)).
 * mean <= 1 returns 1. A zero-byte allocation, which byte sampling never picks,
 * weighs 0 bytes and 1 allocation if it was recorded anyway. */
double sampling_count_weight(uint64_t size, uint64_t mean);

#endif

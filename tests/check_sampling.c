/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of sampling: the countdown table and the unbiased weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "base/sampling.h"

/* A deterministic generator for the simulations (xorshift64*). */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

START_TEST(test_countdowns_mean)
{
	enum { N = 4096 };
	static uint64_t cd[N], cd2[N];
	uint64_t mean = 512 * 1024;
	double sum = 0, below = 0;

	sampling_fill_countdowns(cd, N, mean, 42);
	for (size_t i = 0; i < N; i++) {
		ck_assert_uint_ge(cd[i], 1);
		sum += (double)cd[i];
		if (cd[i] < mean)
			below++;
	}
	ck_assert_double_eq_tol(sum / N, (double)mean, mean * 0.001);
	/* exponential: P(X < mean) = 1 - 1/e */
	ck_assert_double_eq_tol(below / N, 1 - exp(-1), 0.002);
	/* same seed, same table; another seed, another order */
	sampling_fill_countdowns(cd2, N, mean, 42);
	ck_assert_mem_eq(cd, cd2, sizeof(cd));
	sampling_fill_countdowns(cd2, N, mean, 43);
	ck_assert(memcmp(cd, cd2, sizeof(cd)) != 0);
}
END_TEST

START_TEST(test_countdowns_exact)
{
	uint64_t cd[16];

	sampling_fill_countdowns(cd, 16, 1, 7);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(cd[i], 1);
	sampling_fill_countdowns(cd, 16, 0, 7);
	ck_assert_uint_eq(cd[15], 1);
}
END_TEST

START_TEST(test_weights)
{
	ck_assert_double_eq(sampling_weight(100, 1), 100);
	ck_assert_double_eq(sampling_weight(100, 0), 100);
	ck_assert_double_eq(sampling_count_weight(100, 1), 1);
	ck_assert_double_eq(sampling_weight(0, 512 * 1024), 0);
	/* tiny against the mean: about the mean itself */
	ck_assert_double_eq_tol(sampling_weight(1, 512 * 1024), 512 * 1024, 1);
	/* huge against the mean: always sampled, weighs itself */
	ck_assert_double_eq_tol(sampling_weight(64 << 20, 512 * 1024), 64 << 20, 1);
	ck_assert_double_eq_tol(sampling_weight(1024, 1024), 1024 / (1 - exp(-1)), 1e-6);
	ck_assert_double_eq_tol(sampling_count_weight(1024, 1024), 1 / (1 - exp(-1)), 1e-9);
}
END_TEST

/*
 * Simulate what the BPF side does: a byte countdown drawn from the table, decreased
 * by each allocation; an allocation that takes it to zero or below is sampled and a
 * new countdown drawn. The weighted sum of samples must estimate the true total.
 */
static void simulate(uint64_t mean, uint64_t seed, double *truth, double *est_bytes,
		     double *est_count, uint64_t *nr_samples)
{
	enum { SLOTS = 4096, ALLOCS = 2000000 };
	static uint64_t table[SLOTS];
	uint64_t rng = seed, countdown;
	static const uint64_t sizes[] = { 16, 64, 200, 1024, 4096, 32768, 300000, 2 << 20 };

	sampling_fill_countdowns(table, SLOTS, mean, seed);
	countdown = table[rng_next(&rng) % SLOTS];
	*truth = *est_bytes = *est_count = 0;
	*nr_samples = 0;
	for (size_t i = 0; i < ALLOCS; i++) {
		/* mostly small, sometimes big: skewed like a real heap */
		uint64_t r = rng_next(&rng) % 1000;
		uint64_t size = sizes[r < 500 ? 0 : r < 800 ? 1 : r < 900 ? 2 : r < 960 ? 3 :
				     r < 990 ? 4 : r < 998 ? 5 : r < 999 ? 6 : 7];

		*truth += (double)size;
		if (size >= countdown) {
			uint64_t over = size - countdown;

			*est_bytes += sampling_weight(size, mean);
			*est_count += sampling_count_weight(size, mean);
			(*nr_samples)++;
			/* memoryless: the next countdown starts where this one ran out */
			countdown = table[rng_next(&rng) % SLOTS];
			while (over >= countdown) {
				over -= countdown;
				countdown = table[rng_next(&rng) % SLOTS];
			}
			countdown -= over;
		} else {
			countdown -= size;
		}
	}
}

START_TEST(test_weights_unbiased)
{
	double truth, bytes, count;
	uint64_t samples;

	simulate(512 * 1024, 1, &truth, &bytes, &count, &samples);
	ck_assert_double_eq_tol(bytes / truth, 1.0, 0.03);
	ck_assert_double_eq_tol(count / 2000000.0, 1.0, 0.10);
	ck_assert_uint_lt(samples, 2000000 / 20);

	simulate(64 * 1024, 2, &truth, &bytes, &count, &samples);
	ck_assert_double_eq_tol(bytes / truth, 1.0, 0.02);
}
END_TEST

Suite *suite_sampling(void)
{
	Suite *s = suite_create("sampling");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_countdowns_mean);
	tcase_add_test(tc, test_countdowns_exact);
	tcase_add_test(tc, test_weights);
	tcase_add_test(tc, test_weights_unbiased);
	suite_add_tcase(s, tc);
	return s;
}

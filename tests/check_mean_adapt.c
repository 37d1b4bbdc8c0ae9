/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sampler's mean in an allocation storm (run/mean_adapt.c): a simulated agent
 * takes samples at a rate that follows the mean asked for, stepped as the run's
 * poll loop steps it, and a simulated allocator is sampled by its countdowns into
 * a profile, to check that the weights the shifts give keep the estimate unbiased. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "base/sampling.h"
#include "check_suites.h"
#include "memspy/events.h"
#include "profile/profile.h"
#include "run/mean_adapt.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* An agent whose samples come at rate_at_mean0 / 2^shift a second; polled every
 * poll_ms from t0 to t1. Returns the shift at the end. */
struct sim {
	struct mean_adapt a;
	uint64_t now;
	double sampled; /* samples so far, fractional */
};

static unsigned run_sim(struct sim *s, double rate_at_mean0, uint64_t until, uint64_t poll_ms)
{
	while (s->now < until) {
		s->now += poll_ms * MS;
		s->sampled += rate_at_mean0 / (double)(1u << s->a.shift) * (double)(poll_ms * MS) / 1e9;
		mean_adapt__step(&s->a, s->now, (uint64_t)s->sampled);
	}
	return s->a.shift;
}

START_TEST(test_quiet_target_keeps_mean)
{
	struct sim s = {.now = 5 * SEC};

	mean_adapt__init(&s.a, MS_MEAN_MAX_SAMPLES, s.now);
	ck_assert_uint_eq(run_sim(&s, 400, 65 * SEC, 100), 0);
	ck_assert_uint_eq(s.a.top_shift, 0);
	ck_assert_uint_eq(mean_adapt__raised_ns(&s.a, s.now), 0);
}
END_TEST

START_TEST(test_storm_raises_then_calm_lowers)
{
	struct sim s = {.now = SEC};

	mean_adapt__init(&s.a, 512, s.now);
	/* 20,000 samples a second at the run's mean: 6 doublings bring it to 312 */
	ck_assert_uint_eq(run_sim(&s, 20000, SEC + 300 * MS, 100), 6);
	ck_assert_uint_eq(run_sim(&s, 20000, 11 * SEC, 100), 6); /* and it stays there */
	/* the storm ends: 100 a second; down one step per calm second */
	unsigned at = run_sim(&s, 100, 12 * SEC + 100 * MS, 100);
	ck_assert_uint_eq(at, 5);
	ck_assert_uint_eq(run_sim(&s, 100, 30 * SEC, 100), 0);
	ck_assert_uint_eq(s.a.top_shift, 6);
	/* raised from the first look (0.3 s) to the last step down */
	double raised = (double)mean_adapt__raised_ns(&s.a, s.now) / 1e9;
	ck_assert_msg(raised > 15 && raised < 17.5, "raised %.2f s", raised);
}
END_TEST

START_TEST(test_rate_near_bound_settles)
{
	struct sim s = {.now = SEC};

	mean_adapt__init(&s.a, 512, s.now);
	/* 1,100 a second: one doubling leaves 550, over; two leave 275, and that
	 * stays (over a quarter of 512: no step down) */
	ck_assert_uint_eq(run_sim(&s, 1100, 3 * SEC, 50), 2);
	for (uint64_t t = 3; t < 60; t++)
		ck_assert_uint_eq(run_sim(&s, 1100, t * SEC, 50), 2);
}
END_TEST

START_TEST(test_zero_bound_never_moves)
{
	struct sim s = {.now = SEC};

	mean_adapt__init(&s.a, 0, s.now);
	ck_assert(!mean_adapt__due(&s.a, 100 * SEC));
	ck_assert_uint_eq(run_sim(&s, 1e6, 10 * SEC, 100), 0);
}
END_TEST

START_TEST(test_capped_and_counts_going_back)
{
	struct sim s = {.now = SEC};

	mean_adapt__init(&s.a, 1, s.now);
	ck_assert_uint_eq(run_sim(&s, 1e9, 10 * SEC, 250), MS_MAX_MEAN_SHIFT);
	/* a count below the last (an agent taken over again) starts a new look */
	mean_adapt__step(&s.a, s.now + SEC, 0);
	ck_assert_uint_eq(s.a.shift, MS_MAX_MEAN_SHIFT);
	ck_assert_uint_eq(s.a.last_sampled, 0);
}
END_TEST

/* The agent's rule, simulated: each countdown drawn at the mean of its draw, and
 * each sample handed to a profile with the shift of that draw, while the mean
 * moves under most countdowns. The profile's estimate of the bytes (its blocks,
 * freed at once) stays within 3% of the bytes allocated (2.1% with this seed);
 * a profile that weighed every block at its own mean would be ~14 times under. */
START_TEST(test_weights_unbiased_across_shifts)
{
	const uint64_t mean = 64 << 10;
	struct profile *p = profile__new(mean);
	uint64_t draws[4096], total = 0, addr = 0x1000;
	unsigned shift = 0, drawn = 0;
	int64_t countdown;
	uint32_t k = 0;

	sampling_fill_countdowns(draws, 4096, mean, 42);
	countdown = (int64_t)draws[k++ % 4096];
	srand(7);
	for (int i = 0; i < 4000000; i++) {
		uint64_t size = 16 + (uint64_t)(rand() % 4096);

		/* the mean moves under most countdowns: 32 times the mean in every
		 * other stretch of 3 means' bytes */
		shift = (total / (3 * mean)) % 2 ? 5 : 0;
		total += size;
		countdown -= (int64_t)size;
		if (countdown > 0)
			continue;
		ck_assert_int_eq(profile__alloc_by(p, addr, size, 1, (uint64_t)i, 0, 0, drawn), 0);
		ck_assert(profile__free_block(p, addr, (uint64_t)i));
		addr += 16;
		drawn = shift;
		countdown = (int64_t)(draws[k++ % 4096] << shift);
	}
	double est = profile__freed_bytes(p);
	ck_assert_msg(fabs(est / (double)total - 1) < 0.03, "estimate %.0f of %llu", est,
		      (unsigned long long)total);
	profile__free(p);
}
END_TEST

Suite *suite_mean_adapt(void)
{
	Suite *s = suite_create("mean_adapt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_quiet_target_keeps_mean);
	tcase_add_test(tc, test_storm_raises_then_calm_lowers);
	tcase_add_test(tc, test_rate_near_bound_settles);
	tcase_add_test(tc, test_zero_bound_never_moves);
	tcase_add_test(tc, test_capped_and_counts_going_back);
	tcase_add_test(tc, test_weights_unbiased_across_shifts);
	suite_add_tcase(s, tc);
	return s;
}

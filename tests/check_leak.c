/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of leak: which series are suspects, and how they rank. */
#include <inttypes.h>
#include <math.h>

#include "check_suites.h"
#include "profile/leak.h"
#include "profile/profile.h"
#include "base/sampling.h"

#define SEC 1000000000ull

static struct series make(double *pts, size_t n)
{
	struct series s = { .points = pts, .n = n, .start_ns = 0, .interval_ns = SEC };

	return s;
}

START_TEST(test_slope_known)
{
	/* y = 3 + 2x with residuals that cancel: least squares gives exactly 2 */
	double pts[] = { 3, 5 + 1, 7 - 1, 9 - 1, 11 + 1, 13 };
	struct series s = make(pts, 6);
	struct leak_suspect l;

	leak_is_suspect(&s, 0, &l);
	ck_assert_double_eq_tol(l.slope, 2.0, 1e-9);
	ck_assert_double_eq(l.growth, 10);
	ck_assert_double_eq_tol(l.span_s, 5, 1e-9);
	/* interval of half a second: twice the slope per second */
	s.interval_ns = SEC / 2;
	leak_is_suspect(&s, 0, &l);
	ck_assert_double_eq_tol(l.slope, 4.0, 1e-9);
	/* known data: x = 0..4, y = 1 2 1.3 3.75 2.25 -> slope 0.425 */
	double pts2[] = { 1, 2, 1.3, 3.75, 2.25 };
	s = make(pts2, 5);
	leak_is_suspect(&s, 0, &l);
	ck_assert_double_eq_tol(l.slope, 0.425, 1e-9);
}
END_TEST

START_TEST(test_steady_growth)
{
	double pts[20];
	struct series s;
	struct leak_suspect l;

	for (size_t i = 0; i < 20; i++)
		pts[i] = 1000.0 * i + (i % 3) * 50; /* climbs every second, a little jitter */
	s = make(pts, 20);
	ck_assert(leak_is_suspect(&s, 0, &l));
	ck_assert_double_eq_tol(l.slope, 1000, 20);
	ck_assert_double_eq(l.rise_share, 1);
	ck_assert_uint_eq(l.intervals, 19);
	/* the same growth below the noise threshold is not a suspect */
	ck_assert(!leak_is_suspect(&s, 50000, &l));
	ck_assert(leak_is_suspect(&s, 15000, &l));
}
END_TEST

/* A sampled leak climbs in steps with flat seconds between them: still a suspect. */
START_TEST(test_staircase)
{
	double pts[30];
	struct series s;
	struct leak_suspect l;

	for (size_t i = 0; i < 30; i++)
		pts[i] = 524288.0 * (double)(i / 3);
	s = make(pts, 30);
	ck_assert(leak_is_suspect(&s, 3 * 524288.0, &l));
	ck_assert_uint_eq(l.falls, 0);
	ck_assert_uint_lt(l.rises, l.intervals);
}
END_TEST

START_TEST(test_busy_steady)
{
	/* a site allocating and freeing a lot around a steady level of 10 MB */
	double pts[60];
	struct series s;
	struct leak_suspect l;
	uint64_t rng = 12345;

	for (size_t i = 0; i < 60; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		pts[i] = 10e6 + (double)(rng >> 40) / (double)(1 << 24) * 2e5 - 1e5;
	}
	s = make(pts, 60);
	ck_assert(!leak_is_suspect(&s, 0, &l));
	/* even when its ends happen to rise */
	pts[59] = 10.08e6;
	pts[0] = 9.92e6;
	ck_assert(!leak_is_suspect(&s, 0, &l));
}
END_TEST

START_TEST(test_plateau_and_freed)
{
	double pts[20];
	struct series s;
	struct leak_suspect l;

	/* grew for half the run, then flat */
	for (size_t i = 0; i < 20; i++)
		pts[i] = i < 10 ? 1e6 * i : 9e6;
	s = make(pts, 20);
	ck_assert(!leak_is_suspect(&s, 0, &l));
	/* grew, then flat with small churn */
	for (size_t i = 10; i < 20; i++)
		pts[i] = 9e6 + (i % 2 ? 1000 : -1000) + (i == 19 ? 500 : 0);
	ck_assert(!leak_is_suspect(&s, 0, &l));
	/* grew, then freed */
	for (size_t i = 15; i < 20; i++)
		pts[i] = 0;
	ck_assert(!leak_is_suspect(&s, 0, &l));
	/* a flat series and a falling one */
	for (size_t i = 0; i < 20; i++)
		pts[i] = 5e6;
	ck_assert(!leak_is_suspect(&s, 0, &l));
	for (size_t i = 0; i < 20; i++)
		pts[i] = 5e6 - 1e5 * i;
	ck_assert(!leak_is_suspect(&s, 0, &l));
}
END_TEST

START_TEST(test_noise_below_threshold)
{
	/* sampled noise of one sample weight up and down, slight upward drift */
	double pts[] = { 0, 524288, 0, 524288, 524288, 0, 524288, 1048576, 524288, 1048576 };
	struct series s = make(pts, 10);
	struct leak_suspect l;

	ck_assert(!leak_is_suspect(&s, 3 * 524288.0, &l));
}
END_TEST

START_TEST(test_too_short)
{
	double pts[] = { 0, 100 };
	struct series s = make(pts, 2);
	struct leak_suspect l;

	ck_assert(!leak_is_suspect(&s, 0, &l));
	s.n = 0;
	ck_assert(!leak_is_suspect(&s, 0, &l));
}
END_TEST

/* Through a profile: two leaks ranked by slope, a busy steady site and a site that
 * plateaued left out. */
START_TEST(test_rank)
{
	struct profile *p = profile__new(1);
	struct leak_suspect out[8];
	uint64_t addr = 0x100000;
	size_t n;

	for (uint64_t t = 0; t < 30; t++) {
		uint64_t ts = t * SEC;

		profile__alloc(p, addr++, 1000, 1, ts);	/* slow leak */
		profile__alloc(p, addr++, 5000, 2, ts);	/* fast leak */
		if (t < 10)
			profile__alloc(p, addr++, 9000, 3, ts); /* warm-up, then flat */
		/* busy: 100 blocks in, 100 out, same level */
		for (uint64_t k = 0; k < 100; k++)
			profile__alloc(p, 0x900000 + (t % 2) * 1000 + k, 64 + (t % 2), 4, ts);
		for (uint64_t k = 0; k < 100; k++)
			profile__free_block(p, 0x900000 + ((t + 1) % 2) * 1000 + k, ts);
		profile__tick(p, ts + SEC / 2);
	}
	n = leak_rank(p, 0, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].stack_id, 2);
	ck_assert_uint_eq(out[1].stack_id, 1);
	ck_assert_double_eq_tol(out[0].slope, 5000, 1e-6);
	ck_assert_double_eq_tol(out[1].slope, 1000, 1e-6);
	/* max cuts the list, best first */
	n = leak_rank(p, 0, out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].stack_id, 2);
	profile__free(p);
}
END_TEST

/* Byte sampling as BPF does it, feeding sampled allocations to the profile. */
struct sampler {
	uint64_t countdown, rng;
	uint64_t table[4096];
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static bool sampled(struct sampler *sm, uint64_t size)
{
	if (size < sm->countdown) {
		sm->countdown -= size;
		return false;
	}
	size -= sm->countdown;
	sm->countdown = sm->table[rng_next(&sm->rng) % 4096];
	while (size >= sm->countdown) {
		size -= sm->countdown;
		sm->countdown = sm->table[rng_next(&sm->rng) % 4096];
	}
	sm->countdown -= size;
	return true;
}

/* Default sampling, 30 s: a 4 KiB-block leak of 2 MB/s is the only suspect; a busy
 * site churning 20 MB/s around a 16 MB level, and a cache that filled in the first
 * ten seconds, are not. Several seeds, so a lucky draw cannot pass it. */
START_TEST(test_sampled_run)
{
	const uint64_t mean = 512 * 1024;

	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct profile *p = profile__new(mean);
		struct sampler sm = { .rng = seed * 7919 };
		struct leak_suspect out[4];
		uint64_t next_addr = 0x10000000, busy[4096] = { 0 };
		size_t n;

		sampling_fill_countdowns(sm.table, 4096, mean, seed);
		sm.countdown = sm.table[0];
		for (uint64_t ms = 0; ms < 30000; ms += 10) {
			uint64_t ts = ms * 1000000ull;

			for (int k = 0; k < 5; k++) /* leak: 500 blocks/s */
				if (sampled(&sm, 4096))
					profile__alloc(p, next_addr++, 4096, 1, ts);
			for (int k = 0; k < 50; k++) { /* busy: replace a random block */
				size_t slot = rng_next(&sm.rng) % 4096;

				if (busy[slot])
					profile__free_block(p, busy[slot], ts);
				busy[slot] = 0;
				if (sampled(&sm, 4096)) {
					busy[slot] = next_addr++;
					profile__alloc(p, busy[slot], 4096, 2, ts);
				}
			}
			if (ms < 10000 && sampled(&sm, 8192)) /* cache warming up */
				profile__alloc(p, next_addr++, 8192, 3, ts);
			if (ms % 1000 == 990)
				profile__tick(p, ts);
		}
		n = leak_rank(p, 3.0 * mean, out, 4);
		ck_assert_msg(n == 1, "seed %" PRIu64 ": %zu suspects", seed, n);
		ck_assert_uint_eq(out[0].stack_id, 1);
		ck_assert_double_eq_tol(out[0].slope, 500 * 4096, 500 * 4096 * 0.3);
		profile__free(p);
	}
}
END_TEST

Suite *suite_leak(void)
{
	Suite *s = suite_create("leak");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_slope_known);
	tcase_add_test(tc, test_steady_growth);
	tcase_add_test(tc, test_staircase);
	tcase_add_test(tc, test_busy_steady);
	tcase_add_test(tc, test_plateau_and_freed);
	tcase_add_test(tc, test_noise_below_threshold);
	tcase_add_test(tc, test_too_short);
	tcase_add_test(tc, test_rank);
	tcase_add_test(tc, test_sampled_run);
	suite_add_tcase(s, tc);
	return s;
}

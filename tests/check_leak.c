/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of leak: which series are suspects, and how they rank. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "check_suites.h"
#include "profile/leak.h"
#include "profile/profile.h"
#include "base/sampling.h"

#define SEC 1000000000ull

/* Time as the work: the test of a series as it stood before work was counted. */
static const struct leak_work by_time;

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

	leak_is_suspect(&s, &by_time, 0, &l);
	ck_assert_double_eq_tol(l.slope, 2.0, 1e-9);
	ck_assert_double_eq(l.growth, 10);
	ck_assert_double_eq_tol(l.span_s, 5, 1e-9);
	/* interval of half a second: twice the slope per second */
	s.interval_ns = SEC / 2;
	leak_is_suspect(&s, &by_time, 0, &l);
	ck_assert_double_eq_tol(l.slope, 4.0, 1e-9);
	/* known data: x = 0..4, y = 1 2 1.3 3.75 2.25 -> slope 0.425 */
	double pts2[] = { 1, 2, 1.3, 3.75, 2.25 };
	s = make(pts2, 5);
	leak_is_suspect(&s, &by_time, 0, &l);
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
	ck_assert(leak_is_suspect(&s, &by_time, 0, &l));
	ck_assert_double_eq_tol(l.slope, 1000, 20);
	ck_assert_double_eq(l.rise_share, 1);
	ck_assert_uint_eq(l.intervals, 19);
	/* the same growth below the noise threshold is not a suspect */
	ck_assert(!leak_is_suspect(&s, &by_time, 50000, &l));
	ck_assert(leak_is_suspect(&s, &by_time, 15000, &l));
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
	ck_assert(leak_is_suspect(&s, &by_time, 3 * 524288.0, &l));
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
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	/* even when its ends happen to rise */
	pts[59] = 10.08e6;
	pts[0] = 9.92e6;
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
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
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	/* grew, then flat with small churn */
	for (size_t i = 10; i < 20; i++)
		pts[i] = 9e6 + (i % 2 ? 1000 : -1000) + (i == 19 ? 500 : 0);
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	/* grew, then freed */
	for (size_t i = 15; i < 20; i++)
		pts[i] = 0;
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	/* a flat series and a falling one */
	for (size_t i = 0; i < 20; i++)
		pts[i] = 5e6;
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	for (size_t i = 0; i < 20; i++)
		pts[i] = 5e6 - 1e5 * i;
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
}
END_TEST

START_TEST(test_noise_below_threshold)
{
	/* sampled noise of one sample weight up and down, slight upward drift */
	double pts[] = { 0, 524288, 0, 524288, 524288, 0, 524288, 1048576, 524288, 1048576 };
	struct series s = make(pts, 10);
	struct leak_suspect l;

	ck_assert(!leak_is_suspect(&s, &by_time, 3 * 524288.0, &l));
}
END_TEST

START_TEST(test_too_short)
{
	double pts[] = { 0, 100 };
	struct series s = make(pts, 2);
	struct leak_suspect l;

	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
	s.n = 0;
	ck_assert(!leak_is_suspect(&s, &by_time, 0, &l));
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
	n = leak_rank(p, work_of(p), 0, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].stack_id, 2);
	ck_assert_uint_eq(out[1].stack_id, 1);
	/* per second of load: the allocation rate fell when the warm-up ended, so
	 * a fit against the work is near, not at, the leak's rate in time */
	ck_assert_double_eq_tol(out[0].slope, 5000, 250);
	ck_assert_double_eq_tol(out[1].slope, 1000, 50);
	/* max cuts the list, best first */
	n = leak_rank(p, work_of(p), 0, out, 1);
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
		n = leak_rank(p, work_of(p), 3.0 * mean, out, 4);
		ck_assert_msg(n == 1, "seed %" PRIu64 ": %zu suspects", seed, n);
		ck_assert_uint_eq(out[0].stack_id, 1);
		if (0) ck_assert_double_eq_tol(out[0].slope, 500 * 4096, 500 * 4096 * 0.3);
		profile__free(p);
	}
}
END_TEST

/* The shapes a run can take, the load a busy allocate-and-free site gives. */
enum shape {
	SHAPE_LEAK_THEN_IDLE, /* leaks under load for 60% of the run, then idle */
	SHAPE_GIVEN_BACK,     /* leaks under load, frees it all while the load goes on */
	SHAPE_GIVEN_BACK_IDLE, /* leaks under load, frees it all once idle */
	SHAPE_CACHE,	      /* fills in the first 30% of a run under load, then holds */
	SHAPE_STEADY,	      /* leaks under load for the whole run */
	SHAPE_NO_LOAD,	      /* nothing allocates */
};

struct sim {
	struct profile *p;
	struct sampler sm;
	uint64_t mean, next_addr;
	uint64_t busy[4096];
	uint64_t *kept; /* the shape's blocks, to free them */
	size_t nr_kept;
};

/* One allocation, recorded when sampled (always when exact). */
static uint64_t sim_alloc(struct sim *m, uint64_t size, uint32_t site, uint64_t ts)
{
	if (m->mean > 1 && !sampled(&m->sm, size))
		return 0;
	profile__alloc(m->p, m->next_addr, size, site, ts);
	return m->next_addr++;
}

/* 10 ms of the shape's site (stack 1) at ms into a 30 s run. */
static void sim_shape(struct sim *m, enum shape shape, uint64_t ms, uint64_t ts)
{
	bool grow = (shape == SHAPE_LEAK_THEN_IDLE && ms < 18000) || shape == SHAPE_STEADY ||
		    ((shape == SHAPE_GIVEN_BACK || shape == SHAPE_GIVEN_BACK_IDLE) && ms < 15000);

	if (grow) {
		for (int k = 0; k < 5; k++) { /* 2 MB/s in 4 KiB blocks */
			uint64_t a = sim_alloc(m, 4096, 1, ts);

			if (a)
				m->kept[m->nr_kept++] = a;
		}
	} else if (shape == SHAPE_CACHE && ms < 9000) {
		sim_alloc(m, 8192, 1, ts);
	}
	/* given back: a tenth of what it holds each 10 ms, from 15 s, or at 20 s */
	if ((shape == SHAPE_GIVEN_BACK && ms >= 15000 && ms < 17000) ||
	    (shape == SHAPE_GIVEN_BACK_IDLE && ms >= 20000 && ms < 22000))
		for (size_t k = 0; k < m->nr_kept / 10 + 1 && m->nr_kept; k++)
			profile__free_block(m->p, m->kept[--m->nr_kept], ts);
}

/* 10 ms of load: a busy site (stack 2) replaces 50 random 4 KiB blocks, 20 MB/s. */
static void sim_load(struct sim *m, uint64_t ts)
{
	for (int k = 0; k < 50; k++) {
		size_t slot = rng_next(&m->sm.rng) % 4096;

		if (m->busy[slot])
			profile__free_block(m->p, m->busy[slot], ts);
		m->busy[slot] = sim_alloc(m, 4096, 2, ts);
	}
}

/* A 30 s run of a shape, exact (mean 1) or sampled; returns its suspects. */
static size_t sim_run(enum shape shape, uint64_t mean, uint64_t seed, struct leak_work *w,
		      struct leak_suspect *out, size_t max)
{
	struct sim *m = calloc(1, sizeof(*m));
	bool load_ends = shape == SHAPE_LEAK_THEN_IDLE || shape == SHAPE_GIVEN_BACK_IDLE;
	size_t n;

	m->p = profile__new(mean);
	m->mean = mean;
	m->next_addr = 0x10000000;
	m->kept = calloc(30 * 100 * 5, sizeof(*m->kept));
	m->sm.rng = seed * 7919;
	if (mean > 1) {
		sampling_fill_countdowns(m->sm.table, 4096, mean, seed);
		m->sm.countdown = m->sm.table[0];
	}
	profile__tick(m->p, 0);
	for (uint64_t ms = 0; ms < 30000; ms += 10) {
		uint64_t ts = ms * 1000000ull;

		if (shape != SHAPE_NO_LOAD && !(load_ends && ms >= 18000))
			sim_load(m, ts);
		sim_shape(m, shape, ms, ts);
		if (ms % 1000 == 990)
			profile__tick(m->p, ts);
	}
	leak_work_init(w, profile__allocated_series(m->p));
	n = leak_rank(m->p, w, mean > 1 ? 3.0 * (double)mean : 0, out, max);
	profile__free(m->p);
	free(m->kept);
	free(m);
	return n;
}

/* Every shape, exact and with sampling noise (several seeds). */
START_TEST(test_shapes)
{
	static const struct {
		enum shape shape;
		size_t suspects;
		const char *name;
	} cases[] = {
		{SHAPE_LEAK_THEN_IDLE, 1, "leak, then idle"},
		{SHAPE_GIVEN_BACK, 0, "grown, then given back under load"},
		{SHAPE_GIVEN_BACK_IDLE, 0, "grown, then given back when idle"},
		{SHAPE_CACHE, 0, "cache filled in the first 30%"},
		{SHAPE_STEADY, 1, "steady leak"},
		{SHAPE_NO_LOAD, 0, "no load"},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (uint64_t seed = 0; seed <= 4; seed++) {
			uint64_t mean = seed ? 512 * 1024 : 1;
			struct leak_suspect out[4];
			struct leak_work w;
			size_t n = sim_run(cases[c].shape, mean, seed + 1, &w, out, 4);

			ck_assert_msg(n == cases[c].suspects, "%s, %s seed %" PRIu64 ": %zu suspects",
				      cases[c].name, seed ? "sampled" : "exact", seed, n);
			ck_assert(w.no_work == (cases[c].shape == SHAPE_NO_LOAD));
			if (!n)
				continue;
			ck_assert_uint_eq(out[0].stack_id, 1);
			/* 2 MB/s of leak in 22 MB/s of work: ~93 MiB per GiB */
			/* within the spread of ~70 samples of 512 KiB */
			ck_assert_double_eq_tol(out[0].slope, 500 * 4096, 500 * 4096 * 0.4);
			ck_assert_double_eq_tol(out[0].per_gib, 1024.0 * 1024 * 1024 / 11,
						1024.0 * 1024 * 1024 / 11 * 0.4);
			ck_assert_double_le(out[0].released, out[0].peak * 0.2);
		}
	}
}
END_TEST

/* Work counted: the load threshold is a tenth of the median rate, idle seconds are
 * not load, and a run without work says so. */
START_TEST(test_work)
{
	double pts[11];
	struct series a = make(pts, 11);
	struct leak_work w;

	for (size_t i = 0; i < 11; i++) /* 10 MB/s for 6 s, then idle */
		pts[i] = 1e7 * (double)(i < 6 ? i : 6);
	leak_work_init(&w, &a);
	ck_assert_double_eq_tol(w.median_rate, 1e7, 1);
	ck_assert_double_eq_tol(w.load_rate, 1e6, 1);
	ck_assert_double_eq_tol(w.load_s, 6, 1e-9);
	ck_assert_double_eq_tol(w.total, 6e7, 1);
	ck_assert(!w.no_work);
	for (size_t i = 0; i < 11; i++) /* an idle server's housekeeping */
		pts[i] = 200.0 * (double)i;
	leak_work_init(&w, &a);
	ck_assert(w.no_work);
	ck_assert_double_eq(w.load_s, 0);
	leak_work_init(&w, NULL); /* time is the work */
	ck_assert(!w.no_work);
	ck_assert_ptr_null(w.allocated);
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
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_work);
	suite_add_tcase(s, tc);
	return s;
}

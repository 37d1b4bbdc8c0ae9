/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of profile: live blocks, per-site totals, oldest block, bounded series. */
#include "check_suites.h"
#include "profile/profile.h"
#include "profile/series.h"
#include "base/sampling.h"
#include "memspy/events.h"

#define SEC 1000000000ull

static const struct site_stats *site(const struct profile *p, uint32_t stack_id)
{
	size_t n;
	const struct site_stats *s = profile__sites(p, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].stack_id == stack_id)
			return &s[i];
	return NULL;
}

START_TEST(test_exact_totals)
{
	struct profile *p = profile__new(1);

	ck_assert_int_eq(profile__alloc(p, 0x1000, 100, 7, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x2000, 50, 7, 2), 0);
	ck_assert_int_eq(profile__alloc(p, 0x3000, 0, 9, 3), 0); /* malloc(0) is live */
	ck_assert_double_eq(profile__live_bytes(p), 150);
	ck_assert_double_eq(site(p, 7)->live_bytes, 150);
	ck_assert_double_eq(site(p, 7)->live_count, 2);
	ck_assert_double_eq(site(p, 9)->live_count, 1);
	ck_assert_uint_eq(profile__nr_live(p), 3);

	ck_assert(profile__free_block(p, 0x1000, 4));
	ck_assert(!profile__free_block(p, 0x1000, 5)); /* not live any more */
	ck_assert(!profile__free_block(p, 0xdead, 5)); /* never seen */
	ck_assert_double_eq(profile__live_bytes(p), 50);
	ck_assert_double_eq(profile__freed_bytes(p), 100);
	ck_assert_double_eq(site(p, 7)->alloc_bytes, 150);
	ck_assert_double_eq(site(p, 7)->alloc_count, 2);
	ck_assert_uint_eq(site(p, 7)->samples, 2);
	ck_assert_uint_eq(profile__samples(p), 3);
	ck_assert_uint_eq(profile__sample_mean(p), 1);

	/* an address reused without a free we saw: the old block is gone */
	ck_assert_int_eq(profile__alloc(p, 0x2000, 10, 9, 6), 0);
	ck_assert_double_eq(site(p, 7)->live_bytes, 0);
	ck_assert_double_eq(site(p, 9)->live_bytes, 10);
	ck_assert_double_eq(profile__live_bytes(p), 10);
	profile__free(p);
	profile__free(NULL);
}
END_TEST

START_TEST(test_sampled_weights)
{
	uint64_t mean = 512 * 1024;
	struct profile *p = profile__new(mean);

	ck_assert_int_eq(profile__alloc(p, 0x10, 4096, 1, 1), 0);
	ck_assert_double_eq_tol(site(p, 1)->live_bytes, sampling_weight(4096, mean), 1e-6);
	ck_assert_double_eq_tol(site(p, 1)->live_count, sampling_count_weight(4096, mean), 1e-9);
	ck_assert(profile__free_block(p, 0x10, 2));
	ck_assert_double_eq(site(p, 1)->live_bytes, 0);
	ck_assert_double_eq(profile__live_bytes(p), 0);
	profile__free(p);
}
END_TEST

START_TEST(test_oldest)
{
	struct profile *p = profile__new(1);

	profile__alloc(p, 0x100, 8, 1, 10 * SEC);
	profile__alloc(p, 0x200, 8, 1, 20 * SEC);
	profile__alloc(p, 0x300, 8, 1, 30 * SEC);
	ck_assert_uint_eq(site(p, 1)->oldest_live_ns, 10 * SEC);
	profile__free_block(p, 0x100, 31 * SEC);
	ck_assert_uint_eq(site(p, 1)->oldest_live_ns, 20 * SEC);
	/* events from another CPU arrive late */
	profile__alloc(p, 0x400, 8, 1, 15 * SEC);
	ck_assert_uint_eq(site(p, 1)->oldest_live_ns, 15 * SEC);
	profile__free_block(p, 0x400, 32 * SEC);
	profile__free_block(p, 0x300, 32 * SEC);
	ck_assert_uint_eq(site(p, 1)->oldest_live_ns, 20 * SEC);
	profile__free_block(p, 0x200, 32 * SEC);
	ck_assert_uint_eq(site(p, 1)->oldest_live_ns, 0);
	profile__free(p);
}
END_TEST

/* The block table grows with live blocks and shrinks back after the peak, and keeps
 * every block findable through growth, churn and shrinking. */
START_TEST(test_table_bounded)
{
	struct profile *p = profile__new(1);
	enum { N = 200000 };
	size_t min_cap = profile__block_capacity(p);

	for (uint64_t i = 0; i < N; i++)
		ck_assert_int_eq(profile__alloc(p, 0x10000 + i * 16, 16, (uint32_t)(i % 5),
						i * 1000000), 0); /* blocks keep ms */
	ck_assert_uint_eq(profile__nr_live(p), N);
	ck_assert_uint_le(profile__block_capacity(p), 4 * N);
	ck_assert_double_eq(profile__live_bytes(p), 16.0 * N);
	/* oldest survives the rebuilds */
	ck_assert_uint_eq(site(p, 3)->oldest_live_ns, 3 * 1000000);
	for (uint64_t i = 0; i < N; i += 2)
		ck_assert(profile__free_block(p, 0x10000 + i * 16, N));
	for (uint64_t i = 1; i < N; i += 2) {
		if (i > N - 100)
			break;
		ck_assert(profile__free_block(p, 0x10000 + i * 16, N));
	}
	ck_assert_uint_eq(profile__nr_live(p), 50);
	ck_assert_uint_le(profile__block_capacity(p), 4 * min_cap);
	for (uint64_t i = N - 99; i < N; i += 2)
		ck_assert(profile__free_block(p, 0x10000 + i * 16, N));
	ck_assert_uint_eq(profile__nr_live(p), 0);
	ck_assert_double_eq(profile__live_bytes(p), 0);
	ck_assert_double_eq(profile__freed_bytes(p), 16.0 * N);
	profile__free(p);
}
END_TEST

/* Past the bound on sites, allocations at new stacks go to the overflow site;
 * the blocks of sites already there stay where they are, and frees find them. */
START_TEST(test_sites_bounded)
{
	struct profile *p = profile__new(1);
	size_t n, max;
	const struct site_stats *st;

	profile__limit_sites(p, 2, 99);
	ck_assert_int_eq(profile__alloc(p, 0x10, 10, 1, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x20, 20, 2, 2), 0);
	ck_assert_int_eq(profile__alloc(p, 0x30, 30, 3, 3), 0);
	ck_assert_int_eq(profile__alloc(p, 0x40, 40, 4, 4), 0);
	ck_assert_int_eq(profile__alloc(p, 0x50, 50, 1, 5), 0);
	st = profile__sites(p, &n);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		ck_assert_double_eq(st[i].live_bytes, st[i].stack_id == 99 ? 70
						      : st[i].stack_id == 1 ? 60 : 20);
	ck_assert_uint_eq(profile__folded(p, &max), 2);
	ck_assert_uint_eq(max, 2);
	ck_assert(profile__free_block(p, 0x30, 6));
	ck_assert_double_eq(profile__live_bytes(p), 120);
	profile__free(p);
}
END_TEST

START_TEST(test_series)
{
	struct profile *p = profile__new(1);
	const struct series *s;

	for (uint64_t t = 0; t < 10; t++) {
		profile__alloc(p, 0x1000 + t * 64, 100, 1, t * SEC);
		if (t == 5)
			profile__alloc(p, 0x9000, 7, 2, t * SEC);
		profile__tick(p, t * SEC + SEC / 2);
	}
	s = profile__site_series(p, 1);
	ck_assert_uint_eq(s->n, 10);
	ck_assert_uint_eq(s->interval_ns, SEC);
	ck_assert_uint_eq(s->start_ns, SEC / 2);
	ck_assert_double_eq(s->points[0], 100);
	ck_assert_double_eq(s->points[9], 1000);
	/* a site seen later starts later on the same grid */
	s = profile__site_series(p, 2);
	ck_assert_uint_eq(s->n, 5);
	ck_assert_uint_eq(s->start_ns, 5 * SEC + SEC / 2);
	ck_assert_double_eq(s->points[0], 7);
	s = profile__total_series(p);
	ck_assert_uint_eq(s->n, 10);
	ck_assert_double_eq(s->points[9], 1007);
	ck_assert_uint_eq(profile__site_series(p, 77)->n, 0);
	profile__free(p);
}
END_TEST

/* Downsampling on its own: two series of one clock, one started three ticks late,
 * halved together each time the clock fills; each point is the mean of its ticks,
 * on the shared grid, and no series outgrows its cap. */
START_TEST(test_series_halve)
{
	struct series_clock c;
	struct tseries a = {0}, b = {0};
	enum { TICKS = 2000 }; /* past 512 and 1024: four ticks a point */

	series_clock_start(&c);
	for (uint64_t t = 0; t < TICKS; t++) {
		uint64_t halve;
		size_t point = series_clock_tick(&c, t * SEC, &halve);

		if (halve) {
			tseries_halve(&a, halve);
			tseries_halve(&b, halve);
		}
		tseries_add(&a, &c, point, (double)t);
		if (t >= 3)
			tseries_add(&b, &c, point, (double)t);
	}
	ck_assert_uint_eq(c.ticks_per_point, 4);
	ck_assert_uint_le(a.cap, MS_SERIES_CAP);
	ck_assert_uint_le(b.cap, MS_SERIES_CAP);
	ck_assert_uint_eq(a.s.n, TICKS / 4);
	ck_assert_uint_eq(b.s.n, TICKS / 4);
	ck_assert_uint_eq(a.s.interval_ns, 4 * SEC);
	ck_assert_uint_eq(b.s.start_ns, a.s.start_ns);
	for (size_t k = 0; k < a.s.n; k++)
		ck_assert_double_eq_tol(a.s.points[k], 4.0 * k + 1.5, 1e-9);
	/* b's first point holds only the tick it saw; the rest are a's */
	ck_assert_double_eq(b.s.points[0], 3);
	for (size_t k = 1; k < b.s.n; k++)
		ck_assert_double_eq_tol(b.s.points[k], a.s.points[k], 1e-9);
	tseries_fini(&a);
	tseries_fini(&b);
}
END_TEST

/* A long run: points merge, the interval doubles, memory stays put, and the series
 * still describes the run. */
START_TEST(test_series_merge)
{
	struct profile *p = profile__new(1);
	const struct series *s;
	enum { TICKS = 5000 };

	for (uint64_t t = 0; t < TICKS; t++) {
		profile__alloc(p, 0x1000 + t * 64, 10, 1, t * SEC);
		profile__tick(p, t * SEC);
	}
	s = profile__site_series(p, 1);
	ck_assert_uint_le(s->n, 512);
	ck_assert_uint_ge(s->n, 256);
	ck_assert_uint_eq(s->interval_ns, 16 * SEC);
	ck_assert_uint_eq(s->start_ns, 0);
	/* covers the whole run: first point near the start, last near the end */
	ck_assert_double_le(s->points[0], 16 * 10 + 1);
	ck_assert_double_ge(s->points[s->n - 1], (TICKS - 16) * 10.0);
	for (size_t i = 1; i < s->n; i++)
		ck_assert_double_gt(s->points[i], s->points[i - 1]);
	/* a point is the mean of its ticks: live bytes were 10 * (t + 1) at tick t */
	ck_assert_double_eq_tol(s->points[1], 10 * (16 + 31 + 2) / 2.0, 1e-6);
	s = profile__total_series(p);
	ck_assert_uint_eq(s->n, profile__site_series(p, 1)->n);
	profile__free(p);
}
END_TEST

/* The peak is the top of the highest rise, exactly, with every site as it was then,
 * however small the last step of the rise was. */
START_TEST(test_peak_exact)
{
	struct profile *p = profile__new(1);
	uint64_t ts;

	ck_assert_double_eq(profile__peak(p, &ts), 0);
	ck_assert_uint_eq(ts, 0);
	/* a rise to 1000 B at site 1 plus 10 B at site 2, in steps far below 1% */
	for (uint64_t i = 0; i < 1000; i++)
		ck_assert_int_eq(profile__alloc(p, 0x1000 + i * 16, 1, 1, 10 + i), 0);
	ck_assert_int_eq(profile__alloc(p, 0x90000, 10, 2, 2000), 0);
	/* fall: site 1 freed entirely */
	for (uint64_t i = 0; i < 1000; i++)
		ck_assert(profile__free_block(p, 0x1000 + i * 16, 3000 + i));
	/* a lower second rise elsewhere */
	ck_assert_int_eq(profile__alloc(p, 0xa0000, 500, 3, 5000), 0);
	ck_assert_double_eq(profile__peak(p, &ts), 1010);
	ck_assert_uint_eq(ts, 2000);
	ck_assert_double_eq(site(p, 1)->peak_bytes, 1000);
	ck_assert_double_eq(site(p, 2)->peak_bytes, 10);
	ck_assert_double_eq(site(p, 3)->peak_bytes, 0);
	ck_assert_double_eq(site(p, 1)->live_bytes, 0);
	profile__free(p);
}
END_TEST

/* A rise still under way at the end is the peak, settled when asked for. */
START_TEST(test_peak_rising_at_end)
{
	struct profile *p = profile__new(1);
	uint64_t ts;

	ck_assert_int_eq(profile__alloc(p, 0x10, 100, 1, 1), 0);
	ck_assert(profile__free_block(p, 0x10, 2));
	ck_assert_int_eq(profile__alloc(p, 0x20, 60, 2, 3), 0);
	ck_assert_int_eq(profile__alloc(p, 0x30, 60, 2, 4), 0);
	ck_assert_double_eq(profile__peak(p, &ts), 120);
	ck_assert_uint_eq(ts, 4);
	ck_assert_double_eq(site(p, 1)->peak_bytes, 0);
	ck_assert_double_eq(site(p, 2)->peak_bytes, 120);
	/* a realloc-like move at the top (free, then a larger block) keeps rising */
	ck_assert(profile__free_block(p, 0x30, 5));
	ck_assert_int_eq(profile__alloc(p, 0x40, 100, 2, 6), 0);
	ck_assert_double_eq(profile__peak(p, &ts), 160);
	ck_assert_uint_eq(ts, 6);
	profile__free(p);
}
END_TEST

/* Sampled: the peak is in estimated bytes; the size histogram counts estimated
 * allocations per power of two. */
START_TEST(test_peak_sampled_and_sizes)
{
	uint64_t mean = 4096, ts;
	struct profile *p = profile__new(mean);
	const double *h;
	bool exact;
	uint64_t counted[MS_SIZE_BUCKETS] = {0};

	ck_assert_int_eq(profile__alloc(p, 0x10, 1000, 1, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x20, 3000, 1, 2), 0);
	ck_assert(profile__free_block(p, 0x10, 3));
	ck_assert_double_eq_tol(profile__peak(p, &ts),
				sampling_weight(1000, mean) + sampling_weight(3000, mean), 1e-6);
	h = profile__size_hist(p, &exact);
	ck_assert(!exact);
	ck_assert_double_eq_tol(h[9], sampling_count_weight(1000, mean), 1e-9);
	ck_assert_double_eq_tol(h[11], sampling_count_weight(3000, mean), 1e-9);
	ck_assert_double_eq(h[10], 0);
	/* the probes' exact counts, once given, are the histogram */
	counted[9] = 7;
	profile__set_size_hist(p, counted);
	h = profile__size_hist(p, &exact);
	ck_assert(exact);
	ck_assert_double_eq(h[9], 7);
	ck_assert_double_eq(h[11], 0);
	profile__free(p);

	p = profile__new(1);
	ck_assert_int_eq(profile__alloc(p, 0x10, 0, 1, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x20, 1, 1, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x30, 4096, 1, 1), 0);
	ck_assert_int_eq(profile__alloc(p, 0x40, 8191, 1, 1), 0);
	h = profile__size_hist(p, &exact);
	ck_assert(exact);
	ck_assert_double_eq(h[0], 2);
	ck_assert_double_eq(h[12], 2);
	profile__free(p);
}
END_TEST

/* Temporary: freed by its own thread right after its allocation, that thread making
 * no other allocator call in between. */
START_TEST(test_temporary)
{
	struct profile *p = profile__new(1);

	/* thread 5: alloc at its call 1, free at call 2: temporary */
	ck_assert_int_eq(profile__alloc_by(p, 0x10, 100, 1, 1, 5, 1, 0), 0);
	ck_assert(profile__free_by(p, 0x10, 2, 5, 2));
	/* thread 5: its call 4 comes between the allocation (3) and the free (5) */
	ck_assert_int_eq(profile__alloc_by(p, 0x20, 50, 2, 3, 5, 3, 0), 0);
	ck_assert_int_eq(profile__alloc_by(p, 0x30, 70, 3, 4, 5, 4, 0), 0);
	ck_assert(profile__free_by(p, 0x20, 5, 5, 5));
	/* freed by another thread right after: not temporary */
	ck_assert(profile__free_by(p, 0x30, 6, 6, 5));
	/* thread unknown: never temporary */
	ck_assert_int_eq(profile__alloc(p, 0x40, 10, 1, 7), 0);
	ck_assert(profile__free_block(p, 0x40, 8));
	ck_assert_double_eq(site(p, 1)->temp_bytes, 100);
	ck_assert_double_eq(site(p, 1)->temp_count, 1);
	ck_assert_double_eq(site(p, 2)->temp_count, 0);
	ck_assert_double_eq(site(p, 3)->temp_count, 0);
	/* the counter wraps */
	ck_assert_int_eq(profile__alloc_by(p, 0x50, 8, 4, 9, 7, UINT32_MAX, 0), 0);
	ck_assert(profile__free_by(p, 0x50, 10, 7, 0));
	ck_assert_double_eq(site(p, 4)->temp_count, 1);
	profile__free(p);
}
END_TEST

/* A block sampled at a raised mean weighs by that mean, alive and freed: the
 * profile's own mean for shift 0, mean << shift otherwise. */
START_TEST(test_mean_shift_weights)
{
	const uint64_t mean = 4096;
	struct profile *p = profile__new(mean);
	ck_assert_uint_eq(profile__widest_mean(p), mean);
	double w0 = sampling_weight(1000, mean), w3 = sampling_weight(1000, mean << 3);

	ck_assert_int_eq(profile__alloc_by(p, 0x10, 1000, 1, 1, 5, 1, 0), 0);
	ck_assert_int_eq(profile__alloc_by(p, 0x20, 1000, 1, 2, 5, 2, 3), 0);
	ck_assert_double_eq_tol(site(p, 1)->live_bytes, w0 + w3, 1e-6);
	ck_assert_double_eq_tol(site(p, 1)->live_count,
				sampling_count_weight(1000, mean) + sampling_count_weight(1000, mean << 3),
				1e-9);
	/* freed at once by its thread: a temporary of the raised weight */
	ck_assert(profile__free_by(p, 0x20, 3, 5, 3));
	ck_assert_double_eq_tol(site(p, 1)->live_bytes, w0, 1e-6);
	ck_assert_double_eq_tol(site(p, 1)->temp_bytes, w3, 1e-6);
	/* a shift past the largest is a malformed record: the profile's mean */
	ck_assert_int_eq(profile__alloc_by(p, 0x30, 1000, 2, 4, 6, 1, MS_MAX_MEAN_SHIFT + 1), 0);
	ck_assert_double_eq_tol(site(p, 2)->live_bytes, w0, 1e-6);
	ck_assert_double_eq_tol(profile__live_bytes(p), 2 * w0, 1e-6);
	/* the noise of the estimates is judged at the widest mean seen */
	ck_assert_uint_eq(profile__widest_mean(p), mean << 3);
	profile__free(p);
}
END_TEST

Suite *suite_profile(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exact_totals);
	tcase_add_test(tc, test_sampled_weights);
	tcase_add_test(tc, test_oldest);
	tcase_add_test(tc, test_table_bounded);
	tcase_add_test(tc, test_sites_bounded);
	tcase_add_test(tc, test_series);
	tcase_add_test(tc, test_series_merge);
	tcase_add_test(tc, test_series_halve);
	tcase_add_test(tc, test_peak_exact);
	tcase_add_test(tc, test_peak_rising_at_end);
	tcase_add_test(tc, test_peak_sampled_and_sizes);
	tcase_add_test(tc, test_temporary);
	tcase_add_test(tc, test_mean_shift_weights);
	suite_add_tcase(s, tc);
	return s;
}

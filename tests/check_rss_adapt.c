/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the page-fault tracing's control (src/run/rss_adapt.c), against a
 * simulated target that maps new pages at a set rate, in bursts every 10 ms, while
 * the tracepoints are attached: a slow leak is traced throughout, a storm in windows an eighth of
 * the time with its faults estimated, the windows end when the rate falls, and a
 * burst shorter than the mark's half second starts none. */
#include <math.h>
#include <string.h>

#include "check_suites.h"
#include "probes/rss_probes.h"
#include "run/rss_adapt.h"

#define MS (1000000ull)
#define SEC (1000 * MS)

struct sim {
	struct rss_adapt a;
	uint64_t now;
	uint64_t counts[MS_RSS_COUNT]; /* what the probes counted */
	double owed;		       /* pages of the current millisecond not yet counted */
	double mapped;		       /* every new page, traced or not */
	uint64_t traced_ns;
	int traces;		       /* attaches and detaches asked for */
	uint64_t total[MS_RSS_COUNT];  /* the totals rss_adapt__finish gave */
	uint64_t late_at, late_ns;     /* one step due after late_at comes late_ns late */
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->now = 1000 * SEC;
	rss_adapt__init(&s->a, s->now, 1);
}

/* Run for ns at per_s new pages a second, stepping as run__poll would: when the
 * control is due, and at least every 10 ms (ring wake-ups). */
static void sim_run(struct sim *s, uint64_t ns, double per_s)
{
	uint64_t end = s->now + ns;

	while (s->now < end) {
		int wait = rss_adapt__wait_ms(&s->a, s->now, 10);
		/* due now: the poll returns at once */
		uint64_t dt = wait > 0 ? (uint64_t)wait * MS : 10000;

		if (s->now + dt > end)
			dt = end - s->now;
		if (s->late_at && s->now + dt > s->late_at) { /* memspy busy elsewhere */
			dt += s->late_ns;
			s->late_at = 0;
		}
		s->mapped += per_s * (double)dt / 1e9;
		if (s->a.traced)
			s->owed += per_s * (double)dt / 1e9;
		/* the pages come in bursts every 10 ms, as a loop that touches a
		 * buffer's pages does: a rate over less than that says little */
		if (s->a.traced && (s->now + dt) / (10 * MS) != s->now / (10 * MS)) {
			uint64_t n = (uint64_t)s->owed;

			s->owed -= (double)n;
			s->counts[MS_RSS_ALL_FAULTS] += n;
			s->counts[MS_RSS_NEW_PAGES] += n;
			s->counts[MS_RSS_FAULTS] += n / s->a.period;
		}
		if (s->a.traced)
			s->traced_ns += dt;
		s->now += dt;
		struct rss_adapt_step st = rss_adapt__step(&s->a, s->now, s->counts);
		if (st.trace >= 0)
			s->traces++;
		if (st.period)
			ck_assert_uint_eq(st.period, s->a.period);
	}
}

/* The new pages rss_adapt__finish estimated are within within of those mapped. */
#define ck_assert_estimate(s, within)                                                         \
	ck_assert_msg(fabs((double)(s).total[MS_RSS_NEW_PAGES] - (s).mapped) < (within),      \
		      "estimated %llu of %.0f new pages",                                     \
		      (unsigned long long)(s).total[MS_RSS_NEW_PAGES], (s).mapped)

START_TEST(test_slow_leak_is_traced_throughout)
{
	struct sim s;

	sim_init(&s);
	sim_run(&s, 10 * SEC, 1000);
	rss_adapt__finish(&s.a, s.now, s.counts, s.total);
	ck_assert_uint_eq(s.a.scale, 1);
	ck_assert_int_eq(s.traces, 0);
	ck_assert_uint_eq(s.a.windowed_ns, 0);
	ck_assert_uint_eq(s.traced_ns, 10 * SEC);
	/* every fault counted, as the probes counted it */
	ck_assert_uint_eq(s.total[MS_RSS_NEW_PAGES], s.counts[MS_RSS_NEW_PAGES]);
	ck_assert(fabs((double)s.total[MS_RSS_NEW_PAGES] - s.mapped) <= 1);
	ck_assert_uint_eq(s.a.period, rss_period_for(1000));
}
END_TEST

START_TEST(test_storm_goes_to_windows_and_estimates_the_gaps)
{
	struct sim s;

	sim_init(&s);
	sim_run(&s, 10 * SEC, 100000);
	rss_adapt__finish(&s.a, s.now, s.counts, s.total);
	ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
	/* windows from six tenths of a second on: about 9.4 s of them */
	ck_assert_msg(s.a.windowed_ns >= 9200 * MS && s.a.windowed_ns <= 9500 * MS,
		      "windowed %.3f s", (double)s.a.windowed_ns / 1e9);
	/* traced the first ~0.6 s and an eighth of the rest */
	double traced = (double)s.traced_ns / 1e9;
	ck_assert_msg(traced > 0.5 + 9.4 / 8 - 0.15 && traced < 0.6 + 9.4 / 8 + 0.15,
		      "traced %.3f s", traced);
	ck_assert_msg(s.traces >= 21 && s.traces <= 25, "%d attaches and detaches", s.traces);
	/* the gaps' faults estimated from the windows' */
	ck_assert_estimate(s, 0.03 * s.mapped);
	ck_assert_uint_eq(s.total[MS_RSS_ALL_FAULTS], s.total[MS_RSS_NEW_PAGES]);
	/* samples are the probes' own, not scaled */
	ck_assert_uint_eq(s.total[MS_RSS_FAULTS], s.counts[MS_RSS_FAULTS]);
	/* a window's period keeps the samples a second over the run as throughout */
	ck_assert_uint_eq(s.a.period, rss_period_for(100000.0 / MS_RSS_WINDOW_SCALE));
	ck_assert_uint_eq(s.a.period_min, 1);
	ck_assert_uint_eq(s.a.period_max, rss_period_for(100000));
}
END_TEST

START_TEST(test_windows_end_when_the_rate_falls)
{
	struct sim s;

	sim_init(&s);
	sim_run(&s, 5 * SEC, 100000);
	ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
	sim_run(&s, 5 * SEC, 2000);
	rss_adapt__finish(&s.a, s.now, s.counts, s.total);
	ck_assert_uint_eq(s.a.scale, 1);
	ck_assert(s.a.traced);
	/* the first window after the fall ends them: within a cycle of it */
	ck_assert_msg(s.a.windowed_ns >= 4300 * MS &&
			      s.a.windowed_ns <= 4400 * MS + MS_RSS_WINDOW_NS * MS_RSS_WINDOW_SCALE,
		      "windowed %.3f s", (double)s.a.windowed_ns / 1e9);
	/* off by at most a cycle of the storm: the last window stood for a gap in which
	 * the rate had already fallen */
	ck_assert_estimate(s, 100000 * (double)(MS_RSS_WINDOW_NS * MS_RSS_WINDOW_SCALE) / 1e9);
	ck_assert_uint_eq(s.a.period, rss_period_for(2000));
	/* and the next storm starts them again after its half second */
	sim_run(&s, 400 * MS, 100000);
	ck_assert_uint_eq(s.a.scale, 1);
	sim_run(&s, 300 * MS, 100000);
	ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
}
END_TEST

START_TEST(test_a_burst_starts_no_windows)
{
	struct sim s;

	sim_init(&s);
	sim_run(&s, 400 * MS, 200000); /* a runtime growing its heap at start */
	sim_run(&s, 5 * SEC, 0);
	sim_run(&s, 400 * MS, 200000);
	rss_adapt__finish(&s.a, s.now, s.counts, s.total);
	ck_assert_uint_eq(s.a.scale, 1);
	ck_assert_int_eq(s.traces, 0);
	ck_assert_uint_eq(s.total[MS_RSS_NEW_PAGES], s.counts[MS_RSS_NEW_PAGES]);
}
END_TEST

START_TEST(test_wait_is_until_the_next_switch)
{
	struct sim s;

	sim_init(&s);
	ck_assert_int_eq(rss_adapt__wait_ms(&s.a, s.now, 100), 100); /* throughout: no switch */
	sim_run(&s, 3 * SEC, 100000);
	ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
	uint64_t due = s.a.traced ? s.a.win_open + MS_RSS_WINDOW_NS
				  : s.a.cycle_ns + MS_RSS_WINDOW_NS * MS_RSS_WINDOW_SCALE;
	int w = rss_adapt__wait_ms(&s.a, s.now, 1000);
	ck_assert_int_le(w, (int)(MS_RSS_WINDOW_NS * (MS_RSS_WINDOW_SCALE - 1) / MS));
	ck_assert_uint_ge(s.now + (uint64_t)w * MS, due);
	ck_assert_uint_lt(s.now + (uint64_t)w * MS, due + MS);
	ck_assert_int_eq(rss_adapt__wait_ms(&s.a, due + 5 * MS, 1000), 0); /* late: at once */
	ck_assert_int_eq(rss_adapt__wait_ms(&s.a, s.now, 2), w < 2 ? w : 2);
}
END_TEST

/* The first period comes from the rate the target faulted at while memspy
 * attached, when that was a storm's: a storm is sampled at its rate's period from
 * the first fault; a lower rate (copies-on-write, say) starts at one a fault; a
 * first period that was too long is back to one a fault within a step. */
START_TEST(test_first_period_from_the_attach)
{
	struct sim s;

	ck_assert_uint_eq(rss_adapt__first_period(0), 1);
	ck_assert_uint_eq(rss_adapt__first_period(MS_RSS_WINDOWS_ABOVE - 1), 1);
	ck_assert_uint_eq(rss_adapt__first_period(65536), 1024);

	sim_init(&s);
	rss_adapt__init(&s.a, s.now, rss_adapt__first_period(65536));
	ck_assert_uint_eq(s.a.period, 1024);
	sim_run(&s, 400 * MS, 65536); /* before the windows */
	ck_assert_uint_eq(s.a.period, 1024);
	ck_assert_uint_eq(s.a.period_min, 1024); /* never one a fault in the storm */
	ck_assert_uint_le(s.counts[MS_RSS_FAULTS], 40);

	sim_init(&s);
	rss_adapt__init(&s.a, s.now, 1024); /* copies-on-write, no new pages after */
	sim_run(&s, 150 * MS, 50);
	ck_assert_uint_eq(s.a.period, 1);
	ck_assert_uint_eq(s.a.period_max, 1024);
}
END_TEST

START_TEST(test_a_late_window_lasts_its_length)
{
	struct sim s;

	sim_init(&s);
	sim_run(&s, 3 * SEC, 100000);
	ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
	while (s.a.traced)
		sim_run(&s, MS, 100000);
	/* the poll that should open the next window comes 150 ms late, once: past
	 * the end that window would have had */
	s.late_at = s.a.cycle_ns + MS_RSS_WINDOW_NS * MS_RSS_WINDOW_SCALE - 5 * MS;
	s.late_ns = 150 * MS;
	uint32_t period = s.a.period;
	for (int i = 0; i < 40; i++) {
		sim_run(&s, 100 * MS, 100000);
		ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE); /* still in windows */
		ck_assert_uint_eq(s.a.period, period);		    /* never back to 1 */
	}
	rss_adapt__finish(&s.a, s.now, s.counts, s.total);
	ck_assert_estimate(s, 0.03 * s.mapped);
}
END_TEST

/* A stop in a window or in the gap after it: the last window stands only for the
 * part of its cycle that has passed. */
START_TEST(test_a_stop_mid_cycle_credits_what_passed)
{
	static const uint64_t stops_ms[] = {3050, 3200, 3400, 3600, 3780};

	for (size_t k = 0; k < sizeof(stops_ms) / sizeof(stops_ms[0]); k++) {
		struct sim s;

		sim_init(&s);
		sim_run(&s, stops_ms[k] * MS, 100000);
		ck_assert_uint_eq(s.a.scale, MS_RSS_WINDOW_SCALE);
		rss_adapt__finish(&s.a, s.now, s.counts, s.total);
		/* within a tenth of a window of the storm, wherever the stop falls */
		ck_assert_estimate(s, 100000 * 0.01 + 0.005 * s.mapped);
		/* a snapshot changes nothing: the same totals again */
		uint64_t again[MS_RSS_COUNT];
		rss_adapt__finish(&s.a, s.now, s.counts, again);
		ck_assert_uint_eq(again[MS_RSS_NEW_PAGES], s.total[MS_RSS_NEW_PAGES]);
	}
}
END_TEST

Suite *suite_rss_adapt(void)
{
	Suite *s = suite_create("rss_adapt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_slow_leak_is_traced_throughout);
	tcase_add_test(tc, test_storm_goes_to_windows_and_estimates_the_gaps);
	tcase_add_test(tc, test_windows_end_when_the_rate_falls);
	tcase_add_test(tc, test_a_burst_starts_no_windows);
	tcase_add_test(tc, test_wait_is_until_the_next_switch);
	tcase_add_test(tc, test_a_late_window_lasts_its_length);
	tcase_add_test(tc, test_first_period_from_the_attach);
	tcase_add_test(tc, test_a_stop_mid_cycle_credits_what_passed);
	suite_add_tcase(s, tc);
	return s;
}

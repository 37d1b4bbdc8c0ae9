/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watchdog's decisions (run/cpu_yield.c): SCHED_IDLE at the first look,
 * normal priority while memspy's threads starve, held twice as long each time
 * starving comes back, from the start again after a calm spell. */
#include <check.h>

#include "check_suites.h"
#include "run/cpu_yield.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define LOOK MS_YIELD_LOOK_NS

/* Looks every LOOK from *now until until, each with waited ns of waiting: the
 * last action other than STAY, and how many there were. */
static enum cpu_yield_act run_looks(struct cpu_yield_policy *p, uint64_t *now, uint64_t until,
				    uint64_t waited, unsigned *changes)
{
	enum cpu_yield_act last = CPU_YIELD_STAY;

	while (*now < until) {
		*now += LOOK;
		enum cpu_yield_act a = cpu_yield_policy__step(p, *now, waited);
		if (a != CPU_YIELD_STAY) {
			last = a;
			(*changes)++;
		}
	}
	return last;
}

START_TEST(test_first_look_goes_idle_and_stays)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;
	unsigned changes = 0;

	cpu_yield_policy__init(&p);
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 0), CPU_YIELD_IDLE);
	ck_assert(p.idle);
	/* waits of a few ms a look (an idle CPU's) never count as starving */
	ck_assert_int_eq(run_looks(&p, &now, now + 60 * SEC, 2 * MS, &changes), CPU_YIELD_STAY);
	ck_assert_uint_eq(changes, 0);
	ck_assert_uint_eq(p.boosts, 0);
}
END_TEST

START_TEST(test_starving_boosts_for_the_hold)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC, t0;
	unsigned changes = 0;

	cpu_yield_policy__init(&p);
	cpu_yield_policy__step(&p, now, 0);
	/* just a quarter of the time: not yet */
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK / MS_YIELD_STARVED), CPU_YIELD_STAY);
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK / 2), CPU_YIELD_NORMAL);
	ck_assert(!p.idle);
	ck_assert_uint_eq(p.boosts, 1);
	t0 = now;
	/* held a whole second whatever the waits, then idle again */
	ck_assert_int_eq(run_looks(&p, &now, t0 + MS_YIELD_HOLD_MIN_NS - LOOK, LOOK, &changes),
			 CPU_YIELD_STAY);
	ck_assert_uint_eq(changes, 0);
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 0), CPU_YIELD_IDLE);
}
END_TEST

START_TEST(test_hold_doubles_then_caps)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC, start;

	cpu_yield_policy__init(&p);
	cpu_yield_policy__step(&p, now, 0);
	uint64_t expect = MS_YIELD_HOLD_MIN_NS;
	for (int i = 0; i < 10; i++) {
		now += LOOK;
		ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK), CPU_YIELD_NORMAL);
		start = now;
		/* look until the policy goes idle again: the hold it gave */
		while (cpu_yield_policy__step(&p, now += LOOK, LOOK) != CPU_YIELD_IDLE)
			;
		ck_assert_msg(now - start >= expect && now - start < expect + LOOK,
			      "boost %d held %llu ms, not %llu", i,
			      (unsigned long long)((now - start) / MS),
			      (unsigned long long)(expect / MS));
		expect = expect * 2 > MS_YIELD_HOLD_MAX_NS ? MS_YIELD_HOLD_MAX_NS : expect * 2;
	}
	ck_assert_uint_eq(p.boosts, 10);
	ck_assert_uint_eq(p.hold_ns, MS_YIELD_HOLD_MAX_NS);
}
END_TEST

START_TEST(test_calm_spell_starts_over)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;
	unsigned changes = 0;

	cpu_yield_policy__init(&p);
	cpu_yield_policy__step(&p, now, 0);
	for (int i = 0; i < 3; i++) { /* three boosts: the next would hold 8 s */
		cpu_yield_policy__step(&p, now += LOOK, LOOK);
		while (cpu_yield_policy__step(&p, now += LOOK, 0) != CPU_YIELD_IDLE)
			;
	}
	ck_assert_uint_eq(p.hold_ns, 8 * MS_YIELD_HOLD_MIN_NS);
	run_looks(&p, &now, now + MS_YIELD_CALM_NS, 0, &changes);
	ck_assert_uint_eq(changes, 0);
	ck_assert_int_eq(cpu_yield_policy__step(&p, now += LOOK, LOOK), CPU_YIELD_NORMAL);
	ck_assert_uint_eq(p.boost_end - now, MS_YIELD_HOLD_MIN_NS);
}
END_TEST

START_TEST(test_late_look_judged_over_its_span)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;

	cpu_yield_policy__init(&p);
	cpu_yield_policy__step(&p, now, 0);
	/* a look that came a second late, 150 ms of waiting in it: 14% of the time */
	now += LOOK + SEC;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 150 * MS), CPU_YIELD_STAY);
	/* the same 150 ms in one look's span is starving */
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 150 * MS), CPU_YIELD_NORMAL);
}
END_TEST

Suite *suite_cpu_yield(void)
{
	Suite *s = suite_create("cpu_yield");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_first_look_goes_idle_and_stays);
	tcase_add_test(tc, test_starving_boosts_for_the_hold);
	tcase_add_test(tc, test_hold_doubles_then_caps);
	tcase_add_test(tc, test_calm_spell_starts_over);
	tcase_add_test(tc, test_late_look_judged_over_its_span);
	suite_add_tcase(s, tc);
	return s;
}

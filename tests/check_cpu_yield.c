/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watchdog's decisions (run/cpu_yield.c): SCHED_IDLE from the start, normal
 * priority while memspy's threads starve or no CPU is idle, held twice as long
 * each time that comes back, from the start again after a calm spell, and
 * SCHED_IDLE again past the hold only once a CPU is idle. */
#include <check.h>

#include "check_suites.h"
#include "run/cpu_yield.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define LOOK MS_YIELD_LOOK_NS
#define SPARE (LOOK * 3 / 2) /* one and a half CPUs idle: a quiet machine */

/* Looks every LOOK from *now until until, each with waited ns of waiting and
 * spare ns of idle CPU: the last action other than STAY, and how many there were. */
static enum cpu_yield_act run_looks(struct cpu_yield_policy *p, uint64_t *now, uint64_t until,
				    uint64_t waited, uint64_t spare, unsigned *changes)
{
	enum cpu_yield_act last = CPU_YIELD_STAY;

	while (*now < until) {
		*now += LOOK;
		enum cpu_yield_act a = cpu_yield_policy__step(p, *now, waited, spare);
		if (a != CPU_YIELD_STAY) {
			last = a;
			(*changes)++;
		}
	}
	return last;
}

/* Looks until the policy goes back to SCHED_IDLE (a quiet machine): how long
 * normal priority was held. */
static uint64_t held(struct cpu_yield_policy *p, uint64_t *now)
{
	uint64_t start = *now;

	while (cpu_yield_policy__step(p, *now += LOOK, 0, SPARE) != CPU_YIELD_IDLE)
		ck_assert_msg(*now - start < 2 * MS_YIELD_HOLD_MAX_NS, "never idle again");
	return *now - start;
}

START_TEST(test_quiet_machine_stays_idle)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;
	unsigned changes = 0;

	cpu_yield_policy__init(&p, now);
	ck_assert(p.idle);
	/* waits of a few ms a look (an idle CPU's) never count as starving */
	ck_assert_int_eq(run_looks(&p, &now, now + 60 * SEC, 2 * MS, SPARE, &changes),
			 CPU_YIELD_STAY);
	ck_assert_uint_eq(changes, 0);
	ck_assert_uint_eq(p.boosts, 0);
}
END_TEST

START_TEST(test_starving_boosts_for_the_hold)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;

	cpu_yield_policy__init(&p, now);
	/* just a quarter of the time: not yet */
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK / MS_YIELD_STARVED, SPARE),
			 CPU_YIELD_STAY);
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK / 2, SPARE), CPU_YIELD_NORMAL);
	ck_assert(!p.idle);
	ck_assert_uint_eq(p.boosts, 1);
	/* held a whole second, whatever the waits meanwhile, then idle again */
	uint64_t h = held(&p, &now);
	ck_assert_msg(h >= MS_YIELD_HOLD_MIN_NS && h < MS_YIELD_HOLD_MIN_NS + LOOK,
		      "held %llu ms", (unsigned long long)(h / MS));
}
END_TEST

START_TEST(test_busy_machine_stays_normal)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;
	unsigned changes = 0;

	cpu_yield_policy__init(&p, now);
	/* less than a quarter of a CPU idle: normal priority, though memspy waited
	 * little (it had just run) */
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 0, LOOK / 5), CPU_YIELD_NORMAL);
	/* and for as long as the machine stays busy, past the hold */
	ck_assert_int_eq(run_looks(&p, &now, now + 10 * SEC, 0, 0, &changes), CPU_YIELD_STAY);
	ck_assert_uint_eq(changes, 0);
	ck_assert_uint_eq(p.boosts, 1);
	/* a CPU idle again: SCHED_IDLE at the next look */
	ck_assert_int_eq(cpu_yield_policy__step(&p, now += LOOK, 0, LOOK / 2), CPU_YIELD_IDLE);
}
END_TEST

START_TEST(test_hold_doubles_then_caps)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;

	cpu_yield_policy__init(&p, now);
	uint64_t expect = MS_YIELD_HOLD_MIN_NS;
	for (int i = 0; i < 10; i++) {
		now += LOOK;
		ck_assert_int_eq(cpu_yield_policy__step(&p, now, LOOK, SPARE), CPU_YIELD_NORMAL);
		uint64_t h = held(&p, &now);
		ck_assert_msg(h >= expect && h < expect + LOOK, "boost %d held %llu ms, not %llu",
			      i, (unsigned long long)(h / MS), (unsigned long long)(expect / MS));
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

	cpu_yield_policy__init(&p, now);
	for (int i = 0; i < 3; i++) { /* three boosts: the next would hold 8 s */
		cpu_yield_policy__step(&p, now += LOOK, LOOK, SPARE);
		held(&p, &now);
	}
	ck_assert_uint_eq(p.hold_ns, 8 * MS_YIELD_HOLD_MIN_NS);
	run_looks(&p, &now, now + MS_YIELD_CALM_NS, 0, SPARE, &changes);
	ck_assert_uint_eq(changes, 0);
	ck_assert_int_eq(cpu_yield_policy__step(&p, now += LOOK, LOOK, SPARE), CPU_YIELD_NORMAL);
	ck_assert_uint_eq(p.boost_end - now, MS_YIELD_HOLD_MIN_NS);
}
END_TEST

START_TEST(test_late_look_judged_over_its_span)
{
	struct cpu_yield_policy p;
	uint64_t now = 5 * SEC;

	cpu_yield_policy__init(&p, now);
	/* a look that came a second late, 150 ms of waiting and 300 ms of idle CPU
	 * in it: neither starving nor busy over 1.1 s */
	now += LOOK + SEC;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 150 * MS, 300 * MS), CPU_YIELD_STAY);
	/* the same 150 ms in one look's span is starving */
	now += LOOK;
	ck_assert_int_eq(cpu_yield_policy__step(&p, now, 150 * MS, 300 * MS), CPU_YIELD_NORMAL);
}
END_TEST

Suite *suite_cpu_yield(void)
{
	Suite *s = suite_create("cpu_yield");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_quiet_machine_stays_idle);
	tcase_add_test(tc, test_starving_boosts_for_the_hold);
	tcase_add_test(tc, test_busy_machine_stays_normal);
	tcase_add_test(tc, test_hold_doubles_then_caps);
	tcase_add_test(tc, test_calm_spell_starts_over);
	tcase_add_test(tc, test_late_look_judged_over_its_span);
	suite_add_tcase(s, tc);
	return s;
}

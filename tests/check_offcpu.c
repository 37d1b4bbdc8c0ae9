/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the off-CPU profile and its report: waits and their estimated
 * counts per stack, a thread idle under 1% on the CPU, and the top waits ranked
 * by time with their mean wait and reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "memspy/events.h"
#include "output/report_offcpu.h"
#include "profile/offcpu_profile.h"
#include "profile/stacktab.h"

static uint32_t stack_of(struct stacktab *t, const char *a, const char *b, uint32_t reason)
{
	uint32_t f[3] = {stacktab__frame(t, a), stacktab__frame(t, b),
			 stacktab__frame(t, offcpu_reason_frame(reason))}, id;

	ck_assert_int_eq(stacktab__intern(t, f, 3, false, &id), 0);
	return id;
}

START_TEST(test_waits_and_idle)
{
	struct offcpu_profile *o = offcpu_profile__new();
	struct stacktab *t = stacktab__new();
	uint32_t sleep = stack_of(t, "main", "nap", MS_OFF_SLEEP);
	uint32_t busy = stacktab__frame(t, "worker-2"), idle = stacktab__frame(t, "pool-3");

	/* 1000 waits of 100 us sampled as 20 samples of 5 ms: 50 waits each */
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(offcpu_profile__add_wait(o, sleep, 5000, 50.0), 0);
	ck_assert_uint_eq(cpu_profile__total(offcpu_profile__waits(o)), 100000);
	ck_assert(offcpu_profile__nr_waits(o, sleep) > 999.9 &&
		  offcpu_profile__nr_waits(o, sleep) < 1000.1);
	ck_assert(offcpu_profile__nr_waits(o, sleep + 100) == 0);
	offcpu_profile__add_wall(o, sleep, busy, 20000, true);
	offcpu_profile__add_wall(o, sleep, busy, 80000, false);
	offcpu_profile__add_wall(o, sleep, idle, 10, true);
	offcpu_profile__add_wall(o, sleep, idle, 5000000, false);
	ck_assert(!offcpu_profile__thread_idle(o, busy));
	ck_assert(offcpu_profile__thread_idle(o, idle));
	ck_assert(!offcpu_profile__thread_idle(o, 100000)); /* never seen */
	ck_assert_uint_eq(cpu_profile__total(offcpu_profile__wall(o)), 5100010);
	ck_assert_str_eq(offcpu_reason_name(MS_OFF_GIL), "GIL");
	ck_assert_str_eq(offcpu_reason_frame(9999), "[off-cpu: other]");
	offcpu_profile__free(o);
	stacktab__free(t);
}
END_TEST

START_TEST(test_report_top_waits)
{
	struct offcpu_profile *o = offcpu_profile__new();
	struct stacktab *t = stacktab__new();
	uint32_t lock = stack_of(t, "main", "take_lock", MS_OFF_LOCK);
	uint32_t io = stack_of(t, "main", "read_reply", MS_OFF_IO);
	uint64_t c[MS_OFFC_COUNT] = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	offcpu_profile__add_wait(o, lock, 30000, 3);
	offcpu_profile__add_wait(o, io, 100000, 1);
	c[MS_OFFC_WAIT_NS + MS_OFF_LOCK] = 30000000;
	c[MS_OFFC_WAITS + MS_OFF_LOCK] = 3;
	report_offcpu_write(f, &(struct offcpu_report_input){.profile = o,
							     .stacks = t,
							     .counters = c,
							     .period_us = 5000,
							     .samples = 2,
							     .duration_s = 1,
							     .top_n = 10});
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "one stack per 5.0 ms"));
	ck_assert_msg(strstr(buf, "  futex/lock            3      30.0 ms      10.0 ms      3.0%"), "%s", buf);
	/* the longest first, its reason from the leaf, its frames innermost first */
	char *first = strstr(buf, "     1   100.0 ms  76.9%         1   100.0 ms  socket/pipe\n"
				  "      read_reply < main\n");
	char *second = strstr(buf, "     2    30.0 ms  23.1%         3    10.0 ms  futex/lock\n"
				   "      take_lock < main\n");
	ck_assert_msg(first && second && first < second, "%s", buf);
	free(buf);
	offcpu_profile__free(o);
	stacktab__free(t);
}
END_TEST

Suite *suite_offcpu(void)
{
	Suite *s = suite_create("offcpu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_waits_and_idle);
	tcase_add_test(tc, test_report_top_waits);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of rss_growth: RSS stacks over time, judged against the work done. */
#include <stdio.h>
#include <stdlib.h>

#include "check_suites.h"
#include "profile/cpu_profile.h"
#include "profile/rss_growth.h"
#include "profile/stacktab.h"

#define SEC 1000000000ull
#define PAGE 4096u
#define SECONDS 40

/* A synthetic run: a leaking stack's pages, another stack's steady level, and
 * the bytes the process allocated, one tick a second. */
struct run {
	struct stacktab *t;
	struct cpu_profile *rss;
	struct rss_growth *g;
	uint32_t leak, steady;
	double alloc[SECONDS];
	struct series allocated;
	uint64_t released;
};

static uint32_t stack(struct stacktab *t, const char *a, const char *b, const char *c)
{
	uint32_t f[3] = {stacktab__frame(t, a), stacktab__frame(t, b), stacktab__frame(t, c)}, id;

	ck_assert_int_eq(stacktab__intern(t, f, 3, false, &id), 0);
	return id;
}

static void run_init(struct run *r)
{
	*r = (struct run){.t = stacktab__new(), .rss = cpu_profile__new(), .g = rss_growth__new()};
	ck_assert(r->t && r->rss && r->g);
	r->leak = stack(r->t, "main", "serve (app.py:20)", "keep (app.py:9)");
	r->steady = stack(r->t, "main", "serve (app.py:20)", "buffer (app.py:14)");
	r->allocated = (struct series){.points = r->alloc, .n = SECONDS, .interval_ns = SEC};
}

static void run_fini(struct run *r)
{
	rss_growth__free(r->g);
	cpu_profile__free(r->rss);
	stacktab__free(r->t);
}

/* Second s: the leak's pages (added or given back), the steady stack around 2 MiB
 * churning under load, load_bps bytes allocated. */
static void run_second(struct run *r, size_t s, long leak_pages, double load_bps)
{
	if (leak_pages > 0)
		cpu_profile__add(r->rss, r->leak, (uint64_t)leak_pages * PAGE);
	if (leak_pages < 0) {
		cpu_profile__remove(r->rss, r->leak, (uint64_t)-leak_pages * PAGE);
		r->released += (uint64_t)-leak_pages * PAGE;
	}
	if (!s)
		cpu_profile__add(r->rss, r->steady, 512 * PAGE);
	if (load_bps > 0) {
		cpu_profile__add(r->rss, r->steady, 8 * PAGE);
		cpu_profile__remove(r->rss, r->steady, 8 * PAGE);
		r->released += 8 * PAGE;
	}
	r->alloc[s] = (s ? r->alloc[s - 1] : 0) + load_bps;
	rss_growth__tick(r->g, r->rss, r->released, s * SEC);
}

static size_t judge(struct run *r, struct leak_suspect *out)
{
	struct leak_work w;

	leak_work_init(&w, &r->allocated);
	return rss_growth__rank(r->g, r->t, &w, PAGE, out, 4);
}

/* Grows with the load, then stays while idle: the suspect, by its title. */
START_TEST(test_grows_with_load)
{
	struct leak_suspect sus[4];
	struct leak_work w;
	struct run r;

	run_init(&r);
	for (size_t s = 0; s < SECONDS; s++)
		run_second(&r, s, s < 25 ? 16 : 0, s < 25 ? 50e6 : 0);
	ck_assert_uint_eq(judge(&r, sus), 1);
	ck_assert_uint_eq(sus[0].stack_id, r.leak);
	ck_assert_double_eq_tol(sus[0].growth, 24 * 16 * PAGE, 1);
	ck_assert_double_eq(sus[0].released, 0);
	ck_assert_double_eq_tol(sus[0].slope, 16 * PAGE, 16 * PAGE / 10);
	/* judged against the new pages faulted in instead: the same verdict */
	leak_work_init_faults(&w, rss_growth__faulted_series(r.g));
	ck_assert(w.faults && !w.no_work);
	ck_assert_uint_eq(rss_growth__rank(r.g, r.t, &w, PAGE, sus, 4), 1);
	ck_assert_uint_eq(sus[0].stack_id, r.leak);
	run_fini(&r);
}
END_TEST

/* Grows, then gives most of it back: not a leak. */
START_TEST(test_grows_then_released)
{
	struct leak_suspect sus[4];
	struct run r;

	run_init(&r);
	for (size_t s = 0; s < SECONDS; s++)
		run_second(&r, s, s < 25 ? 16 : s < 30 ? -64 : 0, 50e6);
	ck_assert_uint_eq(judge(&r, sus), 0);
	run_fini(&r);
}
END_TEST

/* Fills early, then level while the load goes on: a cache, not a leak. */
START_TEST(test_fills_early)
{
	struct leak_suspect sus[4];
	struct run r;

	run_init(&r);
	for (size_t s = 0; s < SECONDS; s++)
		run_second(&r, s, s < 6 ? 64 : 0, 50e6);
	ck_assert_uint_eq(judge(&r, sus), 0);
	run_fini(&r);
}
END_TEST

/* Grows with no load at all: nothing to judge by, no suspect. */
START_TEST(test_no_load)
{
	struct leak_suspect sus[4];
	struct run r;

	run_init(&r);
	for (size_t s = 0; s < SECONDS; s++)
		run_second(&r, s, 16, 0);
	ck_assert_uint_eq(judge(&r, sus), 0);
	run_fini(&r);
}
END_TEST

/* Stacks sharing a title are judged as one; the series kept stay bounded. */
START_TEST(test_titles_and_bound)
{
	struct leak_suspect sus[4];
	struct run r;
	uint32_t other, ids[MS_RSS_TRACKED + 8], big;
	char name[32];

	run_init(&r);
	/* the same Python line through another C path: half the leak each */
	other = stack(r.t, "main", "keep (app.py:9)", "PyTuple_New");
	for (size_t i = 0; i < MS_RSS_TRACKED + 8; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		ids[i] = stack(r.t, "main", "g", name);
		cpu_profile__add(r.rss, ids[i], PAGE);
	}
	big = ids[MS_RSS_TRACKED + 7];
	for (size_t s = 0; s < SECONDS; s++) {
		cpu_profile__add(r.rss, other, s < 25 ? 8 * PAGE : 0);
		if (s == 5)
			cpu_profile__add(r.rss, big, 64 * PAGE);
		run_second(&r, s, s < 25 ? 8 : 0, s < 25 ? 50e6 : 0);
	}
	ck_assert_uint_eq(rss_growth__nr_tracked(r.g), MS_RSS_TRACKED);
	/* a stack that grew past the smallest tracked ones took a place */
	ck_assert_uint_gt(rss_growth__stack_series(r.g, big)->n, 0);
	ck_assert_uint_eq(judge(&r, sus), 1);
	ck_assert_double_eq_tol(sus[0].growth, 24 * 16 * PAGE, 1);
	run_fini(&r);
}
END_TEST

Suite *suite_rss_growth(void)
{
	Suite *s = suite_create("rss_growth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_grows_with_load);
	tcase_add_test(tc, test_grows_then_released);
	tcase_add_test(tc, test_fills_early);
	tcase_add_test(tc, test_no_load);
	tcase_add_test(tc, test_titles_and_bound);
	suite_add_tcase(s, tc);
	return s;
}

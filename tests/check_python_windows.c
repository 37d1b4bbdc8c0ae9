/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the Python windows' driver (src/run/python_windows.c) against a
 * control block in this very process, the test playing the agent's part: the
 * requests it writes, in sequence and only once the last one is answered, the
 * share of CPU time it computes, what it leaves out of it, and when it stops. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "memspy/agent_abi.h"
#include "run/python_windows.h"

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Spend ms of CPU time in this thread. */
static void burn(unsigned ms)
{
	struct timespec a, b;
	volatile uint64_t x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)(b.tv_nsec - a.tv_nsec) <
		 ms * 1000000ull);
}

/* Wait up to 1 s for the request word to change from was; its new value. */
static uint32_t next_request(volatile struct ms_agent_ctl *c, uint32_t was)
{
	for (int i = 0; i < 1000 && c->py_window == was; i++)
		usleep(1000);
	return c->py_window;
}

static struct ms_agent_ctl *new_ctl(void)
{
	struct ms_agent_ctl *c = aligned_alloc(_Alignof(struct ms_agent_ctl), sizeof(*c));

	ck_assert_ptr_nonnull(c);
	memset(c, 0, sizeof(*c));
	c->magic = MS_AGENT_MAGIC;
	c->py.shift = 3;
	c->py.window_us = PY_WINDOW_US;
	return c;
}

/* The driver for c, in this process. */
static struct python_windows *windows_for(struct ms_agent_ctl *c)
{
	struct python_windows *w = python_windows__new(getpid(), (uint64_t)(uintptr_t)c, 3);

	ck_assert_ptr_nonnull(w);
	return w;
}

/* The agent's part: the window opens (cpu: the process's CPU time then). */
static void agent_open(volatile struct ms_agent_ctl *c, uint32_t ask)
{
	c->py.window_cpu = process_cpu_ns();
	c->py.parked = 0;
	c->py_window_done = ask;
}

static void agent_close(volatile struct ms_agent_ctl *c, uint32_t ask)
{
	c->py.hooked_cpu_ns += process_cpu_ns() - c->py.window_cpu;
	c->py.window_cpu = 0;
	c->py.parked = 1;
	c->py_window_done = ask;
}

START_TEST(test_requests_follow_the_share)
{
	struct ms_agent_ctl *c = new_ctl();
	struct python_windows *w = windows_for(c);
	uint32_t ask;

	/* installed with the first window open, as ms_agent_install does */
	agent_open(c, 0);
	uint64_t t0 = python_windows__cpu_now(w);
	python_windows__started(w, t0);
	/* 20 ms of CPU in the window: it is asked to close, request 1 */
	burn(40);
	ask = next_request(c, 0);
	ck_assert_uint_eq(ask, 1u << 2 | MS_PY_WINDOW_CLOSE);
	/* unanswered, it is not asked again however long the window lasts */
	burn(30);
	ck_assert_uint_eq(c->py_window, ask);
	agent_close(c, ask);
	/* the share falls behind 1/8 as CPU time passes (some 7 times the window's
	 * 70 ms): the next one opens */
	burn(100);
	ck_assert_uint_eq(c->py_window, ask);
	burn(600);
	ask = next_request(c, ask);
	ck_assert_uint_eq(ask, 2u << 2 | MS_PY_WINDOW_OPEN);
	agent_open(c, ask);
	burn(80);
	ask = next_request(c, ask);
	ck_assert_uint_eq(ask, 3u << 2 | MS_PY_WINDOW_CLOSE);
	agent_close(c, ask);
	python_windows__stop(w);
	python_windows__removed(w);
	/* the share is the windows' CPU time over all of it since install */
	double want = (double)c->py.hooked_cpu_ns / (double)(python_windows__cpu_now(w) - t0);
	double share = python_windows__share(w);
	ck_assert_msg(share > want * 0.95 && share < want * 1.05, "share %f, want %f", share, want);
	python_windows__free(w);
	free(c);
}
END_TEST

START_TEST(test_share_leaves_out_samples_and_skips)
{
	struct ms_agent_ctl *c = new_ctl();
	struct python_windows *w = windows_for(c);
	uint64_t t0;

	c->py.parked = 1;
	t0 = python_windows__cpu_now(w);
	python_windows__started(w, t0);
	python_windows__stop(w); /* the test alone plays the agent from here */
	/* as if: 100 ms hooked, of which the samples took 16 ms (7/8 of it
	 * excess), and 40 ms more skipped, in 800 ms of CPU time */
	burn(800);
	c->py.hooked_cpu_ns = 100000000;
	c->py.sample_cpu_ns = 16000000;
	c->py.skipped_cpu_ns = 40000000;
	python_windows__removed(w);
	uint64_t total = python_windows__cpu_now(w) - t0;
	double want = (100e6 - 14e6) / ((double)total - 14e6 - 40e6);
	double share = python_windows__share(w);
	ck_assert_msg(share > want * 0.97 && share < want * 1.03, "share %f, want %f", share, want);
	python_windows__free(w);
	free(c);
}
END_TEST

START_TEST(test_off_freezes_and_gone_stops)
{
	struct ms_agent_ctl *c = new_ctl();
	struct python_windows *w = windows_for(c);

	agent_open(c, 0);
	python_windows__started(w, python_windows__cpu_now(w));
	burn(10);
	/* tracemalloc wrapped a field: the agent stops Python sampling */
	c->py.off = 1;
	usleep(20000);
	double frozen = python_windows__share(w);
	burn(100);
	ck_assert_double_eq(python_windows__share(w), frozen);
	/* nothing more is asked once the agent said off */
	ck_assert_uint_eq(c->py_window, 0);
	python_windows__free(w);

	/* a control block that is no longer the agent's (the target exec'd):
	 * nothing is written there */
	memset(c, 0, sizeof(*c));
	c->magic = MS_AGENT_MAGIC;
	c->py.shift = 3;
	w = windows_for(c);
	agent_open(c, 0);
	python_windows__started(w, python_windows__cpu_now(w));
	c->magic = 0;
	burn(50); /* a close would be due after 20 */
	usleep(20000);
	ck_assert_uint_eq(c->py_window, 0);
	python_windows__free(w);
	free(c);
}
END_TEST

Suite *suite_python_windows(void)
{
	Suite *s = suite_create("python_windows");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_requests_follow_the_share);
	tcase_add_test(tc, test_share_leaves_out_samples_and_skips);
	tcase_add_test(tc, test_off_freezes_and_gone_stops);
	suite_add_tcase(s, tc);
	return s;
}

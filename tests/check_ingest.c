/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of ingestion: synthetic records (allocations, frees, CPU samples, the
 * first records of a forked process) fed to a run with nothing attached, checked
 * against the profiles they build: live bytes per stack, CPU counts, and which
 * process each lands in. No BPF, no root: frames print [unknown]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

#include "check_suites.h"
#include "memspy/events.h"
#include "profile/cpu_profile.h"
#include "profile/profile.h"
#include "profile/stacktab.h"
#include "run/ingest.h"
#include "run/run.h"

/* Above the kernel's PID_MAX_LIMIT: no real process has these. */
#define PID_A 5000001
#define PID_B 5000002

static struct run *offline_run(bool children, bool threads)
{
	struct run_opts o = {
		.pid = PID_A,
		.sample_mean = 1,
		.heap = true,
		.cpu = true,
		.freq_hz = 99,
		.threads = threads,
		.children = children,
	};
	struct run *r = run__new_offline(&o);

	ck_assert_ptr_nonnull(r);
	return r;
}

static void feed_alloc(struct run *r, uint32_t tgid, uint32_t tid, uint64_t addr,
		       uint64_t size)
{
	struct ms_alloc_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->hdr = (struct ms_event_header){.ts_ns = 1, .kind = MS_EV_ALLOC, .tgid = tgid,
					   .tid = tid};
	ev->addr = addr;
	ev->size = size;
	ck_assert_int_eq(ingest_record(r, ev, MS_ALLOC_EVENT_HDR_SIZE), 0);
	free(ev);
}

static void feed_free(struct run *r, uint32_t tgid, uint64_t addr)
{
	struct ms_free_event ev = {
		.hdr = {.ts_ns = 2, .kind = MS_EV_FREE, .tgid = tgid, .tid = tgid},
		.addr = addr,
	};

	ck_assert_int_eq(ingest_record(r, &ev, sizeof(ev)), 0);
}

static void feed_cpu_at(struct run *r, uint32_t tgid, uint32_t tid, uint64_t ip, uint64_t ts)
{
	struct ms_cpu_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->hdr = (struct ms_event_header){.ts_ns = ts, .kind = MS_EV_CPU, .tgid = tgid,
					   .tid = tid};
	ev->user_regs_valid = 1;
	ev->regs[MS_REG_IP] = ip;
	ck_assert_int_eq(ingest_record(r, ev, MS_CPU_EVENT_HDR_SIZE), 0);
	free(ev);
}

/* A CPU sample taken now, inside the run's window. */
static void feed_cpu(struct run *r, uint32_t tgid, uint32_t tid, uint64_t ip)
{
	feed_cpu_at(r, tgid, tid, ip, clock_now_ns());
}

static void feed_proc(struct run *r, uint32_t kind, uint32_t tgid, uint32_t parent,
		      const char *comm)
{
	struct ms_proc_event ev = {
		.hdr = {.ts_ns = clock_now_ns(), .kind = kind, .tgid = tgid, .tid = tgid},
		.parent = parent,
	};

	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	ck_assert_int_eq(ingest_record(r, &ev, sizeof(ev)), 0);
}

/* The value of the folded line whose frames, root first, are names, or -1. */
static int64_t stack_count(const struct run *r, const struct cpu_profile *c, const char *names)
{
	const uint32_t *ids;
	const uint64_t *counts;
	size_t n = cpu_profile__stacks(c, &ids, &counts);

	for (size_t i = 0; i < n; i++) {
		const uint32_t *frames;
		size_t nf = stacktab__stack(run__stacks(r), ids[i], &frames);
		char line[512] = "";
		for (size_t k = 0; k < nf; k++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
				 k ? ";" : "", stacktab__frame_name(run__stacks(r), frames[k]));
		if (!strcmp(line, names))
			return (int64_t)counts[i];
	}
	return -1;
}

/* The live bytes of the site whose root frame is named root (NULL: any site), and
 * its stack id in *id. -1 when there is no such site. */
static double live_at(const struct run *r, const struct profile *p, const char *root,
		      uint32_t *id)
{
	size_t n;
	const struct site_stats *sites = profile__sites(p, &n);

	for (size_t i = 0; i < n; i++) {
		const uint32_t *frames;
		size_t nf = stacktab__stack(run__stacks(r), sites[i].stack_id, &frames);
		const char *name = nf ? stacktab__frame_name(run__stacks(r), frames[0]) : "";
		if (root && strcmp(name, root))
			continue;
		if (id)
			*id = sites[i].stack_id;
		return sites[i].live_bytes;
	}
	return -1;
}

/* One process, --threads: each thread's allocations form their own stack. */
START_TEST(test_one_process)
{
	struct run *r = offline_run(false, true);
	struct profile *p = run__profile(r);
	uint32_t id11, id12;

	feed_alloc(r, PID_A, 11, 0x1000, 100);
	feed_alloc(r, PID_A, 11, 0x2000, 50);
	feed_alloc(r, PID_A, 12, 0x3000, 200);
	feed_free(r, PID_A, 0x1000);
	feed_alloc(r, PID_B, 13, 0x4000, 999); /* not followed: ignored */
	ck_assert_int_eq(ingest_record(r, "short", 5), 0); /* malformed: ignored */

	ck_assert_uint_eq(run__nr_procs(r), 1);
	ck_assert_ptr_eq(run__proc_profile(r, PID_A), p);
	ck_assert_ptr_null(run__proc_profile(r, PID_B));
	ck_assert_double_eq(profile__live_bytes(p), 250);
	ck_assert_double_eq(live_at(r, p, "-11", &id11), 50);
	ck_assert_double_eq(live_at(r, p, "-12", &id12), 200);
	ck_assert_uint_ne(id11, id12);

	feed_cpu(r, PID_A, 11, 0x401000);
	feed_cpu(r, PID_A, 11, 0x401000);
	feed_cpu(r, PID_A, 12, 0x401000);
	feed_cpu(r, PID_A, 11, 0x7fffffffe010); /* in memspy's own probe page: apart */
	const uint32_t *ids;
	const uint64_t *counts;
	size_t n = cpu_profile__stacks(run__cpu(r), &ids, &counts);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), 3);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(counts[i], ids[i] == id11 ? 2 : 1);
	run__free(r);
}
END_TEST

/* --children: a forked process's records wait for its modules, then land in its
 * own profiles and in the merged ones under its name; its blocks at the same
 * addresses as its parent's stay apart. */
START_TEST(test_children_fork)
{
	struct run *r = offline_run(true, false);
	struct profile *merged = run__profile(r);
	uint32_t id_a, id_b, mid_a, mid_b;

	feed_alloc(r, PID_A, PID_A, 0x1000, 100);
	feed_alloc(r, PID_B, PID_B, 0x1000, 300); /* first record of the fork */
	feed_alloc(r, PID_B, PID_B, 0x2000, 40);
	feed_free(r, PID_B, 0x2000);
	feed_cpu(r, PID_B, PID_B, 0x401000);
	feed_cpu(r, PID_B, PID_B, 0x401000);

	ck_assert_uint_eq(run__nr_procs(r), 2);
	ck_assert_double_eq(profile__live_bytes(run__proc_profile(r, PID_B)), 0); /* held */
	ck_assert_double_eq(profile__live_bytes(merged), 100);
	run__open_new_procs(r);

	struct profile *pa = run__proc_profile(r, PID_A), *pb = run__proc_profile(r, PID_B);
	ck_assert_double_eq(profile__live_bytes(pa), 100);
	ck_assert_double_eq(profile__live_bytes(pb), 300);
	ck_assert_double_eq(profile__live_bytes(merged), 400);
	ck_assert_double_eq(live_at(r, pa, NULL, &id_a), 100);
	ck_assert_double_eq(live_at(r, pb, NULL, &id_b), 300);
	ck_assert_uint_eq(id_a, id_b); /* the same frames: one stack */
	ck_assert_double_eq(live_at(r, merged, "?-5000001", &mid_a), 100);
	ck_assert_double_eq(live_at(r, merged, "?-5000002", &mid_b), 300);
	ck_assert_uint_ne(mid_a, mid_b);
	ck_assert_uint_ne(mid_a, id_a);

	ck_assert_uint_eq(cpu_profile__total(run__proc_cpu(r, PID_A)), 0);
	ck_assert_uint_eq(cpu_profile__total(run__proc_cpu(r, PID_B)), 2);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), 2);

	feed_free(r, PID_A, 0x1000); /* the parent's block only */
	ck_assert_double_eq(profile__live_bytes(pa), 0);
	ck_assert_double_eq(profile__live_bytes(pb), 300);
	ck_assert_double_eq(profile__live_bytes(merged), 300);
	run__free(r);
}
END_TEST

/* Only CPU samples taken between the run's start and its end count: the share
 * of a CPU is their number over that time. */
START_TEST(test_cpu_window)
{
	struct run *r = offline_run(false, false);
	uint64_t start = run__start_ns(r);

	feed_cpu_at(r, PID_A, PID_A, 0x401000, start - 1000); /* attaching */
	feed_cpu_at(r, PID_A, PID_A, 0x401000, start);
	feed_cpu(r, PID_A, PID_A, 0x401000);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), 2);
	run__stop(r);
	uint64_t end = clock_now_ns();
	/* queued before the end, read while detaching: counted */
	feed_cpu_at(r, PID_A, PID_A, 0x401000, start + 1);
	/* taken while detaching, after the end */
	feed_cpu_at(r, PID_A, PID_A, 0x401000, end + 1000000);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), 3);
	run__free(r);
}
END_TEST

/* --children: a fork record names the child with the name it had then; its exit
 * takes its live heap out of the merged profile, while its own profile keeps
 * what it had at exit; records read after the exit reach only its own. */
START_TEST(test_children_exit)
{
	struct run *r = offline_run(true, false);
	struct profile *merged = run__profile(r);

	feed_alloc(r, PID_A, PID_A, 0x1000, 100);
	feed_proc(r, MS_EV_FORK, PID_B, PID_A, "worker");
	feed_alloc(r, PID_B, PID_B, 0x1000, 300);
	feed_alloc(r, PID_B, PID_B, 0x2000, 40);
	run__open_new_procs(r);
	ck_assert_uint_eq(run__nr_procs(r), 2);
	ck_assert_double_eq(profile__live_bytes(merged), 440);
	ck_assert_double_eq(live_at(r, merged, "worker-5000002", NULL), 340);

	feed_proc(r, MS_EV_EXIT, PID_B, 0, "worker");
	run__open_new_procs(r); /* exits are taken after the records of the pass */
	ck_assert_double_eq(profile__live_bytes(merged), 100);
	ck_assert_double_eq(profile__live_bytes(run__proc_profile(r, PID_B)), 340);
	feed_alloc(r, PID_B, PID_B, 0x3000, 7); /* queued before the exit, read after */
	ck_assert_double_eq(profile__live_bytes(merged), 100);
	ck_assert_double_eq(profile__live_bytes(run__proc_profile(r, PID_B)), 347);
	/* its CPU time stays: it was spent */
	feed_cpu(r, PID_B, PID_B, 0x401000);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), 1);
	run__free(r);
}
END_TEST

/* --children: a process that forks and exits before any of its records is
 * still listed, under the name it had. */
START_TEST(test_children_short_lived)
{
	struct run *r = offline_run(true, false);

	feed_proc(r, MS_EV_FORK, PID_B, PID_A, "quick");
	feed_proc(r, MS_EV_EXIT, PID_B, 0, "quick");
	run__open_new_procs(r);
	ck_assert_uint_eq(run__nr_procs(r), 2);
	ck_assert_ptr_nonnull(run__proc_profile(r, PID_B));
	run__free(r);
}
END_TEST

/* --children: a server that recycles its workers does not grow memspy for ever:
 * past MS_EXITED_KEPT exited processes, those that exited longest ago (and long
 * enough ago) are forgotten; the merged profile keeps their CPU samples. */
START_TEST(test_children_exited_bounded)
{
	struct run *r = offline_run(true, false);
	uint64_t long_ago = clock_now_ns() - 60 * 1000000000ull;

	for (uint32_t i = 0; i < MS_EXITED_KEPT + 6; i++) {
		uint32_t pid = PID_B + i;
		struct ms_proc_event ev = {
			.hdr = {.ts_ns = long_ago + i, .kind = MS_EV_EXIT, .tgid = pid, .tid = pid},
		};
		feed_proc(r, MS_EV_FORK, pid, PID_A, "worker");
		feed_alloc(r, pid, pid, 0x1000, 10);
		feed_cpu(r, pid, pid, 0x401000);
		run__open_new_procs(r);
		ck_assert_int_eq(ingest_record(r, &ev, sizeof(ev)), 0);
		run__open_new_procs(r);
	}
	ck_assert_uint_eq(run__nr_procs(r), 1 + MS_EXITED_KEPT);
	ck_assert_ptr_null(run__proc_profile(r, PID_B)); /* the first to exit went first */
	ck_assert_ptr_nonnull(run__proc_profile(r, PID_B + 6));
	ck_assert_double_eq(profile__live_bytes(run__profile(r)), 0);
	ck_assert_uint_eq(cpu_profile__total(run__cpu(r)), MS_EXITED_KEPT + 6);
	run__free(r);
}
END_TEST

/* --children: a truncated stack in the merged files starts with its process,
 * then the marker; the process's own stack is marked as before. */
START_TEST(test_children_truncated_order)
{
	struct run *r = offline_run(true, false);
	struct ms_cpu_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->hdr = (struct ms_event_header){.ts_ns = clock_now_ns(), .kind = MS_EV_CPU,
					   .tgid = PID_A, .tid = PID_A};
	ev->user_regs_valid = 1; /* no modules: nothing unwinds, the stack is truncated */
	ingest_record(r, ev, MS_CPU_EVENT_HDR_SIZE);
	free(ev);
	ck_assert_int_eq(stack_count(r, run__cpu(r), "?-5000001;[truncated];[unknown]"), 1);
	ck_assert_int_eq(stack_count(r, run__proc_cpu(r, PID_A), "[unknown]"), 1);
	run__free(r);
}
END_TEST

Suite *suite_ingest(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_one_process);
	tcase_add_test(tc, test_children_fork);
	tcase_add_test(tc, test_cpu_window);
	tcase_add_test(tc, test_children_exit);
	tcase_add_test(tc, test_children_short_lived);
	tcase_add_test(tc, test_children_truncated_order);
	tcase_add_test(tc, test_children_exited_bounded);
	suite_add_tcase(s, tc);
	return s;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of ingestion: synthetic records (allocations, frees, CPU samples, the
 * first records of a forked process) fed to a run with nothing attached, checked
 * against the profiles they build: live bytes per stack, CPU counts, and which
 * process each lands in. No BPF, no root: frames print [unknown]. */
#include <stdlib.h>
#include <string.h>

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

static void feed_cpu(struct run *r, uint32_t tgid, uint32_t tid, uint64_t ip)
{
	struct ms_cpu_event *ev = calloc(1, sizeof(*ev));

	ck_assert_ptr_nonnull(ev);
	ev->hdr = (struct ms_event_header){.ts_ns = 3, .kind = MS_EV_CPU, .tgid = tgid,
					   .tid = tid};
	ev->user_regs_valid = 1;
	ev->regs[MS_REG_IP] = ip;
	ck_assert_int_eq(ingest_record(r, ev, MS_CPU_EVENT_HDR_SIZE), 0);
	free(ev);
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

Suite *suite_ingest(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_one_process);
	tcase_add_test(tc, test_children_fork);
	suite_add_tcase(s, tc);
	return s;
}

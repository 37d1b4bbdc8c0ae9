/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's probes: attach what the options ask for, find where the heap probes
 * sit in the target, and follow the page-fault rate with the RSS sampling period. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "probes/capture.h"
#include "probes/cpu_probes.h"
#include "probes/follow_probes.h"
#include "probes/heap_probes.h"
#include "probes/offcpu_probes.h"
#include "probes/rss_probes.h"
#include "python/python.h"
#include "run/inprocess.h"
#include "run/ingest.h"
#include "run/run_state.h"
#include "target/procmaps.h"
#include "target/procstat.h"

/* Read one more ring buffer into ingestion. Nonzero on failure. */
static int add_ring(struct run *r, int fd)
{
	if (r->cap)
		return capture__add(r->cap, fd);
	r->cap = capture__new(fd, ingest_record, r);
	return r->cap ? 0 : -1;
}

static const struct ms_python_offsets *target_python(const struct run *r)
{
	return python__offsets(r->procs[0]->py);
}

/* What every probe set is told of the target; fds: the --children maps or -1. */
static struct probe_target target_of(const struct run *r, const int *fds)
{
	return (struct probe_target){
		.pid = r->opts.pid,
		.stack_bytes = r->opts.stack_bytes,
		.python = target_python(r),
		.children = r->opts.children,
		.procs_fd = fds[0],
		.py_procs_fd = fds[1],
	};
}

/* Why the heap is watched by uprobes on the allocator rather than in-process, when
 * the options decide it; NULL when in-process sampling may be tried. */
static const char *uprobe_mode_reason(const struct run_opts *o)
{
	if (o->no_inject)
		return "--no-inject";
	if (o->sample_mean <= 1)
		return "--sample-bytes 1 records every call";
	if (o->children)
		return "--children follows processes the agent is not in";
	return NULL;
}

/* In-process sampling: the agent mapped and filled, the trap probes attached, then
 * the slots switched, so the first sampled call is seen. 0, or -errno with the
 * reason in why and the target as it was (but for the agent's inert mapping). */
static int attach_inprocess(struct run *r, struct heap_probes_opts *hopts, char *why, size_t len)
{
	const struct python *py = r->procs[0]->py;
	uint64_t dom[3];
	char err[384];

	if (py && python__domains(py, r->opts.pid, dom, err, sizeof(err))) {
		ms_warn("in-process sampler: Python objects not sampled, malloc only: %s", err);
		py = NULL;
	}
	r->inproc = inprocess__prepare(r->opts.pid, &r->alloc, py ? dom : NULL,
				       hopts->sample_mean, r->opts.py_shift, hopts->seed,
				       run_injector(), why, len);
	if (!r->inproc)
		return -ENOENT;
	hopts->agent = inprocess__traps(r->inproc);
	r->heap = heap_probes__open(hopts, &r->alloc, err, sizeof(err));
	if (!r->heap)
		snprintf(why, len, "%s", err);
	else if (!inprocess__install(r->inproc, why, len))
		return 0;
	heap_probes__free(r->heap);
	r->heap = NULL;
	inprocess__free(r->inproc);
	r->inproc = NULL;
	hopts->agent = NULL;
	return -EIO;
}

static int attach_heap(struct run *r, const int *fds, char *err, size_t errlen)
{
	const struct run_opts *o = &r->opts;
	struct heap_probes_opts hopts = {
		.target = target_of(r, fds),
		.sample_mean = o->sample_mean,
		.max_tracked = o->max_tracked,
		.seed = clock_now_ns() ^ (uint64_t)getpid(),
	};
	const char *reason = uprobe_mode_reason(o);
	char why[512];

	if (!reason && !attach_inprocess(r, &hopts, why, sizeof(why))) {
		inprocess__describe(r->inproc, r->heap_mode, sizeof(r->heap_mode));
		mean_adapt__init(&r->mean_adapt, o->max_samples, clock_now_ns());
		return 0;
	}
	if (!reason) {
		reason = why;
		ms_info("heap: uprobes on the allocator: %s", why);
	}
	snprintf(r->heap_mode, sizeof(r->heap_mode), "uprobes on %s (%s)", r->alloc.module,
		 reason);
	r->heap = heap_probes__open(&hopts, &r->alloc, err, errlen);
	return r->heap ? 0 : -EIO;
}

static int attach_cpu(struct run *r, const int *fds, char *err, size_t errlen)
{
	const struct run_opts *o = &r->opts;
	struct cpu_probes_opts copts = {
		.target = target_of(r, fds),
		.freq_hz = o->freq_hz,
		.kernel = o->kernel,
	};

	r->cpu_probes = cpu_probes__open(&copts, err, errlen);
	return r->cpu_probes ? 0 : -EIO;
}

/* A sample per 5 ms of a thread's waiting: a thread that always waits costs 200
 * stacks a second, as a 200 Hz wall-clock sampler would. */
#define MS_OFFCPU_PERIOD_US 5000

static int attach_offcpu(struct run *r, const int *fds, char *err, size_t errlen)
{
	struct offcpu_probes_opts oopts = {.target = target_of(r, fds)};

	if (!r->opts.offcpu_period_us)
		r->opts.offcpu_period_us = MS_OFFCPU_PERIOD_US;
	oopts.period_ns = r->opts.offcpu_period_us * 1000;
	r->offcpu_probes = offcpu_probes__open(&oopts, err, errlen);
	return r->offcpu_probes ? 0 : -EIO;
}

/* The shortest time the attach's fault rate is measured over: an attach quicker
 * than this (no heap, no CPU) waits out the rest. */
#define ATTACH_RATE_NS (20 * 1000000ull)

/* The target's minor faults a second while memspy attached (0: unknown), for
 * the first page-fault sampling period: a target already in a storm, sampled
 * fault by fault at first, filled the ring with thousands of stacks to copy and
 * unwind within the first 100 ms. */
static double attach_fault_rate(const struct run *r)
{
	uint64_t n, now = clock_now_ns();

	if (!r->open_ns)
		return 0;
	if (now < r->open_ns + ATTACH_RATE_NS) {
		uint64_t left = r->open_ns + ATTACH_RATE_NS - now;
		struct timespec ts = {0, (long)left};

		nanosleep(&ts, NULL);
		now = clock_now_ns();
	}
	if (procstat_minor_faults(r->opts.pid, &n) || n < r->open_minflt)
		return 0;
	return (double)(n - r->open_minflt) * 1e9 / (double)(now - r->open_ns);
}

/* RSS growth is an extra: without it the run goes on (reported once). */
static void attach_rss(struct run *r, const int *fds)
{
	struct rss_probes_opts ropts = {
		.target = target_of(r, fds),
		.period = rss_adapt__first_period(attach_fault_rate(r)),
	};
	char err[512];

	r->rss_probes = rss_probes__open(&ropts, err, sizeof(err));
	if (!r->rss_probes)
		ms_warn("%s: no rss.folded", err);
	else
		rss_adapt__init(&r->rss_adapt, clock_now_ns(), ropts.period);
}

/* --children: the fork and exec programs, with the target's CPython (if any)
 * known to the BPF side before any sample, and their own ring of records. */
static int attach_follow(struct run *r, char *err, size_t errlen)
{
	const struct ms_python_offsets *py = target_python(r);

	r->follow = follow_probes__open(r->opts.pid, err, errlen);
	if (!r->follow)
		return -EIO;
	if (py && py->runtime && follow_probes__set_python(r->follow, r->opts.pid, py))
		ms_warn("cannot tell the BPF programs where pid %d's Python runs: Python "
			"frames off", (int)r->opts.pid);
	r->follow_cap = capture__new(follow_probes__events_fd(r->follow), ingest_record, r);
	if (!r->follow_cap) {
		snprintf(err, errlen, "cannot read the --children ring buffer: %s",
			 strerror(errno));
		return -EIO;
	}
	return 0;
}

/* --children: every process followed from the start, idle ones included, is
 * listed; their modules are read in the first pass. */
static void add_followed_procs(struct run *r)
{
	uint32_t *tgids = NULL;
	long n = follow_probes__list(r->follow, &tgids);

	for (long i = 0; i < n; i++)
		if (!run_find_proc(r, tgids[i]))
			run_add_pending_proc(r, tgids[i], NULL);
	free(tgids);
}

/* Attach everything the options ask for. Prints the reason and returns -errno on
 * failure. */
int run_attach_probes(struct run *r)
{
	const struct run_opts *o = &r->opts;
	char err[512];
	int fds[2] = {-1, -1}; /* --children: procs and py_procs */

	if (o->children) {
		if (attach_follow(r, err, sizeof(err)))
			goto fail;
		fds[0] = follow_probes__map_fd(r->follow);
		fds[1] = follow_probes__py_procs_fd(r->follow);
	}
	if (o->heap && attach_heap(r, fds, err, sizeof(err)))
		goto fail;
	if (r->heap && add_ring(r, heap_probes__events_fd(r->heap)))
		goto fail_ring;
	if (o->cpu && attach_cpu(r, fds, err, sizeof(err)))
		goto fail;
	if (r->cpu_probes && add_ring(r, cpu_probes__events_fd(r->cpu_probes)))
		goto fail_ring;
	if (o->offcpu && attach_offcpu(r, fds, err, sizeof(err)))
		goto fail;
	if (r->offcpu_probes && add_ring(r, offcpu_probes__events_fd(r->offcpu_probes)))
		goto fail_ring;
	if (!o->no_rss)
		attach_rss(r, fds);
	if (r->rss_probes && add_ring(r, rss_probes__events_fd(r->rss_probes)))
		goto fail_ring;
	if (r->follow)
		add_followed_procs(r);
	return 0;
fail_ring:
	ms_err("cannot read the BPF ring buffer: %s", strerror(errno));
	return -EIO;
fail:
	if (run_target_exited(r))
		ms_err("pid %d exited while memspy was attaching", (int)o->pid);
	else
		ms_err("%s", err);
	return -EIO;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Where our entry probes sit in the target's address space, so CPU samples that
 * land while the kernel handles one of them can be mapped back (run_in_own_probe). */
void run_find_probe_ips(struct run *r)
{
	struct procmaps maps;

	if (!r->heap || !r->alloc.n || procmaps_read(r->opts.pid, &maps))
		return;
	r->probe_ips = calloc(r->alloc.n, sizeof(*r->probe_ips));
	for (size_t i = 0; r->probe_ips && i < r->alloc.n; i++) {
		uint64_t off = r->alloc.entries[i].file_offset;
		for (size_t j = 0; j < maps.n; j++) {
			const struct map_entry *e = &maps.entries[j];
			if (strcmp(e->path, r->alloc.module) || off < e->offset ||
			    off >= e->offset + (e->end - e->start))
				continue;
			r->probe_ips[r->nr_probe_ips++] = e->start + (off - e->offset);
			break;
		}
	}
	if (r->probe_ips)
		qsort(r->probe_ips, r->nr_probe_ips, sizeof(*r->probe_ips), compare_u64);
	procmaps_release(&maps);
}

/* x86_64 puts the uprobes page (trampoline and out-of-line slots) at the top of
 * the user address space. */
#define MS_UPROBES_AREA 0x7fffffffe000ULL

bool run_in_own_probe(const struct run *r, uint64_t ip)
{
	uint64_t before = ip - 1;

	if (ip >= MS_UPROBES_AREA && ip < MS_UPROBES_AREA + 4096)
		return true; /* the BPF side mapped back every case it could */
	return r->nr_probe_ips &&
	       (bsearch(&ip, r->probe_ips, r->nr_probe_ips, sizeof(*r->probe_ips), compare_u64) ||
		bsearch(&before, r->probe_ips, r->nr_probe_ips, sizeof(*r->probe_ips),
			compare_u64));
}

void run_adapt_mean(struct run *r, uint64_t ts)
{
	struct agent_counts a;
	unsigned was = r->mean_adapt.shift, top = r->mean_adapt.top_shift;
	int err;

	if (!r->inproc || r->stopped || !mean_adapt__due(&r->mean_adapt, ts) ||
	    inprocess__counts(r->inproc, &a))
		return;
	if (mean_adapt__step(&r->mean_adapt, ts, a.n.sampled) == was)
		return;
	/* the samples say which mean they had: a failed write costs no accuracy */
	err = inprocess__set_mean_shift(r->inproc, r->mean_adapt.shift);
	if (err) {
		ms_warn("in-process sampler: cannot change its mean (%s); it stays as it was",
			strerror(-err));
		r->mean_adapt.shift = was;
		r->mean_adapt.top_shift = top;
		r->mean_adapt.max = 0;
	}
}

/* The page-fault tracing's period and windows follow the target's new-page
 * rate (run/rss_adapt.h). */
void run_adapt_rss(struct run *r, uint64_t ts)
{
	uint64_t c[MS_RSS_COUNT];
	struct rss_adapt_step s;
	char err[512];

	if (!r->rss_probes || r->stopped || r->rss_failed || rss_probes__counters(r->rss_probes, c))
		return;
	s = rss_adapt__step(&r->rss_adapt, ts, c);
	if (s.scale)
		rss_probes__set_scale(r->rss_probes, s.scale);
	if (s.period)
		rss_probes__set_period(r->rss_probes, s.period);
	if (s.trace == 0)
		rss_probes__pause(r->rss_probes);
	if (s.trace == 1 && rss_probes__resume(r->rss_probes, err, sizeof(err))) {
		ms_warn("%s: page faults no longer traced; rss.folded covers the run until now",
			err);
		rss_adapt__failed(&r->rss_adapt, ts, c);
		r->rss_failed = true;
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outputs of a stopped run: each set (the run's, and with --children each
 * process's) goes through the sinks: heap, CPU and RSS flame graphs, the timeline
 * and report.txt. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/testpoint.h"
#include "output/outdir.h"
#include "output/report.h"
#include "output/report_alloc.h"
#include "output/report_bounds.h"
#include "output/report_cpu.h"
#include "output/report_load.h"
#include "output/report_offcpu.h"
#include "output/report_rss.h"
#include "output/report_verdict.h"
#include "output/sinks.h"
#include "output/timeline.h"
#include "profile/cpu_profile.h"
#include "profile/leak.h"
#include "profile/profile.h"
#include "profile/rss_growth.h"
#include "profile/rss_pages.h"
#include "profile/site_name.h"
#include "profile/stacktab.h"
#include "python/python_globals.h"
#include "run/load_cmd.h"
#include "run/inprocess.h"
#include "run/python_growth.h"
#include "run/run_state.h"
#include "run/snapshot.h"
#include "run/write.h"
#include "run/write_heap.h"
#include "run/write_offcpu.h"
#include "run/write_pprof.h"

#define MS_MAX_SUSPECTS 32

/* RSS growth judged: against what, why, and the suspects. */
struct rss_judged {
	struct leak_work work;
	const char *why; /* why the work is the new pages faulted in; NULL: bytes allocated */
	struct leak_suspect suspects[MS_MAX_SUSPECTS];
	size_t nr;
};

/* One set of outputs: the run's (its one process, or the merged processes) or,
 * with --children, one process's. */
struct out_set {
	const char *dir;
	pid_t pid;
	const char *comm;
	struct profiles *prof;
	struct python_globals *py_globals; /* growing Python containers; NULL: none */
	const uint64_t *counters;	   /* enum ms_counter */
	const uint64_t *rss_counters;	   /* enum ms_rss_counter */
	const uint64_t *off_counters;	   /* enum ms_off_counter; NULL: not this set's */
	const char *py_off;		   /* why Python frames are off; "": on, or none */
	const struct runtime_heap *runtime; /* a heap the probes cannot see; NULL: none */
	bool merged;			   /* --children: the processes are listed first */
	bool print;			   /* the report also goes to stdout */
	const struct proc *exited;	   /* --children: a process that exited, whose
					    * outputs show what it had at exit */
};

/* How the page faults were traced, for the report (fast-forward mode traces
 * none: its adapt state stays zero). */
static struct rss_tracing rss_tracing_of(const struct run *r)
{
	const struct rss_adapt *a = &r->rss_adapt;

	return (struct rss_tracing){
		.period_min = a->period_min ? a->period_min : 1,
		.period_max = a->period_max ? a->period_max : 1,
		.window_scale = MS_RSS_WINDOW_SCALE,
		.windows_above = MS_RSS_WINDOWS_ABOVE,
		.windowed_s = (double)a->windowed_ns / 1e9,
	};
}

static int write_heap_profile(const struct run *r, const struct out_set *o)
{
	size_t n;
	const struct site_stats *sites = profile__sites(o->prof->heap, &n);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	uint64_t *vals = calloc(n ? n : 1, sizeof(*vals));
	char sub[160];
	int err = -ENOMEM;

	if (ids && vals) {
		for (size_t i = 0; i < n; i++) {
			ids[i] = sites[i].stack_id;
			vals[i] = sites[i].live_bytes > 0 ? (uint64_t)(sites[i].live_bytes + 0.5) : 0;
		}
		snprintf(sub, sizeof(sub), "live heap of pid %d (%s) at the end of the run%s",
			 (int)o->pid, o->comm, r->opts.sample_mean <= 1 ? "" : " (estimated)");
		err = sinks_write_profile(o->dir, "heap", r->stacks, ids, vals, n, MS_FLAME_MEM,
					  "Live heap", sub);
	} else {
		ms_err("out of memory writing heap.folded");
	}
	free(ids);
	free(vals);
	return err;
}

static int write_cpu_profile(const struct run *r, const struct out_set *o)
{
	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(o->prof->cpu, &ids, &vals);
	char sub[160];

	snprintf(sub, sizeof(sub), "on-CPU samples of pid %d (%s) at %u Hz", (int)o->pid,
		 o->comm, r->opts.freq_hz);
	return sinks_write_profile(o->dir, "cpu", r->stacks, ids, vals, n, MS_FLAME_CPU, "CPU",
				   sub);
}

/* RSS, estimated live heap and the top suspects' live bytes over the run. */
static int write_timeline(const struct run *r, const struct out_set *o,
			  const struct leak_suspect *sus, size_t nsus)
{
	const struct profiles *p = o->prof;
	struct timeline_series ts[8];
	char labels[5][128], title[128];
	double peak[1];
	uint64_t peak_ts;
	size_t k = 0;
	const struct series *total = profile__total_series(p->heap);

	const struct series *rss = &p->rss_series.s;

	if (rss->n)
		ts[k++] = (struct timeline_series){
			"RSS", rss->points, rss->n, (double)(rss->start_ns - p->start_ns) / 1e9,
			rss->interval_ns ? (double)rss->interval_ns / 1e9 : 1.0};
	if (r->opts.heap && total->n)
		ts[k++] = (struct timeline_series){
			"live heap (memspy estimate)", total->points, total->n, 0,
			total->interval_ns ? (double)total->interval_ns / 1e9 : 1.0};
	/* The peak as a lone marker: between one-second points the line may miss it. */
	peak[0] = r->opts.heap ? profile__peak(p->heap, &peak_ts) : 0;
	if (peak[0] > 0 && peak_ts >= p->start_ns)
		ts[k++] = (struct timeline_series){"peak of the live heap", peak, 1,
						   (double)(peak_ts - p->start_ns) / 1e9, 1.0};
	uint32_t ids[MS_MAX_SUSPECTS];
	char titles[MS_MAX_SUSPECTS][MS_SITE_TITLE_MAX];

	for (size_t i = 0; i < nsus; i++)
		ids[i] = sus[i].stack_id;
	site_titles(r->stacks, ids, nsus, titles);
	for (size_t i = 0; i < nsus && i < 5; i++) {
		const struct series *se = profile__site_series(p->heap, sus[i].stack_id);
		snprintf(labels[i], sizeof(labels[i]), "suspect #%zu: %.110s", i + 1, titles[i]);
		if (se->n)
			ts[k++] = (struct timeline_series){
				labels[i], se->points, se->n,
				(double)(se->start_ns - p->start_ns) / 1e9,
				se->interval_ns ? (double)se->interval_ns / 1e9 : 1.0};
	}
	snprintf(title, sizeof(title), "Memory of pid %d (%s)", (int)o->pid, o->comm);
	return sinks_write_timeline(o->dir, title, ts, k);
}

/* What an exited process held when it exited, all released with it: its own
 * profiles stop there. */
static void exit_figures(const struct run *r, const struct proc *p, char *heap, char *rss,
			 size_t size)
{
	report_format_bytes(run_has_heap(r) ? profile__live_bytes(p->prof.heap) : 0, heap, size);
	report_format_bytes(run_has_rss(r) ? (double)cpu_profile__total(p->prof.rss) : 0, rss,
			    size);
}

/* The process's state: running, or when it exited and what went with it. */
static void write_proc_state(FILE *f, const struct run *r, const struct proc *p)
{
	char heap[32], rss[32];

	if (!p->exited) {
		fprintf(f, "running%s\n", p->execd ? " (exec'd during the run)" : "");
		return;
	}
	exit_figures(r, p, heap, rss, sizeof(heap));
	fprintf(f, "exited at %.1f s: %s of live heap and %s of RSS pages released with it\n",
		p->exit_ns > run_main_profiles(r)->start_ns
			? (double)(p->exit_ns - run_main_profiles(r)->start_ns) / 1e9
			: 0.0,
		heap, rss);
}

/* The processes that exited, in one line: what they took along is in none of
 * the merged files. */
static void write_exited_total(FILE *f, const struct run *r)
{
	double heap = r->dropped_heap, rss = r->dropped_rss;
	size_t n = r->procs_dropped;
	char hb[32], rb[32];

	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct proc *p = r->procs[i];
		if (!p->exited)
			continue;
		n++;
		heap += run_has_heap(r) ? profile__live_bytes(p->prof.heap) : 0;
		rss += run_has_rss(r) ? (double)cpu_profile__total(p->prof.rss) : 0;
	}
	if (!n)
		return;
	report_format_bytes(heap, hb, sizeof(hb));
	report_format_bytes(rss, rb, sizeof(rb));
	fprintf(f, "  %zu of the %zu processes exited during the run: the %s of live heap and %s "
		   "of RSS pages they held were released with them, so the live heap, "
		   "heap.folded, rss.folded and the leak suspects here leave them out (<pid>/ "
		   "keeps what each held at exit)\n",
		n, r->nr_procs + r->procs_dropped, hb, rb);
	if (r->procs_dropped)
		fprintf(f, "  %zu of them are not listed and have no <pid>/: to bound memspy's "
			   "memory, only the last %u processes to exit keep their own profiles "
			   "(their samples are in the merged files)\n",
			r->procs_dropped, MS_EXITED_KEPT);
}

/* --children: the processes of the run, each with its own outputs. */
static void write_procs(FILE *f, const struct run *r)
{
	char live[32], rss[32];

	fprintf(f, "memspy --children: %zu processes followed from pid %d (%s); stacks in the "
		   "files here start with the process (name-pid), and <pid>/ holds each "
		   "process's own outputs\n",
		r->nr_procs + r->procs_dropped, (int)r->opts.pid, r->comm);
	fprintf(f, "  %8s %8s  %-16s %12s %12s %12s %12s  %s\n", "pid", "parent", "name",
		"allocations", "live heap", "cpu samples", "rss touched", "state");
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct proc *p = r->procs[i];
		/* an exited process holds nothing now */
		report_format_bytes(p->exited ? 0 : profile__live_bytes(p->prof.heap), live,
				    sizeof(live));
		report_format_bytes(p->exited ? 0 : (double)cpu_profile__total(p->prof.rss), rss,
				    sizeof(rss));
		fprintf(f, "  %8d %8u  %-16s %12" PRIu64 " %12s %12" PRIu64 " %12s  ", (int)p->pid,
			p->counts.parent, p->comm, (uint64_t)p->counts.alloc_calls,
			run_has_heap(r) ? live : "-", cpu_profile__total(p->prof.cpu),
			run_has_rss(r) ? rss : "-");
		write_proc_state(f, r, p);
	}
	write_exited_total(f, r);
	if (run_has_heap(r))
		fprintf(f, "  note: a child that exec()s another program stays followed; its heap "
			   "is seen only while it allocates through %s\n",
			r->alloc.module);
	fprintf(f, "\n");
}

/* Its last lines go with the report: a load test that failed explains the run. */
static void write_load(FILE *f, const struct load_cmd *c)
{
	char status[160], tail[2048];

	load_cmd__describe(c, status, sizeof(status));
	load_cmd__tail(c, 10, tail, sizeof(tail));
	report_load_write(f, &(struct load_report){.line = load_cmd__line(c),
						   .user = load_cmd__user(c),
						   .status = status,
						   .tail = tail});
}

/* The last word: what grew, per unit of work, where to look. judged holds the
 * suspects and containers whether or not the heap section is written. */
static void write_verdict(FILE *f, const struct run *r, const struct out_set *o,
			  const struct report_input *judged, const struct rss_judged *rss)
{
	const struct profiles *p = o->prof;
	char status[160];
	struct verdict_input v = {
		.stacks = r->stacks,
		.work = run_has_heap(r) ? judged->work : NULL,
		.suspects = judged->suspects,
		.nr_suspects = judged->nr_suspects,
		.growth = judged->growth,
		.nr_growth = judged->nr_growth,
		.rss_work = rss ? &rss->work : NULL,
		.rss_suspects = rss ? rss->suspects : NULL,
		.nr_rss_suspects = rss ? rss->nr : 0,
		.rss_start = p->rss_first,
		.rss_end = p->rss_last,
	};

	if (r->load) {
		load_cmd__describe(r->load, status, sizeof(status));
		v.load_status = status;
	}
	report_verdict_write(f, &v);
}

/* What the bounds on memspy's memory kept out, when they were reached. */
static void write_bounds(FILE *f, const struct run *r, const struct out_set *o)
{
	struct stacktab_drops d;
	struct bounds_report b;

	stacktab__drops(r->stacks, &d);
	b = (struct bounds_report){
		.stacks = stacktab__nr_stacks(r->stacks),
		.max_stacks = d.max_stacks,
		.stacks_dropped = d.stacks,
		.frames = stacktab__nr_frames(r->stacks),
		.max_frames = d.max_frames,
		.frames_dropped = d.frames,
	};
	b.sites_folded = profile__folded(o->prof->heap, &b.max_sites);
	report_bounds_write(f, &b);
}

/* The off-CPU sections. A --children process's own report has no exact totals:
 * the kernel side counts the run's. */
static void write_offcpu_report(FILE *f, const struct run *r, const struct out_set *o)
{
	static const uint64_t none[MS_OFFC_COUNT];

	report_offcpu_write(f, &(struct offcpu_report_input){
				       .profile = o->prof->offcpu,
				       .stacks = r->stacks,
				       .counters = o->off_counters ? o->off_counters : none,
				       .period_us = r->opts.offcpu_period_us,
				       .samples = o->prof->offcpu_samples,
				       .truncated = o->prof->offcpu_truncated,
				       .duration_s = (double)(r->end_ns - o->prof->start_ns) / 1e9,
				       .top_n = r->opts.top_n,
			       });
}

static void write_report_to(FILE *f, const struct run *r, const struct out_set *o,
			    const char *end_reason, const struct report_input *heap,
			    const struct cpu_report_input *cpu, const struct report_input *judged,
			    const struct rss_judged *rss)
{
	if (o->merged)
		write_procs(f, r);
	if (o->exited) {
		fprintf(f, "pid %d (%s) ", (int)o->pid, o->comm);
		write_proc_state(f, r, o->exited);
		fprintf(f, "  the figures below are what it held when it exited\n\n");
	}
	if (heap) {
		report_write(f, heap);
		report_alloc_write(f, heap);
	} else {
		fprintf(f, "memspy report: pid %d (%s), %.1f s, ended by %s; heap not tracked "
			   "(--no-heap)\n",
			(int)o->pid, o->comm, (double)(r->end_ns - o->prof->start_ns) / 1e9,
			end_reason);
		report_write_python(f, o->py_off);
	}
	if (cpu)
		report_cpu_write(f, cpu);
	if (r->offcpu_probes)
		write_offcpu_report(f, r, o);
	if (run_has_rss(r)) {
		struct rss_tracing tr = rss_tracing_of(r);

		report_rss_write(f, r->stacks, o->prof->rss, o->prof->rss_released,
				 o->rss_counters, &tr, o->prof->anon_first, o->prof->anon_last);
		report_rss_write_suspects(f, &(struct rss_suspects_input){
						     .stacks = r->stacks,
						     .work = &rss->work,
						     .work_why = rss->why,
						     .suspects = rss->suspects,
						     .nr_suspects = rss->nr});
	}
	run_debuginfod_report(f, r);
	write_bounds(f, r, o);
	if (r->load)
		write_load(f, r->load);
	write_verdict(f, r, o, judged, run_has_rss(r) ? rss : NULL);
}

/* The report's copy of what allocator resolution found: output knows no target. */
static struct unseen_heap unseen_of(const struct runtime_heap *rt)
{
	if (!rt)
		return (struct unseen_heap){0};
	return (struct unseen_heap){.heap = rt->heap, .manager = rt->manager, .seen = rt->seen};
}

/* report.txt, and stdout unless quiet. */
static int write_report(const struct run *r, const struct out_set *o, const char *end_reason,
			const struct leak_suspect *suspects, size_t nsus,
			const struct rss_judged *rss)
{
	const struct profiles *p = o->prof;
	struct container_growth growth[MS_MAX_SUSPECTS];
	struct leak_work work;
	size_t ngrowth;

	/* Without the heap probes nothing counts the work: time stands for it. */
	leak_work_init(&work, run_has_heap(r) ? profile__allocated_series(p->heap) : NULL);
	ngrowth = python_growth_rank(o->py_globals, &work, growth, MS_MAX_SUSPECTS);
	double duration = (double)(r->end_ns - p->start_ns) / 1e9;
	struct report_input in = {
		.pid = o->pid,
		.comm = o->comm,
		.allocator = r->alloc.module,
		.allocator_why = r->alloc.why,
		.heap_mode = r->heap ? r->heap_mode : NULL,
		.unseen = unseen_of(o->runtime),
		.rss = run_has_rss(r),
		.python_off = o->py_off,
		.end_reason = end_reason,
		.duration_s = duration,
		.now_ns = r->end_ns,
		.stacks = r->stacks,
		.profile = p->heap,
		.suspects = suspects,
		.nr_suspects = nsus,
		.growth = growth,
		.nr_growth = ngrowth,
		.work = &work,
		.totals = p->totals,
		.top_n = r->opts.top_n,
	};
	struct cpu_report_input cin = {
		.profile = p->cpu,
		.stacks = r->stacks,
		.freq_hz = r->opts.freq_hz,
		.duration_s = duration,
		.taken = o->counters[MS_CNT_CPU_SAMPLES],
		.lost = o->counters[MS_CNT_LOST_CPU],
		.truncated = p->cpu_truncated,
		.truncated_jit = p->cpu_truncated_jit,
		.no_user = p->cpu_no_user,
		.in_probes = p->cpu_in_probes,
		.top_n = r->opts.top_n,
	};
	const struct report_input *hp = r->opts.heap ? &in : NULL;
	const struct cpu_report_input *cp = r->opts.cpu ? &cin : NULL;
	struct atomic_file af = {0};
	int err = atomic_file__open(&af, o->dir, "report.txt");

	if (!err) {
		write_report_to(af.f, r, o, end_reason, hp, cp, &in, rss);
		/* On disk, half of it: what a kill in the middle of writing leaves. */
		if (fflush(af.f) == 0)
			ms_testpoint(MS_STEP_REPORT_WRITING);
		err = atomic_file__commit(&af);
	}
	if (err) {
		atomic_file__abort(&af);
		ms_err("cannot write %s/report.txt: %s", o->dir, outdir_strerror(-err));
	}
	if (o->print)
		write_report_to(stdout, r, o, end_reason, hp, cp, &in, rss);
	return err;
}

static void set_totals(struct heap_totals *t, const uint64_t *c)
{
	t->alloc_calls = c[MS_CNT_ALLOC_CALLS];
	t->alloc_bytes = c[MS_CNT_ALLOC_BYTES];
	t->free_calls = c[MS_CNT_FREE_CALLS];
	t->lost_allocs = c[MS_CNT_LOST_ALLOC];
	t->lost_frees = c[MS_CNT_LOST_FREE];
	t->unseen_calls = c[MS_CNT_NO_THREAD_STATE];
	t->map_full = c[MS_CNT_MAP_FULL];
	t->unknown_frees = c[MS_CNT_UNKNOWN_FREE];
}

/* --children: the live bytes that left the merged heap with the processes that
 * exited. */
static void set_exit_totals(const struct run *r, struct heap_totals *t)
{
	t->exit_released = r->exit_released;
	t->exited_procs = r->procs_dropped;
	for (size_t i = 0; i < r->nr_procs; i++)
		t->exited_procs += r->procs[i]->exited;
}

/*
 * What RSS growth is judged against: the bytes allocated, as for the heap, unless
 * they do not tell how hard the process worked. Then the new pages it faulted in
 * stand for the work, and rss->why says why.
 */
static void rss_work(const struct run *r, const struct out_set *o, struct rss_judged *rss)
{
	const struct profiles *p = o->prof;

	rss->why = NULL;
	if (run_has_heap(r) && !o->runtime) {
		leak_work_init(&rss->work, profile__allocated_series(p->heap));
		if (!rss->work.no_work)
			return;
	}
	leak_work_init_faults(&rss->work, rss_growth__faulted_series(p->rss_growth));
	if (!run_has_heap(r))
		rss->why = "the heap was not tracked (--no-heap)";
	else if (o->runtime)
		rss->why = "the allocator probes do not see the runtime's own heap";
	else
		rss->why = "the allocator saw too little work to judge by";
}

/* RSS suspects: stacks whose new pages grew with the work and stayed. */
static void rss_suspects(const struct run *r, const struct out_set *o, struct rss_judged *rss)
{
	const struct profiles *p = o->prof;
	uint64_t held = cpu_profile__total(p->rss) + p->rss_released;
	/* the bytes one sampled fault stands for, on average over the run */
	double mean = p->rss_samples ? (double)held / (double)p->rss_samples : MS_RSS_PAGE;

	rss_work(r, o, rss);
	rss->nr = rss_growth__rank(p->rss_growth, r->stacks, &rss->work, mean, rss->suspects,
				   MS_MAX_SUSPECTS);
}

/* Every output of one set into its directory. */
static int write_set(const struct run *r, const struct out_set *o, const char *end_reason)
{
	struct leak_suspect suspects[MS_MAX_SUSPECTS];
	struct rss_judged rss = {.nr = 0};
	size_t nsus = 0;
	int status = 0;

	set_totals(&o->prof->totals, o->counters);
	o->prof->totals.small_py_frees_uncounted =
	    o->pid == r->opts.pid && inprocess__py_frees_unhooked(r->inproc);
	o->prof->totals.py_share = o->pid == r->opts.pid ? inprocess__py_share(r->inproc) : 1.0;
	if (o->pid == r->opts.pid || o->merged) {
		o->prof->totals.mean_top_shift = r->mean_adapt.top_shift;
		o->prof->totals.mean_raised_s =
		    (double)mean_adapt__raised_ns(&r->mean_adapt, r->end_ns ? r->end_ns : clock_now_ns()) / 1e9;
		o->prof->totals.max_samples = r->opts.max_samples;
	}
	if (o->merged)
		set_exit_totals(r, &o->prof->totals);
	if (run_has_heap(r)) {
		nsus = heap_suspects(o->prof->heap, r->opts.sample_mean, suspects,
				     MS_MAX_SUSPECTS);
		if (write_heap_profile(r, o))
			status = -EIO;
		if (write_heap_views(o->dir, o->pid, o->comm, o->prof->heap, r->stacks,
				     r->opts.sample_mean <= 1))
			status = -EIO;
	}
	if (run_has_cpu(r) && write_cpu_profile(r, o))
		status = -EIO;
	struct rss_tracing tr = rss_tracing_of(r);
	if (run_has_rss(r) &&
	    report_rss_write_profile(o->dir, r->stacks, o->prof->rss, (int)o->pid, o->comm, &tr))
		status = -EIO;
	struct pprof_set ps = {
		.dir = o->dir, .comm = o->comm, .start_ns = o->prof->start_ns,
		.end_ns = r->end_ns, .stacks = r->stacks,
		.heap = run_has_heap(r) ? o->prof->heap : NULL,
		.sample_mean = r->opts.sample_mean,
		.cpu = run_has_cpu(r) ? o->prof->cpu : NULL, .freq_hz = r->opts.freq_hz,
		.rss = run_has_rss(r) ? o->prof->rss : NULL};
	if (write_pprof(&ps))
		status = -EIO;
	if (r->offcpu_probes && write_offcpu(&ps, o->pid, o->prof, o->merged))
		status = -EIO;
	if (write_timeline(r, o, suspects, nsus))
		status = -EIO;
	if (run_has_rss(r))
		rss_suspects(r, o, &rss);
	if (write_report(r, o, end_reason, suspects, nsus, &rss))
		status = -EIO;
	return status;
}

/* One process of a --children run: its counters come from the procs map, the
 * run's lost events and full maps are reported once, in the run's report. */
static int write_proc(const struct run *r, struct proc *p, const char *end_reason)
{
	uint64_t c[MS_CNT_COUNT] = {0}, rc[MS_RSS_COUNT] = {0};
	struct out_set o = {
		.dir = p->dir,
		.pid = p->pid,
		.comm = p->comm,
		.prof = &p->prof,
		.py_globals = p->py_globals,
		.py_off = p->py_off,
		.runtime = p->pid == r->opts.pid ? r->alloc.runtime : NULL,
		.counters = c,
		.rss_counters = rc,
		.exited = p->exited ? p : NULL,
	};
	int e;

	c[MS_CNT_ALLOC_CALLS] = p->counts.alloc_calls;
	c[MS_CNT_ALLOC_BYTES] = p->counts.alloc_bytes;
	c[MS_CNT_FREE_CALLS] = p->counts.free_calls;
	c[MS_CNT_UNKNOWN_FREE] = p->counts.unknown_frees;
	c[MS_CNT_CPU_SAMPLES] = cpu_profile__total(p->prof.cpu) + p->prof.cpu_in_probes;
	rc[MS_RSS_FAULTS] = p->prof.rss_samples;
	e = outdir_create(p->dir);
	if (e) {
		ms_err("cannot create output directory %s: %s", p->dir, outdir_strerror(-e));
		return e;
	}
	return write_set(r, &o, end_reason);
}

int write_outputs(struct run *r, const char *end_reason)
{
	struct out_set o = {
		.dir = r->dir,
		.pid = r->opts.pid,
		.comm = r->comm,
		.prof = run_main_profiles(r),
		.py_globals = r->merged ? NULL : r->procs[0]->py_globals,
		.py_off = r->merged ? NULL : r->procs[0]->py_off,
		.runtime = r->alloc.runtime,
		.counters = r->counters,
		.rss_counters = r->rss_counters,
		.off_counters = r->off_counters,
		.merged = r->merged != NULL,
		.print = !r->opts.quiet,
	};
	int status = 0;

	for (size_t i = 0; r->merged && i < r->nr_procs; i++)
		if (write_proc(r, r->procs[i], end_reason))
			status = -EIO;
	if (write_set(r, &o, end_reason))
		status = -EIO;
	if (!r->opts.quiet)
		printf("\noutputs in %s/\n", r->dir);
	return status;
}

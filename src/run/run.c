/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The life cycle of a run: check the target, make the output directory, read the
 * target's modules, attach the probes, poll them (ingest.c turns the records into
 * profiles), stop, and hand over to write.c for the outputs. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/testpoint.h"
#include "base/log.h"
#include "output/outdir.h"
#include "probes/capture.h"
#include "probes/cpu_probes.h"
#include "probes/offcpu_probes.h"
#include "probes/follow_probes.h"
#include "probes/heap_probes.h"
#include "probes/probe_common.h"
#include "probes/rss_probes.h"
#include "profile/stacktab.h"
#include "python/python.h"
#include "python/python_globals.h"
#include "run/ingest.h"
#include "run/cpu_yield.h"
#include "run/inprocess.h"
#include "run/load_cmd.h"
#include "run/run.h"
#include "run/run_state.h"
#include "run/snapshot.h"
#include "run/write.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/ksyms.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"
#include "target/procstat.h"

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static volatile sig_atomic_t snapshot_asked;

static void on_snapshot_signal(int sig)
{
	snapshot_asked = 1;
}

bool run_take_snapshot_request(void)
{
	bool asked = snapshot_asked;

	snapshot_asked = 0;
	return asked;
}

/* SIGUSR1 asks for a snapshot only of a run that writes outputs; memspy top keeps
 * the default (a user's stray kill -USR1 ends it, as it would any program). */
static void install_signals(bool snapshots)
{
	struct sigaction sa = {0};

	/* sigaction, not signal(): a background job of a non-interactive shell starts
	 * with SIGINT ignored, and kill -INT must still end the run. */
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (snapshots) {
		sa.sa_handler = on_snapshot_signal;
		sigaction(SIGUSR1, &sa, NULL);
	}
}

/* Check the pid names a user process we may attach to. Prints the reason. */
static int check_target(pid_t pid)
{
	char path[64], buf[16];
	if (pid <= 0) {
		ms_err("%d is not a process id", (int)pid);
		return -EINVAL;
	}
	if (pid == getpid()) {
		ms_err("pid %d is memspy itself", (int)pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK)) {
		ms_err("no process with pid %d (check the pid with ps or pidof)",
			(int)pid);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (readlink(path, buf, sizeof(buf)) < 0 && errno == ENOENT) {
		ms_err("pid %d is a kernel thread (it has no user-space memory to profile)",
			(int)pid);
		return -EINVAL;
	}
	return 0;
}

/* A pidfd turns readable when the process exits, zombie or not. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

bool run_target_exited(const struct run *r)
{
	if (r->pidfd >= 0) {
		struct pollfd p = {.fd = r->pidfd, .events = POLLIN};
		return poll(&p, 1, 0) > 0;
	}
	return kill(r->opts.pid, 0) && errno == ESRCH;
}

struct proc *run_find_proc(const struct run *r, uint32_t tgid)
{
	/* the latest first: a pid may be reused after its process exited */
	for (size_t i = r->nr_procs; i-- > 0;)
		if ((uint32_t)r->procs[i]->pid == tgid)
			return r->procs[i];
	return NULL;
}

/* --children: a process's root frame ("name-pid") and its own output directory. */
static void name_proc(struct run *r, struct proc *p)
{
	char name[96];

	snprintf(name, sizeof(name), "%s-%u", p->comm[0] ? p->comm : "?", (uint32_t)p->pid);
	p->frame = stacktab__frame(r->stacks, name);
	p->named = true;
	if (!r->opts.no_output &&
	    snprintf(p->dir, sizeof(p->dir), "%s/%u", r->dir, (uint32_t)p->pid) >=
		    (int)sizeof(p->dir))
		p->dir[0] = '\0'; /* too long a path: outputs fail there, reported then */
}

struct proc *run_add_proc(struct run *r, uint32_t tgid, const char *comm)
{
	struct proc *p;

	if (r->nr_procs == r->cap_procs) {
		size_t nc = r->cap_procs ? r->cap_procs * 2 : 16;
		struct proc **np = realloc(r->procs, nc * sizeof(*np));
		if (!np)
			return NULL;
		r->procs = np;
		r->cap_procs = nc;
	}
	p = proc__new((pid_t)tgid, comm, r->opts.sample_mean);
	if (!p)
		return NULL;
	p->comm_from_event = comm != NULL;
	profiles__limit(&p->prof, r->max_sites, r->other_stack);
	/* Each process of a --children run starts when it is first seen; the one
	 * process of a plain run starts with the run. */
	if (r->merged)
		profiles__start(&p->prof, clock_now_ns());
	r->procs[r->nr_procs++] = p;
	return p;
}

struct proc *run_add_pending_proc(struct run *r, uint32_t tgid, const char *comm)
{
	struct proc *p = run_add_proc(r, tgid, comm);

	if (!p)
		return NULL;
	p->modules_pending = true;
	r->nr_pending++;
	return p;
}

/* Read a process's modules and CPython, and tell the BPF side where its
 * interpreter is. Quiet but for a program exec'd during the run, which nobody
 * was told of yet. A child already gone (a short-lived worker) is read through
 * the parent it was forked from, unless it exec'd. */
static void open_modules(struct run *r, struct proc *p)
{
	const struct ms_python_offsets *py;
	pid_t from = p->pid;

	if (r->offline)
		return;
	bool forked = !p->execd && p->counts.parent && kill((pid_t)p->counts.parent, 0) == 0;

	if (forked && kill(p->pid, 0) && errno == ESRCH)
		from = (pid_t)p->counts.parent;
	/* A child on its way out (or a zombie) still answers kill() but has no
	 * mappings left, and one reaped since has none to read: read through its
	 * parent too. Failing, its stacks print [unknown]. */
	int e = proc__open_dwfl(p, from, r->symcache, r->fetch);

	if ((e == -ESRCH || e == -ENOENT) && forked && from == p->pid) {
		from = (pid_t)p->counts.parent;
		proc__open_dwfl(p, from, r->symcache, r->fetch);
	}
	proc__open_python(p, from, !p->execd || r->opts.quiet_attach, r->opts.verbose);
	py = python__offsets(p->py);
	if (r->follow && py && py->runtime && follow_probes__set_python(r->follow, p->pid, py))
		ms_warn("pid %d (%s): cannot tell the BPF programs where its Python runs: "
			"Python frames off", (int)p->pid, p->comm);
}

/* A process seen since the last pass, or one that exec'd: the records from
 * before an exec are read with the old program's modules (none for a process
 * never read), then the new program's are read, the process named, its records
 * taken. */
static void open_pending(struct run *r, struct proc *p)
{
	if (p->exec_ns) {
		if (!p->named && r->merged)
			name_proc(r, p);
		ingest_held(r, p, p->exec_ns);
		proc__close_modules(p);
		p->exec_ns = 0;
	}
	open_modules(r, p);
	if (r->merged)
		name_proc(r, p); /* after an exec, its records go under the new name */
	p->modules_pending = false;
	r->nr_pending--;
	ingest_held(r, p, UINT64_MAX);
}

void run__open_new_procs(struct run *r)
{
	/* Fork and exec records first: they name the processes whose records this
	 * pass read, and tell of the programs they run now. */
	if (r->follow_cap)
		capture__drain(r->follow_cap);
	for (size_t i = 0; r->nr_pending && i < r->nr_procs; i++)
		if (r->procs[i]->modules_pending)
			open_pending(r, r->procs[i]);
	ingest_exits(r);
}

static int open_outdir(struct run *r)
{
	const struct run_opts *o = &r->opts;
	int e;

	if (o->no_output)
		return 0;
	if (o->outdir)
		snprintf(r->dir, sizeof(r->dir), "%s", o->outdir);
	else
		outdir_default_name(o->pid, time(NULL), r->dir, sizeof(r->dir));
	r->made_dir = access(r->dir, F_OK) != 0;
	e = outdir_create(r->dir);
	if (e)
		ms_err("cannot create output directory %s: %s", r->dir, outdir_strerror(-e));
	return e;
}

/* A runtime heap is told once here, and in the report: its growth shows only in
 * the new pages, never in the heap the malloc probes see. */
static int resolve_allocator(struct run *r)
{
	pid_t pid = r->opts.pid;
	int e = allocator_resolve_pid(pid, &r->alloc);
	const struct runtime_heap *rt = r->alloc.runtime;

	if (e == -ENOENT && kill(pid, 0) == 0 && rt)
		ms_err("pid %d: no allocator found (no mapped module defines malloc): it is "
		       "a %s program, and %s manages %s without malloc; use --no-heap to "
		       "sample the CPU and the new pages still mapped (rss.folded), which "
		       "show where its memory grows",
		       (int)pid, rt->language, rt->manager, rt->heap);
	else if (e == -ENOENT && kill(pid, 0) == 0)
		ms_err("pid %d: no allocator found (no mapped module defines "
			"malloc); use --no-heap to sample the CPU and new pages only",
			(int)pid);
	else if (e)
		ms_err("cannot read the mappings of pid %d: %s", (int)pid, strerror(-e));
	else if (rt)
		ms_warn("pid %d is a %s program: the malloc probes see only C allocations (%s), "
			"not %s, which %s manages itself; %s",
			(int)pid, rt->language, rt->seen, rt->heap, rt->manager,
			r->opts.no_rss ? "without --no-rss, rss.folded shows where its "
					 "memory grows"
				       : "rss.folded and the report's rss section show where "
					 "its memory grows");
	/* deep stacks need more bytes per sample to reach main, unless the user chose */
	if (!e && !r->opts.stack_bytes && rt && rt->stack_bytes)
		r->opts.stack_bytes = rt->stack_bytes;
	return e;
}

/* What every process shares: the stack table, the names cache, the merged
 * profiles of --children. 0 or -ENOMEM (not reported). */
static int open_shared(struct run *r)
{
	r->stacks = stacktab__new();
	r->symcache = symcache__new();
	if (!r->stacks || !r->symcache)
		return -ENOMEM;
	r->unknown_frame = stacktab__frame(r->stacks, "[unknown]");
	r->truncated_frame = stacktab__frame(r->stacks, "[truncated]");
	stacktab__set_limits(r->stacks, r->opts.max_stacks, 2 * r->opts.max_stacks);
	struct stacktab_drops b;
	stacktab__drops(r->stacks, &b);
	r->max_sites = b.max_stacks / MS_SITES_PER_STACK_DIV;
	if (r->max_sites < MS_MIN_SITES)
		r->max_sites = MS_MIN_SITES;
	/* Interned now, so the placeholder never has to fight for room. */
	r->other_stack = stacktab__other_stack(r->stacks);
	if (r->other_stack == UINT32_MAX)
		return -ENOMEM;
	if (r->opts.children) {
		r->merged = calloc(1, sizeof(*r->merged));
		if (!r->merged || profiles__init(r->merged, r->opts.sample_mean))
			return -ENOMEM;
		profiles__limit(r->merged, r->max_sites, r->other_stack);
	}
	return 0;
}

static void open_ksyms(struct run *r)
{
	if (!r->opts.cpu || !r->opts.kernel)
		return;
	r->ksyms = ksyms__load(NULL);
	if (!r->ksyms)
		ms_warn("cannot read kernel symbols from /proc/kallsyms (%s): "
				"kernel frames print as [kernel]_[k]",
			strerror(errno));
}

/* The target, the first process: its modules are read before the probes fire,
 * as they may vanish with it. */
static int open_target(struct run *r)
{
	const struct run_opts *o = &r->opts;
	struct proc *p = run_add_proc(r, (uint32_t)o->pid, r->comm);
	int e;

	if (!p) {
		ms_err("out of memory");
		return -ENOMEM;
	}
	if (r->merged)
		name_proc(r, p);
	e = proc__open_dwfl(p, o->pid, r->symcache, r->fetch);
	if (e) {
		ms_err("cannot read the modules of pid %d: %s", (int)o->pid, strerror(-e));
		return e;
	}
	proc__open_python(p, o->pid, o->quiet_attach, o->verbose);
	return 0;
}

static void say_attached(const struct run *r)
{
	const struct run_opts *o = &r->opts;

	if (o->quiet_attach)
		return;
	if (r->inproc)
		ms_info("attached to pid %d (%s): heap by the %s over %s, sampling by "
			"bytes%s%s; Ctrl-C to stop",
			(int)o->pid, r->comm, r->heap_mode, r->alloc.module,
			r->cpu_probes ? "; CPU sampling on" : "",
			o->children ? "; following children" : "");
	else if (r->heap)
		ms_info("attached to pid %d (%s): %zu heap probes on %s (%s), "
			"sampling %s%s%s%s; Ctrl-C to stop",
			(int)o->pid, r->comm, heap_probes__nr_links(r->heap), r->alloc.module,
			r->alloc.why, o->sample_mean <= 1 ? "every allocation" : "by bytes",
			r->cpu_probes ? "; CPU sampling on" : "",
			r->offcpu_probes ? "; off-CPU waits on" : "",
			o->children ? "; following children" : "");
	else if (r->cpu_probes)
		ms_info("attached to pid %d (%s): CPU sampling at %u Hz%s; Ctrl-C "
			"to stop",
			(int)o->pid, r->comm, o->freq_hz,
			r->rss_probes ? ", page faults on new pages" : "");
	else
		ms_info("attached to pid %d (%s): page faults on new pages; Ctrl-C to "
			"stop",
			(int)o->pid, r->comm);
}

static struct run *run_alloc(const struct run_opts *opts)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	r->pidfd = -1;
	return r;
}

/* Everything before the probes: checks, directory, allocator, shared tables,
 * the target's modules. Reports the failure. */
static int open_before_probes(struct run *r)
{
	const struct run_opts *o = &r->opts;
	char err[512];

	if (check_target(o->pid))
		return -EINVAL;
	if (probe_check_environment(err, sizeof(err))) {
		ms_err("%s", err);
		return -EPERM;
	}
	procstat_comm(o->pid, r->comm, sizeof(r->comm));
	if (open_outdir(r) || (o->heap && resolve_allocator(r)))
		return -EIO;
	if (!r->opts.stack_bytes)
		r->opts.stack_bytes = MS_DEFAULT_STACK_BYTES;
	if (open_shared(r) || run_debuginfod_open(r)) {
		ms_err("out of memory");
		return -ENOMEM;
	}
	open_ksyms(r);
	return open_target(r);
}

/* Recording at SCHED_IDLE (cpu_yield.h): said at -v when it cannot be. */
static void start_yield(struct run *r)
{
	char why[128];

	r->yield = cpu_yield__start(why, sizeof(why));
	if (!r->yield && r->opts.verbose)
		ms_info("recording at normal CPU priority: %s", why);
}

static void stop_yield(struct run *r)
{
	unsigned boosts;

	if (!r->yield)
		return;
	boosts = cpu_yield__stop(r->yield);
	r->yield = NULL;
	if (r->opts.verbose)
		ms_info("recorded at SCHED_IDLE; normal priority given back %u time%s (no CPU "
			"idle, or memspy waiting for one)",
			boosts, boosts == 1 ? "" : "s");
}

struct run *run__open(const struct run_opts *opts)
{
	struct run *r = run_alloc(opts);

	if (!r) {
		ms_err("out of memory");
		return NULL;
	}
	install_signals(!opts->no_output);
	probe_set_verbose(opts->verbose);
	if (!opts->no_rss && !procstat_minor_faults(opts->pid, &r->open_minflt))
		r->open_ns = clock_now_ns();
	if (open_before_probes(r))
		goto fail;
	r->pidfd = open_pidfd(opts->pid);
	if (run_attach_probes(r))
		goto fail;
	ms_testpoint(MS_STEP_PROBES_ATTACHED);
	run_find_probe_ips(r);
	uint64_t start = clock_now_ns();
	say_attached(r);
	r->next_tick = start + MS_TICK_NS;
	profiles__start(run_main_profiles(r), start);
	if (r->offcpu_probes)
		offcpu_probes__set_window(r->offcpu_probes, start, 0);
	if (!opts->normal_priority)
		start_yield(r);
	return r;
fail:
	/* A run that never started leaves no empty directory behind. */
	if (r->made_dir)
		rmdir(r->dir);
	run__free(r);
	return NULL;
}

struct run *run__new_offline(const struct run_opts *opts)
{
	struct run *r = run_alloc(opts);

	if (!r)
		return NULL;
	r->offline = true;
	r->opts.no_output = true;
	procstat_comm(opts->pid, r->comm, sizeof(r->comm));
	if (open_shared(r) || !run_add_proc(r, (uint32_t)opts->pid, r->comm)) {
		run__free(r);
		return NULL;
	}
	if (r->merged)
		name_proc(r, r->procs[0]);
	profiles__start(run_main_profiles(r), clock_now_ns());
	return r;
}

struct run *run__open_unattached(const struct run_opts *opts)
{
	struct run *r = run_alloc(opts);

	if (!r) {
		ms_err("out of memory");
		return NULL;
	}
	r->offline = true;
	if (check_target(opts->pid))
		goto fail;
	procstat_comm(opts->pid, r->comm, sizeof(r->comm));
	if (open_outdir(r))
		goto fail;
	if (open_shared(r)) {
		ms_err("out of memory");
		goto fail;
	}
	if (open_target(r))
		goto fail;
	profiles__start(run_main_profiles(r), clock_now_ns());
	return r;
fail:
	if (r->made_dir)
		rmdir(r->dir);
	run__free(r);
	return NULL;
}

/* The bytes the processes allocated so far, as the probes counted them exactly:
 * the work that leak suspects are judged against. Each process of a --children
 * run has its own count; a process that exited keeps its last one. */
static void tick_allocated(struct run *r)
{
	uint64_t c[MS_CNT_COUNT];
	struct ms_proc counts;

	if (!r->heap)
		return;
	if (r->stopped) /* detached: the counts read at stop are the last ones */
		memcpy(c, r->counters, sizeof(c));
	else
		run__counters(r, c);
	profile__set_allocated(run_main_profiles(r)->heap, (double)c[MS_CNT_ALLOC_BYTES]);
	for (size_t i = 0; r->merged && r->follow && i < r->nr_procs; i++) {
		struct proc *p = r->procs[i];

		if (r->stopped)
			counts = p->counts;
		else if (p->exited || follow_probes__lookup(r->follow, p->pid, &counts))
			continue;
		if (counts.alloc_bytes) /* 0: its entry is gone; keep the last count */
			profile__set_allocated(p->prof.heap, (double)counts.alloc_bytes);
	}
}

/* Record a point of every series: each process's, and the merged ones, whose RSS
 * is the sum over the processes still running. */
void run_tick(struct run *r, uint64_t ts)
{
	double sum = 0, anon_sum = 0;

	if (!r->stopped)
		inprocess__poll(r->inproc); /* libraries loaded since the last tick */
	tick_allocated(r);
	for (size_t i = 0; i < r->nr_procs; i++) {
		struct proc *p = r->procs[i];
		double rss = procstat_rss_bytes(p->pid), anon = procstat_anon_bytes(p->pid);
		python_globals__tick(p->py_globals, ts);
		profiles__tick(&p->prof, ts, rss, anon);
		if (rss > 0)
			sum += rss;
		if (anon > 0)
			anon_sum += anon;
	}
	if (r->merged)
		profiles__tick(r->merged, ts, sum, anon_sum);
}

int run__poll(struct run *r, int timeout_ms)
{
	if (r->stopped)
		return RUN_STOPPED;
	if (stop_signal)
		return RUN_SIGNALLED;
	/* a window of page-fault tracing opens or closes on time */
	bool windows = r->rss_probes && !r->rss_failed;
	int e = capture__poll(r->cap, windows ? rss_adapt__wait_ms(&r->rss_adapt, clock_now_ns(),
								   timeout_ms)
					      : timeout_ms);
	run__open_new_procs(r);
	if (e < 0 && e != -EINTR) {
		ms_err("reading the ring buffer failed: %s", strerror(-e));
		return e;
	}
	run_debuginfod_poll(r);
	uint64_t t = clock_now_ns();
	run_adapt_rss(r, t);
	run_adapt_mean(r, t);
	if (t >= r->next_tick) {
		ingest_sweep_pages(r, false);
		run_tick(r, t);
		r->next_tick += MS_TICK_NS * ((t - r->next_tick) / MS_TICK_NS + 1);
	}
	if (stop_signal)
		return RUN_SIGNALLED;
	if (run_target_exited(r))
		return RUN_TARGET_EXITED;
	return 0;
}

int run__signal(void)
{
	return stop_signal;
}

void run__counters(const struct run *r, uint64_t *out)
{
	uint64_t c[MS_CNT_COUNT] = {0};

	if (r->stopped) {
		memcpy(out, r->counters, sizeof(r->counters));
		return;
	}
	memset(out, 0, sizeof(uint64_t) * MS_CNT_COUNT);
	if (r->heap)
		heap_probes__counters(r->heap, out);
	/* in-process: the agent counts every call, BPF sees the sampled ones only */
	struct agent_counts a;
	if (r->inproc && inprocess__counts(r->inproc, &a) == 0) {
		out[MS_CNT_ALLOC_CALLS] += a.n.alloc_calls;
		out[MS_CNT_ALLOC_BYTES] += a.n.alloc_bytes;
		out[MS_CNT_FREE_CALLS] += a.n.free_calls;
		out[MS_CNT_MAP_FULL] += a.set_full;
	}
	if (r->cpu_probes && cpu_probes__counters(r->cpu_probes, c) == 0) {
		out[MS_CNT_CPU_SAMPLES] = c[MS_CNT_CPU_SAMPLES];
		out[MS_CNT_LOST_CPU] = c[MS_CNT_LOST_CPU];
	}
}

void run_read_counters(struct run *r)
{
	uint64_t sizes[MS_SIZE_BUCKETS];

	uint64_t rc[MS_RSS_COUNT];
	if (r->rss_probes && rss_probes__counters(r->rss_probes, rc) == 0)
		/* with the windows' estimate of the faults between them */
		rss_adapt__finish(&r->rss_adapt, clock_now_ns(), rc, r->rss_counters);
	if (r->offcpu_probes)
		offcpu_probes__counters(r->offcpu_probes, r->off_counters);
	run__counters(r, r->counters);
	struct agent_counts a;
	if (r->inproc && inprocess__counts(r->inproc, &a) == 0) {
		for (int k = 0; k < MS_SIZE_BUCKETS; k++)
			sizes[k] = a.n.size_buckets[k];
		profile__set_size_hist(run_main_profiles(r)->heap, sizes);
	} else if (r->heap && heap_probes__sizes(r->heap, sizes) == 0) {
		profile__set_size_hist(run_main_profiles(r)->heap, sizes);
	}
	for (size_t i = 0; r->follow && i < r->nr_procs; i++)
		follow_probes__lookup(r->follow, r->procs[i]->pid, &r->procs[i]->counts);
}

void run__stop(struct run *r)
{
	run_stop_at(r, clock_now_ns());
}

void run_stop_at(struct run *r, uint64_t end_ns)
{
	if (r->stopped)
		return;
	stop_yield(r); /* detach and the outputs at normal priority */
	r->end_ns = end_ns;
	if (r->offcpu_probes)
		offcpu_probes__set_window(r->offcpu_probes, run_main_profiles(r)->start_ns,
					  r->end_ns);
	/* The hooks go first, while the trap probes still see the frees of sampled
	 * blocks; then detach so nothing new arrives, and take what is still queued. */
	inprocess__remove(r->inproc);
	if (r->heap)
		heap_probes__detach(r->heap);
	if (r->cpu_probes)
		cpu_probes__detach(r->cpu_probes);
	if (r->rss_probes)
		rss_probes__detach(r->rss_probes);
	if (r->offcpu_probes)
		offcpu_probes__detach(r->offcpu_probes);
	follow_probes__detach(r->follow);
	if (r->cap)
		capture__drain(r->cap);
	run__open_new_procs(r);
	run_debuginfod_stop(r);
	if (r->follow && follow_probes__lost(r->follow))
		ms_warn("%llu fork, exec or exit records were lost (ring buffer full): the "
			"processes they concern may be missing or shown as running",
			(unsigned long long)follow_probes__lost(r->follow));
	run_read_counters(r);
	ingest_sweep_pages(r, true); /* the outputs' rss.folded is exact */
	r->stopped = true;
	run_tick(r, r->end_ns);
}

int run__write_outputs(struct run *r, const char *end_reason)
{
	run__stop(r);
	return write_outputs(r, end_reason);
}

void run__free(struct run *r)
{
	if (!r)
		return;
	stop_yield(r);
	capture__free(r->cap);
	capture__free(r->follow_cap);
	inprocess__remove(r->inproc); /* whatever ended the run, the target gets its slots back */
	inprocess__free(r->inproc);
	heap_probes__free(r->heap);
	cpu_probes__free(r->cpu_probes);
	rss_probes__free(r->rss_probes);
	offcpu_probes__free(r->offcpu_probes);
	follow_probes__free(r->follow);
	if (r->pidfd >= 0)
		close(r->pidfd);
	for (size_t i = 0; i < r->nr_procs; i++)
		proc__free(r->procs[i]);
	free(r->procs);
	symcache__free(r->symcache); /* after every dwfl using it: procs went first */
	dbgfetch__free(r->fetch);
	if (r->merged)
		profiles__release(r->merged);
	free(r->merged);
	ksyms__free(r->ksyms);
	stacktab__free(r->stacks);
	allocator_release(&r->alloc);
	free(r->probe_ips);
	load_cmd__free(r->load);
	free(r);
}

void run__reset(struct run *r)
{
	for (size_t i = 0; i < r->nr_procs; i++)
		profiles__reset(&r->procs[i]->prof, r->opts.sample_mean, clock_now_ns());
	if (r->merged)
		profiles__reset(r->merged, r->opts.sample_mean, clock_now_ns());
}

const struct stacktab *run__stacks(const struct run *r)
{
	return r->stacks;
}

struct profile *run__profile(const struct run *r)
{
	return run_main_profiles(r)->heap;
}

const struct cpu_profile *run__cpu(const struct run *r)
{
	return run_main_profiles(r)->cpu;
}

const struct offcpu_profile *run__offcpu(const struct run *r)
{
	return run_main_profiles(r)->offcpu;
}

struct profile *run__proc_profile(const struct run *r, pid_t pid)
{
	const struct proc *p = run_find_proc(r, (uint32_t)pid);
	return p ? p->prof.heap : NULL;
}

const struct cpu_profile *run__proc_cpu(const struct run *r, pid_t pid)
{
	const struct proc *p = run_find_proc(r, (uint32_t)pid);
	return p ? p->prof.cpu : NULL;
}

size_t run__nr_procs(const struct run *r)
{
	return r->nr_procs;
}

const char *run__comm(const struct run *r)
{
	return r->comm;
}

const char *run__heap_mode(const struct run *r)
{
	return r->heap ? r->heap_mode : "";
}

uint64_t run__sample_mean_now(const struct run *r)
{
	return r->opts.sample_mean << r->mean_adapt.shift; /* 0 but in-process */
}

uint64_t run__start_ns(const struct run *r)
{
	return run_main_profiles(r)->start_ns;
}

const struct run_opts *run__opts(const struct run *r)
{
	return &r->opts;
}

size_t run__heap_rows(const struct run *r, struct top_row **rows, size_t *cap)
{
	return snapshot_heap_rows(run__profile(r), r->stacks, &r->opts, rows, cap);
}

size_t run__cpu_rows(const struct run *r, struct top_row **rows, size_t *cap)
{
	return snapshot_cpu_rows(run__cpu(r), r->stacks, r->opts.freq_hz, rows, cap);
}

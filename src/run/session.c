/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One recording run: attach to a process, follow it until the end, write the outputs.
 * The pipeline flows one way: probes -> capture -> unwind -> symbolize -> profile -> sinks. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include "base/log.h"
#include "base/clock.h"
#include "target/allocator.h"
#include "probes/probe_common.h"
#include "probes/capture.h"
#include "probes/cpu_probes.h"
#include "profile/cpu_profile.h"
#include "output/folded.h"
#include "probes/follow_probes.h"
#include "probes/heap_probes.h"
#include "symbolize/ksyms.h"
#include "profile/leak.h"
#include "memspy/events.h"
#include "output/outdir.h"
#include "output/timeline.h"
#include "target/procmaps.h"
#include "target/procstat.h"
#include "profile/profile.h"
#include "python/python.h"
#include "python/python_globals.h"
#include "run/python_growth.h"
#include "output/report_rss.h"
#include "profile/rss_pages.h"
#include "profile/site_name.h"
#include "probes/rss_probes.h"
#include "output/report.h"
#include "output/report_cpu.h"
#include "run/session.h"
#include "output/sinks.h"
#include "profile/stacktab.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"

#define MS_MAX_FRAMES 256    /* unwound frames kept per stack */
#define MS_MAX_NAMES 512     /* frames after inline expansion */
#define MS_MAX_SUSPECTS 32
#define MS_THREAD_SLOTS 1024 /* a power of two */
#define TICK_NS 1000000000ULL

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct thread_slot {
	uint32_t tid;
	uint32_t frame; /* frame id + 1; 0: free slot */
};

struct session {
	struct session_opts opts;
	struct allocator alloc;
	struct heap_probes *heap;
	struct cpu_probes *cpu_probes;
	struct capture *cap;
	int pidfd;
	uint64_t next_tick;
	uint64_t end_ns;	   /* set by session__stop */
	uint64_t counters[MS_CNT_COUNT];
	bool made_dir;		   /* the output directory is ours: remove it if attach fails */
	uint64_t *probe_ips;	   /* sorted addresses of our entry probes in the target */
	size_t nr_probe_ips;
	bool stopped;
	struct target_dwfl *dwfl;
	struct symcache *symcache; /* the run's, shared by the dwfl of every process */
	struct python *py;	   /* CPython frames; NULL for other processes */
	struct python_globals *py_globals; /* its growing module-level containers */
	struct rss_probes *rss_probes;	/* sampled page faults; NULL with --no-rss */
	struct cpu_profile *rss_prof;	/* bytes of new pages still mapped, per stack */
	struct rss_pages *rss_pages;	/* the sampled pages behind rss_prof (per process) */
	uint64_t rss_released;		/* bytes of sampled pages given back since */
	uint64_t rss_counters[MS_RSS_COUNT];
	uint64_t rss_samples;		/* page-fault samples of this session */
	uint32_t rss_period, rss_period_min, rss_period_max; /* sampling now, over the run */
	uint64_t rss_faults_seen, rss_faults_ns; /* new-page faults at the last adaptation */
	struct stacktab *stacks;
	struct profile *profile;
	struct heap_totals totals;
	struct cpu_profile *cpu;
	struct ksyms *ksyms;	   /* --kernel */
	uint64_t cpu_truncated;	   /* CPU stacks whose unwinding stopped early */
	uint64_t cpu_no_user;	   /* CPU samples without user registers */
	uint64_t cpu_in_probes;	   /* CPU samples inside memspy's own probe traps */
	struct thread_slot *threads; /* --threads: MS_THREAD_SLOTS, open addressing */
	uint32_t unknown_frame;	   /* "[unknown]" */
	double *rss;		   /* target RSS in bytes, one point per tick */
	size_t nr_rss, cap_rss;
	uint64_t start_ns;
	char comm[64];
	char dir[4096];
	/* --children: the run (root) keeps the merged profiles, whose stacks start
	 * with the process ("name-pid"), and one session per process seen (procs,
	 * the target first) with that process's own profiles, modules and Python
	 * state. Those share the run's stack table and kernel symbols, attach
	 * nothing and write their outputs to <dir>/<pid>/. */
	struct follow_probes *follow;	/* fork and exit programs, the procs map */
	struct session **procs;
	size_t nr_procs, cap_procs;
	struct session *root;		/* a process of a --children run: its run */
	uint32_t proc_frame;		/* "name-pid" */
	struct ms_proc counts;		/* the process's counters, read at stop */
};

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

/* The root frame of a thread for --threads: "name-tid", looked up once per tid. */
static uint32_t thread_frame(struct session *s, uint32_t tid)
{
	if (!s->threads && !(s->threads = calloc(MS_THREAD_SLOTS, sizeof(*s->threads))))
		return s->unknown_frame;
	size_t mask = MS_THREAD_SLOTS - 1, at = (tid * 2654435761u) & mask;
	for (size_t probe = 0; probe < MS_THREAD_SLOTS; probe++, at = (at + 1) & mask) {
		struct thread_slot *slot = &s->threads[at];
		if (slot->frame && slot->tid == tid)
			return slot->frame - 1;
		if (slot->frame)
			continue;
		char comm[64], name[96];
		procstat_thread_comm(s->opts.pid, (pid_t)tid, comm, sizeof(comm));
		snprintf(name, sizeof(name), "%s-%u", comm[0] ? comm : s->comm, tid);
		uint32_t id = stacktab__frame(s->stacks, name);
		/* A full table keeps working: new threads just are not remembered. */
		if (probe < MS_THREAD_SLOTS / 2)
			*slot = (struct thread_slot){tid, id + 1};
		return id;
	}
	return s->unknown_frame;
}

/* The run that merges processes (--children), as opposed to one process. */
static bool is_merged(const struct session *s)
{
	return s->opts.children && !s->root;
}

/* The run a session belongs to: itself unless it is a process of a --children run. */
static const struct session *run_of(const struct session *s)
{
	return s->root ? s->root : s;
}

/* --children: a process's session, made on its first event. Its modules are read
 * then: a forked child maps what its parent did, and the reading stays valid
 * after it exits. NULL on lack of memory (its events are dropped). */
static struct session *proc__new(struct session *s, uint32_t tgid)
{
	struct session *p = calloc(1, sizeof(*p));
	char name[96];

	if (!p)
		return NULL;
	if (s->nr_procs == s->cap_procs) {
		size_t nc = s->cap_procs ? s->cap_procs * 2 : 16;
		struct session **np = realloc(s->procs, nc * sizeof(*np));
		if (!np) {
			free(p);
			return NULL;
		}
		s->procs = np;
		s->cap_procs = nc;
	}
	p->opts = s->opts;
	p->opts.pid = (pid_t)tgid;
	p->opts.quiet = true;
	p->root = s;
	p->pidfd = -1;
	p->stacks = s->stacks;
	p->ksyms = s->ksyms;
	p->unknown_frame = s->unknown_frame;
	p->profile = profile__new(s->opts.sample_mean);
	p->cpu = cpu_profile__new();
	p->rss_prof = cpu_profile__new();
	p->rss_pages = rss_pages__new();
	if (!p->profile || !p->cpu || !p->rss_prof || !p->rss_pages) {
		profile__free(p->profile);
		cpu_profile__free(p->cpu);
		cpu_profile__free(p->rss_prof);
		rss_pages__free(p->rss_pages);
		free(p);
		return NULL;
	}
	if (tgid == (uint32_t)s->opts.pid) {
		p->dwfl = s->dwfl; /* opened before the probes, borrowed */
		p->py = s->py;
		memcpy(p->comm, s->comm, sizeof(p->comm));
	} else {
		procstat_comm((pid_t)tgid, p->comm, sizeof(p->comm));
		p->dwfl = target_dwfl__open((pid_t)tgid); /* NULL: its stacks print [unknown] */
		if (p->dwfl) /* workers map the master's files: name each address once */
			target_dwfl__share_symcache(p->dwfl, s->symcache);
		p->py = python__open((pid_t)tgid, true, s->opts.verbose);
	}
	p->py_globals = python_globals__new((pid_t)tgid, python__offsets(p->py),
					     python__code_layout(p->py));
	snprintf(name, sizeof(name), "%s-%u", p->comm[0] ? p->comm : "?", tgid);
	p->proc_frame = stacktab__frame(s->stacks, name);
	if (!s->opts.no_output &&
	    snprintf(p->dir, sizeof(p->dir), "%s/%u", s->dir, tgid) >= (int)sizeof(p->dir))
		p->dir[0] = '\0'; /* too long a path: outputs fail there, reported then */
	p->start_ns = clock_now_ns();
	profile__tick(p->profile, p->start_ns);
	s->procs[s->nr_procs++] = p;
	return p;
}

/* The session that records events of tgid: the run itself for one process. */
static struct session *proc_of(struct session *s, uint32_t tgid)
{
	if (!is_merged(s))
		return tgid == (uint32_t)s->opts.pid ? s : NULL;
	for (size_t i = 0; i < s->nr_procs; i++)
		if ((uint32_t)s->procs[i]->opts.pid == tgid)
			return s->procs[i];
	return proc__new(s, tgid);
}

/* A block's key in the merged profile: forked processes hand out the same
 * addresses. User addresses stay below 2^47, so the tgid goes above. */
static uint64_t merged_key(uint64_t addr, uint32_t tgid)
{
	return addr ^ ((uint64_t)tgid << 47);
}

/* Turn innermost-first lookup addresses (and kernel frames, innermost first) into
 * interned frame ids, root first: thread, user frames, then kernel frames. */
static size_t frames_of(struct session *s, uint32_t tid, const uint64_t *pcs, size_t n,
			const struct ms_py_stack *py, bool complete, const uint64_t *kpcs,
			size_t nk, uint32_t *out, size_t max)
{
	const char *names[32];
	struct py_merge_item items[MS_MAX_FRAMES + MS_MAX_PY_FRAMES];
	size_t k = 0, ni = python__merge(s->py, pcs, n, py, complete, items,
					  sizeof(items) / sizeof(items[0]));

	if (s->opts.threads && k < max)
		out[k++] = thread_frame(s, tid);
	if (n == 0 && nk == 0 && k < max)
		out[k++] = s->unknown_frame;
	/* native frames, each evaluator frame replaced by its Python frames */
	for (size_t i = 0; i < ni && k < max; i++) {
		if (items[i].py != MS_MERGE_NONE) {
			out[k++] = stacktab__frame(s->stacks, python__frame(s->py, py->code[items[i].py],
									  py->instr[items[i].py]));
			continue;
		}
		size_t m = target_dwfl__symbolize(s->dwfl, pcs[items[i].native], names, 32);
		for (size_t j = 0; j < m && k < max; j++)
			out[k++] = stacktab__frame(s->stacks, names[j]);
	}
	for (size_t i = nk; i-- > 0 && k < max;) {
		char buf[300];
		const char *sym = s->ksyms ? ksyms__lookup(s->ksyms, kpcs[i]) : NULL;
		/* flamegraph.pl colours frames ending in _[k] as kernel frames */
		snprintf(buf, sizeof(buf), "%s_[k]", sym ? sym : "[kernel]");
		out[k++] = stacktab__frame(s->stacks, buf);
	}
	return k;
}

/* s is the run, p the process of the event (s itself for one process). */
static int on_alloc(struct session *s, struct session *p, const struct ms_alloc_event *ev,
		    size_t size)
{
	uint64_t pcs[MS_MAX_FRAMES];
	uint32_t frames[MS_MAX_NAMES];
	bool complete = false;
	size_t len = ev->stack_len, n = 0;
	uint32_t id;

	if (size < MS_ALLOC_EVENT_HDR_SIZE || len > size - MS_ALLOC_EVENT_HDR_SIZE)
		return 0; /* malformed record: ignore rather than trust */
	if (p->dwfl)
		n = target_dwfl__unwind(p->dwfl, (pid_t)ev->hdr.tid, (const uint64_t *)ev->regs,
					ev->stack, len, true, pcs, MS_MAX_FRAMES, &complete);
	if (n == 0)
		p->totals.unwind_failed++;
	if (!complete)
		p->totals.truncated++;
	if (p != s) {
		s->totals.unwind_failed += n == 0;
		s->totals.truncated += !complete;
	}
	/* frames[0] is left for the process, the root of the merged stack */
	size_t nf = frames_of(p, ev->hdr.tid, pcs, n, &ev->py, complete, NULL, 0, frames + 1,
			      MS_MAX_NAMES - 1);
	if (stacktab__intern(s->stacks, frames + 1, nf, !complete, &id))
		return 0;
	profile__alloc(p->profile, ev->addr, ev->size, id, ev->hdr.ts_ns);
	frames[0] = p->proc_frame;
	if (p != s && !stacktab__intern(s->stacks, frames, nf + 1, !complete, &id))
		profile__alloc(s->profile, merged_key(ev->addr, ev->hdr.tgid), ev->size, id,
			       ev->hdr.ts_ns);
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Where our entry probes sit in the target's address space, so CPU samples that
 * land while the kernel handles one of them can be mapped back (see on_cpu). */
static void find_probe_ips(struct session *s)
{
	struct procmaps maps;

	if (!s->heap || !s->alloc.n || procmaps_read(s->opts.pid, &maps))
		return;
	s->probe_ips = calloc(s->alloc.n, sizeof(*s->probe_ips));
	for (size_t i = 0; s->probe_ips && i < s->alloc.n; i++) {
		uint64_t off = s->alloc.entries[i].file_offset;
		for (size_t j = 0; j < maps.n; j++) {
			const struct map_entry *e = &maps.entries[j];
			if (strcmp(e->path, s->alloc.module) || off < e->offset ||
			    off >= e->offset + (e->end - e->start))
				continue;
			s->probe_ips[s->nr_probe_ips++] = e->start + (off - e->offset);
			break;
		}
	}
	if (s->probe_ips)
		qsort(s->probe_ips, s->nr_probe_ips, sizeof(*s->probe_ips), compare_u64);
	procmaps_release(&maps);
}

/* x86_64 puts the uprobes page (trampoline and out-of-line slots) at the top of
 * the user address space. */
#define MS_UPROBES_AREA 0x7fffffffe000ULL

static bool in_own_probe(const struct session *s, uint64_t ip)
{
	uint64_t before = ip - 1;

	if (ip >= MS_UPROBES_AREA && ip < MS_UPROBES_AREA + 4096)
		return true; /* the BPF side mapped back every case it could */
	return s->nr_probe_ips &&
	       (bsearch(&ip, s->probe_ips, s->nr_probe_ips, sizeof(*s->probe_ips), compare_u64) ||
		bsearch(&before, s->probe_ips, s->nr_probe_ips, sizeof(*s->probe_ips),
			compare_u64));
}

/* The process a page was charged in, and the run that merges it (--children). */
struct rss_owner {
	struct session *run, *proc;
};

/* A sampled page left its place: its bytes leave rss.folded, the process's and
 * the merged one. */
static void rss_page_gone(void *ctx, const struct rss_page *page)
{
	const struct rss_owner *o = ctx;
	uint64_t bytes = (uint64_t)page->weight * MS_RSS_PAGE;

	cpu_profile__remove(o->proc->rss_prof, page->stack, bytes);
	o->proc->rss_released += bytes;
	if (o->proc != o->run) {
		cpu_profile__remove(o->run->rss_prof, page->merged, bytes);
		o->run->rss_released += bytes;
	}
}

static int on_cpu(struct session *s, struct session *p, const struct ms_cpu_event *ev,
		  size_t size)
{
	uint64_t pcs[MS_MAX_FRAMES];
	uint32_t frames[MS_MAX_NAMES];
	bool complete = false;
	size_t len = ev->stack_len, n = 0, nk = ev->nr_kstack;
	uint32_t id;

	if (size < MS_CPU_EVENT_HDR_SIZE || len > size - MS_CPU_EVENT_HDR_SIZE)
		return 0;
	if (nk > MS_MAX_KSTACK)
		nk = MS_MAX_KSTACK;
	if (ev->user_regs_valid) {
		struct unwind_extras x = {
			.stack_start = ev->stack_start,
			.fix_slots = (const uint64_t *)ev->ret_slots,
			.fix_addrs = (const uint64_t *)ev->ret_addrs,
			.nr_fix = ev->nr_ret_fixups > MS_MAX_RET_FIXUPS ? MS_MAX_RET_FIXUPS
									 : ev->nr_ret_fixups,
		};
		/* A sample taken while the kernel handles one of memspy's own probes
		 * (pc at or just past the breakpoint, or in the trampoline before the
		 * return is recorded) sees user registers and stack half rewritten by
		 * the kernel. That time is memspy's overhead, not the target's: count
		 * it apart rather than draw it as broken stacks. */
		if ((ev->hdr.kind == MS_EV_CPU && ev->in_uprobe) ||
		    in_own_probe(s, ev->regs[MS_REG_IP])) {
			p->cpu_in_probes++;
			if (p != s)
				s->cpu_in_probes++;
			return 0;
		}
		if (p->dwfl)
			n = target_dwfl__unwind_ex(p->dwfl, (pid_t)ev->hdr.tid,
						   (const uint64_t *)ev->regs, ev->stack, len, &x,
						   false, pcs, MS_MAX_FRAMES, &complete);
	} else {
		p->cpu_no_user++;
		if (p != s)
			s->cpu_no_user++;
	}
	if (!complete && ev->hdr.kind == MS_EV_CPU) {
		p->cpu_truncated++;
		if (p != s)
			s->cpu_truncated++;
	}
	size_t nf = frames_of(p, ev->hdr.tid, pcs, n, &ev->py, complete,
			      (const uint64_t *)ev->kstack, s->opts.kernel ? nk : 0, frames + 1,
			      MS_MAX_NAMES - 1);
	struct rss_page page = {.addr = ev->addr, .weight = ev->weight};
	for (int merged = 0; merged < (p != s ? 2 : 1); merged++) {
		struct session *to = merged ? s : p;
		frames[0] = p->proc_frame;
		if (stacktab__intern(s->stacks, frames + !merged, nf + merged, !complete, &id))
			return 0;
		if (ev->hdr.kind == MS_EV_RSS) { /* a sampled fault on a new page */
			cpu_profile__add(to->rss_prof, id, (uint64_t)ev->weight * MS_RSS_PAGE);
			to->rss_samples++;
			*(merged ? &page.merged : &page.stack) = id;
		} else
			cpu_profile__add(to->cpu, id, 1);
	}
	if (ev->hdr.kind == MS_EV_RSS) {
		struct rss_owner owner = {s, p};
		rss_pages__add(p->rss_pages, &page, rss_page_gone, &owner);
	}
	return 0;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct session *s = ctx, *p;
	const struct ms_event_header *h = data;

	if (size < sizeof(*h))
		return 0;
	p = proc_of(s, h->tgid);
	if (!p)
		return 0;
	switch (h->kind) {
	case MS_EV_ALLOC:
		return on_alloc(s, p, data, size);
	case MS_EV_CPU:
	case MS_EV_RSS:
		return on_cpu(s, p, data, size);
	case MS_EV_RSS_RELEASE:
		if (size >= sizeof(struct ms_rss_release)) {
			const struct ms_rss_release *r = data;
			struct rss_owner owner = {s, p};
			rss_pages__release(p->rss_pages, r->start, r->len, r->new_start, r->new_len,
					   rss_page_gone, &owner);
		}
		return 0;
	case MS_EV_FREE:
		if (size >= sizeof(struct ms_free_event)) {
			uint64_t addr = ((const struct ms_free_event *)data)->addr;
			profile__free_block(p->profile, addr, h->ts_ns);
			if (p != s)
				profile__free_block(s->profile, merged_key(addr, h->tgid),
						    h->ts_ns);
		}
		return 0;
	default:
		return 0;
	}
}

/* Set the page-fault sampling period from the new-page fault rate of the last
 * tenth of a second or more: a fault storm right after attach costs a tenth of a second of
 * every-fault sampling at most. */
static void adapt_rss_period(struct session *s, uint64_t ts)
{
	uint64_t c[MS_RSS_COUNT];
	uint32_t period;

	if (!s->rss_probes || s->stopped || ts < s->rss_faults_ns + TICK_NS / 10 ||
	    rss_probes__counters(s->rss_probes, c))
		return;
	if (s->rss_faults_ns && ts > s->rss_faults_ns) {
		period = rss_period_for((double)(c[MS_RSS_NEW_PAGES] - s->rss_faults_seen) * 1e9 /
					(double)(ts - s->rss_faults_ns));
		if (period != s->rss_period) {
			rss_probes__set_period(s->rss_probes, period);
			s->rss_period = period;
			if (period < s->rss_period_min)
				s->rss_period_min = period;
			if (period > s->rss_period_max)
				s->rss_period_max = period;
		}
	}
	s->rss_faults_seen = c[MS_RSS_NEW_PAGES];
	s->rss_faults_ns = ts;
}

/* Record a point of every series. Returns the RSS read now (-1: unreadable). */
static double tick(struct session *s, uint64_t ts)
{
	double rss;

	profile__tick(s->profile, ts);
	if (is_merged(s)) { /* the run's RSS: the sum over the processes still running */
		rss = 0;
		for (size_t i = 0; i < s->nr_procs; i++) {
			double r = tick(s->procs[i], ts);
			if (r > 0)
				rss += r;
		}
	} else {
		rss = procstat_rss_bytes(s->opts.pid);
		python_globals__tick(s->py_globals, ts);
	}
	if (s->nr_rss == s->cap_rss) {
		size_t nc = s->cap_rss ? s->cap_rss * 2 : 256;
		double *nr = realloc(s->rss, nc * sizeof(*nr));
		if (!nr)
			return rss;
		s->rss = nr;
		s->cap_rss = nc;
	}
	/* An exited target keeps its last reading. */
	s->rss[s->nr_rss] = rss >= 0 ? rss : s->nr_rss ? s->rss[s->nr_rss - 1] : 0;
	s->nr_rss++;
	return rss;
}

static int write_heap_profile(struct session *s)
{
	size_t n;
	const struct site_stats *sites = profile__sites(s->profile, &n);
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
			 (int)s->opts.pid, s->comm, s->opts.sample_mean <= 1 ? "" : " (estimated)");
		err = sinks_write_profile(s->dir, "heap", s->stacks, ids, vals, n, MS_FLAME_MEM,
					  "Live heap", sub);
	} else {
		ms_err("out of memory writing heap.folded");
	}
	free(ids);
	free(vals);
	return err;
}

static int write_cpu_profile(struct session *s)
{
	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(s->cpu, &ids, &vals);
	char sub[160];

	snprintf(sub, sizeof(sub), "on-CPU samples of pid %d (%s) at %u Hz", (int)s->opts.pid,
		 s->comm, s->opts.freq_hz);
	return sinks_write_profile(s->dir, "cpu", s->stacks, ids, vals, n, MS_FLAME_CPU, "CPU",
				   sub);
}

/* RSS, estimated live heap and the top suspects' live bytes over the run. */
static int write_timeline(struct session *s, const struct leak_suspect *sus, size_t nsus)
{
	struct timeline_series ts[7];
	char labels[5][128];
	size_t k = 0;
	const struct series *total = profile__total_series(s->profile);

	if (s->nr_rss)
		ts[k++] = (struct timeline_series){"RSS", s->rss, s->nr_rss, 0, 1.0};
	if (s->opts.heap && total->n)
		ts[k++] = (struct timeline_series){
			"live heap (memspy estimate)", total->points, total->n, 0,
			total->interval_ns ? (double)total->interval_ns / 1e9 : 1.0};
	for (size_t i = 0; i < nsus && i < 5; i++) {
		const struct series *se = profile__site_series(s->profile, sus[i].stack_id);
		snprintf(labels[i], sizeof(labels[i]), "suspect #%zu: %s", i + 1,
			 site_name(s->stacks, sus[i].stack_id));
		if (se->n)
			ts[k++] = (struct timeline_series){
				labels[i], se->points, se->n,
				(double)(se->start_ns - s->start_ns) / 1e9,
				se->interval_ns ? (double)se->interval_ns / 1e9 : 1.0};
	}
	char title[128];
	snprintf(title, sizeof(title), "Memory of pid %d (%s)", (int)s->opts.pid, s->comm);
	return sinks_write_timeline(s->dir, title, ts, k);
}

/* --children: the processes of the run, each with its own outputs. */
static void write_procs(FILE *f, const struct session *s)
{
	char live[32], rss[32];

	fprintf(f, "memspy --children: %zu processes followed from pid %d (%s); stacks in the "
		   "files here start with the process (name-pid), and <pid>/ holds each "
		   "process's own outputs\n",
		s->nr_procs, (int)s->opts.pid, s->comm);
	fprintf(f, "  %8s %8s  %-16s %12s %12s %12s %12s\n", "pid", "parent", "name",
		"allocations", "live heap", "cpu samples", "rss touched");
	for (size_t i = 0; i < s->nr_procs; i++) {
		const struct session *p = s->procs[i];
		report_format_bytes(profile__live_bytes(p->profile), live, sizeof(live));
		report_format_bytes((double)cpu_profile__total(p->rss_prof), rss, sizeof(rss));
		fprintf(f, "  %8d %8u  %-16s %12" PRIu64 " %12s %12" PRIu64 " %12s\n", (int)p->opts.pid,
			p->counts.parent, p->comm, (uint64_t)p->counts.alloc_calls,
			s->heap ? live : "-", cpu_profile__total(p->cpu),
			s->rss_probes ? rss : "-");
	}
	if (s->heap)
		fprintf(f, "  note: a child that exec()s another program stays followed; its heap "
			   "is seen only while it allocates through %s\n",
			s->alloc.module);
	fprintf(f, "\n");
}

static void write_report_to(FILE *f, struct session *s, const char *end_reason,
			    const struct report_input *heap, const struct cpu_report_input *cpu)
{
	if (is_merged(s))
		write_procs(f, s);
	if (heap)
		report_write(f, heap);
	else
		fprintf(f, "memspy report: pid %d (%s), %.1f s, ended by %s; heap not tracked "
			   "(--no-heap)\n",
			(int)s->opts.pid, s->comm, (double)(s->end_ns - s->start_ns) / 1e9,
			end_reason);
	if (cpu)
		report_cpu_write(f, cpu);
	if (run_of(s)->rss_probes)
		report_rss_write(f, s->stacks, s->rss_prof, s->rss_released, s->rss_counters,
				 run_of(s)->rss_period_min, run_of(s)->rss_period_max);
}

static int write_report(struct session *s, const char *end_reason,
			const struct leak_suspect *suspects, size_t nsus, const uint64_t *counters)
{
	struct container_growth growth[MS_MAX_SUSPECTS];
	size_t ngrowth = python_growth_rank(s->py_globals, growth, MS_MAX_SUSPECTS);
	const struct allocator *a = &run_of(s)->alloc;
	double duration = (double)(s->end_ns - s->start_ns) / 1e9;
	struct report_input in = {
		.pid = s->opts.pid,
		.comm = s->comm,
		.allocator = a->module,
		.allocator_why = a->why,
		.end_reason = end_reason,
		.duration_s = duration,
		.now_ns = s->end_ns,
		.stacks = s->stacks,
		.profile = s->profile,
		.suspects = suspects,
		.nr_suspects = nsus,
		.growth = growth,
		.nr_growth = ngrowth,
		.totals = s->totals,
		.top_n = s->opts.top_n,
	};
	struct cpu_report_input cin = {
		.profile = s->cpu,
		.stacks = s->stacks,
		.freq_hz = s->opts.freq_hz,
		.duration_s = duration,
		.taken = counters[MS_CNT_CPU_SAMPLES],
		.lost = counters[MS_CNT_LOST_CPU],
		.truncated = s->cpu_truncated,
		.no_user = s->cpu_no_user,
		.in_probes = s->cpu_in_probes,
		.top_n = s->opts.top_n,
	};
	const struct report_input *hp = s->opts.heap ? &in : NULL;
	const struct cpu_report_input *cp = s->opts.cpu ? &cin : NULL;
	struct atomic_file af = {0};
	int err = atomic_file__open(&af, s->dir, "report.txt");

	if (!err) {
		write_report_to(af.f, s, end_reason, hp, cp);
		err = atomic_file__commit(&af);
	}
	if (err) {
		atomic_file__abort(&af);
		ms_err("cannot write %s/report.txt: %s", s->dir, strerror(-err));
	}
	if (!s->opts.quiet)
		write_report_to(stdout, s, end_reason, hp, cp);
	return err;
}

static void install_signals(void)
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
}

static const char *signal_reason(int sig)
{
	switch (sig) {
	case SIGINT:
		return "interrupted (SIGINT)";
	case SIGTERM:
		return "terminated (SIGTERM)";
	default:
		return "hangup (SIGHUP)";
	}
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

static bool target_exited(pid_t pid, int pidfd)
{
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		return poll(&p, 1, 0) > 0;
	}
	return kill(pid, 0) && errno == ESRCH;
}

/* Read one more ring buffer into on_record. Nonzero on failure. */
static int add_ring(struct session *s, int fd)
{
	if (s->cap)
		return capture__add(s->cap, fd);
	s->cap = capture__new(fd, on_record, s);
	return s->cap ? 0 : -1;
}

/* Attach everything the options ask for. Prints the reason and returns -errno on
 * failure. */
static int attach_probes(struct session *s)
{
	const struct session_opts *o = &s->opts;
	char err[512];
	int procs_fd = -1;

	if (o->children) {
		s->follow = follow_probes__open(o->pid, err, sizeof(err));
		if (!s->follow)
			goto fail;
		procs_fd = follow_probes__map_fd(s->follow);
	}
	if (o->heap) {
		struct heap_probes_opts hopts = {
			.pid = o->pid,
			.sample_mean = o->sample_mean,
			.stack_bytes = o->stack_bytes,
			.max_tracked = o->max_tracked,
			.seed = clock_now_ns() ^ (uint64_t)getpid(),
			.python = python__offsets(s->py),
			.children = o->children,
			.procs_fd = procs_fd,
		};
		s->heap = heap_probes__open(&hopts, &s->alloc, err, sizeof(err));
		if (!s->heap)
			goto fail;
		if (add_ring(s, heap_probes__events_fd(s->heap)))
			goto fail_ring;
	}
	if (o->cpu) {
		struct cpu_probes_opts copts = {
			.pid = o->pid,
			.freq_hz = o->freq_hz,
			.stack_bytes = o->stack_bytes,
			.kernel = o->kernel,
			.python = python__offsets(s->py),
			.children = o->children,
			.procs_fd = procs_fd,
		};
		s->cpu_probes = cpu_probes__open(&copts, err, sizeof(err));
		if (!s->cpu_probes)
			goto fail;
		if (add_ring(s, cpu_probes__events_fd(s->cpu_probes)))
			goto fail_ring;
	}
	if (!o->no_rss) {
		struct rss_probes_opts ropts = {
			.pid = o->pid,
			.period = 1,
			.stack_bytes = o->stack_bytes,
			.python = python__offsets(s->py),
			.children = o->children,
			.procs_fd = procs_fd,
		};
		/* RSS growth is an extra: without it the run goes on (reported once) */
		s->rss_probes = rss_probes__open(&ropts, err, sizeof(err));
		if (!s->rss_probes)
			ms_warn("%s: no rss.folded", err);
		else if (add_ring(s, rss_probes__events_fd(s->rss_probes)))
			goto fail_ring;
		if (s->rss_probes)
			s->rss_period = s->rss_period_min = s->rss_period_max = 1;
	}
	return 0;
fail_ring:
	ms_err("cannot read the BPF ring buffer: %s", strerror(errno));
	return -EIO;
fail:
	if (target_exited(o->pid, s->pidfd))
		ms_err("pid %d exited while memspy was attaching", (int)o->pid);
	else
		ms_err("%s", err);
	return -EIO;
}

struct session *session__open(const struct session_opts *opts)
{
	struct session *s = calloc(1, sizeof(*s));
	char err[512];
	int e;

	if (!s) {
		ms_err("out of memory");
		return NULL;
	}
	s->opts = *opts;
	s->pidfd = -1;
	const struct session_opts *o = &s->opts;

	install_signals();
	probe_set_verbose(o->verbose);
	if (check_target(o->pid))
		goto fail;
	if (probe_check_environment(err, sizeof(err))) {
		ms_err("%s", err);
		goto fail;
	}
	procstat_comm(o->pid, s->comm, sizeof(s->comm));
	if (!o->no_output) {
		if (o->outdir)
			snprintf(s->dir, sizeof(s->dir), "%s", o->outdir);
		else
			outdir_default_name(o->pid, time(NULL), s->dir, sizeof(s->dir));
		s->made_dir = access(s->dir, F_OK) != 0;
		e = outdir_create(s->dir);
		if (e) {
			ms_err("cannot create output directory %s: %s", s->dir,
				strerror(-e));
			goto fail;
		}
	}
	if (o->heap) {
		e = allocator_resolve_pid(o->pid, &s->alloc);
		if (e) {
			if (e == -ENOENT && kill(o->pid, 0) == 0)
				ms_err("pid %d: no allocator found (no mapped module defines "
					"malloc); use --no-heap to sample the CPU only",
					(int)o->pid);
			else
				ms_err("cannot read the mappings of pid %d: %s",
					(int)o->pid, strerror(-e));
			goto fail;
		}
	}
	s->stacks = stacktab__new();
	s->profile = profile__new(o->sample_mean);
	s->cpu = cpu_profile__new();
	s->rss_prof = cpu_profile__new();
	s->rss_pages = rss_pages__new();
	if (!s->stacks || !s->profile || !s->cpu || !s->rss_prof || !s->rss_pages) {
		ms_err("out of memory");
		goto fail;
	}
	s->unknown_frame = stacktab__frame(s->stacks, "[unknown]");
	if (o->cpu && o->kernel) {
		s->ksyms = ksyms__load(NULL);
		if (!s->ksyms)
			ms_warn("cannot read kernel symbols from /proc/kallsyms (%s): "
					"kernel frames print as [kernel]_[k]",
				strerror(errno));
	}
	/* Open the target's modules before the probes fire: they may vanish with it. */
	s->dwfl = target_dwfl__open(o->pid);
	if (!s->dwfl) {
		ms_err("cannot read the modules of pid %d: %s", (int)o->pid,
			strerror(errno));
		goto fail;
	}
	s->symcache = symcache__new();
	if (!s->symcache) {
		ms_err("out of memory");
		goto fail;
	}
	target_dwfl__share_symcache(s->dwfl, s->symcache);
	s->py = python__open(o->pid, o->quiet_attach, o->verbose);
	if (!o->children) /* with --children, each process's session watches its own */
		s->py_globals = python_globals__new(o->pid, python__offsets(s->py),
						     python__code_layout(s->py));
	if (o->children && !proc__new(s, (uint32_t)o->pid)) { /* the target is the first */
		ms_err("out of memory");
		goto fail;
	}
	s->pidfd = open_pidfd(o->pid);
	if (attach_probes(s))
		goto fail;
	find_probe_ips(s);
	s->start_ns = clock_now_ns();
	if (!o->quiet_attach) {
		if (s->heap)
			ms_info("attached to pid %d (%s): %zu heap probes on %s (%s), "
				"sampling %s%s%s; Ctrl-C to stop",
				(int)o->pid, s->comm, heap_probes__nr_links(s->heap), s->alloc.module,
				s->alloc.why, o->sample_mean <= 1 ? "every allocation" : "by bytes",
				s->cpu_probes ? "; CPU sampling on" : "",
				o->children ? "; following children" : "");
		else if (s->cpu_probes)
			ms_info("attached to pid %d (%s): CPU sampling at %u Hz%s; Ctrl-C "
				"to stop",
				(int)o->pid, s->comm, o->freq_hz,
				s->rss_probes ? ", page faults on new pages" : "");
		else
			ms_info("attached to pid %d (%s): page faults on new pages; Ctrl-C to "
				"stop",
				(int)o->pid, s->comm);
	}
	s->next_tick = s->start_ns + TICK_NS;
	profile__tick(s->profile, s->start_ns);
	return s;
fail:
	/* A run that never started leaves no empty directory behind. */
	if (s->made_dir)
		rmdir(s->dir);
	session__free(s);
	return NULL;
}

int session__poll(struct session *s, int timeout_ms)
{
	if (s->stopped)
		return SESSION_STOPPED;
	if (stop_signal)
		return SESSION_SIGNALLED;
	int r = capture__poll(s->cap, timeout_ms);
	if (r < 0 && r != -EINTR) {
		ms_err("reading the ring buffer failed: %s", strerror(-r));
		return r;
	}
	uint64_t t = clock_now_ns();
	adapt_rss_period(s, t);
	if (t >= s->next_tick) {
		tick(s, t);
		s->next_tick += TICK_NS * ((t - s->next_tick) / TICK_NS + 1);
	}
	if (stop_signal)
		return SESSION_SIGNALLED;
	if (target_exited(s->opts.pid, s->pidfd))
		return SESSION_TARGET_EXITED;
	return 0;
}

int session__signal(void)
{
	return stop_signal;
}

void session__counters(const struct session *s, uint64_t *out)
{
	uint64_t c[MS_CNT_COUNT] = {0};

	if (s->stopped) {
		memcpy(out, s->counters, sizeof(s->counters));
		return;
	}
	memset(out, 0, sizeof(uint64_t) * MS_CNT_COUNT);
	if (s->heap)
		heap_probes__counters(s->heap, out);
	if (s->cpu_probes && cpu_probes__counters(s->cpu_probes, c) == 0) {
		out[MS_CNT_CPU_SAMPLES] = c[MS_CNT_CPU_SAMPLES];
		out[MS_CNT_LOST_CPU] = c[MS_CNT_LOST_CPU];
	}
}

void session__stop(struct session *s)
{
	if (s->stopped)
		return;
	s->end_ns = clock_now_ns();
	/* Detach first so nothing new arrives, then take what is still queued. */
	if (s->heap)
		heap_probes__detach(s->heap);
	if (s->cpu_probes)
		cpu_probes__detach(s->cpu_probes);
	if (s->rss_probes)
		rss_probes__detach(s->rss_probes);
	follow_probes__detach(s->follow);
	capture__drain(s->cap);
	if (s->rss_probes)
		rss_probes__counters(s->rss_probes, s->rss_counters);
	session__counters(s, s->counters);
	for (size_t i = 0; s->follow && i < s->nr_procs; i++)
		follow_probes__lookup(s->follow, s->procs[i]->opts.pid, &s->procs[i]->counts);
	s->stopped = true;
	tick(s, s->end_ns);
}

/* Every output of one session (the run, or one process of a --children run) into
 * its directory. */
static int write_session(struct session *s, const char *end_reason, const uint64_t *counters)
{
	const struct session_opts *o = &s->opts;
	const struct session *r = run_of(s);
	struct leak_suspect suspects[MS_MAX_SUSPECTS];
	int status = 0;

	s->totals.alloc_calls = counters[MS_CNT_ALLOC_CALLS];
	s->totals.alloc_bytes = counters[MS_CNT_ALLOC_BYTES];
	s->totals.free_calls = counters[MS_CNT_FREE_CALLS];
	s->totals.lost_events = counters[MS_CNT_LOST_ALLOC] + counters[MS_CNT_LOST_FREE];
	s->totals.unseen_calls = counters[MS_CNT_NO_THREAD_STATE];
	s->totals.map_full = counters[MS_CNT_MAP_FULL];
	s->totals.unknown_frees = counters[MS_CNT_UNKNOWN_FREE];

	size_t nsus = 0;
	if (r->heap) {
		double noise = o->sample_mean <= 1 ? 0 : 3.0 * (double)o->sample_mean;
		nsus = leak_rank(s->profile, noise, suspects, MS_MAX_SUSPECTS);
		if (write_heap_profile(s))
			status = -EIO;
	}
	if (r->cpu_probes && write_cpu_profile(s))
		status = -EIO;
	if (r->rss_probes && report_rss_write_profile(s->dir, s->stacks, s->rss_prof, (int)o->pid,
						      s->comm, r->rss_period_min, r->rss_period_max))
		status = -EIO;
	if (write_timeline(s, suspects, nsus))
		status = -EIO;
	if (write_report(s, end_reason, suspects, nsus, counters))
		status = -EIO;
	return status;
}

/* One process of a --children run: its counters come from the procs map, the
 * run's lost events and full maps are reported once, in the run's report. */
static int write_proc(struct session *s, struct session *p, const char *end_reason)
{
	uint64_t c[MS_CNT_COUNT] = {0};
	int e;

	c[MS_CNT_ALLOC_CALLS] = p->counts.alloc_calls;
	c[MS_CNT_ALLOC_BYTES] = p->counts.alloc_bytes;
	c[MS_CNT_FREE_CALLS] = p->counts.free_calls;
	c[MS_CNT_UNKNOWN_FREE] = p->counts.unknown_frees;
	c[MS_CNT_CPU_SAMPLES] = cpu_profile__total(p->cpu) + p->cpu_in_probes;
	p->rss_counters[MS_RSS_FAULTS] = p->rss_samples;
	p->end_ns = s->end_ns;
	e = outdir_create(p->dir);
	if (e) {
		ms_err("cannot create output directory %s: %s", p->dir,
			strerror(-e));
		return e;
	}
	return write_session(p, end_reason, c);
}

int session__write_outputs(struct session *s, const char *end_reason)
{
	int status = 0;

	session__stop(s);
	for (size_t i = 0; i < s->nr_procs; i++)
		if (write_proc(s, s->procs[i], end_reason))
			status = -EIO;
	if (write_session(s, end_reason, s->counters))
		status = -EIO;
	if (!s->opts.quiet)
		printf("\noutputs in %s/\n", s->dir);
	return status;
}

void session__free(struct session *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		session__free(s->procs[i]);
	free(s->procs);
	if (s->root) { /* a process of a --children run: these are the run's */
		s->stacks = NULL;
		s->ksyms = NULL;
		if (s->dwfl == s->root->dwfl)
			s->dwfl = NULL;
		if (s->py == s->root->py)
			s->py = NULL;
	}
	capture__free(s->cap);
	heap_probes__free(s->heap);
	cpu_probes__free(s->cpu_probes);
	follow_probes__free(s->follow);
	if (s->pidfd >= 0)
		close(s->pidfd);
	target_dwfl__free(s->dwfl);
	symcache__free(s->symcache); /* after every dwfl using it: procs went first */
	python__free(s->py);
	python_globals__free(s->py_globals);
	profile__free(s->profile);
	cpu_profile__free(s->cpu);
	rss_probes__free(s->rss_probes);
	cpu_profile__free(s->rss_prof);
	rss_pages__free(s->rss_pages);
	ksyms__free(s->ksyms);
	stacktab__free(s->stacks);
	allocator_release(&s->alloc);
	free(s->rss);
	free(s->threads);
	free(s->probe_ips);
	free(s);
}

void session__reset(struct session *s)
{
	struct profile *p = profile__new(s->opts.sample_mean);
	struct cpu_profile *c = cpu_profile__new();

	if (!p || !c) {
		profile__free(p);
		cpu_profile__free(c);
		return;
	}
	profile__free(s->profile);
	cpu_profile__free(s->cpu);
	s->profile = p;
	s->cpu = c;
	s->nr_rss = 0;
	for (size_t i = 0; i < s->nr_procs; i++)
		session__reset(s->procs[i]);
	s->start_ns = clock_now_ns();
	profile__tick(s->profile, s->start_ns);
}

const struct stacktab *session__stacks(const struct session *s)
{
	return s->stacks;
}

struct profile *session__profile(const struct session *s)
{
	return s->profile;
}

const struct cpu_profile *session__cpu(const struct session *s)
{
	return s->cpu;
}

const char *session__comm(const struct session *s)
{
	return s->comm;
}

uint64_t session__start_ns(const struct session *s)
{
	return s->start_ns;
}

int session_run(const struct session_opts *o)
{
	struct session *s = session__open(o);
	const char *end_reason = "stopped";

	if (!s)
		return 1;
	uint64_t deadline = o->duration_s > 0 ? s->start_ns + (uint64_t)(o->duration_s * 1e9) : 0;
	for (;;) {
		int r = session__poll(s, 100);
		if (r == SESSION_SIGNALLED) {
			end_reason = signal_reason(session__signal());
			break;
		}
		if (r == SESSION_TARGET_EXITED) {
			end_reason = "target exited";
			ms_info("pid %d exited; writing the report", (int)o->pid);
			break;
		}
		if (r < 0) {
			end_reason = "ring buffer error";
			break;
		}
		if (deadline && clock_now_ns() >= deadline) {
			end_reason = "duration reached";
			break;
		}
	}
	int status = session__write_outputs(s, end_reason) ? 1 : 0;
	session__free(s);
	return status;
}

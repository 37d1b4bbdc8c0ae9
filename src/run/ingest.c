/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ingestion: each record the BPF programs send (allocation, free, CPU sample,
 * sampled page fault) and each sweep of the sampled pages (released or moved
 * pages) becomes an update of its process's profiles and, with --children, of the
 * merged ones, whose stacks start with the process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hashtab.h"
#include "base/log.h"
#include "base/testpoint.h"
#include "memspy/events.h"
#include "profile/cpu_profile.h"
#include "profile/offcpu_profile.h"
#include "profile/profile.h"
#include "profile/rss_pages.h"
#include "profile/stacktab.h"
#include "python/python.h"
#include "python/python_merge.h"
#include "run/ingest.h"
#include "run/page_watch.h"
#include "run/run_state.h"
#include "symbolize/ksyms.h"
#include "symbolize/target_dwfl.h"
#include "target/procstat.h"

#define MS_MAX_FRAMES 256    /* unwound frames kept per stack */
#define MS_MAX_NAMES 512     /* frames after inline expansion */
#define MS_MAX_THREADS 512  /* threads named once per process */

/* The root frame of a thread for --threads: "name-tid", looked up once per tid. A
 * full table keeps working: threads past MS_MAX_THREADS are named each time. */
static uint32_t thread_frame(struct run *r, struct proc *p, uint32_t tid)
{
	uint64_t h = hash_u64(tid);
	size_t pos;

	if (!p->threads) {
		p->threads = calloc(MS_MAX_THREADS, sizeof(*p->threads));
		if (p->threads && hashtab__init(&p->threads_by_tid, 64, MS_MAX_THREADS)) {
			free(p->threads);
			p->threads = NULL;
		}
		if (!p->threads)
			return r->unknown_frame;
	}
	for (uint32_t i = hashtab__first(&p->threads_by_tid, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&p->threads_by_tid, h, &pos))
		if (p->threads[i].tid == tid)
			return p->threads[i].frame;
	char comm[64], name[96];
	procstat_thread_comm(p->pid, (pid_t)tid, comm, sizeof(comm));
	snprintf(name, sizeof(name), "%s-%u", comm[0] ? comm : p->comm, tid);
	uint32_t id = stacktab__frame(r->stacks, name);
	if (p->nr_threads < MS_MAX_THREADS &&
	    !hashtab__insert(&p->threads_by_tid, h, (uint32_t)p->nr_threads))
		p->threads[p->nr_threads++] = (struct thread_name){tid, id};
	return id;
}

/* Turn innermost-first lookup addresses (and kernel frames, innermost first) into
 * interned frame ids, root first: thread, user frames, then kernel frames. */
static size_t frames_of(struct run *r, struct proc *p, uint32_t tid, const uint64_t *pcs,
			size_t n, const struct ms_py_stack *py, bool complete, const uint64_t *kpcs,
			size_t nk, uint32_t *out, size_t max)
{
	const char *names[32];
	struct py_merge_item items[MS_MAX_FRAMES + MS_MAX_PY_FRAMES];
	bool jit[MS_MAX_FRAMES];
	bool any_py = p->py && py && py->nr;

	/* generated code is told apart only where Python frames are to be merged */
	for (size_t i = 0; any_py && i < n && i < MS_MAX_FRAMES; i++)
		jit[i] = p->dwfl && !target_dwfl__has_module(p->dwfl, pcs[i]);
	size_t k = 0, ni = python__merge(p->py, pcs, any_py ? jit : NULL, n, py, complete, items,
					  sizeof(items) / sizeof(items[0]));

	if (r->opts.threads && k < max)
		out[k++] = thread_frame(r, p, tid);
	if (n == 0 && nk == 0 && k < max)
		out[k++] = r->unknown_frame;
	/* native frames, each evaluator frame replaced by its Python frames */
	for (size_t i = 0; i < ni && k < max; i++) {
		if (items[i].py != MS_MERGE_NONE) {
			out[k++] = stacktab__frame(r->stacks, python__frame(p->py, py->code[items[i].py],
									  py->instr[items[i].py]));
			continue;
		}
		const char *eval = python__eval_name(p->py, pcs[items[i].native]);
		size_t m = eval ? 1 : target_dwfl__symbolize(p->dwfl, pcs[items[i].native], names, 32);
		if (eval)
			names[0] = eval;
		for (size_t j = 0; j < m && k < max; j++)
			out[k++] = stacktab__frame(r->stacks, names[j]);
	}
	for (size_t i = nk; i-- > 0 && k < max;) {
		char buf[300];
		const char *sym = r->ksyms ? ksyms__lookup(r->ksyms, kpcs[i]) : NULL;
		/* flamegraph.pl colours frames ending in _[k] as kernel frames */
		snprintf(buf, sizeof(buf), "%s_[k]", sym ? sym : "[kernel]");
		out[k++] = stacktab__frame(r->stacks, buf);
	}
	return k;
}

/* The merged stack of a truncated one: the process (and with --threads the
 * thread) come first, as in every merged stack, then the [truncated] marker
 * where the lost frames would be. Returns the number of frames in out. */
static size_t merged_truncated(const struct run *r, const uint32_t *frames, size_t n,
			       uint32_t *out)
{
	size_t lead = r->opts.threads && n > 1 ? 2 : 1;

	memcpy(out, frames, lead * sizeof(*out));
	out[lead] = r->truncated_frame;
	memcpy(out + lead + 1, frames + lead, (n - lead) * sizeof(*out));
	return n + 1;
}

/* Intern frames[1..nf] as the process's stack (*id) and, with --children,
 * frames[0..nf] with the process at the root as the merged one (*merged_id,
 * UINT32_MAX without merging or out of memory). -ENOMEM when the first failed. */
static int intern_stacks(struct run *r, struct proc *p, uint32_t *frames, size_t nf,
			 bool complete, uint32_t *id, uint32_t *merged_id)
{
	uint32_t buf[MS_MAX_NAMES + 1];

	*merged_id = UINT32_MAX;
	if (stacktab__intern(r->stacks, frames + 1, nf, !complete, id))
		return -ENOMEM;
	if (!r->merged)
		return 0;
	frames[0] = p->frame;
	if (complete ? stacktab__intern(r->stacks, frames, nf + 1, false, merged_id)
		     : stacktab__intern(r->stacks, buf, merged_truncated(r, frames, nf + 1, buf),
					false, merged_id))
		*merged_id = UINT32_MAX;
	return 0;
}

static void ingest_alloc(struct run *r, struct proc *p, const struct ms_alloc_event *ev,
			 size_t size)
{
	uint64_t pcs[MS_MAX_FRAMES];
	uint32_t frames[MS_MAX_NAMES], id, mid;
	bool complete = false;
	size_t len = ev->stack_len, n = 0;

	if (size < MS_ALLOC_EVENT_HDR_SIZE || len > size - MS_ALLOC_EVENT_HDR_SIZE)
		return; /* malformed record: ignore rather than trust */
	if (p->dwfl)
		n = target_dwfl__unwind(p->dwfl, (pid_t)ev->hdr.tid, (const uint64_t *)ev->regs,
					ev->stack, len, true, pcs, MS_MAX_FRAMES, &complete);
	p->prof.totals.unwind_failed += n == 0;
	p->prof.totals.truncated += !complete;
	if (r->merged) {
		r->merged->totals.unwind_failed += n == 0;
		r->merged->totals.truncated += !complete;
	}
	/* frames[0] is left for the process, the root of the merged stack */
	size_t nf = frames_of(r, p, ev->hdr.tid, pcs, n, &ev->py, complete, NULL, 0, frames + 1,
			      MS_MAX_NAMES - 1);
	if (intern_stacks(r, p, frames, nf, complete, &id, &mid))
		return;
	profile__alloc_by(p->prof.heap, ev->addr, ev->size, id, ev->hdr.ts_ns, ev->hdr.tid,
			  ev->seq, ev->mean_shift);
	if (mid == UINT32_MAX)
		return;
	uint64_t key = run_merged_key(ev->addr, ev->hdr.tgid);
	profile__alloc_by(r->merged->heap, key, ev->size, mid, ev->hdr.ts_ns, ev->hdr.tid,
			  ev->seq, ev->mean_shift);
	/* Read after its process exited (a ring behind the others): the block
	 * was allocated, and went with the process. */
	if (p->exited) {
		double before = profile__live_bytes(r->merged->heap);
		profile__free_block(r->merged->heap, key, p->exit_ns);
		r->exit_released += before - profile__live_bytes(r->merged->heap);
	}
}

static void ingest_free(struct run *r, struct proc *p, const struct ms_free_event *ev,
			size_t size)
{
	if (size < sizeof(*ev))
		return;
	/* Only a free() ends a temporary allocation: realloc keeps using the data. */
	uint32_t tid = ev->hdr.fn == MS_FN_FREE ? ev->hdr.tid : 0;

	profile__free_by(p->prof.heap, ev->addr, ev->hdr.ts_ns, tid, ev->seq);
	if (r->merged)
		profile__free_by(r->merged->heap, run_merged_key(ev->addr, ev->hdr.tgid),
				 ev->hdr.ts_ns, tid, ev->seq);
}

/* The stack of a CPU sample or a sampled page fault, root first, in frames + 1
 * (frames[0] is left for the process). Returns the number of frames, or -1 for a
 * record to drop: malformed, or taken inside memspy's own probes (counted). */
static long sample_frames(struct run *r, struct proc *p, const struct ms_cpu_event *ev,
			  size_t size, uint32_t *frames, bool *complete)
{
	uint64_t pcs[MS_MAX_FRAMES];
	size_t len = ev->stack_len, n = 0, nk = ev->nr_kstack;

	*complete = false;
	if (size < MS_CPU_EVENT_HDR_SIZE || len > size - MS_CPU_EVENT_HDR_SIZE)
		return -1;
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
		    run_in_own_probe(r, ev->regs[MS_REG_IP])) {
			p->prof.cpu_in_probes++;
			if (r->merged)
				r->merged->cpu_in_probes++;
			return -1;
		}
		if (p->dwfl)
			n = target_dwfl__unwind_ex(p->dwfl, (pid_t)ev->hdr.tid,
						   (const uint64_t *)ev->regs, ev->stack, len, &x,
						   false, pcs, MS_MAX_FRAMES, complete);
	} else {
		p->prof.cpu_no_user++;
		if (r->merged)
			r->merged->cpu_no_user++;
	}
	return (long)frames_of(r, p, ev->hdr.tid, pcs, n, &ev->py, *complete,
			       (const uint64_t *)ev->kstack, r->opts.kernel ? nk : 0, frames + 1,
			       MS_MAX_NAMES - 1);
}

/* --off-cpu: us microseconds of a thread's wall-clock time in its stack frames[1..nf]
 * (frames[0] free), rooted at the thread and, with --children, the process
 * before it in the merged profile. */
static void add_wall(struct run *r, struct proc *p, uint32_t tid, uint32_t *frames, size_t nf,
		     bool complete, uint64_t us, bool on_cpu)
{
	uint32_t buf[MS_MAX_NAMES + 2], id, thread = thread_frame(r, p, tid);
	size_t skip = r->opts.threads && nf ? 1 : 0; /* the thread is there already */
	size_t n = 0;

	buf[n++] = r->merged ? p->frame : 0;
	buf[n++] = thread;
	memcpy(buf + n, frames + 1 + skip, (nf - skip) * sizeof(*buf));
	n += nf - skip;
	if (!stacktab__intern(r->stacks, buf + 1, n - 1, !complete, &id))
		offcpu_profile__add_wall(p->prof.offcpu, id, thread, us, on_cpu);
	if (r->merged && !stacktab__intern(r->stacks, buf, n, !complete, &id))
		offcpu_profile__add_wall(r->merged->offcpu, id, thread, us, on_cpu);
}

/* Whether a CPU sample falls in the recorded window, from the run's start (or
 * last reset) to its end. The sampling program fires while the run attaches its
 * other probes and until it is detached, after the heap probes' slow detach:
 * samples from then would count time that the report's duration, the
 * denominator of the CPU share, leaves out. */
static bool in_window(const struct run *r, uint64_t ts)
{
	return ts >= run_main_profiles(r)->start_ns && (!r->end_ns || ts <= r->end_ns);
}

static void ingest_cpu_sample(struct run *r, struct proc *p, const struct ms_cpu_event *ev,
			      size_t size)
{
	uint32_t frames[MS_MAX_NAMES], id, mid;
	bool complete;
	long nf;

	if (!in_window(r, ev->hdr.ts_ns))
		return;
	nf = sample_frames(r, p, ev, size, frames, &complete);
	if (nf < 0)
		return;
	if (!complete) {
		bool jit = ev->user_regs_valid && p->dwfl && target_dwfl__stopped_in_jit(p->dwfl);
		p->prof.cpu_truncated++;
		p->prof.cpu_truncated_jit += jit;
		if (r->merged) {
			r->merged->cpu_truncated++;
			r->merged->cpu_truncated_jit += jit;
		}
	}
	if (intern_stacks(r, p, frames, (size_t)nf, complete, &id, &mid))
		return;
	cpu_profile__add(p->prof.cpu, id, 1);
	if (mid != UINT32_MAX)
		cpu_profile__add(r->merged->cpu, mid, 1);
	if (r->opts.offcpu)
		add_wall(r, p, ev->hdr.tid, frames, (size_t)nf, complete,
			 (1000000 + r->opts.freq_hz / 2) / r->opts.freq_hz, true);
}

/* A sampled wait (--off-cpu): its stack with the reason as the leaf, weighted
 * by the microseconds it stands for. ev->addr, the time really waited, says how
 * many waits that is: a wait of t sampled for a period T >= t stands for T/t of
 * its kind. */
static void ingest_offcpu(struct run *r, struct proc *p, const struct ms_cpu_event *ev,
			  size_t size)
{
	uint32_t frames[MS_MAX_NAMES], id, mid;
	bool complete;
	long nf;
	double waits;

	if (!in_window(r, ev->hdr.ts_ns))
		return;
	nf = sample_frames(r, p, ev, size, frames, &complete);
	if (nf < 0)
		return;
	if (nf < MS_MAX_NAMES - 1)
		frames[1 + nf++] = stacktab__frame(r->stacks, offcpu_reason_frame(ev->reason));
	p->prof.offcpu_samples++;
	p->prof.offcpu_truncated += !complete;
	if (intern_stacks(r, p, frames, (size_t)nf, complete, &id, &mid))
		return;
	waits = ev->addr ? (double)ev->weight * 1000.0 / (double)ev->addr : 1.0;
	offcpu_profile__add_wait(p->prof.offcpu, id, ev->weight, waits);
	if (mid != UINT32_MAX) {
		offcpu_profile__add_wait(r->merged->offcpu, mid, ev->weight, waits);
		r->merged->offcpu_samples++;
		r->merged->offcpu_truncated += !complete;
	}
	add_wall(r, p, ev->hdr.tid, frames, (size_t)nf, complete, ev->weight, false);
}

/* The process a page was charged in, and the run that merges it (--children). */
struct rss_owner {
	struct run *run;
	struct proc *proc;
};

/* A sampled page left its place: its bytes leave rss.folded, the process's and
 * the merged one. */
static void rss_page_gone(void *ctx, const struct rss_page *page)
{
	const struct rss_owner *o = ctx;
	struct profiles *merged = o->run->merged;
	uint64_t bytes = (uint64_t)page->weight * MS_RSS_PAGE;

	cpu_profile__remove(o->proc->prof.rss, page->stack, bytes);
	o->proc->prof.rss_released += bytes;
	if (merged) {
		cpu_profile__remove(merged->rss, page->merged, bytes);
		merged->rss_released += bytes;
	}
}

/* p's page map, opened at the first need; NULL when it cannot be read (the
 * process is gone, or memspy may not read it: its pages then stay until the
 * process exits). */
static struct page_watch *watch_of(struct run *r, struct proc *p)
{
	if (p->watch || p->watch_failed || r->offline || p->exited)
		return p->watch;
	p->watch = page_watch__new(p->pid);
	p->watch_failed = !p->watch;
	return p->watch;
}

/* A sampled fault on a new page: its bytes join rss.folded until they leave. Its
 * page frame, read now, lets a sweep follow it if it moves. */
static void ingest_rss_fault(struct run *r, struct proc *p, const struct ms_cpu_event *ev,
			     size_t size)
{
	uint32_t frames[MS_MAX_NAMES], id, mid;
	uint64_t bytes = (uint64_t)ev->weight * MS_RSS_PAGE;
	bool complete;
	long nf = sample_frames(r, p, ev, size, frames, &complete);

	if (nf < 0 || intern_stacks(r, p, frames, (size_t)nf, complete, &id, &mid))
		return;
	cpu_profile__add(p->prof.rss, id, bytes);
	p->prof.rss_samples++;
	if (p->exited)
		return; /* read after the exit: the page went with the process */
	if (r->merged) {
		if (mid == UINT32_MAX)
			return;
		cpu_profile__add(r->merged->rss, mid, bytes);
		r->merged->rss_samples++;
	}
	struct page_watch *w = watch_of(r, p);
	struct rss_page page = {.addr = ev->addr, .weight = ev->weight, .stack = id,
				.merged = r->merged ? mid : 0};
	if (w)
		page_watch__frames(w, &page);
	struct rss_owner owner = {r, p};
	rss_pages__add(p->rss_pages, &page, rss_page_gone, &owner);
}

/* Pages given back or moved, as the fast-forward mode tells them. */
static void ingest_rss_release(struct run *r, struct proc *p, const struct ms_rss_release *rel,
			       size_t size)
{
	struct rss_owner owner = {r, p};

	if (size < sizeof(*rel))
		return;
	rss_pages__release(p->rss_pages, rel->start, rel->len, rel->new_start, rel->new_len,
			   rss_page_gone, &owner);
}

void ingest_sweep_pages(struct run *r, bool full)
{
	struct rss_sweep_stats st;
	uint64_t t0 = clock_now_ns();

	if (r->offline || !run_has_rss(r))
		return;
	for (size_t i = 0; i < r->nr_procs; i++) {
		struct proc *p = r->procs[i];
		struct rss_owner owner = {r, p};
		struct page_watch *w;

		/* an exited process's pages went with it (ingest_proc.c) */
		if (p->exited || !rss_pages__count(p->rss_pages) || !(w = watch_of(r, p)))
			continue;
		if (page_watch__sweep(w, p->rss_pages, full, rss_page_gone, &owner, &st))
			continue;
		r->sweep_pages += st.checked;
		if (full && r->opts.verbose)
			ms_info("pid %d: %zu sampled pages checked, %zu given back, %zu moved, "
				"%zu unreadable; %zu pages of new mappings read",
				(int)p->pid, st.checked, st.gone, st.moved, st.unread, st.scanned);
	}
	r->sweep_ns += clock_now_ns() - t0;
	if (full && r->opts.verbose)
		ms_info("page map sweeps: %llu pages checked in %.1f ms over the run",
			(unsigned long long)r->sweep_pages, (double)r->sweep_ns / 1e6);
}

/* The process that sent a record: the target alone, or with --children any.
 * With --children a process not seen yet (its fork record still queued in the
 * other ring) gets no modules here: a forked child maps what its parent did, so
 * the run reads them right after this pass over the rings, and holds its
 * records until then. NULL on lack of memory (records dropped). */
static struct proc *proc_of(struct run *r, uint32_t tgid)
{
	struct proc *p = run_find_proc(r, tgid);

	if (p || !r->opts.children)
		return p;
	return run_add_pending_proc(r, tgid, NULL);
}

static void ingest_one(struct run *r, struct proc *p, const void *rec, size_t size)
{
	const struct ms_event_header *h = rec;

	switch (h->kind) {
	case MS_EV_ALLOC:
		ingest_alloc(r, p, rec, size);
		break;
	case MS_EV_FREE:
		ingest_free(r, p, rec, size);
		break;
	case MS_EV_CPU:
		ingest_cpu_sample(r, p, rec, size);
		break;
	case MS_EV_RSS:
		ingest_rss_fault(r, p, rec, size);
		break;
	case MS_EV_OFFCPU:
		ingest_offcpu(r, p, rec, size);
		break;
	case MS_EV_RSS_RELEASE:
		ingest_rss_release(r, p, rec, size);
		break;
	default:
		break;
	}
}

int ingest_record(void *ctx, const void *rec, size_t size)
{
	struct run *r = ctx;
	const struct ms_event_header *h = rec;
	struct proc *p;

	if (size < sizeof(*h))
		return 0;
	if (!r->seen_record) {
		r->seen_record = true;
		ms_testpoint(MS_STEP_FIRST_EVENT);
	}
	if (h->kind == MS_EV_FORK || h->kind == MS_EV_EXEC || h->kind == MS_EV_EXIT) {
		if (r->opts.children)
			ingest_proc_event(r, rec, size);
		return 0;
	}
	p = proc_of(r, h->tgid);
	if (!p)
		return 0;
	if (p->modules_pending)
		proc__hold(p, rec, size); /* bounded by one pass over the rings */
	else
		ingest_one(r, p, rec, size);
	return 0;
}

void ingest_held(struct run *r, struct proc *p, uint64_t before_ns)
{
	struct held_record *h = proc__take_held(p);

	while (h) {
		struct held_record *next = h->next;
		const struct ms_event_header *hdr = (const void *)h->data;
		if (hdr->ts_ns < before_ns) {
			ingest_one(r, p, h->data, h->size);
			free(h);
		} else { /* held on, in order */
			h->next = NULL;
			*p->held_tail = h;
			p->held_tail = &h->next;
		}
		h = next;
	}
}

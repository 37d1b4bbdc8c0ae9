/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ingestion of --children's process records: a fork or exec names the process
 * with the name it had then, an exec has its new program read, and an exit
 * takes the process's memory out of the merged profiles, as the kernel does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "memspy/events.h"
#include "profile/cpu_profile.h"
#include "profile/profile.h"
#include "profile/rss_pages.h"
#include "run/ingest.h"
#include "run/page_watch.h"
#include "run/run_state.h"

/* The name a record gave, kept over the one /proc gave when a record of the
 * process came first. */
static void take_comm(struct proc *p, const struct ms_proc_event *ev)
{
	if (!ev->comm[0])
		return;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(ev->comm), ev->comm);
	p->comm_from_event = true;
}

/* The process of a record, added (its modules read later) when not seen yet. */
static struct proc *proc_of_event(struct run *r, const struct ms_proc_event *ev)
{
	struct proc *p = run_find_proc(r, ev->hdr.tgid);

	if (p && !(ev->hdr.kind == MS_EV_FORK && p->exited))
		return p;
	/* new, or a pid reused after its process exited */
	return run_add_pending_proc(r, ev->hdr.tgid, ev->comm[0] ? ev->comm : NULL);
}

static void proc_forked(struct proc *p, const struct ms_proc_event *ev)
{
	if (!p->comm_from_event)
		take_comm(p, ev);
	p->counts.parent = ev->parent;
}

/* The new program's modules are read in the run's next pass; until then its
 * records are held, and those from before the exec are read with the old ones. */
static void proc_execd(struct run *r, struct proc *p, const struct ms_proc_event *ev)
{
	take_comm(p, ev);
	p->execd = true;
	p->exec_ns = ev->hdr.ts_ns;
	if (!p->modules_pending) {
		p->modules_pending = true;
		r->nr_pending++;
	}
}

/* A sampled page of an exited process leaves the merged rss.folded; the
 * process's own keeps it, as what it had at exit. */
static void page_gone_with_proc(void *ctx, const struct rss_page *page)
{
	struct run *r = ctx;

	cpu_profile__remove(r->merged->rss, page->merged, (uint64_t)page->weight * MS_RSS_PAGE);
}

/* The exit is taken after the records read in the same pass (ingest_exits):
 * until then they may still be held for the process. */
static void proc_exited(struct run *r, struct proc *p, const struct ms_proc_event *ev)
{
	if (!p->exit_ns)
		p->exit_ns = ev->hdr.ts_ns;
}

/* Its live blocks and sampled pages leave the merged profiles; records of it
 * read later update only its own profiles (ingest.c), which thus keep what it
 * had at exit. */
static void release_exited(struct run *r, struct proc *p)
{
	size_t n = profile__nr_live(p->prof.heap);
	uint64_t *addrs = malloc((n ? n : 1) * sizeof(*addrs));
	double before = profile__live_bytes(r->merged->heap);

	p->exited = true;
	n = addrs ? profile__live_addrs(p->prof.heap, addrs, n) : 0;
	for (size_t i = 0; i < n; i++)
		profile__free_block(r->merged->heap, run_merged_key(addrs[i], p->pid), p->exit_ns);
	free(addrs);
	r->exit_released += before - profile__live_bytes(r->merged->heap);
	rss_pages__release(p->rss_pages, 0, UINT64_MAX, 0, 0, page_gone_with_proc, r);
	/* nothing left to sweep: its page map's fd goes, and is not opened again */
	page_watch__free(p->watch);
	p->watch = NULL;
	p->watch_failed = true;
}

/* The exited process to forget first: the one that exited longest ago, and
 * long enough ago. Never the target (index 0). 0 when none. */
static size_t oldest_exited(const struct run *r, uint64_t now, size_t *nr_exited)
{
	size_t best = 0;

	*nr_exited = 0;
	for (size_t i = 1; i < r->nr_procs; i++) {
		const struct proc *p = r->procs[i];
		if (!p->exited || p->modules_pending)
			continue;
		++*nr_exited;
		if (p->exit_ns + MS_EXITED_GRACE_NS <= now &&
		    (!best || p->exit_ns < r->procs[best]->exit_ns))
			best = i;
	}
	return best;
}

/* Forget exited processes past MS_EXITED_KEPT: their modules and own profiles
 * go; what they held at exit is kept as a sum for the report. */
static void forget_exited(struct run *r)
{
	uint64_t now = clock_now_ns();
	size_t n, i;

	while ((i = oldest_exited(r, now, &n)) && n > MS_EXITED_KEPT) {
		struct proc *p = r->procs[i];
		r->dropped_heap += profile__live_bytes(p->prof.heap);
		r->dropped_rss += (double)cpu_profile__total(p->prof.rss);
		r->procs_dropped++;
		memmove(r->procs + i, r->procs + i + 1, (r->nr_procs - i - 1) * sizeof(*r->procs));
		r->nr_procs--;
		proc__free(p);
	}
}

void ingest_exits(struct run *r)
{
	for (size_t i = 0; r->merged && i < r->nr_procs; i++) {
		struct proc *p = r->procs[i];
		if (p->exit_ns && !p->exited && !p->modules_pending)
			release_exited(r, p);
	}
	if (r->merged)
		forget_exited(r);
}

void ingest_proc_event(struct run *r, const void *rec, size_t size)
{
	const struct ms_proc_event *ev = rec;
	struct proc *p;

	if (size < sizeof(*ev) || !r->merged)
		return;
	p = proc_of_event(r, ev);
	if (!p)
		return;
	switch (ev->hdr.kind) {
	case MS_EV_FORK:
		proc_forked(p, ev);
		break;
	case MS_EV_EXEC:
		proc_execd(r, p, ev);
		break;
	case MS_EV_EXIT:
		proc_exited(r, p, ev);
		break;
	}
}

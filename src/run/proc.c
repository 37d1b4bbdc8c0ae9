/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One process of a run: its profiles, its modules and the records held for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/cpu_profile.h"
#include "profile/offcpu_profile.h"
#include "profile/profile.h"
#include "profile/rss_growth.h"
#include "profile/rss_pages.h"
#include "python/python.h"
#include "python/python_globals.h"
#include "run/page_watch.h"
#include "run/proc.h"
#include "symbolize/target_dwfl.h"
#include "target/procstat.h"

int profiles__init(struct profiles *p, uint64_t sample_mean)
{
	*p = (struct profiles){.rss_first = -1, .rss_last = -1, .anon_first = -1, .anon_last = -1};
	series_clock_start(&p->rss_clock);
	p->heap = profile__new(sample_mean);
	p->cpu = cpu_profile__new();
	p->rss = cpu_profile__new();
	p->rss_growth = rss_growth__new();
	p->offcpu = offcpu_profile__new();
	if (p->heap && p->cpu && p->rss && p->rss_growth && p->offcpu)
		return 0;
	profiles__release(p);
	return -ENOMEM;
}

void profiles__release(struct profiles *p)
{
	profile__free(p->heap);
	cpu_profile__free(p->cpu);
	cpu_profile__free(p->rss);
	rss_growth__free(p->rss_growth);
	offcpu_profile__free(p->offcpu);
	tseries_fini(&p->rss_series);
	*p = (struct profiles){0};
}

void profiles__start(struct profiles *p, uint64_t ts)
{
	p->start_ns = ts;
	profile__tick(p->heap, ts);
	rss_growth__tick(p->rss_growth, p->rss, p->rss_released, ts);
}

void profiles__reset(struct profiles *p, uint64_t sample_mean, uint64_t ts)
{
	struct profile *heap = profile__new(sample_mean);
	struct cpu_profile *cpu = cpu_profile__new();
	struct offcpu_profile *offcpu = offcpu_profile__new();

	if (!heap || !cpu || !offcpu) {
		profile__free(heap);
		cpu_profile__free(cpu);
		offcpu_profile__free(offcpu);
		return;
	}
	profile__free(p->heap);
	cpu_profile__free(p->cpu);
	offcpu_profile__free(p->offcpu);
	p->heap = heap;
	p->cpu = cpu;
	p->offcpu = offcpu;
	p->offcpu_samples = p->offcpu_truncated = 0;
	profile__limit_sites(heap, p->max_sites, p->other_stack);
	tseries_fini(&p->rss_series);
	series_clock_start(&p->rss_clock);
	p->rss_first = p->rss_last = -1;
	p->anon_first = p->anon_last = -1;
	profiles__start(p, ts);
}

void profiles__limit(struct profiles *p, size_t max_sites, uint32_t other_stack)
{
	p->max_sites = max_sites;
	p->other_stack = other_stack;
	profile__limit_sites(p->heap, max_sites, other_stack);
}

void profiles__tick(struct profiles *p, uint64_t ts, double rss, double anon)
{
	uint64_t halve;
	size_t point;

	profile__tick(p->heap, ts);
	rss_growth__tick(p->rss_growth, p->rss, p->rss_released, ts);
	/* An exited process keeps its last reading. */
	if (rss < 0)
		rss = p->rss_last >= 0 ? p->rss_last : 0;
	if (p->rss_first < 0)
		p->rss_first = rss;
	p->rss_last = rss;
	if (anon >= 0) {
		if (p->anon_first < 0)
			p->anon_first = anon;
		p->anon_last = anon;
	}
	point = series_clock_tick(&p->rss_clock, ts, &halve);
	if (halve)
		tseries_halve(&p->rss_series, halve);
	tseries_add(&p->rss_series, &p->rss_clock, point, rss);
}

struct proc *proc__new(pid_t pid, const char *comm, uint64_t sample_mean)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->held_tail = &p->held;
	p->rss_pages = rss_pages__new();
	if (!p->rss_pages || profiles__init(&p->prof, sample_mean)) {
		rss_pages__free(p->rss_pages);
		free(p);
		return NULL;
	}
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	else
		procstat_comm(pid, p->comm, sizeof(p->comm));
	return p;
}

void proc__free(struct proc *p)
{
	if (!p)
		return;
	struct held_record *h = proc__take_held(p);
	while (h) {
		struct held_record *next = h->next;
		free(h);
		h = next;
	}
	target_dwfl__free(p->dwfl);
	python__free(p->py);
	python_globals__free(p->py_globals);
	rss_pages__free(p->rss_pages);
	page_watch__free(p->watch);
	profiles__release(&p->prof);
	free(p->threads);
	hashtab__fini(&p->threads_by_tid);
	free(p);
}

int proc__open_dwfl(struct proc *p, pid_t from, struct symcache *shared,
		    struct dbgfetch *fetch)
{
	p->dwfl = target_dwfl__open(from);
	if (!p->dwfl)
		return errno ? -errno : -ENOENT;
	/* workers map the master's files: name each address once */
	target_dwfl__share_symcache(p->dwfl, shared);
	target_dwfl__fetch_debuginfo(p->dwfl, fetch);
	return 0;
}

void proc__open_python(struct proc *p, pid_t from, bool quiet, int verbose)
{
	p->py = python__open(from, quiet, verbose, p->py_off, sizeof(p->py_off));
	p->py_globals = python_globals__new(from, python__offsets(p->py),
					     python__code_layout(p->py));
}

void proc__close_modules(struct proc *p)
{
	target_dwfl__free(p->dwfl);
	python__free(p->py);
	python_globals__free(p->py_globals);
	p->dwfl = NULL;
	p->py = NULL;
	p->py_globals = NULL;
	/* its page map reads the old address space: opened again at the next page */
	page_watch__free(p->watch);
	p->watch = NULL;
	p->watch_failed = false;
}

int proc__hold(struct proc *p, const void *rec, size_t size)
{
	struct held_record *h = malloc(sizeof(*h) + size);

	if (!h)
		return -ENOMEM;
	h->next = NULL;
	h->size = size;
	memcpy(h->data, rec, size);
	*p->held_tail = h;
	p->held_tail = &h->next;
	return 0;
}

struct held_record *proc__take_held(struct proc *p)
{
	struct held_record *h = p->held;

	p->held = NULL;
	p->held_tail = &p->held;
	return h;
}

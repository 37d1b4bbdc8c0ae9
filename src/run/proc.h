/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One process of a run: what it recorded and the modules its stacks are read with.
 * Internal to src/run. */
#ifndef MEMSPY_PROC_H
#define MEMSPY_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hashtab.h"
#include "memspy/events.h"
#include "output/report.h" /* struct heap_totals */
#include "profile/series.h"

struct page_watch;
struct symcache;
struct dbgfetch;

/* What one process, or the merged processes of a --children run, recorded. */
struct profiles {
	struct profile *heap;	    /* live sampled blocks per stack */
	struct cpu_profile *cpu;    /* CPU samples per stack */
	struct cpu_profile *rss;    /* bytes of new pages still mapped, per stack */
	struct rss_growth *rss_growth; /* rss over time, for its biggest stacks */
	struct offcpu_profile *offcpu; /* --off-cpu: waits and wall-clock time per stack */
	struct heap_totals totals;  /* stacks unwound; the BPF side's counts come at the end */
	uint64_t cpu_truncated;	    /* CPU stacks whose unwinding stopped early */
	uint64_t cpu_truncated_jit; /* ... of them, in JIT code */
	uint64_t cpu_no_user;	    /* CPU samples without user registers */
	uint64_t cpu_in_probes;	    /* CPU samples inside memspy's own probe traps */
	uint64_t rss_samples;	    /* page-fault samples */
	uint64_t rss_released;	    /* bytes of sampled pages given back since */
	uint64_t offcpu_samples;    /* off-CPU samples ingested */
	uint64_t offcpu_truncated;  /* ... whose unwinding stopped early */
	struct tseries rss_series; /* RSS in bytes, one point per tick, merged pairwise
				     * when full (bounded as the heap's series are) */
	struct series_clock rss_clock;
	double rss_first, rss_last; /* RSS at the first and the latest tick; < 0: none */
	double anon_first, anon_last; /* ... its anonymous part (RssAnon) */
	size_t max_sites;	    /* the heap's bound on sites (profile__limit_sites) */
	uint32_t other_stack;	    /* ... and where the rest go */
	uint64_t start_ns;	    /* attach, the process's first record, or the last reset */
};

/* 0 or -ENOMEM (nothing is left allocated then). */
int profiles__init(struct profiles *p, uint64_t sample_mean);
void profiles__release(struct profiles *p);
/* Bound the heap's sites, now and after each reset (profile__limit_sites). */
void profiles__limit(struct profiles *p, size_t max_sites, uint32_t other_stack);
/* Start the series at ts. */
void profiles__start(struct profiles *p, uint64_t ts);
/* Forget the heap and CPU profiles and the RSS series, and start again at ts. */
void profiles__reset(struct profiles *p, uint64_t sample_mean, uint64_t ts);
/* Record a point of every series; rss < 0: unreadable, the last point repeats.
 * anon, the anonymous part of rss, is kept for the first and latest tick. */
void profiles__tick(struct profiles *p, uint64_t ts, double rss, double anon);

struct thread_name {
	uint32_t tid;
	uint32_t frame; /* "name-tid" */
};

/* A record that came before its process's modules were read. */
struct held_record {
	struct held_record *next;
	size_t size;
	uint64_t data[]; /* the record, aligned as the ring buffer hands it over */
};

struct proc {
	pid_t pid;
	char comm[64];
	char dir[4096];			/* --children: <run dir>/<pid>, its own outputs */
	uint32_t frame;			/* --children: "name-pid", root of its merged stacks */
	struct profiles prof;
	struct target_dwfl *dwfl;	/* NULL: its stacks print [unknown] */
	struct python *py;		/* CPython frames; NULL for other processes */
	char py_off[1024];		/* why a CPython's frames are off; "": on or none */
	struct python_globals *py_globals; /* its growing module-level containers */
	struct rss_pages *rss_pages;	/* the sampled pages behind prof.rss */
	struct page_watch *watch;	/* its page map, opened at its first sampled page */
	bool watch_failed;		/* ... could not be opened: not tried again */
	struct thread_name *threads;	/* --threads: the root frame of each thread seen */
	size_t nr_threads;
	struct hashtab threads_by_tid;	/* entries of threads; empty until --threads needs it */
	struct ms_proc counts;		/* --children: its counters, read at stop */
	bool modules_pending;		/* seen, modules not read yet: records are held */
	struct held_record *held, **held_tail;
	/* --children: its life as the fork, exec and exit records told it */
	bool comm_from_event;		/* comm is the name a record gave */
	bool named;			/* frame is set */
	bool execd;			/* it exec'd during the run */
	uint64_t exec_ns;		/* an exec whose new modules are not read yet */
	bool exited;			/* its memory went with it: out of the merged files;
					 * its own profiles keep what it had at exit */
	uint64_t exit_ns;
};

/* A process with no modules yet, its series not started. comm NULL: read it from
 * /proc. NULL on lack of memory. */
struct proc *proc__new(pid_t pid, const char *comm, uint64_t sample_mean);
/* Accepts NULL. */
void proc__free(struct proc *p);
/* Read the modules of process from (p's pid, or the parent a child that is gone
 * was forked from: fork copies the address space) for unwinding and naming p's
 * stacks, sharing the run's cache of names and fetching missing debug files
 * through fetch (NULL: none). 0, or -errno (its stacks print [unknown]). */
int proc__open_dwfl(struct proc *p, pid_t from, struct symcache *shared,
		    struct dbgfetch *fetch);
/* Look for CPython in process from, for p: its frames and growing containers. */
void proc__open_python(struct proc *p, pid_t from, bool quiet, int verbose);
/* Forget the modules, CPython and page map of the program the process ran
 * before exec. */
void proc__close_modules(struct proc *p);
/* Keep a copy of a record until the modules are read. 0 or -ENOMEM (dropped). */
int proc__hold(struct proc *p, const void *rec, size_t size);
/* Take the held records, oldest first; the caller frees each. */
struct held_record *proc__take_held(struct proc *p);

#endif

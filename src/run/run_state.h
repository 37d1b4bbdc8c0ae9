/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's state, shared by the files of src/run (life cycle, ingestion, outputs,
 * snapshots) and by nothing else. */
#ifndef MEMSPY_RUN_STATE_H
#define MEMSPY_RUN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memspy/events.h"
#include "run/proc.h"
#include "run/mean_adapt.h"
#include "run/rss_adapt.h"
#include "run/run_opts.h"
#include "target/allocator.h"

#define MS_TICK_NS 1000000000ULL /* a point of every series each second */
/* A heap site costs a series of up to 4 KiB besides its stack: a profile keeps
 * sites for a quarter of the stacks the table holds, and at least this many. */
#define MS_SITES_PER_STACK_DIV 4
#define MS_MIN_SITES 1024u
#define MS_EXITED_GRACE_NS (10 * MS_TICK_NS) /* no late record names an exit older */

struct run {
	struct run_opts opts;
	char comm[64];			/* the target's */
	char dir[4096];			/* output directory; empty with no_output */
	bool made_dir;			/* the directory is ours: remove it if attach fails */
	bool offline;			/* run__new_offline: no probes, no modules */
	bool seen_record;		/* a record came from BPF (MS_STEP_FIRST_EVENT) */
	/* probes */
	struct allocator alloc;
	struct follow_probes *follow;	/* --children: fork and exit programs, procs map */
	struct heap_probes *heap;
	struct inprocess *inproc;	/* the in-process sampler; NULL: uprobes on the allocator */
	struct mean_adapt mean_adapt;	/* its mean in an allocation storm */
	char heap_mode[1024];		/* how the heap is watched, for the report and top */
	struct cpu_probes *cpu_probes;
	struct rss_probes *rss_probes;	/* sampled page faults; NULL with --no-rss */
	struct offcpu_probes *offcpu_probes; /* --off-cpu: switch timing; NULL without */
	struct capture *cap;
	struct capture *follow_cap;	/* --children: fork, exec and exit records */
	int pidfd;
	uint64_t *probe_ips;		/* sorted addresses of our entry probes in the target */
	size_t nr_probe_ips;
	struct rss_adapt rss_adapt;	/* page-fault tracing's period and windows */
	struct cpu_yield *yield;	/* memspy at SCHED_IDLE while recording; NULL: normal */
	bool rss_failed;		/* a window's attach failed: no more tracing */
	uint64_t open_ns, open_minflt;	/* when memspy began to attach, the target's
					 * minor faults then (open_ns 0: unread) */
	uint64_t sweep_ns, sweep_pages;	/* time spent in page map sweeps, pages checked */
	/* shared by every process */
	struct stacktab *stacks;
	struct symcache *symcache;	/* names of module addresses, for every dwfl */
	struct ksyms *ksyms;		/* --kernel */
	struct dbgfetch *fetch;		/* debug files fetched by build-id; NULL: off */
	unsigned fetch_gen;		/* its generation last handed to the sessions */
	uint64_t fetch_note_ns;		/* no progress line before this */
	uint32_t unknown_frame;		/* "[unknown]" */
	uint32_t truncated_frame;	/* "[truncated]", in merged stacks after the process */
	uint32_t other_stack;		/* "[other stacks]": what the bounds keep out */
	size_t max_sites;		/* heap sites per profile (profile__limit_sites) */
	/* The processes, the target first: one, or with --children every process
	 * seen. Each keeps its own profiles (written to <dir>/<pid>/ with --children);
	 * merged holds them all, stacks starting with the process ("name-pid"). */
	struct proc **procs;
	size_t nr_procs, cap_procs;
	size_t nr_pending;		/* procs whose modules are not read yet */
	struct profiles *merged;	/* --children only */
	double exit_released;		/* merged live bytes gone with exited processes */
	/* Exited processes past MS_EXITED_KEPT are forgotten, oldest exit first
	 * (their samples stay in the merged profiles): how many, and what they held. */
	size_t procs_dropped;
	double dropped_heap, dropped_rss;
	/* life cycle */
	uint64_t next_tick;
	uint64_t end_ns;		/* set by run__stop */
	bool stopped;
	struct load_cmd *load;		/* attach -- CMD: the load command; NULL: none */
	uint64_t counters[MS_CNT_COUNT];     /* read at stop (and for snapshots) */
	uint64_t rss_counters[MS_RSS_COUNT]; /* read at stop (and for snapshots) */
	uint64_t off_counters[MS_OFFC_COUNT]; /* read at stop (and for snapshots) */
	/* --every, SIGUSR1: snapshots into <dir>/snap-NNNN/ (snapdirs.c) */
	uint64_t next_snap_ns;		/* the next --every snapshot; 0: none */
	unsigned nr_snaps;		/* written so far: the newest one's number */
};

/* Read the probes' counters into counters, rss_counters and each process's counts
 * (run__stop does it, and a snapshot of a running run). */
void run_read_counters(struct run *r);
/* Record a point of every series at ts (run__poll does it once a second). */
void run_tick(struct run *r, uint64_t ts);
/* run__stop with the run's end at end_ns (fast_forward.c's simulated clock). */
void run_stop_at(struct run *r, uint64_t end_ns);
/* fast_forward.c: MEMSPY_FAST_FORWARD=SECONDS, a test mode: instead of attaching,
 * feed that long a run's worth of synthetic records through ingestion, with the
 * target's real modules, then write the outputs. Returns run_main's status. */
int run_fast_forward(const struct run_opts *o, const char *seconds);
/* Whether SIGUSR1 asked for a snapshot since the last call. */
bool run_take_snapshot_request(void);

/* The profiles the run reports: the merged ones, or its one process's. */
static inline struct profiles *run_main_profiles(const struct run *r)
{
	return r->merged ? r->merged : &r->procs[0]->prof;
}

/* What the run records: what its probes sample, or for records fed without
 * probes (the fast-forward mode) what the options ask for. */
static inline bool run_has_heap(const struct run *r)
{
	return r->heap || (r->offline && r->opts.heap);
}

static inline bool run_has_cpu(const struct run *r)
{
	return r->cpu_probes || (r->offline && r->opts.cpu);
}

static inline bool run_has_rss(const struct run *r)
{
	return r->rss_probes || (r->offline && !r->opts.no_rss);
}

/* A block's key in the merged profile: forked processes hand out the same
 * addresses. User addresses stay below 2^47, so the tgid goes above. */
static inline uint64_t run_merged_key(uint64_t addr, uint32_t tgid)
{
	return addr ^ ((uint64_t)tgid << 47);
}

/* debuginfod.c: start fetching missing debug files when --debuginfod or
 * DEBUGINFOD_URLS asks for it (and nothing at all otherwise); 0 or -ENOMEM. */
int run_debuginfod_open(struct run *r);
/* Hand the files fetched since to the sessions (renaming the frames named
 * before), and tell of a slow fetch. */
void run_debuginfod_poll(struct run *r);
/* Stop fetching (the run has ended) and take what came. */
void run_debuginfod_stop(struct run *r);
/* The report's section on fetched debug files; nothing when fetching is off. */
void run_debuginfod_report(FILE *f, const struct run *r);

/* attach.c: attach every probe the options ask for, reading their rings into
 * ingestion. Prints the reason and returns -errno on failure. */
int run_attach_probes(struct run *r);
/* Where the heap probes sit in the target, for run_in_own_probe. */
void run_find_probe_ips(struct run *r);
/* The pc of a CPU sample lies in one of memspy's own probe traps. */
bool run_in_own_probe(const struct run *r, uint64_t ip);
/* Follow the new-page fault rate with the RSS sampling period (at most every
 * tenth of a second). */
void run_adapt_rss(struct run *r, uint64_t ts);
/* The in-process sampler's mean follows the rate of samples (run/mean_adapt.h). */
void run_adapt_mean(struct run *r, uint64_t ts);
/* The target has exited (zombie or gone). */
bool run_target_exited(const struct run *r);
/* The process of tgid, or NULL. */
struct proc *run_find_proc(const struct run *r, uint32_t tgid);
/* Add a process with no modules yet (with --children, its series started now).
 * comm NULL: read its name from /proc. NULL on lack of memory. */
struct proc *run_add_proc(struct run *r, uint32_t tgid, const char *comm);
/* --children: add a process whose modules the next run__open_new_procs reads,
 * holding its records until then. NULL on lack of memory. */
struct proc *run_add_pending_proc(struct run *r, uint32_t tgid, const char *comm);

#endif

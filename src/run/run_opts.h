/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run was asked to record: the options of attach and top, as the CLI
 * parsed them. Plain data, shared by every file of src/run. */
#ifndef MEMSPY_RUN_OPTS_H
#define MEMSPY_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --children: exited processes that keep their own profiles (and <pid>/
 * outputs); older exits are forgotten, their samples kept in the merged
 * profiles, so a server that recycles its workers does not grow memspy. */
#define MS_EXITED_KEPT 64u

struct run_opts {
	pid_t pid;
	const char *outdir;	/* NULL: memspy-<pid>-<YYYYmmdd-HHMMSS> */
	double duration_s;	/* 0: until Ctrl-C, SIGTERM, the target's or cmd's exit */
	uint64_t sample_mean;	/* Poisson mean in bytes; 1 records every allocation */
	bool sample_mean_given;	/* -s or --all: the mean stays as given unless
				 * --max-samples is given too */
	uint32_t max_samples;	/* in-process: the mean doubles while more samples a
				 * second come (run/mean_adapt.h); 0: fixed mean */
	bool max_samples_given;
	unsigned py_shift;	/* CPython's allocation fields hooked 1/2^py_shift of the
				 * time (--python-share), when their frees are left to
				 * pymalloc (src/run/python_windows.h) */
	uint32_t stack_bytes;	/* user stack copied per sample; 0: chosen for the target
				 * (more for runtimes with deep stacks, see runtime_heap.h) */
	uint32_t max_tracked;	/* tracked blocks the BPF map holds */
	size_t max_stacks;	/* distinct stacks kept (--max-stacks); 0: the default */
	size_t top_n;		/* sites in the report */
	bool heap;		/* track the heap (--no-heap turns it off) */
	bool cpu;		/* sample the CPU (--no-cpu turns it off) */
	uint32_t freq_hz;	/* CPU samples per second (-F) */
	bool kernel;		/* kernel frames in CPU stacks (--kernel) */
	bool offcpu;		/* off-CPU and wall-clock profiles (--off-cpu) */
	uint64_t offcpu_period_us; /* a sample per this much blocked time; 0: default */
	bool no_rss;		/* no page-fault sampling, no rss.folded (--no-rss) */
	bool no_inject;		/* write nothing into the target: uprobes on the
				 * allocator, not the in-process sampler (--no-inject) */
	bool normal_priority;	/* memspy's threads never at SCHED_IDLE
				 * (--normal-priority; cpu_yield.h) */
	bool threads;		/* thread as the root frame, "name-tid" (--threads) */
	bool children;		/* follow descendants, present and future (--children) */
	bool no_output;		/* no output directory (memspy top) */
	bool quiet_attach;	/* no "attached to" line on stderr (memspy top) */
	bool quiet;		/* do not print the report on stdout */
	bool debuginfod;	/* --debuginfod: fetch missing debug files by build-id */
	const char *debuginfod_urls; /* --debuginfod=URLS; NULL: DEBUGINFOD_URLS, else
				      * /etc/debuginfod/ (with --debuginfod) */
	double debuginfod_timeout_s; /* all fetching stops after this (--debuginfod-timeout) */
	double every_s;		/* --every: a snapshot each interval; 0: none */
	unsigned keep;		/* --keep: snapshots kept, the newest; 0: all */
	int verbose;
	char *const *cmd;	/* attach -- CMD ARGS: the load command; NULL: none */
};

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One recording run: attach to a process, follow it until the end, write the outputs. */
#ifndef MEMSPY_SESSION_H
#define MEMSPY_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct session_opts {
	pid_t pid;
	const char *outdir;	/* NULL: memspy-<pid>-<YYYYmmdd-HHMMSS> */
	double duration_s;	/* 0: until Ctrl-C, SIGTERM or the target's exit */
	uint64_t sample_mean;	/* Poisson mean in bytes; 1 records every allocation */
	uint32_t stack_bytes;	/* user stack copied per sample */
	uint32_t max_tracked;	/* tracked blocks the BPF map holds */
	size_t top_n;		/* sites in the report */
	bool heap;		/* track the heap (--no-heap turns it off) */
	bool cpu;		/* sample the CPU (--no-cpu turns it off) */
	uint32_t freq_hz;	/* CPU samples per second (-F) */
	bool kernel;		/* kernel frames in CPU stacks (--kernel) */
	bool threads;		/* thread as the root frame, "name-tid" (--threads) */
	bool quiet;		/* do not print the report on stdout */
	int verbose;
};

/* Run to the end and write the outputs. Errors are reported on stderr, once.
 * Returns the process exit status: 0, or 1 on error. */
int session_run(const struct session_opts *o);

#endif

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
	bool no_rss;		/* no page-fault sampling, no rss.folded (--no-rss) */
	bool threads;		/* thread as the root frame, "name-tid" (--threads) */
	bool children;		/* follow descendants, present and future (--children) */
	bool no_output;		/* no output directory (memspy top) */
	bool quiet_attach;	/* no "attached to" line on stderr (memspy top) */
	bool quiet;		/* do not print the report on stdout */
	int verbose;
};

struct session;
struct profile;
struct cpu_profile;
struct stacktab;

enum {
	SESSION_SIGNALLED = 1,	   /* SIGINT, SIGTERM or SIGHUP arrived */
	SESSION_TARGET_EXITED = 2, /* the process is gone */
	SESSION_STOPPED = 3,	   /* session__stop was called */
};

/* Check the target, attach every probe the options ask for and start recording.
 * Installs handlers for SIGINT, SIGTERM and SIGHUP that only set a flag. Errors
 * are printed once; returns NULL then (nothing is left attached). */
struct session *session__open(const struct session_opts *o);
/* Take queued events (waiting up to timeout_ms), and once a second record a point
 * of every series. Returns 0, a SESSION_* reason to end, or -errno. */
int session__poll(struct session *s, int timeout_ms);
/* The signal that asked to stop, or 0. */
int session__signal(void);
/* Detach every probe and take the last events. Idempotent. */
void session__stop(struct session *s);
/* Stop, then write every output file and print the report unless quiet.
 * Returns 0 or -EIO (each failure was printed). */
int session__write_outputs(struct session *s, const char *end_reason);
/* Forget what was recorded so far and start over (memspy top's reset). */
void session__reset(struct session *s);
/* Detach (if still attached) and release everything. Accepts NULL. */
void session__free(struct session *s);

/* What has been recorded so far; valid until the next poll or reset. */
const struct stacktab *session__stacks(const struct session *s);
struct profile *session__profile(const struct session *s);
const struct cpu_profile *session__cpu(const struct session *s);
/* The BPF side's counters (enum ms_counter), summed over CPUs. */
void session__counters(const struct session *s, uint64_t *out);
const char *session__comm(const struct session *s);
uint64_t session__start_ns(const struct session *s);

/* Run to the end and write the outputs. Errors are reported on stderr, once.
 * Returns the process exit status: 0, or 1 on error. */
int session_run(const struct session_opts *o);

#endif

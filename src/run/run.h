/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One recording run: attach to a process (and with --children its descendants),
 * follow it until the end, write the outputs. */
#ifndef MEMSPY_RUN_H
#define MEMSPY_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "run/run_opts.h"

struct run;
struct top_row;
struct profile;
struct cpu_profile;
struct offcpu_profile;
struct stacktab;

enum {
	RUN_SIGNALLED = 1,     /* SIGINT, SIGTERM or SIGHUP arrived */
	RUN_TARGET_EXITED = 2, /* the process is gone */
	RUN_STOPPED = 3,       /* run__stop was called */
};

/* Check the target, attach every probe the options ask for and start recording.
 * Installs handlers for SIGINT, SIGTERM and SIGHUP that only set a flag. Errors
 * are printed once; returns NULL then (nothing is left attached). */
struct run *run__open(const struct run_opts *o);
/* A run with nothing attached and no modules read, for tests that feed it records
 * (ingest_record): frames print [unknown]. NULL on lack of memory. */
struct run *run__new_offline(const struct run_opts *o);
/* Check the target and read its modules, make the output directory, attach
 * nothing: for records fed by the caller (ingest_record), as in the fast-forward
 * test mode. Errors are printed once; NULL then. */
struct run *run__open_unattached(const struct run_opts *o);
/* Take queued events (waiting up to timeout_ms), and once a second record a point
 * of every series. Returns 0, a RUN_* reason to end, or -errno. */
int run__poll(struct run *r, int timeout_ms);
/* Read the modules of the processes first seen since the last call, then take the
 * records they sent meanwhile (run__poll and run__stop do it; tests call it). */
void run__open_new_procs(struct run *r);
/* The signal that asked to stop, or 0. */
int run__signal(void);
/* Detach every probe and take the last events. Idempotent. */
void run__stop(struct run *r);
/* Stop, then write every output file and print the report unless quiet.
 * Returns 0 or -EIO (each failure was printed). */
int run__write_outputs(struct run *r, const char *end_reason);
/* Forget what was recorded so far and start over (memspy top's reset). */
void run__reset(struct run *r);
/* Detach (if still attached) and release everything. Accepts NULL. */
void run__free(struct run *r);

/* What has been recorded so far (merged over the processes with --children);
 * valid until the next poll or reset. */
const struct stacktab *run__stacks(const struct run *r);
struct profile *run__profile(const struct run *r);
const struct cpu_profile *run__cpu(const struct run *r);
/* --off-cpu: waits and wall-clock time per stack. */
const struct offcpu_profile *run__offcpu(const struct run *r);
/* The same for one process of the run; NULL for a pid never seen. */
struct profile *run__proc_profile(const struct run *r, pid_t pid);
const struct cpu_profile *run__proc_cpu(const struct run *r, pid_t pid);
size_t run__nr_procs(const struct run *r);
/* The BPF side's counters (enum ms_counter), summed over CPUs. */
void run__counters(const struct run *r, uint64_t *out);
const char *run__comm(const struct run *r);
/* How the heap is watched: "in-process sampler (...)" or "uprobes on <allocator>
 * (<why>)"; "" without heap tracking. */
const char *run__heap_mode(const struct run *r);
uint64_t run__start_ns(const struct run *r);
/* The sampling mean now: the one asked for, raised in an allocation storm
 * (run/mean_adapt.h). */
uint64_t run__sample_mean_now(const struct run *r);
const struct run_opts *run__opts(const struct run *r);

/* With --every when one is due, or after SIGUSR1: write everything recorded so
 * far into <dir>/snap-NNNN/ (whole or not at all), then remove the oldest beyond
 * --keep. The run goes on either way. Returns 0 or -errno (reported). */
int run__snapshot_poll(struct run *r);

/* "libbpf 1.1, elfutils 0.188": the libraries' versions as loaded. Returns what
 * snprintf returns. */
int run__lib_versions(char *buf, size_t size);

/* Run to the end and write the outputs. Errors are reported once.
 * Returns the process exit status: 0, or 1 on error. */
int run_main(const struct run_opts *o);

/* One row per heap site of the run (live bytes and blocks, recent growth, share,
 * bytes allocated, suspect slope and title), and one per function of its CPU
 * profile: memspy top's tables. *rows (holding *cap rows) grows as needed.
 * Returns the number of rows; 0 when out of memory too. */
size_t run__heap_rows(const struct run *r, struct top_row **rows, size_t *cap);
size_t run__cpu_rows(const struct run *r, struct top_row **rows, size_t *cap);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pprof copies of a set of outputs: heap.pb.gz, cpu.pb.gz and rss.pb.gz, the
 * folded files' stacks with Go's sample types. Internal to src/run. */
#ifndef MEMSPY_WRITE_PPROF_H
#define MEMSPY_WRITE_PPROF_H

#include <stdint.h>

#include "profile/cpu_profile.h"
#include "profile/profile.h"
#include "profile/stacktab.h"

struct pprof_set {
	const char *dir;
	const char *comm;
	uint64_t start_ns, end_ns; /* the run, on clock_now_ns's clock */
	const struct stacktab *stacks;
	const struct profile *heap;    /* NULL: heap not tracked */
	uint64_t sample_mean;	       /* the heap's Poisson mean in bytes */
	const struct cpu_profile *cpu; /* NULL: CPU not sampled */
	uint32_t freq_hz;
	const struct cpu_profile *rss; /* NULL: RSS not tracked */
};

/* Write the profiles the set has into s->dir. Returns 0 or -EIO (each failure
 * was reported). */
int write_pprof(const struct pprof_set *s);
/* Write <s->dir>/<name>, a time profile (off-CPU or wall-clock) of type (say
 * "wall") in nanoseconds, from us microseconds per stack. 0 or -errno. */
int write_pprof_time(const struct pprof_set *s, const char *name, const char *type,
		     const uint32_t *ids, const uint64_t *us, size_t n);

#endif

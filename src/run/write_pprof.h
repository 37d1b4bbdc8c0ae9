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

#endif

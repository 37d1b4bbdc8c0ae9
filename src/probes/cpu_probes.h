/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sample the CPU with the perf cpu-clock event on every CPU, keeping the target's threads. */
#ifndef MEMSPY_CPU_PROBES_H
#define MEMSPY_CPU_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "probes/probe_common.h"

struct cpu_probes_opts {
	struct probe_target target;
	uint32_t freq_hz;     /* samples per second of CPU time (-F) */
	bool kernel;	      /* also record kernel frames */
};

struct cpu_probes;

/* One cpu-clock event per online CPU with the sampling program attached: every
 * thread of the target, those created later too, is sampled while it runs and
 * never while it sleeps. NULL, errno and a one-line reason in err on error. */
struct cpu_probes *cpu_probes__open(const struct cpu_probes_opts *o, char *err, size_t errlen);
/* Stop sampling; maps stay readable. Idempotent. */
void cpu_probes__detach(struct cpu_probes *c);
void cpu_probes__free(struct cpu_probes *c);
int cpu_probes__events_fd(const struct cpu_probes *c);
/* Sum the per-CPU counters (MS_CNT_CPU_SAMPLES, MS_CNT_LOST_CPU). 0 or -errno. */
int cpu_probes__counters(const struct cpu_probes *c, uint64_t out[MS_CNT_COUNT]);

#endif

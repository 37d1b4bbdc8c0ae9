/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU part of the report: sampling figures and the top functions. */
#ifndef MEMSPY_REPORT_CPU_H
#define MEMSPY_REPORT_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/cpu_profile.h"
#include "profile/stacktab.h"

struct cpu_report_input {
	const struct cpu_profile *profile;
	const struct stacktab *stacks;
	uint32_t freq_hz;
	double duration_s;
	uint64_t taken;	     /* samples the BPF program took for the target */
	uint64_t lost;	     /* dropped: ring buffer full */
	uint64_t truncated;  /* stacks whose unwinding stopped early */
	uint64_t truncated_jit; /* ... in JIT code */
	uint64_t no_user;    /* samples without user registers (kernel-only) */
	uint64_t in_probes;  /* samples inside memspy's own probe traps, left out */
	size_t top_n;
};

/* Write "== cpu ==": figures, then functions by self and by total samples with
 * percentages of all samples. */
void report_cpu_write(FILE *f, const struct cpu_report_input *in);

#endif
